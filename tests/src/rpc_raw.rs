//! Raw gRPC calls by descriptor: every method of a set of services read from the encoded
//! proto descriptor sets ([`methods`]), called with request bytes as they are
//! ([`call_on`], through the [`Raw`] codec), so one call path serves every method (the
//! authorization matrix test calls each RPC as each kind of caller).

use std::collections::BTreeMap;

use anyhow::{ensure, Context, Result};
use prost::Message;
use tonic::transport::Channel;
use tonic::Code;

// The descriptor messages (only the fields needed).

#[derive(Clone, PartialEq, Message)]
struct FileDescriptorSet {
    #[prost(message, repeated, tag = "1")]
    file: Vec<FileDescriptorProto>,
}

#[derive(Clone, PartialEq, Message)]
struct FileDescriptorProto {
    #[prost(string, optional, tag = "2")]
    package: Option<String>,
    #[prost(message, repeated, tag = "6")]
    service: Vec<ServiceDescriptorProto>,
}

#[derive(Clone, PartialEq, Message)]
struct ServiceDescriptorProto {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(message, repeated, tag = "2")]
    method: Vec<MethodDescriptorProto>,
}

#[derive(Clone, PartialEq, Message)]
struct MethodDescriptorProto {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    input_type: Option<String>,
    #[prost(bool, optional, tag = "5")]
    client_streaming: Option<bool>,
    #[prost(bool, optional, tag = "6")]
    server_streaming: Option<bool>,
}

/// One RPC as the descriptors define it.
#[derive(Debug, Clone)]
pub struct Method {
    /// `package.Service`.
    pub service: String,
    /// `Method`.
    pub name: String,
    /// `.package.Message`.
    pub input: String,
    pub client_streaming: bool,
    pub server_streaming: bool,
}

impl Method {
    /// `package.Service.Method`, as the table names it.
    pub fn full(&self) -> String {
        format!("{}.{}", self.service, self.name)
    }

    /// `/package.Service/Method`, the HTTP/2 path.
    pub fn path(&self) -> String {
        format!("/{}/{}", self.service, self.name)
    }
}

/// Every method of `services`, in the order of `services` then of the proto files.
pub fn methods(services: &[&str]) -> Result<Vec<Method>> {
    let sets = [
        lianluo_proto::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
    ];
    let mut all: BTreeMap<String, Vec<Method>> = BTreeMap::new();
    for set in sets {
        for file in FileDescriptorSet::decode(set)?.file {
            let package = file.package.unwrap_or_default();
            for svc in file.service {
                let service = format!("{package}.{}", svc.name.unwrap_or_default());
                let list = svc.method.into_iter().map(|m| Method {
                    service: service.clone(),
                    name: m.name.unwrap_or_default(),
                    input: m.input_type.unwrap_or_default(),
                    client_streaming: m.client_streaming.unwrap_or_default(),
                    server_streaming: m.server_streaming.unwrap_or_default(),
                });
                all.entry(service.clone()).or_default().extend(list);
            }
        }
    }
    let mut out = Vec::new();
    for s in services {
        let list = all
            .remove(*s)
            .with_context(|| format!("no descriptor defines the service {s}"))?;
        ensure!(!list.is_empty(), "{s} has no methods");
        out.extend(list);
    }
    Ok(out)
}

/// A codec that sends and receives raw bytes: one call path for every method.
#[derive(Clone, Copy, Default)]
pub struct Raw;

impl tonic::codec::Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;
    fn encoder(&mut self) -> Raw {
        Raw
    }
    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl tonic::codec::Encoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(
        &mut self,
        item: Vec<u8>,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        bytes::BufMut::put_slice(dst, &item);
        Ok(())
    }
}

impl tonic::codec::Decoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        let n = bytes::Buf::remaining(src);
        Ok(Some(bytes::Buf::copy_to_bytes(src, n).to_vec()))
    }
}

/// The gRPC name of a status code, as the table shows it.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Calls `m` once on the open channel: the status of a unary call, or of opening a
/// stream and reading its first message.
pub async fn call_on(channel: Channel, m: &Method, body: Vec<u8>) -> Result<(), tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let path = tonic::codegen::http::uri::PathAndQuery::try_from(m.path())
        .map_err(|e| tonic::Status::internal(e.to_string()))?;
    let mut stream = match (m.client_streaming, m.server_streaming) {
        (false, false) => {
            grpc.unary(tonic::Request::new(body), path, Raw).await?;
            return Ok(());
        }
        (false, true) => grpc
            .server_streaming(tonic::Request::new(body), path, Raw)
            .await?
            .into_inner(),
        (true, _) => {
            let requests = tokio_stream::iter([body]);
            grpc.streaming(tonic::Request::new(requests), path, Raw)
                .await?
                .into_inner()
        }
    };
    stream.message().await.map(drop)
}
