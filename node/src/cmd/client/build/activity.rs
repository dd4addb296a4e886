//! The requests of `lianluo activity …`, public opinions at receptions included.

use lianluo_proto::change::Kind;
use lianluo_proto::{
    ActivityCancelled, ActivityKind, ActivityOpinionAnswered, ActivityOpinionFeedback,
    ActivityOpinionReceived, ActivityOpinionReferred, ActivityPlanned, ActivityReported,
};

use super::{act, add_partner, create, Call};
use crate::cmd::client::args::{ActivityCommand, ActivityKindArg, KindArg};

/// The request for an `activity …` subcommand.
pub fn activity(cmd: ActivityCommand) -> Call {
    use ActivityCommand as C;
    match cmd {
        C::Plan(a) => create(
            a.create,
            Kind::ActivityPlanned(ActivityPlanned {
                title: a.title,
                activity_kind: activity_kind_to_proto(a.kind) as i32,
                station_id: a.station.unwrap_or_default(),
                date: a.date,
                place: a.place.unwrap_or_default(),
                description: a.description.unwrap_or_default(),
            }),
        ),
        C::AddPartner(a) => add_partner(KindArg::Activity, a),
        C::Report {
            id,
            held_on,
            deputies,
            opinions,
            problems_solved,
            report,
        } => act(
            id,
            Kind::ActivityReported(ActivityReported {
                held_on,
                deputies,
                opinions_collected: opinions.unwrap_or(0),
                problems_solved: problems_solved.unwrap_or(0),
                report: report.unwrap_or_default(),
            }),
        ),
        C::Cancel { id, reason } => act(id, Kind::ActivityCancelled(ActivityCancelled { reason })),
        C::Opinion {
            id,
            person,
            content,
            place,
        } => act(id, received(person, content, place.unwrap_or_default())),
        C::AnswerOpinion {
            id,
            opinion,
            answer,
            solved,
        } => act(id, answered(opinion, answer, solved)),
        C::ReferOpinion { id, opinion, unit } => act(
            id,
            Kind::ActivityOpinionReferred(ActivityOpinionReferred { opinion, unit }),
        ),
        C::OpinionFeedback {
            id,
            opinion,
            feedback,
            solved,
        } => act(id, fed_back(opinion, feedback, solved)),
    }
}

fn received(person: String, content: String, place: String) -> Kind {
    Kind::ActivityOpinionReceived(ActivityOpinionReceived {
        person,
        content,
        place,
    })
}

fn answered(opinion: u32, answer: String, solved: bool) -> Kind {
    Kind::ActivityOpinionAnswered(ActivityOpinionAnswered {
        opinion,
        answer,
        solved,
    })
}

fn fed_back(opinion: u32, feedback: String, solved: bool) -> Kind {
    Kind::ActivityOpinionFeedback(ActivityOpinionFeedback {
        opinion,
        feedback,
        solved,
    })
}

fn activity_kind_to_proto(k: ActivityKindArg) -> ActivityKind {
    match k {
        ActivityKindArg::JointInspection => ActivityKind::JointInspection,
        ActivityKindArg::JointResearch => ActivityKind::JointResearch,
        ActivityKindArg::ConstituentReception => ActivityKind::ConstituentReception,
        ActivityKindArg::JointTraining => ActivityKind::JointTraining,
        ActivityKindArg::Other => ActivityKind::Other,
    }
}
