//! Which REST request an operation sends, to which member, and the
//! equivalent patronictl command for doing it by hand.

use super::rest_call::{Method, Request};
use super::Operation;
use crate::model::view::cluster_view;
use crate::model::ClusterState;
use crate::sources::rest;

pub(crate) fn api_of(c: &ClusterState, member: &str) -> Option<String> {
    c.dcs
        .members
        .get(member)?
        .value
        .ok()?
        .api_url
        .as_deref()
        .map(rest::base_url)
}

/// The patronictl command that does the same thing.
pub fn patronictl_equivalent(op: &Operation, by_hand: &super::rest_call::ByHand) -> String {
    let ctl = by_hand.patronictl();
    let line = match op {
        Operation::Switchover {
            cluster,
            leader,
            candidate,
            scheduled_at,
        } => format!(
            "{ctl} switchover {cluster}{}{}{} --force",
            leader
                .as_ref()
                .map(|l| format!(" --leader {l}"))
                .unwrap_or_default(),
            candidate
                .as_ref()
                .map(|c| format!(" --candidate {c}"))
                .unwrap_or_default(),
            scheduled_at
                .as_ref()
                .map(|s| format!(" --scheduled {s}"))
                .unwrap_or_default()
        ),
        Operation::CancelSwitchover { cluster } => {
            format!("{ctl} flush {cluster} switchover --force")
        }
        Operation::Failover {
            cluster, candidate, ..
        } => format!("{ctl} failover {cluster} --candidate {candidate} --force"),
        Operation::Restart {
            cluster,
            member,
            pending_only,
            scheduled_at,
            timeout_secs,
        } => format!(
            "{ctl} restart {cluster} {member}{}{}{} --force",
            if *pending_only { " --pending" } else { "" },
            scheduled_at
                .as_ref()
                .map(|s| format!(" --scheduled {s}"))
                .unwrap_or_default(),
            timeout_secs
                .map(|t| format!(" --timeout {t}"))
                .unwrap_or_default()
        ),
        Operation::CancelRestart { cluster, member } => {
            format!("{ctl} flush {cluster} {member} restart --force")
        }
        Operation::Reload { cluster, member } => {
            format!("{ctl} reload {cluster} {member} --force")
        }
        Operation::Reinit {
            cluster,
            member,
            from_leader,
        } => format!(
            "{ctl} reinit {cluster} {member}{} --force",
            if *from_leader { " --from-leader" } else { "" }
        ),
        Operation::DemoteCluster {
            cluster,
            host,
            port,
            restore_command,
            primary_slot_name,
        } => {
            let mut s = format!("{ctl} demote-cluster {cluster}");
            if let Some(h) = host {
                s += &format!(" --host {h}");
            }
            if let Some(p) = port {
                s += &format!(" --port {p}");
            }
            if let Some(r) = restore_command {
                s += &format!(" --restore-command '{r}'");
            }
            if let Some(n) = primary_slot_name {
                s += &format!(" --primary-slot-name {n}");
            }
            s + " --force"
        }
        Operation::PromoteCluster { cluster } => {
            format!("{ctl} promote-cluster {cluster} --force")
        }
        Operation::Pause { cluster } => format!("{ctl} pause {cluster} --wait"),
        Operation::Resume { cluster } => format!("{ctl} resume {cluster} --wait"),
        Operation::Backup { backup_type, .. } => format!(
            "pgbackrest --stanza=STANZA --type={} backup   # on the leader, as the PostgreSQL user",
            backup_type.label()
        ),
        Operation::Restore { target, .. } => format!(
            "{ctl} pause {0} --wait; then on the leader: stop Patroni, pg_ctl stop -m fast, pgbackrest --stanza=STANZA --delta --type={1} … --target-action=promote restore, pg_ctl start; start Patroni; {ctl} resume {0}; {ctl} reinit each replica   # the plan (--dry-run) lists every command",
            op.cluster(),
            target.pgbackrest_type()
        ),
    };
    line
}

/// The registered agent of the leader, which runs the cluster's jobs.
fn leader_agent<'a>(
    c: &'a ClusterState,
    leader: Option<&str>,
) -> Result<&'a crate::model::agent::AgentReg, String> {
    let leader = leader.ok_or("the cluster has no leader")?;
    c.agents
        .get(leader)
        .filter(|a| !a.url.is_empty())
        .ok_or_else(|| format!("{leader} has no registered pgtui agent"))
}

/// The REST request for `op`, sent to the member that should take it.
pub fn request_for(op: &Operation, c: &ClusterState) -> Result<Request, String> {
    let v = cluster_view(c);
    let leader_api = || {
        v.leader
            .as_deref()
            .and_then(|l| api_of(c, l))
            .ok_or_else(|| "no leader with a REST address".to_string())
    };
    let member_api = |m: &str| api_of(c, m).ok_or_else(|| format!("{m} publishes no REST address"));
    // Any member takes PATCH /config. The leader's REST API comes first
    // when it last answered; else any member's that did: pausing or
    // resuming must work while the leader's Patroni is down (a failed
    // restore's way back keeps it stopped, and in pause its leader key
    // outlives it until the TTL).
    let answered = |m: &str| match (c.rest.get(m), c.rest_errors.get(m)) {
        (Some(ok), Some((failed, _))) => ok.at > *failed,
        (Some(_), None) => true,
        _ => false,
    };
    let config_api = || {
        v.leader
            .iter()
            .chain(v.members.iter().map(|m| &m.name))
            .find(|m| answered(m))
            .and_then(|m| api_of(c, m))
            .map(Ok)
            .unwrap_or_else(leader_api)
    };
    let (method, base, path, body) = match op {
        Operation::Switchover {
            leader,
            candidate,
            scheduled_at,
            ..
        } => {
            let mut b = serde_json::json!({ "leader": leader.clone().or(v.leader.clone()) });
            if let Some(c) = candidate {
                b["candidate"] = c.clone().into();
            }
            if let Some(s) = scheduled_at {
                b["scheduled_at"] = s.clone().into();
            }
            (Method::Post, leader_api()?, "/switchover", Some(b))
        }
        Operation::CancelSwitchover { .. } => (Method::Delete, leader_api()?, "/switchover", None),
        // Sent to the candidate: the leader may be the thing that is broken.
        Operation::Failover { candidate, .. } => (
            Method::Post,
            member_api(candidate)?,
            "/failover",
            Some(serde_json::json!({ "candidate": candidate })),
        ),
        Operation::Restart {
            member,
            pending_only,
            scheduled_at,
            timeout_secs,
            ..
        } => {
            let mut b = serde_json::json!({});
            if *pending_only {
                b["restart_pending"] = true.into();
            }
            if let Some(s) = scheduled_at {
                b["schedule"] = s.clone().into();
            }
            if let Some(t) = timeout_secs {
                b["timeout"] = (*t).into();
            }
            (Method::Post, member_api(member)?, "/restart", Some(b))
        }
        Operation::CancelRestart { member, .. } => {
            (Method::Delete, member_api(member)?, "/restart", None)
        }
        Operation::Reload { member, .. } => (Method::Post, member_api(member)?, "/reload", None),
        Operation::Reinit {
            member,
            from_leader,
            ..
        } => (
            Method::Post,
            member_api(member)?,
            "/reinitialize",
            Some(serde_json::json!({ "force": false, "from_leader": from_leader })),
        ),
        Operation::DemoteCluster {
            host,
            port,
            restore_command,
            primary_slot_name,
            ..
        } => {
            let mut sc = serde_json::Map::new();
            if let Some(h) = host {
                sc.insert("host".into(), h.clone().into());
            }
            if let Some(p) = port {
                sc.insert("port".into(), (*p).into());
            }
            if let Some(r) = restore_command {
                sc.insert("restore_command".into(), r.clone().into());
            }
            if let Some(n) = primary_slot_name {
                sc.insert("primary_slot_name".into(), n.clone().into());
            }
            (
                Method::Patch,
                leader_api()?,
                "/config",
                Some(serde_json::json!({ "standby_cluster": sc })),
            )
        }
        // `null` deletes the key in Patroni's config merge.
        Operation::PromoteCluster { .. } => (
            Method::Patch,
            leader_api()?,
            "/config",
            Some(serde_json::json!({ "standby_cluster": null })),
        ),
        Operation::Pause { .. } => (
            Method::Patch,
            config_api()?,
            "/config",
            Some(serde_json::json!({ "pause": true })),
        ),
        Operation::Resume { .. } => (
            Method::Patch,
            config_api()?,
            "/config",
            Some(serde_json::json!({ "pause": false })),
        ),
        Operation::Restore {
            target,
            set,
            backup_after,
            ..
        } => {
            let now = crate::model::backup::report::epoch_secs(std::time::SystemTime::now());
            let p = super::restore_plan::plan(c, target, set.as_deref(), now);
            let agent = leader_agent(c, p.node.as_deref())?;
            (
                Method::Post,
                agent.url.clone(),
                "/v1/jobs",
                Some(serde_json::json!({
                    "kind": "restore",
                    "target": target,
                    "set": p.set,
                    "target_utc": p.target_utc,
                    "backup_after": backup_after,
                })),
            )
        }
        // To the leader's node agent, which runs it as a job.
        Operation::Backup { backup_type, .. } => {
            let agent = leader_agent(c, v.leader.as_deref())?;
            (
                Method::Post,
                agent.url.clone(),
                "/v1/jobs",
                Some(serde_json::json!({ "kind": "backup", "backup_type": backup_type.label() })),
            )
        }
    };
    Ok(Request {
        method,
        url: format!("{base}{path}"),
        body,
    })
}
