//! Preflight: a pure function from the model to refusals and warnings.
//!
//! The rules mirror what Patroni itself checks server-side (and what the
//! field has learnt the hard way), so the DBA reads the reason before any
//! request is sent. Candidates get a scorecard: each rule, passed or not.

use super::Operation;
use crate::model::view::{cluster_view, ClusterView, MemberView};
use crate::model::{ClusterState, Role};
use serde::Serialize;
use std::time::SystemTime;

pub use super::expected::{changes, expectation, Expected, Target};
pub use super::restart_scope::{restart_targets, RoleFilter};

/// Patroni's default `maximum_lag_on_failover` (bytes).
pub const DEFAULT_MAX_LAG: u64 = 1_048_576;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub rule: &'static str,
    pub ok: bool,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Preflight {
    pub refusals: Vec<String>,
    /// Members the operation names that the cluster does not have: the
    /// refusal is "not found" (exit 3), as for every other command.
    pub unknown_members: Vec<String>,
    pub warnings: Vec<String>,
    /// What will happen, in words.
    pub plan: Vec<String>,
}

impl Preflight {
    pub fn refused(&self) -> bool {
        !self.refusals.is_empty()
    }

    fn not_member(&mut self, name: &str, cluster: &str) {
        self.refusals
            .push(format!("{name} is not a member of {cluster}"));
        self.unknown_members.push(name.to_string());
    }
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
    match c.dcs.config_value().and_then(|v| v.get("synchronous_mode")) {
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
            rule: "sync standby (synchronous mode)",
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

/// RFC 3339 with an explicit zone; returns the instant.
pub fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| {
            format!(
                "{s:?} is not a time with a timezone: use RFC 3339, e.g. 2026-11-22T03:00:00+00:00"
            )
        })
}

/// A scheduled time: with a timezone, in the future, shown in UTC, and
/// not while paused (Patroni refuses both schedules then).
fn schedule_rules(pf: &mut Preflight, at: &str, now: SystemTime, paused: bool, what: &str) {
    match parse_time(at) {
        Err(e) => pf.refusals.push(e),
        Ok(t) if t <= chrono::DateTime::<chrono::Utc>::from(now) => pf
            .refusals
            .push(format!("scheduled time {} is in the past", t.to_rfc3339())),
        Ok(t) => pf.plan.push(format!("at {} (UTC)", t.to_rfc3339())),
    }
    if paused {
        pf.refusals.push(format!(
            "cannot schedule a {what} while the cluster is paused (maintenance mode)"
        ));
    }
}

fn candidate_rules(
    pf: &mut Preflight,
    c: &ClusterState,
    v: &ClusterView,
    candidate: &str,
    failover: bool,
    allow_async: bool,
) {
    let Some(m) = v.members.iter().find(|m| m.name == candidate) else {
        pf.refusals.push(format!(
            "candidate {candidate} is not a member of {}",
            v.name
        ));
        pf.unknown_members.push(candidate.to_string());
        return;
    };
    for check in score(c, v, m).checks.into_iter().filter(|x| !x.ok) {
        if check.rule == "sync standby (synchronous mode)" && failover && allow_async {
            pf.warnings
                .push(format!("{} (acknowledged: --allow-async)", check.message));
        } else if check.rule == "sync standby (synchronous mode)" && failover {
            pf.refusals.push(format!(
                "{}: pass --allow-async (Ctrl-A in the console) to accept that",
                check.message
            ));
        } else {
            pf.refusals.push(check.message);
        }
    }
}

/// The preflight of `op` against the cluster as it is now.
pub fn preflight(op: &Operation, c: &ClusterState, now: SystemTime) -> Preflight {
    let v = cluster_view(c);
    let mut pf = Preflight::default();
    let leader = v.leader.clone();
    let member = |name: &str| v.members.iter().find(|m| m.name == name);
    match op {
        Operation::Switchover {
            leader: given,
            candidate,
            scheduled_at,
            ..
        } => {
            match (&leader, given) {
                (None, _) => pf.refusals.push(format!(
                    "{} has no leader: a switchover needs one; use failover",
                    v.name
                )),
                (Some(l), Some(g)) if l != g => pf.refusals.push(format!(
                    "leader name does not match: {g} was given, the leader is {l}"
                )),
                _ => {}
            }
            match candidate {
                Some(cand) => candidate_rules(&mut pf, c, &v, cand, false, false),
                None if !scorecards(c).iter().any(Scorecard::eligible) => pf
                    .refusals
                    .push("no member is eligible to become leader (see the scorecard)".into()),
                None => {}
            }
            if let Some(at) = scheduled_at {
                schedule_rules(&mut pf, at, now, v.paused, "switchover");
            }
            if v.scheduled_switchover.is_some() {
                pf.refusals.push(
                    "a switchover is already scheduled; cancel it first (pgtui flush switchover)"
                        .into(),
                );
            }
            pf.plan.insert(
                0,
                format!(
                    "switch leadership from {} to {}",
                    leader.as_deref().unwrap_or("?"),
                    candidate
                        .as_deref()
                        .unwrap_or("the healthiest replica (Patroni picks)")
                ),
            );
        }
        Operation::CancelSwitchover { .. } => {
            if v.scheduled_switchover.is_none() {
                pf.refusals.push("no switchover is scheduled".into());
            }
            pf.plan.push("cancel the scheduled switchover".into());
        }
        Operation::Failover {
            candidate,
            allow_async,
            ..
        } => {
            candidate_rules(&mut pf, c, &v, candidate, true, *allow_async);
            if let Some(l) = &leader {
                if member(l).is_some_and(|m| m.state.is_up()) {
                    pf.warnings.push(format!(
                        "the leader {l} is running: a switchover is the safer choice"
                    ));
                }
            }
            pf.plan.push(format!(
                "promote {candidate} now{}",
                leader
                    .as_deref()
                    .map(|l| format!(", demoting {l}"))
                    .unwrap_or_default()
            ));
        }
        Operation::Restart {
            member: name,
            pending_only,
            scheduled_at,
            ..
        } => match member(name) {
            None => pf.not_member(name, &v.name),
            Some(m) => {
                if *pending_only && !m.pending_restart {
                    pf.warnings
                        .push(format!("{name} has no pending restart: nothing to do"));
                }
                if let Some(at) = scheduled_at {
                    schedule_rules(&mut pf, at, now, v.paused, "restart");
                    if m.scheduled_restart.is_some() {
                        pf.refusals.push(format!(
                            "a restart is already scheduled on {name}; cancel it first (pgtui flush {} {name} restart)",
                            v.name
                        ));
                    }
                }
                pf.plan.push(format!(
                    "restart PostgreSQL on {name} ({}){}",
                    m.role,
                    if m.role.leads() {
                        ": clients of the leader are disconnected"
                    } else {
                        ""
                    }
                ));
            }
        },
        Operation::CancelRestart { member: name, .. } => match member(name) {
            None => pf.not_member(name, &v.name),
            Some(m) if m.scheduled_restart.is_none() => pf
                .refusals
                .push(format!("no restart is scheduled on {name}")),
            Some(m) => pf.plan.push(format!(
                "cancel the restart of {name} scheduled at {}",
                m.scheduled_restart.as_deref().unwrap_or("?")
            )),
        },
        Operation::Reload { member: name, .. } => match member(name) {
            None => pf.not_member(name, &v.name),
            Some(_) => pf.plan.push(format!("reload the configuration of {name}")),
        },
        Operation::Reinit {
            member: name,
            from_leader,
            ..
        } => match member(name) {
            None => pf.not_member(name, &v.name),
            Some(m) if m.role.leads() => pf.refusals.push(format!(
                "{name} is the leader: reinitialising it would destroy the cluster's only primary"
            )),
            Some(m) if m.state.is_being_built() => pf.refusals.push(format!(
                "a reinit is already running on {name} ({}): two at once have wiped data",
                m.state
            )),
            Some(_) => pf.plan.push(format!(
                "wipe {name}'s data directory and copy it again from {}",
                if *from_leader {
                    "the leader"
                } else {
                    "a replica or the leader (Patroni's choice)"
                }
            )),
        },
        Operation::DemoteCluster {
            host,
            port,
            restore_command,
            ..
        } => {
            patroni_41(&mut pf, c, "demote-cluster");
            match v.members.iter().find(|m| Some(&m.name) == leader.as_ref()) {
                None => pf.refusals.push(format!(
                    "{} has no leader: demotion is not possible",
                    v.name
                )),
                Some(m) if m.role == Role::StandbyLeader => pf
                    .refusals
                    .push(format!("{} is already a standby cluster", v.name)),
                Some(_) => {}
            }
            if host.is_none() && port.is_none() && restore_command.is_none() {
                pf.refusals.push(
                    "say where the standby cluster gets WAL from: --host, --port or --restore-command"
                        .into(),
                );
            }
            pf.warnings.push(format!(
                "{} stops accepting writes: its leader becomes a standby leader",
                v.name
            ));
            pf.plan.push(format!(
                "make {} a standby cluster following {}{}",
                v.name,
                match (host, port) {
                    (None, None) => "no primary (WAL from the archive only)".to_string(),
                    (h, p) => format!(
                        "{}:{}",
                        h.as_deref().unwrap_or("?"),
                        p.map(|p| p.to_string()).unwrap_or("?".into())
                    ),
                },
                restore_command
                    .as_deref()
                    .map(|r| format!(", restoring with {r}"))
                    .unwrap_or_default()
            ));
        }
        Operation::PromoteCluster { .. } => {
            patroni_41(&mut pf, c, "promote-cluster");
            match v.members.iter().find(|m| Some(&m.name) == leader.as_ref()) {
                None => pf.refusals.push(format!(
                    "{} has no leader: promotion is not possible",
                    v.name
                )),
                Some(m) if m.role != Role::StandbyLeader => pf
                    .refusals
                    .push(format!("{} is already a primary cluster", v.name)),
                Some(_) => {}
            }
            pf.warnings.push(format!(
                "if the cluster {} followed still runs as a primary, there will be two primaries",
                v.name
            ));
            pf.plan.push(format!(
                "make {} a primary cluster: its standby leader is promoted",
                v.name
            ));
        }
        Operation::Pause { .. } => {
            if v.paused {
                pf.warnings.push("already paused: nothing to do".into());
            }
            pf.plan.push("pause automatic failover (maintenance mode) and wait until every member reports it".into());
        }
        Operation::Resume { .. } => {
            if !v.paused {
                pf.warnings.push("not paused: nothing to do".into());
            }
            pf.plan
                .push("resume automatic failover and wait until every member reports it".into());
        }
    }
    pf
}

/// demote-cluster and promote-cluster exist from Patroni 4.1 on; every
/// member must run it (from REST, else the DCS member key).
fn patroni_41(pf: &mut Preflight, c: &ClusterState, what: &str) {
    let v = cluster_view(c);
    for m in &v.members {
        let version = c
            .rest
            .get(&m.name)
            .and_then(|r| r.value.patroni.as_ref()?.version.clone())
            .or_else(|| c.dcs.members.get(&m.name)?.value.ok()?.version.clone());
        let ok = version.as_deref().is_some_and(|s| {
            let mut parts = s.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
            (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (4, 1)
        });
        if !ok {
            pf.refusals.push(format!(
                "{what} needs Patroni 4.1 or later on every member; {} runs {}",
                m.name,
                version.as_deref().unwrap_or("an unknown version")
            ));
        }
    }
}
