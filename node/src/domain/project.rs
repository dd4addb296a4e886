//! Cross-border projects (项目) that deputies push — the county and township road links,
//! the 桂粤省际供港蔬菜种植示范区: `proposed` → `under_construction` (开工) → `completed`
//! (建成, final). Any participant links the suggestions and activities behind a project,
//! in any status; only the origin city starts and completes it.

use lianluo_proto::{change::Kind as K, ProjectKind, ProjectProposed, ProjectView};
use serde::{Deserialize, Serialize};

use super::limits::LIST_MAX_ITEMS;
use super::record::{require, Ctx, Status};

/// Project status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ProjectStatus {
    Proposed,
    UnderConstruction,
    Completed,
}

impl Status for ProjectStatus {
    fn as_str(self) -> &'static str {
        match self {
            ProjectStatus::Proposed => "proposed",
            ProjectStatus::UnderConstruction => "under_construction",
            ProjectStatus::Completed => "completed",
        }
    }
}

/// The kind of a project, as the store keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Kind {
    Unspecified,
    RoadLink,
    DemonstrationZone,
    Other,
}

impl Kind {
    fn from_proto(k: i32) -> Self {
        match ProjectKind::try_from(k).unwrap_or(ProjectKind::Unspecified) {
            ProjectKind::Unspecified => Kind::Unspecified,
            ProjectKind::RoadLink => Kind::RoadLink,
            ProjectKind::DemonstrationZone => Kind::DemonstrationZone,
            ProjectKind::Other => Kind::Other,
        }
    }

    /// The read-model name, e.g. `road_link` (empty when unspecified).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Unspecified => "",
            Kind::RoadLink => "road_link",
            Kind::DemonstrationZone => "demonstration_zone",
            Kind::Other => "other",
        }
    }
}

/// A project's state: what the fold keeps and the store holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Project {
    pub status: ProjectStatus,
    pub kind: Kind,
    pub places: Vec<String>,
    pub description: String,
    pub villages: u32,
    pub people: u32,
    pub suggestion_ids: Vec<String>,
    pub activity_ids: Vec<String>,
    /// 开工日期 and 建成日期 (empty until then).
    pub started_on: String,
    pub completed_on: String,
    pub start_note: String,
    pub completion_note: String,
}

impl Project {
    /// `project_proposed` → `proposed`.
    pub fn create(c: &ProjectProposed) -> Self {
        Project {
            status: ProjectStatus::Proposed,
            kind: Kind::from_proto(c.project_kind),
            places: c.places.clone(),
            description: c.description.clone(),
            villages: c.villages,
            people: c.people,
            suggestion_ids: c.suggestion_ids.clone(),
            activity_ids: c.activity_ids.clone(),
            started_on: String::new(),
            completed_on: String::new(),
            start_note: String::new(),
            completion_note: String::new(),
        }
    }

    /// True when completed.
    pub fn is_final(&self) -> bool {
        self.status == ProjectStatus::Completed
    }

    /// Applies a project change.
    pub(super) fn apply(&mut self, ctx: &Ctx<'_>, change: &K) -> Result<(), String> {
        match change {
            K::ProjectStarted(c) => {
                ctx.origin_only("start the project")?;
                require("start", "project", self.status, &[ProjectStatus::Proposed])?;
                self.started_on.clone_from(&c.started_on);
                self.start_note.clone_from(&c.note);
                self.status = ProjectStatus::UnderConstruction;
            }
            K::ProjectCompleted(c) => {
                ctx.origin_only("complete the project")?;
                require(
                    "complete",
                    "project",
                    self.status,
                    &[ProjectStatus::UnderConstruction],
                )?;
                super::dates::not_before(
                    "complete",
                    ("completed_on", &c.completed_on),
                    ("work started", &self.started_on),
                )?;
                self.completed_on.clone_from(&c.completed_on);
                self.completion_note.clone_from(&c.note);
                if let Some(n) = c.villages {
                    self.villages = n;
                }
                if let Some(n) = c.people {
                    self.people = n;
                }
                self.status = ProjectStatus::Completed;
            }
            K::ProjectLinked(c) => {
                let suggestions = linked("suggestion", &self.suggestion_ids, &c.suggestion_ids)?;
                let activities = linked("activity", &self.activity_ids, &c.activity_ids)?;
                self.suggestion_ids = suggestions;
                self.activity_ids = activities;
            }
            other => {
                return Err(format!(
                    "{} does not apply to a project",
                    super::kind_name(other)
                ))
            }
        }
        Ok(())
    }

    /// The read-model view (its 提出日期 is filled in by the renderer).
    pub fn view(&self) -> ProjectView {
        ProjectView {
            project_kind: self.kind.as_str().to_owned(),
            places: self.places.clone(),
            description: self.description.clone(),
            villages: self.villages,
            people: self.people,
            suggestion_ids: self.suggestion_ids.clone(),
            activity_ids: self.activity_ids.clone(),
            proposed_on: String::new(),
            started_on: self.started_on.clone(),
            completed_on: self.completed_on.clone(),
            start_note: self.start_note.clone(),
            completion_note: self.completion_note.clone(),
        }
    }
}

/// The links after adding `new` to `have`: refused when one is linked already or the
/// list would pass the limit.
fn linked(what: &str, have: &[String], new: &[String]) -> Result<Vec<String>, String> {
    let mut out = have.to_vec();
    for id in new {
        if out.contains(id) {
            return Err(format!(
                "cannot link: {what} {id} is already linked to the project"
            ));
        }
        out.push(id.clone());
    }
    if out.len() > LIST_MAX_ITEMS {
        return Err(format!(
            "cannot link: the project would have {} linked {what} records, at most \
             {LIST_MAX_ITEMS} are allowed",
            out.len()
        ));
    }
    Ok(out)
}
