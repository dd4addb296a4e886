//! The write path: validate, build and sign the event, fold it onto the record's history,
//! refuse it if the fold rejects it, commit atomically, flush, then acknowledge.

use std::collections::HashSet;

use lianluo_proto::change::Kind;
use lianluo_proto::{ActRequest, Change, CreateRequest, EventBody, Record, RecordKind};

use super::auth::Caller;
use crate::domain::{self, EventId, KindState, RecordId, StationStatus};
use crate::error::NodeError;
use crate::ingest::{self, Incoming};
use crate::state::{today, NodeState};
use crate::store::{Commit, Store};

mod links;

/// Longest accepted client request id.
pub const REQUEST_ID_MAX_CHARS: usize = 128;

/// Creates a record at this node's city.
pub async fn create(
    state: &NodeState,
    caller: &Caller,
    req: CreateRequest,
) -> Result<Record, NodeError> {
    let change = req
        .change
        .ok_or_else(|| NodeError::invalid("change", "missing; send the creation change"))?;
    let kind = domain::validate_new_change(&change, true)?;
    domain::check_business_dates(&change, crate::state::today())?;
    check_request_id(&req.request_id)?;
    check_partners(state, &req.partners)?;
    check_station(state, &change).await?;
    links::check_links(state, &change).await?;
    let key = format!("{}\u{0}{}", caller.user, req.request_id);

    let guard = state.requests.lock(key.clone()).await;
    if let Some(existing) = blocking(state, {
        let key = key.clone();
        move |s| s.request(&key)
    })
    .await?
    {
        drop(guard);
        // A retry: answer with the record the first call created (once it is durable),
        // unless the request id is reused for something else.
        check_same_creation(state, &existing, &req.request_id, &change, &req.partners).await?;
        let head = blocking(state, |s| s.last_seq()).await?;
        state.flush_through(head).await?;
        return super::read::get(state, existing.as_str()).await;
    }
    let city = state.config.city.clone();
    let record_id = RecordId::new_at(&city);
    let mut participants = vec![city.clone()];
    participants.extend(req.partners.iter().cloned());
    let body = EventBody {
        record_id: record_id.to_string(),
        kind: kind as i32,
        author_city: city,
        author_user: caller.user.clone(),
        hlc: Some(state.clock.tick([])),
        authored_ms: crate::clock::now_ms(),
        parents: Vec::new(),
        participants,
        request_id: req.request_id.clone(),
        change: Some(change),
    };
    let request = Some((key, record_id.clone()));
    let (record, seq) = apply(state, &record_id, body, request, guard).await?;
    state.flush_through(seq).await?;
    Ok(record)
}

/// Refuses a create whose request id already made `existing` from other content (another
/// change or other partners): a retry must send what the first call sent.
async fn check_same_creation(
    state: &NodeState,
    existing: &RecordId,
    request_id: &str,
    change: &Change,
    partners: &[String],
) -> Result<(), NodeError> {
    let id = existing.clone();
    let first = blocking(state, move |s| {
        // The first applied step is the creation (nothing else applies before it); a
        // parentless event from a peer may sort earlier but is rejected.
        let Some(step) = s.history(&id)?.into_iter().find(|st| st.rejected.is_none()) else {
            return Ok(None);
        };
        Ok(s.event(&step.event)?.map(|e| e.signed.body))
    })
    .await?;
    let body = first
        .as_deref()
        .and_then(|b| <EventBody as prost::Message>::decode(b).ok())
        .ok_or_else(|| {
            NodeError::Internal(format!("record {existing} has no readable creation event"))
        })?;
    let mut asked: Vec<&str> = partners.iter().map(String::as_str).collect();
    let mut made: Vec<&str> = body
        .participants
        .iter()
        .skip(1)
        .map(String::as_str)
        .collect();
    asked.sort_unstable();
    made.sort_unstable();
    if body.change.as_ref() == Some(change) && asked == made {
        return Ok(());
    }
    Err(NodeError::AlreadyExists(format!(
        "request_id {request_id:?} already created record {existing} with other content; \
         send a new request_id to create another record, or the same content to get \
         {existing} back"
    )))
}

/// Applies one change to an existing record.
pub async fn act(state: &NodeState, caller: &Caller, req: ActRequest) -> Result<Record, NodeError> {
    let change: Change = req
        .change
        .ok_or_else(|| NodeError::invalid("change", "missing; send the change to apply"))?;
    let kind = domain::validate_new_change(&change, false)?;
    domain::check_business_dates(&change, crate::state::today())?;
    check_cities(state, &change)?;
    links::check_links(state, &change).await?;
    if req.record_id.trim().is_empty() {
        return Err(NodeError::invalid(
            "record_id",
            "missing; pass the record's id",
        ));
    }
    let record_id =
        RecordId::parse(&req.record_id).map_err(|_| NodeError::NotFound(req.record_id.clone()))?;
    let guard = state.records.lock(record_id.clone()).await;
    let entry = blocking(state, {
        let id = record_id.clone();
        move |s| s.record(&id)
    })
    .await?
    .ok_or_else(|| NodeError::NotFound(req.record_id.clone()))?;
    let current = entry.state.as_ref().ok_or_else(|| {
        NodeError::Internal(format!("record {} has no valid creation", req.record_id))
    })?;
    let kind = check_kind(current, kind, &change)?;
    let parent_hlcs: Vec<lianluo_proto::Hlc> = entry
        .heads
        .iter()
        .map(|h| lianluo_proto::Hlc {
            wall_ms: h.wall_ms,
            counter: h.counter,
        })
        .collect();
    let body = EventBody {
        record_id: req.record_id.clone(),
        kind: kind as i32,
        author_city: state.config.city.clone(),
        author_user: caller.user.clone(),
        hlc: Some(state.clock.tick(parent_hlcs.iter())),
        authored_ms: crate::clock::now_ms(),
        parents: entry.heads.iter().map(|h| h.id.hex()).collect(),
        participants: Vec::new(),
        request_id: String::new(),
        change: Some(change),
    };
    let (record, seq) = apply(state, &record_id, body, None, guard).await?;
    state.flush_through(seq).await?;
    Ok(record)
}

/// The kind the change is made as: the record's own for `participant_added` (which
/// applies to any kind), else the change's, which must match the record's.
fn check_kind(
    record: &domain::RecordState,
    kind: RecordKind,
    change: &Change,
) -> Result<RecordKind, NodeError> {
    let kind = if kind == RecordKind::Unspecified {
        record.kind()
    } else {
        kind
    };
    if record.kind() != kind {
        return Err(NodeError::invalid(
            "change",
            format!(
                "{} applies to a {}, but {} is a {}",
                domain::change_type(change),
                domain::kind_str(kind),
                record.id(),
                domain::kind_str(record.kind())
            ),
        ));
    }
    Ok(kind)
}

/// Signs `body`, applies it to the record's stored state and commits it unless it is
/// rejected; the caller flushes afterwards (through the returned log seq). `held` is the
/// record's (or request id's) lock: it is released when the storage task ends, not when
/// this future is dropped, so a client that hangs up mid-call cannot let another write
/// read the record before this one is committed.
async fn apply<H: Send + 'static>(
    state: &NodeState,
    record_id: &RecordId,
    body: EventBody,
    request: Option<(String, RecordId)>,
    held: H,
) -> Result<(Record, u64), NodeError> {
    let signed = state
        .signer
        .sign(&body)
        .map_err(|e| NodeError::Internal(format!("cannot sign the event: {e}")))?;
    let incoming = Incoming {
        id: EventId::of_body(&signed.body),
        signed,
        body,
        verified: true,
    };
    let own = state.config.city.clone();
    let rid = record_id.clone();
    let applied = blocking(state, move |s| {
        let _held = held;
        let advanced = ingest::advance(s, &own, &rid, std::slice::from_ref(&incoming))?;
        if let Some(reason) = advanced.rejected(&incoming.id) {
            return Ok(Err(reason.to_owned()));
        }
        let entry = advanced.write.entry.clone();
        let created = advanced.write.history.old_len == 0;
        let commit = Commit {
            events: vec![incoming.to_new_event(&rid)],
            records: vec![advanced.write],
            request,
            ..Commit::default()
        };
        let seqs = s.commit(commit)?;
        let record = if created {
            // A new record's history is this one event: no need to read it back.
            let step = crate::domain::history_entry(&incoming.fold_event(), None);
            crate::render::summary(&rid, &entry, today()).map(|mut r| {
                r.history = vec![step];
                r
            })
        } else {
            crate::render::full(s, &rid, &entry, today(), None)?
        };
        Ok(Ok((record, seqs.last().copied().unwrap_or_default())))
    })
    .await?;
    match applied {
        Ok((Some(record), seq)) => Ok((record, seq)),
        Ok((None, _)) => Err(NodeError::Internal(
            "the record has no valid creation".into(),
        )),
        Err(reason) => Err(NodeError::Precondition(reason)),
    }
}

/// Cities named inside a change must be cities of this federation: a participant
/// added can never be removed, so an unknown city would be there for good.
fn check_cities(state: &NodeState, change: &Change) -> Result<(), NodeError> {
    let members = state.members.current();
    let known = |c: &str| c == state.config.city || members.is_peer(c);
    let list = || members.known_cities(&state.config.city).join(", ");
    match &change.kind {
        Some(Kind::ParticipantAdded(p)) => check_partner(state, "participant_added.city", &p.city)?,
        Some(Kind::ActivityReported(r)) => {
            if let Some((i, d)) = r.deputies.iter().enumerate().find(|(_, d)| !known(&d.city)) {
                return Err(NodeError::invalid(
                    format!("activity_reported.deputies[{i}].city"),
                    format!("unknown city {:?}; known cities: {}", d.city, list()),
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

/// A record created at a station must name a station this node holds that is still
/// active.
async fn check_station(state: &NodeState, change: &Change) -> Result<(), NodeError> {
    let (field, id) = match &change.kind {
        Some(Kind::SuggestionSubmitted(c)) => ("suggestion_submitted.station_id", &c.station_id),
        Some(Kind::DisputeReported(c)) => ("dispute_reported.station_id", &c.station_id),
        Some(Kind::ActivityPlanned(c)) => ("activity_planned.station_id", &c.station_id),
        _ => return Ok(()),
    };
    if id.is_empty() {
        return Ok(());
    }
    let missing = || {
        NodeError::invalid(
            field,
            format!(
                "no record {id} at this node; pass a station's id (`lianluo list --kind station`)"
            ),
        )
    };
    let key = RecordId::parse(id).map_err(|_| missing())?;
    let entry = blocking(state, move |s| s.record(&key)).await?;
    let Some(station) = entry.and_then(|e| e.state) else {
        return Err(missing());
    };
    if station.kind() != RecordKind::Station {
        return Err(NodeError::invalid(
            field,
            format!(
                "{id} is a {}, not a station",
                domain::kind_str(station.kind())
            ),
        ));
    }
    if !matches!(&station.body, KindState::Station(s) if s.status == StationStatus::Active) {
        return Err(NodeError::Precondition(format!(
            "{field}: station {id} is `{}`; records can only be attached to an active station",
            station.status_str()
        )));
    }
    Ok(())
}

fn check_request_id(id: &str) -> Result<(), NodeError> {
    let n = id.chars().count();
    if n == 0 || n > REQUEST_ID_MAX_CHARS || id.chars().any(char::is_control) {
        return Err(NodeError::invalid(
            "request_id",
            format!(
                "must be 1–{REQUEST_ID_MAX_CHARS} printable characters; generate one per record and reuse it when retrying"
            ),
        ));
    }
    Ok(())
}

fn check_partners(state: &NodeState, partners: &[String]) -> Result<(), NodeError> {
    let mut seen = HashSet::new();
    for (i, p) in partners.iter().enumerate() {
        let field = format!("partners[{i}]");
        check_partner(state, &field, p)?;
        if !seen.insert(p) {
            return Err(NodeError::invalid(field, format!("{p:?} is listed twice")));
        }
    }
    Ok(())
}

/// A partner must be another city of this federation: a configured peer.
fn check_partner(state: &NodeState, field: &str, city: &str) -> Result<(), NodeError> {
    if city == state.config.city {
        return Err(NodeError::invalid(
            field,
            format!("{city:?} is this node's own city (the origin); name another city"),
        ));
    }
    let members = state.members.current();
    if !members.is_peer(city) {
        let peers = members.peer_cities();
        return Err(NodeError::invalid(
            field,
            format!(
                "unknown city {city:?}; partner cities: {}",
                peers.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Runs blocking store work off the async runtime (sled calls may block on disk).
pub async fn blocking<T, F>(state: &NodeState, f: F) -> Result<T, NodeError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Store) -> Result<T, crate::store::StoreError> + Send + 'static,
{
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(|e| NodeError::Internal(format!("storage task failed: {e}")))?
        .map_err(NodeError::from)
}
