//! Rendering of records for people (summaries, tables) and for scripts (`--json`), and of
//! gRPC errors as one actionable message.
//!
//! Renderers return strings so they are tested without a terminal; Chinese text is printed
//! exactly as stored.

use std::fmt::Write as _;

use lianluo_proto::{
    ActivityView, DisputeView, HistoryEntry, Record, StationView, SuggestionView, WhoAmIResponse,
};
use tonic::Code;

/// Pretty JSON of any serializable proto message (records, lists, whoami).
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(value)?)
}

/// One anyhow error for a failed RPC: the node's message plus a hint for the code.
pub fn status_error(status: &tonic::Status, endpoint: &str) -> anyhow::Error {
    let message = if status.message().is_empty() {
        format!("{:?}", status.code())
    } else {
        status.message().to_string()
    };
    // A status the node sent has no source; one made by the client's transport (the
    // connection failed) has: only then may the node be down.
    let from_node = std::error::Error::source(status).is_none();
    match hint(status.code(), from_node, endpoint) {
        Some(h) => anyhow::anyhow!("{message}\nhint: {h}"),
        None => anyhow::anyhow!("{message}"),
    }
}

/// Like [`status_error`] for a create; when the outcome is unknown (the node may have
/// created the record) it says how to retry without making a duplicate.
pub fn create_error(status: &tonic::Status, endpoint: &str, request_id: &str) -> anyhow::Error {
    let err = status_error(status, endpoint);
    match status.code() {
        Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Unknown
        | Code::Cancelled
        | Code::Internal => {
            anyhow::anyhow!(
                "{err}
retry safely with: --request-id {request_id}"
            )
        }
        _ => err,
    }
}

fn hint(code: Code, from_node: bool, endpoint: &str) -> Option<String> {
    match code {
        Code::PermissionDenied => Some("your profile's role may not do this".to_string()),
        // The node's own UNAVAILABLE says what is wrong (e.g. its disk is full).
        Code::Unavailable if from_node => None,
        Code::Unavailable => Some(format!("is the node running at {endpoint}?")),
        Code::Unauthenticated => Some(
            "the node did not accept your certificate; check the profile's cert and key"
                .to_string(),
        ),
        Code::DeadlineExceeded => Some(format!("the node at {endpoint} did not answer in time")),
        Code::Unimplemented => Some(format!(
            "the node at {endpoint} does not offer this call; is it running an older lianluo?"
        )),
        _ => None,
    }
}

/// Who the node thinks the caller is.
pub fn whoami(w: &WhoAmIResponse) -> String {
    format!(
        "user:  {}\ncity:  {}\nrole:  {}\nnode:  {}\n",
        w.user, w.city, w.role, w.node_city
    )
}

/// A table of records (id, kind, status, title), one line each.
pub fn table(records: &[Record]) -> String {
    if records.is_empty() {
        return "no records\n".to_string();
    }
    // Titles come last so wide (Chinese) characters never break the alignment.
    let w_id = col_width(records.iter().map(|r| r.id.as_str()), "ID");
    let w_kind = col_width(records.iter().map(|r| r.kind.as_str()), "KIND");
    let w_status = col_width(records.iter().map(|r| r.status.as_str()), "STATUS");
    let mut out = format!(
        "{:w_id$}  {:w_kind$}  {:w_status$}  TITLE\n",
        "ID", "KIND", "STATUS"
    );
    for r in records {
        let _ = writeln!(
            out,
            "{:w_id$}  {:w_kind$}  {:w_status$}  {}",
            r.id, r.kind, r.status, r.title
        );
    }
    out
}

fn col_width<'a>(values: impl Iterator<Item = &'a str>, header: &str) -> usize {
    values
        .map(|v| v.chars().count())
        .chain(std::iter::once(header.len()))
        .max()
        .unwrap_or(0)
}

/// A readable summary of one record with its history.
pub fn record(r: &Record) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}  {}", r.id, r.kind, r.status);
    field(&mut out, "title", &r.title);
    field(&mut out, "origin", &r.origin);
    field(&mut out, "participants", &r.participants.join(", "));
    field(&mut out, "version", &r.version.to_string());
    field(&mut out, "created", &r.created_at);
    field(&mut out, "updated", &r.updated_at);
    if let Some(s) = &r.station {
        station(&mut out, s);
    }
    if let Some(s) = &r.suggestion {
        suggestion(&mut out, s);
    }
    if let Some(d) = &r.dispute {
        dispute(&mut out, d);
    }
    if let Some(a) = &r.activity {
        activity(&mut out, a);
    }
    if !r.history.is_empty() {
        out.push_str("history:\n");
        for h in &r.history {
            history_line(&mut out, h);
        }
    }
    out
}

/// Writes `label: value`, skipping empty values.
fn field(out: &mut String, label: &str, value: &str) {
    if !value.is_empty() {
        let _ = writeln!(out, "{:<14}{value}", format!("{label}:"));
    }
}

fn list_field(out: &mut String, label: &str, values: &[String]) {
    field(out, label, &values.join("、"));
}

fn station(out: &mut String, s: &StationView) {
    field(out, "name", &s.name);
    field(out, "township", &s.township);
    field(out, "county", &s.county);
    field(out, "address", &s.address);
    field(out, "note", &s.note);
    field(out, "closed", &s.closed_reason);
}

fn suggestion(out: &mut String, s: &SuggestionView) {
    list_field(out, "proposers", &s.proposers);
    field(out, "station", &s.station_id);
    if s.year != 0 {
        field(out, "year", &s.year.to_string());
    }
    field(out, "body", &s.body);
    for p in &s.parts {
        let overdue = if p.overdue { "  OVERDUE" } else { "" };
        let _ = writeln!(
            out,
            "part {}:  {} → {} (deadline {}){overdue}",
            p.city, p.status, p.unit, p.deadline
        );
        for note in &p.progress {
            let _ = writeln!(out, "    progress: {note}");
        }
        if !p.answer.is_empty() {
            let _ = writeln!(out, "    answer:   {}", p.answer);
        }
    }
    field(out, "next deadline", &s.next_deadline);
    if s.overdue {
        field(out, "overdue", "yes");
    }
    field(out, "rating", &s.rating);
    field(out, "comment", &s.rating_comment);
    if !s.carried_over_to.is_empty() {
        let years: Vec<String> = s.carried_over_to.iter().map(u32::to_string).collect();
        field(out, "carried to", &years.join(", "));
    }
}

fn dispute(out: &mut String, d: &DisputeView) {
    field(out, "description", &d.description);
    field(out, "location", &d.location);
    list_field(out, "parties", &d.parties);
    if d.area_mu != 0.0 {
        field(out, "area", &format!("{}亩", d.area_mu));
    }
    field(out, "station", &d.station_id);
    for s in &d.sessions {
        let _ = writeln!(
            out,
            "session {} at {} (by {}): {}",
            s.date, s.place, s.recorded_by, s.summary
        );
        if !s.attendees.is_empty() {
            let _ = writeln!(out, "    attendees: {}", s.attendees.join("、"));
        }
    }
    field(out, "agreement", &d.agreement);
    if !d.agreement.is_empty() {
        let state = if d.in_force {
            "in force"
        } else {
            "not yet in force"
        };
        let by = if d.confirmed_by.is_empty() {
            "nobody".to_string()
        } else {
            d.confirmed_by.join(", ")
        };
        field(out, "confirmed by", &format!("{by} ({state})"));
    }
    for c in &d.checks {
        let result = if c.passed { "passed" } else { "not passed" };
        let _ = writeln!(out, "check {} by {}: {result}  {}", c.date, c.city, c.note);
    }
    field(out, "escalated to", &d.escalated_to);
    field(out, "outcome", &d.outcome_note);
}

fn activity(out: &mut String, a: &ActivityView) {
    field(out, "activity", &a.activity_kind);
    field(out, "station", &a.station_id);
    field(out, "date", &a.date);
    field(out, "place", &a.place);
    field(out, "description", &a.description);
    field(out, "held on", &a.held_on);
    let deputies: Vec<String> = a
        .deputies
        .iter()
        .map(|d| format!("{}@{}", d.name, d.city))
        .collect();
    list_field(out, "deputies", &deputies);
    if !a.held_on.is_empty() {
        field(out, "opinions", &a.opinions_collected.to_string());
        field(out, "solved", &a.problems_solved.to_string());
    }
    field(out, "report", &a.report);
    field(out, "cancelled", &a.cancel_reason);
}

fn history_line(out: &mut String, h: &HistoryEntry) {
    let mark = if h.verified {
        "✓ verified"
    } else {
        "✗ unverified"
    };
    let _ = write!(
        out,
        "  {}  {}/{}  {}  {mark}",
        h.at, h.author_city, h.author_user, h.r#type
    );
    if !h.summary.is_empty() {
        let _ = write!(out, "  {}", h.summary);
    }
    if h.rejected {
        let _ = write!(out, "  REJECTED: {}", h.reason);
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_status_errors_carry_hints() {
        let denied = tonic::Status::permission_denied("viewer may not act on records");
        let e = status_error(&denied, "https://127.0.0.1:7101").to_string();
        assert_eq!(
            e,
            "viewer may not act on records\nhint: your profile's role may not do this"
        );
        let mut down = tonic::Status::unavailable("connection refused");
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        down.set_source(std::sync::Arc::new(refused));
        let e = status_error(&down, "https://127.0.0.1:7101").to_string();
        assert!(
            e.ends_with("is the node running at https://127.0.0.1:7101?"),
            "{e}"
        );
        let full = tonic::Status::unavailable("the file system of data dir d has 1 MiB free");
        let e = status_error(&full, "https://127.0.0.1:7101").to_string();
        assert_eq!(
            e, "the file system of data dir d has 1 MiB free",
            "the node answered"
        );
        let e = create_error(&down, "https://h:1", "01REQ").to_string();
        assert!(e.contains("--request-id 01REQ"), "{e}");
        let invalid = tonic::Status::invalid_argument("title: must not be empty");
        let e = create_error(&invalid, "https://h:1", "01REQ").to_string();
        assert_eq!(e, "title: must not be empty");
    }

    #[test]
    fn client_record_renders_history_and_json() {
        let rec = lianluo_proto::Record {
            id: "hezhou-01ABC".into(),
            kind: "suggestion".into(),
            status: "dispatched".into(),
            origin: "hezhou".into(),
            participants: vec!["hezhou".into(), "qingyuan".into()],
            version: 2,
            title: "关于修建省际断头路的建议".into(),
            history: vec![lianluo_proto::HistoryEntry {
                id: "ab".repeat(32),
                author_city: "qingyuan".into(),
                author_user: "coordinator".into(),
                r#type: "suggestion_dispatched".into(),
                verified: false,
                rejected: true,
                reason: "qingyuan has no part yet".into(),
                at: "2024-03-01T08:00:00Z".into(),
                ..Default::default()
            }],
            suggestion: Some(lianluo_proto::SuggestionView {
                proposers: vec!["张三".into()],
                ..Default::default()
            }),
            ..Default::default()
        };
        let text = record(&rec);
        assert!(
            text.starts_with("hezhou-01ABC  suggestion  dispatched\n"),
            "{text}"
        );
        assert!(
            text.contains("关于修建省际断头路的建议") && text.contains("张三"),
            "{text}"
        );
        assert!(
            text.contains("qingyuan/coordinator  suggestion_dispatched  ✗ unverified"),
            "{text}"
        );
        assert!(
            text.contains("REJECTED: qingyuan has no part yet"),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_str(&json(&rec).expect("json")).expect("parse");
        assert_eq!(v["id"], "hezhou-01ABC");
        assert_eq!(v["participants"][1], "qingyuan");
        assert_eq!(v["history"][0]["type"], "suggestion_dispatched");
        assert_eq!(v["history"][0]["rejected"], true);
        let table = table(std::slice::from_ref(&rec));
        assert!(
            table
                .lines()
                .nth(1)
                .is_some_and(|l| l.ends_with("关于修建省际断头路的建议")),
            "{table}"
        );
    }
}
