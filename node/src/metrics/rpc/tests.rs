//! The layer around a tiny tower service: statuses in headers, in trailers, missing, and
//! bodies dropped early; and the rendered series.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body::{Body, Frame};
use tonic::codegen::http::{HeaderMap, HeaderValue, Request, Response};
use tonic::codegen::Bytes;
use tower::{Layer as _, ServiceExt as _};

use super::*;
use crate::metrics::MeteredBody;

/// A body that yields the given frames, then ends (or stays open forever).
struct Frames {
    frames: VecDeque<Frame<Bytes>>,
    open: bool,
}

impl Body for Frames {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        match this.frames.pop_front() {
            Some(f) => Poll::Ready(Some(Ok(f))),
            None if this.open => Poll::Pending,
            None => Poll::Ready(None),
        }
    }
}

fn grpc_status(code: &'static str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("grpc-status", HeaderValue::from_static(code));
    h
}

/// A unary-style response: one message, then trailers with `code`.
fn with_trailers(code: &'static str) -> Response<Frames> {
    let frames = [
        Frame::data(Bytes::from_static(b"\0\0\0\0\0")),
        Frame::trailers(grpc_status(code)),
    ];
    Response::new(Frames {
        frames: frames.into(),
        open: false,
    })
}

/// A trailers-only response: the status in the headers, no body.
fn trailers_only(code: &'static str) -> Response<Frames> {
    let mut r = Response::new(Frames {
        frames: VecDeque::new(),
        open: false,
    });
    *r.headers_mut() = grpc_status(code);
    r
}

/// A stream that sent one message and is still open.
fn open_stream() -> Response<Frames> {
    Response::new(Frames {
        frames: [Frame::data(Bytes::from_static(b"\0\0\0\0\0"))].into(),
        open: true,
    })
}

/// Calls `path` through the layer on a service answering `resp`; returns the body.
async fn call(
    metrics: &RpcMetrics,
    port: Port,
    path: &str,
    resp: Response<Frames>,
) -> MeteredBody<Frames> {
    let mut resp = Some(resp);
    let svc = tower::service_fn(move |_req: Request<()>| {
        let resp = resp.take().expect("one call");
        async move { Ok::<_, Infallible>(resp) }
    });
    let req = Request::builder().uri(path).body(()).unwrap();
    let resp = metrics.layer(port).layer(svc).oneshot(req).await.unwrap();
    resp.into_body()
}

/// Polls the body to its end (or until it would wait); returns the frames seen.
async fn drain(body: &mut MeteredBody<Frames>) -> usize {
    let mut n = 0;
    loop {
        let next = std::future::poll_fn(|cx| match Pin::new(&mut *body).poll_frame(cx) {
            Poll::Pending => Poll::Ready(None),
            Poll::Ready(f) => Poll::Ready(Some(f)),
        })
        .await;
        match next {
            Some(Some(Ok(_))) => n += 1,
            _ => return n,
        }
    }
}

fn rendered(metrics: &RpcMetrics) -> String {
    let mut snap = crate::metrics::Snapshot::default();
    metrics.families(&mut snap);
    snap.encode()
}

/// The value of the sample `series` (name and labels, exactly), if rendered.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

fn count(metrics: &RpcMetrics, labels: &str) -> Option<f64> {
    sample(
        &rendered(metrics),
        &format!("lianluo_rpc_requests_total{{{labels}}}"),
    )
}

const CREATE: &str = "/lianluo.v1.Records/Create";

#[test]
fn metrics_label_served_methods_and_bound_the_rest() {
    let m = RpcMetrics::new();
    let labels = |port, path: &str| {
        let c = m.call(port, path);
        (c.service.to_string(), c.method.to_string(), c.port.label())
    };
    let l = |s: &str, m: &str, p| (s.to_string(), m.to_string(), p);
    assert_eq!(
        labels(Port::Api, CREATE),
        l("lianluo.v1.Records", "Create", "api")
    );
    assert_eq!(
        labels(Port::Api, "/lianluo.v1.Dashboard/Overview"),
        l("lianluo.v1.Dashboard", "Overview", "api")
    );
    assert_eq!(
        labels(Port::Federation, "/lianluo.v1.Federation/Sync"),
        l("lianluo.v1.Federation", "Sync", "federation")
    );
    assert_eq!(
        labels(Port::Api, "/grpc.health.v1.Health/Check"),
        l("grpc.health.v1.Health", "Check", "api")
    );
    assert_eq!(
        labels(
            Port::Api,
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
        ),
        l(
            "grpc.reflection.v1.ServerReflection",
            "ServerReflectionInfo",
            "api"
        )
    );
    for unknown in ["/lianluo.v1.Records/Drop", "/x.Y/Create", "/", "/metrics"] {
        assert_eq!(
            labels(Port::Api, unknown),
            l(OTHER, OTHER, "api"),
            "{unknown}"
        );
    }
}

#[test]
fn metrics_name_grpc_status_codes() {
    assert_eq!(code_name(b"0"), "OK");
    assert_eq!(code_name(b"1"), "CANCELLED");
    assert_eq!(code_name(b"3"), "INVALID_ARGUMENT");
    assert_eq!(code_name(b"7"), "PERMISSION_DENIED");
    assert_eq!(code_name(b"14"), "UNAVAILABLE");
    assert_eq!(code_name(b"16"), "UNAUTHENTICATED");
    assert_eq!(code_name(b"17"), "UNKNOWN");
    assert_eq!(code_name(b"ok"), "UNKNOWN");
    assert_eq!(code_name(b""), "UNKNOWN");
}

#[tokio::test]
async fn metrics_layer_counts_the_status_in_trailers_once_they_pass() {
    let m = RpcMetrics::new();
    let ok = "service=\"lianluo.v1.Records\",method=\"Create\",code=\"OK\",port=\"api\"";
    let mut body = call(&m, Port::Api, CREATE, with_trailers("0")).await;
    // Headers sent, status not yet: nothing counted.
    assert_eq!(count(&m, ok), None);
    assert_eq!(drain(&mut body).await, 2);
    assert_eq!(count(&m, ok), Some(1.0));
    drop(body);
    assert_eq!(
        count(&m, ok),
        Some(1.0),
        "dropping a finished body counts nothing"
    );

    let mut body = call(&m, Port::Api, CREATE, with_trailers("3")).await;
    drain(&mut body).await;
    let mut body = call(&m, Port::Api, CREATE, with_trailers("0")).await;
    drain(&mut body).await;
    assert_eq!(count(&m, ok), Some(2.0));
    let invalid = ok.replace("\"OK\"", "\"INVALID_ARGUMENT\"");
    assert_eq!(count(&m, &invalid), Some(1.0));
}

#[tokio::test]
async fn metrics_layer_counts_a_trailers_only_error_from_the_headers() {
    let m = RpcMetrics::new();
    let body = call(&m, Port::Api, CREATE, trailers_only("7")).await;
    let denied =
        "service=\"lianluo.v1.Records\",method=\"Create\",code=\"PERMISSION_DENIED\",port=\"api\"";
    // Counted before the (empty) body is even polled, and not again when it is dropped.
    assert_eq!(count(&m, denied), Some(1.0));
    drop(body);
    let text = rendered(&m);
    assert_eq!(
        text.matches("lianluo_rpc_requests_total{").count(),
        1,
        "{text}"
    );

    let body = call(
        &m,
        Port::Api,
        "/lianluo.v1.Records/Nope",
        trailers_only("12"),
    )
    .await;
    drop(body);
    assert_eq!(
        count(
            &m,
            "service=\"other\",method=\"other\",code=\"UNIMPLEMENTED\",port=\"api\""
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn metrics_layer_counts_a_stream_dropped_before_its_status_as_cancelled() {
    let m = RpcMetrics::new();
    let mut body = call(
        &m,
        Port::Federation,
        "/lianluo.v1.Federation/Sync",
        open_stream(),
    )
    .await;
    assert_eq!(drain(&mut body).await, 1);
    let cancelled =
        "service=\"lianluo.v1.Federation\",method=\"Sync\",code=\"CANCELLED\",port=\"federation\"";
    assert_eq!(count(&m, cancelled), None, "the stream is still open");
    // The client went away: the server drops the response body.
    drop(body);
    assert_eq!(count(&m, cancelled), Some(1.0));

    // A body that ends with no trailers at all is a broken call: clients read UNKNOWN.
    let mut body = call(
        &m,
        Port::Api,
        CREATE,
        Response::new(Frames {
            frames: VecDeque::new(),
            open: false,
        }),
    )
    .await;
    drain(&mut body).await;
    drop(body);
    let unknown = "service=\"lianluo.v1.Records\",method=\"Create\",code=\"UNKNOWN\",port=\"api\"";
    assert_eq!(count(&m, unknown), Some(1.0));
}

#[tokio::test]
async fn metrics_layer_counts_a_call_dropped_before_its_response_as_cancelled() {
    let m = RpcMetrics::new();
    // A handler that never answers, cut off by a timeout or a client reset.
    let svc = tower::service_fn(|_req: Request<()>| {
        std::future::pending::<Result<Response<Frames>, Infallible>>()
    });
    let mut svc = m.layer(Port::Api).layer(svc);
    let req = Request::builder().uri(CREATE).body(()).unwrap();
    let mut fut = tower::Service::call(&mut svc, req);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    assert_eq!(
        rendered(&m).matches("lianluo_rpc_requests_total{").count(),
        0
    );
    drop(fut);
    let cancelled =
        "service=\"lianluo.v1.Records\",method=\"Create\",code=\"CANCELLED\",port=\"api\"";
    assert_eq!(count(&m, cancelled), Some(1.0));
}

#[test]
fn metrics_announce_both_rpc_families_before_any_call() {
    let text = rendered(&RpcMetrics::new());
    assert_eq!(
        text.lines().filter(|l| l.starts_with("# ")).collect::<Vec<_>>(),
        [
            "# HELP lianluo_rpc_requests gRPC calls finished, by service, method, status code and port (api or federation).",
            "# TYPE lianluo_rpc_requests counter",
            "# HELP lianluo_rpc_duration_seconds gRPC call latency in seconds, from request to status; a server stream's whole lifetime.",
            "# TYPE lianluo_rpc_duration_seconds histogram",
            "# EOF",
        ]
    );
    assert_eq!(text.lines().count(), 5);
}

#[tokio::test]
async fn metrics_render_a_histogram_per_service_method_code_and_port() {
    let m = RpcMetrics::new();

    // A call that takes at least 30 ms, and a quick one on the other port.
    let slow = tower::service_fn(|_req: Request<()>| async {
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        Ok::<_, Infallible>(with_trailers("14"))
    });
    let req = Request::builder().uri(CREATE).body(()).unwrap();
    let resp = m.layer(Port::Api).layer(slow).oneshot(req).await.unwrap();
    drain(&mut resp.into_body()).await;
    let mut body = call(
        &m,
        Port::Federation,
        "/lianluo.v1.Federation/Figures",
        with_trailers("0"),
    )
    .await;
    drain(&mut body).await;

    let text = rendered(&m);
    let slow = "service=\"lianluo.v1.Records\",method=\"Create\",code=\"UNAVAILABLE\",port=\"api\"";
    let quick =
        "service=\"lianluo.v1.Federation\",method=\"Figures\",code=\"OK\",port=\"federation\"";
    let h = "lianluo_rpc_duration_seconds";
    let bucket =
        |labels: &str, le: &str| sample(&text, &format!("{h}_bucket{{le=\"{le}\",{labels}}}"));
    assert_eq!(bucket(slow, "0.001"), Some(0.0), "{text}");
    assert_eq!(bucket(slow, "0.025"), Some(0.0), "{text}");
    assert_eq!(bucket(slow, "10.0"), Some(1.0), "{text}");
    assert_eq!(bucket(slow, "+Inf"), Some(1.0), "{text}");
    assert_eq!(sample(&text, &format!("{h}_count{{{slow}}}")), Some(1.0));
    let sum = sample(&text, &format!("{h}_sum{{{slow}}}")).unwrap();
    assert!((0.03..10.0).contains(&sum), "{sum}");
    assert_eq!(bucket(quick, "10.0"), Some(1.0), "{text}");
    assert_eq!(sample(&text, &format!("{h}_count{{{quick}}}")), Some(1.0));
    // Every bucket of every series, cumulative, then +Inf, sum and count.
    for labels in [slow, quick] {
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(labels)).collect();
        assert_eq!(lines.len(), 1 + BUCKETS.len() + 3, "{text}");
        let counts: Vec<f64> = BUCKETS
            .iter()
            .map(|le| bucket(labels, &format!("{le:?}")).unwrap())
            .collect();
        assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    }
    assert!(text.contains(&format!("{h}_bucket{{le=\"0.0025\",{quick}}} ")));
}
