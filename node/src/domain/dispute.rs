//! Border land and forest disputes: reported, mediated in sessions, agreed, confirmed by
//! every participant city (then in force), checked, and resolved — or failed, escalated or
//! withdrawn.

use lianluo_proto::{
    change::Kind as K, DisputeCheck, DisputeReported, DisputeView, MediationSession,
};
use serde::{Deserialize, Serialize};

use super::record::{require, Ctx, Status};

/// Dispute status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum DisputeStatus {
    Reported,
    Mediating,
    Agreed,
    InForce,
    Checked,
    Resolved,
    Failed,
    Escalated,
    Withdrawn,
}

use DisputeStatus as D;

impl Status for DisputeStatus {
    fn as_str(self) -> &'static str {
        match self {
            D::Reported => "reported",
            D::Mediating => "mediating",
            D::Agreed => "agreed",
            D::InForce => "in_force",
            D::Checked => "checked",
            D::Resolved => "resolved",
            D::Failed => "failed",
            D::Escalated => "escalated",
            D::Withdrawn => "withdrawn",
        }
    }
}

/// One mediation session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Session {
    pub date: String,
    pub place: String,
    pub attendees: Vec<String>,
    pub summary: String,
    pub recorded_by: String,
}

/// One check of an agreement in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Check {
    pub date: String,
    pub passed: bool,
    pub note: String,
    pub city: String,
}

/// A dispute's state: what the fold keeps and the store holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Dispute {
    pub status: DisputeStatus,
    pub description: String,
    pub location: String,
    pub parties: Vec<String>,
    pub area_mu: f64,
    pub station_id: String,
    pub sessions: Vec<Session>,
    pub agreement: String,
    /// Cities that confirmed the current agreement.
    pub confirmed_by: Vec<String>,
    pub in_force: bool,
    pub checks: Vec<Check>,
    pub escalated_to: String,
    pub outcome_note: String,
}

impl Dispute {
    /// `dispute_reported` → `reported`.
    pub fn create(c: &DisputeReported) -> Self {
        Dispute {
            status: D::Reported,
            description: c.description.clone(),
            location: c.location.clone(),
            parties: c.parties.clone(),
            area_mu: c.area_mu,
            station_id: c.station_id.clone(),
            sessions: Vec::new(),
            agreement: String::new(),
            confirmed_by: Vec::new(),
            in_force: false,
            checks: Vec::new(),
            escalated_to: String::new(),
            outcome_note: String::new(),
        }
    }

    /// True when resolved, withdrawn or escalated.
    pub fn is_final(&self) -> bool {
        matches!(self.status, D::Resolved | D::Withdrawn | D::Escalated)
    }

    /// Refuses a new participant city once the agreement is in force (`in_force`, `checked`):
    /// it was confirmed by every participant, and a city added now never confirmed it
    /// (DESIGN §4). While `agreed`, a new city may still be added; it must then confirm too.
    pub fn participant_allowed(&self) -> Result<(), String> {
        if matches!(self.status, D::InForce | D::Checked) {
            return Err(format!(
                "cannot add a participant: dispute is `{}`; its agreement was confirmed by every \
                 participant city — record a new dispute that includes the city (mark this one \
                 failed first if the agreement no longer holds)",
                self.status.as_str()
            ));
        }
        Ok(())
    }

    /// Applies a dispute change, or says why it is not allowed (state unchanged).
    pub(super) fn apply(&mut self, ctx: &Ctx<'_>, change: &K) -> Result<(), String> {
        match change {
            K::DisputeSession(c) => {
                require(
                    "record a session",
                    "dispute",
                    self.status,
                    &[D::Reported, D::Mediating],
                )?;
                self.sessions.push(Session {
                    date: c.date.clone(),
                    place: c.place.clone(),
                    attendees: c.attendees.clone(),
                    summary: c.summary.clone(),
                    recorded_by: ctx.author.to_owned(),
                });
                self.status = D::Mediating;
            }
            K::DisputeAgreed(c) => {
                require(
                    "record an agreement",
                    "dispute",
                    self.status,
                    &[D::Mediating],
                )?;
                self.agreement.clone_from(&c.terms);
                self.confirmed_by.clear();
                self.status = D::Agreed;
            }
            K::DisputeConfirmed(_) => self.confirm(ctx)?,
            K::DisputeChecked(c) => {
                require(
                    "record a check",
                    "dispute",
                    self.status,
                    &[D::InForce, D::Checked],
                )?;
                self.checks.push(Check {
                    date: c.date.clone(),
                    passed: c.passed,
                    note: c.note.clone(),
                    city: ctx.author.to_owned(),
                });
                self.status = D::Checked;
            }
            _ => return self.apply_outcome(ctx, change),
        }
        Ok(())
    }

    fn confirm(&mut self, ctx: &Ctx<'_>) -> Result<(), String> {
        require("confirm", "dispute", self.status, &[D::Agreed])?;
        if self.confirmed_by.iter().any(|c| c == ctx.author) {
            return Err(format!(
                "{} has already confirmed the agreement",
                ctx.author
            ));
        }
        self.confirmed_by.push(ctx.author.to_owned());
        let all = ctx
            .participants
            .iter()
            .all(|p| self.confirmed_by.contains(p));
        if all {
            self.in_force = true;
            self.status = D::InForce;
        }
        Ok(())
    }

    /// The acts that end or move the dispute on: resolved, failed, escalated, withdrawn.
    fn apply_outcome(&mut self, ctx: &Ctx<'_>, change: &K) -> Result<(), String> {
        match change {
            K::DisputeResolved(c) => {
                require("resolve", "dispute", self.status, &[D::Checked])?;
                if let Some(last) = self.checks.last().filter(|c| !c.passed) {
                    return Err(format!(
                        "cannot resolve: the last check ({}, by {}) did not pass; record a passing check first",
                        last.date, last.city
                    ));
                }
                self.outcome_note.clone_from(&c.note);
                self.status = D::Resolved;
            }
            K::DisputeFailed(c) => {
                let allowed = [D::Reported, D::Mediating, D::Agreed, D::InForce, D::Checked];
                require("mark as failed", "dispute", self.status, &allowed)?;
                self.outcome_note.clone_from(&c.reason);
                self.status = D::Failed;
            }
            K::DisputeEscalated(c) => {
                require(
                    "escalate",
                    "dispute",
                    self.status,
                    &[D::Mediating, D::Failed],
                )?;
                self.escalated_to.clone_from(&c.to);
                self.outcome_note.clone_from(&c.reason);
                self.status = D::Escalated;
            }
            K::DisputeWithdrawn(c) => {
                ctx.origin_only("withdraw the dispute")?;
                require(
                    "withdraw",
                    "dispute",
                    self.status,
                    &[D::Reported, D::Mediating],
                )?;
                self.outcome_note.clone_from(&c.reason);
                self.status = D::Withdrawn;
            }
            other => {
                return Err(format!(
                    "{} does not apply to a dispute",
                    super::kind_name(other)
                ))
            }
        }
        Ok(())
    }

    /// The read-model view.
    pub fn view(&self) -> DisputeView {
        DisputeView {
            description: self.description.clone(),
            location: self.location.clone(),
            parties: self.parties.clone(),
            area_mu: self.area_mu,
            station_id: self.station_id.clone(),
            sessions: self
                .sessions
                .iter()
                .map(|s| MediationSession {
                    date: s.date.clone(),
                    place: s.place.clone(),
                    attendees: s.attendees.clone(),
                    summary: s.summary.clone(),
                    recorded_by: s.recorded_by.clone(),
                })
                .collect(),
            agreement: self.agreement.clone(),
            confirmed_by: self.confirmed_by.clone(),
            in_force: self.in_force,
            checks: self
                .checks
                .iter()
                .map(|c| DisputeCheck {
                    date: c.date.clone(),
                    passed: c.passed,
                    note: c.note.clone(),
                    city: c.city.clone(),
                })
                .collect(),
            escalated_to: self.escalated_to.clone(),
            outcome_note: self.outcome_note.clone(),
            // The record's business dates (`view::business_dates`).
            ..DisputeView::default()
        }
    }
}
