//! `pgtui jobs [CLUSTER]`: the node agents' jobs (backups, restores) as
//! etcd records them, so any console or runbook sees the same steps; with
//! `--follow`, the running (or given) job narrated step by step until it
//! ends. Exit codes: 0, or with `--follow` 8 when the job failed or was
//! interrupted (its advice is printed) and 9 when it was lost from sight.

use super::args::Format;
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::model::agent::{Job, JobState};
use crate::model::backup::report::utc;
use crate::session::{one_cluster, Needs, Session};
use crate::sources::Scope;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct JobsArgs {
    /// Cluster (default: --cluster/scope).
    pub cluster: Option<String>,
    /// Follow a job until it ends: the given id, else the running one.
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    pub follow: Option<String>,
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

async fn wait_own_keys(s: &Session) {
    let mut changes = s.model.subscribe();
    let wait = async {
        while !s.model.read(|m| m.own_keys_read) {
            if changes.changed().await.is_err() {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(8), wait).await;
}

fn jobs_of(s: &Session, name: &str) -> Vec<Job> {
    s.model
        .read(|m| m.clusters.get(name).map(|c| c.jobs.clone()))
        .unwrap_or_default()
}

pub async fn run(config: Config, args: JobsArgs) -> anyhow::Result<()> {
    let name = one_cluster(&args.cluster, &config)?;
    let s = Session::start(config, Scope::only(vec![name.clone()]));
    super::wait_for_answer(&s, Needs::Dcs).await?;
    s.ensure_exist(std::slice::from_ref(&name)).await?;
    wait_own_keys(&s).await;
    if !s.model.read(|m| m.own_keys_read) {
        return Err(CliError::new(
            ExitCode::Failure,
            format!("cannot read pgtui's job records of {name} in etcd (under {}); check that the credential may read that prefix", s.config.pgtui_prefix),
        )
        .into());
    }
    match args.follow {
        None => {
            let jobs = jobs_of(&s, &name);
            match args.format {
                Format::Json => outln!("{}", serde_json::to_string(&jobs).expect("serialisable")),
                Format::Yaml => out!("{}", serde_yaml::to_string(&jobs).expect("serialisable")),
                Format::Table => {
                    let rows = jobs
                        .iter()
                        .map(|j| {
                            vec![
                                j.id.clone(),
                                j.kind.label(),
                                j.member.clone(),
                                j.state.label().to_string(),
                                utc(j.started),
                                j.ended.map(utc).unwrap_or_default(),
                                j.current_step().map(|s| s.name.clone()).unwrap_or_default(),
                            ]
                        })
                        .collect();
                    outln!(
                        "{}",
                        super::render::simple_table(
                            &["id", "job", "member", "state", "started", "ended", "step"],
                            rows,
                            &[]
                        )
                    );
                }
            }
            Ok(())
        }
        Some(id) => follow(&s, &name, &id, args.format).await,
    }
}

async fn follow(s: &Session, name: &str, id: &str, format: Format) -> anyhow::Result<()> {
    let pick = |jobs: &[Job]| -> Option<Job> {
        if id.is_empty() {
            jobs.iter()
                .rfind(|j| j.state == JobState::Running)
                .or(jobs.last())
                .cloned()
        } else {
            jobs.iter().find(|j| j.id == id).cloned()
        }
    };
    let Some(first) = pick(&jobs_of(s, name)) else {
        return Err(CliError::new(
            ExitCode::ClusterNotFound,
            if id.is_empty() {
                format!("{name} has no jobs")
            } else {
                format!("{name} has no job {id}")
            },
        )
        .into());
    };
    let id = first.id.clone();
    let json = format != Format::Table;
    if !json {
        outln!(
            "job {} ({}) on {}: {}",
            id,
            first.kind.label(),
            first.member,
            first.state.label()
        );
    }
    let mut seen: Option<Job> = None;
    let mut changes = s.model.subscribe();
    let mut last_change = Instant::now();
    loop {
        let job = jobs_of(s, name).into_iter().find(|j| j.id == id);
        match job {
            Some(job) => {
                if seen.as_ref() != Some(&job) {
                    last_change = Instant::now();
                    if !json {
                        crate::ops::agent_job::narrate(seen.as_ref(), &job, &mut |l| {
                            outln!("  … {l}")
                        });
                    }
                }
                let done = job.state.is_done();
                seen = Some(job);
                if done {
                    break;
                }
            }
            None if last_change.elapsed() > Duration::from_secs(60) => break,
            None => {}
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), changes.changed()).await;
    }
    let Some(job) = seen else {
        return Err(
            CliError::new(ExitCode::Unknown, format!("job {id} vanished from etcd")).into(),
        );
    };
    let (outcome, message) = crate::ops::agent_job::verdict(&job);
    if json {
        outln!(
            "{}",
            serde_json::json!({"job": job, "outcome": outcome, "message": message})
        );
    } else {
        outln!("job {id}: {}: {message}", job.state.label());
    }
    match job.state {
        JobState::Succeeded => Ok(()),
        JobState::Running => Err(CliError::new(ExitCode::Unknown, message).into()),
        _ => Err(CliError::new(ExitCode::OpFailed, message).into()),
    }
}
