//! Following the cluster after a request until the operation's end state is
//! seen twice in a row, within a bound derived from Patroni's timings.

use super::context::Ctx;
use super::{Operation, Outcome};
use crate::model::view::cluster_view;
use crate::model::{ClusterState, Role};
use std::time::{Duration, Instant};

/// How long to follow before calling it UNKNOWN: ttl + 2×loop_wait, plus
/// what the operation itself takes.
pub(crate) fn follow_bound(op: &Operation, c: &ClusterState) -> Duration {
    let cfg = c.dcs.config_value();
    let get = |k: &str, d: u64| {
        cfg.and_then(|v| v.get(k))
            .and_then(|v| v.as_u64())
            .unwrap_or(d)
    };
    let base = Duration::from_secs(get("ttl", 30) + 2 * get("loop_wait", 10));
    match op {
        Operation::Reinit { .. } => base + Duration::from_secs(300),
        Operation::Restart { timeout_secs, .. } => {
            base + Duration::from_secs(timeout_secs.unwrap_or(60))
        }
        _ => base + Duration::from_secs(30),
    }
}

/// A new postmaster on `member` since `before` (its start time changed).
fn restarted(before: &ClusterState, c: &ClusterState, member: &str) -> bool {
    let started = |s: &ClusterState| {
        s.rest
            .get(member)
            .and_then(|r| r.value.postmaster_start_time.clone())
    };
    started(c).is_some() && started(c) != started(before)
}

/// Whether the end state of `op` holds in `c` (given the state before).
pub(crate) fn reached(op: &Operation, before: &ClusterState, c: &ClusterState) -> bool {
    let v = cluster_view(c);
    let prev = cluster_view(before);
    let rest_role = |m: &str| {
        c.rest
            .get(m)
            .and_then(|r| r.value.role.as_deref().map(Role::parse))
    };
    let history_len = |s: &ClusterState| {
        s.dcs
            .history
            .as_ref()
            .and_then(|e| e.value.ok().map(Vec::len))
            .unwrap_or(0)
    };
    match op {
        Operation::Switchover {
            scheduled_at: None, ..
        }
        | Operation::Failover { .. } => {
            let target = match op {
                Operation::Failover { candidate, .. } => Some(candidate.clone()),
                Operation::Switchover { candidate, .. } => candidate.clone(),
                _ => None,
            };
            let Some(new) = v.leader.clone() else {
                return false;
            };
            let moved = match target {
                Some(t) => new == t,
                None => Some(&new) != prev.leader.as_ref(),
            };
            moved && rest_role(&new) == Some(Role::Leader) && history_len(c) > history_len(before)
        }
        Operation::Switchover { .. } => v.scheduled_switchover.is_some(),
        Operation::CancelSwitchover { .. } => v.scheduled_switchover.is_none(),
        Operation::Restart {
            member,
            scheduled_at,
            ..
        } => {
            if scheduled_at.is_some() {
                return v
                    .members
                    .iter()
                    .any(|m| &m.name == member && m.scheduled_restart.is_some());
            }
            restarted(before, c, member)
                && v.members
                    .iter()
                    .any(|m| &m.name == member && m.state.is_up())
        }
        Operation::CancelRestart { member, .. } => v
            .members
            .iter()
            .any(|m| &m.name == member && m.scheduled_restart.is_none()),
        Operation::Reload { member, .. } => c.rest.contains_key(member),
        Operation::Reinit { member, .. } => {
            // A fresh postmaster proves the data directory was rebuilt; the
            // member must then stream on the leader's timeline.
            restarted(before, c, member)
                && v.members.iter().any(|m| {
                    &m.name == member
                        && m.state.is_up()
                        && m.role != Role::Leader
                        && m.timeline == v.timeline
                        && m.receive_lag_bytes.is_some()
                })
        }
        Operation::DemoteCluster { .. } | Operation::PromoteCluster { .. } => {
            let want = if matches!(op, Operation::DemoteCluster { .. }) {
                Role::StandbyLeader
            } else {
                Role::Leader
            };
            // patronictl's own test: the leader has the target role and
            // runs; a demotion also keeps the same leader.
            let same = matches!(op, Operation::PromoteCluster { .. }) || v.leader == prev.leader;
            v.members
                .iter()
                .any(|m| Some(&m.name) == v.leader.as_ref() && m.role == want && m.state.is_up())
                && same
        }
        // Followed through its job record (`agent_job::follow`).
        Operation::Backup { .. } | Operation::Restore { .. } => false,
        Operation::Pause { .. } | Operation::Resume { .. } => {
            let want = matches!(op, Operation::Pause { .. });
            v.paused == want
                && v.members
                    .iter()
                    .all(|m| c.rest.get(&m.name).is_some_and(|r| r.value.pause == want))
        }
    }
}

/// After a switchover or failover, how long the VIP may take to follow the
/// new leader (vip-manager checks every second).
const VIP_GRACE: Duration = Duration::from_secs(15);

/// Where a leader change leaves the VIP: `Ok(None)` when there is none,
/// `Ok(Some(words))` when it followed, `Err(words)` while it has not.
fn vip_followed(
    op: &Operation,
    c: &ClusterState,
    namespace: &str,
) -> Result<Option<String>, String> {
    use crate::model::vip::VipVerdict;
    if !matches!(
        op,
        Operation::Switchover {
            scheduled_at: None,
            ..
        } | Operation::Failover { .. }
    ) {
        return Ok(None);
    }
    match crate::model::vip::of_cluster(c, namespace, std::time::SystemTime::now()) {
        VipVerdict::None => Ok(None),
        v @ VipVerdict::Ok { .. } => Ok(Some(v.describe())),
        v => Err(v.describe()),
    }
}

/// Polls the session's model until `reached` holds twice in a row, or the
/// bound passes. Where a VIP is configured, a leader change is verified
/// only once the VIP followed it (within [`VIP_GRACE`]).
pub(crate) async fn follow(
    op: &Operation,
    before: &ClusterState,
    cx: &Ctx<'_>,
    bound: Duration,
    progress: &mut (dyn FnMut(&str) + Send),
    success: Outcome,
) -> (Outcome, String) {
    let end = Instant::now() + bound;
    let mut seen = 0;
    let mut last_state = String::new();
    let namespace = cx.model.read(|m| m.namespace.clone());
    let mut vip_by: Option<Instant> = None;
    while Instant::now() < end {
        let now = cx.model.read(|m| m.clusters.get(op.cluster()).cloned());
        if let Some(c) = now {
            let v = cluster_view(&c);
            let summary = format!(
                "leader {} TL {} | {}",
                v.leader.as_deref().unwrap_or("none"),
                v.timeline.map(|t| t.to_string()).unwrap_or("?".into()),
                v.members
                    .iter()
                    .map(|m| format!("{} {}", m.name, m.state))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if summary != last_state {
                progress(&summary);
                last_state = summary;
            }
            if reached(op, before, &c) {
                seen += 1;
                if seen >= 2 {
                    match vip_followed(op, &c, &namespace) {
                        Ok(None) => return (success, format!("verified: {last_state}")),
                        Ok(Some(vip)) => {
                            return (success, format!("verified: {last_state} | {vip}"))
                        }
                        Err(vip) => {
                            let by = *vip_by.get_or_insert_with(|| Instant::now() + VIP_GRACE);
                            if Instant::now() > by {
                                return (
                                    Outcome::Failed,
                                    format!(
                                        "the leader changed ({last_state}), but within {} s the VIP did not follow: {vip}",
                                        VIP_GRACE.as_secs()
                                    ),
                                );
                            }
                        }
                    }
                }
            } else {
                seen = 0;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    (
        Outcome::Failed,
        format!(
            "the end state was not reached within {}s; last seen: {last_state}",
            bound.as_secs()
        ),
    )
}
