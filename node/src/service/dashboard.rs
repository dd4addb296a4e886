//! The client-facing `lianluo.v1.Dashboard` gRPC service: the federation's overview for
//! any configured user of this city (viewer and up).

use std::sync::Arc;

use lianluo_proto::dashboard_server::Dashboard;
use lianluo_proto::{OverviewRequest, OverviewResponse};
use tonic::{Request, Response, Status};

use super::auth;
use crate::state::NodeState;

/// The Dashboard service over a node's shared state.
#[derive(Clone)]
pub struct DashboardService {
    state: Arc<NodeState>,
}

impl DashboardService {
    /// A service over `state`.
    pub fn new(state: Arc<NodeState>) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl Dashboard for DashboardService {
    async fn overview(
        &self,
        req: Request<OverviewRequest>,
    ) -> Result<Response<OverviewResponse>, Status> {
        auth::caller(&self.state, &req)?;
        let resp = crate::dashboard::overview(&self.state, req.into_inner()).await?;
        Ok(Response::new(resp))
    }
}
