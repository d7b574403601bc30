//! Node agents and their jobs, as read from pgtui's own etcd keys.
//!
//! Each `pgtui agent` registers itself under
//! `<pgtui_prefix>agents/<cluster>/<member>` with a lease, so a console finds
//! agents without configuration and an agent that dies disappears within
//! the lease's TTL. Jobs (backups, restores) are recorded under
//! `<pgtui_prefix>jobs/<cluster>/<id>` by the agent that runs them, so any
//! console, or a console that reconnects, shows the same steps. Both live in
//! pgtui's prefix inside Patroni's namespace, which a credential confined
//! to that namespace may write, and outside every cluster's own keys.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The agent API's version, in every path (`/v1/...`).
pub const API: &str = "v1";

/// What an agent says of itself when it registers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentReg {
    pub member: String,
    pub cluster: String,
    /// `http://HOST:8010` or `https://…`.
    pub url: String,
    /// pgtui's version the agent runs.
    pub version: String,
    /// The API version (`v1`).
    pub api: String,
    /// The pgBackRest stanza, `None` when pgBackRest is not configured.
    pub stanza: Option<String>,
    pub pgbackrest_version: Option<String>,
    /// Epoch seconds the agent started.
    pub started: i64,
}

pub fn agents_prefix(pgtui_prefix: &str) -> String {
    format!("{pgtui_prefix}agents/")
}

pub fn agent_key(pgtui_prefix: &str, cluster: &str, member: &str) -> String {
    format!("{}{cluster}/{member}", agents_prefix(pgtui_prefix))
}

pub fn jobs_prefix(pgtui_prefix: &str) -> String {
    format!("{pgtui_prefix}jobs/")
}

pub fn job_key(pgtui_prefix: &str, cluster: &str, id: &str) -> String {
    format!("{}{cluster}/{id}", jobs_prefix(pgtui_prefix))
}

/// `cluster`, `rest` of a key under `prefix` shaped `prefix<cluster>/<rest>`.
fn split<'a>(prefix: &str, key: &'a [u8]) -> Option<(&'a str, &'a str)> {
    let k = std::str::from_utf8(key).ok()?.strip_prefix(prefix)?;
    let (c, r) = k.split_once('/')?;
    (!c.is_empty() && !r.is_empty()).then_some((c, r))
}

/// Agents by cluster and member. A registration that does not decode is
/// kept as an entry whose `url` is empty and whose `version` says why, so
/// the console names it rather than losing the member's agent silently.
pub fn parse_agents(
    pgtui_prefix: &str,
    kvs: &[(Vec<u8>, Vec<u8>)],
) -> BTreeMap<String, BTreeMap<String, AgentReg>> {
    let p = agents_prefix(pgtui_prefix);
    let mut out: BTreeMap<String, BTreeMap<String, AgentReg>> = BTreeMap::new();
    for (k, v) in kvs {
        let Some((cluster, member)) = split(&p, k) else {
            continue;
        };
        let (cluster, member) = (
            crate::text::escape(cluster).into_owned(),
            crate::text::escape(member).into_owned(),
        );
        let reg = crate::text::json_escaped::<AgentReg>(v).unwrap_or_else(|_| AgentReg {
            member: member.clone(),
            cluster: cluster.clone(),
            url: String::new(),
            version: format!(
                "unreadable registration {}",
                crate::text::printable_bytes(v, 120)
            ),
            api: String::new(),
            stanza: None,
            pgbackrest_version: None,
            started: 0,
        });
        out.entry(cluster).or_default().insert(member, reg);
    }
    out
}

/// Jobs by cluster, oldest first. A job record that does not decode is
/// dropped: unlike a lock, it blocks nothing, and the agent that wrote it
/// still answers for it over its API.
pub fn parse_jobs(pgtui_prefix: &str, kvs: &[(Vec<u8>, Vec<u8>)]) -> BTreeMap<String, Vec<Job>> {
    let p = jobs_prefix(pgtui_prefix);
    let mut out: BTreeMap<String, Vec<Job>> = BTreeMap::new();
    for (k, v) in kvs {
        let Some((cluster, _id)) = split(&p, k) else {
            continue;
        };
        if let Ok(job) = crate::text::json_escaped::<Job>(v) {
            out.entry(crate::text::escape(cluster).into_owned())
                .or_default()
                .push(job);
        }
    }
    for jobs in out.values_mut() {
        jobs.sort_by(|a, b| (a.started, &a.id).cmp(&(b.started, &b.id)));
    }
    out
}

/// What a job does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobKind {
    Backup {
        backup_type: crate::model::backup::BackupKind,
    },
    /// A point-in-time restore of the cluster, run on the leader's node.
    Restore {
        target: crate::model::backup::target::Target,
        /// `--set`, when the caller named one.
        set: Option<String>,
        /// A time target resolved to UTC by the preflight.
        target_utc: Option<String>,
        /// Take a new full backup once the cluster is rebuilt.
        backup_after: bool,
    },
}

impl JobKind {
    pub fn label(&self) -> String {
        match self {
            JobKind::Backup { backup_type } => {
                format!("backup ({})", backup_type.label())
            }
            JobKind::Restore { target, .. } => format!("restore ({})", target.describe()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Succeeded,
    Failed,
    /// The agent running it stopped mid-way; a restarted agent found it and
    /// re-ran nothing.
    Interrupted,
}

impl JobState {
    pub fn is_done(self) -> bool {
        self != JobState::Running
    }

    pub fn label(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Interrupted => "interrupted",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Pending,
    Running,
    Done,
    Failed,
    Skipped,
}

/// One step of a job, with the exact command it runs, so a DBA can finish
/// or undo it by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub command: String,
    pub state: StepState,
    pub started: Option<i64>,
    pub ended: Option<i64>,
    /// What the step found or why it failed.
    pub detail: Option<String>,
    /// How long it ran, in milliseconds (the epoch-second times are too
    /// coarse to split a restore's time between its steps).
    #[serde(default)]
    pub ms: Option<u64>,
}

/// A job as its agent records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub cluster: String,
    /// The member whose agent runs it.
    pub member: String,
    #[serde(flatten)]
    pub kind: JobKind,
    pub state: JobState,
    pub steps: Vec<Step>,
    /// Epoch seconds.
    pub started: i64,
    pub ended: Option<i64>,
    /// The last log lines of the running command, bounded.
    pub log: Vec<String>,
    /// Progress of the running step, where known (bytes done, bytes total).
    pub progress: Option<(u64, u64)>,
    /// What to do now, set when the job failed or was interrupted.
    pub advice: Option<String>,
}

impl Job {
    /// The step running now, or the one it stopped at.
    pub fn current_step(&self) -> Option<&Step> {
        self.steps
            .iter()
            .rfind(|s| matches!(s.state, StepState::Running | StepState::Failed))
            .or_else(|| self.steps.iter().rfind(|s| s.state == StepState::Done))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrations_parse_and_bad_ones_are_named() {
        let p = "/service/.pgtui/";
        let reg = AgentReg {
            member: "pg-test-1".into(),
            cluster: "pg-test".into(),
            url: "http://127.0.0.11:8010".into(),
            version: "0.1.0".into(),
            api: "v1".into(),
            stanza: Some("pg-test".into()),
            pgbackrest_version: Some("2.45".into()),
            started: 1,
        };
        let kvs = vec![
            (
                b"/service/.pgtui/agents/pg-test/pg-test-1".to_vec(),
                serde_json::to_vec(&reg).unwrap(),
            ),
            (
                b"/service/.pgtui/agents/pg-test/pg-test-2".to_vec(),
                b"{not json".to_vec(),
            ),
            (b"/service/.pgtui/agents/loose".to_vec(), b"{}".to_vec()),
            (b"/service/.pgtui/locks/pg-test".to_vec(), b"{}".to_vec()),
        ];
        let a = parse_agents(p, &kvs);
        assert_eq!(a.len(), 1);
        assert_eq!(a["pg-test"]["pg-test-1"], reg);
        let bad = &a["pg-test"]["pg-test-2"];
        assert!(bad.url.is_empty());
        assert!(bad.version.starts_with("unreadable registration"));
    }

    #[test]
    fn jobs_parse_oldest_first_and_garbage_is_dropped() {
        let p = "/service/.pgtui/";
        let job = |id: &str, started| Job {
            id: id.into(),
            cluster: "pg-test".into(),
            member: "pg-test-1".into(),
            kind: JobKind::Backup {
                backup_type: crate::model::backup::BackupKind::Full,
            },
            state: JobState::Running,
            steps: vec![],
            started,
            ended: None,
            log: vec![],
            progress: None,
            advice: None,
        };
        let kvs = vec![
            (
                b"/service/.pgtui/jobs/pg-test/b".to_vec(),
                serde_json::to_vec(&job("b", 20)).unwrap(),
            ),
            (
                b"/service/.pgtui/jobs/pg-test/a".to_vec(),
                serde_json::to_vec(&job("a", 10)).unwrap(),
            ),
            (b"/service/.pgtui/jobs/pg-test/c".to_vec(), b"[]".to_vec()),
        ];
        let j = parse_jobs(p, &kvs);
        let ids: Vec<&str> = j["pg-test"].iter().map(|j| j.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
    }
}
