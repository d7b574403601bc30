//! Preflight: a pure function from the model to refusals and warnings.
//!
//! The rules mirror what Patroni itself checks server-side (and what the
//! field has learnt the hard way), so the DBA reads the reason before any
//! request is sent. Candidates get a scorecard (`scorecard.rs`): each rule,
//! passed or not. Each refusal has a kind ([`RefusalKind`]), so a caller
//! acts on what it is, not on its words.

use super::Operation;
use crate::model::view::{cluster_view, ClusterView};
use crate::model::{ClusterState, Role};
use serde::Serialize;
use std::time::SystemTime;

pub use super::expected::{changes, expectation, Expected, Target};
pub use super::refusal::{Refusal, RefusalKind};
pub use super::restart_scope::{restart_targets, RoleFilter};
use super::scorecard::SYNC_RULE;
pub use super::scorecard::{score, scorecards, Check, Scorecard, DEFAULT_MAX_LAG};

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Preflight {
    pub refusals: Vec<Refusal>,
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

    /// Whether a refusal of this kind is among them.
    pub fn refused_for(&self, kind: RefusalKind) -> bool {
        self.refusals.iter().any(|r| r.kind == kind)
    }

    /// Every refusal's words, in one line.
    pub fn why(&self) -> String {
        let words: Vec<&str> = self.refusals.iter().map(|r| r.message.as_str()).collect();
        words.join("; ")
    }

    fn refuse(&mut self, message: impl Into<String>) {
        self.refusals.push(Refusal::rule(message));
    }

    fn not_member(&mut self, message: String, name: &str) {
        self.refusals
            .push(Refusal::new(RefusalKind::NotAMember, message));
        self.unknown_members.push(name.to_string());
    }
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
        Err(e) => pf.refuse(e),
        Ok(t) if t <= chrono::DateTime::<chrono::Utc>::from(now) => {
            pf.refuse(format!("scheduled time {} is in the past", t.to_rfc3339()))
        }
        Ok(t) => pf.plan.push(format!("at {} (UTC)", t.to_rfc3339())),
    }
    if paused {
        pf.refuse(format!(
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
        pf.not_member(
            format!("candidate {candidate} is not a member of {}", v.name),
            candidate,
        );
        return;
    };
    for check in score(c, v, m).checks.into_iter().filter(|x| !x.ok) {
        if check.rule == SYNC_RULE && failover && allow_async {
            pf.warnings
                .push(format!("{} (acknowledged: --allow-async)", check.message));
        } else if check.rule == SYNC_RULE && failover {
            pf.refusals.push(Refusal::new(
                RefusalKind::AsyncCandidate,
                format!(
                    "{}: pass --allow-async (Ctrl-A in the console) to accept that",
                    check.message
                ),
            ));
        } else {
            pf.refuse(check.message);
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
                (None, _) => pf.refuse(format!(
                    "{} has no leader: a switchover needs one; use failover",
                    v.name
                )),
                (Some(l), Some(g)) if l != g => pf.refuse(format!(
                    "leader name does not match: {g} was given, the leader is {l}"
                )),
                _ => {}
            }
            match candidate {
                Some(cand) => candidate_rules(&mut pf, c, &v, cand, false, false),
                None if !scorecards(c).iter().any(Scorecard::eligible) => {
                    pf.refuse("no member is eligible to become leader (see the scorecard)")
                }
                None => {}
            }
            if let Some(at) = scheduled_at {
                schedule_rules(&mut pf, at, now, v.paused, "switchover");
            }
            if v.scheduled_switchover.is_some() {
                pf.refuse(
                    "a switchover is already scheduled; cancel it first (pgtui flush switchover)",
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
                pf.refuse("no switchover is scheduled");
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
            None => pf.not_member(format!("{name} is not a member of {}", v.name), name),
            Some(m) => {
                if *pending_only && !m.pending_restart {
                    pf.warnings
                        .push(format!("{name} has no pending restart: nothing to do"));
                }
                if let Some(at) = scheduled_at {
                    schedule_rules(&mut pf, at, now, v.paused, "restart");
                    if m.scheduled_restart.is_some() {
                        pf.refuse(format!(
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
            None => pf.not_member(format!("{name} is not a member of {}", v.name), name),
            Some(m) if m.scheduled_restart.is_none() => {
                pf.refuse(format!("no restart is scheduled on {name}"))
            }
            Some(m) => pf.plan.push(format!(
                "cancel the restart of {name} scheduled at {}",
                m.scheduled_restart.as_deref().unwrap_or("?")
            )),
        },
        Operation::Reload { member: name, .. } => match member(name) {
            None => pf.not_member(format!("{name} is not a member of {}", v.name), name),
            Some(_) => pf.plan.push(format!("reload the configuration of {name}")),
        },
        Operation::Reinit {
            member: name,
            from_leader,
            ..
        } => match member(name) {
            None => pf.not_member(format!("{name} is not a member of {}", v.name), name),
            Some(m) if m.role.leads() => pf.refuse(format!(
                "{name} is the leader: reinitialising it would destroy the cluster's only primary"
            )),
            Some(m) if m.state.is_being_built() => pf.refuse(format!(
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
                None => pf.refuse(format!(
                    "{} has no leader: demotion is not possible",
                    v.name
                )),
                Some(m) if m.role == Role::StandbyLeader => {
                    pf.refuse(format!("{} is already a standby cluster", v.name))
                }
                Some(_) => {}
            }
            if host.is_none() && port.is_none() && restore_command.is_none() {
                pf.refuse(
                    "say where the standby cluster gets WAL from: --host, --port or --restore-command",
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
                None => pf.refuse(format!(
                    "{} has no leader: promotion is not possible",
                    v.name
                )),
                Some(m) if m.role != Role::StandbyLeader => {
                    pf.refuse(format!("{} is already a primary cluster", v.name))
                }
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
        Operation::Backup { .. } => super::agent_job::preflight(&mut pf, c, op),
        Operation::Restore {
            target,
            set,
            backup_after,
            ..
        } => {
            let at = crate::model::backup::report::epoch_secs(now);
            pf = super::restore_plan::plan(c, target, set.as_deref(), at).preflight;
            if !backup_after {
                for p in pf.plan.iter_mut() {
                    *p = p.replace(", take a new full backup", ", no new backup (not asked)");
                }
            }
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
            pf.refuse(format!(
                "{what} needs Patroni 4.1 or later on every member; {} runs {}",
                m.name,
                version.as_deref().unwrap_or("an unknown version")
            ));
        }
    }
}
