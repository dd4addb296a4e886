//! Opening a data dir: check whose it is before touching it, open sled with the configured
//! cache, reconcile the identity note with the database, and find where the log ends.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::RwLock;

use super::super::datafile::{self, DataFile};
use super::super::{keys, StoreError, StoreMeta, StoreOptions, COUNTERS_VERSION, SCHEMA_VERSION};
use super::{durable, engine, legacy, SledStore, DB_DIR};

pub(super) fn open(dir: &Path, city: &str, options: StoreOptions) -> Result<SledStore, StoreError> {
    let note = datafile::read(dir)?;
    if let Some(note) = &note {
        // Refuse before opening the database, so nothing in the dir changes.
        note.check(dir, city)?;
    }
    let db_path = dir.join(DB_DIR);
    if note.is_some() && !db_path.exists() {
        return Err(StoreError::Corrupt(format!(
            "{} has {} but no database at {}; restore the database from a backup, \
             or move the dir away to start with an empty one",
            dir.display(),
            datafile::FILE_NAME,
            db_path.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| StoreError::io(format_args!("create data dir {}", dir.display()), &e))?;
    let db = open_db(dir, &db_path, options)?;
    let durable = durable::Durable::open(&db_path)?;
    let (meta, schema) = match read_meta(&db)? {
        Some(stored) => {
            let schema = stored.schema_version;
            (reconcile(dir, city, stored, note)?, schema)
        }
        None if note.is_some() => {
            return Err(StoreError::Corrupt(format!(
                "the database in {} has no identity although {} exists; \
                 restore the data dir from a backup",
                db_path.display(),
                datafile::FILE_NAME
            )))
        }
        None => (initialize(dir, city, &db, &durable)?, SCHEMA_VERSION),
    };
    let is_legacy = schema < SCHEMA_VERSION;
    if is_legacy {
        // An upgrade interrupted by a crash starts again from the schema-1 content.
        legacy::clear(&db, &keys::V2_PREFIXES)?;
    } else {
        // Schema-1 keys an upgrade had not finished removing.
        legacy::clear(&db, &keys::LEGACY_PREFIXES)?;
    }
    let next_seq = read_next_seq(&db)?;
    Ok(SledStore {
        db,
        meta,
        next_seq: RwLock::new(next_seq),
        durable,
        legacy: AtomicBool::new(is_legacy),
        dir: dir.to_path_buf(),
        group: Default::default(),
    })
}

fn open_db(dir: &Path, db_path: &Path, options: StoreOptions) -> Result<::sled::Db, StoreError> {
    remove_incomplete_snapshots(db_path)?;
    // sled lets go of its file lock only when its background i/o threads are done with a
    // database just closed (by this process: a reopen, a test): the lock is tried again
    // for a moment before the dir counts as in use by another process.
    let mut attempts = 0;
    loop {
        let opened = ::sled::Config::new()
            .path(db_path)
            .cache_capacity(options.cache_bytes)
            .open();
        match opened {
            Ok(db) => return Ok(db),
            Err(::sled::Error::Io(io)) if io.to_string().contains("could not acquire lock") => {
                attempts += 1;
                if attempts >= LOCK_ATTEMPTS {
                    return Err(StoreError::Locked {
                        dir: dir.to_path_buf(),
                    });
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(other) => return Err(engine(other)),
        }
    }
}

/// Tries of sled's file lock, 50 ms apart, before a dir counts as in use.
const LOCK_ATTEMPTS: u32 = 20;

/// Removes snapshot files sled did not finish (`snap.<lsn>.generating`: written, synced,
/// then renamed to `snap.<lsn>`). A crash or a full disk while sled writes one leaves it
/// behind, and sled 0.34 would then read it as the newest snapshot and refuse the
/// database as corrupt although every byte of data is intact. Without it sled uses the
/// previous snapshot (or replays its log). sled 0.34 writes snapshots only while it
/// opens a database, and a second process opening the same dir is refused by sled's
/// lock right after, so no live snapshot is removed.
fn remove_incomplete_snapshots(db_path: &Path) -> Result<(), StoreError> {
    let entries = match std::fs::read_dir(db_path) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::Io(format!("read {}: {e}", db_path.display()))),
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            let path = entry.path();
            tracing::warn!(
                file = %path.display(),
                "removing an incomplete engine snapshot left by a crash; the data is intact"
            );
            std::fs::remove_file(&path)
                .map_err(|e| StoreError::Io(format!("remove {}: {e}", path.display())))?;
        }
    }
    Ok(())
}

/// The identity stored in the database, if it has one.
fn read_meta(db: &::sled::Db) -> Result<Option<DataFile>, StoreError> {
    let Some(city) = db.get(keys::META_CITY).map_err(engine)? else {
        return Ok(None);
    };
    let field = |key: &[u8], name: &str| -> Result<Vec<u8>, StoreError> {
        db.get(key)
            .map_err(engine)?
            .map(|v| v.to_vec())
            .ok_or_else(|| StoreError::Corrupt(format!("database identity has no {name}")))
    };
    let schema = field(keys::META_SCHEMA, "schema version")?;
    let schema: [u8; 4] = schema
        .as_slice()
        .try_into()
        .map_err(|_| StoreError::Corrupt("database schema version is not 4 bytes".into()))?;
    Ok(Some(DataFile {
        city: keys::decode_str("database city", &city)?,
        log_id: keys::decode_str("database log id", &field(keys::META_LOG_ID, "log id")?)?,
        schema_version: u32::from_be_bytes(schema),
        created_at: keys::decode_str("created_at", &field(keys::META_CREATED_AT, "created_at")?)?,
    }))
}

/// Checks the database identity against the config and the note; re-writes a missing or
/// outdated note (a crash between a database change and the note's).
fn reconcile(
    dir: &Path,
    city: &str,
    stored: DataFile,
    note: Option<DataFile>,
) -> Result<StoreMeta, StoreError> {
    stored.check(dir, city)?;
    match note {
        Some(note) if note.city != stored.city || note.log_id != stored.log_id => {
            Err(StoreError::Corrupt(format!(
                "{} says city {} log {}, but the database says city {} log {}; \
                 restore the data dir from a backup",
                dir.join(datafile::FILE_NAME).display(),
                note.city,
                note.log_id,
                stored.city,
                stored.log_id
            )))
        }
        Some(note) if note.schema_version == stored.schema_version => Ok(meta(&stored)),
        _ => {
            datafile::write(dir, &stored)?;
            Ok(meta(&stored))
        }
    }
}

/// What the store serves: the current layout (a schema-1 dir is upgraded before use).
fn meta(file: &DataFile) -> StoreMeta {
    StoreMeta {
        schema_version: SCHEMA_VERSION,
        ..file.meta()
    }
}

/// Gives a new database its identity: stored (and durable, files and directory entries)
/// first, then the note; a crash in between leaves a database the next start adopts.
fn initialize(
    dir: &Path,
    city: &str,
    db: &::sled::Db,
    durable: &durable::Durable,
) -> Result<StoreMeta, StoreError> {
    let note = DataFile::create(city)?;
    let mut batch = ::sled::Batch::default();
    batch.insert(keys::META_CITY, note.city.as_bytes());
    batch.insert(keys::META_LOG_ID, note.log_id.as_bytes());
    batch.insert(keys::META_SCHEMA, &SCHEMA_VERSION.to_be_bytes());
    batch.insert(keys::META_CREATED_AT, note.created_at.as_bytes());
    batch.insert(keys::META_COUNTERS, &COUNTERS_VERSION.to_be_bytes());
    db.apply_batch(batch).map_err(engine)?;
    db.flush().map_err(engine)?;
    durable.sync()?;
    durable.sync_dir()?;
    datafile::write(dir, &note)?;
    Ok(note.meta())
}

/// The next seq to assign: past the last log entry (the log is dense from 1).
fn read_next_seq(db: &::sled::Db) -> Result<u64, StoreError> {
    match db.scan_prefix(keys::LOG).next_back() {
        Some(entry) => {
            let (key, _) = entry.map_err(engine)?;
            Ok(keys::decode_u64("log key", &key[keys::LOG.len()..])? + 1)
        }
        None => Ok(1),
    }
}
