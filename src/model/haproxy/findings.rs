//! Routing versus the DCS: where each HAProxy sends clients compared with
//! who the DCS says leads and which members run. Pure; the console shows
//! the findings, and tests drive them with synthetic views.

use super::{classify_service, Proxy, ServiceKind, StatsEntry};
use crate::model::cluster::ClusterState;
use crate::model::view::ClusterView;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A primary/default service routes to a member that is not the leader.
    RoutesToNonLeader,
    /// A primary/default service routes nowhere.
    RoutesToNone,
    /// A replica service has no serving server.
    NoReplicaServer,
    /// A serving server is not a running member (or not a member at all).
    ServesButNotRunning,
    /// A serving server is a pgbouncer where nothing listens.
    PoolerRefuses,
    /// A serving server is a pgbouncer with paused or disabled databases.
    PoolerPaused,
    /// A serving server is a pgbouncer that pools to another member.
    PoolerElsewhere,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub endpoint: String,
    pub service: String,
    pub server: Option<String>,
    pub message: String,
}

/// The member a server row stands for: same name, else a unique member
/// whose host is the server's address.
pub fn member_of<'a>(view: &'a ClusterView, server: &StatsEntry) -> Option<&'a str> {
    if let Some(m) = view.members.iter().find(|m| m.name == server.name) {
        return Some(&m.name);
    }
    let host = server.addr.as_deref()?.rsplit_once(':').map(|(h, _)| h)?;
    let mut hits = view
        .members
        .iter()
        .filter(|m| m.host.as_deref() == Some(host));
    match (hits.next(), hits.next()) {
        (Some(m), None) => Some(&m.name),
        _ => None,
    }
}

/// Compares one HAProxy's routing (`endpoint`'s proxies) with the DCS view.
pub fn find_disagreements(view: &ClusterView, endpoint: &str, proxies: &[Proxy]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |kind, service: &str, server: Option<&str>, message: String| {
        out.push(Finding {
            kind,
            endpoint: endpoint.to_string(),
            service: service.to_string(),
            server: server.map(str::to_string),
            message,
        })
    };
    let leader = view.leader.as_deref();
    for p in proxies {
        let kind = classify_service(&view.name, &p.name);
        if matches!(kind, ServiceKind::Stats | ServiceKind::Other) {
            continue;
        }
        let routing = p.routing();
        match kind {
            ServiceKind::Primary | ServiceKind::Default => {
                if routing.is_empty() {
                    push(
                        FindingKind::RoutesToNone,
                        &p.name,
                        None,
                        format!(
                            "{} at {endpoint} routes to no server (DCS leader: {})",
                            p.name,
                            leader.unwrap_or("none")
                        ),
                    );
                }
                for s in &routing {
                    let member = member_of(view, s);
                    if member.is_none() || member != leader {
                        push(
                            FindingKind::RoutesToNonLeader,
                            &p.name,
                            Some(&s.name),
                            format!(
                                "{} at {endpoint} routes to {} ({}), but the DCS leader is {}",
                                p.name,
                                s.name,
                                s.status_raw,
                                leader.unwrap_or("nobody")
                            ),
                        );
                    }
                }
            }
            ServiceKind::Replica if routing.is_empty() => {
                push(
                    FindingKind::NoReplicaServer,
                    &p.name,
                    None,
                    format!(
                        "{} at {endpoint} has no server UP: read-only clients get refused",
                        p.name
                    ),
                );
            }
            _ => {}
        }
        for s in p.servers.iter().filter(|s| s.status.serves()) {
            let member = member_of(view, s).and_then(|n| view.members.iter().find(|m| m.name == n));
            let why = match member {
                None => Some("is not a member of the cluster in the DCS".to_string()),
                Some(m) if !m.state.serves() => Some(format!("is {} in the DCS", m.state)),
                _ => None,
            };
            if let Some(why) = why {
                push(
                    FindingKind::ServesButNotRunning,
                    &p.name,
                    Some(&s.name),
                    format!(
                        "{} at {endpoint}: server {} is {} but {why}",
                        p.name, s.name, s.status_raw
                    ),
                );
            }
        }
    }
    out
}

/// [`find_disagreements`] and the pooler hops' faults over every HAProxy
/// of a cluster; `pooler_port` as for [`super::hop::hop`].
pub fn cluster_findings(
    view: &ClusterView,
    c: &ClusterState,
    pooler_port: Option<u16>,
    now: std::time::SystemTime,
) -> Vec<Finding> {
    c.haproxy
        .endpoints
        .iter()
        .flat_map(|(url, s)| {
            let mut f = find_disagreements(view, url, &s.value);
            f.extend(super::hop::pooler_findings(
                view,
                c,
                pooler_port,
                url,
                &s.value,
                now,
            ));
            f
        })
        .collect()
}
