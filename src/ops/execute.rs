//! Running an operation: linearizable read, preflight, audit, one request,
//! then following the cluster to a verified end state (or UNKNOWN).

use super::audit::{self, Basis, Record};
use super::preflight::{preflight, Preflight};
use super::rest_call::{explain, send, Reply, Request};
use super::{Operation, Outcome};
use crate::cli::session::Session;
use crate::dcs::parse_key;
use crate::model::view::{cluster_view, role};
use crate::model::{ClusterState, SourceId};
use crate::sources::{etcd, rest};
use serde::Serialize;
use std::time::{Duration, Instant, SystemTime};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: String,
    pub operation: Operation,
    pub outcome: Outcome,
    pub message: String,
    pub preflight: Preflight,
    pub request: Option<Request>,
    pub patronictl: String,
    pub before: Basis,
    pub after: Option<Basis>,
    pub elapsed_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("cannot read cluster {cluster} from etcd before acting: {reason}; nothing was sent")]
    Read { cluster: String, reason: String },
    #[error("cannot write the audit log {path}: {reason}; nothing was sent")]
    Audit { path: String, reason: String },
}

/// A linearizable read of the cluster's keys, with the live REST/SQL data
/// the session already has.
pub async fn fresh_state(session: &Session, cluster: &str) -> Result<(ClusterState, i64), OpError> {
    let err = |reason: String| OpError::Read {
        cluster: cluster.into(),
        reason,
    };
    let cfg = &session.config.etcd;
    let mut client = etcd::connect(cfg).await.map_err(|e| err(e.to_string()))?;
    let prefix = format!("{}{cluster}/", session.config.namespace);
    let (rev, kvs) = etcd::list(&mut client, cfg, &prefix)
        .await
        .map_err(|e| err(e.to_string()))?;
    // Positions for lag come from a REST round made now, so the preflight
    // judges the candidate's lag as it is, not as of the last poll.
    let scope = crate::sources::Scope::only(vec![cluster.to_string()]);
    if let Ok(http) = rest::client(&session.config.rest) {
        rest::poll_once(&http, &session.config.rest, &scope, &session.model).await;
    }
    let mut c = session
        .model
        .read(|m| m.clusters.get(cluster).cloned())
        .unwrap_or_else(|| ClusterState::new(cluster));
    let known = std::mem::take(&mut c.dcs);
    let now = SystemTime::now();
    for (k, v, mr) in &kvs {
        if let Some(p) = parse_key(&session.config.namespace, k) {
            c.dcs.apply(&p.kind, Some(v), *mr, SourceId::Etcd, now);
        }
    }
    // An unchanged key keeps the time it was first seen: Patroni wrote it
    // then, and treating it as new would let a loop-old position outrank
    // the REST round above.
    for (name, e) in c.dcs.members.iter_mut() {
        if let Some(old) = known
            .members
            .get(name)
            .filter(|o| o.mod_revision == e.mod_revision)
        {
            e.at = old.at;
        }
    }
    if let (Some(e), Some(old)) = (c.dcs.status.as_mut(), known.status.as_ref()) {
        if old.mod_revision == e.mod_revision {
            e.at = old.at;
        }
    }
    Ok((c, rev))
}

fn basis(c: &ClusterState, revision: i64) -> Basis {
    let v = cluster_view(c);
    Basis {
        revision,
        leader: v.leader,
        timeline: v.timeline,
        paused: v.paused,
    }
}

fn api_of(c: &ClusterState, member: &str) -> Option<String> {
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
pub fn patronictl_equivalent(op: &Operation) -> String {
    match op {
        Operation::Switchover {
            cluster,
            leader,
            candidate,
            scheduled_at,
        } => format!(
            "patronictl switchover {cluster}{}{}{} --force",
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
            format!("patronictl flush {cluster} switchover --force")
        }
        Operation::Failover {
            cluster, candidate, ..
        } => format!("patronictl failover {cluster} --candidate {candidate} --force"),
        Operation::Restart {
            cluster,
            member,
            pending_only,
            scheduled_at,
            timeout_secs,
        } => format!(
            "patronictl restart {cluster} {member}{}{}{} --force",
            if *pending_only { " --pending" } else { "" },
            scheduled_at
                .as_ref()
                .map(|s| format!(" --scheduled {s}"))
                .unwrap_or_default(),
            timeout_secs
                .map(|t| format!(" --timeout {t}"))
                .unwrap_or_default()
        ),
        Operation::Reload { cluster, member } => {
            format!("patronictl reload {cluster} {member} --force")
        }
        Operation::Reinit {
            cluster,
            member,
            from_leader,
        } => format!(
            "patronictl reinit {cluster} {member}{} --force",
            if *from_leader { " --from-leader" } else { "" }
        ),
        Operation::Pause { cluster } => format!("patronictl pause {cluster} --wait"),
        Operation::Resume { cluster } => format!("patronictl resume {cluster} --wait"),
    }
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
            ("POST", leader_api()?, "/switchover", Some(b))
        }
        Operation::CancelSwitchover { .. } => ("DELETE", leader_api()?, "/switchover", None),
        // Sent to the candidate: the leader may be the thing that is broken.
        Operation::Failover { candidate, .. } => (
            "POST",
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
            ("POST", member_api(member)?, "/restart", Some(b))
        }
        Operation::Reload { member, .. } => ("POST", member_api(member)?, "/reload", None),
        Operation::Reinit {
            member,
            from_leader,
            ..
        } => (
            "POST",
            member_api(member)?,
            "/reinitialize",
            Some(serde_json::json!({ "force": false, "from_leader": from_leader })),
        ),
        Operation::Pause { .. } => (
            "PATCH",
            leader_api()?,
            "/config",
            Some(serde_json::json!({ "pause": true })),
        ),
        Operation::Resume { .. } => (
            "PATCH",
            leader_api()?,
            "/config",
            Some(serde_json::json!({ "pause": false })),
        ),
    };
    Ok(Request {
        method: method.into(),
        url: format!("{base}{path}"),
        body,
    })
}

/// How long to follow before calling it UNKNOWN: ttl + 2×loop_wait, plus
/// what the operation itself takes.
fn follow_bound(op: &Operation, c: &ClusterState) -> Duration {
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

/// Whether the end state of `op` holds in `c` (given the state before).
fn reached(op: &Operation, before: &ClusterState, c: &ClusterState) -> bool {
    let v = cluster_view(c);
    let prev = cluster_view(before);
    let rest_role = |m: &str| {
        c.rest
            .get(m)
            .and_then(|r| r.value.role.clone())
            .unwrap_or_default()
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
            moved
                && matches!(rest_role(&new).as_str(), "master" | "primary")
                && history_len(c) > history_len(before)
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
            let started = |s: &ClusterState| {
                s.rest
                    .get(member)
                    .and_then(|r| r.value.postmaster_start_time.clone())
            };
            started(c).is_some()
                && started(c) != started(before)
                && v.members.iter().any(|m| {
                    &m.name == member && matches!(m.state.as_str(), "running" | "streaming")
                })
        }
        Operation::Reload { member, .. } => c.rest.contains_key(member),
        Operation::Reinit { member, .. } => {
            // A fresh postmaster proves the data directory was rebuilt; the
            // member must then stream on the leader's timeline.
            let started = |s: &ClusterState| {
                s.rest
                    .get(member)
                    .and_then(|r| r.value.postmaster_start_time.clone())
            };
            started(c).is_some()
                && started(c) != started(before)
                && v.members.iter().any(|m| {
                    &m.name == member
                        && matches!(m.state.as_str(), "running" | "streaming")
                        && m.role != role::LEADER
                        && m.timeline == v.timeline
                        && m.receive_lag_bytes.is_some()
                })
        }
        Operation::Pause { .. } | Operation::Resume { .. } => {
            let want = matches!(op, Operation::Pause { .. });
            v.paused == want
                && v.members
                    .iter()
                    .all(|m| c.rest.get(&m.name).is_some_and(|r| r.value.pause == want))
        }
    }
}

pub struct Options {
    pub dry_run: bool,
}

/// Runs one operation to its end. Progress lines go to `progress`.
pub async fn run(
    op: Operation,
    session: &Session,
    opts: Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Report, OpError> {
    let started = Instant::now();
    let id = format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    );
    let (state, revision) = fresh_state(session, op.cluster()).await?;
    let before = basis(&state, revision);
    let pf = preflight(&op, &state, SystemTime::now());
    let patronictl = patronictl_equivalent(&op);
    let mut report = Report {
        id: id.clone(),
        operation: op.clone(),
        outcome: Outcome::Refused,
        message: String::new(),
        preflight: pf.clone(),
        request: None,
        patronictl,
        before: before.clone(),
        after: None,
        elapsed_ms: 0,
    };
    let (user, host) = audit::whoami();
    let record = |phase: &'static str,
                  outcome: Option<Outcome>,
                  message: Option<&str>,
                  result: Option<&Basis>|
     -> Result<(), OpError> {
        let rec = Record {
            id: &id,
            phase,
            at: audit::now_rfc3339(),
            user: user.clone(),
            host: host.clone(),
            cluster: op.cluster(),
            operation: &op,
            basis: &before,
            outcome,
            message,
            result,
        };
        audit::append(&rec).map_err(|e| OpError::Audit {
            path: audit::path().display().to_string(),
            reason: e.to_string(),
        })
    };
    if pf.refused() {
        report.message = format!("refused: {}", pf.refusals.join("; "));
        record(
            "refused",
            Some(Outcome::Refused),
            Some(&report.message),
            None,
        )?;
        return Ok(finish(report, started));
    }
    let req = match request_for(&op, &state) {
        Ok(r) => r,
        Err(e) => {
            report.message = format!("refused: {e}");
            record(
                "refused",
                Some(Outcome::Refused),
                Some(&report.message),
                None,
            )?;
            return Ok(finish(report, started));
        }
    };
    report.request = Some(req.clone());
    if opts.dry_run {
        report.outcome = Outcome::DryRun;
        report.message = "dry run: nothing was sent".into();
        return Ok(finish(report, started));
    }
    record("started", None, None, None)?;
    progress(&format!(
        "{} {} {}",
        req.method,
        req.url,
        req.body.as_ref().map(|b| b.to_string()).unwrap_or_default()
    ));
    let http = rest::client(&RestConfigTimeout::long(&session.config.rest)).map_err(|e| {
        OpError::Read {
            cluster: op.cluster().into(),
            reason: e.to_string(),
        }
    })?;
    let reply = send(&http, &session.config.rest, &req).await;
    let (outcome, message) = match &reply {
        Reply::NotSent { reason } => (
            Outcome::Rejected,
            format!(
                "could not reach Patroni at {}: {reason}; nothing happened",
                req.url
            ),
        ),
        Reply::Answered { status, body } if (200..300).contains(status) => {
            progress(&format!("Patroni: {}", explain(*status, body)));
            if *status == 202
                && matches!(
                    op,
                    Operation::Switchover {
                        scheduled_at: Some(_),
                        ..
                    } | Operation::Restart {
                        scheduled_at: Some(_),
                        ..
                    }
                )
            {
                follow(
                    &op,
                    &state,
                    session,
                    Duration::from_secs(15),
                    progress,
                    Outcome::Scheduled,
                )
                .await
            } else {
                follow(
                    &op,
                    &state,
                    session,
                    follow_bound(&op, &state),
                    progress,
                    Outcome::Verified,
                )
                .await
            }
        }
        Reply::Answered { status: 503, body } if body.to_lowercase().contains("unknown") => {
            progress("Patroni does not know the outcome; following the cluster");
            let (o, m) = follow(
                &op,
                &state,
                session,
                follow_bound(&op, &state),
                progress,
                Outcome::Verified,
            )
            .await;
            if o == Outcome::Verified {
                (o, m)
            } else {
                (Outcome::Unknown, format!("{}; {m}", explain(503, body)))
            }
        }
        Reply::Answered { status, body } => (
            Outcome::Rejected,
            format!("Patroni rejected it: {}", explain(*status, body)),
        ),
        Reply::TimedOut { after_ms } => {
            progress("no answer in time; following the cluster (the request is not resent)");
            let (o, m) = follow(
                &op,
                &state,
                session,
                follow_bound(&op, &state),
                progress,
                Outcome::Verified,
            )
            .await;
            if o == Outcome::Verified {
                (o, m)
            } else {
                (
                    Outcome::Unknown,
                    format!("no answer after {after_ms} ms and {m}"),
                )
            }
        }
    };
    let after = fresh_state(session, op.cluster())
        .await
        .ok()
        .map(|(c, r)| basis(&c, r));
    report.outcome = outcome;
    report.message = message;
    report.after = after.clone();
    record(
        "finished",
        Some(outcome),
        Some(&report.message),
        after.as_ref(),
    )?;
    Ok(finish(report, started))
}

fn finish(mut r: Report, started: Instant) -> Report {
    r.elapsed_ms = started.elapsed().as_millis() as u64;
    r
}

/// A REST config with a timeout long enough for Patroni's synchronous
/// endpoints (a switchover answers when it is done, up to ~30 s).
struct RestConfigTimeout;

impl RestConfigTimeout {
    fn long(cfg: &crate::config::RestConfig) -> crate::config::RestConfig {
        crate::config::RestConfig {
            timeout: cfg.timeout.max(Duration::from_secs(60)),
            ..cfg.clone()
        }
    }
}

/// Polls the session's model until `reached` holds twice in a row, or the
/// bound passes.
async fn follow(
    op: &Operation,
    before: &ClusterState,
    session: &Session,
    bound: Duration,
    progress: &mut dyn FnMut(&str),
    success: Outcome,
) -> (Outcome, String) {
    let end = Instant::now() + bound;
    let mut seen = 0;
    let mut last_state = String::new();
    while Instant::now() < end {
        let now = session
            .model
            .read(|m| m.clusters.get(op.cluster()).cloned());
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
                    return (success, format!("verified: {last_state}"));
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
