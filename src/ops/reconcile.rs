//! Reconciling operations whose pgtui died mid-way (kill -9, a dropped SSH
//! session, a reboot). The audit log then holds a "started" record with no
//! end; the request may or may not have been sent. The next pgtui judges
//! what really happened from the cluster as it is now, shows it, and
//! appends a "reconciled" record so it is judged once. Nothing is resent.

use super::audit::{self, Basis, OwnedRecord, Phase, Record};
use super::context::Ctx;
use super::{Operation, Outcome};
use crate::model::view::cluster_view;
use crate::model::{ClusterState, Role};

/// A started operation with no end record.
#[derive(Debug, Clone)]
pub struct Orphan {
    pub record: OwnedRecord,
}

/// The pid in an operation id (`<time>-<pid>`).
fn pid_of(id: &str) -> Option<i32> {
    id.rsplit_once('-')?.1.parse().ok()
}

/// Whether the pgtui that started `r` may still be running: on this host,
/// its pid is alive; on another, its operation lock is still held.
fn maybe_alive(r: &OwnedRecord, this_host: &str, lock_held: &dyn Fn(&OwnedRecord) -> bool) -> bool {
    if r.host != this_host {
        return lock_held(r);
    }
    pid_of(&r.id).is_some_and(|p| {
        p == std::process::id() as i32
            || std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "pgtui")
    })
}

/// Started records with no finished or reconciled record, oldest first.
pub fn orphans(
    records: &[OwnedRecord],
    this_host: &str,
    lock_held: &dyn Fn(&OwnedRecord) -> bool,
) -> Vec<Orphan> {
    records
        .iter()
        .filter(|r| r.phase == Phase::Started)
        .filter(|r| {
            !records
                .iter()
                .any(|x| x.id == r.id && !matches!(x.phase, Phase::Started | Phase::Step))
        })
        .filter(|r| !maybe_alive(r, this_host, lock_held))
        .map(|r| Orphan { record: r.clone() })
        .collect()
}

fn parse_started(at: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(at).ok()
}

/// Patroni's `postmaster_start_time`: `2026-11-21 21:13:50.135086+00:00`.
fn postmaster_started(
    c: &ClusterState,
    member: &str,
) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let s = c.rest.get(member)?.value.postmaster_start_time.clone()?;
    chrono::DateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%.f%:z").ok()
}

/// What happened to `o`, judged from the cluster now. Pure.
pub fn judge(o: &Orphan, c: &ClusterState) -> (Outcome, String) {
    let v = cluster_view(c);
    let b: &Basis = &o.record.basis;
    let now_desc = format!(
        "leader {} on TL {}",
        v.leader.as_deref().unwrap_or("none"),
        v.timeline.map(|t| t.to_string()).unwrap_or("?".into())
    );
    let was = format!(
        "was {} on TL {}",
        b.leader.as_deref().unwrap_or("none"),
        b.timeline.map(|t| t.to_string()).unwrap_or("?".into())
    );
    let unchanged = v.leader == b.leader && v.timeline == b.timeline;
    let restarted_since = |m: &str| match (postmaster_started(c, m), parse_started(&o.record.at)) {
        (Some(p), Some(s)) => Some(p > s),
        _ => None,
    };
    let member = |m: &str| v.members.iter().find(|x| x.name == m);
    match &o.record.operation {
        Operation::Backup { .. } | Operation::Restore { .. } => {
            super::agent_job::judge(&o.record.id, c)
        }
        Operation::Switchover {
            scheduled_at: Some(_),
            ..
        } if v.scheduled_switchover.is_some() => (
            Outcome::Scheduled,
            format!("the switchover is scheduled; {now_desc}"),
        ),
        Operation::Switchover {
            candidate: None, ..
        } => {
            if v.leader.is_some() && v.leader != b.leader {
                (
                    Outcome::Verified,
                    format!("it happened: {now_desc} ({was})"),
                )
            } else {
                (
                    Outcome::Failed,
                    format!("it did not happen: {now_desc}, as before"),
                )
            }
        }
        Operation::Switchover {
            candidate: Some(t), ..
        }
        | Operation::Failover { candidate: t, .. } => {
            if v.leader.as_deref() == Some(t.as_str()) && v.timeline > b.timeline {
                (
                    Outcome::Verified,
                    format!("it happened: {now_desc} ({was})"),
                )
            } else if unchanged {
                (
                    Outcome::Failed,
                    format!("it did not happen: {now_desc}, as before"),
                )
            } else {
                (
                    Outcome::Unknown,
                    format!(
                        "the cluster changed, but not as asked: {now_desc} ({was}, candidate {t})"
                    ),
                )
            }
        }
        Operation::CancelSwitchover { .. } => match v.scheduled_switchover {
            None => (Outcome::Verified, "no switchover is scheduled".into()),
            Some(_) => (Outcome::Failed, "the switchover is still scheduled".into()),
        },
        Operation::Pause { .. } | Operation::Resume { .. } => {
            let want = matches!(o.record.operation, Operation::Pause { .. });
            if v.paused == want {
                (
                    Outcome::Verified,
                    format!(
                        "the cluster is {}",
                        if want { "paused" } else { "not paused" }
                    ),
                )
            } else {
                (
                    Outcome::Failed,
                    format!(
                        "the cluster is {}",
                        if v.paused { "paused" } else { "not paused" }
                    ),
                )
            }
        }
        Operation::Restart {
            member: m,
            scheduled_at: Some(_),
            ..
        } => match member(m).and_then(|x| x.scheduled_restart.clone()) {
            Some(at) => (
                Outcome::Scheduled,
                format!("a restart of {m} is scheduled at {at}"),
            ),
            None => match restarted_since(m) {
                Some(true) => (
                    Outcome::Verified,
                    format!("{m} restarted since (the schedule fired)"),
                ),
                _ => (Outcome::Failed, format!("no restart of {m} is scheduled")),
            },
        },
        Operation::Restart { member: m, .. } | Operation::Reinit { member: m, .. } => {
            let up = member(m).is_some_and(|x| x.state.is_up());
            let state = member(m)
                .map(|x| x.state.to_string())
                .unwrap_or_else(|| "absent".into());
            match restarted_since(m) {
                Some(true) if up => (
                    Outcome::Verified,
                    format!("{m} runs a postmaster started after the operation ({state})"),
                ),
                Some(false) => (
                    Outcome::Failed,
                    format!("{m}'s postmaster predates the operation: it did not happen ({state})"),
                ),
                _ => (
                    Outcome::Unknown,
                    format!("{m} is {state}; its start time is not known"),
                ),
            }
        }
        Operation::CancelRestart { member: m, .. } => {
            match member(m).and_then(|x| x.scheduled_restart.clone()) {
                None => (Outcome::Verified, format!("no restart is scheduled on {m}")),
                Some(at) => (
                    Outcome::Failed,
                    format!("a restart of {m} is still scheduled at {at}"),
                ),
            }
        }
        Operation::DemoteCluster { .. } | Operation::PromoteCluster { .. } => {
            let want = if matches!(o.record.operation, Operation::DemoteCluster { .. }) {
                Role::StandbyLeader
            } else {
                Role::Leader
            };
            let role = v
                .members
                .iter()
                .find(|m| Some(&m.name) == v.leader.as_ref())
                .map(|m| m.role.to_string())
                .unwrap_or_else(|| "none".into());
            if want == role {
                (Outcome::Verified, format!("{now_desc}, role {role}"))
            } else {
                (
                    Outcome::Failed,
                    format!("{now_desc}, role {role} (wanted {want})"),
                )
            }
        }
        Operation::Reload { member: m, .. } => (
            Outcome::Unknown,
            format!(
                "a reload leaves no trace to check; reload {m} again if in doubt (it is harmless)"
            ),
        ),
    }
}

/// One judged orphan.
#[derive(Debug, Clone)]
pub struct Reconciled {
    pub orphan: Orphan,
    pub outcome: Outcome,
    pub message: String,
}

/// Appends the "reconciled" record for `r`.
pub fn record(
    log: &std::path::Path,
    r: &Reconciled,
    result: Option<&Basis>,
) -> std::io::Result<()> {
    let o = &r.orphan.record;
    audit::append(
        log,
        &Record {
            id: &o.id,
            phase: Phase::Reconciled,
            at: audit::now_rfc3339(),
            user: o.user.clone(),
            host: o.host.clone(),
            cluster: &o.cluster,
            operation: &o.operation,
            basis: &o.basis,
            outcome: Some(r.outcome),
            message: Some(&r.message),
            result,
        },
    )
}

/// Judges every orphan of the session's clusters against a linearizable
/// read, records the verdicts, and puts them in the model's event log.
/// Why orphans could not be judged; nothing is judged on a guess.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("cannot read the audit log {path}: {source}")]
    ReadLog {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the audit log {path}: {source}")]
    WriteLog {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Lock(#[from] super::lock::LockError),
    #[error(transparent)]
    Read(#[from] super::execute::OpError),
}

/// How long a run waits, in all, for the clusters of its orphans to be
/// read.
const READ_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Whether the session holds `cluster` as the namespace has it, with
/// pgtui's own keys (locks, job records) read. A console opened on another
/// cluster has read only that one: the namespace is asked for first, so a
/// verdict rests on the cluster's REST answers, locks and job records,
/// never on their absence. False if etcd refused this user the namespace,
/// or it was not read by `deadline`.
async fn read_in_full(cx: &Ctx<'_>, cluster: &str, deadline: tokio::time::Instant) -> bool {
    let unread = |m: &crate::model::Model| {
        (m.fleet_pending && !m.clusters.contains_key(cluster)) || !m.own_keys_read
    };
    if !cx.model.read(unread) {
        return true;
    }
    if cx
        .model
        .read(|m| m.fleet_pending && m.fleet_refused.is_some())
    {
        return false;
    }
    if cx.model.read(|m| m.fleet_pending && !m.fleet_wanted) {
        cx.model.update(|m| m.fleet_wanted = true);
    }
    let mut changes = cx.model.subscribe();
    while cx.model.read(unread) {
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Ok(Ok(())) => {}
            _ => return false,
        }
    }
    true
}

pub async fn run<'a>(cx: impl Into<Ctx<'a>>) -> Result<Vec<Reconciled>, ReconcileError> {
    let cx = &cx.into();
    let path = cx.config.audit_log.clone();
    let shown = || path.display().to_string();
    let records = audit::read_all(&path).map_err(|source| ReconcileError::ReadLog {
        path: shown(),
        source,
    })?;
    let (_, host) = audit::whoami();
    let held = |r: &OwnedRecord| {
        cx.model
            .read(|m| m.locks.get(&r.cluster).is_some_and(|h| h.id == r.id))
    };
    let mut out = vec![];
    let deadline = tokio::time::Instant::now() + READ_WAIT;
    for o in orphans(&records, &host, &held) {
        let cluster = o.record.cluster.clone();
        if !cx.scope.includes(&cluster) {
            continue;
        }
        if !read_in_full(cx, &cluster, deadline).await {
            // Left for the next pgtui to judge: nothing is recorded.
            let text = format!(
                "operation {} ({}) on {cluster} was not judged: the cluster could not be read in full; a later pgtui will judge it",
                o.record.id,
                o.record.operation.name()
            );
            cx.model.update(|m| {
                m.events.push(crate::model::events::Event::new(
                    std::time::SystemTime::now(),
                    Some(cluster.clone()),
                    crate::model::events::EventKind::Problem { text },
                ))
            });
            continue;
        }
        // The locks may have been read only now: the operation's own
        // pgtui, on another host, may still be at it.
        if maybe_alive(&o.record, &host, &held) {
            continue;
        }
        if o.record.host == host {
            super::lock::break_dead(cx.etcd, &cx.config.pgtui_prefix, &cluster, &o.record.id)
                .await?;
        }
        let (c, rev) = super::execute::fresh_state(cx, &cluster).await?;
        let (outcome, message) = judge(&o, &c);
        let r = Reconciled {
            orphan: o,
            outcome,
            message,
        };
        record(&path, &r, Some(&super::execute::basis(&c, rev))).map_err(|source| {
            ReconcileError::WriteLog {
                path: shown(),
                source,
            }
        })?;
        let rec = &r.orphan.record;
        let ev = crate::model::events::Event::new(
            std::time::SystemTime::now(),
            Some(cluster),
            crate::model::events::EventKind::OperationReconciled {
                operation: rec.operation.name().to_string(),
                started: rec.at.clone(),
                by: format!("{}@{}", rec.user, rec.host),
                outcome: format!("{:?}", r.outcome).to_uppercase(),
                message: r.message.clone(),
            },
        );
        cx.model.update(|m| m.events.push(ev));
        out.push(r);
    }
    Ok(out)
}
