//! Source identity, per-datum provenance and per-source health.

use serde::Serialize;
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceId {
    Etcd,
    Rest,
    Sql,
    Haproxy,
    Agent,
    /// The pgbouncers' admin consoles.
    Pgbouncer,
    /// The agents' VIP reports.
    Vip,
}

impl SourceId {
    pub fn label(self) -> &'static str {
        match self {
            SourceId::Etcd => "etcd",
            SourceId::Rest => "patroni-rest",
            SourceId::Sql => "sql",
            SourceId::Haproxy => "haproxy",
            SourceId::Agent => "agent",
            SourceId::Pgbouncer => "pgbouncer",
            SourceId::Vip => "vip",
        }
    }
}

/// A value with the source it came from and when that source produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: SourceId,
    pub at: SystemTime,
}

impl<T> Sourced<T> {
    pub fn new(value: T, source: SourceId, at: SystemTime) -> Self {
        Sourced { value, source, at }
    }

    pub fn age(&self, now: SystemTime) -> Duration {
        now.duration_since(self.at).unwrap_or_default()
    }
}

/// How a source is doing. `down_since` is set on the first failure after a
/// success and cleared on the next success: views use it to say "stale since".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceHealth {
    pub last_ok: Option<SystemTime>,
    pub last_error: Option<(SystemTime, String)>,
    pub down_since: Option<SystemTime>,
    /// The last failure was a credentials rejection, not an outage.
    pub auth_failed: bool,
    /// What kind of failure the last one was (etcd classifies its own).
    pub fault: Option<crate::dcs::Fault>,
    /// How many times the source had to rebuild its picture from scratch
    /// (etcd: a re-list after compaction or cancel).
    pub resyncs: u64,
}

impl SourceHealth {
    pub fn ok(&mut self, now: SystemTime) {
        self.last_ok = Some(now);
        self.down_since = None;
        self.auth_failed = false;
        self.fault = None;
    }

    pub fn failed(&mut self, now: SystemTime, message: impl Into<String>) {
        self.last_error = Some((now, message.into()));
        if self.down_since.is_none() {
            self.down_since = Some(now);
        }
    }

    pub fn is_stale(&self) -> bool {
        self.down_since.is_some() || self.last_ok.is_none()
    }
}

/// One polling round's verdict, the same for every polling source: live when
/// any target answered, failing with the last error (and whether it was a
/// rejected login) when none did, unchanged when nothing was asked.
#[derive(Debug, Default)]
pub struct Round {
    any_ok: bool,
    last_err: Option<(String, bool)>,
}

impl Round {
    pub fn answered(&mut self) {
        self.any_ok = true;
    }

    pub fn failed(&mut self, message: impl Into<String>, auth: bool) {
        self.last_err = Some((message.into(), auth));
    }

    pub fn record(self, health: &mut SourceHealth, now: SystemTime) {
        match (self.any_ok, self.last_err) {
            (true, _) => health.ok(now),
            (false, Some((message, auth))) => {
                health.failed(now, message);
                health.auth_failed = auth;
            }
            (false, None) => {}
        }
    }
}
