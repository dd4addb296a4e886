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
fn config_check_reports_unknown_keys_and_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo(dir.path());
    let cfg = dir.path().join("qingyuan/node.toml");
    let text = std::fs::read_to_string(&cfg)
        .expect("read")
        .replace("[api]", "[api]\nlisten_port = 9")
        .replace("data_dir = \"data\"\n", "");
    std::fs::write(&cfg, format!("colour = \"red\"\n{text}")).expect("write");
    let out = lianluo(&["config", "check", "--config", cfg.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("colour: unknown key"), "{err}");
    assert!(err.contains("api.listen_port: unknown key"), "{err}");
    assert!(err.contains("data_dir: missing"), "{err}");
    assert!(err.contains("3 problems"), "{err}");
}

#[test]
fn config_check_reports_type_errors_with_their_key_and_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo(dir.path());
    let cfg = dir.path().join("hezhou/node.toml");
    let text = std::fs::read_to_string(&cfg)
        .expect("read")
        .replace("format = \"text\"", "format = 5")
        .replace("listen = \"127.0.0.1:7101\"", "listen = \"not-an-address\"")
        .replace(
            "signer_key = \"../pki/hezhou/signer.key\"",
            "signer_key = \"../pki/hezhou/gone.key\"",
        );
    std::fs::write(&cfg, text).expect("write");
    let out = lianluo(&["config", "check", "--config", cfg.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("log.format: expected a string") && err.contains("found integer 5"),
        "{err}"
    );
    assert!(err.contains("api.listen: \"not-an-address\""), "{err}");
    assert!(
        err.contains("tls.signer_key: \"../pki/hezhou/gone.key\": no such file"),
        "{err}"
    );
    assert!(err.contains("3 problems"), "{err}");
}

/// Writes `hezhou/<name>.toml`: hezhou's demo config with `edits` applied.
fn edited(dir: &Path, name: &str, edits: &[(&str, &str)]) -> std::path::PathBuf {
    let mut text = std::fs::read_to_string(dir.join("hezhou/node.toml")).expect("read");
    for (from, to) in edits {
        assert!(text.contains(from), "{from} not in the demo config");
        text = text.replace(from, to);
    }
    let path = dir.join("hezhou").join(format!("{name}.toml"));
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn config_check_verifies_what_the_files_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo(dir.path());
    // A data dir that already holds qingyuan's data.
    let other = dir.path().join("hezhou/other-data");
    std::fs::create_dir_all(&other).expect("mkdir");
    std::fs::write(
        other.join("lianluo-data.toml"),
        "city = \"qingyuan\"\nlog_id = \"0123456789abcdef0123456789abcdef\"\n\
         schema_version = 1\ncreated_at = \"2025-01-01T00:00:00Z\"\n",
    )
    .expect("write");
    // (config name, edits of hezhou's demo config, key at fault, words in its problem)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case<'_>] = &[
        (
            "other-city-node",
            &[
                ("hezhou/node.pem", "qingyuan/node.pem"),
                ("hezhou/node.key", "qingyuan/node.key"),
            ],
            "tls.cert",
            "is qingyuan's node certificate",
        ),
        (
            "wrong-key",
            &[("hezhou/node.key", "hezhou/signer.key")],
            "tls.key",
            "does not belong to the certificate",
        ),
        (
            "other-city-signer",
            &[
                ("hezhou/signer.pem", "qingyuan/signer.pem"),
                ("hezhou/signer.key", "qingyuan/signer.key"),
            ],
            "tls.signer_cert",
            "is qingyuan's signer certificate",
        ),
        (
            "other-city-data",
            &[("data_dir = \"data\"", "data_dir = \"other-data\"")],
            "data_dir",
            "holds qingyuan's data",
        ),
        (
            "user-ca-not-a-ca",
            &[(
                "user_ca = \"../pki/hezhou/user-ca.pem\"",
                "user_ca = \"../pki/hezhou/node.pem\"",
            )],
            "tls.user_ca",
            "is not a CA certificate",
        ),
        (
            "crl-not-a-crl",
            &[(
                "[\"../pki/hezhou/user-ca.crl.pem\"",
                "[\"../pki/hezhou/user-ca.pem\"",
            )],
            "tls.crls[0]",
            "X509 CRL",
        ),
    ];
    for (name, edits, key, why) in cases {
        let cfg = edited(dir.path(), name, edits);
        let out = lianluo(&["config", "check", "--config", cfg.to_str().expect("utf-8")]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{name}: accepted\n{err}");
        let line = err
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("- {key}: ")))
            .unwrap_or_else(|| panic!("{name}: no problem with {key}:\n{err}"));
        assert!(line.contains(why), "{name}: {line}");
        assert!(err.contains("has 1 problem:"), "{name}: {err}");
    }
}

#[test]
fn node_with_another_citys_certificate_refuses_to_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo(dir.path());
    let cfg = edited(
        dir.path(),
        "other-city-node",
        &[
            ("hezhou/node.pem", "qingyuan/node.pem"),
            ("hezhou/node.key", "qingyuan/node.key"),
        ],
    );
    let out = lianluo(&["node", "--config", cfg.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("cannot start the node"), "{err}");
    assert!(!err.contains("node stopped"), "{err}");
    assert!(err.contains("tls.cert: "), "{err}");
    assert!(
        !dir.path().join("hezhou/data").exists(),
        "a refused node must not create its data dir"
    );
}
