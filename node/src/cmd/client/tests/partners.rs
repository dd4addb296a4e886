//! Tests: `add-partner` under every record kind maps to `participant_added` and checks the
//! record's kind; the help texts say who may do what (rating and reopening, partners).

use clap::CommandFactory;
use lianluo_proto::change::Kind;

use super::super::args::KindArg;
use super::super::build;
use super::{add_partner, parse, TestCli};

#[test]
fn client_add_partner_maps_to_participant_added_for_every_kind() {
    for (sub, want) in [
        ("suggestion", KindArg::Suggestion),
        ("dispute", KindArg::Dispute),
        ("activity", KindArg::Activity),
        ("station", KindArg::Station),
    ] {
        let id = format!("hezhou-01{}", sub.to_uppercase());
        let (kind, change) = add_partner(&[sub, "add-partner", &id, "--city", "yongzhou"], &id);
        assert_eq!(kind, want, "{sub}");
        let Kind::ParticipantAdded(p) = change else {
            panic!("{sub}: expected participant_added, got {change:?}");
        };
        assert_eq!(p.city, "yongzhou", "{sub}");
    }
}

#[test]
fn client_add_partner_needs_an_id_and_a_city() {
    for sub in ["suggestion", "dispute", "activity", "station"] {
        assert!(
            parse(&[sub, "add-partner", "x-1"]).is_err(),
            "{sub}: --city"
        );
        assert!(
            parse(&[sub, "add-partner", "--city", "yongzhou"]).is_err(),
            "{sub}: ID"
        );
    }
}

#[test]
fn client_add_partner_refuses_a_record_of_another_kind() {
    assert_eq!(
        build::check_kind("hezhou-01X", "suggestion", KindArg::Suggestion),
        Ok(())
    );
    let err = build::check_kind("hezhou-01X", "station", KindArg::Suggestion)
        .expect_err("a station is not a suggestion");
    assert_eq!(
        err,
        "hezhou-01X is a station, not a suggestion; use `lianluo station add-partner`"
    );
    assert!(build::check_kind("hezhou-01X", "dispute", KindArg::Activity).is_err());
}

/// The long `--help` of `lianluo <path…>`.
fn long_help(path: &[&str]) -> String {
    let mut cmd = TestCli::command();
    for name in path {
        cmd = cmd
            .find_subcommand(name)
            .unwrap_or_else(|| panic!("no subcommand {name} in {path:?}"))
            .clone();
    }
    cmd.render_long_help().to_string()
}

#[test]
fn client_add_partner_help_says_who_may_add() {
    for sub in ["suggestion", "dispute", "activity", "station"] {
        let help = long_help(&[sub, "add-partner"]);
        assert!(help.contains("origin city only"), "{sub}: {help}");
        assert!(help.contains("never removed"), "{sub}: {help}");
        assert!(help.contains("--city"), "{sub}: {help}");
    }
    let help = long_help(&["dispute", "add-partner"]);
    assert!(help.contains("must confirm the agreement too"), "{help}");
}

#[test]
fn client_help_says_an_unsatisfied_rating_itself_reopens() {
    let rate = long_help(&["suggestion", "rate"]);
    assert!(rate.contains("`unsatisfied` reopens it"), "{rate}");
    assert!(rate.contains("no separate `reopen` is needed"), "{rate}");
    let reopen = long_help(&["suggestion", "reopen"]);
    assert!(reopen.contains("without a rating"), "{reopen}");
    let all = long_help(&["suggestion"]);
    assert!(all.contains("unsatisfied itself reopens"), "{all}");
    // The old, wrong advice must not come back in any client help text.
    for path in [
        &["suggestion"][..],
        &["suggestion", "rate"],
        &["suggestion", "reopen"],
    ] {
        let help = long_help(path);
        assert!(!help.contains("followed by"), "{path:?}: {help}");
    }
}
