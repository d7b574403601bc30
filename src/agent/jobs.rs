//! Jobs: long pgBackRest work that runs inside the agent, not in the
//! console, so a console that dies or an SSH session that drops cannot
//! break it, and any console can follow it.
//!
//! A job is recorded in etcd (`model::agent::job_key`) at every step, with
//! the exact command each step runs, and kept in memory for `GET
//! /v1/jobs/ID`. It holds the cluster's operation lock for its whole
//! length, taken by the agent itself. An agent that starts and finds one of
//! its own jobs still `running` in etcd marks it `interrupted` at its step
//! with what to do, and re-runs nothing.

use super::pgbackrest;
use super::settings::AgentSettings;
use crate::dcs::{Access, Etcd};
use crate::model::agent::{job_key, jobs_prefix, Job, JobKind, JobState, Step, StepState};
use crate::model::backup::BackupKind;
use etcd_client::{Client, GetOptions};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many finished jobs per cluster etcd keeps.
const KEEP: usize = 10;
const LOG_LINES: usize = 40;
const ETCD_TIMEOUT: Duration = Duration::from_secs(5);

/// What a caller asks for (`POST /v1/jobs`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct JobRequest {
    /// The caller's operation id, so its audit record names the job.
    pub id: String,
    #[serde(flatten)]
    pub kind: JobKind,
    /// `user@host` of whoever asked, for the lock holder.
    pub requested_by: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    NotConfigured(String),
    #[error("{0}")]
    Refused(String),
    #[error("a job with id {0} exists already")]
    Duplicate(String),
}

/// What runs a job's steps, with the state it carries between them.
enum Runner {
    Backup {
        kind: BackupKind,
        before: Vec<String>,
    },
    Restore(Box<super::restore::Run>),
}

pub struct Jobs {
    settings: Arc<AgentSettings>,
    etcd: Option<(Etcd, String)>,
    jobs: Mutex<BTreeMap<String, Job>>,
}

fn now() -> i64 {
    super::api::now()
}

impl Jobs {
    pub fn new(settings: Arc<AgentSettings>) -> Arc<Jobs> {
        let etcd = settings
            .pgtui
            .as_ref()
            .ok()
            .map(|c| (Etcd::new(&c.etcd), c.pgtui_prefix.clone()));
        Arc::new(Jobs {
            settings,
            etcd,
            jobs: Mutex::new(BTreeMap::new()),
        })
    }

    pub fn get(&self, id: &str) -> Option<Job> {
        self.jobs.lock().unwrap().get(id).cloned()
    }

    pub fn all(&self) -> Vec<Job> {
        self.jobs.lock().unwrap().values().cloned().collect()
    }

    /// Writes `job` to etcd; a failure is logged, the job goes on (its
    /// state stays readable over the API).
    async fn persist(&self, job: &Job) {
        let Some((etcd, prefix)) = &self.etcd else {
            return;
        };
        let key = job_key(prefix, &job.cluster, &job.id);
        let value = serde_json::to_string(job).expect("job serialises");
        let r = etcd
            .request(&Access::write_key(&key), ETCD_TIMEOUT, |mut c: Client| {
                let (k, v) = (key.clone(), value.clone());
                async move { c.put(k, v, None).await }
            })
            .await;
        if let Err(e) = r {
            eprintln!(
                "pgtui agent: job {}: cannot record it in etcd: {}",
                job.id,
                e.message()
            );
        }
    }

    async fn update(&self, id: &str, f: impl FnOnce(&mut Job)) {
        let job = {
            let mut jobs = self.jobs.lock().unwrap();
            let Some(j) = jobs.get_mut(id) else { return };
            f(j);
            j.clone()
        };
        self.persist(&job).await;
    }

    /// At start: this agent's jobs that etcd still shows running were cut
    /// short when it stopped. They are marked, never re-run.
    pub async fn recover(&self) {
        let Some((etcd, prefix)) = &self.etcd else {
            return;
        };
        let p = format!("{}{}/", jobs_prefix(prefix), self.settings.cluster);
        let got = etcd
            .request(&Access::read_prefix(&p), ETCD_TIMEOUT, |mut c: Client| {
                let p = p.clone();
                async move { c.get(p, Some(GetOptions::new().with_prefix())).await }
            })
            .await;
        let kvs = match got {
            Ok(r) => r
                .kvs()
                .iter()
                .map(|kv| (kv.key().to_vec(), kv.value().to_vec()))
                .collect::<Vec<_>>(),
            Err(e) => {
                eprintln!(
                    "pgtui agent: cannot read earlier jobs from etcd: {}; an interrupted job will not be reported",
                    e.message()
                );
                return;
            }
        };
        let parsed = crate::model::agent::parse_jobs(prefix, &kvs);
        for mut job in parsed.into_values().flatten() {
            if job.member != self.settings.member || job.state != JobState::Running {
                continue;
            }
            let at = job
                .current_step()
                .map(|s| s.name.clone())
                .unwrap_or_else(|| "its start".into());
            for s in job.steps.iter_mut() {
                if s.state == StepState::Running {
                    s.state = StepState::Failed;
                    s.ended = Some(now());
                    s.detail = Some("the agent stopped while this step ran".into());
                }
            }
            job.state = JobState::Interrupted;
            job.ended = Some(now());
            job.advice = Some(interrupted_advice(&job, &at, &self.settings));
            eprintln!(
                "pgtui agent: job {} ({}) was interrupted at {at}; marked interrupted, nothing re-run",
                job.id,
                job.kind.label()
            );
            self.jobs
                .lock()
                .unwrap()
                .insert(job.id.clone(), job.clone());
            self.persist(&job).await;
            // The lock this agent held for it died with it: waiting out its
            // lease would only block the way back the advice gives.
            match crate::ops::lock::break_dead(etcd, prefix, &job.cluster, &job.id).await {
                Ok(true) => eprintln!(
                    "pgtui agent: released the operation lock job {} held",
                    job.id
                ),
                Ok(false) => {}
                Err(e) => eprintln!("pgtui agent: job {}: {e}", job.id),
            }
        }
    }

    /// Takes the lock, records the job and starts it; returns it as started.
    pub async fn start(self: &Arc<Self>, req: JobRequest) -> Result<Job, StartError> {
        let s = &self.settings;
        let stanza = s.stanza.clone().ok_or_else(|| {
            StartError::NotConfigured(pgbackrest::RunError::NotConfigured.to_string())
        })?;
        if self.jobs.lock().unwrap().contains_key(&req.id) {
            return Err(StartError::Duplicate(req.id));
        }
        if let Some(r) = self
            .jobs
            .lock()
            .unwrap()
            .values()
            .find(|j| j.state == JobState::Running)
        {
            return Err(StartError::Refused(format!(
                "job {} ({}) runs on this agent now; wait for it (`pgtui jobs`)",
                r.id,
                r.kind.label()
            )));
        }
        check_leader(s).await.map_err(StartError::Refused)?;
        let lock = match &self.etcd {
            Some((etcd, prefix)) => {
                let (user, host) = req
                    .requested_by
                    .split_once('@')
                    .map(|(u, h)| (u.to_string(), h.to_string()))
                    .unwrap_or((req.requested_by.clone(), "?".into()));
                let holder = crate::ops::lock::Holder {
                    user,
                    host,
                    operation: format!("{} (agent of {})", req.kind.label(), s.member),
                    id: req.id.clone(),
                    since: crate::ops::audit::now_rfc3339(),
                };
                Some(
                    crate::ops::lock::acquire(etcd, prefix, &s.cluster, &holder)
                        .await
                        .map_err(|e| StartError::Refused(e.to_string()))?,
                )
            }
            None => {
                return Err(StartError::Refused(format!(
                    "the agent cannot reach etcd ({}), so it can neither take the operation lock nor record the job; nothing was run",
                    s.pgtui.as_ref().err().cloned().unwrap_or_default()
                )))
            }
        };
        let job = Job {
            id: req.id.clone(),
            cluster: s.cluster.clone(),
            member: s.member.clone(),
            steps: steps(&req.kind, &stanza, s, &req.id),
            kind: req.kind,
            state: JobState::Running,
            started: now(),
            ended: None,
            log: vec![],
            progress: None,
            advice: None,
        };
        self.jobs
            .lock()
            .unwrap()
            .insert(job.id.clone(), job.clone());
        self.persist(&job).await;
        let me = self.clone();
        let id = job.id.clone();
        tokio::spawn(async move {
            let ok = me.run(&id).await;
            if let Some(l) = lock {
                l.release().await;
            }
            me.update(&id, |j| {
                j.state = if ok {
                    JobState::Succeeded
                } else {
                    JobState::Failed
                };
                j.ended = Some(now());
                j.progress = None;
            })
            .await;
            me.trim().await;
        });
        Ok(job)
    }

    /// Runs each step in turn; the first failure ends the job there, with
    /// what it leaves and what to do.
    async fn run(&self, id: &str) -> bool {
        let Some(job) = self.get(id) else {
            return false;
        };
        let mut runner = match &job.kind {
            JobKind::Backup { backup_type } => Runner::Backup {
                kind: *backup_type,
                before: labels(&self.settings).await.unwrap_or_default(),
            },
            JobKind::Restore {
                target,
                set,
                target_utc,
                backup_after,
            } => Runner::Restore(Box::new(super::restore::Run::new(
                self.settings.clone(),
                &super::restore::Ask {
                    target,
                    set: set.as_deref(),
                    target_utc: target_utc.as_deref(),
                    backup_after: *backup_after,
                },
            ))),
        };
        for i in 0..job.steps.len() {
            if job.steps[i].state == StepState::Skipped {
                continue;
            }
            self.update(id, |j| {
                j.steps[i].state = StepState::Running;
                j.steps[i].started = Some(now());
            })
            .await;
            let t0 = std::time::Instant::now();
            let r = match &mut runner {
                Runner::Backup { kind, .. } if i == 0 => self.backup(id, *kind).await,
                Runner::Backup { kind, before } => verify(&self.settings, before, *kind).await,
                Runner::Restore(r) => r.step(self, id, i).await,
            };
            let failed = r.is_err();
            let settings = self.settings.clone();
            self.update(id, |j| {
                let s = &mut j.steps[i];
                s.ended = Some(now());
                s.ms = Some(t0.elapsed().as_millis() as u64);
                match r {
                    Ok(d) => {
                        s.state = StepState::Done;
                        s.detail = Some(d);
                    }
                    Err(e) => {
                        s.state = StepState::Failed;
                        s.detail = Some(e.clone());
                        let name = s.name.clone();
                        j.advice = Some(format!(
                            "the {} failed at `{name}`: {e}. {}",
                            j.kind.label(),
                            failure_advice(j, &name, &settings)
                        ));
                        for later in j.steps.iter_mut().skip(i + 1) {
                            later.state = StepState::Skipped;
                        }
                    }
                }
            })
            .await;
            if failed {
                return false;
            }
        }
        true
    }

    /// Appends lines to the job's bounded log.
    pub(super) async fn log(&self, id: &str, line: String) {
        self.update(id, |j| {
            j.log.push(line);
            let n = j.log.len();
            if n > LOG_LINES {
                j.log.drain(..n - LOG_LINES);
            }
        })
        .await;
    }

    /// Runs `cmd`, its stdout lines kept as the job's log.
    pub(super) async fn stream(
        &self,
        id: &str,
        mut cmd: tokio::process::Command,
        what: &str,
    ) -> Result<(), String> {
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| format!("cannot run {what}: {e}"))?;
        let out = child.stdout.take().expect("piped");
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(out));
        let mut last = String::new();
        while let Ok(Some(l)) = lines.next_line().await {
            let l = crate::text::escape(&l).into_owned();
            last = l.clone();
            self.log(id, l).await;
        }
        let st = child
            .wait()
            .await
            .map_err(|e| format!("waiting for {what}: {e}"))?;
        if st.success() {
            Ok(())
        } else {
            Err(format!(
                "{what} exited with {}: {last}",
                st.code()
                    .map(|c| c.to_string())
                    .unwrap_or("a signal".into())
            ))
        }
    }

    /// `pgbackrest backup`, its console lines kept as the job's log.
    pub(super) async fn backup(&self, id: &str, kind: BackupKind) -> Result<String, String> {
        let s = &self.settings;
        let stanza = s.stanza.clone().unwrap_or_default();
        let mut cmd = tokio::process::Command::new(&s.pgbackrest);
        cmd.arg(format!("--stanza={stanza}"))
            .arg(format!("--type={}", kind.label()))
            .args([
                "--log-level-console=info",
                "--log-level-stderr=off",
                "backup",
            ]);
        self.stream(id, cmd, "pgbackrest backup").await?;
        Ok("pgbackrest backup finished".into())
    }

    /// Drops the oldest finished jobs of this cluster beyond [`KEEP`].
    async fn trim(&self) {
        let done: Vec<Job> = {
            let jobs = self.jobs.lock().unwrap();
            let mut v: Vec<Job> = jobs
                .values()
                .filter(|j| j.state.is_done())
                .cloned()
                .collect();
            v.sort_by_key(|j| j.started);
            v
        };
        if done.len() <= KEEP {
            return;
        }
        let Some((etcd, prefix)) = &self.etcd else {
            return;
        };
        for j in &done[..done.len() - KEEP] {
            let key = job_key(prefix, &j.cluster, &j.id);
            let _ = etcd
                .request(&Access::write_key(&key), ETCD_TIMEOUT, |mut c: Client| {
                    let k = key.clone();
                    async move { c.delete(k, None).await }
                })
                .await;
            self.jobs.lock().unwrap().remove(&j.id);
        }
    }
}

fn steps(kind: &JobKind, stanza: &str, s: &AgentSettings, id: &str) -> Vec<Step> {
    let step = |name: &str, command: String| Step {
        name: name.into(),
        command,
        state: StepState::Pending,
        started: None,
        ended: None,
        detail: None,
        ms: None,
    };
    match kind {
        JobKind::Backup { backup_type } => vec![
            step(
                "backup",
                format!(
                    "{} --stanza={stanza} --type={} backup",
                    s.pgbackrest.display(),
                    backup_type.label()
                ),
            ),
            step(
                "verify",
                format!(
                    "{} --stanza={stanza} --output=json info  # a new {} set, without error",
                    s.pgbackrest.display(),
                    backup_type.label()
                ),
            ),
        ],
        JobKind::Restore {
            target,
            set,
            target_utc,
            backup_after,
        } => super::restore::steps(
            &super::restore::Ask {
                target,
                set: set.as_deref(),
                target_utc: target_utc.as_deref(),
                backup_after: *backup_after,
            },
            stanza,
            s,
            id,
        ),
    }
}

/// What a failed step leaves and what to do, by job kind.
fn failure_advice(j: &Job, step: &str, s: &AgentSettings) -> String {
    match j.kind {
        JobKind::Backup { .. } => format!(
            "Nothing else changed: the cluster runs as before. Read the pgBackRest log on {} and retry; a partial backup is removed by the next `pgbackrest expire` or resumed by the next backup",
            j.member
        ),
        JobKind::Restore { .. } => super::restore::advice(step, &j.cluster, &j.member, s),
    }
}

fn interrupted_advice(j: &Job, at: &str, s: &AgentSettings) -> String {
    match j.kind {
        JobKind::Backup { .. } => format!(
            "the agent stopped during `{at}`; nothing was re-run. Run `pgtui backups` (or `pgbackrest info`) to see whether the backup completed; if not, start it again"
        ),
        JobKind::Restore { .. } => format!(
            "the agent stopped during `{at}`; nothing was re-run, and a command it had started may have run on. {}",
            super::restore::advice(at, &j.cluster, &j.member, s)
        ),
    }
}

/// Backups run on the leader: the local Patroni must say it is the primary.
async fn check_leader(s: &AgentSettings) -> Result<(), String> {
    let config = s.pgtui.as_ref().map_err(|e| e.clone())?;
    let Some(url) = &config.local_rest_url else {
        return Err("patroni.yml names no restapi.connect_address to ask whether this node leads; nothing was run".into());
    };
    let http = crate::sources::rest::client(&config.rest).map_err(|e| e.to_string())?;
    let v: serde_json::Value =
        crate::sources::rest::get_json(&http, config.rest.timeout, url, "/patroni")
            .await
            .map_err(|e| e.to_string())?;
    match v["role"].as_str() {
        Some("master" | "primary") => Ok(()),
        other => Err(format!(
            "{} is not the leader (Patroni says role {}); backups run on the leader's agent",
            s.member,
            other.unwrap_or("unknown")
        )),
    }
}

pub(super) async fn labels(s: &AgentSettings) -> Result<Vec<String>, String> {
    let out = pgbackrest::run(s, &["--output=json", "info"])
        .await
        .map_err(|e| e.to_string())?;
    let v = crate::model::backup::info::parse_info(&out.stdout).map_err(|e| e.to_string())?;
    Ok(v.into_iter()
        .flat_map(|st| st.backups.into_iter().map(|b| b.label))
        .collect())
}

/// A new set of the asked type (pgBackRest makes a diff or incr a full
/// when there is no full to build on, so a full also counts), without error.
pub(super) async fn verify(
    s: &AgentSettings,
    before: &[String],
    kind: BackupKind,
) -> Result<String, String> {
    let out = pgbackrest::run(s, &["--output=json", "info"])
        .await
        .map_err(|e| e.to_string())?;
    let v = crate::model::backup::info::parse_info(&out.stdout).map_err(|e| e.to_string())?;
    let new: Vec<_> = v
        .iter()
        .flat_map(|st| st.backups.iter())
        .filter(|b| !before.contains(&b.label))
        .collect();
    match new
        .iter()
        .find(|b| b.kind == kind || b.kind == BackupKind::Full)
    {
        Some(b) if b.error == Some(true) => Err(format!(
            "backup {} is marked as having an error (a page checksum failed?)",
            b.label
        )),
        Some(b) => Ok(format!("new {} backup {}", b.kind.label(), b.label)),
        None => Err(format!(
            "pgbackrest info shows no new {} backup",
            kind.label()
        )),
    }
}
