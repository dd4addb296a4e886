//! The records a project names (the suggestions and activities behind it) checked where
//! this node can: a record it holds must be of the kind the field names, and a record of
//! this node's own city must exist. A record of another city that this node does not hold
//! (not shared with it, or not arrived yet) is taken as given.

use lianluo_proto::change::Kind;
use lianluo_proto::{Change, RecordKind};

use super::blocking;
use crate::domain::{self, RecordId};
use crate::error::NodeError;
use crate::state::NodeState;

/// Refuses a linked id of the wrong kind, or of this city but unknown, naming the field.
pub(super) async fn check_links(state: &NodeState, change: &Change) -> Result<(), NodeError> {
    let (prefix, suggestions, activities) = match &change.kind {
        Some(Kind::ProjectProposed(c)) => ("project_proposed", &c.suggestion_ids, &c.activity_ids),
        Some(Kind::ProjectLinked(c)) => ("project_linked", &c.suggestion_ids, &c.activity_ids),
        _ => return Ok(()),
    };
    let wanted = [
        ("suggestion_ids", RecordKind::Suggestion, suggestions),
        ("activity_ids", RecordKind::Activity, activities),
    ];
    for (name, want, ids) in wanted {
        for (i, id) in ids.iter().enumerate() {
            let field = format!("{prefix}.{name}[{i}]");
            check_one(state, &field, id, want).await?;
        }
    }
    Ok(())
}

async fn check_one(
    state: &NodeState,
    field: &str,
    id: &str,
    want: RecordKind,
) -> Result<(), NodeError> {
    // The fields were validated: every id parses.
    let key = RecordId::parse(id).map_err(|_| NodeError::invalid(field, "is not a record id"))?;
    let held = blocking(state, move |s| s.record(&key)).await?;
    let want_s = domain::kind_str(want);
    match held.and_then(|e| e.state) {
        Some(rec) if rec.kind() != want => Err(NodeError::invalid(
            field,
            format!(
                "{id} is {}, not {}; link {}",
                domain::article(domain::kind_str(rec.kind())),
                domain::article(want_s),
                domain::article(want_s)
            ),
        )),
        Some(_) => Ok(()),
        None if domain::record_origin(id) == Some(state.config.city.as_str()) => {
            Err(NodeError::invalid(
                field,
                format!("no record {id} at this node; pass a {want_s}'s id (`lianluo list --kind {want_s}`)"),
            ))
        }
        None => Ok(()),
    }
}
