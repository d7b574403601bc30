//! A cluster's health in one word, decided once for every place that says
//! it: the fleet's Health column, the cluster screen's header and `list`.
//!
//! "Healthy" is a claim that the members said so. The DCS alone cannot make
//! it: a synthetic or firewalled cluster whose member keys look fine while
//! no Patroni API answers used to show "✓ healthy" on the fleet screen. So
//! a cluster is healthy only when etcd is current and every member's REST
//! API answered recently; otherwise it is unconfirmed, and the label says
//! why (etcd stale, REST unreachable for N of M members, or REST not asked
//! recently: a fleet row off screen is DCS only). Problems the DCS alone
//! proves (no leader, an unreadable key, a replica not streaming) are shown
//! whatever REST says.

use super::cluster::ClusterState;
use super::view::ClusterView;
use serde::Serialize;
use std::time::{Duration, SystemTime};

/// Why a cluster's health cannot be confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum Unsure {
    /// etcd's picture is not current.
    EtcdStale,
    /// The latest REST request to `down` of `of` members failed.
    RestUnreachable { down: usize, of: usize },
    /// No member answered recently and none failed: not asked lately (a
    /// fleet row off screen), or the first answers are still coming.
    RestNotAsked,
}

/// Worst first: the order of the fleet screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "health", rename_all = "snake_case")]
pub enum Health {
    NoLeader,
    Unparseable,
    OddData,
    Degraded { streaming: usize, replicas: usize },
    Unconfirmed(Unsure),
    Paused,
    Healthy,
}

/// How bad: 0 for the worst, used to sort.
impl Health {
    pub fn rank(&self) -> u8 {
        match self {
            Health::NoLeader => 0,
            Health::Unparseable => 1,
            Health::OddData => 2,
            Health::Degraded { .. } => 3,
            Health::Unconfirmed(_) => 4,
            Health::Paused => 5,
            Health::Healthy => 6,
        }
    }

    /// A problem the data proves (not merely an unconfirmed state).
    pub fn is_alarm(&self) -> bool {
        self.rank() <= 3
    }

    /// The word a filter matches (`is:WORD`) and the JSON carries.
    pub fn word(&self) -> &'static str {
        match self {
            Health::NoLeader => "no-leader",
            Health::Unparseable => "unparseable",
            Health::OddData => "odd-data",
            Health::Degraded { .. } => "degraded",
            Health::Unconfirmed(_) => "unconfirmed",
            Health::Paused => "paused",
            Health::Healthy => "healthy",
        }
    }

    /// Whether an `is:WORD` filter keeps this health: its own word, or
    /// `unhealthy` for every alarm.
    pub fn matches(&self, word: &str) -> bool {
        word == self.word() || (word == "unhealthy" && self.is_alarm())
    }

    /// Short, for a table cell (at most 13 columns).
    pub fn short(&self) -> String {
        match self {
            Health::NoLeader => "! NO LEADER".into(),
            Health::Unparseable => "! UNPARSEABLE".into(),
            Health::OddData => "! ODD DATA".into(),
            Health::Degraded { .. } => "! DEGRADED".into(),
            Health::Unconfirmed(Unsure::EtcdStale) => "? etcd stale".into(),
            Health::Unconfirmed(Unsure::RestUnreachable { down, of }) => {
                format!("? REST ✗ {down}/{of}")
            }
            Health::Unconfirmed(Unsure::RestNotAsked) => "? DCS only".into(),
            Health::Paused => "⏸ paused".into(),
            Health::Healthy => "✓ healthy".into(),
        }
    }

    /// Whole words, for a header and for `list`.
    pub fn label(&self) -> String {
        match self {
            Health::NoLeader => "no leader".into(),
            Health::Unparseable => "unparseable DCS keys".into(),
            Health::OddData => "odd data in the DCS".into(),
            Health::Degraded {
                streaming,
                replicas,
            } => format!("degraded ({streaming}/{replicas} replicas streaming)"),
            Health::Unconfirmed(Unsure::EtcdStale) => "unconfirmed (etcd stale)".into(),
            Health::Unconfirmed(Unsure::RestUnreachable { down, of }) => {
                format!("unconfirmed (REST unreachable {down}/{of})")
            }
            Health::Unconfirmed(Unsure::RestNotAsked) => {
                "unconfirmed (DCS only: REST not asked recently)".into()
            }
            Health::Paused => "paused".into(),
            Health::Healthy => "healthy".into(),
        }
    }
}

/// A verdict, and until when it holds without a model change (a REST
/// answer ageing past `rest_live_for` changes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judged {
    pub health: Health,
    pub until: Option<SystemTime>,
}

/// How the members' REST APIs did: answered within `live_for`, failing
/// (their latest request failed), and the members that have an API.
pub struct RestCount {
    pub answered: usize,
    pub failing: usize,
    pub members: usize,
    /// When the oldest good answer stops counting.
    pub until: Option<SystemTime>,
}

pub fn rest_count(c: &ClusterState, live_for: Duration, now: SystemTime) -> RestCount {
    let mut n = RestCount {
        answered: 0,
        failing: 0,
        members: 0,
        until: None,
    };
    for (name, _) in c.rest_targets() {
        n.members += 1;
        let ok_at = c.rest.get(name).map(|r| r.at);
        let err_at = c.rest_errors.get(name).map(|(at, _)| *at);
        if err_at.is_some_and(|e| ok_at.is_none_or(|o| e >= o)) {
            n.failing += 1;
        } else if let Some(at) =
            ok_at.filter(|at| now.duration_since(*at).unwrap_or_default() <= live_for)
        {
            n.answered += 1;
            let end = at + live_for;
            n.until = Some(n.until.map_or(end, |u| u.min(end)));
        }
    }
    n
}

/// The one rule. `dcs_live`: etcd's picture is current; `rest_live_for`:
/// how old a REST answer may be and still count (the focused cluster is
/// asked every second, a fleet row every few seconds).
pub fn judge(
    v: &ClusterView,
    c: &ClusterState,
    dcs_live: bool,
    rest_live_for: Duration,
    now: SystemTime,
) -> Judged {
    let rest = rest_count(c, rest_live_for, now);
    let health = if !dcs_live {
        Health::Unconfirmed(Unsure::EtcdStale)
    } else if v.leader.is_none() {
        Health::NoLeader
    } else if !v.unparseable_keys.is_empty() {
        Health::Unparseable
    } else if !v.findings.is_empty() {
        Health::OddData
    } else {
        let replicas: Vec<_> = v.members.iter().filter(|m| !m.role.leads()).collect();
        let streaming = replicas.iter().filter(|m| m.state.is_up()).count();
        if streaming < replicas.len() {
            Health::Degraded {
                streaming,
                replicas: replicas.len(),
            }
        } else if rest.failing > 0 {
            Health::Unconfirmed(Unsure::RestUnreachable {
                down: rest.failing,
                of: rest.members,
            })
        } else if rest.answered < rest.members {
            Health::Unconfirmed(Unsure::RestNotAsked)
        } else if v.paused {
            Health::Paused
        } else {
            Health::Healthy
        }
    };
    Judged {
        health,
        until: rest.until,
    }
}
