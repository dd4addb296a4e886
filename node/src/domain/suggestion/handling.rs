//! How offices handle a suggestion beyond dispatch and answer: the unit takes its part
//! (签收) or returns it with a reason (退回) until the city re-dispatches it to another
//! unit (改派); each proposer rates the answers (满意度测评), the suggestion's rating
//! following from theirs; a city supervises it as a key suggestion (重点督办) under a
//! leader; an answer carries its result category (A–D).

use lianluo_proto::{
    KeySupervision, ProposerRating as ProposerRatingView, Rating, ResultCategory,
    SuggestionPrioritized, SuggestionProposerRated, SuggestionRedispatched,
};
use serde::{Deserialize, Serialize};

use super::{Grade, PartStatus, Suggestion, SuggestionStatus as S};
use crate::domain::record::{require, Status};

/// 办理结果分类 of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Category {
    /// A类：已解决或采纳.
    Solved,
    /// B类：正在解决或列入计划.
    Planned,
    /// C类：因条件限制暂难解决.
    Constrained,
    /// D类：留作参考.
    Reference,
}

impl Category {
    /// The read-model name: `a`, `b`, `c` or `d`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Solved => "a",
            Category::Planned => "b",
            Category::Constrained => "c",
            Category::Reference => "d",
        }
    }

    /// The category an answer gave; `None` when unspecified (or unknown to this build).
    pub fn from_proto(value: i32) -> Option<Self> {
        match ResultCategory::try_from(value) {
            Ok(ResultCategory::Solved) => Some(Category::Solved),
            Ok(ResultCategory::Planned) => Some(Category::Planned),
            Ok(ResultCategory::Constrained) => Some(Category::Constrained),
            Ok(ResultCategory::Reference) => Some(Category::Reference),
            Ok(ResultCategory::Unspecified) | Err(_) => None,
        }
    }
}

/// One proposer's rating in the current round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ProposerRating {
    pub proposer: String,
    pub grade: Grade,
    pub comment: String,
    /// The city that recorded it.
    pub city: String,
    /// The 二次办理 deadline given with an unsatisfied rating (else empty).
    pub deadline: String,
}

impl ProposerRating {
    /// The read-model view.
    pub fn view(&self) -> ProposerRatingView {
        ProposerRatingView {
            proposer: self.proposer.clone(),
            rating: self.grade.as_str().to_owned(),
            comment: self.comment.clone(),
            city: self.city.clone(),
        }
    }
}

/// 重点督办 by one city.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Supervisor {
    pub city: String,
    pub leader: String,
    pub note: String,
}

impl Supervisor {
    /// The read-model view.
    pub fn view(&self) -> KeySupervision {
        KeySupervision {
            city: self.city.clone(),
            leader: self.leader.clone(),
            note: self.note.clone(),
        }
    }
}

impl Grade {
    /// The grade a rating gives, or why there is none.
    pub(super) fn from_proto(rating: i32) -> Result<Self, String> {
        match Rating::try_from(rating) {
            Ok(Rating::Satisfied) => Ok(Grade::Satisfied),
            Ok(Rating::BasicallySatisfied) => Ok(Grade::BasicallySatisfied),
            Ok(Rating::Unsatisfied) => Ok(Grade::Unsatisfied),
            Ok(Rating::Unspecified) | Err(_) => {
                Err("cannot rate: the rating is not specified".to_owned())
            }
        }
    }
}

/// The suggestion's rating from its proposers' ratings: the grade most of them gave; a tie
/// goes to the less satisfied grade.
pub(crate) fn derived_grade(ratings: &[ProposerRating]) -> Option<Grade> {
    let order = [
        Grade::Unsatisfied,
        Grade::BasicallySatisfied,
        Grade::Satisfied,
    ];
    let count = |g: Grade| ratings.iter().filter(|r| r.grade == g).count();
    let mut best: Option<(Grade, usize)> = None;
    for g in order {
        let n = count(g);
        if n > 0 && best.is_none_or(|(_, m)| n > m) {
            best = Some((g, n));
        }
    }
    best.map(|(g, _)| g)
}

impl Suggestion {
    /// 签收: the author's dispatched part is accepted by its unit.
    pub(super) fn accept(&mut self, author: &str) -> Result<(), String> {
        let p = self.part_in("accept", author, &[PartStatus::Dispatched])?;
        self.parts[p].status = PartStatus::Accepted;
        Ok(())
    }

    /// 退回: the unit returns the author's part, with the reason.
    pub(super) fn return_part(&mut self, author: &str, reason: &str) -> Result<(), String> {
        let allowed = [PartStatus::Dispatched, PartStatus::Accepted];
        let p = self.part_in("return", author, &allowed)?;
        self.parts[p].status = PartStatus::Returned;
        self.parts[p].return_reason = reason.to_owned();
        Ok(())
    }

    /// 改派: the author's returned part goes to another unit.
    pub(super) fn redispatch(
        &mut self,
        author: &str,
        c: &SuggestionRedispatched,
    ) -> Result<(), String> {
        let p = self
            .part_in("re-dispatch", author, &[PartStatus::Returned])
            .map_err(|e| format!("{e}; only a part its unit returned (退回) is re-dispatched"))?;
        let part = &mut self.parts[p];
        if part.unit == c.unit {
            return Err(format!(
                "cannot re-dispatch: {} returned the part; choose another unit",
                part.unit
            ));
        }
        part.unit.clone_from(&c.unit);
        part.co_units.clone_from(&c.co_units);
        if !c.deadline.is_empty() {
            part.deadline.clone_from(&c.deadline);
        }
        part.status = PartStatus::Dispatched;
        part.return_reason.clear();
        Ok(())
    }

    /// 重点督办 by the author city under `leader` (a later one replaces it).
    pub(super) fn prioritize(
        &mut self,
        author: &str,
        c: &SuggestionPrioritized,
    ) -> Result<(), String> {
        if self.status == S::Closed {
            return Err("cannot supervise as a key suggestion: suggestion is `closed`".to_owned());
        }
        let entry = Supervisor {
            city: author.to_owned(),
            leader: c.leader.clone(),
            note: c.note.clone(),
        };
        match self.supervisors.iter_mut().find(|s| s.city == author) {
            Some(s) => *s = entry,
            None => self.supervisors.push(entry),
        }
        Ok(())
    }

    /// One proposer's rating; once every proposer has rated, the suggestion's rating is
    /// derived from theirs ([`derived_grade`]).
    pub(super) fn rate_as_proposer(
        &mut self,
        author: &str,
        c: &SuggestionProposerRated,
    ) -> Result<(), String> {
        let grade = Grade::from_proto(c.rating)?;
        if self.proposers.is_empty() {
            return Err(
                "cannot rate for a proposer: this suggestion names no proposers; the origin \
                 city rates it as a whole"
                    .to_owned(),
            );
        }
        if !self.proposers.contains(&c.proposer) {
            return Err(format!(
                "cannot rate: {} is not a proposer of this suggestion (proposers: {})",
                c.proposer,
                self.proposers.join("、")
            ));
        }
        if self
            .proposer_ratings
            .iter()
            .any(|r| r.proposer == c.proposer)
        {
            return Err(format!(
                "cannot rate: {} has already rated this answer",
                c.proposer
            ));
        }
        self.proposer_ratings.push(ProposerRating {
            proposer: c.proposer.clone(),
            grade,
            comment: c.comment.clone(),
            city: author.to_owned(),
            deadline: c.deadline.clone(),
        });
        let all = self
            .proposers
            .iter()
            .all(|p| self.proposer_ratings.iter().any(|r| &r.proposer == p));
        if let (true, Some(grade)) = (all, derived_grade(&self.proposer_ratings)) {
            let deadline = self
                .proposer_ratings
                .iter()
                .rev()
                .map(|r| r.deadline.clone())
                .find(|d| !d.is_empty())
                .unwrap_or_default();
            self.rating_comment.clear();
            self.conclude_rating(grade, &deadline);
        }
        Ok(())
    }

    /// The author's part when its status is one of `allowed`, or why not.
    fn part_in(&self, verb: &str, author: &str, allowed: &[PartStatus]) -> Result<usize, String> {
        let p = self.unanswered_part(verb, author)?;
        // "cannot accept: suggestion is `in_progress`; hezhou's part is `accepted`, must
        // be `dispatched`"
        let what = format!("suggestion is `{}`; {author}'s part", self.status.as_str());
        require(verb, &what, self.parts[p].status, allowed)?;
        Ok(p)
    }
}

/// [`derived_grade`] over bare ratings (for the tests).
#[cfg(test)]
pub(crate) fn derived_grade_for_test(ratings: &[Rating]) -> Option<Rating> {
    let ratings: Vec<ProposerRating> = ratings
        .iter()
        .map(|r| ProposerRating {
            proposer: String::new(),
            grade: Grade::from_proto(*r as i32).unwrap_or(Grade::Unsatisfied),
            comment: String::new(),
            city: String::new(),
            deadline: String::new(),
        })
        .collect();
    derived_grade(&ratings).map(Grade::to_proto)
}
