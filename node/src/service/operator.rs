//! `lianluo.v1.Operator` on the federation port: what the host's operator does to the
//! running node with the node's own certificate (see [`crate::local`]). Today: the online
//! backup.

use std::pin::Pin;
use std::sync::Arc;

use lianluo_proto::operator_server::Operator;
use lianluo_proto::{BackupChunk, BackupRequest};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::state::NodeState;

/// The Operator service over a node's shared state.
#[derive(Clone)]
pub struct OperatorService {
    state: Arc<NodeState>,
}

impl OperatorService {
    /// A service over `state`.
    pub fn new(state: Arc<NodeState>) -> Self {
        Self { state }
    }
}

type ChunkStream = Pin<Box<dyn tokio_stream::Stream<Item = Result<BackupChunk, Status>> + Send>>;

#[tonic::async_trait]
impl Operator for OperatorService {
    type BackupStream = ChunkStream;

    async fn backup(
        &self,
        req: Request<BackupRequest>,
    ) -> Result<Response<Self::BackupStream>, Status> {
        let cfg = &self.state.config;
        crate::local::own_node_only(&req, &cfg.trust_domain, &cfg.city)?;
        let signer_ders = req.into_inner().signer_certs;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let state = self.state.clone();
        let failed = tx.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = crate::backup::online::serve(&state, signer_ders, tx) {
                tracing::error!(error = %e, "online backup failed");
                let _ = failed.blocking_send(Err(Status::unavailable(e.to_string())));
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}
