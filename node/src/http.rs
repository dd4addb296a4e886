//! HTTP listener (placeholder).
