//! Tests: the command-line contract parses and arguments map to the right proto changes
//! (suggestions, stations, queries here; disputes and activities in `tests/acts.rs`;
//! `add-partner` and the help texts in `tests/partners.rs`; `overview` and `report` in
//! `tests/dashboard.rs`).

use clap::Parser;
use lianluo_proto::change::Kind;
use lianluo_proto::Rating;

use super::args::KindArg;
use super::build::{self, Call};
use super::ClientCommand;

mod acts;
mod dashboard;
mod partners;
mod tls;

/// Mirrors how main.rs flattens the client commands next to the other subcommands.
#[derive(Debug, Parser)]
#[command(name = "lianluo")]
struct TestCli {
    #[arg(long, global = true)]
    profile: Option<std::path::PathBuf>,
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: TestCommand,
}

// Parsed once per test, never kept: the size of the client variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, clap::Subcommand)]
enum TestCommand {
    /// Stands in for the lead's other subcommands (node, config, demo, tls).
    Node,
    #[command(flatten)]
    Client(ClientCommand),
}

fn parse(args: &[&str]) -> Result<ClientCommand, clap::Error> {
    let argv = std::iter::once("lianluo").chain(args.iter().copied());
    match TestCli::try_parse_from(argv)?.command {
        TestCommand::Client(c) => Ok(c),
        TestCommand::Node => panic!("parsed as node"),
    }
}

/// Parses a write subcommand and returns the request it builds.
fn call(args: &[&str]) -> Call {
    match parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}")) {
        ClientCommand::Suggestion(c) => build::suggestion(c),
        ClientCommand::Dispute(c) => build::dispute(c),
        ClientCommand::Activity(c) => build::activity(c),
        ClientCommand::Station(c) => build::station(c),
        other => panic!("not a write: {other:?}"),
    }
}

/// The change of an act, checking the record id.
fn act(args: &[&str], id: &str) -> Kind {
    match call(args) {
        Call::Act(req) => {
            assert_eq!(req.record_id, id);
            req.change.and_then(|c| c.kind).expect("change kind")
        }
        other => panic!("expected an act, got {other:?}"),
    }
}

/// The kind checked and the change sent by an `add-partner`, checking the record id.
fn add_partner(args: &[&str], id: &str) -> (KindArg, Kind) {
    match call(args) {
        Call::AddPartner { kind, req } => {
            assert_eq!(req.record_id, id);
            (kind, req.change.and_then(|c| c.kind).expect("change kind"))
        }
        other => panic!("expected an add-partner, got {other:?}"),
    }
}

#[test]
fn client_command_definitions_are_consistent() {
    // Checks every subcommand recursively (flag clashes, bad defaults, group references).
    <TestCli as clap::CommandFactory>::command().debug_assert();
}

#[test]
fn client_suggestion_create_maps_every_flag() {
    let Call::Create(req) = call(&[
        "suggestion",
        "create",
        "--title",
        "关于修建省际断头路的建议",
        "--body",
        "打通贺州至清远道路",
        "--proposer",
        "张三",
        "--proposer",
        "李四",
        "--station",
        "hezhou-01STATION",
        "--year",
        "2024",
        "--partner",
        "qingyuan",
        "--partner",
        "yongzhou",
        "--request-id",
        "req-1",
    ]) else {
        panic!("expected a create");
    };
    assert_eq!(req.request_id, "req-1");
    assert_eq!(req.partners, ["qingyuan", "yongzhou"]);
    let Some(Kind::SuggestionSubmitted(s)) = req.change.and_then(|c| c.kind) else {
        panic!("expected suggestion_submitted");
    };
    assert_eq!(s.title, "关于修建省际断头路的建议");
    assert_eq!(s.body, "打通贺州至清远道路");
    assert_eq!(s.proposers, ["张三", "李四"]);
    assert_eq!(s.station_id, "hezhou-01STATION");
    assert_eq!(s.year, 2024);
}

#[test]
fn client_create_without_request_id_generates_a_ulid() {
    let args = [
        "station",
        "register",
        "--name",
        "联络站",
        "--township",
        "桂岭镇",
        "--county",
        "八步区",
    ];
    let (Call::Create(a), Call::Create(b)) = (call(&args), call(&args)) else {
        panic!("expected creates");
    };
    assert!(
        a.request_id.parse::<ulid::Ulid>().is_ok(),
        "{}",
        a.request_id
    );
    assert_ne!(a.request_id, b.request_id, "each run gets a fresh id");
    assert!(a.partners.is_empty());
}

#[test]
fn client_suggestion_acts_map_to_changes() {
    let id = "hezhou-01ABC";
    let k = act(
        &[
            "suggestion",
            "dispatch",
            id,
            "--unit",
            "交通局",
            "--deadline",
            "2024-06-30",
        ],
        id,
    );
    assert!(
        matches!(k, Kind::SuggestionDispatched(d) if d.unit == "交通局" && d.deadline == "2024-06-30")
    );
    let k = act(&["suggestion", "progress", id, "--note", "已勘测"], id);
    assert!(matches!(k, Kind::SuggestionProgress(p) if p.note == "已勘测"));
    let k = act(&["suggestion", "answer", id, "--answer", "已列入计划"], id);
    assert!(matches!(k, Kind::SuggestionAnswered(a) if a.answer == "已列入计划"));
    let k = act(&["suggestion", "reopen", id, "--reason", "不满意"], id);
    assert!(matches!(k, Kind::SuggestionReopened(r) if r.reason == "不满意"));
    let k = act(&["suggestion", "carry-over", id, "--to-year", "2025"], id);
    assert!(
        matches!(k, Kind::SuggestionCarriedOver(c) if c.to_year == 2025 && c.reason.is_empty())
    );
    let k = act(&["suggestion", "close", id], id);
    assert!(matches!(k, Kind::SuggestionClosed(c) if c.note.is_empty()));
}

#[test]
fn client_rating_values_map_to_proto_ratings() {
    for (flag, want) in [
        ("satisfied", Rating::Satisfied),
        ("basically-satisfied", Rating::BasicallySatisfied),
        ("unsatisfied", Rating::Unsatisfied),
    ] {
        let k = act(
            &[
                "suggestion",
                "rate",
                "x-1",
                "--rating",
                flag,
                "--comment",
                "好",
            ],
            "x-1",
        );
        let Kind::SuggestionRated(r) = k else {
            panic!("expected suggestion_rated")
        };
        assert_eq!(r.rating, want as i32, "{flag}");
        assert_eq!(r.comment, "好");
    }
    assert!(parse(&["suggestion", "rate", "x-1", "--rating", "happy"]).is_err());
    assert!(
        parse(&["suggestion", "rate", "x-1"]).is_err(),
        "--rating is required"
    );
}

#[test]
fn client_station_commands() {
    let Call::Create(req) = call(&[
        "station",
        "register",
        "--name",
        "湘粤桂三省（区）毗邻地区人大代表联络站",
        "--township",
        "桂岭镇",
        "--county",
        "八步区",
        "--address",
        "桂岭街1号",
        "--note",
        "首批",
        "--partner",
        "qingyuan",
        "--request-id",
        "r-9",
    ]) else {
        panic!("expected a create");
    };
    assert_eq!(req.request_id, "r-9");
    let Some(Kind::StationRegistered(s)) = req.change.and_then(|c| c.kind) else {
        panic!("expected station_registered");
    };
    assert_eq!(s.name, "湘粤桂三省（区）毗邻地区人大代表联络站");
    assert_eq!((s.address.as_str(), s.note.as_str()), ("桂岭街1号", "首批"));
    let (kind, k) = add_partner(
        &["station", "add-partner", "s-1", "--city", "yongzhou"],
        "s-1",
    );
    assert_eq!(kind, KindArg::Station);
    assert!(matches!(k, Kind::ParticipantAdded(p) if p.city == "yongzhou"));
    let k = act(&["station", "close", "s-1", "--reason", "合并"], "s-1");
    assert!(matches!(k, Kind::StationClosed(c) if c.reason == "合并"));
}

#[test]
fn client_show_list_whoami_parse() {
    assert!(
        matches!(parse(&["show", "hezhou-01X"]), Ok(ClientCommand::Show { id, verify: false }) if id == "hezhou-01X")
    );
    assert!(matches!(parse(&["whoami"]), Ok(ClientCommand::Whoami)));
    let Ok(ClientCommand::List(a)) = parse(&[
        "list",
        "--kind",
        "suggestion",
        "--status",
        "dispatched",
        "--city",
        "qingyuan",
        "--overdue",
        "--text",
        "道路",
        "--station",
        "hezhou-01S",
        "--limit",
        "50",
        "--all",
    ]) else {
        panic!("expected list");
    };
    let req = build::list(&a);
    assert!(a.all);
    assert_eq!(
        (req.kind.as_str(), req.status.as_str(), req.city.as_str()),
        ("suggestion", "dispatched", "qingyuan")
    );
    assert!(req.overdue);
    assert_eq!(
        (req.text.as_str(), req.station_id.as_str(), req.page_size),
        ("道路", "hezhou-01S", 50)
    );
    let Ok(ClientCommand::List(a)) = parse(&["list"]) else {
        panic!("expected list")
    };
    assert_eq!(build::list(&a), lianluo_proto::ListRequest::default());
    assert!(parse(&["list", "--limit", "0"]).is_err());
    assert!(parse(&["list", "--limit", "501"]).is_err());
    assert!(parse(&["list", "--kind", "petition"]).is_err());
}

#[test]
fn client_help_explains_the_workflow() {
    let e = parse(&["suggestion", "--help"]).expect_err("help exits");
    let help = e.to_string();
    assert!(help.contains("代表点单、人大派单、部门接单"), "{help}");
    assert!(
        help.contains("submitted → dispatched → in_progress → answered → rated → closed"),
        "{help}"
    );
    let e = parse(&["dispute", "check", "--help"]).expect_err("help exits");
    assert!(e.to_string().contains("--not-passed"));
}
