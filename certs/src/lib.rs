//! Lianluo PKI.
