//! Subcommands of the `lianluo` binary.

pub mod backup;
pub mod client;
pub mod demo;
pub mod node;
pub mod tls;
