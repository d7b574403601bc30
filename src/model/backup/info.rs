//! Parsing `pgbackrest info --output=json` the way versions really differ:
//! `lsn` only from 2.38, `repository.size` replaced by `size-map` with
//! block incremental (2.46+), progress under `status.lock.backup` from
//! 2.48, `error` absent where unknown. Unknown fields are ignored; a
//! missing required one is an error naming the stanza and the backup.

use super::{
    ArchiveInfo, BackupKind, BackupSet, DbInfo, Progress, RepoInfo, StanzaInfo, Status, StatusKind,
};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InfoError {
    #[error("pgbackrest info output is not JSON: {0}")]
    NotJson(String),
    #[error("pgbackrest info output is not a list of stanzas (it starts with {0})")]
    NotAList(String),
    #[error("pgbackrest info: {at}: {what}")]
    Field { at: String, what: String },
}

fn field(at: &str, what: impl Into<String>) -> InfoError {
    InfoError::Field {
        at: at.to_string(),
        what: what.into(),
    }
}

fn opt_str(v: &Value) -> Option<String> {
    v.as_str().map(|s| crate::text::escape(s).into_owned())
}

fn u32_of(v: &Value) -> u32 {
    v.as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

fn status(v: &Value) -> Status {
    Status {
        code: v["code"].as_i64().unwrap_or(99),
        message: opt_str(&v["message"]).unwrap_or_default(),
    }
}

/// Parses the whole output. Never panics.
pub fn parse_info(json: &[u8]) -> Result<Vec<StanzaInfo>, InfoError> {
    let v: Value = serde_json::from_slice(json).map_err(|e| InfoError::NotJson(e.to_string()))?;
    let Value::Array(stanzas) = v else {
        let start: String = String::from_utf8_lossy(json).chars().take(20).collect();
        return Err(InfoError::NotAList(
            crate::text::escape(start.trim()).into_owned(),
        ));
    };
    stanzas
        .iter()
        .enumerate()
        .map(|(i, s)| stanza(i, s))
        .collect()
}

fn stanza(i: usize, s: &Value) -> Result<StanzaInfo, InfoError> {
    let name = opt_str(&s["name"]).ok_or_else(|| field(&format!("stanza {}", i + 1), "no name"))?;
    let lock = &s["status"]["lock"]["backup"];
    let progress = match (lock["size"].as_u64(), lock["size-cplt"].as_u64()) {
        (Some(size), Some(done)) => Some(Progress { size, done }),
        _ => None,
    };
    let list = |k: &str| s[k].as_array().cloned().unwrap_or_default();
    let backups = list("backup")
        .iter()
        .enumerate()
        .map(|(j, b)| backup(&format!("stanza {name}, backup {}", j + 1), b))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(StanzaInfo {
        status: status(&s["status"]),
        backup_running: lock["held"].as_bool().unwrap_or(false),
        progress,
        cipher: opt_str(&s["cipher"]).unwrap_or_default(),
        repos: list("repo")
            .iter()
            .map(|r| RepoInfo {
                key: u32_of(&r["key"]),
                cipher: opt_str(&r["cipher"]).unwrap_or_default(),
                status: status(&r["status"]),
            })
            .collect(),
        db: list("db")
            .iter()
            .map(|d| DbInfo {
                id: u32_of(&d["id"]),
                repo_key: u32_of(&d["repo-key"]),
                system_id: d["system-id"].as_u64().unwrap_or(0),
                version: opt_str(&d["version"]).unwrap_or_default(),
            })
            .collect(),
        archives: list("archive")
            .iter()
            .map(|a| ArchiveInfo {
                id: opt_str(&a["id"]).unwrap_or_default(),
                db_id: u32_of(&a["database"]["id"]),
                repo_key: u32_of(&a["database"]["repo-key"]),
                min: opt_str(&a["min"]),
                max: opt_str(&a["max"]),
            })
            .collect(),
        backups,
        name,
    })
}

fn backup(at: &str, b: &Value) -> Result<BackupSet, InfoError> {
    let label = opt_str(&b["label"]).ok_or_else(|| field(at, "no label"))?;
    let at = format!("{at} ({label})");
    let kind = match b["type"].as_str() {
        Some("full") => BackupKind::Full,
        Some("diff") => BackupKind::Diff,
        Some("incr") => BackupKind::Incr,
        other => {
            return Err(field(
                &at,
                format!(
                    "type is {}, not full, diff or incr",
                    other
                        .map(|s| crate::text::escape(s).into_owned())
                        .unwrap_or_else(|| "missing".into())
                ),
            ))
        }
    };
    let ts = |k: &str| {
        b["timestamp"][k]
            .as_i64()
            .ok_or_else(|| field(&at, format!("no timestamp.{k}")))
    };
    let info = &b["info"];
    let repo = &info["repository"];
    Ok(BackupSet {
        kind,
        prior: opt_str(&b["prior"]),
        reference: b["reference"]
            .as_array()
            .map(|r| r.iter().filter_map(opt_str).collect())
            .unwrap_or_default(),
        start: ts("start")?,
        stop: ts("stop")?,
        size: info["size"].as_u64(),
        delta: info["delta"].as_u64(),
        repo_size: repo["size"].as_u64(),
        repo_delta: repo["delta"].as_u64(),
        repo_size_map: repo["size-map"].as_u64(),
        repo_delta_map: repo["delta-map"].as_u64(),
        lsn_start: opt_str(&b["lsn"]["start"]),
        lsn_stop: opt_str(&b["lsn"]["stop"]),
        wal_start: opt_str(&b["archive"]["start"]),
        wal_stop: opt_str(&b["archive"]["stop"]),
        error: b["error"].as_bool(),
        repo_key: u32_of(&b["database"]["repo-key"]),
        db_id: u32_of(&b["database"]["id"]),
        backrest_version: opt_str(&b["backrest"]["version"]).unwrap_or_default(),
        label,
    })
}

impl Status {
    pub fn kind(&self) -> StatusKind {
        match self.code {
            0 => StatusKind::Ok,
            1 => StatusKind::MissingStanzaPath,
            2 => StatusKind::NoValidBackups,
            3 => StatusKind::MissingStanzaData,
            4 => StatusKind::DifferentAcrossRepos,
            5 => StatusKind::DatabaseMismatch,
            6 => StatusKind::BackupNotFound,
            _ => StatusKind::Other,
        }
    }
}

impl StatusKind {
    /// What a DBA does about it.
    pub fn advice(self) -> &'static str {
        match self {
            StatusKind::Ok => "",
            StatusKind::MissingStanzaPath => "the stanza was never created in this repo: run `pgbackrest stanza-create` for it on the leader",
            StatusKind::NoValidBackups => "the stanza has no valid backup: take a full backup now",
            StatusKind::MissingStanzaData => "the repo lacks the stanza's info files: check the repo path and permissions, or re-create the stanza",
            StatusKind::DifferentAcrossRepos => "the repos disagree: look at each repo's status below",
            StatusKind::DatabaseMismatch => "the repos hold different databases: check which system id each one belongs to",
            StatusKind::BackupNotFound => "the requested backup set is not in the repo: list the sets and pick one that exists",
            StatusKind::Other => "pgBackRest reports an error it has no code for: run `pgbackrest info` on the node and read its message",
        }
    }
}

impl StanzaInfo {
    /// Backups not marked as having an error.
    pub fn usable(&self) -> impl Iterator<Item = &BackupSet> {
        self.backups.iter().filter(|b| b.error != Some(true))
    }

    pub fn last_backup(&self) -> Option<&BackupSet> {
        self.usable().max_by_key(|b| b.stop)
    }

    /// The set pgBackRest restores for a time target: the newest usable
    /// backup that stopped at or before it (a backup is consistent at its
    /// stop time, so a target equal to it is reachable from it).
    pub fn backup_for_target(&self, target: i64) -> Option<&BackupSet> {
        self.usable()
            .filter(|b| b.stop <= target)
            .max_by_key(|b| b.stop)
    }

    /// The current database's system id (the db entry with the highest id).
    pub fn system_id(&self) -> Option<u64> {
        self.db.iter().max_by_key(|d| d.id).map(|d| d.system_id)
    }
}

/// The timeline a backup started on, from its first WAL segment.
pub fn timeline_of(b: &BackupSet) -> Option<u32> {
    let w = b.wal_start.as_deref()?;
    u32::from_str_radix(w.get(..8)?, 16).ok()
}
