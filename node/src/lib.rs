//! Lianluo node.
