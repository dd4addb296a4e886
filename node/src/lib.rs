//! Lianluo city node: the domain (records, state machines, the deterministic fold),
//! storage behind the [`store::Store`] trait, the client-facing gRPC services, config, and
//! everything the `lianluo` binary runs.

pub mod backup;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod domain;
pub mod error;
pub mod http;
pub mod ingest;
pub mod local;
pub mod locks;
pub mod members;
pub mod metrics;
pub mod projection;
pub mod recount;
pub mod render;
pub mod replication;
pub mod server;
pub mod service;
pub mod state;
pub mod store;
pub mod upgrade;
