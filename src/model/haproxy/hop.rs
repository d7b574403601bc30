//! The hop between HAProxy and PostgreSQL: does a server row reach its
//! member's PostgreSQL straight, or through the pgbouncer beside it?
//!
//! Pigsty sends its primary and replica services through pgbouncer, and
//! autobase every service when it installs one. HAProxy's check asks
//! Patroni's REST port, never the pooler, so a pgbouncer that is down,
//! paused or pooling to the wrong host leaves the server UP in HAProxy's
//! stats while every client through it fails or lands elsewhere. Only by
//! putting HAProxy's server address beside what the member's pgbouncer
//! says about itself can that be seen. Pure: the services screen and the
//! findings share [`hop`] and [`pooler_findings`].

use super::{classify_service, member_of, Finding, FindingKind, Proxy, ServiceKind, StatsEntry};
use crate::model::cluster::ClusterState;
use crate::model::pgbouncer::{Pgbouncer, ADMIN_DB};
use crate::model::view::ClusterView;
use serde::Serialize;
use std::time::{Duration, SystemTime};

/// What pgtui knows of a pgbouncer a server row points at.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "detail")]
pub enum PoolerState {
    /// Read, not paused.
    Up,
    /// Read, and these databases are paused (clients wait) or disabled
    /// (clients are refused).
    Paused(Vec<String>),
    /// Nothing listens on its port: every client through this hop is
    /// refused.
    Refused,
    /// The admin console could not be read (credentials, TLS, a timeout):
    /// pgtui cannot say.
    Unread(String),
    /// pgtui does not read pgbouncers (no login, or `enabled = false`).
    NotWatched,
}

/// How one HAProxy server row reaches PostgreSQL.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "via")]
pub enum Hop {
    /// To the member's PostgreSQL port.
    Direct { member: String },
    /// To the member's pgbouncer, which pools to `pools_to` (member names,
    /// or `host:port` for a host that is no member; empty when unknown).
    Pooler {
        member: String,
        port: u16,
        pools_to: Vec<String>,
        state: PoolerState,
    },
    /// A port that is neither the member's PostgreSQL nor its pgbouncer.
    Unknown { member: String, port: u16 },
}

/// The address's port: `127.0.1.11:6432` → 6432.
fn port_of(addr: &str) -> Option<u16> {
    addr.rsplit_once(':')?.1.parse().ok()
}

/// A pgbouncer read longer ago than this says nothing about now.
pub const FRESH_FOR: Duration = Duration::from_secs(10);

/// A host that means "this machine" to the pgbouncer that names it: a
/// Unix socket directory (Pigsty's `/var/run/postgresql`), `localhost`,
/// or the loopback address itself.
fn is_local(host: &str) -> bool {
    host.starts_with('/') || host == "localhost" || host == "127.0.0.1" || host == "::1"
}

/// Where a pgbouncer's pools connect: each distinct server of its
/// databases (not the admin console), named by member where one has that
/// host. A database without a host, or with a local one, is its own
/// member's.
fn pools_to(view: &ClusterView, beside: &str, p: &Pgbouncer) -> Vec<String> {
    let mut out: Vec<String> = p
        .databases
        .iter()
        .filter(|d| d.name != ADMIN_DB)
        .map(|d| match &d.host {
            None => beside.to_string(),
            Some(h) => match view
                .members
                .iter()
                .find(|m| m.host.as_deref() == Some(h.as_str()))
            {
                Some(m) => m.name.clone(),
                None if is_local(h) => beside.to_string(),
                None => match d.port {
                    Some(port) => format!("{h}:{port}"),
                    None => h.clone(),
                },
            },
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn state(c: &ClusterState, member: &str, watched: bool, now: SystemTime) -> PoolerState {
    if c.pgbouncer_refused.contains(member) || c.pgbouncer_absent.contains(member) {
        return PoolerState::Refused;
    }
    if let Some((_, e)) = c.pgbouncer_errors.get(member) {
        return PoolerState::Unread(e.clone());
    }
    match c.pgbouncer.get(member) {
        Some(p) if p.age(now) > FRESH_FOR => {
            PoolerState::Unread(format!("last read {} s ago", p.age(now).as_secs()))
        }
        Some(p) => {
            let stuck: Vec<String> = p
                .value
                .databases
                .iter()
                .filter(|d| d.name != ADMIN_DB && (d.paused || d.disabled))
                .map(|d| d.name.clone())
                .collect();
            if stuck.is_empty() {
                PoolerState::Up
            } else {
                PoolerState::Paused(stuck)
            }
        }
        None if watched => PoolerState::Unread("not read yet".into()),
        None => PoolerState::NotWatched,
    }
}

/// How `server` reaches PostgreSQL. `pooler_port` is the port pgtui reads
/// pgbouncers on (`None` when it reads none). `None` when the row is no
/// member or its address has no port. An address on another host than
/// the member's is [`Hop::Unknown`]: whatever listens there is not that
/// member's pgbouncer.
pub fn hop(
    view: &ClusterView,
    c: &ClusterState,
    pooler_port: Option<u16>,
    server: &StatsEntry,
    now: SystemTime,
) -> Option<Hop> {
    let member = member_of(view, server)?.to_string();
    let addr = server.addr.as_deref()?;
    let port = port_of(addr)?;
    let m = view.members.iter().find(|m| m.name == member)?;
    let host = addr
        .rsplit_once(':')?
        .0
        .trim_start_matches('[')
        .trim_end_matches(']');
    if m.host.as_deref().is_some_and(|h| h != host) {
        return Some(Hop::Unknown { member, port });
    }
    if m.port == Some(port) {
        return Some(Hop::Direct { member });
    }
    let read = c.pgbouncer.get(&member).map(|p| &p.value);
    let listens = read.and_then(|p| p.listen_port);
    let is_pooler = listens == Some(port)
        || (listens.is_none()
            && pooler_port.unwrap_or(crate::config::pgbouncer::DEFAULT_PORT) == port);
    if !is_pooler {
        return Some(Hop::Unknown { member, port });
    }
    Some(Hop::Pooler {
        pools_to: read.map(|p| pools_to(view, &member, p)).unwrap_or_default(),
        state: state(c, &member, pooler_port.is_some(), now),
        member,
        port,
    })
}

/// The other members of this cluster a pgbouncer beside `member` pools
/// to: a sure fault (an old primary, say). A host outside the cluster may
/// be another cluster's database on purpose: shown, never alarmed.
pub fn elsewhere<'a>(view: &ClusterView, member: &str, pools_to: &'a [String]) -> Vec<&'a String> {
    pools_to
        .iter()
        .filter(|t| *t != member && view.members.iter().any(|m| m.name == **t))
        .collect()
}

/// Faults of the pooler hop of every server that routes clients now:
/// a pgbouncer that refuses, is paused, or pools away from its member.
pub fn pooler_findings(
    view: &ClusterView,
    c: &ClusterState,
    pooler_port: Option<u16>,
    endpoint: &str,
    proxies: &[Proxy],
    now: SystemTime,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in proxies {
        let kind = classify_service(&view.name, &p.name);
        if matches!(kind, ServiceKind::Stats) {
            continue;
        }
        for s in p.routing() {
            let Some(Hop::Pooler {
                member,
                port,
                pools_to,
                state,
            }) = hop(view, c, pooler_port, s, now)
            else {
                continue;
            };
            // No endpoint in the text: every HAProxy in front of this
            // pgbouncer sees the same fault, and the screen says it once.
            let at = format!("{} routes to {member}'s pgbouncer :{port}", p.name);
            let mut push = |kind, message: String| {
                out.push(Finding {
                    kind,
                    endpoint: endpoint.to_string(),
                    service: p.name.clone(),
                    server: Some(s.name.clone()),
                    message,
                })
            };
            match &state {
                PoolerState::Refused => push(
                    FindingKind::PoolerRefuses,
                    format!(
                        "{at}, where nothing listens: clients are refused while HAProxy shows it UP; start pgbouncer on {member}"
                    ),
                ),
                PoolerState::Paused(dbs) => push(
                    FindingKind::PoolerPaused,
                    format!(
                        "{at}, which has {} paused or disabled: clients wait or are refused; RESUME or ENABLE it in pgbouncer's admin console",
                        dbs.join(",")
                    ),
                ),
                _ => {}
            }
            let others = elsewhere(view, &member, &pools_to);
            if !others.is_empty() {
                push(
                    FindingKind::PoolerElsewhere,
                    format!(
                        "{at}, which pools to {}, not to {member} beside it: clients land there",
                        others
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                );
            }
        }
    }
    out
}
