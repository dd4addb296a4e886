//! Replication: the node side of the sync protocol (placeholder).
