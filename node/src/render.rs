//! The API's `Record`, rendered at the edge from what the store keeps: the record's typed
//! state (for lists: nothing else is read) and, for one record with its history, each
//! history step with its event.
//!
//! An event's `verified` is what was checked when it entered the node; a history rendered
//! with a [`SignerDirectory`] re-verifies every signature now (`show --verify`).

use lianluo_federation::envelope::SignerDirectory;
use lianluo_proto::{EventBody, HistoryEntry, Record};
use prost::Message;

use crate::domain::{self, FoldEvent, RecordId};
use crate::store::{RecordEntry, Store, StoreError};

/// The record without history, with overdue flags as of `today`; `None` when the entry
/// has no valid creation.
pub fn summary(id: &RecordId, entry: &RecordEntry, today: time::Date) -> Option<Record> {
    let state = entry.state.as_ref()?;
    debug_assert_eq!(state.id(), id.as_str());
    let heads = entry.heads.iter().map(|h| h.id.hex()).collect();
    Some(domain::render(state, Vec::new(), heads, today))
}

/// The record with its full history (events re-verified with `verify` when given).
pub fn full(
    store: &dyn Store,
    id: &RecordId,
    entry: &RecordEntry,
    today: time::Date,
    verify: Option<&SignerDirectory>,
) -> Result<Option<Record>, StoreError> {
    let Some(mut record) = summary(id, entry, today) else {
        return Ok(None);
    };
    record.history = history(store, id, verify)?;
    Ok(Some(record))
}

/// Every record with its history, in id order: a full scan, for offline tools and tests.
pub fn all(store: &dyn Store, today: time::Date) -> Result<Vec<Record>, StoreError> {
    let mut out = Vec::new();
    let mut after: Option<RecordId> = None;
    loop {
        let page = store.records_after(after.as_ref(), 512)?;
        let Some((last, _)) = page.last() else {
            return Ok(out);
        };
        after = Some(last.clone());
        for (id, entry) in &page {
            out.extend(full(store, id, entry, today, None)?);
        }
    }
}

/// A record's history entries in fold order.
pub fn history(
    store: &dyn Store,
    id: &RecordId,
    verify: Option<&SignerDirectory>,
) -> Result<Vec<HistoryEntry>, StoreError> {
    store
        .history(id)?
        .into_iter()
        .map(|step| {
            let ev = store.event(&step.event)?.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "history of {id} names missing event {}",
                    step.event
                ))
            })?;
            let body = EventBody::decode(ev.signed.body.as_slice()).map_err(|e| {
                StoreError::Corrupt(format!("stored event {} does not decode: {e}", ev.id))
            })?;
            let verified = match verify {
                Some(signers) => reverify(signers, &ev.signed, &ev.id.hex()),
                None => ev.verified,
            };
            let fe = FoldEvent {
                id: ev.id.hex(),
                body,
                verified,
            };
            Ok(domain::history_entry(&fe, step.rejected.as_deref()))
        })
        .collect()
}

/// Checks a held event's signature again, as history: by the signer certificates known
/// now, whether or not they were revoked or expired since the event arrived.
fn reverify(signers: &SignerDirectory, signed: &lianluo_proto::SignedEvent, id: &str) -> bool {
    match signers.verify_history(signed) {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(event = %id, "held event does not verify: {e}");
            false
        }
    }
}
