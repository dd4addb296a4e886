//! Subcommands of the `lianluo` binary.

pub mod client;
pub mod demo;
pub mod node;
pub mod tls;
