//! Subcommands of the `lianluo` binary.

pub mod admin;
pub mod backup;
pub mod client;
pub mod demo;
pub mod health;
pub mod node;
pub mod tls;
