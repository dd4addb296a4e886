//! File helpers: atomic writes with the right mode from creation on (keys 0600, the rest
//! 0644), reads that name the file in their errors.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use crate::CertError;

/// Mode of private key files.
pub(crate) const KEY_MODE: u32 = 0o600;
/// Mode of certificates, CRLs and bookkeeping files.
pub(crate) const PUBLIC_MODE: u32 = 0o644;

/// Creates a directory (and its parents) if missing.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), CertError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
        .map_err(|e| CertError::io("create directory", dir, e))
}

/// Writes `data` to `path` atomically: a temporary file created with `mode` (never a
/// wider mode, not even for an instant), synced, then renamed over `path`.
pub(crate) fn write_atomic(path: &Path, data: &[u8], mode: u32) -> Result<(), CertError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    // A stale temporary from a crashed run would make create_new fail.
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(CertError::io("remove stale temporary file", &tmp, e)),
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(|e| CertError::io("create", &tmp, e))?;
    file.write_all(data)
        .and_then(|()| file.sync_all())
        .map_err(|e| CertError::io("write", &tmp, e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| CertError::io("rename into place", path, e))?;
    if let Some(dir) = path.parent() {
        // Best effort: make the rename itself durable.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Appends one line to a bookkeeping file, creating it with mode 0644.
pub(crate) fn append_line(path: &Path, line: &str) -> Result<(), CertError> {
    let mut file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(PUBLIC_MODE)
        .open(path)
        .map_err(|e| CertError::io("open for append", path, e))?;
    file.write_all(format!("{line}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| CertError::io("append to", path, e))
}

/// Reads a UTF-8 file, `None` if it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>, CertError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CertError::io("read", path, e)),
    }
}
