//! Replication lag in bytes, from the freshest consistent pair of positions.
//!
//! Lag is the leader's current WAL position minus what a replica has received
//! and, separately, replayed. Positions come from three sources of differing
//! freshness: SQL (`pg_stat_replication` on the leader pairs both ends in one
//! snapshot), Patroni's REST `/patroni` of each member, and the DCS keys
//! Patroni writes every loop. The pair whose older half is the newest wins,
//! so a stale source never hides a fresh one. Patroni 3.0's own `lag` is
//! receive lag only; a replica with replay paused shows 0 there, not here.

use super::cluster::ClusterState;
use super::source::SourceId;
use std::time::SystemTime;

/// A position reading: receive and replay LSN (either may be unknown).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Reading {
    receive: Option<u64>,
    replay: Option<u64>,
    source: SourceId,
    at: SystemTime,
}

/// The lag estimate for one replica.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lag {
    pub receive_bytes: Option<u64>,
    pub replay_bytes: Option<u64>,
    pub source: SourceId,
    /// When the older of the two positions used was read.
    pub at: SystemTime,
}

impl Lag {
    /// The figure patronictl calls "Lag in MB", extended to count replay lag:
    /// the larger of the two, in MiB, rounded.
    pub fn mb(&self) -> Option<u64> {
        let worst = match (self.receive_bytes, self.replay_bytes) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => a.or(b)?,
        };
        Some(bytes_to_mb(worst))
    }
}

/// Bytes to MiB, rounded half to even as patronictl's Python `round` does.
pub fn bytes_to_mb(bytes: u64) -> u64 {
    ((bytes as f64) / 1048576.0).round_ties_even() as u64
}

fn leader_positions(c: &ClusterState, leader: &str) -> Vec<(u64, SourceId, SystemTime)> {
    let mut out = Vec::new();
    if let Some(s) = c.sql.get(leader) {
        if let (false, Some(lsn)) = (s.value.in_recovery, s.value.current_lsn) {
            out.push((lsn, SourceId::Sql, s.at));
        }
    }
    if let Some(r) = c.rest.get(leader) {
        if let Some(lsn) = r.value.xlog.location {
            out.push((lsn, SourceId::Rest, r.at));
        }
    }
    if let Some((lsn, at)) = c.dcs.leader_optime() {
        out.push((lsn, SourceId::Etcd, at));
    }
    out
}

fn member_readings(c: &ClusterState, leader: &str, member: &str) -> Vec<Reading> {
    let mut out = Vec::new();
    if let Some(l) = c.sql.get(leader) {
        if let Some(row) = l
            .value
            .replication
            .iter()
            .find(|r| r.application_name == member)
        {
            out.push(Reading {
                receive: row.flush_lsn.or(row.write_lsn),
                replay: row.replay_lsn,
                source: SourceId::Sql,
                at: l.at,
            });
        }
    }
    if let Some(s) = c.sql.get(member) {
        if s.value.in_recovery && (s.value.receive_lsn.is_some() || s.value.replay_lsn.is_some()) {
            out.push(Reading {
                receive: s.value.receive_lsn,
                replay: s.value.replay_lsn,
                source: SourceId::Sql,
                at: s.at,
            });
        }
    }
    if let Some(r) = c.rest.get(member) {
        let x = &r.value.xlog;
        if x.received_location.is_some() || x.replayed_location.is_some() {
            out.push(Reading {
                receive: x.received_location,
                replay: x.replayed_location,
                source: SourceId::Rest,
                at: r.at,
            });
        }
    }
    if let Some(m) = c
        .dcs
        .members
        .get(member)
        .and_then(|e| e.value.ok().map(|m| (m, e.at)))
    {
        let (d, at) = m;
        // Patroni ≥ 4.1 splits the positions; before that `xlog_location` of
        // a replica is the furthest WAL it has, i.e. what it received.
        let receive = d.receive_lsn.or(d.xlog_location);
        if receive.is_some() || d.replay_lsn.is_some() {
            out.push(Reading {
                receive,
                replay: d.replay_lsn,
                source: SourceId::Etcd,
                at,
            });
        }
    }
    out
}

fn preference(s: SourceId) -> u8 {
    match s {
        SourceId::Sql => 3,
        SourceId::Rest => 2,
        _ => 1,
    }
}

/// Lag of `member` behind `leader`, or `None` when no positions are known.
pub fn member_lag(c: &ClusterState, leader: &str, member: &str) -> Option<Lag> {
    let leaders = leader_positions(c, leader);
    let freshest_leader = leaders
        .iter()
        .max_by_key(|(_, s, at)| (*at, preference(*s)))
        .copied()?;
    let estimates: Vec<Lag> = member_readings(c, leader, member)
        .into_iter()
        .map(|r| {
            // Pair with the leader reading of the same source when there is one:
            // both ends then come from one snapshot or one polling round.
            let (lsn, _, lat) = leaders
                .iter()
                .find(|(_, s, _)| *s == r.source)
                .copied()
                .unwrap_or(freshest_leader);
            Lag {
                receive_bytes: r.receive.map(|p| lsn.saturating_sub(p)),
                replay_bytes: r.replay.map(|p| lsn.saturating_sub(p)),
                source: r.source,
                at: r.at.min(lat),
            }
        })
        .collect();
    // Receive and replay each come from the freshest estimate that has them:
    // Patroni 3's DCS keys know only the received position, and must not
    // blank out a replay lag that REST or SQL measured a moment earlier.
    let freshest = |f: fn(&Lag) -> Option<u64>| {
        estimates
            .iter()
            .filter(|l| f(l).is_some())
            .max_by_key(|l| (l.at, preference(l.source)))
            .copied()
    };
    let receive = freshest(|l| l.receive_bytes);
    let replay = freshest(|l| l.replay_bytes);
    let main = replay.or(receive)?;
    Some(Lag {
        receive_bytes: receive.and_then(|l| l.receive_bytes),
        replay_bytes: replay.and_then(|l| l.replay_bytes),
        source: main.source,
        at: [receive, replay]
            .into_iter()
            .flatten()
            .map(|l| l.at)
            .min()
            .unwrap_or(main.at),
    })
}
