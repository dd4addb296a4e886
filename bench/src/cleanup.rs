//! Leaving nothing behind when a long run is interrupted. On SIGINT or SIGTERM the
//! harness's destructors never run (the process just ends), so the node processes this
//! bench started would live on and their temp dirs (gigabytes at full size) would stay.
//! A watcher task kills every child process of the bench by pid and removes the setup
//! dirs registered here, then exits.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, PoisonError};

/// Setup dirs to remove on interruption.
static DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Registers a setup dir (a `Federation`'s temp dir) for removal on interruption.
pub fn register(dir: &Path) {
    DIRS.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(dir.to_path_buf());
}

/// Watches for SIGINT and SIGTERM on `rt`; on either, cleans up and exits with 130.
pub fn install(rt: &tokio::runtime::Runtime) {
    rt.spawn(async {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            eprintln!("lianluo-bench: cannot watch signals; an interrupted run leaves nodes");
            return;
        };
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        eprintln!("lianluo-bench: interrupted; stopping the nodes and removing their dirs");
        for pid in children(std::process::id()) {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
        for dir in DIRS.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            let _ = std::fs::remove_dir_all(dir);
        }
        std::process::exit(130);
    });
}

/// Pids of the direct children of `parent` (from /proc/<pid>/stat).
fn children(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| parent_of(&s))
                == Some(parent)
        })
        .collect()
}

/// The ppid field of a /proc/<pid>/stat line (after the parenthesised command name,
/// which may itself contain spaces and parentheses).
fn parent_of(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ppid_is_read_after_the_command_name() {
        let stat = "4242 (lianluo (x) y) S 17 4242 4242 0 -1";
        assert_eq!(super::parent_of(stat), Some(17));
        assert_eq!(super::parent_of("garbage"), None);
    }
}
