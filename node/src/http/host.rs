//! The plain HTTP listener answers only requests addressed to the loopback address it
//! listens on (`Host: 127.0.0.1:7103`, `localhost:7103`, `[::1]:7103`). A web page the
//! node's user opens elsewhere could otherwise make the browser send requests to it
//! under the page's own host name (DNS rebinding) and read the city's records; such a
//! request names another host and gets `421 Misdirected Request`.

use std::net::SocketAddr;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Lets the request through when its `Host` names this listener (or it has none, as
/// only non-browser clients send).
pub(super) async fn require_own_host(
    State(local): State<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .map(|h| h.to_str().unwrap_or("\u{FFFD}").to_owned());
    match host {
        Some(h) if !is_own(&h, local) => {
            tracing::info!(host = %h, path = %req.uri().path(), "http request for another host refused");
            (
                StatusCode::MISDIRECTED_REQUEST,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!(
                    "421 this node answers only requests for {local} (or localhost:{}); \
                     open the address the node printed\n",
                    local.port()
                ),
            )
                .into_response()
        }
        _ => next.run(req).await,
    }
}

/// Whether `host` (a `Host` header: name or address, port optional) names `local`.
fn is_own(host: &str, local: SocketAddr) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        // `[::1]:7103`, `127.0.0.1:7103`, `localhost:7103`; a bare IPv6 address has
        // colons but no brackets and no port.
        Some((n, p)) if !n.is_empty() && (n.ends_with(']') || !n.contains(':')) => {
            (n, p.parse::<u16>().ok())
        }
        _ => (host, None),
    };
    if port.is_some_and(|p| p != local.port()) {
        return false;
    }
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip == local.ip() || (ip.is_loopback() && local.ip().is_loopback()))
}

#[cfg(test)]
mod tests {
    use super::is_own;

    #[test]
    fn http_host_names_this_listener_or_is_refused() {
        let local = "127.0.0.1:7103".parse().expect("addr");
        for ok in [
            "127.0.0.1:7103",
            "localhost:7103",
            "LOCALHOST",
            "127.0.0.1",
            "[::1]:7103",
            "::1",
        ] {
            assert!(is_own(ok, local), "{ok}");
        }
        for refused in [
            "evil.example:7103",
            "evil.example",
            "127.0.0.1:80",
            "localhost.evil.example:7103",
            "10.0.0.5:7103",
            "",
        ] {
            assert!(!is_own(refused, local), "{refused}");
        }
    }
}
