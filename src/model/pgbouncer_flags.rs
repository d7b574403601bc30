//! What is wrong with a cluster's pgbouncers, judged from the model alone:
//! the one rule the pools screen, the cluster header and `pgtui pools`
//! share.
//!
//! Each flag names the member, what was seen and what to do. A pgbouncer
//! that could not be read is a flag of its own; its last pools are still
//! shown, marked stale by their age, never dropped.

use super::cluster::ClusterState;
use super::pgbouncer::{Pgbouncer, ADMIN_DB};
use std::time::{Duration, SystemTime};

/// Clients waiting this long for a server connection are an alarm.
pub const WAIT_ALARM: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, PartialEq)]
pub enum PoolFlag {
    Unreachable {
        member: String,
        error: String,
    },
    Waiting {
        member: String,
        database: String,
        user: String,
        clients: i64,
        maxwait_secs: f64,
    },
    /// A pool that connects to a host other than the member it sits beside.
    Elsewhere {
        member: String,
        database: String,
        host: String,
    },
    Paused {
        member: String,
        database: String,
    },
    Disabled {
        member: String,
        database: String,
    },
    /// Connections opened while this member led, still held now that it
    /// does not: clients that think they write to the primary.
    FromFormerLeader {
        member: String,
        clients: i64,
        servers: i64,
        until: SystemTime,
    },
}

impl PoolFlag {
    pub fn member(&self) -> &str {
        match self {
            PoolFlag::Unreachable { member, .. }
            | PoolFlag::Waiting { member, .. }
            | PoolFlag::Elsewhere { member, .. }
            | PoolFlag::Paused { member, .. }
            | PoolFlag::Disabled { member, .. }
            | PoolFlag::FromFormerLeader { member, .. } => member,
        }
    }

    /// Alarms need someone now; the rest are warnings.
    pub fn is_alarm(&self) -> bool {
        matches!(
            self,
            PoolFlag::Unreachable { .. }
                | PoolFlag::Waiting { .. }
                | PoolFlag::FromFormerLeader { .. }
        )
    }

    pub fn kind(&self) -> &'static str {
        match self {
            PoolFlag::Unreachable { .. } => "unreachable",
            PoolFlag::Waiting { .. } => "clients_waiting",
            PoolFlag::Elsewhere { .. } => "pool_elsewhere",
            PoolFlag::Paused { .. } => "paused",
            PoolFlag::Disabled { .. } => "disabled",
            PoolFlag::FromFormerLeader { .. } => "held_from_former_leader",
        }
    }
}

impl std::fmt::Display for PoolFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PoolFlag::Unreachable { member, error } => {
                write!(f, "{member}: pgbouncer not read: {error}")
            }
            PoolFlag::Waiting {
                member,
                database,
                user,
                clients,
                maxwait_secs,
            } => write!(
                f,
                "{member}: {clients} client(s) of {database}/{user} waiting up to {maxwait_secs:.1} s \
                 for a server connection; the pool is full (raise pool_size or find what holds it)"
            ),
            PoolFlag::Elsewhere {
                member,
                database,
                host,
            } => write!(
                f,
                "{member}: pool {database} connects to {host}, not to the PostgreSQL beside it"
            ),
            PoolFlag::Paused { member, database } => write!(
                f,
                "{member}: database {database} is PAUSED in pgbouncer; clients wait until RESUME"
            ),
            PoolFlag::Disabled { member, database } => write!(
                f,
                "{member}: database {database} is DISABLED in pgbouncer; new clients are refused until ENABLE"
            ),
            PoolFlag::FromFormerLeader {
                member,
                clients,
                servers,
                until,
            } => write!(
                f,
                "{member}: {clients} client(s) and {servers} server connection(s) opened while \
                 {member} led (before {}) are still held; they now reach a replica \
                 (reconnect them, or RECONNECT in pgbouncer)",
                super::events::utc_hms(*until)
            ),
        }
    }
}

fn is_local(host: &str, beside: Option<&str>) -> bool {
    host.starts_with('/')
        || matches!(host, "localhost" | "127.0.0.1" | "::1")
        || Some(host) == beside
}

/// When `member` last stopped leading: what this process saw, or else
/// Patroni's history where it names the leaders.
fn stopped_leading(c: &ClusterState, member: &str) -> Option<SystemTime> {
    let seen = c
        .dcs
        .former_leaders
        .iter()
        .rev()
        .find(|(n, _)| n == member)
        .map(|(_, at)| *at);
    let history = || {
        let h = c.dcs.history.as_ref()?.value.ok()?;
        h.windows(2).rev().find_map(|w| {
            (w[0].new_leader.as_deref() == Some(member))
                .then(|| w[1].timestamp.as_deref())
                .flatten()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(SystemTime::from)
        })
    };
    seen.or_else(history)
}

fn held_from(p: &Pgbouncer, until: SystemTime) -> (i64, i64) {
    let count = |v: &[super::pgbouncer::Conns]| {
        v.iter()
            .filter(|c| c.database != ADMIN_DB && c.oldest.is_some_and(|t| t < until))
            .map(|c| c.count)
            .sum::<i64>()
    };
    (count(&p.clients), count(&p.servers))
}

/// Every flag of the cluster's pgbouncers, members in name order.
pub fn flags(c: &ClusterState, wait_alarm: Duration) -> Vec<PoolFlag> {
    let mut out = Vec::new();
    let leader = c.dcs.leader_name();
    for (member, (_, err)) in &c.pgbouncer_errors {
        out.push(PoolFlag::Unreachable {
            member: member.clone(),
            error: err.clone(),
        });
    }
    for (member, s) in &c.pgbouncer {
        let p = &s.value;
        let beside = c
            .dcs
            .members
            .get(member)
            .and_then(|e| e.value.ok())
            .and_then(|m| m.host_port().0);
        for pool in p.pools.iter().filter(|p| p.database != ADMIN_DB) {
            if pool.cl_waiting > 0 && pool.maxwait_secs >= wait_alarm.as_secs_f64() {
                out.push(PoolFlag::Waiting {
                    member: member.clone(),
                    database: pool.database.clone(),
                    user: pool.user.clone(),
                    clients: pool.cl_waiting,
                    maxwait_secs: pool.maxwait_secs,
                });
            }
        }
        for d in p.databases.iter().filter(|d| d.name != ADMIN_DB) {
            let (member, database) = (member.clone(), d.name.clone());
            if let Some(h) = d
                .host
                .as_deref()
                .filter(|h| !is_local(h, beside.as_deref()))
            {
                out.push(PoolFlag::Elsewhere {
                    member: member.clone(),
                    database: database.clone(),
                    host: h.to_string(),
                });
            }
            if d.paused {
                out.push(PoolFlag::Paused {
                    member: member.clone(),
                    database: database.clone(),
                });
            }
            if d.disabled {
                out.push(PoolFlag::Disabled { member, database });
            }
        }
        if leader != Some(member.as_str()) {
            if let Some(until) = stopped_leading(c, member) {
                let (clients, servers) = held_from(p, until);
                if clients + servers > 0 {
                    out.push(PoolFlag::FromFormerLeader {
                        member: member.clone(),
                        clients,
                        servers,
                        until,
                    });
                }
            }
        }
    }
    out
}
