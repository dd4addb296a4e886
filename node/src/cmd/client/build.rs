//! Maps parsed subcommand arguments to the proto requests the node understands.
//!
//! Pure functions (no I/O) so the mapping is unit-tested without a node.

use lianluo_proto::change::Kind;
use lianluo_proto::{
    ActRequest, Change, CreateRequest, DisputeAgreed, DisputeChecked, DisputeConfirmed,
    DisputeEscalated, DisputeFailed, DisputeReported, DisputeResolved, DisputeSession,
    DisputeWithdrawn, ListRequest, ParticipantAdded, Rating, ResultCategory, StationClosed,
    StationRegistered, SuggestionAccepted, SuggestionAnswered, SuggestionCarriedOver,
    SuggestionClosed, SuggestionDispatched, SuggestionExtended, SuggestionPrioritized,
    SuggestionProgress, SuggestionProposerRated, SuggestionRated, SuggestionRedispatched,
    SuggestionReopened, SuggestionReturned, SuggestionSubmitted,
};

use super::args::{
    AddPartnerArgs, CategoryArg, CreateFlags, DisputeCommand, KindArg, ListArgs, RatingArg,
    StationCommand, SuggestionCommand,
};

mod activity;
mod project;

pub use activity::activity;
pub use project::project;

/// One write to the node: a create or an act on an existing record.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// Creates a record (`Records.Create`).
    Create(CreateRequest),
    /// Changes an existing record (`Records.Act`).
    Act(ActRequest),
    /// Adds a participant city (`Records.Act` with `participant_added`) to a record that
    /// must be of `kind`: the change applies to any kind, so the caller checks the kind
    /// first and `suggestion add-partner` never touches a station.
    AddPartner {
        /// The kind the subcommand was run under.
        kind: KindArg,
        /// The act to send once the kind is checked.
        req: ActRequest,
    },
}

/// Refuses an `add-partner` under the wrong kind, e.g. "hezhou-01X is a station, not a
/// suggestion; use `lianluo station add-partner`".
pub fn check_kind(id: &str, actual: &str, want: KindArg) -> Result<(), String> {
    if actual == want.as_str() {
        return Ok(());
    }
    Err(format!(
        "{id} is a {actual}, not a {}; use `lianluo {actual} add-partner`",
        want.as_str()
    ))
}

fn add_partner(kind: KindArg, a: AddPartnerArgs) -> Call {
    Call::AddPartner {
        kind,
        req: ActRequest {
            record_id: a.id,
            change: Some(Change {
                kind: Some(Kind::ParticipantAdded(ParticipantAdded { city: a.city })),
            }),
        },
    }
}

fn create(flags: CreateFlags, kind: Kind) -> Call {
    // A generated id still makes tonic-level retries and a manual re-run with the
    // printed id safe.
    let request_id = flags
        .request_id
        .unwrap_or_else(|| ulid::Ulid::new().to_string());
    Call::Create(CreateRequest {
        request_id,
        partners: flags.partners,
        change: Some(Change { kind: Some(kind) }),
    })
}

fn act(id: String, kind: Kind) -> Call {
    Call::Act(ActRequest {
        record_id: id,
        change: Some(Change { kind: Some(kind) }),
    })
}

/// The request for a `suggestion …` subcommand.
pub fn suggestion(cmd: SuggestionCommand) -> Call {
    use SuggestionCommand as C;
    match cmd {
        C::Create(a) => create(
            a.create,
            Kind::SuggestionSubmitted(SuggestionSubmitted {
                title: a.title,
                body: a.body,
                proposers: a.proposers,
                station_id: a.station.unwrap_or_default(),
                year: a.year.unwrap_or(0),
                submitted_on: a.submitted_on.unwrap_or_default(),
            }),
        ),
        C::AddPartner(a) => add_partner(KindArg::Suggestion, a),
        C::Dispatch {
            id,
            unit,
            deadline,
            co_units,
            dispatched_on,
        } => act(
            id,
            Kind::SuggestionDispatched(SuggestionDispatched {
                unit,
                deadline,
                dispatched_on: dispatched_on.unwrap_or_default(),
                co_units,
            }),
        ),
        C::Accept { id, note } => act(
            id,
            Kind::SuggestionAccepted(SuggestionAccepted {
                note: note.unwrap_or_default(),
            }),
        ),
        C::Return { id, reason } => {
            act(id, Kind::SuggestionReturned(SuggestionReturned { reason }))
        }
        C::Redispatch {
            id,
            unit,
            co_units,
            deadline,
            reason,
        } => act(
            id,
            Kind::SuggestionRedispatched(SuggestionRedispatched {
                unit,
                co_units,
                deadline: deadline.unwrap_or_default(),
                reason: reason.unwrap_or_default(),
            }),
        ),
        C::Prioritize { id, leader, note } => act(
            id,
            Kind::SuggestionPrioritized(SuggestionPrioritized {
                leader,
                note: note.unwrap_or_default(),
            }),
        ),
        C::Progress { id, note } => act(id, Kind::SuggestionProgress(SuggestionProgress { note })),
        C::Answer {
            id,
            answer,
            answered_on,
            category,
        } => act(
            id,
            Kind::SuggestionAnswered(SuggestionAnswered {
                answer,
                answered_on: answered_on.unwrap_or_default(),
                category: category.map_or(ResultCategory::Unspecified, category_to_proto) as i32,
            }),
        ),
        C::Rate {
            id,
            proposer: Some(proposer),
            rating,
            comment,
            deadline,
        } => act(
            id,
            Kind::SuggestionProposerRated(SuggestionProposerRated {
                proposer,
                rating: rating_to_proto(rating) as i32,
                comment: comment.unwrap_or_default(),
                deadline: deadline.unwrap_or_default(),
            }),
        ),
        C::Rate {
            id,
            proposer: None,
            rating,
            comment,
            deadline,
        } => act(
            id,
            Kind::SuggestionRated(SuggestionRated {
                rating: rating_to_proto(rating) as i32,
                comment: comment.unwrap_or_default(),
                deadline: deadline.unwrap_or_default(),
            }),
        ),
        C::Reopen {
            id,
            reason,
            deadline,
        } => act(
            id,
            Kind::SuggestionReopened(SuggestionReopened {
                reason,
                deadline: deadline.unwrap_or_default(),
            }),
        ),
        C::Extend {
            id,
            deadline,
            reason,
        } => act(
            id,
            Kind::SuggestionExtended(SuggestionExtended { deadline, reason }),
        ),
        C::CarryOver {
            id,
            to_year,
            reason,
            deadline,
        } => act(
            id,
            Kind::SuggestionCarriedOver(SuggestionCarriedOver {
                to_year,
                reason: reason.unwrap_or_default(),
                deadline: deadline.unwrap_or_default(),
            }),
        ),
        C::Close { id, note } => act(
            id,
            Kind::SuggestionClosed(SuggestionClosed {
                note: note.unwrap_or_default(),
            }),
        ),
    }
}

/// The request for a `dispute …` subcommand.
pub fn dispute(cmd: DisputeCommand) -> Call {
    use DisputeCommand as C;
    match cmd {
        C::Report(a) => create(
            a.create,
            Kind::DisputeReported(DisputeReported {
                title: a.title,
                description: a.description,
                location: a.location.unwrap_or_default(),
                parties: a.parties,
                area_mu: a.area_mu.unwrap_or(0.0),
                station_id: a.station.unwrap_or_default(),
                reported_on: a.reported_on.unwrap_or_default(),
            }),
        ),
        C::AddPartner(a) => add_partner(KindArg::Dispute, a),
        C::Session {
            id,
            date,
            place,
            attendees,
            summary,
        } => act(
            id,
            Kind::DisputeSession(DisputeSession {
                date,
                place,
                attendees,
                summary,
            }),
        ),
        C::Agree { id, terms } => act(id, Kind::DisputeAgreed(DisputeAgreed { terms })),
        C::Confirm { id, note } => act(
            id,
            Kind::DisputeConfirmed(DisputeConfirmed {
                note: note.unwrap_or_default(),
            }),
        ),
        C::Check {
            id,
            date,
            passed,
            not_passed,
            note,
        } => act(
            id,
            Kind::DisputeChecked(DisputeChecked {
                date,
                // clap makes exactly one of the two flags present.
                passed: passed && !not_passed,
                note: note.unwrap_or_default(),
            }),
        ),
        C::Resolve {
            id,
            note,
            resolved_on,
        } => act(
            id,
            Kind::DisputeResolved(DisputeResolved {
                note: note.unwrap_or_default(),
                resolved_on: resolved_on.unwrap_or_default(),
            }),
        ),
        C::Fail { id, reason } => act(id, Kind::DisputeFailed(DisputeFailed { reason })),
        C::Escalate { id, to, reason } => {
            act(id, Kind::DisputeEscalated(DisputeEscalated { to, reason }))
        }
        C::Withdraw { id, reason } => act(id, Kind::DisputeWithdrawn(DisputeWithdrawn { reason })),
    }
}

/// The request for a `station …` subcommand.
pub fn station(cmd: StationCommand) -> Call {
    use StationCommand as C;
    match cmd {
        C::Register(a) => create(
            a.create,
            Kind::StationRegistered(StationRegistered {
                name: a.name,
                township: a.township,
                county: a.county,
                address: a.address.unwrap_or_default(),
                note: a.note.unwrap_or_default(),
                founded_on: a.founded_on.unwrap_or_default(),
            }),
        ),
        C::AddPartner(a) => add_partner(KindArg::Station, a),
        C::Close { id, reason } => act(id, Kind::StationClosed(StationClosed { reason })),
    }
}

/// The first `List` request for `list` (the page token is advanced by the caller).
pub fn list(args: &ListArgs) -> ListRequest {
    ListRequest {
        kind: args
            .kind
            .map(|k| k.as_str().to_string())
            .unwrap_or_default(),
        status: args.status.clone().unwrap_or_default(),
        city: args.city.clone().unwrap_or_default(),
        overdue: args.overdue,
        text: args.text.clone().unwrap_or_default(),
        page_size: args.limit.unwrap_or(0),
        page_token: args.page_token.clone().unwrap_or_default(),
        station_id: args.station.clone().unwrap_or_default(),
        updated_since: args.updated_since.clone().unwrap_or_default(),
        year: args.year.unwrap_or(0),
    }
}

fn category_to_proto(c: CategoryArg) -> ResultCategory {
    match c {
        CategoryArg::A => ResultCategory::Solved,
        CategoryArg::B => ResultCategory::Planned,
        CategoryArg::C => ResultCategory::Constrained,
        CategoryArg::D => ResultCategory::Reference,
    }
}

fn rating_to_proto(r: RatingArg) -> Rating {
    match r {
        RatingArg::Satisfied => Rating::Satisfied,
        RatingArg::BasicallySatisfied => Rating::BasicallySatisfied,
        RatingArg::Unsatisfied => Rating::Unsatisfied,
    }
}
