//! The events log: what changed, when, in words a DBA can act on at 3 a.m.
//!
//! The live model only holds the *current* picture; a leader change that
//! happened while nobody looked is invisible in it. The events task
//! (`sources::events`) diffs successive snapshots of the model and appends
//! [`Event`]s here, to a bounded [`EventLog`] the views read. Severity and
//! message derive from the [`EventKind`] alone (so the kind carries the
//! context its message needs), which keeps every wording in one place.

use super::member_state::MemberState;
use super::role::Role;
use super::source::SourceId;
use serde::Serialize;
use std::collections::VecDeque;
use std::time::SystemTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warn,
    Alarm,
}

/// One flattened config key that changed; `None` means absent on that side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigChange {
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl std::fmt::Display for ConfigChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.before, &self.after) {
            (Some(b), Some(a)) => write!(f, "{}: {b} → {a}", self.path),
            (None, Some(a)) => write!(f, "{}: added {a}", self.path),
            (Some(b), None) => write!(f, "{}: removed (was {b})", self.path),
            (None, None) => write!(f, "{}: unchanged", self.path),
        }
    }
}

type Name = Option<String>;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    Watching {
        clusters: Vec<String>,
        stale: Vec<(SourceId, SystemTime)>,
    },
    ClusterAppeared {
        leader: Name,
        members: usize,
    },
    /// A console that read one cluster read the whole namespace: the
    /// clusters it held from then on, none of them news.
    NamespaceRead {
        clusters: usize,
    },
    ClusterGone,
    /// `timeline` is the cluster timeline before and after.
    LeaderChanged {
        from: Name,
        to: Name,
        timeline: (Option<u64>, Option<u64>),
    },
    TimelineBumped {
        from: u64,
        to: u64,
    },
    MemberJoined {
        member: String,
        role: Role,
        state: MemberState,
    },
    MemberLeft {
        member: String,
        role: Role,
        state: MemberState,
    },
    StateChanged {
        member: String,
        from: MemberState,
        to: MemberState,
    },
    RoleChanged {
        member: String,
        from: Role,
        to: Role,
    },
    Paused,
    Resumed,
    /// The VIP's verdict changed (`model::vip`), in its words.
    Vip {
        now: String,
        alarm: bool,
    },
    SwitchoverScheduled {
        at: String,
        from: Name,
        to: Name,
    },
    SwitchoverCleared {
        at: String,
    },
    PendingRestart {
        member: String,
        pending: bool,
    },
    RestartScheduled {
        member: String,
        at: Name,
    },
    /// A DCS key (`config`, `members/NAME`...) stopped decoding.
    Unparseable {
        key: String,
        error: String,
    },
    Readable {
        key: String,
    },
    ConfigChanged {
        changes: Vec<ConfigChange>,
    },
    SourceStale {
        source: SourceId,
        since: SystemTime,
        error: Name,
        auth: bool,
    },
    SourceRecovered {
        source: SourceId,
        stale_since: SystemTime,
    },
    /// pgtui's own trouble that is no source's (the audit log, say).
    Problem {
        text: String,
    },
    /// An operation whose pgtui died mid-way, judged from the cluster now.
    OperationReconciled {
        operation: String,
        started: String,
        by: String,
        outcome: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub at: SystemTime,
    /// `None` for events about pgtui itself or its data sources.
    pub cluster: Option<String>,
    pub kind: EventKind,
    pub severity: Severity,
    pub message: String,
}

impl Event {
    pub fn new(at: SystemTime, cluster: Option<String>, kind: EventKind) -> Event {
        let severity = severity(&kind);
        let text = describe(&kind, at);
        let message = match &cluster {
            Some(c) => format!("{c}: {text}"),
            None => text,
        };
        Event {
            at,
            cluster,
            kind,
            severity,
            message,
        }
    }
}

/// Healthy states are routine, transitions deserve a look, anything down or
/// failed wakes someone.
fn state_severity(state: &MemberState) -> Severity {
    if state.is_up() {
        Severity::Info
    } else if state.is_transitional() {
        Severity::Warn
    } else {
        Severity::Alarm
    }
}

fn severity(kind: &EventKind) -> Severity {
    use EventKind as K;
    use Severity::*;
    match kind {
        K::LeaderChanged { to: None, .. } | K::Unparseable { .. } => Alarm,
        K::Vip { alarm: true, .. } => Alarm,
        K::Vip { alarm: false, .. } => Info,
        K::TimelineBumped { from, to } if from > to => Alarm,
        K::SourceStale { source, .. } if *source == SourceId::Etcd => Alarm,
        K::StateChanged { to, .. } => state_severity(to),
        K::RoleChanged { from, to, .. } if !from.leads() && !to.leads() => Info,
        K::PendingRestart { pending: false, .. } | K::RestartScheduled { at: None, .. } => Info,
        K::Watching { .. } | K::ClusterAppeared { .. } | K::MemberJoined { .. } => Info,
        K::NamespaceRead { .. } => Info,
        K::Resumed | K::SwitchoverCleared { .. } | K::Readable { .. } => Info,
        K::ConfigChanged { .. } | K::SourceRecovered { .. } => Info,
        _ => Warn,
    }
}

fn or_none(n: &Name) -> &str {
    n.as_deref().unwrap_or("none")
}

fn tl(t: Option<u64>) -> String {
    t.map_or("?".into(), |t| t.to_string())
}

fn describe(kind: &EventKind, at: SystemTime) -> String {
    use EventKind as K;
    match kind {
        K::Watching { clusters, stale } => {
            let n = clusters.len();
            let mut s = format!("watching {n} cluster{}", if n == 1 { "" } else { "s" });
            if n > 0 {
                s = format!("{s}: {}", clusters.join(", "));
            }
            for (id, since) in stale {
                s = format!("{s}; {} stale since {}", id.label(), utc_hms(*since));
            }
            s
        }
        K::ClusterAppeared { leader, members } => {
            let n = members;
            format!("cluster appeared: leader {}, {n} members", or_none(leader))
        }
        K::NamespaceRead { clusters } => format!(
            "watching the whole namespace now: {clusters} cluster{}",
            if *clusters == 1 { "" } else { "s" }
        ),
        K::ClusterGone => "cluster gone: all its DCS keys were removed".into(),
        K::LeaderChanged {
            from: Some(f),
            to: None,
            ..
        } => {
            format!("NO LEADER (was {f}): leader key expired or removed")
        }
        K::LeaderChanged {
            from,
            to,
            timeline: (a, b),
        } => {
            let t = if a != b {
                format!("{} → {}", tl(*a), tl(*b))
            } else {
                tl(*b)
            };
            format!("leader {} → {} (timeline {t})", or_none(from), or_none(to))
        }
        K::TimelineBumped { from, to } if from > to => {
            format!("timeline went BACKWARDS {from} → {to}: cluster re-initialised or restored?")
        }
        K::TimelineBumped { from, to } => format!("timeline {from} → {to}"),
        K::MemberJoined {
            member,
            role,
            state,
        } => format!("member {member} joined ({role}, {state})"),
        K::MemberLeft {
            member,
            role,
            state,
        } => {
            format!(
                "member {member} left: its DCS key expired or was removed (was {role}, {state})"
            )
        }
        K::StateChanged { member, from, to } => format!("{member} {from} → {to}"),
        K::RoleChanged { member, from, to } => format!("{member} role {from} → {to}"),
        K::Paused => "maintenance mode ON (paused): no automatic failover".into(),
        K::Vip { now, .. } => now.clone(),
        K::Resumed => "maintenance mode OFF (resumed): automatic failover active again".into(),
        K::SwitchoverScheduled { at, from, to } => {
            let part =
                |l: &str, v: &Name| v.as_ref().map(|v| format!(" {l} {v}")).unwrap_or_default();
            format!(
                "switchover scheduled at {at}{}{}",
                part("from", from),
                part("to", to)
            )
        }
        K::SwitchoverCleared { at } => {
            format!("scheduled switchover at {at} cleared (done or cancelled)")
        }
        K::PendingRestart {
            member,
            pending: true,
        } => {
            format!("{member} pending restart: a changed setting needs a PostgreSQL restart")
        }
        K::PendingRestart { member, .. } => format!("{member} no longer pending restart"),
        K::RestartScheduled {
            member,
            at: Some(t),
        } => format!("restart of {member} scheduled at {t}"),
        K::RestartScheduled { member, .. } => {
            format!("scheduled restart of {member} cleared (done or cancelled)")
        }
        K::Unparseable { key, error } => format!("DCS key {key} is unreadable: {error}"),
        K::Readable { key } => format!("DCS key {key} readable again"),
        K::Problem { text } => text.clone(),
        K::OperationReconciled {
            operation,
            started,
            by,
            outcome,
            message,
        } => format!(
            "pgtui stopped mid-{operation}; reconciled: {outcome}: {message} (started {started} by {by})"
        ),
        K::ConfigChanged { changes } => {
            let shown: Vec<String> = changes.iter().take(8).map(ToString::to_string).collect();
            let more = changes.len() - shown.len();
            let more = (more > 0).then(|| format!("; and {more} more"));
            let more = more.unwrap_or_default();
            format!("config edited: {}{more}", shown.join("; "))
        }
        K::SourceStale {
            source,
            since,
            error,
            auth,
        } => {
            let why = match (error, auth) {
                (Some(e), true) => format!(": credentials rejected ({e})"),
                (None, true) => ": credentials rejected".into(),
                (Some(e), false) => format!(": {e}"),
                (None, false) => String::new(),
            };
            let l = source.label();
            format!(
                "{l}: stale since {}{why}; showing last known data",
                utc_hms(*since)
            )
        }
        K::SourceRecovered {
            source,
            stale_since: s,
        } => {
            let secs = at.duration_since(*s).unwrap_or_default().as_secs();
            format!(
                "{}: recovered after {secs}s (stale since {})",
                source.label(),
                utc_hms(*s)
            )
        }
    }
}

/// A bounded ring of events, oldest first, newest last.
#[derive(Debug, Clone)]
pub struct EventLog {
    events: VecDeque<Event>,
    cap: usize,
    total: u64,
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog::with_capacity(EventLog::DEFAULT_CAP)
    }
}

impl EventLog {
    pub const DEFAULT_CAP: usize = 1000;

    pub fn with_capacity(cap: usize) -> Self {
        let cap = cap.max(1);
        EventLog {
            events: VecDeque::with_capacity(cap.min(64)),
            cap,
            total: 0,
        }
    }

    /// Appends, dropping the oldest events beyond the capacity.
    pub fn push(&mut self, e: Event) {
        if self.events.len() == self.cap {
            self.events.pop_front();
        }
        self.events.push_back(e);
        self.total += 1;
    }

    pub fn extend(&mut self, events: impl IntoIterator<Item = Event>) {
        events.into_iter().for_each(|e| self.push(e));
    }

    /// Oldest first; `.rev()` for newest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Event> + ExactSizeIterator {
        self.events.iter()
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Events ever appended, including those the ring dropped: a view
    /// compares it with the value it last saw to know how many are new.
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// `HH:MM:SS UTC` of a wall-clock time.
pub fn utc_hms(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    format!(
        "{:02}:{:02}:{:02} UTC",
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60
    )
}
