//! The client-facing gRPC services (`lianluo.v1.Records` here; `Node` and `Dashboard` in
//! their modules). Handlers identify the caller from the verified client certificate,
//! check the role, then run the write or read path.

pub mod auth;
pub mod dashboard;
pub mod limits;
pub mod node;
pub mod read;
mod write;

use std::sync::Arc;

use lianluo_proto::records_server::Records;
use lianluo_proto::{
    ActRequest, CreateRequest, GetRequest, ListRequest, ListResponse, Record, WhoAmIRequest,
    WhoAmIResponse,
};
use tonic::{Request, Response, Status};

pub use auth::Caller;

use crate::state::NodeState;

/// The Records service over a node's shared state.
#[derive(Clone)]
pub struct RecordsService {
    state: Arc<NodeState>,
}

impl RecordsService {
    /// A service over `state`.
    pub fn new(state: Arc<NodeState>) -> Self {
        Self { state }
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
        let rec = read::get(&self.state, &req.into_inner().id).await?;
        Ok(Response::new(rec))
    }

    async fn list(&self, req: Request<ListRequest>) -> Result<Response<ListResponse>, Status> {
        auth::caller(&self.state, &req)?;
        let resp = read::list(&self.state, req.into_inner()).await?;
        Ok(Response::new(resp))
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
}
