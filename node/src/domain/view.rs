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

/// The calendar date (UTC+8) of an RFC 3339 time as `YYYY-MM-DD`, `None` when it does not
/// parse.
pub fn rfc3339_local_date(rfc: &str) -> Option<String> {
    let t = OffsetDateTime::parse(rfc, &Rfc3339).ok()?;
    Some(ymd(t.to_offset(LOCAL_OFFSET).date()))
}

/// The year of a `YYYY-MM-DD` date (`None` for an empty or malformed one).
pub fn ymd_year(ymd: &str) -> Option<i32> {
    ymd.get(..4)?.parse().ok()
}

/// A date as `YYYY-MM-DD`.
pub fn ymd(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
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
        KindState::Project(s) => r.project = Some(s.view()),
    }
    business_dates(&mut r, state);
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
        summary: summary(&change, false),
        summary_en: summary(&change, true),
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

/// "<label>：<text>" (English "<label>: <text>") or just the label when the text is blank.
fn with(label: &str, text: &str, en: bool) -> String {
    let text = short(text);
    match (text.is_empty(), en) {
        (true, _) => label.to_owned(),
        (false, false) => format!("{label}：{text}"),
        (false, true) => format!("{label}: {text}"),
    }
}

/// "，办理期限2026-09-30" (", deadline 2026-09-30") for a new deadline, else nothing.
fn new_deadline(deadline: &str, en: bool) -> String {
    match (deadline.is_empty(), en) {
        (true, _) => String::new(),
        (false, false) => format!("，办理期限{deadline}"),
        (false, true) => format!(", deadline {deadline}"),
    }
}

/// "（协办：甲、乙）" (" (with 甲, 乙)") for the 协办 units, else nothing.
fn co_units(units: &[String], en: bool) -> String {
    let names: Vec<String> = units.iter().map(|u| short(u)).collect();
    match (names.is_empty(), en) {
        (true, _) => String::new(),
        (false, false) => format!("（协办：{}）", names.join("、")),
        (false, true) => format!(" (with {})", names.join(", ")),
    }
}

/// 满意 / satisfied, … for a rating.
fn rating_label(rating: i32, en: bool) -> &'static str {
    let (zh, english) = match Rating::try_from(rating) {
        Ok(Rating::Satisfied) => ("满意", "satisfied"),
        Ok(Rating::BasicallySatisfied) => ("基本满意", "basically satisfied"),
        Ok(Rating::Unsatisfied) => ("不满意", "unsatisfied"),
        _ => ("未指定", "unspecified"),
    };
    if en {
        english
    } else {
        zh
    }
}

/// "（A类）" ("(category A)") for an answer's result category, else nothing.
fn category(value: i32, en: bool) -> String {
    let letter = match super::suggestion::Category::from_proto(value) {
        Some(c) => c.as_str().to_uppercase(),
        None => return String::new(),
    };
    if en {
        format!(" (category {letter})")
    } else {
        format!("（{letter}类）")
    }
}

/// A short summary of a change for the history, in Chinese or (`en`) English; free text
/// is kept as written.
pub(super) fn summary(change: &Change, en: bool) -> String {
    let l = |zh: &'static str, english: &'static str| if en { english } else { zh };
    let Some(kind) = &change.kind else {
        return l("（无内容）", "(empty)").to_owned();
    };
    match kind {
        K::ParticipantAdded(c) => {
            format!("{} {}", l("加入协作城市", "Partner city added:"), c.city)
        }
        K::StationRegistered(c) => with(l("登记联络站", "Station registered"), &c.name, en),
        K::StationClosed(c) => with(l("撤销联络站", "Station closed"), &c.reason, en),
        K::SuggestionSubmitted(c) => with(l("提出建议", "Suggestion submitted"), &c.title, en),
        K::SuggestionDispatched(c) if en => format!(
            "Dispatched to {}{}, deadline {}",
            short(&c.unit),
            co_units(&c.co_units, en),
            c.deadline
        ),
        K::SuggestionDispatched(c) => format!(
            "交办至{}{}，办理期限{}",
            short(&c.unit),
            co_units(&c.co_units, en),
            c.deadline
        ),
        K::SuggestionAccepted(c) => with(l("承办单位签收", "Accepted by the unit"), &c.note, en),
        K::SuggestionReturned(c) => with(l("承办单位退回", "Returned by the unit"), &c.reason, en),
        K::SuggestionRedispatched(c) => with(
            &format!(
                "{}{}{}{}",
                l("改派至", "Re-dispatched to "),
                short(&c.unit),
                co_units(&c.co_units, en),
                new_deadline(&c.deadline, en)
            ),
            &c.reason,
            en,
        ),
        K::SuggestionPrioritized(c) if en => with(
            &format!("Key suggestion, supervised by {}", short(&c.leader)),
            &c.note,
            en,
        ),
        K::SuggestionPrioritized(c) => with(
            &format!("重点督办，督办领导{}", short(&c.leader)),
            &c.note,
            en,
        ),
        K::SuggestionProgress(c) => with(l("办理进展", "Progress"), &c.note, en),
        K::SuggestionAnswered(c) => with(
            &format!("{}{}", l("答复", "Answered"), category(c.category, en)),
            &c.answer,
            en,
        ),
        K::SuggestionRated(c) => {
            let label = rating_label(c.rating, en);
            format!(
                "{}{label}{}",
                l("测评：", "Rated: "),
                new_deadline(&c.deadline, en)
            )
        }
        K::SuggestionProposerRated(c) => {
            let label = rating_label(c.rating, en);
            let by = short(&c.proposer);
            let text = if en {
                format!("Rated by {by}: {label}{}", new_deadline(&c.deadline, en))
            } else {
                format!("{by}测评：{label}{}", new_deadline(&c.deadline, en))
            };
            with(&text, &c.comment, en)
        }
        K::SuggestionReopened(c) => with(
            &format!(
                "{}{}",
                l("二次办理", "Reopened"),
                new_deadline(&c.deadline, en)
            ),
            &c.reason,
            en,
        ),
        K::SuggestionCarriedOver(c) if en => format!(
            "Carried over to {}{}",
            c.to_year,
            if c.deadline.is_empty() {
                String::new()
            } else {
                format!(", deadline {} for the parts not answered", c.deadline)
            }
        ),
        K::SuggestionCarriedOver(c) => format!(
            "转{}年度继续办理{}",
            c.to_year,
            if c.deadline.is_empty() {
                String::new()
            } else {
                format!("，未答复部分办理期限{}", c.deadline)
            }
        ),
        K::SuggestionExtended(c) if en => with(
            &format!("Deadline extended to {}", c.deadline),
            &c.reason,
            en,
        ),
        K::SuggestionExtended(c) => with(&format!("延期，办理期限{}", c.deadline), &c.reason, en),
        K::SuggestionClosed(c) => with(l("办结", "Closed"), &c.note, en),
        K::DisputeReported(c) => with(l("登记受理纠纷", "Dispute reported"), &c.title, en),
        K::DisputeSession(c) => with(
            &format!("{}{}", l("调解会议", "Mediation session "), c.date),
            &c.place,
            en,
        ),
        K::DisputeAgreed(c) => with(l("达成调解协议", "Agreement reached"), &c.terms, en),
        K::DisputeConfirmed(c) => with(l("确认调解协议", "Agreement confirmed"), &c.note, en),
        K::DisputeChecked(c) => {
            let passed = if c.passed {
                l("通过", "passed")
            } else {
                l("未通过", "not passed")
            };
            format!(
                "{}{}{}{passed}",
                l("回访检查", "Follow-up check "),
                c.date,
                l("：", ": ")
            )
        }
        K::DisputeResolved(c) => with(l("纠纷化解", "Resolved"), &c.note, en),
        K::DisputeFailed(c) => with(l("调解不成", "Mediation failed"), &c.reason, en),
        K::DisputeEscalated(c) => format!("{}{}", l("上报至", "Escalated to "), short(&c.to)),
        K::DisputeWithdrawn(c) => with(l("撤回纠纷", "Dispute withdrawn"), &c.reason, en),
        K::ActivityPlanned(c) => with(l("计划活动", "Activity planned"), &c.title, en),
        K::ActivityReported(c) if en => format!(
            "Held on {}: {} opinions collected, {} problems solved",
            c.held_on, c.opinions_collected, c.problems_solved
        ),
        K::ActivityReported(c) => format!(
            "活动举行{}，收集意见{}条，解决问题{}个",
            c.held_on, c.opinions_collected, c.problems_solved
        ),
        K::ActivityCancelled(c) => with(l("取消活动", "Activity cancelled"), &c.reason, en),
        K::ActivityOpinionReceived(_)
        | K::ActivityOpinionAnswered(_)
        | K::ActivityOpinionReferred(_)
        | K::ActivityOpinionFeedback(_) => opinion_summary(kind, en),
        K::ProjectProposed(c) => with(l("提出项目", "Project proposed"), &c.title, en),
        K::ProjectStarted(c) => with(
            &format!("{}{}", l("开工", "Work started "), c.started_on),
            &c.note,
            en,
        ),
        K::ProjectCompleted(c) => with(
            &format!("{}{}", l("建成", "Completed "), c.completed_on),
            &c.note,
            en,
        ),
        K::ProjectLinked(c) => {
            let n = c.suggestion_ids.len() + c.activity_ids.len();
            if en {
                format!("Linked {n} record(s)")
            } else {
                format!("关联{n}条记录")
            }
        }
    }
}

/// A public opinion's change: 登记群众意见：…, 当场答复意见2（已解决）：…, 意见2转交…,
/// 意见2办理反馈（未解决）：….
fn opinion_summary(kind: &K, en: bool) -> String {
    let solved = |yes: bool| match (yes, en) {
        (true, false) => "（已解决）",
        (false, false) => "（未解决）",
        (true, true) => " (solved)",
        (false, true) => " (not solved)",
    };
    match kind {
        K::ActivityOpinionReceived(c) if en => with(
            &format!("Opinion from {}", short(&c.person)),
            &c.content,
            en,
        ),
        K::ActivityOpinionReceived(c) => with(
            &format!("登记群众意见（{}）", short(&c.person)),
            &c.content,
            en,
        ),
        K::ActivityOpinionAnswered(c) if en => with(
            &format!(
                "Opinion {} answered on the spot{}",
                c.opinion,
                solved(c.solved)
            ),
            &c.answer,
            en,
        ),
        K::ActivityOpinionAnswered(c) => with(
            &format!("当场答复意见{}{}", c.opinion, solved(c.solved)),
            &c.answer,
            en,
        ),
        K::ActivityOpinionReferred(c) if en => {
            format!("Opinion {} passed to {}", c.opinion, short(&c.unit))
        }
        K::ActivityOpinionReferred(c) => format!("意见{}转交{}办理", c.opinion, short(&c.unit)),
        K::ActivityOpinionFeedback(c) if en => with(
            &format!("Feedback on opinion {}{}", c.opinion, solved(c.solved)),
            &c.feedback,
            en,
        ),
        K::ActivityOpinionFeedback(c) => with(
            &format!("意见{}办理反馈{}", c.opinion, solved(c.solved)),
            &c.feedback,
            en,
        ),
        _ => String::new(),
    }
}

/// Puts the record's business dates in its view (see `domain::dates`).
fn business_dates(r: &mut Record, state: &RecordState) {
    let opened = state.opened_on();
    if let Some(v) = r.station.as_mut() {
        v.founded_on = opened;
    } else if let Some(v) = r.suggestion.as_mut() {
        v.submitted_on = opened;
        for part in &mut v.parts {
            if let Some(d) = state.dates().part(&part.city) {
                part.dispatched_on.clone_from(&d.dispatched_on);
                part.answered_on.clone_from(&d.answered_on);
            }
        }
    } else if let Some(v) = r.dispute.as_mut() {
        v.reported_on = opened;
        v.resolved_on = state.resolved_on().unwrap_or_default();
    } else if let Some(v) = r.project.as_mut() {
        v.proposed_on = opened;
    }
}
