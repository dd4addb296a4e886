//! At most `limits.calls_per_caller` calls at once from one caller (one client
//! certificate) on the client API, and at most `limits.calls_per_second` new calls a
//! second (a token bucket holding two seconds' worth): a call over either gets
//! RESOURCE_EXHAUSTED naming the limit at once, before any work. So one user, however
//! many calls they open, holds only that many requests' memory and threads, and cannot
//! keep the node busy with cheap calls; other users are not slowed. A call counts until
//! its answer has been sent (a `Watch` stream for as long as it is open). The federation
//! port uses the same layer per peer (`limits.calls_per_peer`).

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use http_body::{Body, Frame, SizeHint};
use lianluo_federation::tls::TlsConnectInfo;
use tonic::codegen::http::{Request, Response};
use tower::{Layer, Service};

/// Limits calls per caller; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct CallerLimitLayer {
    per_caller: usize,
    open: Arc<Mutex<HashMap<u64, usize>>>,
    /// New calls a second per caller, if limited.
    per_second: Option<f64>,
    buckets: Arc<Mutex<HashMap<u64, Bucket>>>,
    /// The setting and who a caller is, for messages.
    key: &'static str,
    who: &'static str,
}

/// A caller's tokens (one per call) and when they were last refilled.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl CallerLimitLayer {
    /// At most `per_caller` calls at once from one client certificate (a user of the
    /// client API).
    pub fn new(per_caller: usize) -> Self {
        Self {
            per_caller,
            open: Arc::default(),
            per_second: None,
            buckets: Arc::default(),
            key: "limits.calls_per_caller",
            who: "this user",
        }
    }

    /// At most `per_peer` calls at once from one peer's node certificate (the federation
    /// port).
    pub fn per_peer(per_peer: usize) -> Self {
        Self {
            key: "limits.calls_per_peer",
            who: "this peer",
            ..Self::new(per_peer)
        }
    }

    /// Also at most `per_second` new calls a second per caller (bursts of twice that).
    pub fn with_rate(mut self, per_second: u32) -> Self {
        self.per_second = Some(f64::from(per_second.max(1)));
        self
    }

    /// Whether the caller may start a call now by the rate limit (takes a token).
    fn rate_allows(&self, key: u64) -> bool {
        let Some(rate) = self.per_second else {
            return true;
        };
        let burst = rate * 2.0;
        let now = Instant::now();
        let mut buckets = lock(&self.buckets);
        // Forget callers idle long enough to be full again: the map stays small.
        if buckets.len() > 10_000 {
            buckets.retain(|_, b| now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let b = buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(burst);
        b.at = now;
        if b.tokens < 1.0 {
            return false;
        }
        b.tokens -= 1.0;
        true
    }
}

impl<S> Layer<S> for CallerLimitLayer {
    type Service = CallerLimit<S>;
    fn layer(&self, inner: S) -> CallerLimit<S> {
        CallerLimit {
            inner,
            limit: self.clone(),
        }
    }
}

/// See [`CallerLimitLayer`].
#[derive(Debug, Clone)]
pub struct CallerLimit<S> {
    inner: S,
    limit: CallerLimitLayer,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for CallerLimit<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<SlotBody<ResBody>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send + 'static>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let key = caller_key(req.extensions().get::<TlsConnectInfo>());
        if !self.limit.rate_allows(key) {
            let status = tonic::Status::resource_exhausted(format!(
                "too many calls from {}: at most {} a second (limits.calls_per_second); \
                 slow down and retry",
                self.limit.who,
                self.limit.per_second.unwrap_or_default()
            ));
            return refuse(status);
        }
        match self.limit.take(key) {
            Some(slot) => {
                let fut = self.inner.call(req);
                Box::pin(async move {
                    // The slot goes with the body: released once the answer is sent.
                    Ok(fut.await?.map(|inner| SlotBody {
                        inner: Box::pin(inner),
                        slot: Some(slot),
                    }))
                })
            }
            None => {
                let status = tonic::Status::resource_exhausted(format!(
                    "too many calls at once from {}: at most {} ({}); wait for earlier \
                     calls to finish",
                    self.limit.who, self.limit.per_caller, self.limit.key
                ));
                refuse(status)
            }
        }
    }
}

/// The refusal of a call over a limit, as its response.
type Refused<B, E> = Pin<Box<dyn Future<Output = Result<Response<SlotBody<B>>, E>> + Send>>;

fn refuse<B: Default + Send + 'static, E: Send + 'static>(status: tonic::Status) -> Refused<B, E> {
    Box::pin(async move {
        Ok(status.into_http::<B>().map(|inner| SlotBody {
            inner: Box::pin(inner),
            slot: None,
        }))
    })
}

impl CallerLimitLayer {
    fn take(&self, key: u64) -> Option<Slot> {
        let mut open = lock(&self.open);
        let n = open.entry(key).or_default();
        if *n >= self.per_caller {
            return None;
        }
        *n += 1;
        Some(Slot {
            key,
            open: self.open.clone(),
        })
    }
}

/// A response body holding its call's place in the count until its status is sent (or
/// it is dropped: the client went away).
pub struct SlotBody<B> {
    // Boxed so this body is Unpin whatever `B` is.
    inner: Pin<Box<B>>,
    slot: Option<Slot>,
}

impl<B: Body> Body for SlotBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let polled = this.inner.as_mut().poll_frame(cx);
        let last = match &polled {
            Poll::Ready(Some(Ok(frame))) => frame.is_trailers(),
            Poll::Ready(_) => true,
            Poll::Pending => false,
        };
        if last {
            // Given back as the status leaves, before the client can see it and send
            // its next call (waiting for the body's drop would race with that call).
            this.slot = None;
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

/// One call's place in its caller's count, given back when dropped.
struct Slot {
    key: u64,
    open: Arc<Mutex<HashMap<u64, usize>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = lock(&self.open);
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// The caller: a hash of its client certificate (every call on this port has one).
fn caller_key(info: Option<&TlsConnectInfo>) -> u64 {
    let mut h = DefaultHasher::new();
    if let Some(cert) = info
        .and_then(|i| i.peer_certs.as_ref())
        .and_then(|c| c.first())
    {
        cert.as_ref().hash(&mut h);
    }
    h.finish()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Plain counts: a panic elsewhere cannot leave them half-updated.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
