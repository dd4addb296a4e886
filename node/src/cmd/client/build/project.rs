//! The requests of `lianluo project …`.

use lianluo_proto::change::Kind;
use lianluo_proto::{
    ProjectCompleted, ProjectKind, ProjectLinked, ProjectProposed, ProjectStarted,
};

use super::{act, add_partner, create, Call};
use crate::cmd::client::args::{KindArg, ProjectCommand, ProjectKindArg};

/// The request for a `project …` subcommand.
pub fn project(cmd: ProjectCommand) -> Call {
    use ProjectCommand as C;
    match cmd {
        C::Propose(a) => create(
            a.create,
            Kind::ProjectProposed(ProjectProposed {
                title: a.title,
                project_kind: kind_to_proto(a.kind) as i32,
                places: a.places,
                description: a.description.unwrap_or_default(),
                villages: a.villages.unwrap_or(0),
                people: a.people.unwrap_or(0),
                suggestion_ids: a.suggestions,
                activity_ids: a.activities,
                proposed_on: a.proposed_on.unwrap_or_default(),
            }),
        ),
        C::AddPartner(a) => add_partner(KindArg::Project, a),
        C::Start {
            id,
            started_on,
            note,
        } => act(
            id,
            Kind::ProjectStarted(ProjectStarted {
                started_on,
                note: note.unwrap_or_default(),
            }),
        ),
        C::Complete {
            id,
            completed_on,
            villages,
            people,
            note,
        } => act(
            id,
            Kind::ProjectCompleted(ProjectCompleted {
                completed_on,
                villages,
                people,
                note: note.unwrap_or_default(),
            }),
        ),
        C::Link {
            id,
            suggestions,
            activities,
        } => act(
            id,
            Kind::ProjectLinked(ProjectLinked {
                suggestion_ids: suggestions,
                activity_ids: activities,
            }),
        ),
    }
}

fn kind_to_proto(k: ProjectKindArg) -> ProjectKind {
    match k {
        ProjectKindArg::RoadLink => ProjectKind::RoadLink,
        ProjectKindArg::DemonstrationZone => ProjectKind::DemonstrationZone,
        ProjectKindArg::Other => ProjectKind::Other,
    }
}
