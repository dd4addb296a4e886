//! What a text search (`list --text`) looks in: a record's title and the texts people
//! write about it — a suggestion's body, proposers, units, progress notes, answers,
//! return reasons, rating comments, supervising leaders and their notes; a dispute's description,
//! location, parties, session places, attendees and summaries, agreement, check notes
//! and outcome; an activity's description, place, deputies, report and public opinions
//! (who, what, where, the answer, the unit and its feedback); a station's
//! township, county, address and notes; a project's places, description and notes. Each text is indexed by its character bigrams
//! (and its last character alone), so a search reads one gram's postings, never the
//! store.

use crate::domain::{KindState, RecordState};

/// The texts of a record a search looks in, the title first.
pub fn texts(state: &RecordState) -> Vec<&str> {
    let mut out: Vec<&str> = vec![&state.title];
    match &state.body {
        KindState::Station(s) => {
            out.extend(
                [
                    &s.township,
                    &s.county,
                    &s.address,
                    &s.note,
                    &s.closed_reason,
                ]
                .map(String::as_str),
            );
        }
        KindState::Suggestion(s) => {
            out.push(&s.body);
            out.extend(s.proposers.iter().map(String::as_str));
            for p in &s.parts {
                out.extend([&p.unit, &p.answer, &p.return_reason].map(String::as_str));
                out.extend(p.co_units.iter().chain(&p.progress).map(String::as_str));
            }
            out.push(&s.rating_comment);
            out.extend(s.proposer_ratings.iter().map(|r| r.comment.as_str()));
            out.extend(
                s.supervisors
                    .iter()
                    .flat_map(|k| [k.leader.as_str(), k.note.as_str()]),
            );
        }
        KindState::Dispute(d) => {
            out.extend([&d.description, &d.location].map(String::as_str));
            out.extend(d.parties.iter().map(String::as_str));
            for s in &d.sessions {
                out.extend([&s.place, &s.summary].map(String::as_str));
                out.extend(s.attendees.iter().map(String::as_str));
            }
            out.extend([&d.agreement, &d.escalated_to, &d.outcome_note].map(String::as_str));
            out.extend(d.checks.iter().map(|c| c.note.as_str()));
        }
        KindState::Activity(a) => {
            out.extend([&a.description, &a.place, &a.report, &a.cancel_reason].map(String::as_str));
            out.extend(a.deputies.iter().map(|d| d.name.as_str()));
            for o in &a.opinions {
                out.extend(
                    [
                        &o.person,
                        &o.content,
                        &o.place,
                        &o.answer,
                        &o.unit,
                        &o.feedback,
                    ]
                    .map(String::as_str),
                );
            }
        }
        KindState::Project(p) => {
            out.extend(p.places.iter().map(String::as_str));
            out.extend([&p.description, &p.start_note, &p.completion_note].map(String::as_str));
        }
    }
    out.retain(|t| !t.is_empty());
    out
}

/// Whether any of the record's texts contains `query`.
pub fn contains(state: &RecordState, query: &str) -> bool {
    texts(state).iter().any(|t| t.contains(query))
}

/// The grams of every text of the record: each pair of consecutive characters within a
/// text, and each text's last character alone, without repeats.
pub fn grams(state: &RecordState) -> Vec<String> {
    let mut out: Vec<String> = texts(state).into_iter().flat_map(text_grams).collect();
    out.sort();
    out.dedup();
    out
}

/// The grams of one text.
pub fn text_grams(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len())
        .map(|i| chars[i..chars.len().min(i + 2)].iter().collect())
        .collect()
}

/// The gram a one-character search finds the record under: the gram at the character's
/// first place in the first text that has it, so the record is listed once.
pub fn first_gram(state: &RecordState, c: char) -> Option<String> {
    texts(state).into_iter().find_map(|t| {
        let chars: Vec<char> = t.chars().collect();
        let i = chars.iter().position(|x| *x == c)?;
        Some(chars[i..chars.len().min(i + 2)].iter().collect())
    })
}
