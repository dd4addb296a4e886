//! The requests the benchmark sends: suggestions with a title of about 20 Chinese
//! characters and a body sized so the node's encoded event body is about 600 bytes, the
//! size of a real suggestion's creation event, plus the acts that follow it
//! (dispatch, progress, answer, rate, close) with long texts of the same order. Every
//! create carries a fresh `request_id` (a per-run prefix and a counter), so no call is
//! answered from the idempotency table instead of writing.
//!
//! Requests are built with `..Default::default()` so the bench keeps compiling while the
//! protos gain optional fields (records.proto is evolving); with today's protos some of
//! those updates name every field already, hence the allowed `needless_update`.
#![allow(clippy::needless_update)]

use std::sync::atomic::{AtomicU64, Ordering};

use lianluo_proto::change::Kind;
use lianluo_proto::{
    ActRequest, Change, CreateRequest, GetRequest, OverviewRequest, Rating, SuggestionAnswered,
    SuggestionClosed, SuggestionDispatched, SuggestionProgress, SuggestionRated,
    SuggestionSubmitted,
};

/// 22 characters.
pub const TITLE: &str = "关于加快贺州清远永州毗邻地区断头路建设的建议";

/// Characters of suggestion body: with the title and the envelope fields this makes an
/// encoded event body of about 600 bytes (see the test below).
pub const BODY_CHARS: usize = 136;

/// Characters of the long texts of acts (progress notes, answers, comments).
pub const NOTE_CHARS: usize = 150;

const PARAGRAPH: &str = "三市毗邻乡镇群众反映，省际交界处道路等级低、路面窄、会车难，\
    雨季塌方频发，学生上学和农产品外运都受影响。建议三地交通部门联合编制规划，\
    统一技术标准，分段明确责任单位和完成时限，并争取省级专项资金支持，\
    同步完善沿线安防设施和公交站点，方便群众出行。";

/// `n` characters of Chinese text (the paragraph repeated as needed).
pub fn text(n: usize) -> String {
    PARAGRAPH.chars().cycle().take(n).collect()
}

/// Fresh client request ids: `bench-<run>-<n>`.
#[derive(Debug)]
pub struct RequestIds {
    prefix: String,
    next: AtomicU64,
}

impl RequestIds {
    /// Ids unique to this run.
    pub fn new() -> RequestIds {
        RequestIds {
            prefix: format!("bench-{}", lianluo_tests::fake_peer::random_hex(12)),
            next: AtomicU64::new(0),
        }
    }

    /// The next id.
    pub fn next(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.prefix)
    }
}

/// A suggestion created at the caller's city, shared with `partners`.
pub fn create_suggestion(request_id: String, partners: &[&str]) -> CreateRequest {
    CreateRequest {
        request_id,
        partners: partners.iter().map(|p| p.to_string()).collect(),
        change: Some(Change {
            kind: Some(Kind::SuggestionSubmitted(SuggestionSubmitted {
                title: TITLE.to_string(),
                body: text(BODY_CHARS),
                proposers: vec!["王芳".to_string(), "李明".to_string()],
                ..Default::default()
            })),
        }),
        ..Default::default()
    }
}

/// `Records/Get` of `id`.
pub fn get(id: &str) -> GetRequest {
    GetRequest {
        id: id.to_string(),
        ..Default::default()
    }
}

/// `Dashboard/Overview` with a deadline, all years, answering even when partial.
pub fn overview(deadline_ms: u32) -> OverviewRequest {
    OverviewRequest {
        deadline_ms,
        ..Default::default()
    }
}

fn act(id: &str, kind: Kind) -> ActRequest {
    ActRequest {
        record_id: id.to_string(),
        change: Some(Change { kind: Some(kind) }),
        ..Default::default()
    }
}

/// The caller's city dispatches its part of `id` to one of its units.
pub fn dispatch(id: &str, city: &str) -> ActRequest {
    act(
        id,
        Kind::SuggestionDispatched(SuggestionDispatched {
            unit: format!("{city}市交通运输局"),
            deadline: "2031-06-30".to_string(),
            ..Default::default()
        }),
    )
}

/// A progress note on the caller's part.
pub fn progress(id: &str) -> ActRequest {
    act(
        id,
        Kind::SuggestionProgress(SuggestionProgress {
            note: text(NOTE_CHARS),
            ..Default::default()
        }),
    )
}

/// The caller's city answers its part.
pub fn answer(id: &str) -> ActRequest {
    act(
        id,
        Kind::SuggestionAnswered(SuggestionAnswered {
            answer: text(NOTE_CHARS),
            ..Default::default()
        }),
    )
}

/// The origin rates the answered suggestion as satisfied.
pub fn rate(id: &str) -> ActRequest {
    act(
        id,
        Kind::SuggestionRated(SuggestionRated {
            rating: Rating::Satisfied as i32,
            comment: text(NOTE_CHARS / 3),
            ..Default::default()
        }),
    )
}

/// The origin closes the rated suggestion.
pub fn close(id: &str) -> ActRequest {
    act(
        id,
        Kind::SuggestionClosed(SuggestionClosed {
            note: text(NOTE_CHARS / 3),
            ..Default::default()
        }),
    )
}

#[cfg(test)]
mod tests {
    use lianluo_proto::{EventBody, Hlc, RecordKind};
    use prost::Message;

    use super::*;

    /// The event body a node builds for a create (the same fields `write.rs` fills).
    fn creation_body(req: &CreateRequest) -> EventBody {
        EventBody {
            authored_ms: 0,
            record_id: "hezhou-01JZ8K4W4Q9Y7E2M3N5P6R7S8T".to_string(),
            kind: RecordKind::Suggestion as i32,
            author_city: "hezhou".to_string(),
            author_user: "coordinator".to_string(),
            hlc: Some(Hlc {
                wall_ms: 1_780_000_000_000,
                counter: 3,
            }),
            parents: Vec::new(),
            participants: vec!["hezhou".to_string(), "qingyuan".to_string()],
            request_id: req.request_id.clone(),
            change: req.change.clone(),
        }
    }

    #[test]
    fn a_creation_event_body_is_about_600_bytes() {
        assert_eq!(TITLE.chars().count(), 22);
        let req = create_suggestion(RequestIds::new().next(), &["qingyuan"]);
        let len = creation_body(&req).encoded_len();
        assert!((560..=640).contains(&len), "{len} bytes");
    }

    #[test]
    fn request_ids_are_fresh() {
        let ids = RequestIds::new();
        let (a, b) = (ids.next(), ids.next());
        assert_ne!(a, b);
        assert!(a.starts_with("bench-") && a.len() <= 128, "{a}");
        assert_eq!(text(5).chars().count(), 5);
    }
}
