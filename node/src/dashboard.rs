//! The federation's picture for dashboards (DESIGN §6): this city's figures computed from
//! its own records ([`figures`]), every peer's asked for concurrently under one deadline
//! ([`overview`]), each city with its provenance — ok, stale (last known, with its age),
//! timeout, unreachable or refused — and the annual report rendered from it ([`report`]).

use std::sync::Arc;
use std::time::Duration;

use lianluo_federation::fanout::{Failed, LastKnown, PeerAnswer, PeerFigures};
use lianluo_federation::identity::PeerCity;
use lianluo_federation::sync::PeerState;
use lianluo_federation::tls::ReloadableClientConfig;
use lianluo_proto::{CityFigures, CityOverview, OverviewRequest, OverviewResponse};

use crate::config::{CityName, Config};
use crate::error::NodeError;
use crate::state::NodeState;

pub mod export;
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
    // Replaced when the membership changes (a config reload).
    peers: std::sync::RwLock<PeerFigures>,
    tls: ReloadableClientConfig,
    trust_domain: String,
    last_known: LastKnown<CityFigures>,
}

impl Dashboard {
    /// A dashboard over the configured peers, dialled with the node's client TLS.
    pub fn new(config: &Config, tls: ReloadableClientConfig) -> Result<Dashboard, NodeError> {
        let peers = figures_of(&config.peers, &tls, &config.trust_domain)?;
        Ok(Dashboard {
            peers: std::sync::RwLock::new(peers),
            tls,
            trust_domain: config.trust_domain.clone(),
            last_known: LastKnown::new(),
        })
    }

    /// Asks `peers` from now on.
    pub fn set_peers(&self, peers: &[crate::config::Peer]) -> Result<(), NodeError> {
        let next = figures_of(peers, &self.tls, &self.trust_domain)?;
        *self
            .peers
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = next;
        Ok(())
    }

    /// The peers asked now.
    fn peers(&self) -> PeerFigures {
        self.peers
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// A fan-out client over `peers`.
fn figures_of(
    peers: &[crate::config::Peer],
    tls: &ReloadableClientConfig,
    trust_domain: &str,
) -> Result<PeerFigures, NodeError> {
    let peers = peers
        .iter()
        .map(|p| {
            PeerCity::configured(&p.city)
                .map(|c| (c, p.address.clone()))
                .map_err(|e| NodeError::Internal(format!("peers: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PeerFigures::new(peers, tls.clone(), trust_domain))
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
    // The deadline bounds the whole answer, this node's own figures included.
    let peers = dash.peers();
    let (local, answers) = tokio::join!(
        tokio::time::timeout(deadline, local_figures(state, req.year)),
        peers.fetch(req.year, deadline, req.abort_on_partial)
    );
    let local = match local {
        Ok(figures) => Some(figures?),
        Err(_) => None,
    };
    if req.abort_on_partial && local.is_none() {
        return Err(NodeError::Unavailable(format!(
            "overview is partial and abort_on_partial was asked: {} (this node) timeout \
             (its own figures took longer than {} ms); retry later",
            state.config.city,
            deadline.as_millis()
        )));
    }
    for a in &answers {
        if let Ok(f) = &a.result {
            dash.last_known
                .remember(a.city.as_str(), req.year, f.clone());
        }
    }
    // Aborting, the fan-out stopped at the first failure: the other calls were dropped.
    if req.abort_on_partial && answers.iter().any(|a| a.result.is_err()) {
        return Err(NodeError::Unavailable(abort_message(&answers)));
    }
    let links = crate::service::node::peer_states(state);
    let mut cities = vec![local_entry(state, local, started.elapsed(), deadline)];
    cities.extend(
        answers
            .iter()
            .map(|a| peer_entry(dash, a, req.year, &links)),
    );
    let names = city_names(state);
    for c in &mut cities {
        name_city(c, &names);
    }
    Ok(OverviewResponse {
        partial: cities.iter().any(|c| c.outcome != "ok"),
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

/// The cities this node knows with their names as its config gives them: its own first,
/// then its peers in config order.
pub fn city_names(state: &NodeState) -> Vec<(String, CityName)> {
    let members = state.members.current();
    std::iter::once((state.config.city.clone(), state.config.city_name.clone()))
        .chain(
            members
                .peers
                .iter()
                .map(|p| (p.city.clone(), p.name.clone())),
        )
        .collect()
}

/// Names a city's entry: as this node's config names it (`names`; a name of its own, not
/// just its id), else as the city's own figures say (a name that can be shown), else by
/// the built-in names or its id.
fn name_city(c: &mut CityOverview, names: &[(String, CityName)]) {
    let configured = names
        .iter()
        .find(|(id, n)| *id == c.city && n.name != c.city)
        .map(|(_, n)| n);
    let from_figures = c.figures.as_ref().filter(|f| {
        let province = f.province.is_empty() || crate::config::showable_name(&f.province);
        crate::config::showable_name(&f.name) && province
    });
    let (name, province) = match (configured, from_figures) {
        (Some(n), _) => (n.name.clone(), n.province.clone()),
        (None, Some(f)) => (f.name.clone(), f.province.clone()),
        (None, None) => (
            labels::city(&c.city, labels::Lang::Zh).to_owned(),
            labels::province(&c.city).to_owned(),
        ),
    };
    c.name = name;
    c.province = province;
}

/// How people read an overview's city: the name its entry carries, else the built-in
/// name or its id (an entry from a node that sent none).
pub fn entry_name(c: &CityOverview) -> &str {
    if c.name.is_empty() {
        labels::city(&c.city, labels::Lang::Zh)
    } else {
        &c.name
    }
}

/// This node's entry: its figures, or a timeout when they missed the deadline.
fn local_entry(
    state: &NodeState,
    figures: Option<CityFigures>,
    elapsed: Duration,
    deadline: Duration,
) -> CityOverview {
    let (outcome, error) = match &figures {
        Some(_) => ("ok", String::new()),
        None => (
            "timeout",
            format!(
                "this node's own figures took longer than the deadline ({} ms)",
                deadline.as_millis()
            ),
        ),
    };
    CityOverview {
        city: state.config.city.clone(),
        outcome: outcome.into(),
        figures,
        error,
        elapsed_ms: millis(elapsed),
        local: true,
        ..CityOverview::default()
    }
}

/// A peer's entry: its fresh figures, or its last known ones (stale), or how it failed;
/// with the state of our replication link from it.
fn peer_entry(
    dash: &Dashboard,
    answer: &PeerAnswer<CityFigures>,
    year: u32,
    links: &[PeerState],
) -> CityOverview {
    let city = answer.city.as_str();
    let mut entry = match &answer.result {
        Ok(f) => CityOverview {
            outcome: "ok".into(),
            figures: Some(f.clone()),
            ..CityOverview::default()
        },
        Err(failed) => failed_entry(dash, city, year, failed),
    };
    entry.city = city.to_string();
    entry.link = links
        .iter()
        .find(|s| s.city == city)
        .map(|s| s.phase.as_str().to_string())
        .unwrap_or_default();
    entry.elapsed_ms = millis(answer.elapsed);
    entry
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

fn abort_message(answers: &[PeerAnswer<CityFigures>]) -> String {
    let bad: Vec<String> = answers
        .iter()
        .filter_map(|a| {
            let f = a.result.as_ref().err()?;
            Some(format!("{} {} ({})", a.city, f.failure.as_str(), f.error))
        })
        .collect();
    let bad = bad.join("; ");
    format!(
        "overview is partial and abort_on_partial was asked: {bad}; retry later, or ask \
         without abort_on_partial to get the other cities' figures with provenance"
    )
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use lianluo_proto::{CityFigures, CityOverview};

    use super::name_city;
    use crate::config::CityName;

    fn entry(city: &str, name: &str, province: &str) -> CityOverview {
        CityOverview {
            city: city.into(),
            figures: Some(CityFigures {
                name: name.into(),
                province: province.into(),
                ..CityFigures::default()
            }),
            ..CityOverview::default()
        }
    }

    fn named(c: &mut CityOverview, names: &[(String, CityName)]) -> (String, String) {
        name_city(c, names);
        (c.name.clone(), c.province.clone())
    }

    #[test]
    fn dashboard_names_a_city_by_this_nodes_config_then_its_own_figures_then_built_in() {
        let name = |n: &str, p: &str| CityName {
            name: n.into(),
            province: p.into(),
            ..CityName::default()
        };
        let names = [
            ("guilin".to_owned(), name("guilin", "")), // not named here: its id
            ("xinhuang".to_owned(), name("新晃县", "湖南")),
        ];
        let pair = |n: &str, p: &str| (n.to_owned(), p.to_owned());
        // Not named in this node's config: as its own figures say.
        let mut gl = entry("guilin", "桂林", "广西");
        assert_eq!(named(&mut gl, &names), pair("桂林", "广西"));
        // Named here: this node's name wins over what the peer says of itself.
        let mut xh = entry("xinhuang", "新晃侗族自治县", "湖南");
        assert_eq!(named(&mut xh, &names), pair("新晃县", "湖南"));
        // A name that cannot be shown is not taken; nor is no figures at all.
        let mut bad = entry("guilin", "桂\u{7}林", "");
        assert_eq!(named(&mut bad, &names), pair("guilin", ""));
        let mut hz = CityOverview {
            city: "hezhou".into(),
            ..CityOverview::default()
        };
        assert_eq!(named(&mut hz, &names), pair("贺州", "广西"));
    }
}
