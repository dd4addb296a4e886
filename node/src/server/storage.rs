//! Opening a node's store: the data dir upgraded if an older build wrote it, room made
//! by giving up the ballast when there is no space to open, and the guard that keeps it
//! safe on a full or failing disk (see `crate::store::Guarded`).

use std::sync::Arc;

use super::ServeError;
use crate::config::Config;
use crate::store::{self, Store, StoreError};

/// Opens the store of `config` on the blocking pool.
pub(super) async fn open(config: &Config) -> Result<Arc<dyn Store>, ServeError> {
    let dir = config.data_dir.clone();
    let city = config.city.clone();
    let options = config.store_options();
    let reserve = config.store_reserve_mb;
    let ballast = store::Ballast::new(&dir, config.store_ballast_mb);
    let opened = tokio::task::spawn_blocking(move || -> Result<Arc<dyn Store>, StoreError> {
        let (engine, full) = match crate::upgrade::open(&dir, &city, options) {
            // No room to open: the node's ballast is there for this.
            Err(StoreError::Full(e)) if store::release_for_start(&dir) => {
                tracing::warn!("no space to open the store ({e}): ballast removed, retrying");
                (crate::upgrade::open(&dir, &city, options)?, Some(e))
            }
            r => (r?, None),
        };
        let data_dir = dir.clone();
        let reopen: store::Reopen = Box::new(move || store::open_sled(&dir, &city, options));
        let guarded = store::Guarded::new(engine, &data_dir, reserve, ballast, reopen);
        if let Some(e) = full {
            // The ballast's room is for reads: writes wait until space is freed.
            guarded.stop_writes(StoreError::Full(format!(
                "{e}; the node started in the room of its ballast"
            )));
        }
        Ok(Arc::new(guarded))
    });
    opened
        .await
        .map_err(|e| ServeError::Serve(e.to_string()))?
        .map_err(ServeError::from)
}
