//! The point-in-time restore job, run by the agent on the node it restores
//! (the leader's), step by step, each verified before the next:
//!
//! 1. `pause`: the cluster is paused and every member says so, so no other
//!    member promotes while this node is down.
//! 2. `stop`: Patroni stops (in pause it leaves PostgreSQL running), then
//!    `pg_ctl stop -m fast`; the postmaster must be gone. Its command line
//!    (`postmaster.opts`) is kept to start it the same way.
//! 3. `restore`: `pgbackrest restore --delta` to the target, promoting.
//! 4. `recover`: `pg_ctl start`; wait for the promotion (a new timeline) and
//!    the log line saying where recovery stopped.
//! 5. `lead`: Patroni starts, takes the leader key, then the cluster resumes.
//! 6. `rebuild`: every replica is reinitialised from the restored leader
//!    and must stream on the new timeline; pending restarts are done.
//! 7. `backup`: a new full backup (unless the caller said not to).
//! 8. `verify`: one leader on the new timeline, every member on it, and
//!    Patroni's history showing the switch.
//!
//! Until step 5 is verified the replicas are not touched: a failure at
//! steps 1–4 leaves them holding the pre-restore data, and the job's advice
//! says how to bring the cluster back through them.

use super::jobs::Jobs;
use super::local;
use super::patroni::{replicates_on, Local};
use super::settings::AgentSettings;
use crate::model::agent::Step;
pub use crate::model::backup::target::Ask;
use crate::model::backup::target::{restore_args, shell_words};
use crate::ops::rest_call::Method;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const STEPS: [&str; 8] = [
    "pause", "stop", "restore", "recover", "lead", "rebuild", "backup", "verify",
];

/// The files Patroni writes into the data directory for this node.
const KEEP: [&str; 4] = [
    "postgresql.conf",
    "postgresql.base.conf",
    "pg_hba.conf",
    "pg_ident.conf",
];

fn log_file(id: &str) -> PathBuf {
    std::env::temp_dir().join(format!("pgtui-restore-{id}.log"))
}

pub fn steps(ask: &Ask, stanza: &str, s: &AgentSettings, id: &str) -> Vec<Step> {
    let rest = s
        .pgtui
        .as_ref()
        .ok()
        .and_then(|c| c.local_rest_url.clone())
        .unwrap_or_else(|| "REST".into());
    let data = local::data_shown(s);
    let pg_ctl = local::pg_ctl(s).display().to_string();
    let commands = [
        format!("PATCH {rest}/config {{\"pause\": true}}  # then every member's /patroni says pause"),
        format!("{}; {pg_ctl} stop -D {data} -m fast -w", s.patroni_stop),
        format!(
            "{} {} restore",
            s.pgbackrest.display(),
            shell_words(&restore_args(stanza, ask))
        ),
        format!(
            "{pg_ctl} start -D {data} -W -l {} -o '<the options of postmaster.opts>'  # then wait for the promotion",
            log_file(id).display()
        ),
        format!("{}  # wait until it leads; then PATCH {rest}/config {{\"pause\": false}}", s.patroni_start),
        "POST <replica>/reinitialize {\"force\": true}  # each replica, then wait until it streams on the new timeline".into(),
        if ask.backup_after {
            format!(
                "{} --stanza={stanza} --type=full backup",
                s.pgbackrest.display()
            )
        } else {
            "(not asked: no new backup)".into()
        },
        format!("GET {rest}/cluster and {rest}/history  # one leader on the new timeline, every member on it"),
    ];
    STEPS
        .iter()
        .zip(commands)
        .map(|(name, command)| Step {
            name: name.to_string(),
            command,
            state: if *name == "backup" && !ask.backup_after {
                crate::model::agent::StepState::Skipped
            } else {
                crate::model::agent::StepState::Pending
            },
            started: None,
            ended: None,
            detail: None,
            ms: None,
        })
        .collect()
}

/// What a failure (or an interruption) at `step` leaves, and what to do.
pub fn advice(step: &str, cluster: &str, member: &str, s: &AgentSettings) -> String {
    let start = &s.patroni_start;
    let data = local::data_shown(s);
    let pg_ctl = local::pg_ctl(s).display().to_string();
    let way_back = format!(
        "The replicas were not touched and hold the pre-restore data. Way back: leave Patroni on {member} stopped (`{pg_ctl} stop -D {data} -m fast` if PostgreSQL runs there); run `pgtui resume {cluster}`, and Patroni promotes the most advanced replica (or name one: `pgtui failover {cluster} --candidate MEMBER`); then move the partly restored data directory aside (`mv {data} {data}.failed-restore`) and start Patroni on {member} (`{start}`): it finds no data and copies it again from the new leader"
    );
    match step {
        "pause" => format!(
            "nothing was stopped or restored. The cluster may be left paused: `pgtui resume {cluster}`"
        ),
        "stop" => format!(
            "nothing was restored; the cluster is paused. Patroni on {member} may be stopped and PostgreSQL there may still run. Start Patroni on {member} (`{start}`), check `pgtui --cluster {cluster}`, then `pgtui resume {cluster}`"
        ),
        "restore" => format!(
            "PostgreSQL on {member} is stopped and its data directory is partly restored; the cluster is paused. {way_back}"
        ),
        "recover" => format!(
            "PostgreSQL on {member} did not come up promoted on a new timeline (see the step's detail and its log); the cluster is paused. {way_back}"
        ),
        "lead" => format!(
            "PostgreSQL on {member} runs restored and promoted, but Patroni there does not lead, or the cluster is still paused. Read Patroni's log on {member}, start it (`{start}`), and once it leads run `pgtui resume {cluster}`. The replicas still hold the pre-restore data until they are rebuilt"
        ),
        "rebuild" => format!(
            "the restored leader {member} is verified and the cluster runs; some replicas are not rebuilt on the new timeline: `pgtui reinit {cluster} MEMBER` for each member `pgtui --cluster {cluster}` shows on an older timeline"
        ),
        "backup" => format!(
            "the restore is done and the cluster runs on the new timeline, but the new full backup failed: take one with `pgtui backup {cluster} --type full`"
        ),
        _ => format!(
            "the restore ran, but its end state was not seen: look at `pgtui --cluster {cluster}` and `pgtui backups {cluster}`"
        ),
    }
}

/// The state a restore carries from step to step.
pub struct Run {
    settings: Arc<AgentSettings>,
    args: Vec<String>,
    backup_after: bool,
    opts: Vec<String>,
    old_tl: Option<i64>,
    new_tl: Option<i64>,
}

fn tl(x: Option<i64>) -> String {
    x.map(|t| t.to_string()).unwrap_or_else(|| "?".into())
}

impl Run {
    pub fn new(settings: Arc<AgentSettings>, ask: &Ask) -> Run {
        let stanza = settings.stanza.clone().unwrap_or_default();
        Run {
            args: restore_args(&stanza, ask),
            settings,
            backup_after: ask.backup_after,
            opts: vec![],
            old_tl: None,
            new_tl: None,
        }
    }

    pub async fn step(&mut self, jobs: &Jobs, id: &str, i: usize) -> Result<String, String> {
        let local = Local::new(&self.settings)?;
        match STEPS[i] {
            "pause" => local.set_pause(true, Duration::from_secs(90)).await,
            "stop" => self.stop(&local).await,
            "restore" => self.restore(jobs, id).await,
            "recover" => self.recover(id).await,
            "lead" => self.lead(&local).await,
            "rebuild" => self.rebuild(jobs, id, &local).await,
            "backup" if self.backup_after => {
                let before = super::jobs::labels(&self.settings)
                    .await
                    .unwrap_or_default();
                jobs.backup(id, crate::model::backup::BackupKind::Full)
                    .await?;
                super::jobs::verify(
                    &self.settings,
                    &before,
                    crate::model::backup::BackupKind::Full,
                )
                .await
            }
            "backup" => Ok("not asked".into()),
            _ => self.verify(&local).await,
        }
    }

    async fn stop(&mut self, local: &Local) -> Result<String, String> {
        let s = &self.settings;
        let data = local::data_dir(s)?.to_path_buf();
        if let Ok(c) = local::connect(s).await {
            self.old_tl = local::primary_timeline(&c).await.ok().flatten();
        }
        self.opts = local::postmaster_opts(&data)?;
        let r = local::shell(&s.patroni_stop, Duration::from_secs(120)).await?;
        if !r.ok {
            return Err(format!("`{}` failed: {}", s.patroni_stop, r.text));
        }
        let t0 = Instant::now();
        while local.answers().await {
            if t0.elapsed() > Duration::from_secs(60) {
                return Err(format!(
                    "`{}` returned, but Patroni's REST API at {} still answers after 60 s",
                    s.patroni_stop, local.url
                ));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        if local::postmaster_running(s).await? {
            let d = data.display().to_string();
            let r = local::pg_ctl_run(
                s,
                &["stop", "-D", &d, "-m", "fast", "-w", "-t", "300"].map(String::from),
                Duration::from_secs(320),
            )
            .await?;
            if !r.ok {
                return Err(format!("pg_ctl stop failed: {}", r.text));
            }
        }
        if local::postmaster_running(s).await? {
            return Err("PostgreSQL still runs after pg_ctl stop: pgtui never restores over a running postmaster".into());
        }
        Ok(format!(
            "Patroni and PostgreSQL stopped on {} (it was on timeline {})",
            s.member,
            tl(self.old_tl)
        ))
    }

    async fn restore(&mut self, jobs: &Jobs, id: &str) -> Result<String, String> {
        let s = &self.settings;
        if local::postmaster_running(s).await? {
            return Err(
                "a postmaster runs on the data directory: pgtui never restores over it".into(),
            );
        }
        // The backup may come from another node: its Patroni-written
        // configuration names that node's sockets and certificates. This
        // node's own files go back in place after the restore, as Patroni
        // would write them (the recovery settings pgBackRest writes live in
        // postgresql.auto.conf, which is not kept).
        let data = local::data_dir(s)?.to_path_buf();
        let kept: Vec<(PathBuf, Vec<u8>)> = KEEP
            .iter()
            .map(|f| data.join(f))
            .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
            .collect();
        let mut cmd = tokio::process::Command::new(&s.pgbackrest);
        cmd.args(&self.args).args([
            "--log-level-console=info",
            "--log-level-stderr=off",
            "restore",
        ]);
        jobs.stream(id, cmd, "pgbackrest restore").await?;
        for (p, b) in &kept {
            std::fs::write(p, b).map_err(|e| {
                format!(
                    "putting this node's {} back after the restore: {e}",
                    p.display()
                )
            })?;
        }
        Ok(format!(
            "pgbackrest restore finished ({}); kept this node's {}",
            self.args.join(" "),
            kept.iter()
                .filter_map(|(p, _)| p.file_name().map(|f| f.to_string_lossy().into_owned()))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    async fn recover(&mut self, id: &str) -> Result<String, String> {
        let s = &self.settings;
        let data = local::data_dir(s)?.to_path_buf();
        let log = log_file(id);
        let d = data.display().to_string();
        let opts = local::opts_for_pg_ctl(&self.opts)?;
        let r = local::pg_ctl_run(
            s,
            &[
                "start".into(),
                "-D".into(),
                d,
                "-W".into(),
                "-l".into(),
                log.display().to_string(),
                "-o".into(),
                opts,
            ],
            Duration::from_secs(60),
        )
        .await?;
        if !r.ok {
            return Err(format!("pg_ctl start failed: {}", r.text));
        }
        let logs = || {
            let mut files = vec![log.clone()];
            if let Ok(cur) = std::fs::read_to_string(data.join("current_logfiles")) {
                for l in cur.lines() {
                    if let Some((_, f)) = l.split_once(' ') {
                        let p = PathBuf::from(f.trim());
                        files.push(if p.is_absolute() { p } else { data.join(p) });
                    }
                }
            }
            files
        };
        let find = |needles: &[&str]| {
            logs()
                .iter()
                .find_map(|f| local::last_line_with(f, needles))
        };
        let t0 = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if let Ok(c) = local::connect(s).await {
                if let Ok(Some(t)) = local::primary_timeline(&c).await {
                    self.new_tl = Some(t);
                    break;
                }
            }
            if t0.elapsed() > Duration::from_secs(5) && !local::postmaster_running(s).await? {
                let why = find(&["recovery ended before", "FATAL", "PANIC"])
                    .unwrap_or_else(|| "no FATAL line found".into());
                return Err(format!(
                    "PostgreSQL stopped during recovery: {why} (logs: {})",
                    logs()
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if t0.elapsed() > Duration::from_secs(6 * 3600) {
                return Err(
                    "recovery did not end within 6 h; PostgreSQL still runs in recovery".into(),
                );
            }
        }
        if self
            .old_tl
            .is_some_and(|o| self.new_tl.is_some_and(|n| n <= o))
        {
            return Err(format!(
                "PostgreSQL left recovery on timeline {}, not past the old timeline {}",
                tl(self.new_tl),
                tl(self.old_tl)
            ));
        }
        let stopped = find(&["recovery stopping"]).unwrap_or_else(|| {
            "no \"recovery stopping\" line: recovery ran to the end of the archived WAL".into()
        });
        Ok(format!(
            "promoted on timeline {} (was {}); {stopped}",
            tl(self.new_tl),
            tl(self.old_tl)
        ))
    }

    async fn lead(&mut self, local: &Local) -> Result<String, String> {
        let s = &self.settings;
        let r = local::shell(&s.patroni_start, Duration::from_secs(120)).await?;
        if !r.ok {
            return Err(format!("`{}` failed: {}", s.patroni_start, r.text));
        }
        let t0 = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if let Ok(members) = local.members().await {
                let leader = members
                    .iter()
                    .find(|m| m["role"].as_str() == Some("leader"));
                match leader.and_then(|m| m["name"].as_str()) {
                    Some(n) if n == s.member => break,
                    Some(other) => {
                        return Err(format!(
                            "{other} holds the leader key, not the restored {}: someone resumed or failed over during the restore",
                            s.member
                        ))
                    }
                    None => {}
                }
            }
            if t0.elapsed() > Duration::from_secs(180) {
                return Err(format!(
                    "Patroni on {} did not take the leader key within 180 s",
                    s.member
                ));
            }
        }
        let resumed = local.set_pause(false, Duration::from_secs(90)).await?;
        Ok(format!("{} leads; resumed: {resumed}", s.member))
    }

    async fn rebuild(&mut self, jobs: &Jobs, id: &str, local: &Local) -> Result<String, String> {
        let me = self.settings.member.clone();
        let new_tl = self.new_tl.ok_or("the new timeline is unknown")?;
        let replicas: Vec<(String, String)> = local
            .members()
            .await?
            .iter()
            .filter(|m| m["name"].as_str() != Some(me.as_str()))
            .filter_map(|m| {
                Some((
                    m["name"].as_str()?.to_string(),
                    crate::sources::rest::base_url(m["api_url"].as_str()?),
                ))
            })
            .collect();
        for (name, api) in &replicas {
            let t0 = Instant::now();
            loop {
                match local
                    .write(
                        Method::Post,
                        format!("{api}/reinitialize"),
                        json!({ "force": true }),
                    )
                    .await
                {
                    Ok(_) => break,
                    Err(e) if t0.elapsed() < Duration::from_secs(120) => {
                        jobs.log(id, format!("{name}: reinitialize not taken yet: {e}"))
                            .await;
                        tokio::time::sleep(Duration::from_secs(3)).await;
                    }
                    Err(e) => return Err(format!("{name}: {e}")),
                }
            }
            jobs.log(id, format!("{name}: reinitialize started")).await;
        }
        let t0 = Instant::now();
        loop {
            let members = local.members().await.unwrap_or_default();
            let behind: Vec<String> = replicas
                .iter()
                .filter(|(n, _)| {
                    !members
                        .iter()
                        .any(|m| m["name"].as_str() == Some(n) && replicates_on(m, new_tl))
                })
                .map(|(n, _)| n.clone())
                .collect();
            if behind.is_empty() {
                break;
            }
            if t0.elapsed() > Duration::from_secs(1800) {
                return Err(format!(
                    "not streaming on timeline {new_tl} after 30 min: {}",
                    behind.join(", ")
                ));
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        let mut restarted = vec![];
        for m in local.members().await? {
            if m["pending_restart"].as_bool() == Some(true) {
                if let (Some(n), Some(u)) = (m["name"].as_str(), m["api_url"].as_str()) {
                    local
                        .write(
                            Method::Post,
                            format!("{}/restart", crate::sources::rest::base_url(u)),
                            json!({}),
                        )
                        .await
                        .map_err(|e| format!("{n}: pending restart: {e}"))?;
                    restarted.push(n.to_string());
                }
            }
        }
        Ok(format!(
            "{} stream on timeline {new_tl}{}",
            if replicas.is_empty() {
                "no replica to rebuild;".to_string()
            } else {
                replicas
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            if restarted.is_empty() {
                String::new()
            } else {
                format!("; restarted (pending): {}", restarted.join(", "))
            }
        ))
    }

    async fn verify(&mut self, local: &Local) -> Result<String, String> {
        let me = &self.settings.member;
        let new_tl = self.new_tl.ok_or("the new timeline is unknown")?;
        let t0 = Instant::now();
        loop {
            let members = local.members().await?;
            let leaders: Vec<&str> = members
                .iter()
                .filter(|m| m["role"].as_str() == Some("leader"))
                .filter_map(|m| m["name"].as_str())
                .collect();
            let leader_ok = leaders == [me.as_str()]
                && members.iter().any(|m| {
                    m["name"].as_str() == Some(me) && m["timeline"].as_i64() == Some(new_tl)
                });
            let others_ok = members
                .iter()
                .filter(|m| m["name"].as_str() != Some(me))
                .all(|m| replicates_on(m, new_tl));
            let history = local.get(&local.url, "/history").await.unwrap_or_default();
            let last = history.as_array().and_then(|h| h.last()).cloned();
            let history_ok = last
                .as_ref()
                .and_then(|e| e[0].as_i64())
                .is_some_and(|t| t < new_tl);
            if leader_ok && others_ok && history_ok {
                return Ok(format!(
                    "{me} leads on timeline {new_tl}; {} member(s) stream on it; Patroni's history ends with {}",
                    members.len() - 1,
                    last.map(|e| e.to_string()).unwrap_or_default()
                ));
            }
            if t0.elapsed() > Duration::from_secs(120) {
                return Err(format!(
                    "after 120 s: leader(s) [{}] (want {me} on timeline {new_tl}), every replica on it: {others_ok}, history shows the switch: {history_ok}",
                    leaders.join(", ")
                ));
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }
}
