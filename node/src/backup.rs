//! Backup and restore of a node's data (placeholder).
