//! The client-facing gRPC services (`lianluo.v1.Records` here; `Node` and `Dashboard` in
//! their modules). Handlers identify the caller from the verified client certificate,
//! check the role, then run the write or read path.

pub mod auth;
pub mod concurrency;
pub mod dashboard;
pub mod export;
pub mod limits;
pub mod list;
pub mod node;
pub mod operator;
pub mod read;
pub mod watch;
mod write;

use std::sync::Arc;

use lianluo_proto::records_server::Records;
use lianluo_proto::{
    ActRequest, CreateRequest, ExportRequest, ExportResponse, GetRequest, ListRequest,
    ListResponse, Record, WatchRequest, WhoAmIRequest, WhoAmIResponse,
};
use tonic::{Request, Response, Status};

pub use auth::Caller;
pub use write::blocking;

use crate::state::NodeState;

/// The Records service over a node's shared state.
#[derive(Clone)]
pub struct RecordsService {
    state: Arc<NodeState>,
    /// Turns true when the node shuts down (ends `Watch` streams); `None`: never.
    stop: Option<tokio::sync::watch::Receiver<bool>>,
}

impl RecordsService {
    /// A service over `state`.
    pub fn new(state: Arc<NodeState>) -> Self {
        Self { state, stop: None }
    }

    /// Ends the service's streams when `stop` turns true (or its sender is dropped).
    pub fn with_shutdown(mut self, stop: tokio::sync::watch::Receiver<bool>) -> Self {
        self.stop = Some(stop);
        self
    }
}

#[tonic::async_trait]
impl Records for RecordsService {
    async fn create(&self, req: Request<CreateRequest>) -> Result<Response<Record>, Status> {
        let caller = auth::writer(&self.state, &req, "create records")?;
        let rec = write::create(&self.state, &caller, req.into_inner()).await?;
        Ok(Response::new(rec))
    }

    async fn act(&self, req: Request<ActRequest>) -> Result<Response<Record>, Status> {
        let caller = auth::writer(&self.state, &req, "change records")?;
        let rec = write::act(&self.state, &caller, req.into_inner()).await?;
        Ok(Response::new(rec))
    }

    async fn get(&self, req: Request<GetRequest>) -> Result<Response<Record>, Status> {
        auth::caller(&self.state, &req)?;
        let req = req.into_inner();
        let rec = read::get_checked(&self.state, &req.id, req.verify).await?;
        Ok(Response::new(rec))
    }

    async fn list(&self, req: Request<ListRequest>) -> Result<Response<ListResponse>, Status> {
        auth::caller(&self.state, &req)?;
        let resp = read::list(&self.state, req.into_inner()).await?;
        Ok(Response::new(resp))
    }

    type WatchStream = watch::WatchStream;

    async fn watch(
        &self,
        req: Request<WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        auth::caller(&self.state, &req)?;
        let since = req.into_inner().since;
        let stream = watch::start(self.state.clone(), since, self.stop.clone());
        Ok(Response::new(stream))
    }

    async fn who_am_i(
        &self,
        req: Request<WhoAmIRequest>,
    ) -> Result<Response<WhoAmIResponse>, Status> {
        let c = auth::caller(&self.state, &req)?;
        Ok(Response::new(WhoAmIResponse {
            city: self.state.config.city.clone(),
            user: c.user,
            role: c.role.as_str().to_string(),
            node_city: self.state.config.city.clone(),
        }))
    }

    async fn export(
        &self,
        req: Request<ExportRequest>,
    ) -> Result<Response<ExportResponse>, Status> {
        auth::caller(&self.state, &req)?;
        let resp = export::export(&self.state, req.into_inner()).await?;
        Ok(Response::new(resp))
    }
}
