//! Rendering the read model: times, history summaries, the record view, and the overdue
//! flags of suggestions.

use lianluo_proto::{change::Kind as K, Change, HistoryEntry, Rating, Record};
use time::format_description::well_known::Rfc3339;
use time::macros::offset;
use time::{OffsetDateTime, UtcOffset};

use super::record::{KindState, RecordState};
use super::suggestion::{mark_overdue, SuggestionStatus};
use super::{change_type, kind_str, FoldEvent};

/// The offset of the calendar the federation's dates live in (China Standard Time, UTC+8):
/// deadlines, congress years and "today" are dates in this calendar.
const LOCAL_OFFSET: UtcOffset = offset!(+8);

/// Characters of free text kept in a history summary before it is cut with "…".
const SUMMARY_TEXT_CHARS: usize = 60;

/// The time people are shown for an event: its author's wall clock, or for events made
/// before that was recorded, its HLC time.
pub fn shown_ms(body: &lianluo_proto::EventBody) -> u64 {
    match body.authored_ms {
        0 => body.hlc.map_or(0, |h| h.wall_ms),
        ms => ms,
    }
}

fn datetime(wall_ms: u64) -> Option<OffsetDateTime> {
    let nanos = i128::from(wall_ms).checked_mul(1_000_000)?;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// The calendar date (China Standard Time, UTC+8) of a wall-clock time in Unix
/// milliseconds. The service uses it for "today" when it calls [`refresh_overdue`], so
/// deadlines compare in the same calendar as the fold's. Out-of-range times give 1970-01-01.
pub fn local_date(wall_ms: u64) -> time::Date {
    datetime(wall_ms).map_or(OffsetDateTime::UNIX_EPOCH.date(), |t| {
        t.to_offset(LOCAL_OFFSET).date()
    })
}

/// RFC 3339 UTC time of Unix milliseconds (empty when out of range).
pub fn rfc3339(wall_ms: u64) -> String {
    datetime(wall_ms)
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Recomputes a suggestion record's `overdue`, its parts' `overdue` and `next_deadline` as
/// of `today` (see [`local_date`]). Other kinds are left unchanged.
pub fn refresh_overdue(record: &mut Record, today: time::Date) {
    let Some(status) = SuggestionStatus::parse(&record.status) else {
        return;
    };
    if let Some(view) = record.suggestion.as_mut() {
        mark_overdue(view, status, today);
    }
}

/// Renders a record's state as the read model, with `history` and `heads` as given;
/// `as_of` is the date the overdue flags are computed for.
pub fn render(
    state: &RecordState,
    history: Vec<HistoryEntry>,
    heads: Vec<String>,
    as_of: time::Date,
) -> Record {
    let mut r = Record {
        id: state.id.clone(),
        kind: kind_str(state.kind()).to_owned(),
        status: state.body.status().to_owned(),
        origin: state.origin.clone(),
        participants: state.participants.clone(),
        version: state.version,
        title: state.title.clone(),
        created_at: rfc3339(state.created_ms),
        updated_at: rfc3339(state.updated_ms),
        heads,
        history,
        ..Record::default()
    };
    match &state.body {
        KindState::Station(s) => r.station = Some(s.view()),
        KindState::Suggestion(s) => r.suggestion = Some(s.view(as_of)),
        KindState::Dispute(s) => r.dispute = Some(s.view()),
        KindState::Activity(s) => r.activity = Some(s.view()),
    }
    r
}

/// The history entry of an event; `reason` is `None` when it was applied.
pub fn history_entry(ev: &FoldEvent, reason: Option<&str>) -> HistoryEntry {
    let b = &ev.body;
    let change = b.change.clone().unwrap_or_default();
    HistoryEntry {
        id: ev.id.clone(),
        author_city: b.author_city.clone(),
        author_user: b.author_user.clone(),
        r#type: change_type(&change).to_owned(),
        verified: ev.verified,
        rejected: reason.is_some(),
        reason: reason.unwrap_or_default().to_owned(),
        at: rfc3339(shown_ms(b)),
        hlc: b.hlc,
        parents: b.parents.clone(),
        summary: summary(&change),
    }
}

/// Cuts free text to [`SUMMARY_TEXT_CHARS`] characters (never bytes) on one line.
fn short(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .collect();
    let one_line = one_line.trim();
    if one_line.chars().count() <= SUMMARY_TEXT_CHARS {
        return one_line.to_owned();
    }
    let cut: String = one_line.chars().take(SUMMARY_TEXT_CHARS).collect();
    format!("{cut}…")
}

/// "<label>：<text>" or just the label when the text is blank.
fn with(label: &str, text: &str) -> String {
    let text = short(text);
    if text.is_empty() {
        label.to_owned()
    } else {
        format!("{label}：{text}")
    }
}

/// A short Chinese summary of a change for the history.
pub(super) fn summary(change: &Change) -> String {
    let Some(kind) = &change.kind else {
        return "（无内容）".to_owned();
    };
    match kind {
        K::ParticipantAdded(c) => format!("加入协作城市 {}", c.city),
        K::StationRegistered(c) => with("登记联络站", &c.name),
        K::StationClosed(c) => with("撤销联络站", &c.reason),
        K::SuggestionSubmitted(c) => with("提交建议", &c.title),
        K::SuggestionDispatched(c) => {
            format!("派单至 {}，期限 {}", short(&c.unit), c.deadline)
        }
        K::SuggestionProgress(c) => with("办理进展", &c.note),
        K::SuggestionAnswered(c) => with("答复", &c.answer),
        K::SuggestionRated(c) => {
            let label = match Rating::try_from(c.rating) {
                Ok(Rating::Satisfied) => "满意",
                Ok(Rating::BasicallySatisfied) => "基本满意",
                Ok(Rating::Unsatisfied) => "不满意",
                _ => "未指定",
            };
            format!("评价：{label}")
        }
        K::SuggestionReopened(c) => with("重新办理", &c.reason),
        K::SuggestionCarriedOver(c) => format!("结转至 {} 年", c.to_year),
        K::SuggestionClosed(c) => with("办结", &c.note),
        K::DisputeReported(c) => with("报告纠纷", &c.title),
        K::DisputeSession(c) => with(&format!("调解会议 {}", c.date), &c.place),
        K::DisputeAgreed(c) => with("达成调解协议", &c.terms),
        K::DisputeConfirmed(c) => with("确认调解协议", &c.note),
        K::DisputeChecked(c) => {
            let passed = if c.passed { "通过" } else { "未通过" };
            format!("回访检查 {}：{passed}", c.date)
        }
        K::DisputeResolved(c) => with("纠纷化解", &c.note),
        K::DisputeFailed(c) => with("调解未成", &c.reason),
        K::DisputeEscalated(c) => format!("上报至 {}", short(&c.to)),
        K::DisputeWithdrawn(c) => with("撤回纠纷", &c.reason),
        K::ActivityPlanned(c) => with("计划活动", &c.title),
        K::ActivityReported(c) => format!(
            "活动举行 {}，收集意见 {} 条，解决问题 {} 个",
            c.held_on, c.opinions_collected, c.problems_solved
        ),
        K::ActivityCancelled(c) => with("取消活动", &c.reason),
    }
}
