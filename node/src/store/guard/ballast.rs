//! The ballast: a file of `[store] ballast_mb` zeros the node keeps in its data dir, so
//! that on a full disk it can free room for itself. When the storage engine fails on a
//! full disk it must be reopened before it serves reads again, and opening writes; the
//! node removes its ballast to make that room (and a node that cannot start for lack of
//! space removes it and starts, serving reads). The ballast is made again once space is
//! back. After CockroachDB's emergency ballast.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The ballast file's name in the data dir.
pub const FILE_NAME: &str = "lianluo-ballast";

/// A data dir's ballast (none when its size is 0).
#[derive(Debug, Clone)]
pub struct Ballast {
    path: PathBuf,
    bytes: u64,
}

impl Ballast {
    /// The ballast of data dir `dir`, `mib` MiB (0: none).
    pub fn new(dir: &Path, mib: u64) -> Self {
        Ballast {
            path: dir.join(FILE_NAME),
            bytes: mib << 20,
        }
    }

    /// Its size in bytes (0 when there is none).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Makes the ballast if it is missing and `free` bytes leave room for it beside
    /// `reserve`; returns whether it is in place (always, when there is none to keep).
    pub fn ensure(&self, free: u64, reserve: u64) -> bool {
        if self.bytes == 0 || self.path.exists() {
            return true;
        }
        if free
            < reserve
                .saturating_add(self.bytes)
                .saturating_add(self.bytes)
        {
            return false;
        }
        match self.write() {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "cannot make the ballast file");
                let _ = std::fs::remove_file(&self.path);
                false
            }
        }
    }

    /// Removes the ballast; returns whether there was one.
    pub fn release(&self) -> bool {
        std::fs::remove_file(&self.path).is_ok()
    }

    fn write(&self) -> std::io::Result<()> {
        let tmp = self.path.with_extension("tmp");
        let mut f = File::create(&tmp)?;
        // Real blocks, not a sparse file: zeros written out.
        let chunk = vec![0u8; 1 << 20];
        let mut left = self.bytes;
        while left > 0 {
            let n = left.min(chunk.len() as u64);
            f.write_all(&chunk[..usize::try_from(n).unwrap_or(chunk.len())])?;
            left -= n;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, &self.path)
    }
}

/// Before a start retried for lack of space: removes the data dir's ballast; returns
/// whether there was one.
pub fn release_for_start(dir: &Path) -> bool {
    Ballast::new(dir, 1).release()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ballast_is_made_with_room_only_and_released() {
        let dir = tempfile::tempdir().expect("tempdir");
        let b = Ballast::new(dir.path(), 2);
        assert!(!b.ensure(3 << 20, 1 << 20), "no room beside the reserve");
        assert!(!dir.path().join(FILE_NAME).exists());
        assert!(b.ensure(100 << 20, 1 << 20));
        let len = std::fs::metadata(dir.path().join(FILE_NAME))
            .expect("made")
            .len();
        assert_eq!(len, 2 << 20);
        assert!(b.release());
        assert!(!b.release(), "gone");
        assert!(Ballast::new(dir.path(), 0).ensure(0, 0), "none to keep");
    }
}
