//! The dashboard's pages: one embedded `index.html` for `/`, `/records` and
//! `/records/{id}` (its script reads the path and draws the page from the JSON API), and
//! the embedded `app.js`, `labels.js` (the words, Chinese and English) and `app.css`.
//! Nothing is fetched from elsewhere: no CDN, no build step; charts are inline SVG drawn
//! by `app.js`.
//!
//! The page names its assets with a hash of their content (`/assets/app.js?v=…`), so they
//! can be cached for a day while a new binary's page still loads its own assets at once.

use std::sync::LazyLock;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::Http;

/// The page shell; `{{v}}` is replaced by [`ASSET_VERSION`].
const INDEX_HTML: &str = include_str!("../../assets/index.html");
/// The dashboard's script (plain ES2017, no modules, no dependencies).
pub(super) const APP_JS: &str = include_str!("../../assets/app.js");
/// The words the script shows, in Chinese and English (loaded before it).
const LABELS_JS: &str = include_str!("../../assets/labels.js");
/// The dashboard's styles.
const APP_CSS: &str = include_str!("../../assets/app.css");

/// How long browsers may keep an asset (its URL changes with its content).
const ASSET_CACHE: &str = "public, max-age=86400";

/// The first 12 hex digits of the SHA-256 of the assets.
static ASSET_VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for asset in [APP_JS, LABELS_JS, APP_CSS] {
        ctx.update(asset.as_bytes());
    }
    ctx.finish()
        .as_ref()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
});

static PAGE: LazyLock<String> = LazyLock::new(|| INDEX_HTML.replace("{{v}}", &ASSET_VERSION));

pub(super) fn routes() -> Router<Http> {
    Router::new()
        .route("/", get(page))
        .route("/records", get(page))
        .route("/records/{id}", get(page))
        .route("/assets/app.js", get(app_js))
        .route("/assets/labels.js", get(labels_js))
        .route("/assets/app.css", get(app_css))
}

/// The page shell. Not cached: it names the current assets.
async fn page() -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAGE.as_str(),
    )
        .into_response()
}

async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

async fn labels_js() -> Response {
    asset("text/javascript; charset=utf-8", LABELS_JS)
}

async fn app_css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, ASSET_CACHE),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_page_names_its_versioned_assets_and_nothing_external() {
        let page = PAGE.as_str();
        let v = ASSET_VERSION.as_str();
        assert_eq!(v.len(), 12);
        assert!(page.contains(&format!("/assets/app.js?v={v}")), "{page}");
        assert!(page.contains(&format!("/assets/app.css?v={v}")), "{page}");
        assert!(!page.contains("{{v}}"));
        assert!(page.contains(&format!("/assets/labels.js?v={v}")), "{page}");
        for text in [page, APP_JS, LABELS_JS, APP_CSS] {
            // The SVG namespace is a name, not a fetch.
            let text = text.replace("\"http://www.w3.org/2000/svg\"", "");
            assert!(
                !text.contains("http://") && !text.contains("https://"),
                "external URL"
            );
            assert!(!text.contains("//cdn"), "CDN");
        }
    }

    /// The entries of labels.js's LIANLUO_LABELS: (path of keys, Chinese, English).
    fn js_labels() -> Vec<(Vec<String>, String, String)> {
        let block = LABELS_JS
            .split("// labels:begin")
            .nth(1)
            .and_then(|b| b.split("// labels:end").next())
            .expect("labels.js has a labels block");
        let mut path: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for line in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if line == "var LIANLUO_LABELS = {" {
                continue;
            } else if let Some(name) = line.strip_suffix(": {") {
                path.push(name.to_string());
            } else if line == "}," || line == "};" {
                path.pop();
            } else {
                let (key, names) = line.split_once(": [\"").expect(line);
                let names = names.strip_suffix("\"],").expect(line);
                let (zh, en) = names.split_once("\", \"").expect(line);
                let mut at = path.clone();
                at.push(key.to_string());
                out.push((at, zh.to_string(), en.to_string()));
            }
        }
        out
    }

    #[test]
    fn js_labels_match_labels_rs() {
        use crate::dashboard::labels::{self, Lang};
        let entries = js_labels();
        let of = |at: &[String], lang: Lang| -> String {
            let a: Vec<&str> = at.iter().map(String::as_str).collect();
            match a.as_slice() {
                ["city", id] => labels::city(id, lang).to_string(),
                ["kind", id] => labels::kind(id, lang).to_string(),
                ["status", kind, id] => labels::status(kind, id, lang).to_string(),
                ["rating", id] => labels::rating(id, lang).to_string(),
                ["activity_kind", id] => labels::activity_kind(id, lang).to_string(),
                ["outcome", id] => labels::outcome(id, lang).to_string(),
                ["link", id] => labels::link(id, lang).to_string(),
                other => panic!("labels.js labels an unknown group: {other:?}"),
            }
        };
        for (at, zh, en) in &entries {
            assert_eq!(*zh, of(at, Lang::Zh), "Chinese label of {at:?}");
            assert_eq!(*en, of(at, Lang::En), "English label of {at:?}");
        }
        // Every id the dashboard can be shown has an entry.
        let has = |at: &[&str]| entries.iter().any(|(p, _, _)| p == at);
        for (kind, statuses) in crate::domain::STATUSES {
            assert!(has(&["kind", kind]), "kind {kind}");
            for st in statuses {
                assert!(has(&["status", kind, st]), "status {kind}/{st}");
            }
        }
        for id in labels::RATING_IDS {
            assert!(has(&["rating", id]), "rating {id}");
        }
        for id in labels::ACTIVITY_KIND_IDS {
            assert!(has(&["activity_kind", id]), "activity kind {id}");
        }
        // The outcomes of dashboard.proto's CityOverview and the link phases of
        // lianluo_federation::sync::PeerPhase.
        for id in ["ok", "stale", "timeout", "unreachable", "refused"] {
            assert!(has(&["outcome", id]), "outcome {id}");
        }
        for id in ["connecting", "connected", "backing_off", "stopped"] {
            assert!(has(&["link", id]), "link {id}");
        }
        for id in ["hezhou", "qingyuan", "yongzhou"] {
            assert!(has(&["city", id]), "city {id}");
        }
    }
}
