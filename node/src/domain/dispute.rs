//! Border land and forest disputes: reported, mediated in sessions, agreed, confirmed by
//! every participant city (then in force), checked, and resolved — or failed, escalated or
//! withdrawn.

use lianluo_proto::{
    change::Kind as K, DisputeCheck, DisputeReported, DisputeView, MediationSession,
};

use super::record::{require, Ctx, Status};

/// Dispute status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A dispute's state during the fold.
pub(super) struct Dispute {
    pub status: DisputeStatus,
    view: DisputeView,
}

impl Dispute {
    /// `dispute_reported` → `reported`.
    pub fn create(c: &DisputeReported) -> Self {
        Dispute {
            status: D::Reported,
            view: DisputeView {
                description: c.description.clone(),
                location: c.location.clone(),
                parties: c.parties.clone(),
                area_mu: c.area_mu,
                station_id: c.station_id.clone(),
                ..DisputeView::default()
            },
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
    pub fn apply(&mut self, ctx: &Ctx<'_>, change: &K) -> Result<(), String> {
        match change {
            K::DisputeSession(c) => {
                require(
                    "record a session",
                    "dispute",
                    self.status,
                    &[D::Reported, D::Mediating],
                )?;
                self.view.sessions.push(MediationSession {
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
                self.view.agreement.clone_from(&c.terms);
                self.view.confirmed_by.clear();
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
                self.view.checks.push(DisputeCheck {
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
        if self.view.confirmed_by.iter().any(|c| c == ctx.author) {
            return Err(format!(
                "{} has already confirmed the agreement",
                ctx.author
            ));
        }
        self.view.confirmed_by.push(ctx.author.to_owned());
        let all = ctx
            .participants
            .iter()
            .all(|p| self.view.confirmed_by.contains(p));
        if all {
            self.view.in_force = true;
            self.status = D::InForce;
        }
        Ok(())
    }

    /// The acts that end or move the dispute on: resolved, failed, escalated, withdrawn.
    fn apply_outcome(&mut self, ctx: &Ctx<'_>, change: &K) -> Result<(), String> {
        match change {
            K::DisputeResolved(c) => {
                require("resolve", "dispute", self.status, &[D::Checked])?;
                if let Some(last) = self.view.checks.last().filter(|c| !c.passed) {
                    return Err(format!(
                        "cannot resolve: the last check ({}, by {}) did not pass; record a passing check first",
                        last.date, last.city
                    ));
                }
                self.view.outcome_note.clone_from(&c.note);
                self.status = D::Resolved;
            }
            K::DisputeFailed(c) => {
                let allowed = [D::Reported, D::Mediating, D::Agreed, D::InForce, D::Checked];
                require("mark as failed", "dispute", self.status, &allowed)?;
                self.view.outcome_note.clone_from(&c.reason);
                self.status = D::Failed;
            }
            K::DisputeEscalated(c) => {
                require(
                    "escalate",
                    "dispute",
                    self.status,
                    &[D::Mediating, D::Failed],
                )?;
                self.view.escalated_to.clone_from(&c.to);
                self.view.outcome_note.clone_from(&c.reason);
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
                self.view.outcome_note.clone_from(&c.reason);
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
        self.view.clone()
    }
}
