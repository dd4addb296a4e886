//! Lianluo test harness: real `lianluo` node processes with real certificates on real
//! disk. A [`Federation`] is a temp dir set up by `lianluo demo --init-only`, with every
//! node listening on port 0 and every directed federation link running through a
//! [`LinkProxy`] the test can cut, heal or reroute; [`NodeProc`] runs one node and is
//! killed on drop; [`Cli`] drives the real binary as a coordinator would, and [`grpc`]
//! speaks the client API directly when a test writes thousands of records.

pub mod browser;
pub mod check;
pub mod fake_peer;
pub mod federation;
pub mod flood;
pub mod grpc;
pub mod join;
pub mod node;
pub mod proxy;
pub mod rpc_raw;
pub mod tmpfs;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

pub use federation::{Federation, CITIES};
pub use node::NodeProc;
pub use proxy::{Fault, LinkProxy};

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
pub fn eventually<T>(timeout: Duration, what: &str, f: impl FnMut() -> Option<T>) -> Result<T> {
    eventually_every(timeout, Duration::from_millis(50), what, f)
}

/// Polls `f` every `every` until it returns `Some`, for at most `timeout`.
pub fn eventually_every<T>(
    timeout: Duration,
    every: Duration,
    what: &str,
    mut f: impl FnMut() -> Option<T>,
) -> Result<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Ok(v);
        }
        if start.elapsed() > timeout {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(every);
    }
}

/// Observes for the whole of `window`, polling `f` every `every`, that what `f` looks
/// for never happens: fails as soon as `f` returns `Some` (with what it found). For
/// "this must not arrive" checks: the caller says why `window` is long enough.
pub fn never_within<T: std::fmt::Debug>(
    window: Duration,
    every: Duration,
    what: &str,
    mut f: impl FnMut() -> Option<T>,
) -> Result<()> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            bail!("{what} after {:?}: {v:?}", start.elapsed());
        }
        if start.elapsed() > window {
            return Ok(());
        }
        std::thread::sleep(every);
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
            // Text output in English whatever the machine's locale (a test asks for
            // Chinese with --lang zh).
            .env("LC_ALL", "C")
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

/// libfaketime's preload library (Debian's `libfaketime` package).
pub fn faketime_lib() -> Result<PathBuf> {
    let candidates = [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/faketime/libfaketime.so.1",
    ];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .context("libfaketime is not installed: run scripts/test (it installs it) or `apt-get install libfaketime`")
}

/// Runs a future to completion from inside a sync closure (e.g. an [`eventually`] poll)
/// of a multi-threaded async test.
pub fn block_on_here<F: std::future::Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

/// Runs the `lianluo` binary with `args` (no profile).
pub fn lianluo(args: &[&str]) -> Output {
    Command::new(lianluo_bin())
        .args(args)
        .output()
        .expect("run lianluo")
}
