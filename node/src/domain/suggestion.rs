//! Deputies' suggestions (代表点单、人大派单、部门接单): each participant city dispatches its
//! own part to its own handling unit with a deadline, answers it, and the origin rates the
//! whole; unsatisfied reopens it, what is not solved is carried over to a later year.
//! How a unit takes its part (签收, 退回, 改派), each proposer's rating and 重点督办 are in
//! [`handling`].

mod handling;

use lianluo_proto::{
    change::Kind as K, Rating, SuggestionPart, SuggestionRated, SuggestionSubmitted, SuggestionView,
};

#[cfg(test)]
pub(crate) use handling::derived_grade_for_test;
pub(crate) use handling::{Category, ProposerRating, Supervisor};

use serde::{Deserialize, Serialize};

use super::record::{require, Ctx, Status};
use super::validate::parse_date;

/// Suggestion status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum SuggestionStatus {
    Submitted,
    Dispatched,
    InProgress,
    Answered,
    Rated,
    Reopened,
    CarriedOver,
    Closed,
}

use SuggestionStatus as S;

impl Status for SuggestionStatus {
    fn as_str(self) -> &'static str {
        match self {
            S::Submitted => "submitted",
            S::Dispatched => "dispatched",
            S::InProgress => "in_progress",
            S::Answered => "answered",
            S::Rated => "rated",
            S::Reopened => "reopened",
            S::CarriedOver => "carried_over",
            S::Closed => "closed",
        }
    }
}

impl SuggestionStatus {
    const ALL: [S; 8] = [
        S::Submitted,
        S::Dispatched,
        S::InProgress,
        S::Answered,
        S::Rated,
        S::Reopened,
        S::CarriedOver,
        S::Closed,
    ];

    /// Parses a status name from the read model.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Statuses in which a city's part can be worked on (progress, answer).
const WORKING: [S; 4] = [S::Dispatched, S::InProgress, S::Reopened, S::CarriedOver];

/// Status of one city's part: `dispatched` to its unit, `accepted` (签收) by it, `returned`
/// (退回) by it until re-dispatched (改派), `answered`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum PartStatus {
    // Variants are stored by position: add new ones at the end.
    Dispatched,
    Answered,
    Accepted,
    Returned,
}

impl Status for PartStatus {
    fn as_str(self) -> &'static str {
        match self {
            PartStatus::Dispatched => "dispatched",
            PartStatus::Answered => "answered",
            PartStatus::Accepted => "accepted",
            PartStatus::Returned => "returned",
        }
    }
}

impl PartStatus {
    /// Parses a part status name from the read model.
    pub fn parse(s: &str) -> Option<Self> {
        [
            PartStatus::Dispatched,
            PartStatus::Answered,
            PartStatus::Accepted,
            PartStatus::Returned,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// The proposers' rating of a suggestion (满意 / 基本满意 / 不满意).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Grade {
    Satisfied,
    BasicallySatisfied,
    Unsatisfied,
}

impl Grade {
    /// The read-model name, e.g. `basically_satisfied`.
    pub fn as_str(self) -> &'static str {
        rating_str(self.to_proto())
    }

    pub(super) fn to_proto(self) -> Rating {
        match self {
            Grade::Satisfied => Rating::Satisfied,
            Grade::BasicallySatisfied => Rating::BasicallySatisfied,
            Grade::Unsatisfied => Rating::Unsatisfied,
        }
    }
}

/// One city's part of a suggestion: its 主办 and 协办 units, deadline and answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Part {
    pub city: String,
    /// The 主办 unit.
    pub unit: String,
    pub deadline: String,
    pub status: PartStatus,
    pub progress: Vec<String>,
    pub answer: String,
    /// The 协办 units.
    pub co_units: Vec<String>,
    /// The answer's 办理结果分类, when given.
    pub category: Option<Category>,
    /// Why the unit returned the part, while `returned`.
    pub return_reason: String,
}

/// A suggestion's state: what the fold keeps and the store holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Suggestion {
    pub status: SuggestionStatus,
    pub body: String,
    pub proposers: Vec<String>,
    pub station_id: String,
    pub year: u32,
    pub parts: Vec<Part>,
    pub rating: Option<Grade>,
    pub rating_comment: String,
    pub carried_over_to: Vec<u32>,
    /// This round's ratings by each proposer.
    pub proposer_ratings: Vec<ProposerRating>,
    /// 重点督办, one entry per city.
    pub supervisors: Vec<Supervisor>,
}

impl Suggestion {
    /// `suggestion_submitted` → `submitted`; `year` 0 takes `default_year`.
    pub fn create(c: &SuggestionSubmitted, default_year: u32) -> Self {
        Suggestion {
            status: S::Submitted,
            body: c.body.clone(),
            proposers: c.proposers.clone(),
            station_id: c.station_id.clone(),
            year: if c.year == 0 { default_year } else { c.year },
            parts: Vec::new(),
            rating: None,
            rating_comment: String::new(),
            carried_over_to: Vec::new(),
            proposer_ratings: Vec::new(),
            supervisors: Vec::new(),
        }
    }

    /// True when closed.
    pub fn is_final(&self) -> bool {
        self.status == S::Closed
    }

    /// Applies a suggestion change, or says why it is not allowed (state unchanged).
    pub(super) fn apply(&mut self, ctx: &Ctx<'_>, change: &K) -> Result<(), String> {
        match change {
            K::SuggestionDispatched(c) => {
                let allowed = [
                    S::Submitted,
                    S::Dispatched,
                    S::InProgress,
                    S::Reopened,
                    S::CarriedOver,
                ];
                require("dispatch", "suggestion", self.status, &allowed)?;
                if let Some(p) = self.part(ctx.author) {
                    return Err(format!(
                        "cannot dispatch: {} has already dispatched its part to {}",
                        ctx.author, self.parts[p].unit
                    ));
                }
                self.parts.push(Part {
                    city: ctx.author.to_owned(),
                    unit: c.unit.clone(),
                    deadline: c.deadline.clone(),
                    status: PartStatus::Dispatched,
                    progress: Vec::new(),
                    answer: String::new(),
                    co_units: c.co_units.clone(),
                    category: None,
                    return_reason: String::new(),
                });
                if self.status == S::Submitted {
                    self.status = S::Dispatched;
                }
            }
            K::SuggestionProgress(c) => {
                let p = self.open_part("record progress", ctx.author)?;
                self.parts[p].progress.push(c.note.clone());
                self.status = S::InProgress;
            }
            K::SuggestionExtended(c) => self.extend(ctx.author, &c.deadline)?,
            K::SuggestionAnswered(c) => {
                let p = self.open_part("answer", ctx.author)?;
                self.parts[p].status = PartStatus::Answered;
                self.parts[p].answer.clone_from(&c.answer);
                self.parts[p].category = Category::from_proto(c.category);
                self.status = if self.all_answered(ctx.participants) {
                    // A new answer to rate: a new round of the proposers' ratings.
                    self.proposer_ratings.clear();
                    S::Answered
                } else {
                    S::InProgress
                };
            }
            K::SuggestionAccepted(_) => self.accept(ctx.author)?,
            K::SuggestionReturned(c) => self.return_part(ctx.author, &c.reason)?,
            K::SuggestionRedispatched(c) => self.redispatch(ctx.author, c)?,
            K::SuggestionPrioritized(c) => self.prioritize(ctx.author, c)?,
            K::SuggestionProposerRated(c) => {
                require("rate", "suggestion", self.status, &[S::Answered])?;
                self.rate_as_proposer(ctx.author, c)?;
            }
            _ => return self.apply_origin_act(ctx, change),
        }
        Ok(())
    }

    /// The acts only the origin may do: rate, reopen, carry over, close.
    fn apply_origin_act(&mut self, ctx: &Ctx<'_>, change: &K) -> Result<(), String> {
        match change {
            K::SuggestionRated(c) => {
                ctx.origin_only("rate")?;
                require("rate", "suggestion", self.status, &[S::Answered])?;
                self.rate(c)?;
            }
            K::SuggestionReopened(c) => {
                ctx.origin_only("reopen")?;
                require(
                    "reopen",
                    "suggestion",
                    self.status,
                    &[S::Answered, S::Rated],
                )?;
                self.reopen(&c.deadline);
                self.proposer_ratings.clear();
            }
            K::SuggestionCarriedOver(c) => {
                ctx.origin_only("carry over")?;
                self.carry_over(c.to_year, &c.deadline)?;
            }
            K::SuggestionClosed(_) => {
                ctx.origin_only("close")?;
                require("close", "suggestion", self.status, &[S::Rated])?;
                self.status = S::Closed;
            }
            other => {
                return Err(format!(
                    "{} does not apply to a suggestion",
                    super::kind_name(other)
                ))
            }
        }
        Ok(())
    }

    /// Records the proposers' rating as a whole.
    fn rate(&mut self, c: &SuggestionRated) -> Result<(), String> {
        let grade = Grade::from_proto(c.rating)?;
        self.conclude_rating(grade, &c.deadline);
        self.rating_comment.clone_from(&c.comment);
        // The rating as a whole decides: a round some proposers began is over.
        self.proposer_ratings.clear();
        Ok(())
    }

    /// The suggestion's rating is `grade`: satisfied / basically satisfied → `rated`;
    /// unsatisfied reopens it (二次办理), with `deadline` when one is given.
    fn conclude_rating(&mut self, grade: Grade, deadline: &str) {
        if grade == Grade::Unsatisfied {
            self.reopen(deadline);
        } else {
            self.status = S::Rated;
        }
        self.rating = Some(grade);
    }

    /// Carries an unfinished suggestion into a later congress year; with a `deadline`,
    /// every part not answered gets it.
    fn carry_over(&mut self, to_year: u32, deadline: &str) -> Result<(), String> {
        if matches!(self.status, S::Rated | S::Closed) {
            return Err(format!(
                "cannot carry over: suggestion is `{}`; only an unfinished suggestion is carried over",
                self.status.as_str()
            ));
        }
        let current = self.carried_over_to.last().copied().unwrap_or(self.year);
        if to_year <= current {
            return Err(format!(
                "cannot carry over to {to_year}: the suggestion is already in {current}; choose a later year"
            ));
        }
        self.carried_over_to.push(to_year);
        self.status = S::CarriedOver;
        if !deadline.is_empty() {
            for p in self
                .parts
                .iter_mut()
                .filter(|p| p.status != PartStatus::Answered)
            {
                p.deadline = deadline.to_owned();
            }
        }
        Ok(())
    }

    /// Called after a participant was added: a suggestion is `answered` only while every
    /// participant's part is answered, so a new partner moves it back to `in_progress`.
    pub fn participant_added(&mut self, participants: &[String]) {
        if self.status == S::Answered && !self.all_answered(participants) {
            self.status = S::InProgress;
        }
    }

    fn part(&self, city: &str) -> Option<usize> {
        self.parts.iter().position(|p| p.city == city)
    }

    /// The author's own part that can still be worked on (not answered nor returned), or
    /// why not.
    fn open_part(&self, verb: &str, author: &str) -> Result<usize, String> {
        let p = self.unanswered_part(verb, author)?;
        let part = &self.parts[p];
        if part.status == PartStatus::Returned {
            return Err(format!(
                "cannot {verb}: {author}'s part was returned by {} ({}); re-dispatch it to \
                 another unit first (改派)",
                part.unit, part.return_reason
            ));
        }
        Ok(p)
    }

    /// The author's own part not answered yet, or why not.
    fn unanswered_part(&self, verb: &str, author: &str) -> Result<usize, String> {
        if matches!(self.status, S::Answered | S::Rated | S::Closed) {
            require(verb, "suggestion", self.status, &WORKING)?;
        }
        let status = self.status.as_str();
        match self.part(author) {
            None => Err(format!(
                "cannot {verb}: suggestion is `{status}`; {author} has not dispatched its part"
            )),
            Some(p) if self.parts[p].status == PartStatus::Answered => Err(format!(
                "cannot {verb}: suggestion is `{status}`; {author} has already answered its part"
            )),
            Some(p) => require(verb, "suggestion", self.status, &WORKING).map(|()| p),
        }
    }

    fn all_answered(&self, participants: &[String]) -> bool {
        participants.iter().all(|c| {
            self.part(c)
                .is_some_and(|p| self.parts[p].status == PartStatus::Answered)
        })
    }

    /// `reopened`: every part goes back to `dispatched` (answers kept until re-answered).
    /// 二次办理: every part goes back to its unit, with `deadline` when one is given.
    fn reopen(&mut self, deadline: &str) {
        self.status = S::Reopened;
        for p in &mut self.parts {
            p.status = PartStatus::Dispatched;
            if !deadline.is_empty() {
                p.deadline = deadline.to_owned();
            }
        }
    }

    /// 延期: the author's unanswered part gets a later deadline.
    fn extend(&mut self, author: &str, deadline: &str) -> Result<(), String> {
        let p = self.open_part("extend the deadline", author)?;
        let current = &self.parts[p].deadline;
        // Both are YYYY-MM-DD dates (validated), which order as text.
        if deadline <= current.as_str() {
            return Err(format!(
                "cannot extend the deadline: {deadline} is not after the part's deadline \
                 {current}"
            ));
        }
        self.parts[p].deadline = deadline.to_owned();
        Ok(())
    }

    /// The earliest deadline among parts not answered yet, while the suggestion is not
    /// rated or closed (the view's `next_deadline`): it is overdue once this is past.
    pub fn open_deadline(&self) -> Option<time::Date> {
        if matches!(self.status, S::Rated | S::Closed) {
            return None;
        }
        self.parts
            .iter()
            .filter(|p| p.status != PartStatus::Answered)
            .filter_map(|p| parse_date(&p.deadline))
            .min()
    }

    /// The read-model view, with overdue flags as of `today`.
    pub fn view(&self, today: time::Date) -> SuggestionView {
        let mut v = SuggestionView {
            body: self.body.clone(),
            proposers: self.proposers.clone(),
            station_id: self.station_id.clone(),
            year: self.year,
            parts: self.parts.iter().map(part_view).collect(),
            rating: self
                .rating
                .map(Grade::as_str)
                .unwrap_or_default()
                .to_owned(),
            rating_comment: self.rating_comment.clone(),
            carried_over_to: self.carried_over_to.clone(),
            overdue: false,
            next_deadline: String::new(),
            proposer_ratings: self.proposer_ratings.iter().map(|r| r.view()).collect(),
            key_supervision: self.supervisors.iter().map(|s| s.view()).collect(),
            // The record's business dates (`view::business_dates`).
            ..SuggestionView::default()
        };
        mark_overdue(&mut v, self.status, today);
        v
    }
}

fn part_view(p: &Part) -> SuggestionPart {
    SuggestionPart {
        city: p.city.clone(),
        unit: p.unit.clone(),
        deadline: p.deadline.clone(),
        status: p.status.as_str().to_owned(),
        progress: p.progress.clone(),
        answer: p.answer.clone(),
        overdue: false,
        co_units: p.co_units.clone(),
        // The category goes with the answer in force: not once the part is handled again.
        category: p
            .category
            .filter(|_| p.status == PartStatus::Answered)
            .map(Category::as_str)
            .unwrap_or_default()
            .to_owned(),
        return_reason: p.return_reason.clone(),
        ..SuggestionPart::default()
    }
}

/// The read-model name of a rating.
pub(crate) fn rating_str(r: Rating) -> &'static str {
    match r {
        Rating::Unspecified => "",
        Rating::Satisfied => "satisfied",
        Rating::BasicallySatisfied => "basically_satisfied",
        Rating::Unsatisfied => "unsatisfied",
    }
}

/// Recomputes the overdue flags and `next_deadline` of a suggestion view as of `today`:
/// a part is overdue when its deadline is before `today` and it is not answered; rated and
/// closed suggestions are never overdue and have no next deadline.
pub(super) fn mark_overdue(v: &mut SuggestionView, status: SuggestionStatus, today: time::Date) {
    let finished = matches!(status, S::Rated | S::Closed);
    let mut next: Option<time::Date> = None;
    for part in &mut v.parts {
        let open = PartStatus::parse(&part.status) != Some(PartStatus::Answered);
        let deadline = parse_date(&part.deadline);
        part.overdue = !finished && open && deadline.is_some_and(|d| d < today);
        if open && !finished {
            next = match (next, deadline) {
                (Some(n), Some(d)) => Some(n.min(d)),
                (n, d) => n.or(d),
            };
        }
    }
    v.overdue = v.parts.iter().any(|p| p.overdue);
    v.next_deadline = next.map(format_date).unwrap_or_default();
}

fn format_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}
