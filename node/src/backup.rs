//! Offline backup and restore of a node's data dir (`lianluo backup`, `lianluo restore`).
//!
//! A backup is one file (format in [`format`]): a header, the signer certificates needed to
//! verify the events, every event of the local log in log order, and a checksum. From a
//! STOPPED node the store is opened directly; a RUNNING node streams the same file while
//! it serves ([`online`]: its log up to its durable head, a consistent prefix). The file
//! is written to a temp file, synced and renamed, so a half-written backup never carries
//! the final name.
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
pub mod online;
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
    /// The running node's backup stream failed, or the node could not be reached.
    #[error("online backup failed: {0}; nothing was written")]
    Stream(String),
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
    /// Signer certificates (DER) to include, as sent with an online backup's request.
    pub signer_ders: Vec<Vec<u8>>,
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
    let to_stdout = out == Path::new("-");
    if !to_stdout && out.exists() {
        return Err(BackupError::OutExists {
            path: out.to_path_buf(),
        });
    }
    let store = open_offline(config)?;
    let last_seq = store.last_seq()?;
    let snapshot = Snapshot::take(config, store.as_ref(), options, last_seq)?;
    if to_stdout {
        let stdout = Path::new("standard output");
        let io = |e| BackupError::io("write", stdout, e);
        let mut w = snapshot.write(BufWriter::new(std::io::stdout().lock()), store.as_ref(), io)?;
        w.flush().map_err(io)?;
        return Ok(snapshot.summary(stdout, 0));
    }
    write_atomically(out, |file, tmp| {
        let io = |e| BackupError::io("write", tmp, e);
        let buf = snapshot.write(BufWriter::new(file), store.as_ref(), io)?;
        buf.into_inner().map_err(|e| io(e.into_error()))
    })?;
    let size = fs::metadata(out)
        .map_err(|e| BackupError::io("stat", out, e))?
        .len();
    Ok(snapshot.summary(out, size))
}

/// What a backup holds: the log up to a seq, and the certificates that verify it.
pub(crate) struct Snapshot {
    header: format::Header,
    certs: BTreeMap<String, Vec<u8>>,
}

impl Snapshot {
    /// The log of `store` up to `last_seq` (entries up to it never change, so a running
    /// node's log can be read while it grows), with every signer certificate it needs.
    pub(crate) fn take(
        config: &Config,
        store: &dyn Store,
        options: &BackupOptions,
        last_seq: u64,
    ) -> Result<Snapshot, BackupError> {
        let certs = signer_certs(config, store, options)?;
        let events = check_log(store, &certs, last_seq)?;
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
        Ok(Snapshot { header, certs })
    }

    /// Writes the backup file into `out`; `io` names where a write failed.
    pub(crate) fn write<W: std::io::Write>(
        &self,
        out: W,
        store: &dyn Store,
        io: impl Fn(std::io::Error) -> BackupError,
    ) -> Result<W, BackupError> {
        let header = &self.header;
        let mut w = format::Writer::start(out, header).map_err(&io)?;
        for der in self.certs.values() {
            w.cert(der).map_err(&io)?;
        }
        let mut written = 0u64;
        for_each_event(store, header.last_seq, |e| {
            written += 1;
            w.event(&e.signed).map_err(&io)
        })?;
        if written != header.events {
            return Err(BackupError::Store(StoreError::Corrupt(format!(
                "the log changed while it was read ({} then {written} events)",
                header.events
            ))));
        }
        w.finish().map_err(io)
    }

    /// The summary of this backup written to `file` of `size` bytes.
    pub(crate) fn summary(&self, file: &Path, size: u64) -> BackupSummary {
        BackupSummary {
            city: self.header.city.clone(),
            log_id: self.header.log_id.clone(),
            events: self.header.events,
            last_seq: self.header.last_seq,
            signer_certs: self.header.signer_certs,
            file: file.to_path_buf(),
            size,
        }
    }
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
    for (i, der) in options.signer_ders.iter().enumerate() {
        directory.add_cert(der).map_err(|e| BackupError::Cert {
            what: format!("--signer-cert #{}", i + 1),
            reason: e.to_string(),
        })?;
        certs.insert(lianluo_certs::cert_sha256_hex(der), der.clone());
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

/// Counts the log's events up to `last_seq` and checks every signer they name is in
/// `certs`.
fn check_log(
    store: &dyn Store,
    certs: &BTreeMap<String, Vec<u8>>,
    last_seq: u64,
) -> Result<u64, BackupError> {
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
    Ok(events)
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

/// Writes `path` through a temp file in the same dir: write, fsync, rename, fsync dir.
/// The temp file is removed when anything fails.
pub(crate) fn write_atomically(
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
