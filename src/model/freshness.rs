//! How fresh each datum is, computed from its source, never assumed.
//!
//! The leader, the timeline and the member list come from etcd; they are
//! current only while the etcd watch is confirmed current (its heartbeat
//! answered within [`DCS_LIVE_FOR`]), however fresh a member's REST answer
//! is. REST and SQL data are as fresh as their own answers. One pure
//! function decides for the console, `list` and its JSON, so they cannot
//! disagree.

use super::cluster::ClusterState;
use super::source::{SourceHealth, SourceId};
use super::Model;
use crate::dcs::Fault;
use serde::Serialize;
use std::time::{Duration, SystemTime};

/// etcd data is live while the watch was confirmed within this long. The
/// watch's heartbeat runs every second and a sick endpoint is left after
/// 1 s without an answer, so moving to a healthy member stays within it.
pub const DCS_LIVE_FOR: Duration = Duration::from_secs(3);

/// REST data older than this is not "live" on screen.
pub const REST_LIVE_FOR: Duration = Duration::from_secs(10);

/// A fleet row's REST answers count this long: the rows on screen are
/// asked every 15 s (`sources::rest::GLANCE_EVERY`), with room for one
/// slow round.
pub const GLANCE_LIVE_FOR: Duration = Duration::from_secs(45);

/// How old a REST answer of `cluster` may be and still count: a session's
/// named clusters and the console's focus are asked every second, the
/// rest of a fleet at the fleet's pace.
pub fn rest_live_for(m: &Model, cluster: &str) -> Duration {
    match &m.focus {
        Some(f) if f != cluster => GLANCE_LIVE_FOR,
        _ => REST_LIVE_FOR,
    }
}

/// A cluster's health at `now` ([`super::health::judge`] with this model's
/// freshness rules).
pub fn health(
    m: &Model,
    c: &ClusterState,
    v: &super::view::ClusterView,
    now: SystemTime,
) -> super::health::Judged {
    let live = dcs(&m.source(SourceId::Etcd), now).is_live();
    super::health::judge(v, c, live, rest_live_for(m, &c.name), now)
}

/// The DCS picture's freshness.
#[derive(Debug, Clone, PartialEq)]
pub enum Dcs {
    Live,
    /// No answer yet, no failure yet.
    Connecting,
    Stale {
        since: SystemTime,
        fault: Option<Fault>,
        why: String,
    },
}

impl Dcs {
    pub fn is_live(&self) -> bool {
        matches!(self, Dcs::Live)
    }
}

fn secs(d: Duration) -> u64 {
    d.as_secs()
}

/// Whether etcd's data is current at `now`.
pub fn dcs(etcd: &SourceHealth, now: SystemTime) -> Dcs {
    let why = || {
        etcd.last_error
            .as_ref()
            .map(|(_, e)| e.clone())
            .unwrap_or_default()
    };
    if let Some(since) = etcd.down_since {
        return Dcs::Stale {
            since,
            fault: etcd.fault,
            why: why(),
        };
    }
    match etcd.last_ok {
        None => Dcs::Connecting,
        Some(at) => {
            let age = now.duration_since(at).unwrap_or_default();
            if age <= DCS_LIVE_FOR {
                Dcs::Live
            } else if let Some((_, e)) = etcd.last_error.as_ref().filter(|(t, _)| *t >= at) {
                // Failing over between endpoints, none answering yet: say
                // what the last one did.
                Dcs::Stale {
                    since: at,
                    fault: etcd.fault,
                    why: e.clone(),
                }
            } else {
                Dcs::Stale {
                    since: at,
                    fault: None,
                    why: format!(
                        "the etcd watch has not been confirmed for {} s (its heartbeat is every second)",
                        secs(age)
                    ),
                }
            }
        }
    }
}

/// One source's part in a cluster's answer (the JSON `sources` field).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceReport {
    /// Answered recently enough to call its data current.
    pub live: bool,
    /// Milliseconds since its last good answer; null if it never answered.
    pub age_ms: Option<u64>,
    pub fault: Option<Fault>,
    pub error: Option<String>,
    /// REST: members that answered, of those known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<usize>,
}

/// `stale`, `partial` and `sources` of one cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterFreshness {
    /// The leader, timeline and members are not confirmed current.
    pub stale: bool,
    /// Part of the cluster could not be read at all (e.g. only the local
    /// member, from its REST API, while etcd was down).
    pub partial: bool,
    /// The verdict of [`super::health::judge`], as the console shows it:
    /// a word (`healthy`, `unconfirmed`, `degraded`...) and in full.
    pub health: &'static str,
    pub health_detail: String,
    pub sources: std::collections::BTreeMap<&'static str, SourceReport>,
}

fn age_ms(now: SystemTime, at: Option<SystemTime>) -> Option<u64> {
    at.map(|a| now.duration_since(a).unwrap_or_default().as_millis() as u64)
}

/// Freshness of one cluster's answer at `now`; `v` is its view (derived
/// once by the caller, who prints it too).
pub fn cluster(
    m: &Model,
    c: &ClusterState,
    v: &super::view::ClusterView,
    now: SystemTime,
) -> ClusterFreshness {
    let etcd = m.source(SourceId::Etcd);
    let d = dcs(&etcd, now);
    // Only data another source filled in (the REST fallback) is not etcd's;
    // a cluster whose member keys all expired is still etcd's picture.
    let from_etcd = c.dcs.members.values().all(|e| e.source == SourceId::Etcd)
        && c.dcs
            .leader
            .as_ref()
            .is_none_or(|e| e.source == SourceId::Etcd);
    let mut sources = std::collections::BTreeMap::new();
    let (fault, error) = match &d {
        Dcs::Stale { fault, why, .. } => (*fault, Some(why.clone())),
        _ => (None, None),
    };
    sources.insert(
        "etcd",
        SourceReport {
            live: d.is_live(),
            age_ms: age_ms(now, etcd.last_ok),
            fault,
            error,
            answered: None,
            members: None,
        },
    );
    let known = c.dcs.members.len();
    let answered = c
        .rest
        .values()
        .filter(|r| now.duration_since(r.at).unwrap_or_default() <= REST_LIVE_FOR)
        .count();
    let newest = c.rest.values().map(|r| r.at).max();
    let rest_error = c
        .rest_errors
        .iter()
        .max_by_key(|(_, (at, _))| *at)
        .map(|(n, (_, e))| format!("{n}: {e}"));
    sources.insert(
        "patroni_rest",
        SourceReport {
            live: answered > 0,
            age_ms: age_ms(now, newest),
            fault: None,
            error: rest_error.filter(|_| answered < known),
            answered: Some(answered),
            members: Some(known),
        },
    );
    let h = health(m, c, v, now).health;
    ClusterFreshness {
        stale: !d.is_live() || !from_etcd,
        partial: c.partial.is_some(),
        health: h.word(),
        health_detail: h.label(),
        sources,
    }
}
