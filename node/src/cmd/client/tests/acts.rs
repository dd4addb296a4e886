//! Tests: dispute and activity subcommands map to the right proto changes.

use lianluo_proto::change::Kind;
use lianluo_proto::{ActivityKind, Deputy};

use super::{act, call, parse, Call};

#[test]
fn client_dispute_report_and_session() {
    let Call::Create(req) = call(&[
        "dispute",
        "report",
        "--title",
        "山林权属争议",
        "--description",
        "两村交界处林地",
        "--location",
        "黄洞乡",
        "--party",
        "甲村",
        "--party",
        "乙村",
        "--area-mu",
        "120.5",
        "--station",
        "hezhou-01S",
        "--partner",
        "qingyuan",
    ]) else {
        panic!("expected a create");
    };
    assert_eq!(req.partners, ["qingyuan"]);
    let Some(Kind::DisputeReported(d)) = req.change.and_then(|c| c.kind) else {
        panic!("expected dispute_reported");
    };
    assert_eq!((d.location.as_str(), d.area_mu), ("黄洞乡", 120.5));
    assert_eq!(d.parties, ["甲村", "乙村"]);
    assert_eq!(d.station_id, "hezhou-01S");

    let k = act(
        &[
            "dispute",
            "session",
            "d-1",
            "--date",
            "2024-03-01",
            "--place",
            "联络站",
            "--attendee",
            "王五",
            "--attendee",
            "赵六",
            "--summary",
            "双方同意重新勘界",
        ],
        "d-1",
    );
    let Kind::DisputeSession(s) = k else {
        panic!("expected dispute_session")
    };
    assert_eq!(s.attendees, ["王五", "赵六"]);
    assert_eq!(s.summary, "双方同意重新勘界");
    assert!(parse(&[
        "dispute",
        "report",
        "--title",
        "t",
        "--description",
        "d",
        "--area-mu",
        "many"
    ])
    .is_err());
}

#[test]
fn client_dispute_check_needs_exactly_one_outcome() {
    let k = act(
        &[
            "dispute",
            "check",
            "d-1",
            "--date",
            "2024-05-01",
            "--passed",
        ],
        "d-1",
    );
    assert!(matches!(k, Kind::DisputeChecked(c) if c.passed && c.date == "2024-05-01"));
    let k = act(
        &[
            "dispute",
            "check",
            "d-1",
            "--date",
            "2024-05-01",
            "--not-passed",
            "--note",
            "未拆除",
        ],
        "d-1",
    );
    assert!(matches!(k, Kind::DisputeChecked(c) if !c.passed && c.note == "未拆除"));
    assert!(parse(&["dispute", "check", "d-1", "--date", "2024-05-01"]).is_err());
    assert!(parse(&[
        "dispute",
        "check",
        "d-1",
        "--date",
        "2024-05-01",
        "--passed",
        "--not-passed"
    ])
    .is_err());
}

#[test]
fn client_dispute_other_acts() {
    let k = act(&["dispute", "agree", "d-1", "--terms", "以河为界"], "d-1");
    assert!(matches!(k, Kind::DisputeAgreed(a) if a.terms == "以河为界"));
    let k = act(&["dispute", "confirm", "d-1"], "d-1");
    assert!(matches!(k, Kind::DisputeConfirmed(c) if c.note.is_empty()));
    let k = act(&["dispute", "resolve", "d-1", "--note", "已结案"], "d-1");
    assert!(matches!(k, Kind::DisputeResolved(r) if r.note == "已结案"));
    let k = act(&["dispute", "fail", "d-1", "--reason", "分歧大"], "d-1");
    assert!(matches!(k, Kind::DisputeFailed(f) if f.reason == "分歧大"));
    let k = act(
        &[
            "dispute",
            "escalate",
            "d-1",
            "--to",
            "省人民政府",
            "--reason",
            "跨省",
        ],
        "d-1",
    );
    assert!(matches!(k, Kind::DisputeEscalated(e) if e.to == "省人民政府" && e.reason == "跨省"));
    let k = act(&["dispute", "withdraw", "d-1", "--reason", "和解"], "d-1");
    assert!(matches!(k, Kind::DisputeWithdrawn(w) if w.reason == "和解"));
}

#[test]
fn client_activity_plan_kinds() {
    for (flag, want) in [
        ("joint-inspection", ActivityKind::JointInspection),
        ("joint-research", ActivityKind::JointResearch),
        ("constituent-reception", ActivityKind::ConstituentReception),
        ("joint-training", ActivityKind::JointTraining),
        ("other", ActivityKind::Other),
    ] {
        let Call::Create(req) = call(&[
            "activity",
            "plan",
            "--title",
            "联合视察",
            "--kind",
            flag,
            "--date",
            "2024-04-01",
            "--place",
            "桂岭镇",
            "--description",
            "视察道路",
            "--station",
            "hezhou-01S",
        ]) else {
            panic!("expected a create");
        };
        let Some(Kind::ActivityPlanned(p)) = req.change.and_then(|c| c.kind) else {
            panic!("expected activity_planned");
        };
        assert_eq!(p.activity_kind, want as i32, "{flag}");
        assert_eq!(
            (p.date.as_str(), p.place.as_str()),
            ("2024-04-01", "桂岭镇")
        );
    }
    assert!(
        parse(&["activity", "plan", "--title", "t", "--kind", "party", "--date", "d"]).is_err()
    );
}

#[test]
fn client_activity_report_parses_deputies() {
    let k = act(
        &[
            "activity",
            "report",
            "a-1",
            "--held-on",
            "2024-04-02",
            "--deputy",
            "张三@hezhou",
            "--deputy",
            "李四@qingyuan",
            "--opinions",
            "12",
            "--problems-solved",
            "3",
            "--report",
            "收集意见12条",
        ],
        "a-1",
    );
    let Kind::ActivityReported(r) = k else {
        panic!("expected activity_reported")
    };
    assert_eq!(
        r.deputies,
        [
            Deputy {
                name: "张三".into(),
                city: "hezhou".into()
            },
            Deputy {
                name: "李四".into(),
                city: "qingyuan".into()
            },
        ]
    );
    assert_eq!((r.opinions_collected, r.problems_solved), (12, 3));
    assert_eq!(r.report, "收集意见12条");
    for bad in ["张三", "@hezhou", "张三@", "张三@ "] {
        let e = parse(&[
            "activity",
            "report",
            "a-1",
            "--held-on",
            "d",
            "--deputy",
            bad,
        ]);
        assert!(e.is_err(), "{bad} must be refused");
    }
    assert!(parse(&[
        "activity",
        "report",
        "a-1",
        "--held-on",
        "d",
        "--opinions",
        "-1"
    ])
    .is_err());
    let k = act(&["activity", "cancel", "a-1", "--reason", "暴雨"], "a-1");
    assert!(matches!(k, Kind::ActivityCancelled(c) if c.reason == "暴雨"));
}
