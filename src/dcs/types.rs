//! Typed forms of Patroni's DCS values, covering Patroni 3.x and 4.x.
//!
//! Unknown fields are kept (`extra`) because Patroni adds keys between
//! releases and a console should show what it cannot interpret.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `members/<name>`: what a member's Patroni publishes every loop.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct MemberData {
    pub conn_url: Option<String>,
    pub api_url: Option<String>,
    pub state: Option<String>,
    /// `master` (Patroni < 4), `primary` (4.x), `standby_leader`, `replica`...
    pub role: Option<String>,
    pub version: Option<String>,
    pub xlog_location: Option<u64>,
    /// Patroni ≥ 4.1 publishes receive and replay positions separately.
    pub receive_lsn: Option<u64>,
    pub replay_lsn: Option<u64>,
    pub replication_state: Option<String>,
    pub timeline: Option<u64>,
    #[serde(default)]
    pub tags: BTreeMap<String, Value>,
    #[serde(default)]
    pub pending_restart: bool,
    pub scheduled_restart: Option<ScheduledRestart>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ScheduledRestart {
    pub schedule: Option<String>,
    pub postmaster_start_time: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MemberData {
    /// Host and port from `conn_url` (`postgres://host:port/db`).
    pub fn host_port(&self) -> (Option<String>, Option<u16>) {
        let Some(u) = self
            .conn_url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
        else {
            return (None, None);
        };
        (u.host_str().map(str::to_string), u.port().or(Some(5432)))
    }

    pub fn tag_bool(&self, name: &str) -> bool {
        match self.tags.get(name) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => {
                matches!(s.to_ascii_lowercase().as_str(), "true" | "on" | "yes" | "1")
            }
            Some(Value::Number(n)) => n.as_i64().unwrap_or(0) != 0,
            _ => false,
        }
    }
}

/// One `history` entry. Patroni writes `[tl, lsn, reason]` and, since 1.6,
/// `[tl, lsn, reason, timestamp, new_leader]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub timeline: u64,
    pub lsn: u64,
    pub reason: String,
    pub timestamp: Option<String>,
    pub new_leader: Option<String>,
}

impl<'de> Deserialize<'de> for HistoryEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let v: Vec<Value> = Vec::deserialize(d)?;
        if !(3..=5).contains(&v.len()) {
            return Err(D::Error::custom(format!(
                "history entry has {} elements, expected 3 to 5",
                v.len()
            )));
        }
        let num = |i: usize, what: &str| {
            v[i].as_u64().ok_or_else(|| {
                D::Error::custom(format!(
                    "history {what} is not a non-negative integer: {}",
                    v[i]
                ))
            })
        };
        let opt_str = |i: usize| -> Result<Option<String>, D::Error> {
            match v.get(i) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(D::Error::custom(format!(
                    "history field {i} is not a string: {other}"
                ))),
            }
        };
        Ok(HistoryEntry {
            timeline: num(0, "timeline")?,
            lsn: num(1, "lsn")?,
            reason: opt_str(2)?.unwrap_or_default(),
            timestamp: opt_str(3)?,
            new_leader: opt_str(4)?,
        })
    }
}

/// `status`: the leader's last WAL position, and (4.x) slot positions.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Status {
    pub optime: Option<u64>,
    #[serde(default)]
    pub slots: Option<BTreeMap<String, u64>>,
    #[serde(default)]
    pub retain_slots: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `sync`: who may be promoted without data loss in synchronous mode.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SyncState {
    pub leader: Option<String>,
    /// Comma separated member names (Patroni writes a string, or null).
    pub sync_standby: Option<String>,
    /// Patroni ≥ 4.0 quorum commit: number of standbys that must confirm.
    pub quorum: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SyncState {
    pub fn standbys(&self) -> Vec<String> {
        self.sync_standby
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// `failover`: a pending manual failover or (with `scheduled_at`) switchover.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct Failover {
    pub leader: Option<String>,
    /// Patroni calls the candidate `member`.
    pub member: Option<String>,
    pub scheduled_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Failover {
    pub fn is_empty(&self) -> bool {
        self.leader.is_none() && self.member.is_none() && self.scheduled_at.is_none()
    }
}
