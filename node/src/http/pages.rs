//! The dashboard's pages: one embedded `index.html` for `/`, `/records` and
//! `/records/{id}` (its scripts read the path and draw the page from the JSON API), and
//! the [`ASSETS`]: `labels.js` (the display names of ids, generated from
//! [`crate::dashboard::labels`]), `words.js` (the page's own words), `core.js` (the shared
//! helpers), `overview.js`, `records.js`, `app.js` (the start and the router) and
//! `app.css`. Nothing is fetched from elsewhere: no CDN, no build step; charts are inline
//! SVG drawn by `overview.js`.
//!
//! The page names its assets with a hash of their content (`/assets/app.js?v=…`), so they
//! can be cached for a day while a new binary's page still loads its own assets at once.

use std::borrow::Cow;
use std::sync::LazyLock;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The page shell; `{{v}}` is replaced by [`ASSET_VERSION`].
const INDEX_HTML: &str = include_str!("../../assets/index.html");
/// The dashboard's start and router (plain ES2017 classic scripts, no modules, no
/// dependencies, sharing `window.Lianluo`).
pub(super) const APP_JS: &str = include_str!("../../assets/app.js");

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// A file served at `/assets/{name}`.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: Cow<'static, str>,
}

/// An asset embedded from `node/assets/`.
fn embedded(name: &'static str, content_type: &'static str, body: &'static str) -> Asset {
    Asset {
        name,
        content_type,
        body: Cow::Borrowed(body),
    }
}

/// Every asset, in the order the page loads them: each script uses only what the ones
/// before it define. `labels.js` is generated once from the labels the CLI and the report
/// use, so the browser shows the same names.
static ASSETS: LazyLock<[Asset; 7]> = LazyLock::new(|| {
    [
        embedded("app.css", CSS, include_str!("../../assets/app.css")),
        Asset {
            name: "labels.js",
            content_type: JS,
            body: Cow::Owned(crate::dashboard::labels::javascript()),
        },
        embedded("words.js", JS, include_str!("../../assets/words.js")),
        embedded("core.js", JS, include_str!("../../assets/core.js")),
        embedded("overview.js", JS, include_str!("../../assets/overview.js")),
        embedded("records.js", JS, include_str!("../../assets/records.js")),
        embedded("app.js", JS, APP_JS),
    ]
});

/// How long browsers may keep an asset (its URL changes with its content).
const ASSET_CACHE: &str = "public, max-age=86400";

/// The first 12 hex digits of the SHA-256 of all the assets' names and contents.
static ASSET_VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for asset in ASSETS.iter() {
        ctx.update(asset.name.as_bytes());
        ctx.update(asset.body.as_bytes());
    }
    ctx.finish()
        .as_ref()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
});

static PAGE: LazyLock<String> = LazyLock::new(|| INDEX_HTML.replace("{{v}}", &ASSET_VERSION));

/// The pages and `/assets/{name}` for each of [`ASSETS`]; they need no state.
pub(super) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new()
        .route("/", get(page))
        .route("/records", get(page))
        .route("/records/{id}", get(page));
    for asset in ASSETS.iter() {
        router = router.route(
            &format!("/assets/{}", asset.name),
            get(move || async move { serve(asset) }),
        );
    }
    router
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

fn serve(asset: &'static Asset) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, ASSET_CACHE),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        asset.body.as_ref(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_page_names_every_asset_in_load_order_and_nothing_external() {
        let page = PAGE.as_str();
        let v = ASSET_VERSION.as_str();
        assert_eq!(v.len(), 12);
        assert!(!page.contains("{{v}}"));
        let mut last = 0;
        for asset in ASSETS.iter() {
            let url = format!("\"/assets/{}?v={v}\"", asset.name);
            let at = page.find(&url).unwrap_or_else(|| panic!("{url} in {page}"));
            assert!(at > last, "{} is named out of load order", asset.name);
            last = at;
            if asset.content_type == JS {
                let tag = format!("<script src={url} defer></script>");
                assert!(page.contains(&tag), "{tag} in {page}");
            }
        }
        // Nothing else is loaded.
        assert_eq!(page.matches("/assets/").count(), ASSETS.len(), "{page}");
        let bodies = ASSETS.iter().map(|a| a.body.as_ref());
        for text in std::iter::once(page).chain(bodies) {
            // The SVG namespace is a name, not a fetch.
            let text = text.replace("\"http://www.w3.org/2000/svg\"", "");
            assert!(
                !text.contains("http://") && !text.contains("https://"),
                "external URL"
            );
            assert!(!text.contains("//cdn"), "CDN");
        }
    }

    #[test]
    fn http_every_file_in_the_assets_folder_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        for entry in std::fs::read_dir(&dir).expect("assets folder") {
            let name = entry.expect("entry").file_name();
            let name = name.to_str().expect("utf-8 name");
            if name == "index.html" {
                continue;
            }
            let asset = ASSETS.iter().find(|a| a.name == name);
            let asset = asset.unwrap_or_else(|| panic!("{name} is not in ASSETS"));
            let on_disk = std::fs::read_to_string(dir.join(name)).expect("read");
            assert_eq!(asset.body, on_disk, "{name}");
        }
    }

    #[tokio::test]
    async fn http_assets_are_served_with_their_type_and_cache_headers() {
        use axum::body::{to_bytes, Body};
        use axum::http::Request;
        use tower::ServiceExt;

        let router = routes::<()>();
        for asset in ASSETS.iter() {
            let uri = format!("/assets/{}?v={}", asset.name, ASSET_VERSION.as_str());
            let req = Request::get(&uri).body(Body::empty()).expect("request");
            let res = router.clone().oneshot(req).await.expect("answer");
            assert_eq!(res.status(), StatusCode::OK, "{uri}");
            let h = |name| res.headers().get(name).and_then(|v| v.to_str().ok());
            assert_eq!(h(header::CONTENT_TYPE), Some(asset.content_type), "{uri}");
            assert_eq!(h(header::CACHE_CONTROL), Some(ASSET_CACHE), "{uri}");
            assert_eq!(h(header::X_CONTENT_TYPE_OPTIONS), Some("nosniff"), "{uri}");
            let body = to_bytes(res.into_body(), usize::MAX).await.expect("body");
            assert_eq!(body, asset.body.as_bytes(), "{uri}");
        }
        let req = Request::get("/assets/other.js").body(Body::empty());
        let res = router.oneshot(req.expect("request")).await.expect("answer");
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }

    /// The entries of the served labels.js's LIANLUO_LABELS: (path of keys, Chinese,
    /// English).
    fn js_labels() -> Vec<(Vec<String>, String, String)> {
        let served = ASSETS.iter().find(|a| a.name == "labels.js");
        let block = served.expect("labels.js is served").body.to_string();
        let mut path: Vec<String> = Vec::new();
        let mut out = Vec::new();
        let lines = block.lines().map(str::trim);
        for line in lines.filter(|l| !l.is_empty() && !l.starts_with("//")) {
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
                ["part_status", id] => labels::part_status(id, lang).to_string(),
                ["category", id] => labels::category(id, lang).to_string(),
                ["activity_kind", id] => labels::activity_kind(id, lang).to_string(),
                ["project_kind", id] => labels::project_kind(id, lang).to_string(),
                ["opinion_status", id] => labels::opinion_status(id, lang).to_string(),
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
        for id in labels::PROJECT_KIND_IDS {
            assert!(has(&["project_kind", id]), "project kind {id}");
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
