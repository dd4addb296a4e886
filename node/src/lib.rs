//! Lianluo city node: the domain (records, state machines, the deterministic fold),
//! storage behind the [`store::Store`] trait, the client-facing gRPC services, config, and
//! everything the `lianluo` binary runs.

pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod server;
pub mod service;
pub mod state;
pub mod store;
