//! Request errors as DESIGN §8 has them, for every service: tonic refuses an over-limit
//! request with OUT_OF_RANGE, and a request that is not valid protobuf with INTERNAL (as
//! if the node were at fault); clients get RESOURCE_EXHAUSTED with a message that names
//! the limit, and INVALID_ARGUMENT saying the request does not decode.

use std::task::{Context, Poll};

use tonic::codegen::http::{HeaderValue, Response};
use tower::{Layer, Service};

/// gRPC status codes on the wire.
const OUT_OF_RANGE: &str = "11";
const RESOURCE_EXHAUSTED: &str = "8";
const INTERNAL: &str = "13";
const INVALID_ARGUMENT: &str = "3";

/// Rewrites tonic's "decoded message length too large" and "failed to decode Protobuf
/// message" statuses.
#[derive(Debug, Clone, Copy)]
pub struct SizeLimitLayer {
    /// The configured limit, named in the message.
    pub max_request_bytes: usize,
}

impl<S> Layer<S> for SizeLimitLayer {
    type Service = SizeLimit<S>;
    fn layer(&self, inner: S) -> SizeLimit<S> {
        SizeLimit {
            inner,
            max: self.max_request_bytes,
        }
    }
}

/// See [`SizeLimitLayer`].
#[derive(Debug, Clone)]
pub struct SizeLimit<S> {
    inner: S,
    max: usize,
}

impl<S, Req, B> Service<Req> for SizeLimit<S>
where
    S: Service<Req, Response = Response<B>>,
    S::Future: Send + 'static,
{
    type Response = Response<B>;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response<B>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let fut = self.inner.call(req);
        let max = self.max;
        Box::pin(async move {
            let mut resp = fut.await?;
            rewrite(&mut resp, max);
            Ok(resp)
        })
    }
}

fn rewrite<B>(resp: &mut Response<B>, max: usize) {
    let h = resp.headers_mut();
    let status = h.get("grpc-status").and_then(|v| v.to_str().ok());
    let message = h.get("grpc-message").and_then(|v| v.to_str().ok());
    let says = |text: &str| {
        message.is_some_and(|m| m.contains(text) || m.contains(&text.replace(' ', "%20")))
    };
    // Spaces may go unencoded in grpc-message; these texts have no other special bytes.
    let (code, msg) = if status == Some(OUT_OF_RANGE) && says("message length too large") {
        (
            RESOURCE_EXHAUSTED,
            format!(
                "request too large: this node accepts requests of at most {max} bytes \
                 (limits.max_request_bytes); send less text or ask the node's admin"
            ),
        )
    } else if status == Some(INTERNAL) && says("failed to decode Protobuf message") {
        (
            INVALID_ARGUMENT,
            "the request is not a valid protobuf message for this method; check that the \
             client uses this node's lianluo.v1 protos (reflection serves them)"
                .to_owned(),
        )
    } else {
        return;
    };
    if let Ok(v) = HeaderValue::from_str(&msg) {
        h.insert("grpc-status", HeaderValue::from_static(code));
        h.insert("grpc-message", v);
    }
}
