//! Node service (placeholder).
