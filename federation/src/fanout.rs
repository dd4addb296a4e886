//! Fan-out queries with explicit partial results (DESIGN §6): ask every peer at once
//! under one deadline and say, per peer, what happened: an answer, a timeout, an
//! unreachable node or a refusal. One dead peer never makes the whole answer later than
//! the deadline, and no failure is silent.
//!
//! [`fan_out`] runs any per-peer calls; [`PeerFigures`] uses it for `Federation.Figures`;
//! [`LastKnown`] keeps each peer's last good answer so a caller can show stale figures
//! with their age instead of nothing.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use lianluo_proto::federation_client::FederationClient;
use lianluo_proto::{CityFigures, FiguresRequest};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tonic::Status;

use crate::address::PeerAddress;
use crate::identity::PeerCity;
use crate::tls::{connect_peer_lazy, ReloadableClientConfig, TlsError};

/// How a peer's query failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No answer within the deadline.
    Timeout,
    /// The peer could not be reached (no connection, connection lost).
    Unreachable,
    /// The peer was reached but refused: our certificate, its certificate, or a gRPC
    /// error status.
    Refused,
}

impl Failure {
    /// `timeout`, `unreachable` or `refused`.
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Timeout => "timeout",
            Failure::Unreachable => "unreachable",
            Failure::Refused => "refused",
        }
    }
}

/// A failed query: how, and why in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    /// How it failed.
    pub failure: Failure,
    /// Why, for an operator.
    pub error: String,
}

/// One peer's answer to a fan-out.
#[derive(Debug, Clone)]
pub struct PeerAnswer<T> {
    /// The peer.
    pub city: PeerCity,
    /// Its answer, or how the query failed.
    pub result: Result<T, Failed>,
    /// How long the query took (the deadline, for a timeout).
    pub elapsed: Duration,
}

/// Runs every call concurrently, each bounded by `deadline` from now, and returns one
/// answer per call in the order of `calls` (a call that panicked is a failure too). With
/// `stop_on_failure`, returns as soon as one call fails: the calls not finished by then
/// are dropped and left out of the answers.
pub async fn fan_out<T, F>(
    calls: Vec<(PeerCity, F)>,
    deadline: Duration,
    stop_on_failure: bool,
) -> Vec<PeerAnswer<T>>
where
    T: Send + 'static,
    F: Future<Output = Result<T, Failed>> + Send + 'static,
{
    let start = Instant::now();
    let until = start + deadline;
    let mut set = JoinSet::new();
    // Which call each task runs, so even a panicked task is reported.
    let mut slots = HashMap::new();
    for (i, (city, call)) in calls.into_iter().enumerate() {
        let name = city.clone();
        let task = set.spawn(async move {
            match tokio::time::timeout_at(until, call).await {
                Ok(r) => r,
                Err(_) => Err(Failed {
                    failure: Failure::Timeout,
                    error: format!("{name} did not answer within {} ms", deadline.as_millis()),
                }),
            }
        });
        slots.insert(task.id(), (i, city));
    }
    let mut answers: Vec<Option<PeerAnswer<T>>> = (0..slots.len()).map(|_| None).collect();
    while let Some(joined) = set.join_next_with_id().await {
        let (id, result) = match joined {
            Ok((id, result)) => (id, result),
            Err(e) => (
                e.id(),
                Err(Failed {
                    failure: Failure::Unreachable,
                    error: format!("the query task failed: {e}"),
                }),
            ),
        };
        let Some((i, city)) = slots.remove(&id) else {
            continue;
        };
        let failed = result.is_err();
        if let Some(slot) = answers.get_mut(i) {
            *slot = Some(PeerAnswer {
                city,
                result,
                elapsed: start.elapsed(),
            });
        }
        if failed && stop_on_failure {
            // Dropping the set aborts the calls still running.
            break;
        }
    }
    answers.into_iter().flatten().collect()
}

/// Classifies a failed call to `endpoint`: a TLS refusal on either side is `Refused`, a
/// connection that could not be made or was lost is `Unreachable`, a handshake or call
/// that ran out of time is `Timeout`, and any other gRPC status from the peer is
/// `Refused` (it answered, but not with figures).
pub fn classify(status: &Status, endpoint: &str) -> Failed {
    if let Some(tls) = TlsError::find_in(status, endpoint) {
        let failure = match tls {
            TlsError::RefusedByPeer { .. }
            | TlsError::BadPeerCertificate { .. }
            | TlsError::WrongPeer { .. } => Failure::Refused,
            TlsError::Timeout { .. } => Failure::Timeout,
            _ => Failure::Unreachable,
        };
        return Failed {
            failure,
            error: tls.to_string(),
        };
    }
    let failure = match status.code() {
        tonic::Code::Unavailable | tonic::Code::Cancelled | tonic::Code::Unknown => {
            Failure::Unreachable
        }
        tonic::Code::DeadlineExceeded => Failure::Timeout,
        _ => Failure::Refused,
    };
    let why = if status.message().is_empty() {
        status.code().description().to_string()
    } else {
        status.message().to_string()
    };
    Failed {
        failure,
        error: format!("{endpoint}: {why}"),
    }
}

/// Asks configured peers for their figures over `Federation.Figures`, each on a fresh
/// connection made with the current client TLS configuration (so a rotated certificate
/// or a new CRL applies to the next query).
#[derive(Clone)]
pub struct PeerFigures {
    peers: Vec<(PeerCity, PeerAddress)>,
    tls: ReloadableClientConfig,
    trust_domain: String,
}

impl PeerFigures {
    /// A client for `peers` (in the order answers are wanted).
    pub fn new(
        peers: Vec<(PeerCity, PeerAddress)>,
        tls: ReloadableClientConfig,
        trust_domain: impl Into<String>,
    ) -> PeerFigures {
        PeerFigures {
            peers,
            tls,
            trust_domain: trust_domain.into(),
        }
    }

    /// Every peer's figures for `year`, concurrently, within `deadline`.
    pub async fn fetch(
        &self,
        year: u32,
        deadline: Duration,
        stop_on_failure: bool,
    ) -> Vec<PeerAnswer<CityFigures>> {
        let calls = self
            .peers
            .iter()
            .map(|(city, addr)| (city.clone(), self.call(city.clone(), addr, year)))
            .collect();
        fan_out(calls, deadline, stop_on_failure).await
    }

    fn call(
        &self,
        city: PeerCity,
        addr: &PeerAddress,
        year: u32,
    ) -> impl Future<Output = Result<CityFigures, Failed>> + Send + 'static {
        let endpoint = addr.endpoint();
        let channel = connect_peer_lazy(
            &endpoint,
            self.tls.current(),
            &self.trust_domain,
            city.as_str(),
        );
        async move {
            let channel = channel.map_err(|e| Failed {
                failure: Failure::Unreachable,
                error: e.to_string(),
            })?;
            let mut client = FederationClient::new(channel);
            let figures = client
                .figures(FiguresRequest { year })
                .await
                .map_err(|s| classify(&s, &endpoint))?
                .into_inner();
            if figures.city != city.as_str() {
                return Err(Failed {
                    failure: Failure::Refused,
                    error: format!(
                        "{endpoint} answered with figures of {:?}, not {city}",
                        figures.city
                    ),
                });
            }
            Ok(figures)
        }
    }
}

/// The last good answer per (peer, key), with when it arrived.
#[derive(Debug, Default)]
pub struct LastKnown<T> {
    entries: Mutex<HashMap<(String, u32), (T, SystemTime)>>,
}

impl<T: Clone> LastKnown<T> {
    /// An empty memory.
    pub fn new() -> LastKnown<T> {
        LastKnown {
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers `value` as `city`'s answer for `key`, received now.
    pub fn remember(&self, city: &str, key: u32, value: T) {
        if let Ok(mut e) = self.entries.lock() {
            e.insert((city.to_string(), key), (value, SystemTime::now()));
        }
    }

    /// `city`'s last answer for `key` and its age.
    pub fn recall(&self, city: &str, key: u32) -> Option<(T, Duration)> {
        let e = self.entries.lock().ok()?;
        let (value, at) = e.get(&(city.to_string(), key))?;
        let age = SystemTime::now().duration_since(*at).unwrap_or_default();
        Some((value.clone(), age))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn city(c: &str) -> PeerCity {
        PeerCity::configured(c).unwrap()
    }

    #[tokio::test]
    async fn a_silent_peer_times_out_at_the_deadline_without_delaying_the_others() {
        let calls: Vec<(PeerCity, std::pin::Pin<Box<dyn Future<Output = _> + Send>>)> = vec![
            (city("hezhou"), Box::pin(async { Ok::<u32, Failed>(1) })),
            (
                city("qingyuan"),
                Box::pin(async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok(2)
                }),
            ),
            (
                city("yongzhou"),
                Box::pin(async {
                    Err(Failed {
                        failure: Failure::Unreachable,
                        error: "connection refused".into(),
                    })
                }),
            ),
        ];
        let started = Instant::now();
        let answers = fan_out(calls, Duration::from_millis(500), false).await;
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(500), "{took:?}");
        assert!(took < Duration::from_secs(3), "{took:?}");
        let got: Vec<_> = answers
            .iter()
            .map(|a| (a.city.as_str().to_string(), a.result.clone()))
            .collect();
        assert_eq!(got[0], ("hezhou".into(), Ok(1)));
        assert_eq!(got[1].0, "qingyuan");
        assert_eq!(got[1].1.as_ref().unwrap_err().failure, Failure::Timeout);
        assert!(got[1].1.as_ref().unwrap_err().error.contains("500 ms"));
        assert_eq!(got[2].1.as_ref().unwrap_err().failure, Failure::Unreachable);
    }

    #[tokio::test]
    async fn stop_on_failure_returns_at_the_first_failure() {
        let calls: Vec<(PeerCity, std::pin::Pin<Box<dyn Future<Output = _> + Send>>)> = vec![
            (
                city("qingyuan"),
                Box::pin(async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok::<u32, Failed>(2)
                }),
            ),
            (
                city("yongzhou"),
                Box::pin(async {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    Err(Failed {
                        failure: Failure::Refused,
                        error: "permission denied".into(),
                    })
                }),
            ),
        ];
        let started = Instant::now();
        let answers = fan_out(calls, Duration::from_secs(30), true).await;
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].city.as_str(), "yongzhou");
    }

    #[tokio::test]
    async fn a_call_that_panics_is_reported_not_dropped() {
        let calls: Vec<(PeerCity, std::pin::Pin<Box<dyn Future<Output = _> + Send>>)> = vec![
            (city("hezhou"), Box::pin(async { Ok::<u32, Failed>(1) })),
            (city("qingyuan"), Box::pin(async { panic!("a bug") })),
        ];
        let answers = fan_out(calls, Duration::from_secs(5), false).await;
        assert_eq!(answers.len(), 2);
        assert_eq!(answers[1].city.as_str(), "qingyuan");
        let failed = answers[1].result.as_ref().unwrap_err();
        assert_eq!(failed.failure, Failure::Unreachable);
        assert!(failed.error.contains("query task failed"), "{failed:?}");
    }

    #[test]
    fn statuses_are_classified_by_what_the_peer_did() {
        let c = |s: Status| classify(&s, "https://127.0.0.1:1").failure;
        assert_eq!(
            c(Status::unavailable("connection refused")),
            Failure::Unreachable
        );
        assert_eq!(c(Status::permission_denied("not a peer")), Failure::Refused);
        assert_eq!(c(Status::unimplemented("no figures")), Failure::Refused);
        assert_eq!(c(Status::deadline_exceeded("slow")), Failure::Timeout);
        let f = classify(
            &Status::permission_denied("not a peer"),
            "https://127.0.0.1:1",
        );
        assert_eq!(f.error, "https://127.0.0.1:1: not a peer");
    }

    #[test]
    fn last_known_answers_come_back_with_their_age_per_city_and_key() {
        let memory = LastKnown::new();
        assert!(memory.recall("qingyuan", 0).is_none());
        memory.remember("qingyuan", 0, 7u32);
        let (v, age) = memory.recall("qingyuan", 0).unwrap();
        assert_eq!(v, 7);
        assert!(age < Duration::from_secs(5));
        assert!(memory.recall("qingyuan", 2026).is_none());
        assert!(memory.recall("yongzhou", 0).is_none());
    }
}
