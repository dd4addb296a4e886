//! Screening a batch from a peer: drop events already held, verify every signature —
//! in parallel across the machine's cores, since verification is most of the CPU a
//! catch-up costs — and refuse what does not verify or names no valid record id.

use std::collections::BTreeSet;

use lianluo_federation::envelope::{SignerDirectory, VerifiedEvent};
use lianluo_proto::SyncEvent;

use super::{park, refuse, Batch, Candidate, Known, Plan};
use crate::domain::{EventId, RecordId};
use crate::ingest::Incoming;
use crate::store::StoreError;

/// The batch's events that are new here and verify, in the batch's order.
pub(super) fn screen(
    signers: &SignerDirectory,
    known: &mut Known<'_>,
    batch: &Batch<'_>,
    plan: &mut Plan,
) -> Result<Vec<Candidate>, StoreError> {
    let mut todo: Vec<(&SyncEvent, EventId)> = Vec::with_capacity(batch.events.len());
    for ev in batch.events {
        let Some(signed) = &ev.event else {
            refuse(plan, batch.peer, "(none)", "the batch entry has no event");
            continue;
        };
        let id = EventId::of_body(&signed.body);
        if known.has(&id)? {
            plan.duplicates += 1;
            continue;
        }
        todo.push((ev, id));
    }
    let checked = verify_all(signers, &todo);
    // Only a verified copy counts as seen: a forged copy of an event (same body, bad
    // signature) must not shadow the genuine one behind it.
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(todo.len());
    for ((ev, id), result) in todo.into_iter().zip(checked) {
        let verified = match result {
            Ok(v) => v,
            Err(refused) if refused.may_pass_later => {
                if let Some(signed) = &ev.event {
                    park(plan, batch.peer, id, signed, refused.reason);
                }
                continue;
            }
            Err(refused) => {
                refuse(plan, batch.peer, &id.hex(), &refused.reason);
                continue;
            }
        };
        if seen.contains(&id) {
            plan.duplicates += 1;
            continue;
        }
        let record = match RecordId::parse(&verified.body.record_id) {
            Ok(r) => r,
            Err(_) => {
                let reason = format!(
                    "record_id {:?} is not <city>-<ULID>",
                    verified.body.record_id.escape_debug().to_string()
                );
                refuse(plan, batch.peer, &id.hex(), &reason);
                continue;
            }
        };
        seen.insert(id);
        let Some(signed) = ev.event.clone() else {
            continue;
        };
        out.push(Candidate {
            log_id: batch.log_id.to_owned(),
            seq: ev.seq,
            record,
            event: Incoming {
                id,
                signed,
                body: verified.body,
                verified: true,
            },
        });
    }
    Ok(out)
}

/// Verifies each event of the batch (see [`crate::replication::verify_all`]).
fn verify_all(
    signers: &SignerDirectory,
    todo: &[(&SyncEvent, EventId)],
) -> Vec<Result<VerifiedEvent, crate::replication::Refused>> {
    let events: Vec<Option<&lianluo_proto::SignedEvent>> =
        todo.iter().map(|(ev, _)| ev.event.as_ref()).collect();
    crate::replication::verify_all(signers, &events)
}
