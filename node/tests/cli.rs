//! The `lianluo` binary on its own: help, config validation, demo setup. (Multi-node and
//! client tests live in the lianluo-tests crate.)

use std::path::Path;
use std::process::{Command, Output};

fn lianluo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lianluo"))
        .args(args)
        .output()
        .expect("run lianluo")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_lists_every_command_group() {
    let out = lianluo(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "node",
        "config",
        "demo",
        "tls",
        "suggestion",
        "dispute",
        "activity",
        "station",
        "show",
        "list",
    ] {
        assert!(text.contains(cmd), "--help does not mention {cmd}:\n{text}");
    }
}

#[test]
fn config_check_reports_a_missing_file() {
    let out = lianluo(&["config", "check", "--config", "/nonexistent/node.toml"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no such file"), "{}", stderr(&out));
}

fn demo(dir: &Path) {
    let out = lianluo(&[
        "demo",
        "--init-only",
        "--dir",
        dir.to_str().expect("utf-8 path"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn demo_config_is_valid_and_rerun_keeps_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo(dir.path());
    let cfg = dir.path().join("hezhou/node.toml");
    let ca_before = std::fs::read(dir.path().join("pki/root-ca.pem")).expect("root ca");
    std::fs::write(
        &cfg,
        std::fs::read_to_string(&cfg).expect("read") + "# edited\n",
    )
    .expect("edit");
    demo(dir.path());
    assert_eq!(
        ca_before,
        std::fs::read(dir.path().join("pki/root-ca.pem")).expect("root ca")
    );
    assert!(std::fs::read_to_string(&cfg)
        .expect("read")
        .contains("# edited"));
    for city in ["hezhou", "qingyuan", "yongzhou"] {
        let c = dir.path().join(city).join("node.toml");
        let out = lianluo(&["config", "check", "--config", c.to_str().expect("utf-8")]);
        assert!(out.status.success(), "{city}: {}", stderr(&out));
        for role in ["admin", "coordinator", "viewer"] {
            assert!(dir.path().join(city).join(format!("{role}.toml")).exists());
        }
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("pki/hezhou/signer.key"))
        .expect("key")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "keys must be private");
}

#[test]
fn config_check_reports_every_problem_with_its_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo(dir.path());
    let cfg = dir.path().join("hezhou/node.toml");
    let text = std::fs::read_to_string(&cfg)
        .expect("read")
        .replace("listen = \"127.0.0.1:7101\"", "listen = \"not-an-address\"")
        .replace(
            "cert = \"../pki/hezhou/node.pem\"",
            "cert = \"../pki/hezhou/missing.pem\"",
        )
        .replace("coordinator = \"coordinator\"", "coordinator = \"boss\"");
    std::fs::write(&cfg, text).expect("write");
    let out = lianluo(&["config", "check", "--config", cfg.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    for key in ["api.listen", "tls.cert", "users.coordinator"] {
        assert!(err.contains(key), "problem with {key} not reported:\n{err}");
    }
    assert!(err.contains("3 problems"), "{err}");
}

#[test]
fn config_check_rejects_unknown_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo(dir.path());
    let cfg = dir.path().join("qingyuan/node.toml");
    let text = std::fs::read_to_string(&cfg)
        .expect("read")
        .replace("[api]", "[api]\nlisten_port = 9");
    std::fs::write(&cfg, format!("colour = \"red\"\n{text}")).expect("write");
    let out = lianluo(&["config", "check", "--config", cfg.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("colour: unknown key"), "{err}");
    assert!(err.contains("api.listen_port: unknown key"), "{err}");
}
