//! The audit log: one JSON line when an operation starts (before its
//! request) and one when it ends, so a crash mid-operation still leaves the
//! "started" record behind. `pgtui audit` prints it.

use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize)]
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
    pub phase: &'static str,
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

/// `PGTUI_AUDIT_LOG`, else `$XDG_STATE_HOME/pgtui/audit.jsonl`.
pub fn path() -> PathBuf {
    std::env::var_os("PGTUI_AUDIT_LOG")
        .map(PathBuf::from)
        .or_else(|| dirs::state_dir().map(|d| d.join("pgtui").join("audit.jsonl")))
        .unwrap_or_else(|| PathBuf::from("pgtui-audit.jsonl"))
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
pub fn append(rec: &Record) -> std::io::Result<()> {
    let p = path();
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&p)?;
    let line = serde_json::to_string(rec).map_err(std::io::Error::other)?;
    writeln!(f, "{line}")?;
    f.sync_data()
}
