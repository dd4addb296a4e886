//! [`Federation`]: a three-city setup (hezhou, qingyuan, yongzhou) written by `lianluo
//! demo --init-only` into a temp dir, with every listener on 127.0.0.1:0 and every
//! directed federation link A→B running through its own [`LinkProxy`], so a test can cut,
//! heal or reroute any link while the nodes run.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::proxy::LinkProxy;
use crate::{check_ok, lianluo_bin, NodeProc};

/// The demo's cities.
pub const CITIES: [&str; 3] = ["hezhou", "qingyuan", "yongzhou"];

/// A three-city setup in a temp dir, nodes on port 0, links through proxies.
pub struct Federation {
    // Proxies first: dropped before the temp dir.
    links: BTreeMap<(String, String), LinkProxy>,
    dir: tempfile::TempDir,
}

impl Federation {
    /// Runs `lianluo demo --init-only` in a fresh temp dir, switches every listener
    /// (api, federation, http) to 127.0.0.1:0, starts one proxy per directed link A→B
    /// and sets A's `[[peers]]` address for B to that proxy. With `LIANLUO_TEST_KEEP`
    /// set, the dir (configs, data, `<city>/node.log`) is kept and its path printed.
    pub fn init() -> Result<Self> {
        let keep = std::env::var_os("LIANLUO_TEST_KEEP").is_some();
        let dir = tempfile::Builder::new()
            .prefix("lianluo-test-")
            .disable_cleanup(keep)
            .tempdir()?;
        if keep {
            eprintln!("harness: keeping {}", dir.path().display());
        }
        let out = Command::new(lianluo_bin())
            .args(["demo", "--init-only", "--dir"])
            .arg(dir.path())
            .output()?;
        check_ok(&out, "lianluo demo --init-only")?;
        let mut links = BTreeMap::new();
        for a in CITIES {
            for b in CITIES.iter().filter(|b| **b != a) {
                links.insert((a.to_string(), b.to_string()), LinkProxy::start()?);
            }
        }
        let fed = Self { links, dir };
        for city in CITIES {
            let path = fed.node_config(city);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let peer_addr = |peer: &str| fed.link(city, peer).map(LinkProxy::addr);
            let patched = patch_node_toml(&text, peer_addr)
                .with_context(|| format!("cannot patch {}", path.display()))?;
            std::fs::write(&path, patched)?;
        }
        Ok(fed)
    }

    /// The setup's root directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `DIR/<city>/node.toml`.
    pub fn node_config(&self, city: &str) -> PathBuf {
        self.dir().join(city).join("node.toml")
    }

    /// `DIR/<city>/data`.
    pub fn data_dir(&self, city: &str) -> PathBuf {
        self.dir().join(city).join("data")
    }

    /// Starts `city`'s node, waits until it is ready, and points every link X→city at
    /// its federation address (this replaces an earlier [`route`](Self::route) to a fake
    /// peer for those links).
    pub fn start(&self, city: &str) -> Result<NodeProc> {
        self.start_with_env(city, &[])
    }

    /// Like [`start`](Self::start), with the node's wall clock moved by `offset` with
    /// libfaketime (e.g. `"+1h"`, `"-1h"`; monotonic time is left alone). Fails, saying
    /// how to install it, when libfaketime is missing (`scripts/test` installs it).
    pub fn start_with_clock(&self, city: &str, offset: &str) -> Result<NodeProc> {
        let lib = crate::faketime_lib()?;
        let env = [
            ("LD_PRELOAD", lib.display().to_string()),
            ("FAKETIME", offset.to_string()),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1".to_string()),
            ("FAKETIME_NO_CACHE", "1".to_string()),
        ];
        let env: Vec<(String, String)> = env.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        self.start_with_env(city, &env)
    }

    fn start_with_env(&self, city: &str, env: &[(String, String)]) -> Result<NodeProc> {
        let node = NodeProc::start_with_env(self.dir(), city, env)?;
        let addr: SocketAddr = node.federation.parse().with_context(|| {
            format!(
                "{city}'s ready file names no usable federation address ({:?}); it must \
                 say where the node serves federation",
                node.federation
            )
        })?;
        for (_, proxy) in self.links.iter().filter(|((_, to), _)| to == city) {
            proxy.set_target(addr);
        }
        Ok(node)
    }

    /// Cuts the link between `a` and `b` in both directions: live connections are
    /// dropped and new ones refused until [`heal`](Self::heal).
    pub fn cut(&self, a: &str, b: &str) {
        for (x, y) in [(a, b), (b, a)] {
            self.expect_link(x, y).cut();
        }
    }

    /// Lets connections between `a` and `b` through again, both directions.
    pub fn heal(&self, a: &str, b: &str) {
        for (x, y) in [(a, b), (b, a)] {
            self.expect_link(x, y).heal();
        }
    }

    /// Injects `fault` into the link `from`→`to` (`None` clears it).
    pub fn set_fault(&self, from: &str, to: &str, fault: Option<crate::Fault>) {
        self.expect_link(from, to).set_fault(fault);
    }

    /// Points the link `from`→`to` (what `from` dials as `to`) at `target`, e.g. a fake
    /// peer; live connections on that link are dropped.
    pub fn route(&self, from: &str, to: &str, target: SocketAddr) {
        self.expect_link(from, to).set_target(target);
    }

    /// Sets `key = value` (`value` is TOML, e.g. `3` or `"x"`) in the `[table]` of
    /// `city`'s `node.toml`, replacing the key if the table has it. Takes effect at the
    /// node's next start.
    pub fn set_config(&self, city: &str, table: &str, key: &str, value: &str) -> Result<()> {
        let path = self.node_config(city);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let patched = set_key(&text, table, key, value)
            .with_context(|| format!("cannot patch {}", path.display()))?;
        Ok(std::fs::write(&path, patched)?)
    }

    /// Sets `[federation] max_stream_secs` of every city (before its node starts): the
    /// longest life of a replication stream and of any connection to the node.
    pub fn set_max_stream_secs(&self, secs: u64) -> Result<()> {
        for city in CITIES {
            self.set_config(city, "federation", "max_stream_secs", &secs.to_string())?;
        }
        Ok(())
    }

    /// Connections forwarded so far on the links `a`→`b` and `b`→`a`: unchanged while
    /// the link is cut, however often the nodes redial.
    pub fn forwarded(&self, a: &str, b: &str) -> (u64, u64) {
        (
            self.expect_link(a, b).forwarded(),
            self.expect_link(b, a).forwarded(),
        )
    }

    /// Connections a [`crate::Fault::Drop`] cut on the links `a`→`b` and `b`→`a`.
    pub fn dropped(&self, a: &str, b: &str) -> u64 {
        self.expect_link(a, b).dropped() + self.expect_link(b, a).dropped()
    }

    /// Lines of any city's `node.log` that report a panic (a crashed task or thread is
    /// a bug even when the test's assertions hold).
    pub fn panics(&self) -> Vec<String> {
        CITIES
            .iter()
            .flat_map(|c| {
                let log = std::fs::read_to_string(self.dir().join(c).join("node.log"));
                let lines: Vec<String> = log
                    .unwrap_or_default()
                    .lines()
                    .filter(|l| l.contains("panicked"))
                    .map(|l| format!("{c}: {l}"))
                    .collect();
                lines
            })
            .collect()
    }

    /// The proxy of the link `from`→`to`, if both are cities of the setup.
    pub fn link(&self, from: &str, to: &str) -> Option<&LinkProxy> {
        self.links.get(&(from.to_string(), to.to_string()))
    }

    fn expect_link(&self, from: &str, to: &str) -> &LinkProxy {
        match self.link(from, to) {
            Some(l) => l,
            None => panic!("no link {from}->{to}: cities are {CITIES:?}"),
        }
    }
}

/// Rewrites a demo `node.toml`: every `listen = …` becomes `127.0.0.1:0` and the
/// `address` of each `[[peers]]` table becomes `peer_addr(city)`.
pub fn patch_node_toml(
    text: &str,
    peer_addr: impl Fn(&str) -> Option<SocketAddr>,
) -> Result<String> {
    let mut out: Vec<String> = Vec::new();
    // Lines of the `[[peers]]` table being read, flushed at the next table header.
    let mut peer: Option<Vec<String>> = None;
    let flush = |peer: &mut Option<Vec<String>>, out: &mut Vec<String>| -> Result<()> {
        if let Some(lines) = peer.take() {
            out.extend(patch_peer(lines, &peer_addr)?);
        }
        Ok(())
    };
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            flush(&mut peer, &mut out)?;
            if t.starts_with("[[peers]]") {
                peer = Some(vec![line.to_string()]);
                continue;
            }
        }
        if let Some(lines) = peer.as_mut() {
            lines.push(line.to_string());
        } else if key_of(t) == Some("listen") {
            out.push("listen = \"127.0.0.1:0\"".to_string());
        } else {
            out.push(line.to_string());
        }
    }
    flush(&mut peer, &mut out)?;
    Ok(out.join("\n") + "\n")
}

fn patch_peer(
    lines: Vec<String>,
    peer_addr: &impl Fn(&str) -> Option<SocketAddr>,
) -> Result<Vec<String>> {
    let city = lines
        .iter()
        .find(|l| key_of(l.trim_start()) == Some("city"))
        .and_then(|l| l.split('"').nth(1))
        .map(str::to_string);
    let Some(city) = city else {
        bail!("a [[peers]] table without city = \"…\": {lines:?}");
    };
    let Some(addr) = peer_addr(&city) else {
        bail!("[[peers]] city {city:?} is not a city of the setup");
    };
    let mut found = false;
    let lines = lines
        .into_iter()
        .map(|l| {
            if key_of(l.trim_start()) == Some("address") {
                found = true;
                format!("address = \"{addr}\"")
            } else {
                l
            }
        })
        .collect();
    if !found {
        bail!("[[peers]] city {city:?} has no address line");
    }
    Ok(lines)
}

/// `text` (a TOML document) with `key = value` as the first line of its `[table]`; an
/// earlier `key = …` line of that table is removed. Fails if there is no such table.
pub fn set_key(text: &str, table: &str, key: &str, value: &str) -> Result<String> {
    let header = format!("[{table}]");
    let mut out: Vec<String> = Vec::new();
    let (mut found, mut inside) = (false, false);
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            inside = t.trim_end() == header;
            out.push(line.to_string());
            if inside && !found {
                found = true;
                out.push(format!("{key} = {value}"));
            }
            continue;
        }
        if !(inside && key_of(t) == Some(key)) {
            out.push(line.to_string());
        }
    }
    if !found {
        bail!("no [{table}] table to set {key} in");
    }
    Ok(out.join("\n") + "\n")
}

/// The key of a `key = value` line.
fn key_of(line: &str) -> Option<&str> {
    let (k, _) = line.split_once('=')?;
    let k = k.trim();
    (!k.is_empty() && !k.starts_with('#')).then_some(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_and_listeners_are_rewritten() {
        let text = "city = \"hezhou\"\n[api]\nlisten = \"127.0.0.1:7101\"\n\
                    [http]\n  listen = \"127.0.0.1:7103\"\n\
                    [[peers]]\ncity = \"qingyuan\"\naddress = \"127.0.0.1:7112\"\n\n\
                    [[peers]]\naddress = \"127.0.0.1:7122\"\ncity = \"yongzhou\"\n";
        let out = patch_node_toml(text, |c| match c {
            "qingyuan" => Some("127.0.0.1:1".parse().unwrap()),
            "yongzhou" => Some("127.0.0.1:2".parse().unwrap()),
            _ => None,
        })
        .unwrap();
        assert_eq!(out.matches("listen = \"127.0.0.1:0\"").count(), 2);
        assert!(out.contains("city = \"qingyuan\"\naddress = \"127.0.0.1:1\""));
        assert!(out.contains("address = \"127.0.0.1:2\"\ncity = \"yongzhou\""));
        assert!(!out.contains("712"));
    }

    #[test]
    fn set_key_replaces_or_adds_the_key_in_its_table_only() {
        let text = "[api]\nmax_stream_secs = 1\n[federation]\nlisten = \"x\"\n\
                    max_stream_secs = 300\n[[peers]]\ncity = \"a\"\n";
        let out = set_key(text, "federation", "max_stream_secs", "3").unwrap();
        assert_eq!(
            out,
            "[api]\nmax_stream_secs = 1\n[federation]\nmax_stream_secs = 3\n\
             listen = \"x\"\n[[peers]]\ncity = \"a\"\n"
        );
        assert!(set_key(text, "tls", "crls", "[]").is_err());
    }

    #[test]
    fn unknown_peer_is_an_error() {
        let text = "[[peers]]\ncity = \"guilin\"\naddress = \"127.0.0.1:1\"\n";
        assert!(patch_node_toml(text, |_| None).is_err());
    }
}
