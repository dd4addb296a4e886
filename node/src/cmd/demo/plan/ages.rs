//! How many years before this one each sample record lies (0: this year), so the demo's
//! history spans the mechanism's years — 2022 to 2026 when run in 2026 — and a report
//! for each year says what that year did, while all the years together say the published
//! totals. Only finished records lie in past years; what is still open is this year's.
//! The road-link suggestions come first (2022–2024), before the projects they brought
//! about ([`super::project`]).

use super::super::cases::{ActStage, ActivityRow, DisputeRow, DisputeStage};
use super::super::data::{SugStage, SuggestionRow};

/// Years back of each suggestion, by index; a suggestion not finished is this year's.
const SUGGESTIONS: [u8; 23] = [
    4, 4, 4, 3, 3, 2, 2, 3, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0,
];

/// The years back of suggestion `i`.
pub(crate) fn suggestion(i: usize, row: &SuggestionRow) -> u8 {
    let finished = matches!(row.stage, SugStage::Closed(_) | SugStage::Rated(_));
    if finished {
        SUGGESTIONS.get(i).copied().unwrap_or(0)
    } else {
        0
    }
}

/// The years back of dispute `i`: a finished one (resolved, escalated, withdrawn) in one
/// of the four years before, except every fifth, resolved this year.
pub(crate) fn dispute(i: usize, row: &DisputeRow) -> u8 {
    let finished = matches!(
        row.stage,
        DisputeStage::Resolved | DisputeStage::Escalated | DisputeStage::Withdrawn
    );
    if finished && !i.is_multiple_of(5) {
        1 + (i % 4) as u8
    } else {
        0
    }
}

/// The years back of activity `i`: a held one in one of the four years before, except
/// every third, held this year.
pub(crate) fn activity(i: usize, row: &ActivityRow) -> u8 {
    if row.stage == ActStage::Held && !i.is_multiple_of(3) {
        1 + (i % 4) as u8
    } else {
        0
    }
}
