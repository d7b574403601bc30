//! What the user saw when deciding, and how the cluster differs from it
//! when the time comes to act. A dialog or a prompt confirms against a
//! state; acting on a different state would carry out a decision nobody
//! made.

use super::preflight::score;
use super::Operation;
use crate::model::view::cluster_view;
use crate::model::{ClusterState, Role};
use serde::{Serialize, Serializer};

/// The member an operation acts on (or promotes), as the user saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub member: String,
    /// Its role; `None` when it was not in the cluster (`absent`).
    #[serde(serialize_with = "role_or_absent")]
    pub role: Option<Role>,
    /// Rules of the scorecard it failed (switchover and failover only).
    pub failing: Vec<String>,
}

/// What the user saw when deciding. If the cluster no longer matches it at
/// the moment of acting, the operation is refused and the new state shown:
/// a confirmation given for one cluster must not act on another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expected {
    pub leader: Option<String>,
    pub timeline: Option<u64>,
    pub paused: bool,
    pub target: Option<Target>,
}

fn shown(role: &Option<Role>) -> &str {
    role.as_ref().map(Role::as_str).unwrap_or("absent")
}

fn role_or_absent<S: Serializer>(role: &Option<Role>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(shown(role))
}

pub fn expectation(op: &Operation, c: &ClusterState) -> Expected {
    let v = cluster_view(c);
    let (name, scored) = match op {
        Operation::Switchover { candidate, .. } => (candidate.clone(), true),
        Operation::Failover { candidate, .. } => (Some(candidate.clone()), true),
        Operation::Restart { member, .. }
        | Operation::CancelRestart { member, .. }
        | Operation::Reload { member, .. }
        | Operation::Reinit { member, .. } => (Some(member.clone()), false),
        _ => (None, false),
    };
    let target = name.map(|n| match v.members.iter().find(|m| m.name == n) {
        None => Target {
            member: n,
            role: None,
            failing: vec![],
        },
        Some(m) => Target {
            member: n,
            role: Some(m.role.clone()),
            failing: if scored {
                score(c, &v, m)
                    .checks
                    .into_iter()
                    .filter(|x| !x.ok)
                    .map(|x| x.rule.to_string())
                    .collect()
            } else {
                vec![]
            },
        },
    });
    Expected {
        leader: v.leader.clone(),
        timeline: v.timeline,
        paused: v.paused,
        target,
    }
}

/// How the cluster differs from what the user saw, in words; empty when
/// it is the same.
pub fn changes(seen: &Expected, now: &Expected) -> Vec<String> {
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "none".into());
    let tl = |t: Option<u64>| t.map(|t| t.to_string()).unwrap_or_else(|| "?".into());
    let onoff = |b: bool| if b { "on" } else { "off" };
    let mut out = vec![];
    if seen.leader != now.leader {
        out.push(format!(
            "the leader was {}, now {}",
            opt(&seen.leader),
            opt(&now.leader)
        ));
    }
    if seen.timeline != now.timeline {
        out.push(format!(
            "the timeline was {}, now {}",
            tl(seen.timeline),
            tl(now.timeline)
        ));
    }
    if seen.paused != now.paused {
        out.push(format!(
            "pause was {}, now {}",
            onoff(seen.paused),
            onoff(now.paused)
        ));
    }
    // Which kind of member the target is: leading, following, or gone. A
    // standby turning sync or async is no change of kind (a rolling restart
    // moves the sync role itself); where it matters, for a switchover or
    // failover candidate, the scorecard's checks change and say so below.
    let kind = |r: &Option<Role>| match r {
        Some(r) if r.leads() => 0,
        None => 2,
        Some(_) => 1,
    };
    if let (Some(a), Some(b)) = (&seen.target, &now.target) {
        if kind(&a.role) != kind(&b.role) {
            out.push(format!(
                "{} was {}, now {}",
                a.member,
                shown(&a.role),
                shown(&b.role)
            ));
        }
        if a.failing != b.failing {
            let list = |f: &Vec<String>| {
                if f.is_empty() {
                    "passed every check".to_string()
                } else {
                    format!("failed: {}", f.join(", "))
                }
            };
            out.push(format!(
                "{} {}, now {}",
                a.member,
                list(&a.failing),
                list(&b.failing)
            ));
        }
    }
    out
}
