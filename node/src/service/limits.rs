//! Request-size limit errors as DESIGN §8 has them: tonic refuses an over-limit request
//! with OUT_OF_RANGE; clients get RESOURCE_EXHAUSTED with a message that names the limit.

use std::task::{Context, Poll};

use tonic::codegen::http::{HeaderValue, Response};
use tower::{Layer, Service};

/// gRPC status codes on the wire.
const OUT_OF_RANGE: &str = "11";
const RESOURCE_EXHAUSTED: &str = "8";

/// Rewrites tonic's "decoded message length too large" status.
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
    let too_large = h.get("grpc-status").is_some_and(|v| v == OUT_OF_RANGE)
        && h.get("grpc-message")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|m| {
                m.contains("message%20length%20too%20large")
                    || m.contains("message length too large")
            });
    if !too_large {
        return;
    }
    // Spaces may go unencoded in grpc-message; this text has no other special bytes.
    let msg = format!(
        "request too large: this node accepts requests of at most {max} bytes (limits.max_request_bytes); send less text or ask the node's admin"
    );
    if let Ok(v) = HeaderValue::from_str(&msg) {
        h.insert("grpc-status", HeaderValue::from_static(RESOURCE_EXHAUSTED));
        h.insert("grpc-message", v);
    }
}
