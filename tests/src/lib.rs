//! Lianluo test harness: real `lianluo` node processes with real certificates on real
//! disk. A [`Federation`] is a temp dir set up by `lianluo demo --init-only`, with every
//! node listening on port 0; [`NodeProc`] runs one node and is killed on drop; [`Cli`]
//! drives the real binary as a coordinator would.

pub mod fake_peer;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// The `lianluo` binary under test: `$LIANLUO_BIN`, else the one cargo built next to
/// this test executable (`cargo test --workspace` builds it).
pub fn lianluo_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("LIANLUO_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    // target/debug/deps/<test> -> target/debug/lianluo
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir of the test executable");
    let bin = dir.join("lianluo");
    assert!(
        bin.exists(),
        "{} not found; build it first with `cargo build -p lianluo-node` or set LIANLUO_BIN",
        bin.display()
    );
    bin
}

/// Polls `f` every 50 ms until it returns `Some`, for at most `timeout`.
pub fn eventually<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> Result<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Ok(v);
        }
        if start.elapsed() > timeout {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A three-city setup in a temp dir (hezhou, qingyuan, yongzhou), nodes on port 0.
pub struct Federation {
    dir: tempfile::TempDir,
}

impl Federation {
    /// Runs `lianluo demo --init-only` in a fresh temp dir and switches every node to
    /// port 0.
    pub fn init() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let out = Command::new(lianluo_bin())
            .args(["demo", "--init-only", "--dir"])
            .arg(dir.path())
            .output()?;
        check_ok(&out, "lianluo demo --init-only")?;
        let fed = Self { dir };
        for city in ["hezhou", "qingyuan", "yongzhou"] {
            let path = fed.node_config(city);
            let text = std::fs::read_to_string(&path)?;
            let patched: String = text
                .lines()
                .map(|l| {
                    if l.starts_with("listen = ") {
                        "listen = \"127.0.0.1:0\"".to_string()
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            std::fs::write(&path, patched + "\n")?;
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

    /// Starts `city`'s node and waits until it is ready.
    pub fn start(&self, city: &str) -> Result<NodeProc> {
        NodeProc::start(self.dir(), city)
    }
}

/// A running `lianluo node` process. Killed (SIGKILL) on drop.
pub struct NodeProc {
    child: Option<Child>,
    root: PathBuf,
    /// The node's city.
    pub city: String,
    /// `host:port` of the client API.
    pub api: String,
}

impl NodeProc {
    /// Starts the node of `city` under `root` (a demo dir) and waits for it to be ready,
    /// then writes profiles `root/<city>/<role>.port0.toml` pointing at its real port.
    pub fn start(root: &Path, city: &str) -> Result<Self> {
        let data = root.join(city).join("data");
        let ready = data.join("node.ready.json");
        let _ = std::fs::remove_file(&ready);
        let log = std::fs::File::create(root.join(city).join("node.log"))?;
        let child = Command::new(lianluo_bin())
            .arg("node")
            .arg("--config")
            .arg(root.join(city).join("node.toml"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        let mut node = NodeProc {
            child: Some(child),
            root: root.to_path_buf(),
            city: city.to_string(),
            api: String::new(),
        };
        let api = eventually(Duration::from_secs(30), "node ready file", || {
            if let Some(c) = node.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    return Some(Err(anyhow::anyhow!(
                        "node {city} exited with {status}; log:\n{}",
                        node.log()
                    )));
                }
            }
            let text = std::fs::read_to_string(&ready).ok()?;
            let v: Value = serde_json::from_str(&text).ok()?;
            Some(Ok(v["api"].as_str()?.to_string()))
        })??;
        node.api = api;
        for role in ["admin", "coordinator", "viewer"] {
            node.write_profile(role, city)?;
        }
        Ok(node)
    }

    /// Writes a profile for `user_city`'s `role` user pointed at this node (to test a
    /// user of another city, pass that city) and returns its path.
    pub fn write_profile(&self, role: &str, user_city: &str) -> Result<PathBuf> {
        let path = self
            .root
            .join(&self.city)
            .join(format!("{role}-of-{user_city}.port0.toml"));
        let pki = self.root.join("pki");
        let text = format!(
            "endpoint = \"https://{}\"\nca = \"{}\"\ncert = \"{}\"\nkey = \"{}\"\n",
            self.api,
            pki.join("root-ca.pem").display(),
            pki.join(user_city)
                .join("users")
                .join(format!("{role}.pem"))
                .display(),
            pki.join(user_city)
                .join("users")
                .join(format!("{role}.key"))
                .display(),
        );
        std::fs::write(&path, text)?;
        Ok(path)
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

    /// The node's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join(&self.city).join("node.log")).unwrap_or_default()
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
        })?;
        Ok(status.success())
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The `lianluo` CLI with a fixed profile.
#[derive(Clone)]
pub struct Cli {
    /// Profile path passed as `--profile`.
    pub profile: PathBuf,
}

impl Cli {
    /// Runs `lianluo --profile P ARGS…` and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(lianluo_bin())
            .arg("--profile")
            .arg(&self.profile)
            .args(args)
            .output()
            .expect("run lianluo")
    }

    /// Runs with `--json`, requires success, and parses stdout.
    pub fn json(&self, args: &[&str]) -> Result<Value> {
        let mut a = args.to_vec();
        a.push("--json");
        let out = self.run(&a);
        check_ok(&out, &args.join(" "))?;
        serde_json::from_slice(&out.stdout).with_context(|| {
            format!(
                "stdout of `{}` is not JSON: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Runs and requires failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> Result<String> {
        let out = self.run(args);
        if out.status.success() {
            bail!(
                "`{}` succeeded but should have failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout)
            );
        }
        Ok(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Fails with the command's stderr unless it exited 0.
pub fn check_ok(out: &Output, what: &str) -> Result<()> {
    if !out.status.success() {
        bail!(
            "`{what}` failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    Ok(())
}

/// Runs the `lianluo` binary with `args` (no profile).
pub fn lianluo(args: &[&str]) -> Output {
    Command::new(lianluo_bin())
        .args(args)
        .output()
        .expect("run lianluo")
}
