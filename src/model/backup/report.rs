//! What an agent's `GET /v1/backups` answers, and what the console derives
//! from it: the stanza, archiving health, the window with its holes, and the
//! findings that need the cluster's own state to see (a backup on a branch
//! the cluster left, a repo of another database, a member without an agent).
//!
//! The agent ships raw pieces; every judgement is made here, purely, so the
//! console, `pgtui backups` and the restore preflight judge alike.

use super::archiver::{health, ArchivingHealth};
use super::window::{window, Window};
use super::{Archiver, BackupSet, StanzaInfo, WalFile};
use crate::dcs::types::HistoryEntry;
use serde::{Deserialize, Serialize};

/// The body of `GET /v1/backups` (the agent adds `raw`, pgBackRest's JSON
/// as is, which the console does not keep).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BackupReport {
    /// pgBackRest is configured on the agent's node.
    pub configured: bool,
    /// The member whose agent answered.
    #[serde(default)]
    pub member: String,
    pub stanza: Option<String>,
    /// Epoch seconds the agent read pgBackRest.
    #[serde(default)]
    pub fetched_at: i64,
    /// Why pgBackRest could not be read at all (or why it is not configured).
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub stanzas: Option<Vec<StanzaInfo>>,
    #[serde(default)]
    pub parse_error: Option<String>,
    #[serde(default)]
    pub archiver: Option<Archiver>,
    #[serde(default)]
    pub archiver_error: Option<String>,
    #[serde(default)]
    pub archive_timeout: Option<u64>,
    #[serde(default)]
    pub wal_segment_size: Option<u64>,
    #[serde(default)]
    pub wal: Option<Vec<WalFile>>,
    #[serde(default)]
    pub wal_error: Option<String>,
    /// Free bytes on the data directory's filesystem, and the size of the
    /// databases, for the restore's disk check.
    #[serde(default)]
    pub data_dir_free: Option<u64>,
    #[serde(default)]
    pub database_size: Option<u64>,
}

/// What the cluster itself says, for the findings that compare.
#[derive(Debug, Clone, Default)]
pub struct ClusterFacts<'a> {
    /// From the DCS `initialize` key.
    pub system_id: Option<u64>,
    /// The DCS `history` key: each timeline and the LSN it ended at.
    pub history: &'a [HistoryEntry],
    pub members: Vec<String>,
    pub agents: Vec<String>,
}

/// A finding about backups, red or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub red: bool,
    pub text: String,
}

/// Everything a view shows about one cluster's backups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub configured: bool,
    pub stanza: Option<StanzaInfo>,
    pub archiving: Option<ArchivingHealth>,
    pub window: Option<Window>,
    /// Stop time of the newest usable backup.
    pub last_backup: Option<i64>,
    pub findings: Vec<Finding>,
}

impl Summary {
    /// No usable backup, archiving failing, a hole in the window, or any
    /// other red finding: red on the cluster screen and in the fleet.
    pub fn is_red(&self) -> bool {
        self.configured
            && (self.last_backup.is_none()
                || self.archiving.as_ref().is_some_and(|a| a.is_red())
                || self.findings.iter().any(|f| f.red))
    }
}

/// Whether backup `b` lies on a branch the cluster left: its timeline ended
/// (by the history key) before the backup started.
fn on_left_branch(b: &BackupSet, history: &[HistoryEntry]) -> bool {
    let (Some(tl), Some(start)) = (
        super::info::timeline_of(b),
        b.lsn_start
            .as_deref()
            .and_then(crate::model::sql::parse_lsn),
    ) else {
        return false;
    };
    history
        .iter()
        .any(|h| h.timeline == u64::from(tl) && start >= h.lsn)
}

pub fn summarize(r: &BackupReport, facts: &ClusterFacts, now: i64) -> Summary {
    let mut findings = Vec::new();
    let mut red = |text: String| findings.push(Finding { red: true, text });
    if !r.configured {
        return Summary {
            configured: false,
            stanza: None,
            archiving: None,
            window: None,
            last_backup: None,
            findings: vec![Finding {
                red: false,
                text: r
                    .error
                    .clone()
                    .unwrap_or_else(|| "pgBackRest is not configured".into()),
            }],
        };
    }
    for e in [&r.error, &r.parse_error, &r.archiver_error, &r.wal_error]
        .into_iter()
        .flatten()
    {
        red(e.clone());
    }
    let stanza = r
        .stanzas
        .as_ref()
        .and_then(|v| {
            v.iter()
                .find(|s| Some(&s.name) == r.stanza.as_ref())
                .or(v.first())
        })
        .cloned();
    let archiving = r
        .archiver
        .as_ref()
        .map(|a| health(a, r.archive_timeout.unwrap_or(0), now));
    let seg = r.wal_segment_size.unwrap_or(16 << 20);
    let window = stanza
        .as_ref()
        .and_then(|s| window(s, r.archiver.as_ref(), r.wal.as_deref().unwrap_or(&[]), seg));
    if let Some(s) = &stanza {
        if s.status.code != 0 {
            red(format!(
                "stanza {}: {} (code {}): {}",
                s.name,
                s.status.message,
                s.status.code,
                s.status.kind().advice()
            ));
        }
        if s.usable().next().is_none() {
            red(format!(
                "stanza {} has no usable backup: take a full backup",
                s.name
            ));
        }
        if let (Some(ours), Some(theirs)) = (facts.system_id, s.system_id()) {
            if ours != theirs {
                red(format!("stanza {} holds system id {theirs}, but the cluster's is {ours}: the repo belongs to another database, so nothing in it restores this cluster", s.name));
            }
        }
        for b in &s.backups {
            if on_left_branch(b, facts.history) {
                red(format!("backup {} was taken on timeline {} after the cluster left it: restoring it brings back a branch that is gone", b.label, super::info::timeline_of(b).unwrap_or(0)));
            }
        }
    }
    if let Some(w) = &window {
        for h in &w.holes {
            red(format!(
                "WAL hole on timeline {}: {} segment(s) missing from {} to {}; no target after the hole's start is reachable from an older backup",
                h.timeline, h.count, h.first, h.last
            ));
        }
    }
    if let Some(a @ (ArchivingHealth::Failing { .. } | ArchivingHealth::Stale { .. })) = &archiving
    {
        red(archiving_text(a));
    }
    for m in &facts.members {
        if !facts.agents.contains(m) {
            findings.push(Finding {
                red: false,
                text: format!(
                    "no pgtui agent registered for {m}: backups and restores cannot run there"
                ),
            });
        }
    }
    Summary {
        configured: true,
        last_backup: stanza
            .as_ref()
            .and_then(|s| s.last_backup())
            .map(|b| b.stop),
        stanza,
        archiving,
        window,
        findings,
    }
}

/// Archiving health in a DBA's words.
pub fn archiving_text(a: &ArchivingHealth) -> String {
    match a {
        ArchivingHealth::Ok { last } => format!("archiving OK, last at {}", utc(*last)),
        ArchivingHealth::Failing { wal, at } => format!(
            "archiving FAILING: {} failed at {}; read the leader's PostgreSQL log for archive_command errors",
            wal.as_deref().unwrap_or("a segment"),
            utc(*at)
        ),
        ArchivingHealth::Stale {
            last,
            silent_secs,
            limit_secs,
        } => format!(
            "archiving STALE: nothing archived for {silent_secs} s (limit {limit_secs} s), last at {}",
            last.map(utc).unwrap_or_else(|| "never".into())
        ),
        ArchivingHealth::NeverArchived => "nothing archived since the statistics were reset".into(),
    }
}

/// `t` as epoch seconds (0 before the epoch).
pub fn epoch_secs(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Epoch seconds as `2026-12-06 04:54:02Z`.
pub fn utc(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_else(|| format!("@{t}"))
}

/// The summary of cluster `name` from the model: its report judged against
/// its DCS keys (system id, history, members) and its registered agents.
pub fn for_cluster(m: &crate::model::Model, name: &str, now: i64) -> Option<Summary> {
    let c = m.clusters.get(name)?;
    let r = c.backups.as_ref()?;
    let history: &[HistoryEntry] = c
        .dcs
        .history
        .as_ref()
        .and_then(|h| h.value.ok())
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let facts = ClusterFacts {
        system_id: c
            .dcs
            .initialize
            .as_ref()
            .and_then(|i| i.value.ok())
            .and_then(|s| s.trim().parse().ok()),
        history,
        members: c.dcs.members.keys().cloned().collect(),
        agents: c.agents.keys().cloned().collect(),
    };
    Some(summarize(&r.value, &facts, now))
}
