//! [`ReloadableServerConfig`] and [`ReloadableClientConfig`]: the current TLS
//! configuration, replaceable at run time when certificates, keys or CRLs change on disk
//! (file watch or SIGHUP; no restart, DESIGN §3).

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use rustls::{ClientConfig, ServerConfig};
use tracing::Instrument;

use super::{client_config, server_config, TlsError, TlsFiles};

/// Builds a configuration from files.
type Loader<C> = fn(&TlsFiles) -> Result<Arc<C>, TlsError>;

/// A TLS configuration in use, shared by every clone. New connections use
/// [`current`](Self::current); established ones keep the configuration they started with.
pub struct Reloadable<C> {
    inner: Arc<Inner<C>>,
}

/// The server configuration of a listener (client API or federation).
pub type ReloadableServerConfig = Reloadable<ServerConfig>;
/// The client configuration a node dials its peers with (read on every dial).
pub type ReloadableClientConfig = Reloadable<ClientConfig>;

struct Inner<C> {
    files: Option<TlsFiles>,
    load: Loader<C>,
    current: RwLock<Arc<C>>,
    // Fingerprint of the files' contents at the last load attempt.
    seen: Mutex<Option<Vec<u8>>>,
}

impl<C> Clone for Reloadable<C> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<C> std::fmt::Debug for Reloadable<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloadable")
            .field("files", &self.inner.files)
            .finish()
    }
}

impl ReloadableServerConfig {
    /// Loads the configuration from `files` (see [`server_config`]).
    pub fn load(files: TlsFiles) -> Result<ReloadableServerConfig, TlsError> {
        Reloadable::from_files(files, server_config)
    }
}

impl ReloadableClientConfig {
    /// Loads the configuration from `files` (see [`client_config`]).
    pub fn load(files: TlsFiles) -> Result<ReloadableClientConfig, TlsError> {
        Reloadable::from_files(files, client_config)
    }
}

impl<C: Send + Sync + 'static> Reloadable<C> {
    fn from_files(files: TlsFiles, load: Loader<C>) -> Result<Self, TlsError> {
        let seen = fingerprint(&files);
        let config = load(&files)?;
        Ok(Reloadable {
            inner: Arc::new(Inner {
                files: Some(files),
                load,
                current: RwLock::new(config),
                seen: Mutex::new(Some(seen)),
            }),
        })
    }

    /// A fixed configuration (not backed by files; [`reload`](Self::reload) is a no-op).
    pub fn fixed(config: Arc<C>) -> Self {
        fn never<C>(_: &TlsFiles) -> Result<Arc<C>, TlsError> {
            Err(TlsError::Config(
                "a fixed tls configuration cannot be reloaded".into(),
            ))
        }
        Reloadable {
            inner: Arc::new(Inner {
                files: None,
                load: never::<C>,
                current: RwLock::new(config),
                seen: Mutex::new(None),
            }),
        }
    }

    /// The files this configuration is loaded from, if any.
    pub fn files(&self) -> Option<&TlsFiles> {
        self.inner.files.as_ref()
    }

    /// The configuration for the next connection.
    pub fn current(&self) -> Arc<C> {
        self.inner
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Re-reads the files and swaps the configuration in. On error the previous
    /// configuration stays in use and the error is returned.
    pub fn reload(&self) -> Result<(), TlsError> {
        let Some(files) = &self.inner.files else {
            return Ok(());
        };
        let seen = fingerprint(files);
        *self
            .inner
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(seen);
        let config = (self.inner.load)(files)?;
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner) = config;
        Ok(())
    }

    /// Whether the files differ from what was last loaded (or tried).
    fn changed(&self) -> bool {
        let Some(files) = &self.inner.files else {
            return false;
        };
        let now = fingerprint(files);
        self.inner
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            != Some(&now)
    }

    /// Spawns a task (span `tls-reload`) that checks the files every `interval` and
    /// reloads when any changed, logging the outcome. Abort the handle to stop it.
    pub fn watch(&self, interval: Duration) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        let span = tracing::info_span!("tls-reload");
        tokio::spawn(
            async move {
                let mut tick = tokio::time::interval(interval);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    if !this.changed() {
                        continue;
                    }
                    match this.reload() {
                        Ok(()) => tracing::info!("tls files changed; configuration reloaded"),
                        Err(e) => tracing::warn!(
                            "tls files changed but the new configuration is unusable, \
                             keeping the previous one: {e}"
                        ),
                    }
                }
            }
            .instrument(span),
        )
    }
}

impl<C: Send + Sync + 'static> From<Arc<C>> for Reloadable<C> {
    fn from(config: Arc<C>) -> Self {
        Reloadable::fixed(config)
    }
}

/// SHA-256 over every file's path and contents (or read error). Contents rather than
/// mtimes: a rewrite within the file system's timestamp granularity is still seen.
fn fingerprint(files: &TlsFiles) -> Vec<u8> {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let paths = [&files.cert, &files.key, &files.ca]
        .into_iter()
        .chain(files.crls.iter());
    for path in paths {
        ctx.update(path.as_os_str().as_encoded_bytes());
        ctx.update(&[0]);
        match std::fs::read(path) {
            Ok(bytes) => {
                ctx.update(&(bytes.len() as u64).to_le_bytes());
                ctx.update(&bytes);
            }
            Err(e) => ctx.update(format!("\0error {:?}", e.kind()).as_bytes()),
        }
    }
    ctx.finish().as_ref().to_vec()
}
