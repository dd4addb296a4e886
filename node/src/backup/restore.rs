//! `restore`: verify a backup, rebuild a fresh store from it in a staging dir, then move it
//! into place (the old data dir, if any and allowed, moved aside first).

use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use lianluo_federation::envelope::SignerDirectory;

use super::format::{Header, Reader};
use super::{load_directory, sync_dir, unix_now, BackupError, DATA_FILE};
use crate::config::Config;
use crate::domain::EventId;
use crate::ingest::{self, Incoming};
use crate::store::{self, Store, StoreError, SCHEMA_VERSION};

/// Events (or records) committed to the new store per commit.
const CHUNK: usize = 512;

/// Options of [`restore`].
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// Replace a non-empty data dir (it is moved aside, never deleted).
    pub force: bool,
}

/// What [`restore`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RestoreSummary {
    /// The city.
    pub city: String,
    /// The backup file.
    pub file: PathBuf,
    /// When the backup was taken.
    pub backup_created_at: String,
    /// Log id of the node that was backed up.
    pub backup_log_id: String,
    /// Highest log seq of the backed-up node.
    pub backup_last_seq: u64,
    /// The restored node's new log id (peers restart their cursors at 0).
    pub log_id: String,
    /// Events restored.
    pub events: u64,
    /// Records rebuilt.
    pub records: u64,
    /// Records without a valid creation event (events kept, no view).
    pub records_without_view: u64,
    /// Where the previous data dir was moved, if it was replaced.
    pub moved_aside: Option<PathBuf>,
    /// The restored data dir.
    pub data_dir: PathBuf,
}

/// What [`build`] made.
struct Built {
    log_id: String,
    events: u64,
    records: u64,
    without_view: u64,
}

/// Restores the backup `from` into the data dir of `config`; the node must be stopped.
/// On any error the data dir is left as it was.
pub fn restore(
    config: &Config,
    from: &Path,
    options: &RestoreOptions,
) -> Result<RestoreSummary, BackupError> {
    let file = fs::File::open(from).map_err(|e| BackupError::io("open", from, e))?;
    let mut reader =
        Reader::open(BufReader::new(file)).map_err(|e| not_backup(from, e.to_string()))?;
    let header = reader.header.clone();
    check_header(config, &header)?;
    let directory = load_directory(config)?;
    let certs = read_certs(&mut reader, &directory, from)?;
    let dir = &config.data_dir;
    let occupied = check_target(config, options)?;
    let staging = sibling(
        dir,
        &format!("restoring-{}-{}", unix_now(), std::process::id()),
    );
    let built = match build(config, &staging, reader, &directory, from, &certs) {
        Ok(b) => b,
        Err(e) => {
            // The staging dir is ours and incomplete.
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let moved_aside = if occupied {
        Some(move_aside(dir)?)
    } else {
        if dir.exists() {
            // Checked empty above: nothing is lost.
            fs::remove_dir(dir).map_err(|e| BackupError::io("remove empty", dir, e))?;
        }
        None
    };
    fs::rename(&staging, dir).map_err(|e| BackupError::io("rename into", dir, e))?;
    if let Some(parent) = dir.parent() {
        sync_dir(parent)?;
    }
    Ok(RestoreSummary {
        city: config.city.clone(),
        file: from.to_path_buf(),
        backup_created_at: header.created_at,
        backup_log_id: header.log_id,
        backup_last_seq: header.last_seq,
        log_id: built.log_id,
        events: built.events,
        records: built.records,
        records_without_view: built.without_view,
        moved_aside,
        data_dir: dir.clone(),
    })
}

fn not_backup(path: &Path, reason: String) -> BackupError {
    BackupError::NotABackup {
        path: path.to_path_buf(),
        reason,
    }
}

/// Refuses a backup of another city or of a newer schema.
fn check_header(config: &Config, header: &Header) -> Result<(), BackupError> {
    if header.city != config.city {
        return Err(BackupError::WrongCity {
            backup_city: header.city.clone(),
            config_city: config.city.clone(),
        });
    }
    if header.schema_version > SCHEMA_VERSION {
        return Err(BackupError::Store(StoreError::SchemaTooNew {
            found: header.schema_version,
            supported: SCHEMA_VERSION,
        }));
    }
    Ok(())
}

/// Reads the backup's signer certificates into `directory` (each must chain to the root
/// CA) and returns them.
fn read_certs<R: BufRead>(
    reader: &mut Reader<R>,
    directory: &SignerDirectory,
    from: &Path,
) -> Result<Vec<Vec<u8>>, BackupError> {
    let mut certs = Vec::new();
    for i in 0..reader.header.signer_certs {
        let der = reader.cert().map_err(|e| not_backup(from, e.to_string()))?;
        directory.add_cert(&der).map_err(|e| BackupError::Cert {
            what: format!("#{} of the backup", i + 1),
            reason: e.to_string(),
        })?;
        certs.push(der);
    }
    Ok(certs)
}

/// Whether the data dir holds anything; refuses unless `force`, and refuses a dir a
/// running node holds.
fn check_target(config: &Config, options: &RestoreOptions) -> Result<bool, BackupError> {
    let dir = &config.data_dir;
    let mut entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(BackupError::io("read", dir, e)),
    };
    if entries.next().is_none() {
        return Ok(false);
    }
    if !options.force {
        return Err(BackupError::NotEmpty { dir: dir.clone() });
    }
    if dir.join(DATA_FILE).is_file() {
        // Opening takes the node's lock: a running node must not lose its dir. Other
        // failures (another city, damage) are what --force is for.
        if let Err(StoreError::Locked { dir }) =
            store::open_sled(dir, &config.city, config.store_options())
        {
            return Err(BackupError::NodeRunning { dir });
        }
    }
    Ok(true)
}

/// Builds a fresh store in `staging` from the rest of the backup, checking every event
/// and the checksum, and applying the events in log order as they would arrive.
fn build<R: BufRead>(
    config: &Config,
    staging: &Path,
    mut reader: Reader<R>,
    directory: &SignerDirectory,
    from: &Path,
    certs: &[Vec<u8>],
) -> Result<Built, BackupError> {
    let store = store::open_sled(staging, &config.city, config.store_options())?;
    // Kept so the restored node verifies other cities' events at once (flushed below).
    store.add_signer_certs(certs)?;
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut events = 0u64;
    for index in 1..=reader.header.events {
        let signed = reader
            .event()
            .map_err(|e| not_backup(from, e.to_string()))?;
        // History check, as for stored events: a signer revoked or expired since these
        // events were accepted must not make a restore fail (their signatures, the
        // backup's checksum and the author cities are still checked).
        let verified = directory
            .verify_history(&signed)
            .map_err(|e| BackupError::BadEvent {
                index,
                reason: e.to_string(),
            })?;
        chunk.push(Incoming {
            id: EventId::of_body(&signed.body),
            signed,
            body: verified.body,
            verified: true,
        });
        if chunk.len() == CHUNK {
            events += commit_events(store.as_ref(), &config.city, &mut chunk)?;
        }
    }
    events += commit_events(store.as_ref(), &config.city, &mut chunk)?;
    reader
        .finish()
        .map_err(|e| not_backup(from, e.to_string()))?;
    let (records, without_view) = count_records(store.as_ref())?;
    store.flush()?;
    Ok(Built {
        log_id: store.meta().log_id.clone(),
        events,
        records,
        without_view,
    })
}

fn commit_events(
    store: &dyn Store,
    own: &str,
    chunk: &mut Vec<Incoming>,
) -> Result<u64, BackupError> {
    if chunk.is_empty() {
        return Ok(0);
    }
    let planned = ingest::plan(store, own, std::mem::take(chunk))?;
    let seqs = store.commit(planned.commit)?;
    Ok(seqs.len() as u64)
}

/// Records with a view, and records whose events hold no valid creation.
fn count_records(store: &dyn Store) -> Result<(u64, u64), BackupError> {
    let (mut records, mut without_view) = (0u64, 0u64);
    let mut after = None;
    loop {
        let page = store.records_after(after.as_ref(), CHUNK)?;
        let Some((last, _)) = page.last() else {
            return Ok((records, without_view));
        };
        after = Some(last.clone());
        for (_, entry) in &page {
            if entry.state.is_some() {
                records += 1;
            } else {
                without_view += 1;
            }
        }
    }
}

/// Renames `dir` to `<dir>.before-restore-<unix time>` (a free variant of that name).
fn move_aside(dir: &Path) -> Result<PathBuf, BackupError> {
    let base = format!("before-restore-{}", unix_now());
    let mut target = sibling(dir, &base);
    let mut n = 1;
    while target.exists() {
        n += 1;
        target = sibling(dir, &format!("{base}-{n}"));
    }
    fs::rename(dir, &target).map_err(|e| BackupError::io("move aside", dir, e))?;
    Ok(target)
}

/// `<dir>.<suffix>`, next to `dir`.
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(dir.as_os_str());
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}
