//! The scorecard of a would-be leader: each rule Patroni (and the field)
//! applies to a switchover or failover candidate, passed or not, with the
//! reason in words. A preflight refuses a named candidate for the rules it
//! fails; the console shows every member's card so the DBA can pick.

use crate::model::view::{cluster_view, ClusterView, MemberView};
use crate::model::ClusterState;
use serde::Serialize;

/// The rule a failover may waive (`--allow-async`, Ctrl-A).
pub const SYNC_RULE: &str = "sync standby (synchronous mode)";

/// Patroni's default `maximum_lag_on_failover` (bytes).
pub const DEFAULT_MAX_LAG: u64 = 1_048_576;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub rule: &'static str,
    pub ok: bool,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    pub member: String,
    pub checks: Vec<Check>,
}

impl Scorecard {
    pub fn eligible(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

fn config_u64(c: &ClusterState, key: &str) -> Option<u64> {
    c.dcs.config_value()?.get(key)?.as_u64()
}

fn sync_mode(c: &ClusterState) -> bool {
    match c.dcs.config_doc().and_then(|d| d.synchronous_mode()) {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => {
            matches!(s.to_ascii_lowercase().as_str(), "on" | "true" | "quorum")
        }
        _ => false,
    }
}

/// Every rule for one would-be leader.
pub fn score(c: &ClusterState, v: &ClusterView, m: &MemberView) -> Scorecard {
    let max_lag = config_u64(c, "maximum_lag_on_failover").unwrap_or(DEFAULT_MAX_LAG);
    let nofailover = m
        .tags
        .get("nofailover")
        .is_some_and(crate::model::cluster::truthy);
    let priority_zero = m
        .tags
        .get("failover_priority")
        .and_then(|p| p.as_i64().or_else(|| p.as_str()?.parse().ok()))
        == Some(0);
    let lag = m.receive_lag_bytes.max(m.replay_lag_bytes);
    let rest_ok = c.rest.contains_key(&m.name) && !c.rest_errors.contains_key(&m.name);
    let mut checks = vec![
        Check {
            rule: "not the leader",
            ok: m.role.may_be_candidate(),
            message: format!("{} is the leader", m.name),
        },
        Check {
            rule: "running",
            ok: m.state.is_up(),
            message: format!("{} is {}", m.name, m.state),
        },
        Check {
            rule: "failover allowed by tags",
            ok: !nofailover && !priority_zero,
            message: format!(
                "{} is tagged {}",
                m.name,
                if nofailover {
                    "nofailover"
                } else {
                    "failover_priority: 0"
                }
            ),
        },
        Check {
            rule: "REST API reachable",
            ok: rest_ok,
            message: c
                .rest_errors
                .get(&m.name)
                .map(|(_, e)| e.clone())
                .unwrap_or_else(|| format!("no REST answer from {} yet", m.name)),
        },
        Check {
            rule: "lag within maximum_lag_on_failover",
            ok: lag.is_some_and(|l| l <= max_lag),
            message: match lag {
                // The source says how fresh the reading is: a DCS key is
                // up to loop_wait old, a REST or SQL reading is from now.
                Some(l) => format!(
                    "{} is {l} bytes behind (maximum_lag_on_failover {max_lag}; positions from {})",
                    m.name,
                    m.lag_source.map(|s| s.label()).unwrap_or("?")
                ),
                None => format!("{}'s lag is unknown", m.name),
            },
        },
        Check {
            rule: "on the current timeline",
            ok: v.timeline.is_some() && m.timeline == v.timeline,
            message: format!(
                "{} is on timeline {}, the cluster on {}",
                m.name,
                m.timeline.map(|t| t.to_string()).unwrap_or("?".into()),
                v.timeline.map(|t| t.to_string()).unwrap_or("?".into())
            ),
        },
    ];
    if sync_mode(c) {
        checks.push(Check {
            rule: SYNC_RULE,
            ok: m.role.is_sync(),
            message: format!(
                "{} is not a synchronous standby; promoting it may lose committed transactions",
                m.name
            ),
        });
    }
    Scorecard {
        member: m.name.clone(),
        checks,
    }
}

/// Scorecards of every non-leader member.
pub fn scorecards(c: &ClusterState) -> Vec<Scorecard> {
    let v = cluster_view(c);
    v.members
        .iter()
        .filter(|m| m.role.may_be_candidate())
        .map(|m| score(c, &v, m))
        .collect()
}
