//! Checks shared by the federation tests: a record's replicated state as one comparable
//! value ([`View`]), waiting until every participant shows the same view, and scanning a
//! data directory for bytes that must never be stored there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::{eventually_every, Cli, Federation, NodeProc};

/// Longest wait for one replication step in the federation tests (generous: 2 cores,
/// tests run side by side; a passing step takes well under a second).
pub const REPL: Duration = Duration::from_secs(30);

/// How often the checks below poll a node through the CLI (each poll is a process).
pub const POLL: Duration = Duration::from_millis(200);

/// The `id` field of a record's JSON.
pub fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

/// What must be equal at every participant once a record has converged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Record status.
    pub status: String,
    /// Number of applied events.
    pub version: u64,
    /// DAG heads, sorted.
    pub heads: Vec<String>,
    /// Event id → (rejected, reason), for every history entry.
    pub history: BTreeMap<String, (bool, String)>,
    /// Number of history entries (equal to `history.len()` unless one is duplicated).
    pub history_len: usize,
    /// Participants, in record order.
    pub participants: Vec<String>,
}

impl View {
    /// The view of a record shown with history (`show ID --json`).
    pub fn of(v: &Value) -> View {
        let s = |x: &Value| x.as_str().unwrap_or_default().to_string();
        let entries = v["history"].as_array().cloned().unwrap_or_default();
        let mut heads: Vec<String> = v["heads"]
            .as_array()
            .map(|a| a.iter().map(s).collect())
            .unwrap_or_default();
        heads.sort();
        View {
            status: s(&v["status"]),
            version: v["version"].as_u64().unwrap_or_default(),
            heads,
            history: entries
                .iter()
                .map(|e| {
                    let rejected = e["rejected"].as_bool().unwrap_or_default();
                    (s(&e["id"]), (rejected, s(&e["reason"])))
                })
                .collect(),
            history_len: entries.len(),
            participants: v["participants"]
                .as_array()
                .map(|a| a.iter().map(s).collect())
                .unwrap_or_default(),
        }
    }

    /// Ids of the history entries.
    pub fn event_ids(&self) -> BTreeSet<String> {
        self.history.keys().cloned().collect()
    }

    /// Ids of the rejected history entries.
    pub fn rejected(&self) -> BTreeSet<String> {
        self.history
            .iter()
            .filter(|(_, (r, _))| *r)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// `show ID` at `cli`'s node, or `None` when it fails (not there yet, node down).
pub fn try_show(cli: &Cli, id: &str) -> Option<Value> {
    cli.json(&["show", id]).ok()
}

/// Waits until `id` is shown by `cli`'s node and `pred` holds for it; returns the JSON.
pub fn wait_for(
    cli: &Cli,
    id: &str,
    timeout: Duration,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> Result<Value> {
    eventually_every(timeout, POLL, what, || try_show(cli, id).filter(&pred))
}

/// Waits until every node in `clis` shows `id` identically — the whole `show --json`
/// output, history included, so the same event set AND the same projected state — and
/// `pred` holds for its [`View`]; returns that view. On timeout the error shows each
/// node's last view.
pub fn converged(
    clis: &[(&str, &Cli)],
    id: &str,
    timeout: Duration,
    pred: impl Fn(&View) -> bool,
) -> Result<View> {
    let mut last: Vec<(String, Option<Value>)> = Vec::new();
    let got = eventually_every(timeout, POLL, &format!("{id} to converge"), || {
        last = clis
            .iter()
            .map(|(city, cli)| (city.to_string(), try_show(cli, id)))
            .collect();
        let first = last.first()?.1.clone()?;
        let same = last.iter().all(|(_, v)| v.as_ref() == Some(&first));
        let view = View::of(&first);
        (same && pred(&view)).then_some(view)
    });
    got.with_context(|| {
        let views: Vec<_> = last
            .iter()
            .map(|(c, v)| (c, v.as_ref().map(View::of)))
            .collect();
        format!("last views: {views:#?}")
    })
}

/// `list --all` at `cli`'s node: record id → record (without history). Fails if an id
/// is listed twice.
pub fn list_all(cli: &Cli) -> Result<BTreeMap<String, Value>> {
    let v = cli.json(&["list", "--all"])?;
    let Some(items) = v.as_array() else {
        bail!("`list --all --json` did not print an array: {v}");
    };
    let mut out = BTreeMap::new();
    for r in items {
        if out.insert(id_of(r), r.clone()).is_some() {
            bail!("record {} is listed twice", id_of(r));
        }
    }
    Ok(out)
}

/// Every file under `dir` (recursively) whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Result<Vec<PathBuf>> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut scanned = 0usize;
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("read {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).with_context(|| format!("read {}", path.display()))?;
            scanned += 1;
            if !needle.is_empty() && bytes.windows(needle.len()).any(|w| w == needle) {
                hits.push(path);
            }
        }
    }
    if scanned == 0 {
        bail!("no files under {}: nothing was scanned", dir.display());
    }
    Ok(hits)
}

/// Creates a suggestion at `cli`'s node shared with `partners`; returns its id.
pub fn create_suggestion(cli: &Cli, title: &str, partners: &[&str]) -> Result<String> {
    let mut args = vec!["suggestion", "create", "--title", title, "--body", "正文"];
    for p in partners {
        args.extend(["--partner", p]);
    }
    let rec = cli.json(&args)?;
    let id = id_of(&rec);
    if id.is_empty() {
        bail!("create printed no id: {rec}");
    }
    Ok(id)
}

/// Cuts `city`–`peer`, starts `city` behind the cut and creates `n` suggestions there
/// (coordinator, shared with `peer`, titled `title i`). Asserts nothing was forwarded to
/// `peer` meanwhile — it must not reconnect before the restarted node has written past its
/// cursor — then heals the link. Returns the node and the new ids.
pub fn restart_behind_cut_and_write(
    fed: &Federation,
    city: &str,
    peer: &str,
    title: &str,
    n: usize,
) -> Result<(NodeProc, Vec<String>)> {
    fed.cut(city, peer);
    let at_cut = fed.forwarded(city, peer);
    let node = fed.start(city)?;
    let cli = node.cli("coordinator");
    let ids = (0..n)
        .map(|i| create_suggestion(&cli, &format!("{title} {i}"), &[peer]))
        .collect::<Result<Vec<_>>>()?;
    assert_eq!(
        fed.forwarded(city, peer),
        at_cut,
        "{peer} reconnected before the restored node wrote past its cursor"
    );
    fed.heal(city, peer);
    Ok((node, ids))
}

/// Waits until each of `ids` has converged at every node in `clis`, with exactly one
/// history entry.
pub fn arrives_once<S: AsRef<str>>(
    clis: &[(&str, &Cli)],
    ids: impl IntoIterator<Item = S>,
) -> Result<()> {
    for id in ids {
        let id = id.as_ref();
        let v = converged(clis, id, REPL, |_| true)?;
        assert_eq!(v.history_len, 1, "{id}: {v:?}");
    }
    Ok(())
}

/// Runs an act at `cli`'s node; returns the record and the new event's id (the acting
/// node knows every head, so the new event is the record's only head).
pub fn act(cli: &Cli, args: &[&str]) -> Result<(Value, String)> {
    let rec = cli.json(args)?;
    let ev = only(View::of(&rec).heads)?;
    Ok((rec, ev))
}

/// The `peers --json` entry of `peer` at the node of `cli`, if it lists it.
pub fn peer_status(cli: &Cli, peer: &str) -> Option<Value> {
    let v = cli.json(&["peers"]).ok()?;
    v.as_array()?.iter().find(|p| p["city"] == peer).cloned()
}

/// The one item of `items`, or an error naming them.
pub fn only<T: std::fmt::Debug>(items: impl IntoIterator<Item = T>) -> Result<T> {
    let mut v: Vec<T> = items.into_iter().collect();
    if v.len() != 1 {
        bail!("expected exactly one, got {v:?}");
    }
    v.pop().context("empty")
}

/// Fails if any node of `fed` logged a panic.
pub fn no_panics(fed: &crate::Federation) -> Result<()> {
    let p = fed.panics();
    if !p.is_empty() {
        bail!("a node panicked:\n{}", p.join("\n"));
    }
    Ok(())
}

/// Runs `lianluo ARGS` (no profile) and requires success.
pub fn run_ok(args: &[&str]) -> Result<()> {
    crate::check_ok(&crate::lianluo(args), &args.join(" "))
}

/// `lianluo tls revoke --pki PKI --cert CERT`: revokes `cert` and rewrites its CA's CRL.
pub fn revoke(pki: &Path, cert: &Path) -> Result<()> {
    let (Some(p), Some(c)) = (pki.to_str(), cert.to_str()) else {
        bail!("non-UTF-8 path {} or {}", pki.display(), cert.display());
    };
    run_ok(&["tls", "revoke", "--pki", p, "--cert", c])
}
