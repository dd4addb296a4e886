//! The tower layer that counts every gRPC call of a tonic server in [`RpcMetrics`].
//!
//! A call's status code is read where gRPC puts it: `grpc-status` in the response headers
//! (a trailers-only error) or in the trailers after the messages (normal completion). A
//! call whose response is dropped before its status was sent — the client went away, or
//! the server's timeout cut it — counts as `CANCELLED`, as the client sees it. Latency runs
//! from the request to the status, so for a server stream it is the stream's lifetime.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use http_body::{Body, Frame, SizeHint};
use tonic::codegen::http::{HeaderMap, Request, Response};
use tower::{Layer, Service};

use super::rpc::{code_name, Call, Port, RpcMetrics};

/// Counts calls on one listener; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct RpcMetricsLayer {
    metrics: RpcMetrics,
    port: Port,
}

impl RpcMetricsLayer {
    /// Counts calls on `port` into `metrics`.
    pub fn new(metrics: RpcMetrics, port: Port) -> Self {
        RpcMetricsLayer { metrics, port }
    }
}

impl<S> Layer<S> for RpcMetricsLayer {
    type Service = Metered<S>;
    fn layer(&self, inner: S) -> Metered<S> {
        Metered {
            inner,
            metrics: self.metrics.clone(),
            port: self.port,
        }
    }
}

/// See [`RpcMetricsLayer`].
#[derive(Debug, Clone)]
pub struct Metered<S> {
    inner: S,
    metrics: RpcMetrics,
    port: Port,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Metered<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    ResBody: Body,
{
    type Response = Response<MeteredBody<ResBody>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let call = self.metrics.call(self.port, req.uri().path());
        // Armed before the handler runs: dropping the future counts as CANCELLED.
        let pending = Pending {
            metrics: self.metrics.clone(),
            call,
            start: Instant::now(),
            done: false,
        };
        let fut = self.inner.call(req);
        Box::pin(async move {
            let resp = match fut.await {
                Ok(resp) => resp,
                Err(e) => {
                    // tonic's routes never fail (errors are statuses); a transport
                    // error is reported to the client as UNKNOWN.
                    pending.finish("UNKNOWN");
                    return Err(e);
                }
            };
            let (parts, body) = resp.into_parts();
            let pending = match status(&parts.headers) {
                Some(code) => {
                    pending.finish(code);
                    None
                }
                None => Some(pending),
            };
            let body = MeteredBody {
                inner: Box::pin(body),
                pending,
            };
            Ok(Response::from_parts(parts, body))
        })
    }
}

fn status(headers: &HeaderMap) -> Option<&'static str> {
    headers.get("grpc-status").map(|v| code_name(v.as_bytes()))
}

/// A call whose status is not known yet. Counted exactly once: by [`Pending::finish`], or
/// as `CANCELLED` when dropped unfinished.
struct Pending {
    metrics: RpcMetrics,
    call: Call,
    start: Instant,
    done: bool,
}

impl Pending {
    fn finish(mut self, code: &'static str) {
        self.record(code);
    }

    fn record(&mut self, code: &'static str) {
        if !self.done {
            self.done = true;
            self.metrics.record(&self.call, code, self.start.elapsed());
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.record("CANCELLED");
    }
}

/// A response body that counts its call when the trailers pass (or when it is dropped
/// before they did).
pub struct MeteredBody<B> {
    // Boxed so this body is Unpin whatever `B` is.
    inner: Pin<Box<B>>,
    pending: Option<Pending>,
}

impl<B> MeteredBody<B> {
    fn finish(&mut self, code: &'static str) {
        if let Some(p) = self.pending.take() {
            p.finish(code);
        }
    }
}

impl<B: Body> Body for MeteredBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let polled = this.inner.as_mut().poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    this.finish(status(trailers).unwrap_or("UNKNOWN"));
                }
            }
            // The server resets the stream; clients read that as INTERNAL.
            Poll::Ready(Some(Err(_))) => this.finish("INTERNAL"),
            // Ended without a status: clients read that as UNKNOWN.
            Poll::Ready(None) => this.finish("UNKNOWN"),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
