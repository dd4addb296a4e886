//! Field checks of the suggestion changes.

use lianluo_proto::{change::Kind as K, Rating, ResultCategory};

use super::{Fields, Result};

/// Checks the fields of a suggestion change (other changes pass).
pub(super) fn validate(f: &Fields, kind: &K) -> Result {
    match kind {
        K::SuggestionSubmitted(c) => {
            f.title("title", &c.title)?;
            f.text("body", &c.body, true)?;
            f.names("proposers", &c.proposers)?;
            f.station_id(&c.station_id)?;
            if c.year != 0 {
                f.year("year", c.year)?;
            }
            f.optional_date("submitted_on", &c.submitted_on)?;
        }
        K::SuggestionDispatched(c) => {
            f.short("unit", &c.unit, true)?;
            f.date("deadline", &c.deadline)?;
            f.co_units(&c.unit, &c.co_units)?;
            f.optional_date("dispatched_on", &c.dispatched_on)?;
            // Both are valid YYYY-MM-DD dates here, which order as text.
            if !c.dispatched_on.is_empty() && c.dispatched_on > c.deadline {
                return Err(f.err(
                    "dispatched_on",
                    format!(
                        "{} is after the deadline {}; the deadline (办理期限) comes after the \
                         dispatch",
                        c.dispatched_on, c.deadline
                    ),
                ));
            }
        }
        K::SuggestionProgress(c) => f.text("note", &c.note, true)?,
        K::SuggestionAnswered(c) => {
            f.text("answer", &c.answer, true)?;
            f.optional_date("answered_on", &c.answered_on)?;
            // Only what a client sends now: a category a newer build adds still folds.
            if f.strict && ResultCategory::try_from(c.category).is_err() {
                return Err(f.err(
                    "category",
                    format!("{} is not a result category (a, b, c or d)", c.category),
                ));
            }
        }
        K::SuggestionRated(c) => rating(f, c.rating, &c.comment, &c.deadline)?,
        K::SuggestionProposerRated(c) => {
            f.short("proposer", &c.proposer, true)?;
            rating(f, c.rating, &c.comment, &c.deadline)?;
        }
        K::SuggestionReopened(c) => {
            f.text("reason", &c.reason, false)?;
            f.optional_date("deadline", &c.deadline)?;
        }
        K::SuggestionCarriedOver(c) => {
            f.year("to_year", c.to_year)?;
            f.text("reason", &c.reason, false)?;
            f.optional_date("deadline", &c.deadline)?;
        }
        K::SuggestionExtended(c) => {
            f.date("deadline", &c.deadline)?;
            f.text("reason", &c.reason, true)?;
        }
        K::SuggestionClosed(c) => f.text("note", &c.note, false)?,
        K::SuggestionAccepted(c) => f.text("note", &c.note, false)?,
        K::SuggestionReturned(c) => f.text("reason", &c.reason, true)?,
        K::SuggestionRedispatched(c) => {
            f.short("unit", &c.unit, true)?;
            f.co_units(&c.unit, &c.co_units)?;
            f.optional_date("deadline", &c.deadline)?;
            f.text("reason", &c.reason, false)?;
        }
        K::SuggestionPrioritized(c) => {
            f.short("leader", &c.leader, true)?;
            f.text("note", &c.note, false)?;
        }
        _ => {}
    }
    Ok(())
}

/// A rating (specified), its comment, and a 二次办理 deadline with an unsatisfied one only.
fn rating(f: &Fields, rating: i32, comment: &str, deadline: &str) -> Result {
    match Rating::try_from(rating) {
        Ok(Rating::Unspecified) | Err(_) => {
            return Err(f.err(
                "rating",
                "must be specified (satisfied, basically_satisfied or unsatisfied)",
            ))
        }
        Ok(_) => {}
    }
    f.text("comment", comment, false)?;
    f.optional_date("deadline", deadline)?;
    if !deadline.is_empty() && rating != Rating::Unsatisfied as i32 {
        return Err(f.err(
            "deadline",
            "goes with an unsatisfied rating only (the 二次办理 deadline); leave it out",
        ));
    }
    Ok(())
}
