//! Field checks of the project changes.

use lianluo_proto::{change::Kind as K, ProjectKind};

use super::super::limits::PEOPLE_MAX;
use super::{Fields, Result};

/// Checks the fields of a project change (other changes pass).
pub(super) fn validate(f: &Fields, kind: &K) -> Result {
    match kind {
        K::ProjectProposed(c) => {
            f.title("title", &c.title)?;
            match ProjectKind::try_from(c.project_kind) {
                Ok(ProjectKind::Unspecified) | Err(_) => {
                    return Err(f.err(
                        "project_kind",
                        "must be specified (road_link, demonstration_zone or other)",
                    ))
                }
                Ok(_) => {}
            }
            f.names("places", &c.places)?;
            f.text("description", &c.description, false)?;
            f.count("villages", c.villages)?;
            f.at_most("people", c.people, PEOPLE_MAX)?;
            record_ids(f, "suggestion_ids", &c.suggestion_ids)?;
            record_ids(f, "activity_ids", &c.activity_ids)?;
            f.optional_date("proposed_on", &c.proposed_on)?;
        }
        K::ProjectStarted(c) => {
            f.date("started_on", &c.started_on)?;
            f.text("note", &c.note, false)?;
        }
        K::ProjectCompleted(c) => {
            f.date("completed_on", &c.completed_on)?;
            f.count("villages", c.villages.unwrap_or(0))?;
            f.at_most("people", c.people.unwrap_or(0), PEOPLE_MAX)?;
            f.text("note", &c.note, false)?;
        }
        K::ProjectLinked(c) => {
            if c.suggestion_ids.is_empty() && c.activity_ids.is_empty() {
                return Err(f.err(
                    "suggestion_ids",
                    "give at least one suggestion or activity to link",
                ));
            }
            record_ids(f, "suggestion_ids", &c.suggestion_ids)?;
            record_ids(f, "activity_ids", &c.activity_ids)?;
        }
        _ => {}
    }
    Ok(())
}

/// Record ids (`<city>-<ULID>`), each once, at most the list limit.
fn record_ids(f: &Fields, name: &str, ids: &[String]) -> Result {
    f.names(name, ids)?;
    for (i, id) in ids.iter().enumerate() {
        f.record_id(&format!("{name}[{i}]"), id)?;
        if ids[..i].contains(id) {
            return Err(f.err(
                &format!("{name}[{i}]"),
                format!("{id} is named twice; name each record once"),
            ));
        }
    }
    Ok(())
}
