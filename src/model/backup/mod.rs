//! Backups and the recoverable window, from what the node agent reports.
//!
//! pgBackRest is the source of truth for backup sets; its `info` JSON has no
//! WAL times, so the window's end comes from `pg_stat_archiver`, and its
//! holes from a listing of the archived segments in the repo. Everything
//! here is pure: the agent ships the raw pieces, the console derives.

pub mod archiver;
pub mod info;
pub mod report;
pub mod target;
pub mod wal;
pub mod window;

use serde::{Deserialize, Serialize};

/// One stanza of `pgbackrest info --output=json`, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StanzaInfo {
    pub name: String,
    pub status: Status,
    /// `status.lock.backup.held`: a backup runs now (on any node).
    pub backup_running: bool,
    /// Progress of the running backup, where the version reports it (2.48+:
    /// `status.lock.backup.size` / `size-cplt`).
    pub progress: Option<Progress>,
    pub cipher: String,
    pub repos: Vec<RepoInfo>,
    pub db: Vec<DbInfo>,
    pub archives: Vec<ArchiveInfo>,
    /// Oldest first, as pgBackRest lists them.
    pub backups: Vec<BackupSet>,
}

/// A stanza's or a repo's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Status {
    pub code: i64,
    pub message: String,
}

/// pgBackRest's status codes (stanza-level and per repo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusKind {
    Ok,
    MissingStanzaPath,
    NoValidBackups,
    MissingStanzaData,
    DifferentAcrossRepos,
    DatabaseMismatch,
    BackupNotFound,
    /// 99, or a code this pgtui does not know.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub size: u64,
    pub done: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoInfo {
    pub key: u32,
    pub cipher: String,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbInfo {
    pub id: u32,
    pub repo_key: u32,
    pub system_id: u64,
    pub version: String,
}

/// The WAL archive of one database history in one repo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveInfo {
    /// `15-1`: the directory under `archive/<stanza>/`.
    pub id: String,
    pub db_id: u32,
    pub repo_key: u32,
    pub min: Option<String>,
    pub max: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupKind {
    Full,
    Diff,
    Incr,
}

/// One backup set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSet {
    pub label: String,
    pub kind: BackupKind,
    pub prior: Option<String>,
    pub reference: Vec<String>,
    /// Epoch seconds.
    pub start: i64,
    pub stop: i64,
    /// Database size and the part this backup copied (`info.size`/`delta`).
    pub size: Option<u64>,
    pub delta: Option<u64>,
    /// Stored in the repo (`info.repository.size`/`delta`); `size` is absent
    /// with block incremental, which gives `size_map`/`delta_map`.
    pub repo_size: Option<u64>,
    pub repo_delta: Option<u64>,
    pub repo_size_map: Option<u64>,
    pub repo_delta_map: Option<u64>,
    /// Absent before pgBackRest 2.38.
    pub lsn_start: Option<String>,
    pub lsn_stop: Option<String>,
    pub wal_start: Option<String>,
    pub wal_stop: Option<String>,
    /// `error`: absent where the version does not know.
    pub error: Option<bool>,
    pub repo_key: u32,
    pub db_id: u32,
    /// The pgBackRest version that made it.
    pub backrest_version: String,
}

/// The leader's `pg_stat_archiver`, times as epoch seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Archiver {
    pub archived_count: i64,
    pub last_archived_wal: Option<String>,
    pub last_archived_time: Option<i64>,
    pub failed_count: i64,
    pub last_failed_wal: Option<String>,
    pub last_failed_time: Option<i64>,
    pub stats_reset: Option<i64>,
    /// The segment the leader writes now (`pg_walfile_name(
    /// pg_current_wal_lsn())`); absent on a replica or from an older agent.
    #[serde(default)]
    pub current_wal: Option<String>,
}

/// An archived WAL file in the repo, as `pgbackrest repo-ls` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalFile {
    /// The file name as stored (`000000010000000000000006-<sha1>.lz4`,
    /// `00000002.history`, `…​.00000028.backup`, `….partial`).
    pub name: String,
    /// Epoch seconds the repo gives as its modification time.
    pub time: Option<i64>,
}

impl BackupKind {
    pub fn label(self) -> &'static str {
        match self {
            BackupKind::Full => "full",
            BackupKind::Diff => "diff",
            BackupKind::Incr => "incr",
        }
    }

    pub fn parse(s: &str) -> Option<BackupKind> {
        match s {
            "full" => Some(BackupKind::Full),
            "diff" => Some(BackupKind::Diff),
            "incr" => Some(BackupKind::Incr),
            _ => None,
        }
    }
}
