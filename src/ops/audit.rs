//! The audit log: one JSON line when an operation starts (before its
//! request) and one when it ends, so a crash mid-operation still leaves the
//! "started" record behind. `pgtui audit` prints it.

use serde::{Deserialize, Serialize};
use std::io::Write;

/// Which moment of an operation a record is. An operation with a
/// `started` record and no other is an orphan: its pgtui died mid-way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Written before the request is sent.
    Started,
    /// The operation ran to an outcome.
    Finished,
    /// A step of an agent job started, ended or failed (its command or
    /// what it found), as the job's record said it.
    Step,
    /// Refused before anything was sent (preflight, lock, read-only).
    Refused,
    /// An orphan judged later from the cluster as it then was.
    Reconciled,
    /// A phase this pgtui does not know (a newer one wrote it): the record
    /// still ends its operation.
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Basis {
    /// etcd revision of the read the preflight used.
    pub revision: i64,
    pub leader: Option<String>,
    pub timeline: Option<u64>,
    pub paused: bool,
}

#[derive(Debug, Serialize)]
pub struct Record<'a> {
    pub id: &'a str,
    pub phase: Phase,
    pub at: String,
    pub user: String,
    pub host: String,
    pub cluster: &'a str,
    pub operation: &'a super::Operation,
    pub basis: &'a Basis,
    pub outcome: Option<super::Outcome>,
    pub message: Option<&'a str>,
    pub result: Option<&'a Basis>,
}

pub fn whoami() -> (String, String) {
    let user = nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| "?".into());
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "?".into());
    (user, host)
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Appends one record, flushed and synced: it must survive a kill -9 that
/// comes right after.
pub fn append(p: &std::path::Path, rec: &Record) -> std::io::Result<()> {
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)?;
    let line = serde_json::to_string(rec).map_err(std::io::Error::other)?;
    writeln!(f, "{line}")?;
    f.sync_data()
}

/// A record as read back from the log.
#[derive(Debug, Clone, Deserialize)]
pub struct OwnedRecord {
    pub id: String,
    pub phase: Phase,
    pub at: String,
    pub user: String,
    pub host: String,
    pub cluster: String,
    pub operation: super::Operation,
    pub basis: Basis,
    #[serde(default)]
    pub outcome: Option<super::Outcome>,
}

/// Every readable record of the log; lines that do not parse (a torn
/// last line after a crash, a future format) are skipped, not fatal.
pub fn read_all(p: &std::path::Path) -> std::io::Result<Vec<OwnedRecord>> {
    match std::fs::read_to_string(p) {
        Ok(t) => Ok(t
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(vec![]),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::Phase;

    #[test]
    fn phases_keep_their_words() {
        let all = [
            Phase::Started,
            Phase::Finished,
            Phase::Refused,
            Phase::Reconciled,
        ];
        assert_eq!(
            serde_json::to_string(&all).unwrap(),
            r#"["started","finished","refused","reconciled"]"#
        );
        for p in all {
            let back: Phase = serde_json::from_value(serde_json::to_value(p).unwrap()).unwrap();
            assert_eq!(back, p);
        }
    }

    #[test]
    fn a_phase_from_a_newer_pgtui_is_read_not_dropped() {
        let p: Phase = serde_json::from_str(r#""aborted""#).unwrap();
        assert_eq!(p, Phase::Other);
        assert_ne!(p, Phase::Started, "it ends its operation");
    }
}
