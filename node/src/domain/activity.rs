//! Joint station activities: `planned` → `held` (reported) or `cancelled`, both final.

use lianluo_proto::{change::Kind as K, ActivityKind, ActivityPlanned, ActivityView};

use super::record::{require, Ctx, Status};

/// Activity status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ActivityStatus {
    Planned,
    Held,
    Cancelled,
}

impl Status for ActivityStatus {
    fn as_str(self) -> &'static str {
        match self {
            ActivityStatus::Planned => "planned",
            ActivityStatus::Held => "held",
            ActivityStatus::Cancelled => "cancelled",
        }
    }
}

/// The read-model name of an activity kind.
pub(crate) fn activity_kind_str(k: ActivityKind) -> &'static str {
    match k {
        ActivityKind::Unspecified => "",
        ActivityKind::JointInspection => "joint_inspection",
        ActivityKind::JointResearch => "joint_research",
        ActivityKind::ConstituentReception => "constituent_reception",
        ActivityKind::JointTraining => "joint_training",
        ActivityKind::Other => "other",
    }
}

/// An activity's state during the fold.
pub(super) struct Activity {
    pub status: ActivityStatus,
    view: ActivityView,
}

impl Activity {
    /// `activity_planned` → `planned`.
    pub fn create(c: &ActivityPlanned) -> Self {
        let kind = ActivityKind::try_from(c.activity_kind).unwrap_or(ActivityKind::Unspecified);
        Activity {
            status: ActivityStatus::Planned,
            view: ActivityView {
                activity_kind: activity_kind_str(kind).to_owned(),
                station_id: c.station_id.clone(),
                date: c.date.clone(),
                place: c.place.clone(),
                description: c.description.clone(),
                ..ActivityView::default()
            },
        }
    }

    /// True when held or cancelled.
    pub fn is_final(&self) -> bool {
        self.status != ActivityStatus::Planned
    }

    /// Applies an activity change (origin only, from `planned`).
    pub fn apply(&mut self, ctx: &Ctx<'_>, change: &K) -> Result<(), String> {
        match change {
            K::ActivityReported(c) => {
                ctx.origin_only("report the activity")?;
                require(
                    "report",
                    "activity",
                    self.status,
                    &[ActivityStatus::Planned],
                )?;
                self.view.held_on.clone_from(&c.held_on);
                self.view.deputies.clone_from(&c.deputies);
                self.view.opinions_collected = c.opinions_collected;
                self.view.problems_solved = c.problems_solved;
                self.view.report.clone_from(&c.report);
                self.status = ActivityStatus::Held;
            }
            K::ActivityCancelled(c) => {
                ctx.origin_only("cancel the activity")?;
                require(
                    "cancel",
                    "activity",
                    self.status,
                    &[ActivityStatus::Planned],
                )?;
                self.view.cancel_reason.clone_from(&c.reason);
                self.status = ActivityStatus::Cancelled;
            }
            other => {
                return Err(format!(
                    "{} does not apply to an activity",
                    super::kind_name(other)
                ))
            }
        }
        Ok(())
    }

    /// The read-model view.
    pub fn view(&self) -> ActivityView {
        self.view.clone()
    }
}
