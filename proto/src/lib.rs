//! Lianluo protocol: generated prost/tonic code for `lianluo.v1` and the encoded file
//! descriptor set (for gRPC reflection). No logic lives here.

#[allow(clippy::all, missing_docs, clippy::unwrap_used)]
mod generated {
    tonic::include_proto!("lianluo.v1");
}

pub use generated::*;

/// The encoded `FileDescriptorSet` of every Lianluo proto, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("lianluo_descriptor");
