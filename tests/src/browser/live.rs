//! A dashboard page kept open in headless Chromium in real time, driven over the Chrome
//! DevTools Protocol: [`LivePage::open`] starts Chromium with `--remote-debugging-pipe`
//! (the protocol as NUL-terminated JSON on file descriptors 3 and 4, which a shell maps
//! to the child's stdin and stdout, so no websocket and no unsafe code), opens a tab on the
//! URL, and [`LivePage::eval`] runs JavaScript in it. The page's live updates stay on;
//! the test changes the node's data and waits for the page to show it.
//!
//! Chromium is killed when the page is dropped.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::{Page, Profile, PAGE_TIMEOUT};

/// An open page of a headless Chromium.
pub struct LivePage {
    child: Child,
    to_browser: ChildStdin,
    from_browser: Receiver<Value>,
    session: String,
    next_id: u64,
    _profile: Profile,
}

impl LivePage {
    /// Starts Chromium and opens `url` in it.
    pub fn open(bin: &Path, url: &str) -> Result<LivePage> {
        let profile = Profile::new()?;
        let mut child = Command::new("sh")
            .arg("-c")
            // fd 3: commands (our pipe to its stdin); fd 4: answers (its stdout to us).
            .arg(r#"exec "$@" 3<&0 4>&1 </dev/null >/dev/null"#)
            .arg("sh")
            .arg(bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.dir.path().display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run {}", bin.display()))?;
        let to_browser = child.stdin.take().context("chromium's command pipe")?;
        let out = child.stdout.take().context("chromium's answer pipe")?;
        let (tx, from_browser) = mpsc::channel();
        std::thread::spawn(move || {
            for message in BufReader::new(out).split(0) {
                let Ok(bytes) = message else { return };
                if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                    if tx.send(v).is_err() {
                        return;
                    }
                }
            }
        });
        let mut page = LivePage {
            child,
            to_browser,
            from_browser,
            session: String::new(),
            next_id: 0,
            _profile: profile,
        };
        let target = page.call(None, "Target.createTarget", json!({ "url": url }))?;
        let target = target["targetId"]
            .as_str()
            .context("a target id")?
            .to_owned();
        let attached = page.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target, "flatten": true }),
        )?;
        page.session = attached["sessionId"]
            .as_str()
            .context("a session id")?
            .to_owned();
        Ok(page)
    }

    /// Sends one command (to the page's session, or to the browser) and waits for its
    /// answer; events meanwhile are skipped.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg)?;
        bytes.push(0);
        self.to_browser.write_all(&bytes)?;
        self.to_browser.flush()?;
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let answer = self
                .from_browser
                .recv_timeout(left)
                .with_context(|| format!("no answer from chromium to {method}"))?;
            if answer["id"].as_u64() != Some(id) {
                continue;
            }
            if let Some(err) = answer.get("error") {
                bail!("chromium refused {method}: {err}");
            }
            return Ok(answer["result"].clone());
        }
    }

    /// The value of a JavaScript expression in the page.
    pub fn eval(&mut self, expression: &str) -> Result<Value> {
        match self.try_eval(expression)? {
            Ok(v) => Ok(v),
            Err(e) => bail!("{expression} threw: {e}"),
        }
    }

    /// The value of a JavaScript expression, or the exception it threw (inner `Err`);
    /// the outer `Err` is a failure to talk to the browser.
    fn try_eval(&mut self, expression: &str) -> Result<std::result::Result<Value, Value>> {
        let session = self.session.clone();
        let params = json!({ "expression": expression, "returnByValue": true });
        let r = self.call(Some(&session), "Runtime.evaluate", params)?;
        Ok(match r.get("exceptionDetails") {
            Some(e) => Err(e.clone()),
            None => Ok(r["result"]["value"].clone()),
        })
    }

    /// Polls `expression` every 100 ms until it is true, for at most `timeout`. An
    /// expression that throws counts as not yet true (while the page loads,
    /// `document.body` is still null); the last answer is in the timeout's error.
    pub fn wait_until(&mut self, expression: &str, timeout: Duration) -> Result<()> {
        let start = Instant::now();
        loop {
            // A script that threw (the page is still loading) is retried; a failure to
            // talk to the browser (it is gone) ends the wait.
            let last = match self.try_eval(expression)? {
                Ok(serde_json::Value::Bool(true)) => return Ok(()),
                Ok(v) => v.to_string(),
                Err(e) => format!("threw: {e}"),
            };
            if start.elapsed() > timeout {
                bail!("timed out after {timeout:?} waiting for {expression}; last: {last}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The page's DOM as it is now.
    pub fn dom(&mut self) -> Result<Page> {
        let html = self.eval("document.documentElement.outerHTML")?;
        Ok(Page::new(html.as_str().unwrap_or_default().to_owned()))
    }
}

impl Drop for LivePage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
