//! One real `lianluo node` process with real certificates, driven through the real CLI as
//! a joint-station coordinator would.

use std::time::Duration;

use anyhow::{Context as _, Result};
use lianluo_tests::{lianluo, Federation};
use serde_json::Value;

fn status(v: &Value) -> &str {
    v["status"].as_str().unwrap_or_default()
}

fn history_types(v: &Value) -> Vec<String> {
    v["history"]
        .as_array()
        .map(|h| {
            h.iter()
                .map(|e| e["type"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn suggestion_lifecycle_with_chinese_text_round_trips() -> Result<()> {
    let fed = Federation::init()?;
    let node = fed.start("hezhou")?;
    let cli = node.cli("coordinator");
    let title = "关于推进湘粤桂三省（区）毗邻地区断头路建设的建议";
    let body = "建议三市交通部门共同推进贺州—清远—永州县乡道路连通，打通“断头路”。";
    let created = cli.json(&[
        "suggestion",
        "create",
        "--title",
        title,
        "--body",
        body,
        "--proposer",
        "李明",
    ])?;
    let id = created["id"].as_str().unwrap_or_default().to_string();
    assert!(
        id.starts_with("hezhou-"),
        "record id {id} must start with its origin"
    );
    assert_eq!(created["kind"], "suggestion");
    assert_eq!(status(&created), "submitted");
    assert_eq!(created["origin"], "hezhou");
    assert_eq!(created["title"], title);
    assert_eq!(created["suggestion"]["body"], body);
    assert_eq!(created["suggestion"]["proposers"][0], "李明");

    let steps: [&[&str]; 5] = [
        &[
            "suggestion",
            "dispatch",
            &id,
            "--unit",
            "贺州市交通运输局",
            "--deadline",
            "2026-12-31",
        ],
        &["suggestion", "progress", &id, "--note", "已完成路线勘察"],
        &[
            "suggestion",
            "answer",
            &id,
            "--answer",
            "已列入2027年县乡道建设计划",
        ],
        &["suggestion", "rate", &id, "--rating", "satisfied"],
        &["suggestion", "close", &id],
    ];
    let expect = ["dispatched", "in_progress", "answered", "rated", "closed"];
    for (args, want) in steps.iter().zip(expect) {
        let rec = cli.json(args)?;
        assert_eq!(status(&rec), want, "after {args:?}");
    }
    let shown = cli.json(&["show", &id])?;
    assert_eq!(status(&shown), "closed");
    assert_eq!(shown["version"], 6);
    assert_eq!(
        history_types(&shown),
        [
            "suggestion_submitted",
            "suggestion_dispatched",
            "suggestion_progress",
            "suggestion_answered",
            "suggestion_rated",
            "suggestion_closed"
        ]
    );
    for e in shown["history"].as_array().into_iter().flatten() {
        assert_eq!(e["verified"], true, "{e}");
        assert_eq!(e["rejected"], false, "{e}");
        assert_eq!(e["author_city"], "hezhou");
        assert_eq!(e["author_user"], "coordinator");
        assert_eq!(e["id"].as_str().map(str::len), Some(64));
    }
    assert_eq!(shown["suggestion"]["parts"][0]["unit"], "贺州市交通运输局");
    assert_eq!(shown["suggestion"]["rating"], "satisfied");
    Ok(())
}

#[test]
fn partners_are_participants_and_list_filters_work() -> Result<()> {
    let fed = Federation::init()?;
    let node = fed.start("hezhou")?;
    let cli = node.cli("coordinator");
    let s = cli.json(&[
        "suggestion",
        "create",
        "--title",
        "共建边界联防",
        "--body",
        "内容",
        "--partner",
        "qingyuan",
    ])?;
    assert_eq!(s["participants"], serde_json::json!(["hezhou", "qingyuan"]));
    let d = cli.json(&[
        "dispute",
        "report",
        "--title",
        "界牌村山林权属纠纷",
        "--description",
        "两村对山林边界有争议",
        "--partner",
        "yongzhou",
        "--partner",
        "qingyuan",
    ])?;
    assert_eq!(d["status"], "reported");
    let all = cli.json(&["list"])?;
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    let disputes = cli.json(&["list", "--kind", "dispute"])?;
    assert_eq!(disputes[0]["id"], d["id"]);
    assert_eq!(disputes.as_array().map(Vec::len), Some(1));
    let yz = cli.json(&["list", "--city", "yongzhou"])?;
    assert_eq!(yz.as_array().map(Vec::len), Some(1));
    let submitted = cli.json(&["list", "--status", "submitted"])?;
    assert_eq!(submitted[0]["id"], s["id"]);
    Ok(())
}

#[test]
fn bad_input_is_refused_with_the_field_named_and_changes_nothing() -> Result<()> {
    let fed = Federation::init()?;
    let node = fed.start("hezhou")?;
    let cli = node.cli("coordinator");
    let s = cli.json(&["suggestion", "create", "--title", "标题", "--body", "内容"])?;
    let id = s["id"].as_str().unwrap_or_default().to_string();
    let long = "长".repeat(201);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["suggestion", "create", "--title", "", "--body", "b"],
            "title",
        ),
        (
            vec!["suggestion", "create", "--title", "   ", "--body", "b"],
            "title",
        ),
        (
            vec!["suggestion", "create", "--title", &long, "--body", "b"],
            "title",
        ),
        (
            vec![
                "suggestion",
                "create",
                "--title",
                "t",
                "--body",
                "b",
                "--partner",
                "guilin",
            ],
            "partners[0]",
        ),
        (
            vec![
                "suggestion",
                "create",
                "--title",
                "t",
                "--body",
                "b",
                "--partner",
                "hezhou",
            ],
            "partners[0]",
        ),
        (
            vec![
                "suggestion",
                "create",
                "--title",
                "\u{200B}\u{200B}",
                "--body",
                "b",
            ],
            "suggestion_submitted.title: is required but shows nothing",
        ),
        (
            vec![
                "suggestion",
                "create",
                "--title",
                "t",
                "--body",
                "\u{202E}txet",
            ],
            "suggestion_submitted.body: contains bidirectional control U+202E",
        ),
        (vec!["suggestion", "close", &id], "`submitted`"),
        (
            vec![
                "suggestion",
                "dispatch",
                &id,
                "--unit",
                "u",
                "--deadline",
                "2026-02-30",
            ],
            "deadline",
        ),
        (
            vec![
                "suggestion",
                "dispatch",
                &id,
                "--unit",
                "u",
                "--deadline",
                "31/12/2026",
            ],
            "deadline",
        ),
        (
            vec!["show", "hezhou-01JZZZZZZZZZZZZZZZZZZZZZZZ"],
            "not found",
        ),
        (
            vec![
                "suggestion",
                "progress",
                "hezhou-01JZZZZZZZZZZZZZZZZZZZZZZZ",
                "--note",
                "n",
            ],
            "not found",
        ),
    ];
    for (args, needle) in &cases {
        let err = cli.fails(args)?;
        assert!(
            err.contains(needle),
            "{args:?}: error does not name {needle:?}:\n{err}"
        );
    }
    let after = cli.json(&["show", &id])?;
    assert_eq!(after["version"], 1, "a refused request changed the record");
    assert_eq!(cli.json(&["list"])?.as_array().map(Vec::len), Some(1));
    Ok(())
}

#[test]
fn roles_and_certificates_decide_who_may_do_what() -> Result<()> {
    let fed = Federation::init()?;
    let node = fed.start("hezhou")?;
    let created = node.cli("coordinator").json(&[
        "station",
        "register",
        "--name",
        "贺街镇省际联络站",
        "--township",
        "贺街镇",
        "--county",
        "八步区",
    ])?;
    let id = created["id"].as_str().unwrap_or_default().to_string();

    let viewer = node.cli("viewer");
    assert_eq!(viewer.json(&["show", &id])?["status"], "active");
    let err = viewer.fails(&["station", "close", &id, "--reason", "r"])?;
    assert!(err.contains("viewer"), "{err}");
    let err = viewer.fails(&["suggestion", "create", "--title", "t", "--body", "b"])?;
    assert!(
        err.to_lowercase().contains("permission") || err.contains("viewer"),
        "{err}"
    );

    // A user certificate issued by another city's user CA is refused by this node.
    let foreign_city = lianluo_tests::Cli {
        profile: node.write_profile("coordinator", "qingyuan")?,
    };
    let err = foreign_city.fails(&["list"])?;
    // Refused by the node at the handshake (not a broken profile on our side).
    assert!(
        err.contains("refused our certificate") && err.contains("unknown ca"),
        "{err}"
    );

    // A certificate from a CA outside the federation is refused too.
    let other = tempfile::tempdir()?;
    let pki = other.path().join("pki");
    let pki_s = pki.to_str().unwrap_or_default();
    for args in [
        vec!["tls", "init", "--pki", pki_s],
        vec!["tls", "city", "--pki", pki_s, "--city", "hezhou"],
        vec![
            "tls",
            "user",
            "--pki",
            pki_s,
            "--city",
            "hezhou",
            "--name",
            "coordinator",
        ],
    ] {
        lianluo_tests::check_ok(&lianluo(&args), &args.join(" "))?;
    }
    let profile = other.path().join("foreign.toml");
    std::fs::write(
        &profile,
        format!(
            "endpoint = \"https://{}\"\nca = \"{}\"\ncert = \"{}\"\nkey = \"{}\"\n",
            node.api,
            fed.dir().join("pki/root-ca.pem").display(),
            pki.join("hezhou/users/coordinator.pem").display(),
            pki.join("hezhou/users/coordinator.key").display()
        ),
    )?;
    let err = lianluo_tests::Cli { profile }.fails(&["list"])?;
    // The foreign CA has the same name as hezhou's user CA, so the node finds that CA
    // and the signature check fails ("decrypt error"): refused all the same.
    assert!(err.contains("refused our certificate"), "{err}");
    assert_eq!(
        node.cli("admin").json(&["list"])?.as_array().map(Vec::len),
        Some(1)
    );
    Ok(())
}

#[test]
fn a_repeated_request_id_returns_the_first_record_and_other_content_is_refused() -> Result<()> {
    let fed = Federation::init()?;
    let node = fed.start("hezhou")?;
    let cli = node.cli("coordinator");
    let args = [
        "activity",
        "plan",
        "--title",
        "三市代表联合视察",
        "--kind",
        "joint-inspection",
        "--date",
        "2026-12-05",
        "--request-id",
        "plan-2026-12-05",
    ];
    let a = cli.json(&args)?;
    let b = cli.json(&args)?;
    assert_eq!(a["id"], b["id"]);
    assert_eq!(cli.json(&["list"])?.as_array().map(Vec::len), Some(1));

    // The same request id with other content (another title; another kind of record)
    // is refused naming the record it made, and nothing is created.
    let id = a["id"].as_str().context("the record's id")?.to_owned();
    let mut other_title = args;
    other_title[3] = "三市代表联合调研";
    let other_kind = [
        "suggestion",
        "create",
        "--title",
        "三市代表联合视察",
        "--body",
        "内容",
        "--request-id",
        "plan-2026-12-05",
    ];
    for other in [&other_title[..], &other_kind[..]] {
        let err = cli.fails(other)?;
        for want in ["already", "plan-2026-12-05", id.as_str(), "new request_id"] {
            assert!(err.contains(want), "{want:?} not in: {err}");
        }
    }
    assert_eq!(cli.json(&["list"])?.as_array().map(Vec::len), Some(1));
    Ok(())
}

#[test]
fn a_data_dir_of_another_city_is_refused() -> Result<()> {
    let fed = Federation::init()?;
    drop(fed.start("hezhou")?);
    let cfg = fed.node_config("qingyuan");
    let text = std::fs::read_to_string(&cfg)?
        .replace("data_dir = \"data\"", "data_dir = \"../hezhou/data\"");
    std::fs::write(&cfg, text)?;
    let err = fed
        .start("qingyuan")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    // Names the key at fault, whose data it is, and which city this node is.
    for want in ["data_dir", "hezhou", "this node is qingyuan"] {
        assert!(err.contains(want), "{want:?} not in: {err}");
    }
    Ok(())
}

#[test]
fn a_revoked_user_certificate_is_refused_without_a_restart() -> Result<()> {
    let fed = Federation::init()?;
    let node = fed.start("hezhou")?;
    let viewer = node.cli("viewer");
    viewer.json(&["list"])?;
    let pki = fed.dir().join("pki");
    let cert = pki.join("hezhou/users/viewer.pem");
    let args = [
        "tls",
        "revoke",
        "--pki",
        pki.to_str().unwrap_or_default(),
        "--cert",
        cert.to_str().unwrap_or_default(),
    ];
    lianluo_tests::check_ok(&lianluo(&args), "tls revoke")?;
    // SIGHUP reloads at once (the file watch would also pick it up within 2 s).
    let pid = node
        .pid()
        .ok_or_else(|| anyhow::anyhow!("hezhou is not running"))?;
    std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()?;
    lianluo_tests::eventually(Duration::from_secs(15), "the sighup reload", || {
        node.log()
            .contains("sighup: client api tls reloaded")
            .then_some(())
    })?;
    let err = lianluo_tests::eventually(Duration::from_secs(15), "the CRL reload", || {
        viewer.fails(&["list"]).ok()
    })?;
    assert!(err.contains("revoked"), "{err}");
    node.cli("coordinator").json(&["list"])?;
    Ok(())
}
