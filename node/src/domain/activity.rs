//! Joint station activities: `planned` → `held` (reported) or `cancelled`, both final. A
//! constituent reception also keeps the public opinions it received ([`opinion`]).

mod opinion;

use lianluo_proto::{change::Kind as K, ActivityKind, ActivityPlanned, ActivityView, Deputy};
use serde::{Deserialize, Serialize};

use super::record::{require, Ctx, Status};

pub(crate) use opinion::Opinion;

/// Activity status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// The kind of a station activity, as the store keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Kind {
    Unspecified,
    JointInspection,
    JointResearch,
    ConstituentReception,
    JointTraining,
    Other,
}

impl Kind {
    fn from_proto(k: i32) -> Self {
        match ActivityKind::try_from(k).unwrap_or(ActivityKind::Unspecified) {
            ActivityKind::Unspecified => Kind::Unspecified,
            ActivityKind::JointInspection => Kind::JointInspection,
            ActivityKind::JointResearch => Kind::JointResearch,
            ActivityKind::ConstituentReception => Kind::ConstituentReception,
            ActivityKind::JointTraining => Kind::JointTraining,
            ActivityKind::Other => Kind::Other,
        }
    }

    fn to_proto(self) -> ActivityKind {
        match self {
            Kind::Unspecified => ActivityKind::Unspecified,
            Kind::JointInspection => ActivityKind::JointInspection,
            Kind::JointResearch => ActivityKind::JointResearch,
            Kind::ConstituentReception => ActivityKind::ConstituentReception,
            Kind::JointTraining => ActivityKind::JointTraining,
            Kind::Other => ActivityKind::Other,
        }
    }

    /// The read-model name, e.g. `joint_inspection` (empty when unspecified).
    pub fn as_str(self) -> &'static str {
        activity_kind_str(self.to_proto())
    }
}

/// A deputy who attended a held activity: a person of a city.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Attendee {
    pub city: String,
    pub name: String,
}

/// An activity's state: what the fold keeps and the store holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Activity {
    pub status: ActivityStatus,
    pub kind: Kind,
    pub station_id: String,
    pub date: String,
    pub place: String,
    pub description: String,
    pub held_on: String,
    pub deputies: Vec<Attendee>,
    pub opinions_collected: u32,
    pub problems_solved: u32,
    pub report: String,
    pub cancel_reason: String,
    /// The public opinions received at a constituent reception, by number (1 first).
    pub opinions: Vec<Opinion>,
}

impl Activity {
    /// `activity_planned` → `planned`.
    pub fn create(c: &ActivityPlanned) -> Self {
        Activity {
            status: ActivityStatus::Planned,
            kind: Kind::from_proto(c.activity_kind),
            station_id: c.station_id.clone(),
            date: c.date.clone(),
            place: c.place.clone(),
            description: c.description.clone(),
            held_on: String::new(),
            deputies: Vec::new(),
            opinions_collected: 0,
            problems_solved: 0,
            report: String::new(),
            cancel_reason: String::new(),
            opinions: Vec::new(),
        }
    }

    /// Opinions collected: as reported, or the opinions registered once there are some.
    pub fn opinions_collected(&self) -> u32 {
        if self.opinions.is_empty() {
            self.opinions_collected
        } else {
            u32::try_from(self.opinions.len()).unwrap_or(u32::MAX)
        }
    }

    /// Problems solved: as reported, or the registered opinions solved once there are
    /// some.
    pub fn problems_solved(&self) -> u32 {
        if self.opinions.is_empty() {
            self.problems_solved
        } else {
            let solved = self.opinions.iter().filter(|o| o.solved).count();
            u32::try_from(solved).unwrap_or(u32::MAX)
        }
    }

    /// The opinions in the order they were registered, each numbered among its city's.
    fn opinion_views(&self) -> Vec<lianluo_proto::PublicOpinion> {
        let mut seen: std::collections::BTreeMap<&str, u32> = std::collections::BTreeMap::new();
        self.opinions
            .iter()
            .map(|o| {
                let n = seen.entry(o.city.as_str()).or_default();
                *n += 1;
                o.view(*n)
            })
            .collect()
    }

    /// Refuses an opinion change unless this is a reception that is not cancelled.
    fn takes_opinions(&self) -> Result<(), String> {
        if self.kind != Kind::ConstituentReception {
            return Err(format!(
                "cannot register or handle public opinions at a {} activity: they are \
                 received at a constituent_reception (接待群众)",
                self.kind.as_str()
            ));
        }
        require(
            "register or handle an opinion",
            "activity",
            self.status,
            &[ActivityStatus::Planned, ActivityStatus::Held],
        )
    }

    /// True when held or cancelled.
    pub fn is_final(&self) -> bool {
        self.status != ActivityStatus::Planned
    }

    /// Applies an activity change (origin only, from `planned`).
    pub(super) fn apply(&mut self, ctx: &Ctx<'_>, change: &K) -> Result<(), String> {
        match change {
            K::ActivityOpinionReceived(_)
            | K::ActivityOpinionAnswered(_)
            | K::ActivityOpinionReferred(_)
            | K::ActivityOpinionFeedback(_) => {
                self.takes_opinions()?;
                opinion::apply(&mut self.opinions, ctx.author, change)?;
            }
            K::ActivityReported(c) => {
                ctx.origin_only("report the activity")?;
                require(
                    "report",
                    "activity",
                    self.status,
                    &[ActivityStatus::Planned],
                )?;
                self.held_on.clone_from(&c.held_on);
                self.deputies = c
                    .deputies
                    .iter()
                    .map(|d| Attendee {
                        city: d.city.clone(),
                        name: d.name.clone(),
                    })
                    .collect();
                self.opinions_collected = c.opinions_collected;
                self.problems_solved = c.problems_solved;
                self.report.clone_from(&c.report);
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
                self.cancel_reason.clone_from(&c.reason);
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
        ActivityView {
            activity_kind: self.kind.as_str().to_owned(),
            station_id: self.station_id.clone(),
            date: self.date.clone(),
            place: self.place.clone(),
            description: self.description.clone(),
            held_on: self.held_on.clone(),
            deputies: self
                .deputies
                .iter()
                .map(|d| Deputy {
                    city: d.city.clone(),
                    name: d.name.clone(),
                })
                .collect(),
            opinions_collected: self.opinions_collected(),
            problems_solved: self.problems_solved(),
            report: self.report.clone(),
            cancel_reason: self.cancel_reason.clone(),
            opinions: self.opinion_views(),
        }
    }
}
