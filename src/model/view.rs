//! The derived, presentation-ready picture of a cluster: what `list` prints
//! and what the JSON contract promises. Pure: model and `now` in, rows out.

use super::cluster::ClusterState;
use super::lag::member_lag;
use super::member_state::MemberState;
use super::role::Role;
use super::source::SourceId;
use crate::dcs::Decoded;
use serde::Serialize;
use serde_json::{Map, Value};
use std::time::SystemTime;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduledSwitchover {
    pub at: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterView {
    pub name: String,
    pub system_id: Option<String>,
    pub leader: Option<String>,
    pub timeline: Option<u64>,
    pub paused: bool,
    pub scheduled_switchover: Option<ScheduledSwitchover>,
    pub members: Vec<MemberView>,
    /// DCS keys of this cluster that did not decode: `key: reason`.
    pub unparseable_keys: Vec<String>,
    /// What pgtui noticed in the data and will not pass over silently:
    /// values that held control characters, keys it cannot place, a leader
    /// key naming no member, values too long to show whole.
    pub findings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberView {
    pub name: String,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub api_url: Option<String>,
    pub role: Role,
    pub state: MemberState,
    pub timeline: Option<u64>,
    pub lag_mb: Option<u64>,
    pub receive_lag_bytes: Option<u64>,
    pub replay_lag_bytes: Option<u64>,
    pub pending_restart: bool,
    pub scheduled_restart: Option<String>,
    pub tags: Map<String, Value>,
    /// Why this member's DCS value could not be read (null when it could).
    pub unparseable: Option<String>,
    #[serde(skip)]
    pub lag_source: Option<SourceId>,
    #[serde(skip)]
    pub data_at: Option<SystemTime>,
    #[serde(skip)]
    pub raw: Option<String>,
}

fn quorum_mode(c: &ClusterState) -> bool {
    c.dcs
        .config_doc()
        .and_then(|d| d.synchronous_mode())
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("quorum"))
}

fn system_id(c: &ClusterState) -> Option<String> {
    c.dcs
        .initialize
        .as_ref()
        .and_then(|e| e.value.ok().cloned())
        .or_else(|| {
            c.rest
                .values()
                .find_map(|r| r.value.database_system_identifier.clone())
        })
}

/// PostgreSQL's integer version as text: 150018 → 15.18, 90624 → 9.6.24.
pub fn pg_version(v: u64) -> String {
    if v >= 100000 {
        format!("{}.{}", v / 10000, v % 10000)
    } else {
        format!("{}.{}.{}", v / 10000, (v / 100) % 100, v % 100)
    }
}

/// Builds the view of one cluster.
pub fn cluster_view(c: &ClusterState) -> ClusterView {
    let leader = c.dcs.leader_name().map(str::to_string);
    let sync: Vec<String> = c
        .dcs
        .sync
        .as_ref()
        .and_then(|e| e.value.ok())
        .filter(|s| s.leader.is_some() && s.leader == leader)
        .map(|s| s.standbys())
        .unwrap_or_default();
    let quorum = quorum_mode(c);

    let mut members = Vec::with_capacity(c.dcs.members.len());
    for (name, entry) in &c.dcs.members {
        let is_leader = leader.as_deref() == Some(name.as_str());
        let mut m = MemberView {
            name: name.clone(),
            host: None,
            port: None,
            api_url: None,
            role: Role::Replica,
            state: MemberState::Unparseable,
            timeline: None,
            lag_mb: None,
            receive_lag_bytes: None,
            replay_lag_bytes: None,
            pending_restart: false,
            scheduled_restart: None,
            tags: Map::new(),
            unparseable: None,
            lag_source: None,
            data_at: Some(entry.at),
            raw: None,
        };
        match &entry.value {
            Decoded::Unparseable { raw, error } => {
                m.role = if is_leader {
                    Role::Leader
                } else {
                    Role::Unreadable
                };
                m.unparseable = Some(error.clone());
                m.raw = Some(raw.clone());
            }
            Decoded::Ok(d) => {
                let (host, port) = d.host_port();
                m.host = host;
                m.port = port;
                m.api_url = d.api_url.clone();
                let own_state = d.state.as_deref().map(MemberState::parse);
                m.role = if is_leader {
                    match d.role.as_deref().map(Role::parse) {
                        Some(Role::StandbyLeader) => Role::StandbyLeader,
                        _ => Role::Leader,
                    }
                } else if sync.iter().any(|s| s == name) {
                    if quorum {
                        Role::QuorumStandby
                    } else {
                        Role::SyncStandby
                    }
                } else {
                    Role::Replica
                };
                // Patroni 4 shows a replica's replication state ("streaming",
                // "in archive recovery") in place of a plain "running".
                m.state = match (&own_state, d.replication_state.as_deref()) {
                    (Some(MemberState::Running), Some(rs)) if !is_leader => MemberState::parse(rs),
                    (Some(s), _) => s.clone(),
                    (None, _) => MemberState::NotReported,
                };
                m.timeline = d.timeline;
                m.pending_restart = d.pending_restart;
                m.scheduled_restart = d
                    .scheduled_restart
                    .as_ref()
                    .and_then(|s| s.schedule.clone());
                m.tags = d.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                let running = own_state.as_ref().is_some_and(MemberState::is_up);
                if !is_leader && running {
                    if let Some(l) = leader.as_deref().and_then(|l| member_lag(c, l, name)) {
                        m.receive_lag_bytes = l.receive_bytes;
                        m.replay_lag_bytes = l.replay_bytes;
                        m.lag_mb = l.mb();
                        m.lag_source = Some(l.source);
                        m.data_at = Some(l.at.max(entry.at));
                    }
                }
            }
        }
        members.push(m);
    }

    let timeline = leader
        .as_deref()
        .and_then(|l| c.dcs.members.get(l))
        .and_then(|e| e.value.ok())
        .and_then(|d| d.timeline)
        .or_else(|| {
            c.dcs
                .history
                .as_ref()
                .and_then(|e| e.value.ok())
                .and_then(|h| h.last())
                .map(|h| h.timeline + 1)
        });

    let scheduled_switchover = c
        .dcs
        .failover
        .as_ref()
        .and_then(|e| e.value.ok())
        .and_then(|f| {
            f.scheduled_at.clone().map(|at| ScheduledSwitchover {
                at,
                from: f.leader.clone(),
                to: f.member.clone(),
            })
        });

    ClusterView {
        name: c.name.clone(),
        system_id: system_id(c),
        leader,
        timeline,
        paused: c.dcs.paused(),
        scheduled_switchover,
        members,
        unparseable_keys: unparseable_keys(c),
        findings: findings(c),
    }
}

/// Longest text a cell shows before it is cut with a marker; `-f json`
/// carries the whole value.
pub const SHOWN_CHARS: usize = 200;

fn findings(c: &ClusterState) -> Vec<String> {
    let d = &c.dcs;
    let mut out = Vec::new();
    if c.name.contains('\\') {
        out.push(format!(
            "the cluster name {} held control characters or bytes that are not UTF-8; shown escaped",
            c.name
        ));
    }
    for (key, fields) in &d.escaped {
        out.push(format!(
            "{key}: {} held control characters; shown escaped",
            fields.join(", ")
        ));
    }
    for (name, e) in &d.members {
        if name.contains('\\') {
            out.push(format!(
                "members/{name}: the member name held control characters or bytes that are not UTF-8; shown escaped"
            ));
        }
        let long = e.value.ok().into_iter().flat_map(|m| {
            m.tags
                .iter()
                .filter(|(_, v)| shown_len(v) > SHOWN_CHARS)
                .map(|(k, v)| (k.clone(), shown_len(v)))
        });
        for (tag, len) in long {
            out.push(format!(
                "members/{name}: tag {tag} is {len} characters; shown cut, whole in -f json"
            ));
        }
    }
    for k in d.other.keys() {
        out.push(format!(
            "key {k}: not a key Patroni writes, so pgtui cannot place it; check who wrote it"
        ));
    }
    if let Some(l) = d.leader_name() {
        if !d.members.contains_key(l) {
            out.push(format!(
                "the leader key names {l}, which has no member key: no running Patroni answers for the leader"
            ));
        }
    }
    out
}

fn shown_len(v: &Value) -> usize {
    match v {
        Value::String(s) => s.chars().count(),
        other => other.to_string().chars().count(),
    }
}

fn unparseable_keys(c: &ClusterState) -> Vec<String> {
    let d = &c.dcs;
    let mut out = Vec::new();
    let mut check = |key: &str, err: Option<&str>| {
        if let Some(e) = err {
            out.push(format!("{key}: {e}"));
        }
    };
    check("config", d.config.as_ref().and_then(|e| e.value.error()));
    check("leader", d.leader.as_ref().and_then(|e| e.value.error()));
    check("history", d.history.as_ref().and_then(|e| e.value.error()));
    check("status", d.status.as_ref().and_then(|e| e.value.error()));
    check(
        "optime/leader",
        d.optime_leader.as_ref().and_then(|e| e.value.error()),
    );
    check("sync", d.sync.as_ref().and_then(|e| e.value.error()));
    check(
        "failover",
        d.failover.as_ref().and_then(|e| e.value.error()),
    );
    check(
        "failsafe",
        d.failsafe.as_ref().and_then(|e| e.value.error()),
    );
    check(
        "initialize",
        d.initialize.as_ref().and_then(|e| e.value.error()),
    );
    for (n, e) in &d.members {
        check(&format!("members/{n}"), e.value.error());
    }
    out
}
