//! The federation's picture for dashboards (DESIGN §6): this city's figures computed from
//! its own records ([`figures`]), every peer's asked for concurrently under one deadline
//! ([`overview`]), each city with its provenance — ok, stale (last known, with its age),
//! timeout, unreachable or refused — and the annual report rendered from it ([`report`]).

use std::sync::Arc;
use std::time::Duration;

use lianluo_federation::fanout::{Failed, LastKnown, PeerFigures};
use lianluo_federation::identity::PeerCity;
use lianluo_federation::tls::ReloadableClientConfig;
use lianluo_proto::{CityFigures, CityOverview, OverviewRequest, OverviewResponse};

use crate::config::Config;
use crate::error::NodeError;
use crate::state::NodeState;

pub mod figures;
pub mod labels;
pub mod report;

pub use figures::local_figures;

/// Deadline of an overview when the request does not give one.
pub const DEFAULT_DEADLINE: Duration = Duration::from_millis(3000);
/// Shortest deadline a request may ask for, in milliseconds.
pub const MIN_DEADLINE_MS: u32 = 100;
/// Longest deadline a request may ask for, in milliseconds.
pub const MAX_DEADLINE_MS: u32 = 60_000;

/// What an overview needs beyond the node's records: how to ask the peers, and the last
/// figures each peer sent (for stale answers).
pub struct Dashboard {
    peers: PeerFigures,
    last_known: LastKnown<CityFigures>,
}

impl Dashboard {
    /// A dashboard over the configured peers, dialled with the node's client TLS.
    pub fn new(config: &Config, tls: ReloadableClientConfig) -> Result<Dashboard, NodeError> {
        let peers = config
            .peers
            .iter()
            .map(|p| {
                PeerCity::configured(&p.city)
                    .map(|c| (c, p.address))
                    .map_err(|e| NodeError::Internal(format!("peers: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Dashboard {
            peers: PeerFigures::new(peers, tls, config.trust_domain.clone()),
            last_known: LastKnown::new(),
        })
    }
}

/// Checks the request's year and deadline.
fn validate(req: &OverviewRequest) -> Result<Duration, NodeError> {
    figures::check_year(req.year)?;
    match req.deadline_ms {
        0 => Ok(DEFAULT_DEADLINE),
        ms if (MIN_DEADLINE_MS..=MAX_DEADLINE_MS).contains(&ms) => {
            Ok(Duration::from_millis(u64::from(ms)))
        }
        ms => Err(NodeError::invalid(
            "deadline_ms",
            format!("{ms} is out of range; use {MIN_DEADLINE_MS}–{MAX_DEADLINE_MS} (or 0 for the default {} ms)", DEFAULT_DEADLINE.as_millis()),
        )),
    }
}

/// Every city's figures: ours, and each peer's asked concurrently within the deadline.
///
/// A peer that fails is `stale` when earlier figures of it are known, else `timeout`,
/// `unreachable` or `refused`; `partial` is set when any city is not `ok`. With
/// `abort_on_partial`, the first failure ends the request with UNAVAILABLE naming it.
pub async fn overview(
    state: &Arc<NodeState>,
    req: OverviewRequest,
) -> Result<OverviewResponse, NodeError> {
    let deadline = validate(&req)?;
    let started = tokio::time::Instant::now();
    let dash = &state.dashboard;
    let (local, answers) = tokio::join!(
        local_figures(state, req.year),
        dash.peers.fetch(req.year, deadline, req.abort_on_partial)
    );
    let local = local?;
    let mut cities = vec![CityOverview {
        city: state.config.city.clone(),
        outcome: "ok".into(),
        figures: Some(local),
        elapsed_ms: millis(started.elapsed()),
        local: true,
        ..CityOverview::default()
    }];
    let links = crate::service::node::peer_states(state);
    for peer in &state.config.peers {
        let link = links
            .iter()
            .find(|s| s.city == peer.city)
            .map(|s| s.phase.as_str().to_string())
            .unwrap_or_default();
        let answer = answers.iter().find(|a| a.city.as_str() == peer.city);
        let mut entry = match answer {
            Some(a) => match &a.result {
                Ok(f) => {
                    dash.last_known.remember(&peer.city, req.year, f.clone());
                    CityOverview {
                        outcome: "ok".into(),
                        figures: Some(f.clone()),
                        ..CityOverview::default()
                    }
                }
                Err(failed) => failed_entry(dash, &peer.city, req.year, failed),
            },
            // Only when aborting: the call was dropped at another peer's failure.
            None => CityOverview {
                outcome: "timeout".into(),
                error: "not awaited: the overview was aborted at another city's failure".into(),
                ..CityOverview::default()
            },
        };
        entry.city = peer.city.clone();
        entry.link = link;
        entry.elapsed_ms = answer.map_or(0, |a| millis(a.elapsed));
        cities.push(entry);
    }
    let partial = cities.iter().any(|c| c.outcome != "ok");
    if partial && req.abort_on_partial {
        return Err(NodeError::Unavailable(abort_message(&cities)));
    }
    Ok(OverviewResponse {
        partial,
        answered_by: state.config.city.clone(),
        as_of: crate::domain::rfc3339(figures::now_ms()),
        year: req.year,
        deadline_ms: u32::try_from(deadline.as_millis()).unwrap_or(u32::MAX),
        total: Some(figures::total(
            cities.iter().filter_map(|c| c.figures.as_ref()),
            req.year,
        )),
        cities,
    })
}

/// The entry of a peer whose fresh query failed: its last known figures if any (stale).
fn failed_entry(dash: &Dashboard, city: &str, year: u32, failed: &Failed) -> CityOverview {
    let fresh = failed.failure.as_str().to_string();
    match dash.last_known.recall(city, year) {
        Some((figures, age)) => CityOverview {
            outcome: "stale".into(),
            figures: Some(figures),
            age_seconds: age.as_secs(),
            error: failed.error.clone(),
            fresh_outcome: fresh,
            ..CityOverview::default()
        },
        None => CityOverview {
            outcome: fresh,
            error: failed.error.clone(),
            ..CityOverview::default()
        },
    }
}

fn abort_message(cities: &[CityOverview]) -> String {
    let bad: Vec<String> = cities
        .iter()
        .filter(|c| c.outcome != "ok" && !c.error.starts_with("not awaited"))
        .map(|c| {
            let how = if c.fresh_outcome.is_empty() {
                &c.outcome
            } else {
                &c.fresh_outcome
            };
            format!("{} {how} ({})", c.city, c.error)
        })
        .collect();
    format!(
        "overview is partial and abort_on_partial was asked: {}; retry later, or ask \
         without abort_on_partial to get the other cities' figures with provenance",
        bad.join("; ")
    )
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
