//! `pgtui backups [CLUSTER]`: backup sets, archiving health and the
//! recoverable window with its holes, from the cluster's node agent.
//!
//! It reads what the console's backups screen reads (the agent source, then
//! `model::backup::report`), so both judge alike. Exit codes: 0 when the
//! agent answered (red findings are in the output, and in `red` in JSON),
//! 3 for an unknown cluster, 5 for a rejected token, 1 when no agent
//! answered.

use super::args::{Format, OneClusterArgs};
use super::render::simple_table;
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::model::backup::report::{archiving_text, epoch_secs, for_cluster, utc, Summary};
use crate::model::backup::BackupSet;
use crate::session::{one_cluster, Needs, Session};
use crate::sources::Scope;
use serde::Serialize;
use std::time::{Duration, SystemTime};

/// pgBackRest's `info` on a large repo takes seconds; the agent's own
/// deadline for it is 60 s.
const DEADLINE: Duration = Duration::from_secs(75);

#[derive(Serialize)]
struct Out<'a> {
    cluster: &'a str,
    /// The member whose agent answered.
    agent: &'a str,
    fetched_at: i64,
    red: bool,
    #[serde(flatten)]
    summary: &'a Summary,
}

/// Waits until the agent source has answered or failed for `name`.
pub async fn wait_backups(s: &Session, name: &str) {
    let mut changes = s.model.subscribe();
    let done = async {
        loop {
            let ready = s.model.read(|m| {
                m.clusters
                    .get(name)
                    .is_some_and(|c| c.backups.is_some() || c.backups_error.is_some())
            });
            if ready || changes.changed().await.is_err() {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(DEADLINE, done).await;
}

pub async fn run(config: Config, args: OneClusterArgs) -> anyhow::Result<()> {
    let name = one_cluster(&args.cluster, &config)?;
    let s = Session::start(config, Scope::only(vec![name.clone()]));
    super::wait_for_answer(&s, Needs::Dcs).await?;
    s.ensure_exist(std::slice::from_ref(&name)).await?;
    wait_backups(&s, &name).await;
    let now = SystemTime::now();
    let (summary, report, error, auth) = s.model.read(|m| {
        let c = m.clusters.get(&name);
        (
            for_cluster(m, &name, epoch_secs(now)),
            c.and_then(|c| c.backups.clone()),
            c.and_then(|c| c.backups_error.clone()),
            m.source(crate::model::SourceId::Agent).auth_failed,
        )
    });
    let (Some(summary), Some(report)) = (summary, report) else {
        let why = error
            .map(|(_, e)| e)
            .unwrap_or_else(|| format!("no agent answered within {} s", DEADLINE.as_secs()));
        let code = if auth {
            ExitCode::AuthFailed
        } else {
            ExitCode::Failure
        };
        return Err(CliError::new(code, format!("backups of {name}: {why}")).into());
    };
    if let Some((_, e)) = &error {
        errln!(
            "pgtui: STALE: the backups below are from {}, the last answer; now: {e}",
            utc(epoch_secs(report.at))
        );
    }
    let out = Out {
        cluster: &name,
        agent: &report.value.member,
        fetched_at: report.value.fetched_at,
        red: summary.is_red(),
        summary: &summary,
    };
    match args.format {
        Format::Json => outln!("{}", serde_json::to_string(&out).expect("serialisable")),
        Format::Yaml => out!("{}", serde_yaml::to_string(&out).expect("serialisable")),
        Format::Table => outln!("{}", table(&name, &out, epoch_secs(now))),
    }
    Ok(())
}

fn size(b: Option<u64>) -> String {
    match b {
        None => "-".into(),
        Some(b) if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        Some(b) => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
    }
}

fn row(b: &BackupSet) -> Vec<String> {
    vec![
        b.label.clone(),
        b.kind.label().into(),
        b.prior.clone().unwrap_or_else(|| "-".into()),
        utc(b.start),
        utc(b.stop),
        format!("{} s", b.stop - b.start),
        size(b.size),
        size(b.delta),
        size(b.repo_size.or(b.repo_size_map)),
        format!(
            "{}..{}",
            b.lsn_start.as_deref().unwrap_or("?"),
            b.lsn_stop.as_deref().unwrap_or("?")
        ),
        format!(
            "{}..{}",
            b.wal_start.as_deref().unwrap_or("?"),
            b.wal_stop.as_deref().unwrap_or("?")
        ),
        match b.error {
            Some(true) => "ERROR".into(),
            Some(false) => "ok".into(),
            None => "-".into(),
        },
    ]
}

fn table(name: &str, o: &Out, now: i64) -> String {
    let s = o.summary;
    let mut lines = vec![format!(
        "{name}: backups via the agent of {} (read {} s ago)",
        o.agent,
        now - o.fetched_at
    )];
    if let Some(st) = &s.stanza {
        lines.push(format!(
            "stanza {}: {} (code {}){}",
            st.name,
            st.status.message,
            st.status.code,
            if st.backup_running {
                match st.progress {
                    Some(p) if p.size > 0 => {
                        format!("; backup running {}%", p.done * 100 / p.size)
                    }
                    _ => "; backup running".into(),
                }
            } else {
                String::new()
            }
        ));
    }
    if let Some(a) = &s.archiving {
        lines.push(archiving_text(a));
    }
    match &s.window {
        Some(w) => lines.push(format!(
            "recoverable window: {} .. {} (from backup {}), {} hole(s)",
            utc(w.from),
            w.to.map(utc).unwrap_or_else(|| "unknown".into()),
            w.base,
            w.holes.len()
        )),
        None if s.configured => lines.push("recoverable window: none (no usable backup)".into()),
        None => {}
    }
    for f in &s.findings {
        lines.push(format!("{} {}", if f.red { "!!" } else { "--" }, f.text));
    }
    if let Some(st) = &s.stanza {
        lines.push(simple_table(
            &[
                "label", "type", "prior", "start", "stop", "took", "size", "delta", "repo", "lsn",
                "wal", "error",
            ],
            st.backups.iter().map(row).collect(),
            &[5, 6, 7, 8],
        ));
    }
    lines.join("\n")
}
