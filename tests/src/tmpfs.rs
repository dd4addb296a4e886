//! [`Tmpfs`]: a small tmpfs mounted by a test (as root) so a node's disk really fills up.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{ensure, Context as _, Result};

/// A tmpfs mounted on a directory; unmounted on drop.
pub struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `mib` MiB on `dir` (created if missing).
    pub fn mount(dir: &Path, mib: u64) -> Result<Tmpfs> {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir)
            .output()
            .context("run mount")?;
        ensure!(
            out.status.success(),
            "mounting a tmpfs on {} failed (this test must run as root): {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(Tmpfs {
            dir: dir.to_path_buf(),
        })
    }

    /// Fills the file system with a ballast file (leaving less than 64 KiB); removing it
    /// frees the space again.
    pub fn fill(&self) -> Result<PathBuf> {
        let ballast = self.dir.join("ballast");
        let mut f = std::fs::File::create(&ballast)
            .with_context(|| format!("create {}", ballast.display()))?;
        let chunk = vec![7u8; 64 << 10];
        while f.write_all(&chunk).is_ok() {}
        Ok(ballast)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: a process still holding a file there must not keep the mount.
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}
