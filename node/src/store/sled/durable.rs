//! Durability sled 0.34 does not give by itself.
//!
//! `Db::flush` writes sled's buffers and makes them stable with `sync_file_range`, which
//! on Linux persists neither the file's metadata (its size, when the log grew) nor the
//! device's write cache; and values sled stores as separate blob files are written with no
//! sync at all. After each flush, [`Durable::sync`] therefore `fdatasync`s the database
//! file and `fsync`s every blob file not synced before (and the blob directory, so their
//! names survive). One call serves every write the group commit acknowledges at once.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::super::StoreError;

/// Open handles on sled's files, for syncing them.
pub(super) struct Durable {
    db_file: File,
    blobs: PathBuf,
    /// Blob files already synced (blob files are written once, never changed).
    synced: Mutex<HashSet<OsString>>,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::io(format_args!("{what} {}", path.display()), &e)
}

impl Durable {
    /// Handles on the database in `db_path` (after sled opened it).
    pub(super) fn open(db_path: &Path) -> Result<Durable, StoreError> {
        let file = db_path.join("db");
        let db_file = File::open(&file).map_err(|e| io("open", &file, e))?;
        let blobs = db_path.join("blobs");
        // Blobs present at start were written by an earlier run: the first sync covers
        // them once.
        Ok(Durable {
            db_file,
            blobs,
            synced: Mutex::new(HashSet::new()),
        })
    }

    /// Makes everything sled has written durable.
    pub(super) fn sync(&self) -> Result<(), StoreError> {
        self.db_file
            .sync_data()
            .map_err(|e| io("sync", &self.blobs.with_file_name("db"), e))?;
        self.sync_blobs()
    }

    /// Makes the database directory's entries durable (its files' names, once created).
    pub(super) fn sync_dir(&self) -> Result<(), StoreError> {
        let dir = self.blobs.parent().unwrap_or(&self.blobs);
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io("sync", dir, e))
    }

    fn sync_blobs(&self) -> Result<(), StoreError> {
        let entries = match std::fs::read_dir(&self.blobs) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io("read", &self.blobs, e)),
        };
        let mut synced = self.synced.lock().unwrap_or_else(|e| e.into_inner());
        let mut present = HashSet::new();
        let mut new = false;
        for entry in entries {
            let entry = entry.map_err(|e| io("read", &self.blobs, e))?;
            let name = entry.file_name();
            present.insert(name.clone());
            if synced.contains(&name) {
                continue;
            }
            let path = entry.path();
            match File::open(&path) {
                Ok(f) => f.sync_all().map_err(|e| io("sync", &path, e))?,
                // sled removes blobs it no longer needs; a removed one needs no sync.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io("open", &path, e)),
            }
            synced.insert(name);
            new = true;
        }
        // Blobs sled removed are forgotten, so the set stays as big as the directory.
        synced.retain(|n| present.contains(n));
        if new {
            File::open(&self.blobs)
                .and_then(|d| d.sync_all())
                .map_err(|e| io("sync", &self.blobs, e))?;
        }
        Ok(())
    }
}
