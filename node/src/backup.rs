//! Offline backup and restore of a node's data dir (`lianluo backup`, `lianluo restore`).
//!
//! A backup is one file (format in [`format`]): a header, the signer certificates needed to
//! verify the events, every event of the local log in log order, and a checksum. It is
//! taken from a STOPPED node: the store is opened directly, and a data dir locked by a
//! running node is refused ("stop the node first"). The file is written to a temp file,
//! synced and renamed, so a half-written backup never carries the final name.
//!
//! Restoring re-verifies every event against the root CA of the config and the backup's
//! signer certificates (kept in the new store, so shared history verifies before any
//! peer reconnects), refolds every record and commits into a FRESH store with a new
//! random `log_id` (the restored log may be shorter than what peers saw, so peers must
//! restart their cursors at 0: DESIGN §5). Cursors are not restored: peers re-send
//! everything, filling in what came after the backup, and duplicates are dropped by id.
//! Client idempotency keys are not restored either. A non-empty data dir is only replaced
//! with `force`, and then moved aside to `<data_dir>.before-restore-<unix time>`, never
//! deleted. The new store is built in a staging dir next to the data dir and renamed into
//! place only when complete, so a damaged backup leaves the data dir untouched.

pub mod format;
mod restore;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lianluo_federation::envelope::SignerDirectory;

use crate::config::Config;
use crate::store::{self, Store, StoreError};

pub use restore::{restore, RestoreOptions, RestoreSummary};

/// Events read from the store per page.
const PAGE: usize = 1024;

/// The data dir's identity file; its presence means the dir holds a node's data.
const DATA_FILE: &str = "lianluo-data.toml";

/// Why a backup or restore failed. Nothing is changed in the data dir when it fails.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// A file operation failed.
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        /// What was attempted ("create", "read", "rename", …).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The store could not be opened or read.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A running node holds the data dir.
    #[error(
        "data dir {} is in use by a running lianluo node; backup and restore work offline: \
         stop the node first, then retry",
        dir.display()
    )]
    NodeRunning {
        /// The data dir.
        dir: PathBuf,
    },
    /// There is no node data to back up.
    #[error("data dir {} holds no node data ({DATA_FILE} is missing); check data_dir in the config", dir.display())]
    NoData {
        /// The data dir.
        dir: PathBuf,
    },
    /// The output file exists already.
    #[error("{} already exists; choose another --out file or move the old one away", path.display())]
    OutExists {
        /// The file.
        path: PathBuf,
    },
    /// A signer certificate is unusable.
    #[error("signer certificate {what}: {reason}")]
    Cert {
        /// Which certificate (a path or its place in the backup).
        what: String,
        /// Why.
        reason: String,
    },
    /// Some events are signed by certificates that are not available.
    #[error(
        "{count} signer certificate(s) used by stored events are not available (first: {first}); \
         pass each city's signer certificate with --signer-cert FILE"
    )]
    MissingSigners {
        /// How many fingerprints are missing.
        count: usize,
        /// The first missing fingerprint and the city it signed for.
        first: String,
    },
    /// The file is not a readable backup.
    #[error("{} is not a usable lianluo backup: {reason}; nothing was restored", path.display())]
    NotABackup {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The backup belongs to another city.
    #[error(
        "the backup is of city {backup_city}, but the config is for {config_city}; \
         restore it with {backup_city}'s node config"
    )]
    WrongCity {
        /// City in the backup header.
        backup_city: String,
        /// City of the config.
        config_city: String,
    },
    /// An event of the backup does not verify.
    #[error(
        "event #{index} of the backup does not verify: {reason}; the backup is damaged or \
         was tampered with, nothing was restored"
    )]
    BadEvent {
        /// 1-based position of the event in the backup.
        index: u64,
        /// Why.
        reason: String,
    },
    /// The target data dir holds data and `force` was not given.
    #[error(
        "data dir {} is not empty; restore does not overwrite it: pass --force to move it \
         aside to {}.before-restore-<unix time> (nothing is deleted)",
        dir.display(), dir.display()
    )]
    NotEmpty {
        /// The data dir.
        dir: PathBuf,
    },
}

impl BackupError {
    fn io(what: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Extra inputs of [`backup`].
#[derive(Debug, Clone, Default)]
pub struct BackupOptions {
    /// Signer certificate PEM files to include besides this city's own and the ones found
    /// in the PKI directory (`<dir of tls.ca>/<peer>/signer.pem`).
    pub signer_certs: Vec<PathBuf>,
}

/// What [`backup`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupSummary {
    /// The city.
    pub city: String,
    /// The backed-up log id.
    pub log_id: String,
    /// Events written.
    pub events: u64,
    /// Highest log seq.
    pub last_seq: u64,
    /// Signer certificates written.
    pub signer_certs: u64,
    /// The backup file.
    pub file: PathBuf,
    /// Its size in bytes.
    pub size: u64,
}

/// Backs up the (stopped) node of `config` into the new file `out`.
pub fn backup(
    config: &Config,
    out: &Path,
    options: &BackupOptions,
) -> Result<BackupSummary, BackupError> {
    if out.exists() {
        return Err(BackupError::OutExists {
            path: out.to_path_buf(),
        });
    }
    let store = open_offline(config)?;
    let certs = signer_certs(config, store.as_ref(), options)?;
    let (events, last_seq) = check_log(store.as_ref(), &certs)?;
    let header = format::Header {
        city: config.city.clone(),
        log_id: store.meta().log_id.clone(),
        schema_version: store.meta().schema_version,
        last_seq,
        events,
        signer_certs: certs.len() as u64,
        created_at: now_rfc3339(),
        lianluo_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    write_atomically(out, |file, tmp| {
        write_backup(file, tmp, store.as_ref(), &header, &certs)
    })?;
    let size = fs::metadata(out)
        .map_err(|e| BackupError::io("stat", out, e))?
        .len();
    Ok(BackupSummary {
        city: header.city,
        log_id: header.log_id,
        events,
        last_seq,
        signer_certs: header.signer_certs,
        file: out.to_path_buf(),
        size,
    })
}

/// Opens the store of a stopped node; a running node's lock is reported as such.
fn open_offline(config: &Config) -> Result<Arc<dyn Store>, BackupError> {
    let dir = &config.data_dir;
    if !dir.join(DATA_FILE).is_file() {
        return Err(BackupError::NoData { dir: dir.clone() });
    }
    crate::upgrade::open(dir, &config.city, config.store_options()).map_err(|e| match e {
        StoreError::Locked { dir } => BackupError::NodeRunning { dir },
        other => BackupError::Store(other),
    })
}

/// Signer certificates by fingerprint: this city's, the ones the store kept (learnt from
/// peers), the peers' found in the PKI dir and the given ones; each must chain to the
/// root CA of the config.
fn signer_certs(
    config: &Config,
    store: &dyn Store,
    options: &BackupOptions,
) -> Result<BTreeMap<String, Vec<u8>>, BackupError> {
    let directory = load_directory(config)?;
    let mut certs = BTreeMap::new();
    let pki = config.tls.ca.parent().unwrap_or_else(|| Path::new("."));
    let found = config
        .peers
        .iter()
        .map(|p| pki.join(&p.city).join("signer.pem"))
        .filter(|p| p.is_file())
        .filter_map(|p| lianluo_certs::read_cert_der(&p).ok());
    // Kept and found ones are a convenience: an unusable one is skipped (the events it
    // would verify are then reported as missing their signer).
    for der in store.signer_certs()?.into_iter().chain(found) {
        if directory.add_cert(&der).is_ok() {
            certs.insert(lianluo_certs::cert_sha256_hex(&der), der);
        }
    }
    let required = std::iter::once(&config.tls.signer_cert).chain(&options.signer_certs);
    for path in required {
        let what = path.display().to_string();
        let der = lianluo_certs::read_cert_der(path).map_err(|e| BackupError::Cert {
            what: what.clone(),
            reason: e.to_string(),
        })?;
        directory.add_cert(&der).map_err(|e| BackupError::Cert {
            what,
            reason: e.to_string(),
        })?;
        certs.insert(lianluo_certs::cert_sha256_hex(&der), der);
    }
    Ok(certs)
}

/// A signer directory trusting the root CA of the config.
fn load_directory(config: &Config) -> Result<SignerDirectory, BackupError> {
    SignerDirectory::load(&config.tls.ca, &config.trust_domain).map_err(|e| BackupError::Cert {
        what: format!("root CA {} (tls.ca)", config.tls.ca.display()),
        reason: e.to_string(),
    })
}

/// Counts the log's events and checks every signer they name is in `certs`.
fn check_log(
    store: &dyn Store,
    certs: &BTreeMap<String, Vec<u8>>,
) -> Result<(u64, u64), BackupError> {
    let last_seq = store.last_seq()?;
    let mut missing = BTreeMap::new();
    let mut events = 0u64;
    for_each_event(store, last_seq, |e| {
        events += 1;
        let sha = e.signed.signer_cert_sha256.to_ascii_lowercase();
        if !certs.contains_key(&sha) {
            missing.entry(sha).or_insert_with(|| e.record_id.clone());
        }
        Ok(())
    })?;
    if let Some((sha, record)) = missing.iter().next() {
        return Err(BackupError::MissingSigners {
            count: missing.len(),
            first: format!("{sha}, used by record {record}"),
        });
    }
    Ok((events, last_seq))
}

/// Calls `f` for every logged event with seq up to `last_seq`, in log order.
fn for_each_event(
    store: &dyn Store,
    last_seq: u64,
    mut f: impl FnMut(&store::StoredEvent) -> Result<(), BackupError>,
) -> Result<(), BackupError> {
    let mut after = 0;
    loop {
        let page = store.log_after(after, PAGE)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.seq;
        for e in page.iter().filter(|e| e.seq <= last_seq) {
            f(e)?;
        }
        if after >= last_seq {
            return Ok(());
        }
    }
}

fn write_backup(
    file: fs::File,
    tmp: &Path,
    store: &dyn Store,
    header: &format::Header,
    certs: &BTreeMap<String, Vec<u8>>,
) -> Result<fs::File, BackupError> {
    let io = |e| BackupError::io("write", tmp, e);
    let mut w = format::Writer::start(BufWriter::new(file), header).map_err(io)?;
    for der in certs.values() {
        w.cert(der).map_err(io)?;
    }
    let mut written = 0u64;
    for_each_event(store, header.last_seq, |e| {
        written += 1;
        w.event(&e.signed).map_err(io)
    })?;
    if written != header.events {
        return Err(BackupError::Store(StoreError::Corrupt(format!(
            "the log changed while it was read ({} then {written} events)",
            header.events
        ))));
    }
    let buf = w.finish().map_err(io)?;
    buf.into_inner().map_err(|e| io(e.into_error()))
}

/// Writes `path` through a temp file in the same dir: write, fsync, rename, fsync dir.
/// The temp file is removed when anything fails.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(fs::File, &Path) -> Result<fs::File, BackupError>,
) -> Result<(), BackupError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".to_string());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let file = fs::File::create(&tmp).map_err(|e| BackupError::io("create", &tmp, e))?;
        let mut file = write(file, &tmp)?;
        file.flush()
            .and_then(|()| file.sync_all())
            .map_err(|e| BackupError::io("sync", &tmp, e))?;
        drop(file);
        fs::rename(&tmp, path).map_err(|e| BackupError::io("rename to", path, e))?;
        sync_dir(&dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Makes renames in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| BackupError::io("sync", dir, e))
}

fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
