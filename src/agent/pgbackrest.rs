//! Running pgBackRest and reading the local `pg_stat_archiver`.
//!
//! pgBackRest is run as a child with its console log off and a deadline, so
//! a hung repo cannot hang the agent; its exit status and stderr are kept
//! for the caller, bounded.

use super::settings::AgentSettings;
use crate::model::backup::Archiver;
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("pgBackRest is not configured on this node: no --stanza, and no `--stanza=` in the archive_command or restore_command of its patroni.yml")]
    NotConfigured,
    #[error("cannot run {bin}: {reason}")]
    Spawn { bin: String, reason: String },
    #[error("`pgbackrest {command}` gave no answer within {secs} s")]
    Timeout { command: String, secs: u64 },
    #[error("`pgbackrest {command}` failed (exit {code}): {stderr}")]
    Failed {
        command: String,
        code: i32,
        stderr: String,
    },
}

/// What a finished pgbackrest command printed.
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// The last 2000 characters of a command's output, trimmed and escaped.
pub(super) fn bounded(text: &[u8]) -> String {
    let s = String::from_utf8_lossy(text);
    let s = s.trim();
    let tail: String = s
        .chars()
        .rev()
        .take(2000)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    crate::text::escape(&tail).into_owned()
}

pub fn stanza(s: &AgentSettings) -> Result<&str, RunError> {
    s.stanza.as_deref().ok_or(RunError::NotConfigured)
}

/// Runs `pgbackrest --stanza=S <args>`.
pub async fn run(s: &AgentSettings, args: &[&str]) -> Result<Output, RunError> {
    let stanza = stanza(s)?;
    let command = args.join(" ");
    let mut cmd = tokio::process::Command::new(&s.pgbackrest);
    cmd.arg(format!("--stanza={stanza}"))
        .args(["--log-level-console=off", "--log-level-stderr=error"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(DEADLINE, cmd.output())
        .await
        .map_err(|_| RunError::Timeout {
            command: command.clone(),
            secs: DEADLINE.as_secs(),
        })?
        .map_err(|e| RunError::Spawn {
            bin: s.pgbackrest.display().to_string(),
            reason: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(RunError::Failed {
            command,
            code: out.status.code().unwrap_or(-1),
            stderr: bounded(&out.stderr),
        });
    }
    Ok(Output {
        stdout: out.stdout,
        stderr: bounded(&out.stderr),
    })
}

/// Free bytes on the filesystem holding `dir`.
pub fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    let st = nix::sys::statvfs::statvfs(dir).ok()?;
    Some(st.blocks_available() as u64 * st.fragment_size() as u64)
}

/// `pgbackrest version`, as `2.45`.
pub async fn version(s: &AgentSettings) -> Option<String> {
    let out = tokio::process::Command::new(&s.pgbackrest)
        .arg("version")
        .output()
        .await
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().nth(1).map(str::to_string)
}

/// The local `pg_stat_archiver`, `archive_timeout` (s) and `wal_segment_size`.
pub async fn archiver(s: &AgentSettings) -> Result<(Archiver, u64, u64, Option<u64>), String> {
    let client = super::local::connect(s).await?;
    let row = client
        .query_one(
            "select archived_count, last_archived_wal, \
               extract(epoch from last_archived_time)::bigint, failed_count, last_failed_wal, \
               extract(epoch from last_failed_time)::bigint, extract(epoch from stats_reset)::bigint, \
               (select setting::bigint from pg_settings where name = 'archive_timeout'), \
               (select setting::bigint from pg_settings where name = 'wal_segment_size'), \
               case when pg_is_in_recovery() then null else pg_walfile_name(pg_current_wal_lsn()) end, \
               (select sum(pg_database_size(oid))::bigint from pg_database) \
             from pg_stat_archiver",
            &[],
        )
        .await
        .map_err(|e| format!("reading the local pg_stat_archiver: {e}"))?;
    let a = Archiver {
        archived_count: row.get(0),
        last_archived_wal: row.get(1),
        last_archived_time: row.get(2),
        failed_count: row.get(3),
        last_failed_wal: row.get(4),
        last_failed_time: row.get(5),
        stats_reset: row.get(6),
        current_wal: row.get(9),
    };
    let timeout: i64 = row.get(7);
    let seg: i64 = row.get(8);
    let db_size: Option<i64> = row.get(10);
    Ok((
        a,
        timeout.max(0) as u64,
        seg.max(0) as u64,
        db_size.map(|d| d.max(0) as u64),
    ))
}
