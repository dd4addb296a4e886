//! The node's TLS material at run time: the three reloadable TLS configurations (client
//! API, federation listener, dialling peers), re-read on file change or SIGHUP, and the
//! root CRL applied to the signer directory so a revoked signer's new events are refused.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use lianluo_federation::envelope::SignerDirectory;
use lianluo_federation::tls::{ReloadableClientConfig, ReloadableServerConfig};
use tokio::signal::unix::{signal, SignalKind};

use super::{node_files, ServeError, TLS_RELOAD_INTERVAL};
use crate::config::Config;
use crate::state::NodeState;

/// Applies the root CA's CRLs among `crls` to the signer directory: new events of a
/// revoked signer are refused from then on (CRLs of other issuers are skipped).
pub(super) fn apply_signer_crls(
    signers: &SignerDirectory,
    crls: &[PathBuf],
) -> Result<(), ServeError> {
    for path in crls {
        signers
            .apply_crl_file(path)
            .map_err(|e| ServeError::Tls(format!("tls.crls: {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Re-applies the CRLs to the signer directory (revocations add up, so re-applying is
/// harmless) off the async runtime, logging signers newly revoked since `revoked`.
async fn refresh_signer_crls(state: &Arc<NodeState>, revoked: &mut BTreeSet<String>) {
    let st = state.clone();
    let known = std::mem::take(revoked);
    let applied = tokio::task::spawn_blocking(move || {
        apply_signer_crls(&st.signers, &st.config.tls.crls)?;
        Ok::<_, ServeError>(log_new_revocations(&st.signers, known))
    })
    .await;
    match applied {
        Ok(Ok(now)) => *revoked = now,
        Ok(Err(e)) => tracing::warn!("signer CRLs not applied, keeping the previous ones: {e}"),
        Err(e) => tracing::warn!("signer CRL task failed: {e}"),
    }
}

/// Logs every known signer certificate revoked since `before`; returns the revoked set.
fn log_new_revocations(signers: &SignerDirectory, before: BTreeSet<String>) -> BTreeSet<String> {
    let mut now = BTreeSet::new();
    for der in signers.certs() {
        let sha = lianluo_certs::cert_sha256_hex(&der);
        let Some(info) = signers.signer(&sha) else {
            continue;
        };
        if info.revoked {
            if !before.contains(&sha) {
                tracing::warn!(
                    city = %info.city,
                    signer = %sha,
                    "signer certificate revoked by the root CRL: new events it signs are refused; its earlier events stay in history"
                );
            }
            now.insert(sha);
        }
    }
    now
}

/// The node's TLS configurations, each re-read when its files change or on SIGHUP.
#[derive(Clone)]
pub struct TlsSet {
    /// Client API: this city's user CA, CRLs.
    pub api: ReloadableServerConfig,
    /// Federation listener: the root CA, CRLs.
    pub federation: ReloadableServerConfig,
    /// Dialling peers: node certificate, root CA.
    pub client: ReloadableClientConfig,
}

impl TlsSet {
    /// Loads the three configurations from the config's files.
    pub fn load(cfg: &Config) -> Result<Self, ServeError> {
        let crls = cfg.tls.crls.clone();
        Ok(Self {
            api: ReloadableServerConfig::load(node_files(cfg, &cfg.tls.user_ca, crls.clone()))
                .map_err(|e| ServeError::Tls(format!("client api tls: {e}")))?,
            federation: ReloadableServerConfig::load(node_files(cfg, &cfg.tls.ca, crls))
                .map_err(|e| ServeError::Tls(format!("federation tls: {e}")))?,
            // Dial with the CRLs too: a peer whose node certificate is revoked is refused.
            client: ReloadableClientConfig::load(node_files(
                cfg,
                &cfg.tls.ca,
                cfg.tls.crls.clone(),
            ))
            .map_err(|e| ServeError::Tls(format!("federation client tls: {e}")))?,
        })
    }

    /// Polls the files every [`TLS_RELOAD_INTERVAL`] and reloads on SIGHUP, until `stop`.
    /// Keeps TLS material current until `stop`: each configuration polls its files every
    /// [`TLS_RELOAD_INTERVAL`]; one task re-applies the signer CRLs on the same interval,
    /// and on SIGHUP reloads all three configurations and the signer CRLs at once.
    pub(super) fn watch(
        &self,
        state: &Arc<NodeState>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let watchers = [
            self.api.watch(TLS_RELOAD_INTERVAL),
            self.federation.watch(TLS_RELOAD_INTERVAL),
            self.client.watch(TLS_RELOAD_INTERVAL),
        ];
        let (tls, state) = (self.clone(), state.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(TLS_RELOAD_INTERVAL);
            let mut hup = signal(SignalKind::hangup()).ok();
            let mut revoked = BTreeSet::new();
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    Some(()) = async { match hup.as_mut() { Some(h) => h.recv().await, None => None } } => {
                        tls.reload_all();
                    }
                    _ = stop.wait_for(|v| *v) => break,
                }
                refresh_signer_crls(&state, &mut revoked).await;
            }
            for w in watchers {
                w.abort();
            }
        });
    }

    fn reload_all(&self) {
        let results = [
            ("client api", self.api.reload()),
            ("federation", self.federation.reload()),
            ("federation client", self.client.reload()),
        ];
        for (what, r) in results {
            match r {
                Ok(()) => tracing::info!("sighup: {what} tls reloaded"),
                Err(e) => tracing::warn!(
                    "sighup: {what} tls not reloaded, keeping the previous configuration: {e}"
                ),
            }
        }
    }
}
