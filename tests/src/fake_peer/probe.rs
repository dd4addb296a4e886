//! Talking to a real node's federation service as a peer would: [`fetch_events`] pulls
//! its log as seen by one city, [`sync_probe`] checks whether a certificate gets a `Sync`
//! call through. Blocking (each call runs its own small tokio runtime).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use lianluo_federation::tls::{client_config, connect_peer, TlsError, TlsFiles};
use lianluo_proto::federation_client::FederationClient;
use lianluo_proto::{SyncEvent, SyncRequest};

use super::TRUST_DOMAIN;

/// How long a probe may take in all (connect, handshake, response).
const PROBE_TIMEOUT: Duration = Duration::from_secs(15);

/// `city`'s node identity (`pki/<city>/node.pem` + key) trusting the root CA
/// (`pki/root-ca.pem`, CRL `pki/root-ca.crl.pem`).
pub fn node_files(pki: &Path, city: &str) -> TlsFiles {
    TlsFiles {
        cert: pki.join(city).join("node.pem"),
        key: pki.join(city).join("node.key"),
        ca: pki.join("root-ca.pem"),
        crls: vec![pki.join("root-ca.crl.pem")],
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    lianluo_federation::install_crypto_provider();
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Opens `Sync` (from the start of the log) at `endpoint` (`https://host:port`) with the
/// client identity `files`, requiring the server to be `server_city`'s node.
async fn open_sync(
    endpoint: &str,
    files: &TlsFiles,
    server_city: &str,
) -> Result<tonic::codec::Streaming<lianluo_proto::SyncBatch>> {
    let config = client_config(files).context("client tls configuration")?;
    let channel = connect_peer(endpoint, config, TRUST_DOMAIN, server_city)
        .await
        .context("connect")?;
    let response = FederationClient::new(channel)
        .sync(SyncRequest::default())
        .await
        .context("sync refused")?;
    Ok(response.into_inner())
}

/// Connects to `endpoint` with the client identity `files` and calls `Sync`: `Ok` when
/// the call is answered (response headers, and no error within the first second of the
/// stream), `Err` (with the reason) when the certificate is refused at any step.
pub fn sync_probe(endpoint: &str, files: &TlsFiles, server_city: &str) -> Result<()> {
    runtime()?.block_on(async {
        let probe = async {
            let mut stream = open_sync(endpoint, files, server_city).await?;
            // A refusal after the headers would come as the stream's first item.
            match tokio::time::timeout(Duration::from_secs(1), stream.message()).await {
                Ok(Err(s)) => Err(anyhow::Error::new(s).context("sync stream failed")),
                Ok(Ok(_)) | Err(_) => Ok(()),
            }
        };
        tokio::time::timeout(PROBE_TIMEOUT, probe)
            .await
            .map_err(|_| anyhow!("no answer within {PROBE_TIMEOUT:?}"))?
    })
}

/// Whether `err` (from [`sync_probe`]) is the SERVER refusing us: a TLS alert against
/// our certificate, or a `Sync` answered with `PERMISSION_DENIED` / `UNAUTHENTICATED`.
/// Local problems (unreadable files, a server certificate we reject, no connection) are
/// not refusals.
pub fn server_refused(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        if let Some(tls) = cause.downcast_ref::<TlsError>() {
            return matches!(tls, TlsError::RefusedByPeer { .. });
        }
        cause.downcast_ref::<tonic::Status>().is_some_and(|s| {
            matches!(
                s.code(),
                tonic::Code::PermissionDenied | tonic::Code::Unauthenticated
            )
        })
    })
}

/// Pulls `endpoint`'s log from the start as the node of `files` (e.g. [`node_files`] of a
/// peer city), requiring the server to be `server_city`'s node, until a batch says the
/// stream has caught up with the server's head (or `PROBE_TIMEOUT`). Returns every event
/// received, in log order.
pub fn fetch_events(endpoint: &str, files: &TlsFiles, server_city: &str) -> Result<Vec<SyncEvent>> {
    runtime()?.block_on(async {
        let deadline = Instant::now() + PROBE_TIMEOUT;
        let mut stream = open_sync(endpoint, files, server_city).await?;
        let mut events = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let batch = tokio::time::timeout(left, stream.message())
                .await
                .map_err(|_| anyhow!("not caught up with {endpoint} within {PROBE_TIMEOUT:?}"))?
                .map_err(|s| anyhow!("sync stream failed: {:?}: {}", s.code(), s.message()))?
                .ok_or_else(|| anyhow!("{endpoint} ended the sync stream before catching up"))?;
            events.extend(batch.events);
            if batch.covered_seq >= batch.head_seq {
                return Ok(events);
            }
        }
    })
}
