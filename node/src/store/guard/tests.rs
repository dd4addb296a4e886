//! The guard on a real sled store in a small tmpfs mounted by the test (run as root), so
//! the file system really fills up.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;
use crate::store::tests::{events_only, new_event, rid};
use crate::store::{open_sled, StoreOptions};

/// A tmpfs of `mib` MiB mounted on a fresh temp dir; unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(mib: u64) -> Tmpfs {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "this test mounts a tmpfs and must run as root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the file system with `ballast`, leaving less than 64 KiB.
    fn fill(&self) -> PathBuf {
        let ballast = self.path().join("ballast");
        let mut f = std::fs::File::create(&ballast).expect("create ballast");
        let chunk = vec![7u8; 64 << 10];
        while std::io::Write::write_all(&mut f, &chunk).is_ok() {}
        ballast
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn guarded(dir: &Path, reserve_mib: u64, ballast_mib: u64) -> Guarded {
    let data = dir.join("data");
    let engine = open_sled(&data, "hezhou", StoreOptions::default()).expect("open");
    let again = data.clone();
    let reopen: Reopen = Box::new(move || open_sled(&again, "hezhou", StoreOptions::default()));
    let ballast = Ballast::new(&data, ballast_mib);
    Guarded::new(engine, &data, reserve_mib, ballast, reopen)
}

/// Commits and flushes `n` events on record `r`, each with about `size` bytes.
fn write(store: &Guarded, r: u8, n: usize, size: usize) -> Result<(), StoreError> {
    for i in 0..n {
        let text = format!("{r}-{i}-{}", "x".repeat(size));
        store.commit(events_only(vec![new_event(&rid(r), &text)]))?;
    }
    store.flush()
}

#[test]
fn a_full_disk_stops_writes_at_once_keeps_reads_and_writes_resume_when_space_returns() {
    let fs = Tmpfs::mount(24);
    let store = guarded(fs.path(), 0, 4);
    store.maintain();
    let ballast = fs.path().join("data").join(ballast::FILE_NAME);
    assert!(ballast.exists(), "the first upkeep makes the ballast");
    write(&store, 1, 20, 1000).expect("writes before the disk fills");
    let held = store.last_seq().expect("last seq");
    let filler = fs.fill();

    // Write until the engine meets the full disk; then every write is refused at once.
    let mut failed = None;
    for round in 0..400 {
        if let Err(e) = write(&store, 2, 10, 4000) {
            failed = Some((round, e));
            break;
        }
    }
    let (_, first) = failed.expect("a write fails on the full disk");
    assert!(
        matches!(first, StoreError::Full(_) | StoreError::Io(_)),
        "{first:?}"
    );
    let started = Instant::now();
    let again = store.commit(events_only(vec![new_event(&rid(3), "after the fault")]));
    assert!(matches!(again, Err(StoreError::Stopped(_))), "{again:?}");
    assert!(started.elapsed() < Duration::from_millis(100));
    assert!(store.health().writable.is_err());

    // The upkeep gives up the ballast to reopen the engine: reads go on, writes do not.
    store.maintain();
    assert!(!ballast.exists());
    assert_eq!(store.health().reopens, 1);
    assert!(store.last_seq().expect("reads go on") >= held);
    let first_event = new_event(&rid(1), &format!("1-0-{}", "x".repeat(1000)));
    assert!(
        store.has_event(&first_event.id).expect("read"),
        "flushed data kept"
    );
    let still = store.commit(events_only(vec![new_event(&rid(3), "still full")]));
    assert!(matches!(still, Err(StoreError::Stopped(_))), "{still:?}");

    // Space returns: the next upkeep makes the ballast again and writes resume.
    std::fs::remove_file(filler).expect("remove filler");
    store.maintain();
    assert_eq!(store.health().writable, Ok(()));
    assert!(ballast.exists());
    write(&store, 4, 5, 100).expect("writes after space returned");
    assert!(store.last_seq().expect("last seq") >= held + 5);
}

#[test]
fn below_the_reserve_writes_are_refused_naming_the_setting_and_resume_by_themselves() {
    let fs = Tmpfs::mount(16);
    let store = guarded(fs.path(), 4, 0);
    write(&store, 1, 3, 100).expect("writes with space");
    let ballast = fs.fill();
    let refused = write(&store, 2, 1, 100).expect_err("refused below the reserve");
    let text = refused.to_string();
    assert!(text.contains("reserve_mb = 4"), "{text}");
    assert!(matches!(refused, StoreError::LowSpace { .. }));
    assert!(refused.is_unavailable());
    assert!(store.health().writable.is_err());
    std::fs::remove_file(ballast).expect("remove ballast");
    store.maintain();
    assert_eq!(store.health().writable, Ok(()));
    write(&store, 3, 3, 100).expect("writes resume");
    assert_eq!(
        store.health().reopens,
        0,
        "no reopen needed: the engine never failed"
    );
}
