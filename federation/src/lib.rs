//! Lianluo federation.
