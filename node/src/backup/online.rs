//! Backup of a RUNNING node (`lianluo backup` when the node holds its data dir): the
//! node streams a consistent snapshot over `lianluo.v1.Operator/Backup` to its own
//! certificate (see [`crate::local`]), and the command writes it to a file.
//!
//! Consistent because the log is append-only: the backup holds every entry up to the
//! node's durable head when the call starts (entries at or below it never change), with
//! every signer certificate the node holds, in the same format as an offline backup. Writes
//! go on meanwhile; they are simply not in it. Restore stays offline.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use lianluo_proto::operator_client::OperatorClient;
use lianluo_proto::{BackupChunk, BackupRequest};
use tokio::sync::mpsc;

use super::{BackupError, BackupOptions, BackupSummary, Snapshot};
use crate::config::Config;
use crate::state::NodeState;

/// Bytes per streamed chunk.
const CHUNK: usize = 256 * 1024;

/// How long the command waits to reach the node.
const CONNECT: Duration = Duration::from_secs(10);

/// Writes a backup of the running node of `state` into chunks sent on `tx`, up to the
/// durable head now, with `signer_ders` besides the signer certificates it holds.
/// Blocking: run it on a blocking thread.
pub fn serve(
    state: &NodeState,
    signer_ders: Vec<Vec<u8>>,
    tx: mpsc::Sender<Result<BackupChunk, tonic::Status>>,
) -> Result<(), BackupError> {
    let last_seq = *state.durable.borrow();
    let store = state.store.as_ref();
    // The peers in force, so a city joined by a reload has its signer file looked up too.
    let mut config = state.config.clone();
    config.peers = state.members.current().peers.clone();
    let options = BackupOptions {
        signer_ders,
        ..BackupOptions::default()
    };
    let snapshot = Snapshot::take(&config, store, &options, last_seq)?;
    let out = ChunkWriter {
        tx,
        buf: Vec::with_capacity(CHUNK),
    };
    let gone = |e: std::io::Error| BackupError::Stream(e.to_string());
    let mut out = snapshot.write(out, store, gone)?;
    out.flush().map_err(gone)?;
    tracing::info!(
        events = snapshot.header.events,
        last_seq,
        "online backup streamed"
    );
    Ok(())
}

/// Sends what is written in chunks of [`CHUNK`] bytes.
struct ChunkWriter {
    tx: mpsc::Sender<Result<BackupChunk, tonic::Status>>,
    buf: Vec<u8>,
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let data = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .blocking_send(Ok(BackupChunk { data }))
            .map_err(|_| std::io::Error::other("the backup's caller went away"))
    }
}

/// Takes a backup of the node of `config` running on this host into the new file `out`
/// (`-`: standard output), through the node's federation port with its own certificate;
/// `signer_certs` (PEM files) are sent for the node to include.
pub async fn fetch(
    config: &Config,
    out: &Path,
    signer_certs: &[std::path::PathBuf],
) -> Result<BackupSummary, BackupError> {
    let to_stdout = out == Path::new("-");
    if !to_stdout && out.exists() {
        return Err(BackupError::OutExists {
            path: out.to_path_buf(),
        });
    }
    let mut request = BackupRequest::default();
    for path in signer_certs {
        let der = lianluo_certs::read_cert_der(path).map_err(|e| BackupError::Cert {
            what: path.display().to_string(),
            reason: e.to_string(),
        })?;
        request.signer_certs.push(der);
    }
    let channel = crate::local::channel(config, CONNECT)
        .await
        .map_err(|e| BackupError::Stream(e.to_string()))?;
    let mut stream = OperatorClient::new(channel)
        .max_decoding_message_size(2 * CHUNK)
        .backup(request)
        .await
        .map_err(|s| BackupError::Stream(s.message().to_string()))?
        .into_inner();
    let (tx, rx) = mpsc::channel::<Vec<u8>>(8);
    let target = out.to_path_buf();
    let writer = tokio::task::spawn_blocking(move || write_received(&target, rx));
    let mut failure = None;
    loop {
        match stream.message().await {
            Ok(Some(chunk)) => {
                if tx.send(chunk.data).await.is_err() {
                    break;
                }
            }
            Ok(None) => break,
            Err(s) => {
                failure = Some(BackupError::Stream(s.message().to_string()));
                break;
            }
        }
    }
    // A failed stream must not leave a file: the writer sees the channel close early and
    // the checksum check fails; say why the stream ended instead.
    drop(tx);
    let written = writer
        .await
        .map_err(|e| BackupError::Stream(format!("writing the backup: {e}")))?;
    if let Some(f) = failure {
        return Err(f);
    }
    written
}

/// Writes the received bytes to `out`: to standard output as they come (`-`), or to a
/// temp file that is read back as a backup file (magic, header, every item, checksum)
/// before it takes its name.
fn write_received(
    out: &Path,
    mut rx: mpsc::Receiver<Vec<u8>>,
) -> Result<BackupSummary, BackupError> {
    let mut write_all = |w: &mut dyn Write| -> std::io::Result<u64> {
        let mut size = 0u64;
        while let Some(data) = rx.blocking_recv() {
            w.write_all(&data)?;
            size += data.len() as u64;
        }
        w.flush()?;
        Ok(size)
    };
    if out == Path::new("-") {
        let stdout = Path::new("standard output");
        let size = write_all(&mut std::io::stdout().lock())
            .map_err(|e| BackupError::io("write", stdout, e))?;
        return Ok(BackupSummary {
            city: String::new(),
            log_id: String::new(),
            events: 0,
            last_seq: 0,
            signer_certs: 0,
            file: stdout.to_path_buf(),
            size,
        });
    }
    let mut checked = None;
    super::write_atomically(out, |mut file, tmp| {
        let size = write_all(&mut file).map_err(|e| BackupError::io("write", tmp, e))?;
        checked = Some((check(tmp, out)?, size));
        Ok(file)
    })?;
    let (header, size) = checked.ok_or_else(|| BackupError::Stream("nothing written".into()))?;
    Ok(BackupSummary {
        city: header.city,
        log_id: header.log_id,
        events: header.events,
        last_seq: header.last_seq,
        signer_certs: header.signer_certs,
        file: out.to_path_buf(),
        size,
    })
}

/// Reads the file `tmp` (to become `out`) as a backup file, to its checksum.
fn check(tmp: &Path, out: &Path) -> Result<super::format::Header, BackupError> {
    let not = |reason: String| BackupError::NotABackup {
        path: out.to_path_buf(),
        reason: format!("the node sent an incomplete or damaged backup ({reason})"),
    };
    let file = std::fs::File::open(tmp).map_err(|e| BackupError::io("read", tmp, e))?;
    super::format::Reader::open(std::io::BufReader::new(file))
        .and_then(super::format::Reader::verify)
        .map_err(|e| not(e.to_string()))
}
