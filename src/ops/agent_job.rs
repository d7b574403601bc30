//! Operations that run as jobs in a node agent (a backup): their preflight,
//! starting the job, following it to its end, and judging one whose pgtui
//! died.
//!
//! The agent, not pgtui, takes the cluster's operation lock and records the
//! job in etcd, so the job survives the console. pgtui follows it through
//! the agent's `GET /v1/jobs/ID`, and through the job record in etcd when
//! the agent does not answer; it says each step as it starts and ends, with
//! the command it runs.

use super::preflight::Preflight;
use super::rest_call::Request;
use super::{Operation, Outcome};
use crate::model::agent::{Job, JobState, StepState};
use crate::model::view::cluster_view;
use crate::model::ClusterState;
use std::time::{Duration, Instant};

/// How long a job may go unseen (agent and etcd record both silent)
/// before its outcome is called unknown.
const SILENCE: Duration = Duration::from_secs(60);
/// The longest a backup is followed; past that it is left running and
/// reported unknown, with how to follow it.
const BOUND: Duration = Duration::from_secs(6 * 3600);

/// The preflight of a backup: pure, from the cluster's keys, agents, jobs
/// and last backup report.
pub fn preflight(pf: &mut Preflight, c: &ClusterState, op: &Operation) {
    let Operation::Backup { backup_type, .. } = op else {
        return;
    };
    let v = cluster_view(c);
    let Some(leader) = v.leader.clone() else {
        pf.refusals.push(super::refusal::Refusal::rule(format!(
            "{} has no leader: a backup runs on the leader; wait for one",
            v.name
        )));
        return;
    };
    match c.agents.get(&leader) {
        None => pf.refusals.push(super::refusal::Refusal::rule(format!(
            "the leader {leader} has no registered pgtui agent; start `pgtui agent` beside its Patroni"
        ))),
        Some(a) if a.url.is_empty() => pf.refusals.push(super::refusal::Refusal::rule(format!(
            "the agent of {leader} registered an unreadable entry ({}); restart it",
            a.version
        ))),
        Some(a) if a.stanza.is_none() => pf.refusals.push(super::refusal::Refusal::rule(format!(
            "pgBackRest is not configured on {leader} (its agent found no stanza); configure it, or pass the agent --stanza"
        ))),
        Some(_) => {}
    }
    if let Some(j) = c.jobs.iter().find(|j| j.state == JobState::Running) {
        pf.refusals.push(super::refusal::Refusal::rule(format!(
            "job {} ({}) runs on {} now; follow it with `pgtui jobs {}` and start this one after",
            j.id,
            j.kind.label(),
            j.member,
            v.name
        )));
    }
    match c.backups.as_ref().map(|b| &b.value) {
        Some(r) => {
            let st = r.stanzas.as_ref().and_then(|s| s.first());
            if st.is_some_and(|s| s.backup_running) {
                pf.refusals.push(super::refusal::Refusal::rule(
                    "a pgBackRest backup of this stanza runs now (its lock is held); wait for it to end",
                ));
            }
            let has_full = st.is_some_and(|s| {
                s.usable()
                    .any(|b| b.kind == crate::model::backup::BackupKind::Full)
            });
            if *backup_type != crate::model::backup::BackupKind::Full && !has_full {
                pf.warnings.push(format!(
                    "there is no usable full backup: pgBackRest will take a full one instead of a {}",
                    backup_type.label()
                ));
            }
        }
        None => pf
            .warnings
            .push("the last backup report is unknown (no agent answered yet)".into()),
    }
    pf.plan.push(format!(
        "the agent of {leader} runs `pgbackrest --type={} backup` as a job, holding the operation lock, then checks `pgbackrest info` for the new set",
        backup_type.label()
    ));
}

/// Why a job did not start: the agent said no (nothing ran), or the
/// answer never came (it may have).
enum StartFailure {
    Refused(String),
    Unclear(String),
}

/// Starts the job: one POST to the agent, never resent.
async fn start(
    cx: &super::context::Ctx<'_>,
    req: &Request,
    id: &str,
    requested_by: &str,
) -> Result<Job, StartFailure> {
    let http = crate::sources::agent::client(&cx.config.agent)
        .map_err(|e| StartFailure::Refused(e.to_string()))?;
    let mut body = req.body.clone().unwrap_or_default();
    body["id"] = id.into();
    body["requested_by"] = requested_by.into();
    let base = req.url.trim_end_matches("/v1/jobs");
    crate::sources::agent::call::<Job>(
        &http,
        &cx.config.agent,
        base,
        reqwest::Method::POST,
        "/v1/jobs",
        Some(&body),
        Duration::from_secs(30),
    )
    .await
    .map_err(|e| match e {
        crate::sources::agent::AgentError::Unreachable { .. } => {
            StartFailure::Unclear(e.to_string())
        }
        _ => StartFailure::Refused(e.to_string()),
    })
}

/// Says what changed in `job` since `seen`: steps that started, the new
/// log lines, then steps that ended.
pub fn narrate(seen: Option<&Job>, job: &Job, progress: &mut (dyn FnMut(&str) + Send)) {
    for (i, s) in job.steps.iter().enumerate() {
        let before = seen.and_then(|j| j.steps.get(i)).map(|s| s.state);
        if s.state != StepState::Pending && before.is_none_or(|b| b == StepState::Pending) {
            progress(&format!("step {}: {}", s.name, s.command));
        }
    }
    let old = seen.map(|j| j.log.len()).unwrap_or(0);
    let skip = if seen.is_some_and(|j| j.log.len() == job.log.len() && j.log != job.log) {
        0
    } else {
        old.min(job.log.len())
    };
    for l in &job.log[skip..] {
        progress(&format!("  {l}"));
    }
    for (i, s) in job.steps.iter().enumerate() {
        let before = seen.and_then(|j| j.steps.get(i)).map(|s| s.state);
        if before == Some(s.state) {
            continue;
        }
        match s.state {
            StepState::Done => progress(&format!(
                "step {} done: {}",
                s.name,
                s.detail.as_deref().unwrap_or("")
            )),
            StepState::Failed => progress(&format!(
                "step {} FAILED: {}",
                s.name,
                s.detail.as_deref().unwrap_or("")
            )),
            StepState::Pending | StepState::Skipped | StepState::Running => {}
        }
    }
}

/// The verdict on a finished (or vanished) job.
pub fn verdict(job: &Job) -> (Outcome, String) {
    match job.state {
        JobState::Succeeded => (
            Outcome::Verified,
            job.steps
                .last()
                .and_then(|s| s.detail.clone())
                .unwrap_or_else(|| "the job succeeded".into()),
        ),
        JobState::Failed | JobState::Interrupted => (
            Outcome::Failed,
            job.advice
                .clone()
                .unwrap_or_else(|| format!("the job {}", job.state.label())),
        ),
        JobState::Running => (
            Outcome::Unknown,
            format!(
                "job {} still runs on {}; follow it with `pgtui jobs {}`",
                job.id, job.member, job.cluster
            ),
        ),
    }
}

/// Follows job `id` to its end: the agent first, its etcd record (through
/// the session's model) when the agent does not answer.
pub async fn follow(
    cx: &super::context::Ctx<'_>,
    req: &Request,
    cluster: &str,
    id: &str,
    progress: &mut (dyn FnMut(&str) + Send),
) -> (Outcome, String) {
    let Ok(http) = crate::sources::agent::client(&cx.config.agent) else {
        return (Outcome::Unknown, "no agent client".into());
    };
    let base = req.url.trim_end_matches("/v1/jobs");
    let started = Instant::now();
    let mut last_seen = Instant::now();
    let mut seen: Option<Job> = None;
    loop {
        let path = format!("/v1/jobs/{id}");
        let fresh = crate::sources::agent::call::<Job>(
            &http,
            &cx.config.agent,
            base,
            reqwest::Method::GET,
            &path,
            None,
            Duration::from_secs(10),
        )
        .await
        .ok()
        .or_else(|| {
            cx.model.read(|m| {
                m.clusters
                    .get(cluster)?
                    .jobs
                    .iter()
                    .find(|j| j.id == id)
                    .cloned()
            })
        });
        if let Some(job) = fresh {
            last_seen = Instant::now();
            narrate(seen.as_ref(), &job, progress);
            let done = job.state.is_done();
            seen = Some(job);
            if done {
                return verdict(seen.as_ref().expect("just set"));
            }
        } else if last_seen.elapsed() > SILENCE {
            return (
                Outcome::Unknown,
                format!(
                    "neither the agent at {} nor etcd has said anything of job {id} for {} s; it may still run: follow it with `pgtui jobs {cluster}`",
                    base,
                    SILENCE.as_secs()
                ),
            );
        }
        if started.elapsed() > BOUND {
            return seen
                .as_ref()
                .map(verdict)
                .unwrap_or((Outcome::Unknown, "never seen".into()));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// An orphaned job operation (its pgtui died), judged by its job record.
pub fn judge(id: &str, c: &ClusterState) -> (Outcome, String) {
    match c.jobs.iter().find(|j| j.id == id) {
        Some(j) => verdict(j),
        None => (
            Outcome::Unknown,
            format!("no job record {id} in etcd: the agent may never have started it"),
        ),
    }
}

/// The request as `curl`, the token left to the environment.
pub fn as_curl(req: &Request, cfg: &crate::config::AgentClientConfig) -> String {
    as_curl_with(req, cfg.cacert.as_deref())
}

/// [`as_curl`] with the agents' CA given.
pub fn as_curl_with(req: &Request, cacert: Option<&std::path::Path>) -> String {
    let tls = cacert
        .filter(|_| req.url.starts_with("https"))
        .map(|c| format!(" --cacert {}", c.display()))
        .unwrap_or_default();
    let body = req
        .body
        .as_ref()
        .map(|b| format!(" -H 'Content-Type: application/json' -d '{b}'"))
        .unwrap_or_default();
    format!(
        "curl -s{tls} -H \"Authorization: Bearer $PGTUI_AGENT_TOKEN\" -X {} {}{body}",
        req.method, req.url
    )
}

/// Starts the job and follows it. A POST that got no clear answer (a
/// timeout) may still have started it: the job record decides.
pub async fn start_and_follow(
    cx: &super::context::Ctx<'_>,
    req: &Request,
    cluster: &str,
    id: &str,
    requested_by: &str,
    progress: &mut (dyn FnMut(&str) + Send),
) -> (Outcome, String) {
    match start(cx, req, id, requested_by).await {
        Ok(job) => {
            progress(&format!(
                "job {} started on the agent of {}",
                job.id, job.member
            ));
            follow(cx, req, cluster, id, progress).await
        }
        Err(StartFailure::Refused(e)) => (
            Outcome::Rejected,
            format!("the agent refused it: {e}; nothing was run"),
        ),
        Err(StartFailure::Unclear(e)) => {
            progress(&format!("{e}; looking for the job's record"));
            tokio::time::sleep(Duration::from_secs(3)).await;
            let known = cx.model.read(|m| {
                m.clusters
                    .get(cluster)
                    .is_some_and(|c| c.jobs.iter().any(|j| j.id == id))
            });
            if known {
                follow(cx, req, cluster, id, progress).await
            } else {
                (
                    Outcome::Rejected,
                    format!(
                        "the agent did not start it: {e}; no job record exists, so nothing ran"
                    ),
                )
            }
        }
    }
}
