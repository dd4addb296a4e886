//! `/metrics` of real node processes, scraped over HTTP as Prometheus would: calls made
//! with the real CLI are counted by service, method, status code and port, with their
//! latency histograms, and a peer's replication stream is counted on the federation port
//! when it ends.

use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use lianluo_tests::browser::http_get_raw;
use lianluo_tests::{eventually, Federation, NodeProc};

/// One `GET /metrics`; the body of a 200 answer.
fn scrape(node: &NodeProc) -> Result<String> {
    let addr = node
        .http
        .as_deref()
        .context("the node announced no http address")?;
    let (status, head, body) = http_get_raw(addr, "/metrics")?;
    let body = String::from_utf8(body).context("/metrics is not UTF-8")?;
    if status != 200 {
        bail!("GET /metrics: {head}");
    }
    // OpenMetrics text, as the Prometheus project's crate writes it.
    let openmetrics = "content-type: application/openmetrics-text; version=1.0.0; charset=utf-8";
    if !head.to_ascii_lowercase().contains(openmetrics) || !body.ends_with("# EOF\n") {
        bail!("GET /metrics is not OpenMetrics text: {head}\n{body}");
    }
    Ok(body.to_string())
}

/// The value of the sample `series` (name and labels, exactly as rendered).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

fn labels(service: &str, method: &str, code: &str, port: &str) -> String {
    format!("service=\"lianluo.v1.{service}\",method=\"{method}\",code=\"{code}\",port=\"{port}\"")
}

fn requests(text: &str, labels: &str) -> Option<f64> {
    sample(text, &format!("lianluo_rpc_requests_total{{{labels}}}"))
}

const HISTOGRAM: &str = "lianluo_rpc_duration_seconds";

/// `lianluo suggestion create` of a suggestion titled `title`.
fn create(title: &str) -> [&str; 8] {
    let body = "请相关部门研究办理。";
    let (t, b, p) = ("--title", "--body", "--proposer");
    ["suggestion", "create", t, title, b, body, p, "李明"]
}

/// Through the real CLI: two creates, a create a viewer may not make, a show of a
/// record that does not exist.
fn make_calls(node: &NodeProc) -> Result<()> {
    let coordinator = node.cli("coordinator");
    coordinator.json(&create("关于修缮省际联络站的建议"))?;
    coordinator.json(&create("关于增设跨省公交线路的建议"))?;
    let err = node
        .cli("viewer")
        .fails(&create("关于加强边界山林防火的建议"))?;
    assert!(err.contains("viewer"), "{err}");
    coordinator.fails(&["show", "hezhou-01J0000000000000000000NOPE"])?;
    Ok(())
}

#[test]
fn metrics_count_cli_calls_by_method_and_code_with_latency() -> Result<()> {
    let fed = Federation::init()?;
    let hezhou = fed.start("hezhou")?;
    make_calls(&hezhou)?;

    let text = scrape(&hezhou)?;
    let create_ok = labels("Records", "Create", "OK", "api");
    assert_eq!(requests(&text, &create_ok), Some(2.0), "{text}");
    let denied = labels("Records", "Create", "PERMISSION_DENIED", "api");
    assert_eq!(requests(&text, &denied), Some(1.0), "{text}");
    let not_found = labels("Records", "Get", "NOT_FOUND", "api");
    assert_eq!(requests(&text, &not_found), Some(1.0), "{text}");
    let h = HISTOGRAM;
    assert!(text.lines().any(|l| l == format!("# TYPE {h} histogram")));
    for le in ["10.0", "+Inf"] {
        let bucket = format!("{h}_bucket{{le=\"{le}\",{create_ok}}}");
        assert_eq!(sample(&text, &bucket), Some(2.0), "{bucket} in\n{text}");
    }
    let count = |labels: &str| sample(&text, &format!("{h}_count{{{labels}}}"));
    assert_eq!((count(&create_ok), count(&denied)), (Some(2.0), Some(1.0)));
    let sum = sample(&text, &format!("{h}_sum{{{create_ok}}}")).unwrap_or(-1.0);
    assert!(sum > 0.0 && sum < 20.0, "two creates took {sum} s in all");
    let create_on_federation = labels("Records", "Create", "OK", "federation");
    assert_eq!(requests(&text, &create_on_federation), None, "{text}");
    Ok(())
}

#[test]
fn metrics_count_replication_streams_on_the_federation_port() -> Result<()> {
    let fed = Federation::init()?;
    // Replication streams end cleanly (status OK) after 2 s.
    fed.set_max_stream_secs(2)?;
    let hezhou = fed.start("hezhou")?;
    let _qingyuan = fed.start("qingyuan")?;
    // qingyuan pulls hezhou's log over hezhou's federation port; the stream ends OK at
    // max_stream_secs and qingyuan reconnects.
    let sync_ok = labels("Federation", "Sync", "OK", "federation");
    let text = eventually(Duration::from_secs(30), "a Sync stream counted", || {
        let text = scrape(&hezhou).ok()?;
        requests(&text, &sync_ok)
            .filter(|n| *n >= 1.0)
            .map(|_| text)
    })?;
    let h = HISTOGRAM;
    let lifetime = sample(&text, &format!("{h}_sum{{{sync_ok}}}")).unwrap_or(0.0);
    let streams = requests(&text, &sync_ok).unwrap_or(0.0);
    // Latency of a server stream is its lifetime: about max_stream_secs each.
    assert!(
        lifetime >= 1.5 * streams,
        "{streams} streams lasted {lifetime} s in all"
    );
    // Nothing is counted under the other port's label.
    let sync_on_api = labels("Federation", "Sync", "OK", "api");
    assert_eq!(requests(&text, &sync_on_api), None, "{text}");
    Ok(())
}
