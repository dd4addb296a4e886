//! Headless Chromium for the web dashboard tests: [`Browser`] loads a page, runs its
//! JavaScript (fetches included) and returns the DOM it built as a [`Page`] (its start
//! tags with their attributes, [`elements`]); [`http_get`] asks the node's HTTP listener
//! directly, for the figures the page must show.
//!
//! A dashboard page marks `<body data-ready="1">` once drawn and `data-error` when a
//! request failed; [`Browser::page`] requires the first and refuses the second. With
//! `LIANLUO_TEST_SCREENSHOTS=DIR` it also writes a PNG of every page it loads there.
//!
//! Pages are loaded in virtual time (Chromium fast-forwards timers and waits for every
//! request), with the page's live updates off (`live=0`): an open change stream would
//! hold virtual time still. [`Browser::open_live`] instead keeps a page open in real time,
//! live updates on, and lets the test read it while it changes the node's data.
//!
//! Chromium is `$LIANLUO_CHROMIUM`, else `chromium`, `chromium-browser`,
//! `google-chrome` or `google-chrome-stable` on `PATH`. Without it, [`Browser::for_test`]
//! skips the test with a loud message, unless `LIANLUO_REQUIRE_BROWSER=1` (CI), which
//! makes it a failure.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::eventually;

pub mod live;

/// Longest a page may take to load, run and be dumped.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(60);

/// Virtual time the page's scripts get (Chromium fast-forwards timers, and waits for
/// network requests, within it).
const VIRTUAL_TIME_BUDGET_MS: u32 = 10_000;

/// Names Chromium goes by on `PATH`.
const NAMES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// A headless Chromium binary.
#[derive(Debug, Clone)]
pub struct Browser {
    bin: PathBuf,
}

/// A browser profile (its own localStorage), removed on drop.
pub struct Profile {
    dir: tempfile::TempDir,
}

impl Profile {
    /// A fresh, empty profile.
    pub fn new() -> Result<Profile> {
        Ok(Profile {
            dir: tempfile::Builder::new()
                .prefix("lianluo-chromium-")
                .tempdir()?,
        })
    }
}

impl Browser {
    /// Finds Chromium (see the module docs), if installed.
    pub fn find() -> Option<Browser> {
        if let Some(p) = std::env::var_os("LIANLUO_CHROMIUM") {
            let bin = PathBuf::from(p);
            return bin.is_file().then_some(Browser { bin });
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .flat_map(|dir| NAMES.iter().map(move |n| dir.join(n)))
            .find(|p| p.is_file())
            .map(|bin| Browser { bin })
    }

    /// The browser for `test`; `None` (after a loud message on stderr) when there is none
    /// and `LIANLUO_REQUIRE_BROWSER` is not `1`; an error when it is.
    pub fn for_test(test: &str) -> Result<Option<Browser>> {
        if let Some(b) = Browser::find() {
            return Ok(Some(b));
        }
        let required = std::env::var("LIANLUO_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        let why = match std::env::var_os("LIANLUO_CHROMIUM") {
            Some(p) => format!("LIANLUO_CHROMIUM={} is not a file", p.to_string_lossy()),
            None => format!(
                "no Chromium found (install it: apt-get install chromium, or set \
                 LIANLUO_CHROMIUM; looked for {} on PATH)",
                NAMES.join(", ")
            ),
        };
        if required {
            bail!("{test}: {why}, and LIANLUO_REQUIRE_BROWSER=1 requires it");
        }
        // Straight to stderr: the test harness would hide eprintln! of a passing test.
        let _ = writeln!(
            std::io::stderr(),
            "\n{bar}\nSKIPPED {test}: {why}.\nThe web dashboard was NOT tested in a browser. \
             Set LIANLUO_REQUIRE_BROWSER=1 to make this a failure.\n{bar}\n",
            bar = "!".repeat(78)
        );
        Ok(None)
    }

    /// The DOM of `url` after its scripts ran, in a fresh profile.
    pub fn dump_dom(&self, url: &str) -> Result<String> {
        self.dump_dom_in(&Profile::new()?, url)
    }

    /// The DOM of `url` after its scripts ran, in `profile` (which keeps localStorage
    /// between pages).
    pub fn dump_dom_in(&self, profile: &Profile, url: &str) -> Result<String> {
        let url = drawn_once(url);
        let out = self.run(profile, &["--dump-dom".to_string(), url.clone()])?;
        if !out.contains("<html") {
            bail!("chromium dumped no document for {url}: {out}");
        }
        Ok(out)
    }

    /// A dashboard page once drawn (see the module docs), in `profile` or a fresh one.
    pub fn page(&self, profile: Option<&Profile>, url: &str) -> Result<Page> {
        let html = match profile {
            Some(p) => self.dump_dom_in(p, url)?,
            None => self.dump_dom(url)?,
        };
        let page = Page::new(html);
        let body = page.first("body").context("no body")?;
        if let Some(err) = body.attr("data-error") {
            bail!("{url} shows an error: {err}");
        }
        if body.attr("data-ready") != Some("1") {
            bail!(
                "{url} did not finish drawing (no data-ready): {}",
                page.html
            );
        }
        if let Some(dir) = std::env::var_os("LIANLUO_TEST_SCREENSHOTS") {
            static SHOT: AtomicUsize = AtomicUsize::new(0);
            let n = SHOT.fetch_add(1, Ordering::Relaxed);
            let name: String = url
                .split_once("//")
                .map_or(url, |(_, rest)| rest)
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            std::fs::create_dir_all(&dir)?;
            self.screenshot(url, &Path::new(&dir).join(format!("{n:02}-{name}.png")))?;
        }
        Ok(page)
    }

    /// `url` kept open in real time with its live updates on, driven over the DevTools
    /// protocol (see [`live`]).
    pub fn open_live(&self, url: &str) -> Result<live::LivePage> {
        live::LivePage::open(&self.bin, url)
    }

    /// A PNG of `url` at 1400×1000 (the page may be taller), written to `png`.
    pub fn screenshot(&self, url: &str, png: &Path) -> Result<()> {
        let args = [
            format!("--screenshot={}", png.display()),
            "--window-size=1400,1000".to_string(),
            drawn_once(url),
        ];
        self.run(&Profile::new()?, &args)?;
        if !png.is_file() {
            bail!("chromium wrote no screenshot of {url} to {}", png.display());
        }
        Ok(())
    }

    /// Runs headless Chromium with `args`, bounded by [`PAGE_TIMEOUT`]; returns stdout.
    fn run(&self, profile: &Profile, args: &[String]) -> Result<String> {
        let mut child = Command::new(&self.bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
            ])
            .arg(format!("--user-data-dir={}", profile.dir.path().display()))
            .arg(format!("--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run {}", self.bin.display()))?;
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let status = eventually(PAGE_TIMEOUT, "chromium to finish", || {
            child.try_wait().ok().flatten()
        });
        let status = match status {
            Ok(s) => s,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e.context(format!("chromium {args:?}")));
            }
        };
        let out = stdout.join().unwrap_or_default();
        if !status.success() {
            let err = stderr.join().unwrap_or_default();
            bail!("chromium {args:?} exited with {status}: {err}");
        }
        Ok(out)
    }
}

/// `url` with the page's live updates off (see the module docs).
fn drawn_once(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}live=0")
}

/// Reads a child's pipe to the end on a thread (so a full pipe never blocks it).
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_string(&mut s);
        }
        s
    })
}

/// A page's DOM as Chromium serialized it, and its start tags.
pub struct Page {
    /// The serialized DOM.
    pub html: String,
    /// Its start tags, in document order.
    pub elements: Vec<Element>,
}

impl Page {
    /// Reads `html`.
    pub fn new(html: String) -> Page {
        let elements = elements(&html);
        Page { html, elements }
    }

    /// The first element with tag `tag`.
    pub fn first(&self, tag: &str) -> Option<&Element> {
        self.elements.iter().find(|e| e.tag == tag)
    }

    /// The elements with attribute `name`.
    pub fn with_attr(&self, name: &str) -> Vec<&Element> {
        self.elements
            .iter()
            .filter(|e| e.attrs.contains_key(name))
            .collect()
    }

    /// The `lang` of `<html>`.
    pub fn lang(&self) -> &str {
        self.first("html")
            .and_then(|e| e.attr("lang"))
            .unwrap_or_default()
    }

    /// Whether some element's own text is exactly `text` (trimmed).
    pub fn shows_text(&self, text: &str) -> bool {
        self.elements.iter().any(|e| e.text.trim() == text)
    }

    /// The `data-id`s of the rows of the element `data-list=list` (up to the next list).
    pub fn rows(&self, list: &str) -> Vec<String> {
        let els = &self.elements;
        let Some(start) = els.iter().position(|e| e.attr("data-list") == Some(list)) else {
            return Vec::new();
        };
        els[start + 1..]
            .iter()
            .take_while(|e| e.attr("data-list").is_none())
            .filter(|e| e.tag == "tr")
            .filter_map(|e| e.attr("data-id").map(str::to_string))
            .collect()
    }

    /// (`data-city`, `data-figure`, `data-key` or "") → `data-value`, for every figure
    /// element with a value; the same figure shown twice must show the same value.
    pub fn figures(&self) -> Result<BTreeMap<(String, String, String), u64>> {
        let mut out = BTreeMap::new();
        for e in self.with_attr("data-figure") {
            let Some(v) = e.attr("data-value") else {
                continue;
            };
            let s = |k: &str| e.attr(k).unwrap_or_default().to_string();
            let at = (s("data-city"), s("data-figure"), s("data-key"));
            let v: u64 = v.parse().with_context(|| format!("{at:?}: {v:?}"))?;
            if let Some(old) = out.insert(at.clone(), v) {
                if old != v {
                    bail!("{at:?} shown as {old} and as {v}");
                }
            }
        }
        Ok(out)
    }

    /// (`data-city`, `data-outcome`) of every element with an outcome, in order.
    pub fn outcomes(&self) -> Vec<(String, String)> {
        self.with_attr("data-outcome")
            .iter()
            .map(|e| {
                let s = |k: &str| e.attr(k).unwrap_or_default().to_string();
                (s("data-city"), s("data-outcome"))
            })
            .collect()
    }
}

/// One start tag of a document: its name, attributes, and the text right after it (up to
/// the next tag), entities decoded.
#[derive(Debug, Clone)]
pub struct Element {
    /// Lowercase tag name.
    pub tag: String,
    /// Attribute name → value.
    pub attrs: BTreeMap<String, String>,
    /// The text between this start tag and the next tag.
    pub text: String,
}

impl Element {
    /// The value of attribute `name`, if present.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }
}

/// Every start tag of `html` in document order (comments, end tags and doctypes skipped).
/// Enough for the DOM Chromium serializes; not a general HTML parser.
pub fn elements(html: &str) -> Vec<Element> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = tag_end(rest);
        let inner = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or_default();
        if inner.starts_with(['/', '!', '?']) {
            continue;
        }
        let text = &rest[..rest.find('<').unwrap_or(rest.len())];
        let (tag, attrs) = parse_tag(inner);
        out.push(Element {
            tag,
            attrs,
            text: decode(text),
        });
    }
    out
}

/// Index of the `>` closing a tag that starts at `s` (quotes respected).
fn tag_end(s: &str) -> usize {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '>') => return i,
            _ => {}
        }
    }
    s.len()
}

fn parse_tag(inner: &str) -> (String, BTreeMap<String, String>) {
    let inner = inner.trim_end_matches('/');
    let name_end = inner
        .find(|c: char| c.is_whitespace())
        .unwrap_or(inner.len());
    let tag = inner[..name_end].to_ascii_lowercase();
    let mut attrs = BTreeMap::new();
    let mut rest = inner[name_end..].trim_start();
    while !rest.is_empty() {
        let key_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (v, next) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after[1..];
                    let close = body.find(q).unwrap_or(body.len());
                    (&body[..close], body.get(close + 1..).unwrap_or_default())
                }
                _ => {
                    let e = after
                        .find(|c: char| c.is_whitespace())
                        .unwrap_or(after.len());
                    (&after[..e], &after[e..])
                }
            };
            value = decode(v);
            rest = next.trim_start();
        }
        if !key.is_empty() {
            attrs.insert(key, value);
        }
    }
    (tag, attrs)
}

/// Decodes the entities Chromium writes when serializing.
fn decode(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// One plain HTTP/1.1 GET to `addr` (`host:port`); returns the status and the body.
pub fn http_get(addr: &str, path: &str) -> Result<(u16, String)> {
    let (status, _, body) = http_get_raw(addr, path)?;
    let body = String::from_utf8(body).context("the answer is not UTF-8")?;
    Ok((status, body))
}

/// One plain HTTP/1.1 GET to `addr` (`host:port`): the status, the header block and the
/// body bytes (a chunked body put together).
pub fn http_get_raw(addr: &str, path: &str) -> Result<(u16, String, Vec<u8>)> {
    let mut s = TcpStream::connect(addr).with_context(|| format!("connect {addr}"))?;
    s.set_read_timeout(Some(PAGE_TIMEOUT))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        bail!(
            "GET {path}: no HTTP answer: {:?}",
            String::from_utf8_lossy(&raw)
        );
    };
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("GET {path}: no status in {head:?}"))?;
    let mut body = raw[end + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body).with_context(|| format!("GET {path}: a broken chunked body"))?;
    }
    Ok((status, head, body))
}

/// The body of a chunked HTTP/1.1 answer.
fn dechunk(mut raw: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("no chunk size line")?;
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..line_end]).trim(), 16)?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if raw.len() < size + 2 {
            bail!("a chunk is cut short");
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// GET `path` from `addr` and parse the JSON body; the status must be 200.
pub fn get_json(addr: &str, path: &str) -> Result<serde_json::Value> {
    let (status, body) = http_get(addr, path)?;
    if status != 200 {
        bail!("GET {path}: {status} {body}");
    }
    serde_json::from_str(&body).with_context(|| format!("GET {path}: not JSON: {body}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_reads_attributes_text_and_entities() {
        let html = r#"<!DOCTYPE html><html lang="zh-CN"><body data-ready="1"><td data-city="hezhou" data-figure="stations" data-value="5">5</td><text data-key="a&amp;b" class='x'>A &lt;b&gt;</text><input checked disabled=""><br/></body></html>"#;
        let els = elements(html);
        let tags: Vec<&str> = els.iter().map(|e| e.tag.as_str()).collect();
        assert_eq!(tags, ["html", "body", "td", "text", "input", "br"]);
        assert_eq!(els[0].attr("lang"), Some("zh-CN"));
        assert_eq!(els[2].attr("data-value"), Some("5"));
        assert_eq!(els[2].text, "5");
        assert_eq!(els[3].attr("data-key"), Some("a&b"));
        assert_eq!(els[3].attr("class"), Some("x"));
        assert_eq!(els[3].text, "A <b>");
        assert_eq!(els[4].attr("checked"), Some(""));
        let page = Page::new(html.to_string());
        assert_eq!(page.with_attr("data-figure").len(), 1);
        assert_eq!(page.lang(), "zh-CN");
        assert!(page.shows_text("5"));
        let figures = page.figures().unwrap();
        let at = ("hezhou".to_string(), "stations".to_string(), String::new());
        assert_eq!(figures.get(&at), Some(&5));
    }
}
