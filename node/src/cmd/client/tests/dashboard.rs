//! Tests: `overview` and `report` arguments (durations, years, formats), the request
//! they send, the overview's text form, and their help texts.

use clap::CommandFactory;
use lianluo_proto::{CityFigures, CityOverview, OverviewResponse};

use super::super::overview::{self, parse_deadline, OverviewArgs};
use super::super::report::{FormatArg, ReportArgs};
use super::{parse, ClientCommand, TestCli};

fn overview_args(args: &[&str]) -> OverviewArgs {
    let argv: Vec<&str> = std::iter::once("overview")
        .chain(args.iter().copied())
        .collect();
    match parse(&argv).unwrap_or_else(|e| panic!("{args:?}: {e}")) {
        ClientCommand::Overview(a) => a,
        other => panic!("not overview: {other:?}"),
    }
}

fn report_args(args: &[&str]) -> ReportArgs {
    let argv: Vec<&str> = std::iter::once("report")
        .chain(args.iter().copied())
        .collect();
    match parse(&argv).unwrap_or_else(|e| panic!("{args:?}: {e}")) {
        ClientCommand::Report(a) => a,
        other => panic!("not report: {other:?}"),
    }
}

#[test]
fn client_deadline_accepts_ms_seconds_and_plain_milliseconds() {
    assert_eq!(parse_deadline("500ms"), Ok(500));
    assert_eq!(parse_deadline("3s"), Ok(3000));
    assert_eq!(parse_deadline("1500"), Ok(1500));
    assert_eq!(parse_deadline(" 60s "), Ok(60_000));
    assert_eq!(parse_deadline("100ms"), Ok(100));
    for bad in ["2m", "fast", "1.5s", "-3s", "", "ms"] {
        let e = parse_deadline(bad).expect_err(bad);
        assert!(
            e.contains("not a duration") && e.contains("500ms"),
            "{bad}: {e}"
        );
    }
    for out_of_range in ["0", "99ms", "61s", "4294967295s"] {
        let e = parse_deadline(out_of_range).expect_err(out_of_range);
        assert!(e.contains("out of range") && e.contains("100ms–60s"), "{e}");
    }
}

#[test]
fn client_overview_flags_map_to_the_request() {
    let a = overview_args(&[]);
    let req = overview::request(a.deadline, a.year, a.abort_on_partial);
    assert_eq!(
        (req.deadline_ms, req.year, req.abort_on_partial),
        (0, 0, false)
    );
    let a = overview_args(&[
        "--deadline",
        "500ms",
        "--year",
        "2026",
        "--abort-on-partial",
    ]);
    let req = overview::request(a.deadline, a.year, a.abort_on_partial);
    assert_eq!(
        (req.deadline_ms, req.year, req.abort_on_partial),
        (500, 2026, true)
    );
    // --json is the global flag, accepted after the subcommand too.
    assert!(parse(&["overview", "--json"]).is_ok());
}

#[test]
fn client_overview_and_report_refuse_bad_years_and_durations() {
    for args in [
        &["overview", "--year", "1999"][..],
        &["overview", "--year", "2101"],
        &["overview", "--year", "26x"],
        &["overview", "--deadline", "10m"],
        &["report", "--year", "1999"],
        &["report", "--year", "2026", "--deadline", "50ms"],
        &["report", "--year", "2026", "--format", "pdf"],
    ] {
        let e = parse(args).expect_err("bad input").to_string();
        let flag = args[args.len() - 2];
        assert!(e.contains(flag), "{args:?}: {e}");
    }
    let e = parse(&["report"]).expect_err("no year").to_string();
    assert!(e.contains("--year"), "{e}");
}

#[test]
fn client_report_flags() {
    let a = report_args(&["--year", "2026"]);
    assert_eq!((a.year, a.format), (Some(2026), FormatArg::Md));
    assert!(a.output.is_none() && a.deadline.is_none() && !a.abort_on_partial);
    assert!(!a.all_years);
    let a = report_args(&["--all-years"]);
    assert_eq!((a.year, a.all_years), (None, true));
    let both = parse(&["report", "--year", "2026", "--all-years"]).expect_err("one or the other");
    assert!(both.to_string().contains("--all-years"), "{both}");
    let a = report_args(&[
        "--year",
        "2025",
        "--format",
        "html",
        "--deadline",
        "2s",
        "--output",
        "r.html",
    ]);
    assert_eq!(
        (a.year, a.format, a.deadline),
        (Some(2025), FormatArg::Html, Some(2000))
    );
    assert_eq!(a.output.as_deref(), Some(std::path::Path::new("r.html")));
}

fn city(name: &str, outcome: &str, figures: Option<CityFigures>) -> CityOverview {
    CityOverview {
        city: name.into(),
        outcome: outcome.into(),
        figures,
        ..CityOverview::default()
    }
}

#[test]
fn client_overview_text_shows_each_city_and_a_partial_line() {
    let f = CityFigures {
        stations: 5,
        suggestions: 8,
        suggestions_overdue: 1,
        resolved_year: 2026,
        ..CityFigures::default()
    };
    let mut local = city("hezhou", "ok", Some(f.clone()));
    local.local = true;
    let mut stale = city("qingyuan", "stale", Some(f.clone()));
    stale.age_seconds = 185;
    stale.fresh_outcome = "timeout".into();
    stale.error = "no answer\nin time".into();
    stale.link = "backing_off".into();
    let mut dead = city("yongzhou", "unreachable", None);
    dead.error = "connection refused".into();
    let resp = OverviewResponse {
        partial: true,
        answered_by: "hezhou".into(),
        as_of: "2026-03-10T04:00:00Z".into(),
        deadline_ms: 3000,
        total: Some(CityFigures {
            stations: 10,
            ..f.clone()
        }),
        cities: vec![local, stale, dead],
        ..OverviewResponse::default()
    };
    let text = overview::text(&resp);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("answered by hezhou") && lines[0].contains("all years"));
    assert!(
        lines[1].starts_with("hezhou (贺州), this node: ok"),
        "{text}"
    );
    assert!(lines[2].contains("stations 5 · suggestions 8 (joint 0, overdue 1)"));
    assert!(lines[3].starts_with("qingyuan (清远): stale"), "{text}");
    assert!(
        lines[3].contains("185 s old, fresh query timeout: no answer in time [link backing_off]")
    );
    assert!(
        lines[5].starts_with("yongzhou (永州): unreachable")
            && lines[5].contains("connection refused")
    );
    assert!(
        text.contains("total of 2 of 3 cities:\n  stations 10 "),
        "{text}"
    );
    let last = lines.last().copied().unwrap_or_default();
    assert_eq!(
        last,
        "PARTIAL: qingyuan stale (185 s old), yongzhou unreachable — these figures are incomplete"
    );
    // The same in Chinese (--lang zh).
    let zh = overview::text_zh(&resp);
    let zh_lines: Vec<&str> = zh.lines().collect();
    assert!(
        zh_lines[0].starts_with("贺州节点汇总") && zh_lines[0].contains("历年累计"),
        "{zh}"
    );
    assert!(zh_lines[1].starts_with("贺州（本节点）：正常"), "{zh}");
    assert!(
        zh_lines[2].contains("联络站5个 · 代表建议8件（共同督办0件，逾期未答复1件）"),
        "{zh}"
    );
    assert!(
        zh_lines[3].starts_with("清远：数据过期（3分钟前），用时0毫秒；最新查询超时")
            && zh_lines[3].ends_with("［本节点链路：等待重连］"),
        "{zh}"
    );
    assert!(
        zh.contains("合计（3个城市中2个有数据）：\n  联络站10个"),
        "{zh}"
    );
    assert_eq!(
        zh.lines().last().unwrap_or_default(),
        "数据不完整：清远数据过期（3分钟前）、永州无法连接，以上数字不全"
    );
    let complete = OverviewResponse {
        cities: vec![city("hezhou", "ok", Some(f))],
        ..OverviewResponse::default()
    };
    assert!(!overview::text(&complete).contains("PARTIAL"));
    assert!(!overview::text_zh(&complete).contains("数据不完整"));
}

fn long_help(name: &str) -> String {
    let mut cmd = TestCli::command();
    cmd.find_subcommand_mut(name)
        .unwrap_or_else(|| panic!("no subcommand {name}"))
        .render_long_help()
        .to_string()
}

#[test]
fn client_overview_and_report_help_explain_figures_and_outcomes() {
    let help = long_help("overview");
    for word in [
        "stale",
        "timeout",
        "unreachable",
        "refused",
        "partial",
        "--abort-on-partial",
        "overdue",
        "Examples",
        "500ms",
    ] {
        assert!(help.contains(word), "overview help lacks {word}: {help}");
    }
    let help = long_help("report");
    for word in ["--year", "--format", "html", "已办结", "Examples", "never"] {
        assert!(help.contains(word), "report help lacks {word}: {help}");
    }
}
