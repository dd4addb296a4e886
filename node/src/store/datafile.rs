//! `<data dir>/lianluo-data.toml`: a small human-readable note of whose data a directory
//! holds (city, log id, schema version, creation time), written once at creation.
//!
//! It is read before the database is opened, so a directory of another city or a newer
//! schema is refused without touching anything in it.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{StoreError, StoreMeta, SCHEMA_VERSION};

/// File name of the note inside the data dir.
pub(super) const FILE_NAME: &str = "lianluo-data.toml";

const HEADER: &str = "# Lianluo data directory. Written once when the directory was created; \
                      do not edit.\n# The node refuses to open this directory for any other \
                      city.\n";

/// Contents of `lianluo-data.toml` (unknown keys from newer versions are ignored here; the
/// schema version decides whether this build may open the dir).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct DataFile {
    pub city: String,
    pub log_id: String,
    pub schema_version: u32,
    pub created_at: String,
}

impl DataFile {
    /// A note for a new data dir of `city`, with a fresh random log id.
    pub(super) fn create(city: &str) -> Result<Self, StoreError> {
        Ok(Self {
            city: city.to_string(),
            log_id: new_log_id()?,
            schema_version: SCHEMA_VERSION,
            created_at: now_rfc3339(),
        })
    }

    pub(super) fn meta(&self) -> StoreMeta {
        StoreMeta {
            city: self.city.clone(),
            log_id: self.log_id.clone(),
            schema_version: self.schema_version,
        }
    }

    /// Refuses a dir of another city or of a newer schema.
    pub(super) fn check(&self, dir: &Path, city: &str) -> Result<(), StoreError> {
        if self.city != city {
            return Err(StoreError::WrongCity {
                dir: dir.to_path_buf(),
                data_city: self.city.clone(),
                config_city: city.to_string(),
            });
        }
        if self.schema_version > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found: self.schema_version,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(())
    }
}

/// Reads the note, or `None` when the dir has none.
pub(super) fn read(dir: &Path) -> Result<Option<DataFile>, StoreError> {
    let path = dir.join(FILE_NAME);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::Io(format!("read {}: {e}", path.display()))),
    };
    toml::from_str(&text).map(Some).map_err(|e| {
        StoreError::Corrupt(format!(
            "{} is not a valid lianluo data file ({}); restore it from a backup",
            path.display(),
            e.message()
        ))
    })
}

/// Writes the note atomically: a temp file, fsync, rename, fsync of the dir.
pub(super) fn write(dir: &Path, file: &DataFile) -> Result<(), StoreError> {
    let path = dir.join(FILE_NAME);
    let tmp = dir.join(format!("{FILE_NAME}.tmp"));
    let io = |what: &str, p: &Path, e: std::io::Error| {
        StoreError::io(format_args!("{what} {}", p.display()), &e)
    };
    let body = toml::to_string(file)
        .map_err(|e| StoreError::Io(format!("encode {}: {e}", path.display())))?;
    let mut out = fs::File::create(&tmp).map_err(|e| io("create", &tmp, e))?;
    out.write_all(format!("{HEADER}{body}").as_bytes())
        .and_then(|()| out.sync_all())
        .map_err(|e| io("write", &tmp, e))?;
    drop(out);
    fs::rename(&tmp, &path).map_err(|e| io("rename to", &path, e))?;
    // The rename is only durable once the directory entry is.
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("sync", dir, e))
}

/// 32 random lowercase hex chars.
fn new_log_id() -> Result<String, StoreError> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| StoreError::Io("the system random source failed".to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_datafile_round_trips_and_checks_city_and_schema() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(read(dir.path()), Ok(None));
        let file = DataFile::create("hezhou").expect("create");
        assert_eq!(file.log_id.len(), 32);
        assert!(file
            .log_id
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        write(dir.path(), &file).expect("write");
        assert!(!dir.path().join(format!("{FILE_NAME}.tmp")).exists());
        let back = read(dir.path()).expect("read").expect("present");
        assert_eq!(back, file);
        assert!(back.check(dir.path(), "hezhou").is_ok());
        assert!(matches!(
            back.check(dir.path(), "qingyuan"),
            Err(StoreError::WrongCity { .. })
        ));
        let newer = DataFile {
            schema_version: SCHEMA_VERSION + 1,
            ..back
        };
        assert_eq!(
            newer.check(dir.path(), "hezhou"),
            Err(StoreError::SchemaTooNew {
                found: SCHEMA_VERSION + 1,
                supported: SCHEMA_VERSION
            })
        );
    }

    #[test]
    fn store_datafile_garbage_is_corrupt() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join(FILE_NAME), "city = 3\n").expect("write");
        assert!(matches!(read(dir.path()), Err(StoreError::Corrupt(_))));
    }
}
