//! [`NodeProc`]: one running `lianluo node` process of a demo setup, with the addresses
//! it announced in `DATA_DIR/node.ready.json`. Killed with SIGKILL on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Result;
use serde_json::Value;

use crate::{eventually, lianluo_bin, Cli};

/// How long a node may take to write its ready file.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `lianluo node` process. Killed (SIGKILL) on drop.
pub struct NodeProc {
    child: Option<Child>,
    root: PathBuf,
    /// The node's city.
    pub city: String,
    /// `host:port` of the client API.
    pub api: String,
    /// `host:port` of the federation service (empty if the node did not announce one).
    pub federation: String,
    /// `host:port` of the metrics/health HTTP listener, if it has one.
    pub http: Option<String>,
}

/// Addresses a ready node announced.
struct Ready {
    api: String,
    federation: String,
    http: Option<String>,
}

impl NodeProc {
    /// Starts the node of `city` under `root` (a demo dir) and waits for it to be ready,
    /// then writes profiles `root/<city>/<role>-of-<city>.port0.toml` pointing at its
    /// real port. The node's stderr goes to `root/<city>/node.log` (appended, so the log
    /// of a restarted node keeps what came before).
    pub fn start(root: &Path, city: &str) -> Result<Self> {
        Self::start_with_env(root, city, &[])
    }

    /// Like [`NodeProc::start`], with extra environment variables for the node process
    /// (e.g. libfaketime's, see [`crate::Federation::start_with_clock`]).
    pub fn start_with_env(root: &Path, city: &str, env: &[(String, String)]) -> Result<Self> {
        let data = root.join(city).join("data");
        let ready = data.join("node.ready.json");
        let _ = std::fs::remove_file(&ready);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(root.join(city).join("node.log"))?;
        let child = Command::new(lianluo_bin())
            .arg("node")
            .arg("--config")
            .arg(root.join(city).join("node.toml"))
            .env(
                "RUST_LOG",
                std::env::var("LIANLUO_TEST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        let mut node = NodeProc {
            child: Some(child),
            root: root.to_path_buf(),
            city: city.to_string(),
            api: String::new(),
            federation: String::new(),
            http: None,
        };
        let r = node.wait_ready(&ready)?;
        node.api = r.api;
        node.federation = r.federation;
        node.http = r.http;
        for role in ["admin", "coordinator", "viewer"] {
            node.write_profile(role, city)?;
        }
        Ok(node)
    }

    fn wait_ready(&mut self, ready: &Path) -> Result<Ready> {
        let city = self.city.clone();
        eventually(READY_TIMEOUT, &format!("{city}'s node ready file"), || {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    return Some(Err(anyhow::anyhow!(
                        "node {city} exited with {status}; log:\n{}",
                        self.log()
                    )));
                }
            }
            let text = std::fs::read_to_string(ready).ok()?;
            let v: Value = serde_json::from_str(&text).ok()?;
            let s = |k: &str| v[k].as_str().map(str::to_string);
            Some(Ok(Ready {
                api: s("api")?,
                federation: s("federation").unwrap_or_default(),
                http: s("http"),
            }))
        })?
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The node's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.root.join(&self.city).join("data")
    }

    /// Writes a profile for `user_city`'s `role` user pointed at this node (to test a
    /// user of another city, pass that city) and returns its path.
    pub fn write_profile(&self, role: &str, user_city: &str) -> Result<PathBuf> {
        let path = self
            .root
            .join(&self.city)
            .join(format!("{role}-of-{user_city}.port0.toml"));
        let pki = self.root.join("pki");
        let user = |ext: &str| {
            pki.join(user_city)
                .join("users")
                .join(format!("{role}.{ext}"))
        };
        let text = format!(
            "endpoint = \"https://{}\"\nca = \"{}\"\ncert = \"{}\"\nkey = \"{}\"\n",
            self.api,
            pki.join("root-ca.pem").display(),
            user("pem").display(),
            user("key").display(),
        );
        std::fs::write(&path, text)?;
        Ok(path)
    }

    /// The demo dir the node runs under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The profile of this city's `role` user.
    pub fn profile(&self, role: &str) -> PathBuf {
        self.root
            .join(&self.city)
            .join(format!("{role}-of-{}.port0.toml", self.city))
    }

    /// A CLI bound to this node as this city's `role` user.
    pub fn cli(&self, role: &str) -> Cli {
        Cli {
            profile: self.profile(role),
        }
    }

    /// The node's log so far (every run of this city in this setup).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join(&self.city).join("node.log")).unwrap_or_default()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(Child::try_wait), Some(Ok(None)))
    }

    /// SIGHUP: the node reloads its certificates, keys and CRLs at once.
    pub fn sighup(&self) -> Result<()> {
        let Some(pid) = self.pid() else {
            anyhow::bail!("{} is not running", self.city);
        };
        let status = Command::new("kill")
            .arg("-HUP")
            .arg(pid.to_string())
            .status()?;
        anyhow::ensure!(status.success(), "kill -HUP {pid}: {status}");
        Ok(())
    }

    /// SIGKILL: no shutdown, no final flush.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait for a clean exit; returns whether it exited successfully.
    pub fn stop(&mut self) -> Result<bool> {
        let Some(mut c) = self.child.take() else {
            return Ok(true);
        };
        Command::new("kill")
            .arg("-TERM")
            .arg(c.id().to_string())
            .status()?;
        let status = eventually(Duration::from_secs(20), "node exit", || {
            c.try_wait().ok().flatten()
        });
        match status {
            Ok(status) => Ok(status.success()),
            Err(e) => {
                let _ = c.kill();
                let _ = c.wait();
                Err(e)
            }
        }
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        self.kill();
    }
}
