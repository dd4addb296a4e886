//! A city joining a running [`Federation`]: its certificates issued from the setup's PKI
//! with the real `lianluo tls` commands and its `node.toml` written (port 0, peers dialled
//! directly, no proxies), and the `[[peers]]` tables the running cities add for it.

use std::path::PathBuf;

use anyhow::{ensure, Context, Result};

use crate::check::run_ok;
use crate::Federation;

impl Federation {
    /// Issues `city`'s node, signer and user certificates (admin, coordinator, viewer)
    /// and writes `DIR/<city>/node.toml` — the demo's, listening on port 0 — with `peers`
    /// (city, address) as its `[[peers]]`. Returns the config's path.
    pub fn write_city(&self, city: &str, peers: &[(&str, &str)]) -> Result<PathBuf> {
        let pki = self.dir().join("pki");
        let pki_arg = pki.to_str().context("non-UTF-8 temp path")?;
        run_ok(&["tls", "city", "--pki", pki_arg, "--city", city])?;
        for role in ["admin", "coordinator", "viewer"] {
            run_ok(&[
                "tls", "user", "--pki", pki_arg, "--city", city, "--name", role,
            ])?;
        }
        let dir = self.dir().join(city);
        std::fs::create_dir_all(&dir)?;
        // Hezhou's config as the demo wrote it (listeners on port 0), for `city`: the one
        // template cities' configs come from, so this one cannot drift from it.
        let mut text = std::fs::read_to_string(self.node_config("hezhou"))?.replace("hezhou", city);
        for demo_peer in crate::CITIES.iter().filter(|c| **c != "hezhou") {
            text = without_peer(&text, demo_peer)?;
        }
        for (peer, address) in peers {
            text.push_str(&peer_table(peer, address));
        }
        let path = dir.join("node.toml");
        std::fs::write(&path, text)?;
        Ok(path)
    }

    /// Appends a `[[peers]]` table for `peer` at `address` to `city`'s `node.toml` (a
    /// running node applies it on SIGHUP or when it sees the file change).
    pub fn add_peer(&self, city: &str, peer: &str, address: &str) -> Result<()> {
        let path = self.node_config(city);
        let mut text = std::fs::read_to_string(&path)?;
        ensure!(
            !text.contains(&format!("city = \"{peer}\"")),
            "{city} already lists {peer}"
        );
        text.push_str(&peer_table(peer, address));
        Ok(std::fs::write(&path, text)?)
    }

    /// Removes the `[[peers]]` table of `peer` from `city`'s `node.toml`.
    pub fn remove_peer(&self, city: &str, peer: &str) -> Result<()> {
        let path = self.node_config(city);
        let text = std::fs::read_to_string(&path)?;
        Ok(std::fs::write(&path, without_peer(&text, peer)?)?)
    }
}

/// `text` (a `node.toml`) without the `[[peers]]` table of `peer`.
pub fn without_peer(text: &str, peer: &str) -> Result<String> {
    let tables: Vec<&str> = text.split("[[peers]]").collect();
    let mut out = tables[0].to_string();
    let mut found = false;
    for t in &tables[1..] {
        if t.contains(&format!("city = \"{peer}\"")) {
            found = true;
            // Keep what follows the table (a later section), drop its own lines.
            if let Some(i) = t.find("\n[") {
                out.push_str(&t[i + 1..]);
            }
        } else {
            out.push_str("[[peers]]");
            out.push_str(t);
        }
    }
    ensure!(found, "no [[peers]] table for {peer}");
    Ok(out)
}

fn peer_table(city: &str, address: &str) -> String {
    format!("\n[[peers]]\ncity = \"{city}\"\naddress = \"{address}\"\n")
}
