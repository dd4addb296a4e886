//! Rendering of records for people (summaries, tables) and for scripts (`--json`), and of
//! gRPC errors as one actionable message.
//!
//! Renderers return strings so they are tested without a terminal; Chinese text is printed
//! exactly as stored.

use std::fmt::Write as _;

use std::collections::BTreeMap;

use lianluo_proto::{CityLabel, Record, WhoAmIResponse};
use tonic::Code;

use lianluo_node::dashboard::labels::{self, Lang};

mod record;

pub use record::record;

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

/// The names people read for cities in Chinese output: those the node's configuration
/// gives (`Node.Peers`), else the built-in ones, else the id. English output shows ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names(BTreeMap<String, String>);

impl Names {
    /// The configured names worth showing (a name of its own, not just the id).
    pub fn from_labels(labels: &[CityLabel]) -> Self {
        Names(
            labels
                .iter()
                .filter(|l| !l.name.is_empty() && l.name != l.city)
                .map(|l| (l.city.clone(), l.name.clone()))
                .collect(),
        )
    }

    /// How `id` reads in `lang`.
    pub fn city(&self, id: &str, lang: Lang) -> String {
        match lang {
            Lang::En => id.to_owned(),
            Lang::Zh => self
                .0
                .get(id)
                .cloned()
                .unwrap_or_else(|| labels::city(id, lang).to_owned()),
        }
    }
}

/// An RFC 3339 time as people read it: as the node gives it in English, in Beijing time
/// (2026年5月23日14:05) in Chinese.
pub fn local_time(rfc: &str, lang: Lang) -> String {
    match lang {
        Lang::En => rfc.to_owned(),
        Lang::Zh => {
            lianluo_node::dashboard::report::beijing_time(rfc).unwrap_or_else(|| rfc.to_owned())
        }
    }
}

/// Who the node thinks the caller is.
pub fn whoami(w: &WhoAmIResponse, lang: Lang, names: &Names) -> String {
    match lang {
        Lang::En => format!(
            "user:  {}\ncity:  {}\nrole:  {}\nnode:  {}\n",
            w.user, w.city, w.role, w.node_city
        ),
        Lang::Zh => format!(
            "用户：{}\n城市：{}\n角色：{}\n节点：{}\n",
            w.user,
            names.city(&w.city, lang),
            match w.role.as_str() {
                "admin" => "管理员",
                "coordinator" => "联络员",
                "viewer" => "查看",
                other => other,
            },
            names.city(&w.node_city, lang)
        ),
    }
}

/// A table of records (id, kind, status, title), one line each, in `lang`.
pub fn table(records: &[Record], lang: Lang) -> String {
    if records.is_empty() {
        return match lang {
            Lang::En => "no records\n",
            Lang::Zh => "没有记录\n",
        }
        .to_string();
    }
    let rows: Vec<(&str, &str, &str, &str)> = records
        .iter()
        .map(|r| match lang {
            Lang::En => (
                r.id.as_str(),
                r.kind.as_str(),
                r.status.as_str(),
                r.title.as_str(),
            ),
            Lang::Zh => (
                r.id.as_str(),
                labels::kind(&r.kind, lang),
                labels::status(&r.kind, &r.status, lang),
                r.title.as_str(),
            ),
        })
        .collect();
    let head = match lang {
        Lang::En => ("ID", "KIND", "STATUS", "TITLE"),
        Lang::Zh => ("编号", "类型", "状态", "标题"),
    };
    // Titles come last so wide (Chinese) characters never break the alignment.
    let w_id = col_width(rows.iter().map(|r| r.0), head.0);
    let w_kind = col_width(rows.iter().map(|r| r.1), head.1);
    let w_status = col_width(rows.iter().map(|r| r.2), head.2);
    let mut out = String::new();
    for (id, kind, status, title) in std::iter::once(head).chain(rows) {
        let _ = writeln!(
            out,
            "{}  {}  {}  {title}",
            pad(id, w_id),
            pad(kind, w_kind),
            pad(status, w_status)
        );
    }
    out
}

/// `s` padded to `width` display columns (a Chinese character takes two).
fn pad(s: &str, width: usize) -> String {
    let w = columns(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

pub(super) fn columns(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

fn col_width<'a>(values: impl Iterator<Item = &'a str>, header: &'a str) -> usize {
    values
        .chain(std::iter::once(header))
        .map(columns)
        .max()
        .unwrap_or(0)
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
        let text = record(&rec, Lang::En, &Names::default());
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
        let table = table(std::slice::from_ref(&rec), Lang::En);
        assert!(
            table
                .lines()
                .nth(1)
                .is_some_and(|l| l.ends_with("关于修建省际断头路的建议")),
            "{table}"
        );
    }

    #[test]
    fn client_output_speaks_chinese_when_asked_or_by_the_locale() {
        use super::super::output_lang;
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(output_lang(Some("zh"), env(&[])), Lang::Zh);
        assert_eq!(
            output_lang(Some("en"), env(&[("LANG", "zh_CN.UTF-8")])),
            Lang::En
        );
        assert_eq!(output_lang(None, env(&[("LANG", "zh_CN.UTF-8")])), Lang::Zh);
        // LC_ALL wins over LANG; an empty one is skipped.
        let both = env(&[("LC_ALL", "en_US.UTF-8"), ("LANG", "zh_CN.UTF-8")]);
        assert_eq!(output_lang(None, both), Lang::En);
        let empty = env(&[("LC_ALL", ""), ("LANG", "zh_CN.UTF-8")]);
        assert_eq!(output_lang(None, empty), Lang::Zh);
        assert_eq!(output_lang(None, env(&[("LANG", "C.UTF-8")])), Lang::En);
        assert_eq!(output_lang(None, env(&[])), Lang::En);

        let rec = lianluo_proto::Record {
            id: "hezhou-01ABC".into(),
            kind: "suggestion".into(),
            status: "dispatched".into(),
            origin: "hezhou".into(),
            participants: vec!["hezhou".into(), "qingyuan".into()],
            title: "关于修建省际断头路的建议".into(),
            created_at: "2026-05-23T06:05:00Z".into(),
            suggestion: Some(lianluo_proto::SuggestionView {
                parts: vec![lianluo_proto::SuggestionPart {
                    city: "qingyuan".into(),
                    unit: "清远市交通运输局".into(),
                    deadline: "2026-06-30".into(),
                    status: "accepted".into(),
                    overdue: true,
                    co_units: vec!["清远市财政局".into(), "清远市自然资源局".into()],
                    ..Default::default()
                }],
                key_supervision: vec![lianluo_proto::KeySupervision {
                    city: "qingyuan".into(),
                    leader: "副主任 李四".into(),
                    note: String::new(),
                }],
                ..Default::default()
            }),
            ..Default::default()
        };
        let zh = record(&rec, Lang::Zh, &Names::default());
        for want in [
            "hezhou-01ABC  代表建议  已交办\n",
            "发起城市：    贺州\n",
            "参与城市：    贺州、清远\n",
            "录入时间：    2026年5月23日14:05\n",
            "清远承办：已签收，主办单位清远市交通运输局，办理期限2026-06-30  逾期\n",
            "    协办单位：清远市财政局、清远市自然资源局\n",
            "清远重点督办，督办领导：副主任 李四\n",
        ] {
            assert!(zh.contains(want), "{want:?} not in:\n{zh}");
        }
        let t = table(std::slice::from_ref(&rec), Lang::Zh);
        assert!(
            t.starts_with("编号          类型      状态    标题\n"),
            "{t}"
        );
        assert!(
            t.contains("hezhou-01ABC  代表建议  已交办  关于修建省际断头路的建议"),
            "{t}"
        );
    }
}
