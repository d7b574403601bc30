//! The service-port probe: connects through each HAProxy service port of
//! each HAProxy node and asks PostgreSQL who answered.
//!
//! HAProxy's stats say where it *would* route; this says where a client
//! *does* land (`inet_server_addr()`, mapped back to a member through the
//! DCS `conn_url` hosts) and whether that server is in recovery. A primary
//! port landing on a replica is the failure this exists to catch. Every
//! probe is a fresh connection, because HAProxy picks a server per
//! connection. The question goes by the simple query protocol, because a
//! port may lead through pgbouncer in transaction pooling, where a
//! prepared statement need not reach the server connection it was
//! prepared on. It needs SQL credentials (`[sql]` or the YAML superuser);
//! without them it records why it does not run.

use super::haproxy::targets;
use super::pg_connect::{connect, reason, PgConnectError};
use super::pg_tls::PgTls;
use super::Scope;
use crate::config::{Config, SqlConfig};
use crate::model::haproxy::{classify_service, stats_host, ProbeAnswer, ServicePort};
use crate::model::source::Round;
use crate::model::{ModelHandle, SourceId, Sourced};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime};

pub const PROBE_INTERVAL: Duration = Duration::from_secs(5);
const WHO_SQL: &str = "SELECT host(inet_server_addr()), inet_server_port(), pg_is_in_recovery()";

pub const NO_CREDENTIALS: &str = "no SQL credentials: the service-port probe is off; set [sql] user/password in pgtui's settings, PGTUI_SQL_USER/PGTUI_SQL_PASSWORD, or postgresql.authentication.superuser in the YAML";

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("service {service} at {host}:{port}: {source}; check that HAProxy listens there and routes to a live server")]
    Timeout {
        service: String,
        host: String,
        port: u16,
        source: PgConnectError,
    },
    #[error("service {service} at {host}:{port}: {source}")]
    Connect {
        service: String,
        host: String,
        port: u16,
        source: PgConnectError,
    },
    #[error("service {service} at {host}:{port}: query failed: {reason}")]
    Query {
        service: String,
        host: String,
        port: u16,
        reason: String,
    },
}

impl ProbeError {
    pub fn is_auth(&self) -> bool {
        matches!(self, ProbeError::Connect { source, .. } if source.is_auth())
    }
}

/// Every service port of every HAProxy node of the clusters in scope, with
/// the cluster it belongs to: the configured `[haproxy.X] ports`, else each
/// proxy that node's stats list, at the port its config binds (when this
/// machine can read it) or the port its stack's layout gives that name.
pub fn service_ports(
    config: &Config,
    scope: &Scope,
    model: &ModelHandle,
    cfgs: &[crate::model::haproxy::layout::CfgProxy],
) -> Vec<(String, ServicePort)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for t in targets(config, scope, model) {
        let Some(host) = stats_host(&t.url) else {
            continue;
        };
        if !seen.insert((t.cluster.clone(), host.clone())) {
            continue;
        }
        let ports: Vec<(String, u16)> = match config
            .haproxy
            .get(&t.cluster)
            .and_then(|h| h.ports.as_ref())
        {
            Some(p) => p.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            None => discovered_ports(model, &t.cluster, &host, cfgs),
        };
        for (service, port) in ports {
            let kind = match crate::model::haproxy::layout::service_kind(&t.cluster, &service, cfgs)
            {
                crate::model::haproxy::ServiceKind::Other => classify_service(&t.cluster, &service),
                k => k,
            };
            out.push((
                t.cluster.clone(),
                ServicePort {
                    host: host.clone(),
                    port,
                    service,
                    kind,
                },
            ));
        }
    }
    out
}

/// The proxies `host`'s stats list (those with servers, not the stats
/// listener itself), each at the port the layout gives it.
fn discovered_ports(
    model: &ModelHandle,
    cluster: &str,
    host: &str,
    cfgs: &[crate::model::haproxy::layout::CfgProxy],
) -> Vec<(String, u16)> {
    use crate::model::haproxy::layout::{service_kind, service_port};
    model.read(|m| {
        let Some(c) = m.clusters.get(cluster) else {
            return vec![];
        };
        let mut v: Vec<(String, u16)> = c
            .haproxy
            .endpoints
            .iter()
            .filter(|(url, _)| stats_host(url).as_deref() == Some(host))
            .flat_map(|(_, s)| s.value.iter())
            .filter(|p| p.backend.is_some() && !p.servers.is_empty())
            .filter(|p| {
                service_kind(cluster, &p.name, cfgs) != crate::model::haproxy::ServiceKind::Stats
            })
            .filter_map(|p| Some((p.name.clone(), service_port(cluster, &p.name, host, cfgs)?)))
            .collect();
        v.sort();
        v.dedup();
        v
    })
}

/// Connects through `sp` and asks who answered; `members` maps a DCS
/// `conn_url` host to its member name.
pub async fn probe(
    cfg: &SqlConfig,
    tls: &PgTls,
    sp: &ServicePort,
    members: &BTreeMap<String, String>,
) -> Result<ProbeAnswer, ProbeError> {
    let started = Instant::now();
    let client = connect(cfg, tls, &sp.host, sp.port, "pgtui-service-probe")
        .await
        .map_err(|source| {
            let (service, host, port) = (sp.service.clone(), sp.host.clone(), sp.port);
            match source {
                PgConnectError::Timeout { .. } => ProbeError::Timeout {
                    service,
                    host,
                    port,
                    source,
                },
                _ => ProbeError::Connect {
                    service,
                    host,
                    port,
                    source,
                },
            }
        })?;
    let row = tokio::time::timeout(cfg.connect_timeout, client.simple_query(WHO_SQL)).await;
    drop(client);
    let query_err = |reason: String| ProbeError::Query {
        service: sp.service.clone(),
        host: sp.host.clone(),
        port: sp.port,
        reason,
    };
    let msgs = row
        .map_err(|_| {
            query_err(format!(
                "no answer within {} ms",
                cfg.connect_timeout.as_millis()
            ))
        })?
        .map_err(|e| query_err(reason(&e)))?;
    let row = msgs
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => Some(r),
            _ => None,
        })
        .ok_or_else(|| query_err("no row returned".into()))?;
    let col = |i: usize| row.try_get(i).ok().flatten();
    let server_addr: Option<String> = col(0).map(str::to_string);
    Ok(ProbeAnswer {
        member: server_addr.as_ref().and_then(|a| members.get(a).cloned()),
        server_addr,
        server_port: col(1).and_then(|p| p.parse().ok()),
        in_recovery: col(2) == Some("t"),
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// DCS `conn_url` host → member name, per cluster.
fn member_hosts(model: &ModelHandle) -> BTreeMap<String, BTreeMap<String, String>> {
    model.read(|m| {
        m.clusters
            .values()
            .map(|c| {
                let hosts = c
                    .dcs
                    .members
                    .iter()
                    .filter_map(|(n, e)| Some((e.value.ok()?.host_port().0?, n.clone())))
                    .collect();
                (c.name.clone(), hosts)
            })
            .collect()
    })
}

/// One round over every service port; keeps old answers on failures.
pub async fn probe_once(
    config: &Config,
    cfg: &SqlConfig,
    tls: &PgTls,
    scope: &Scope,
    model: &ModelHandle,
    cfgs: &[crate::model::haproxy::layout::CfgProxy],
) {
    let ports = service_ports(config, scope, model, cfgs);
    if ports.is_empty() {
        return;
    }
    let hosts = member_hosts(model);
    let empty = BTreeMap::new();
    let results = futures::future::join_all(
        ports
            .iter()
            .map(|(c, sp)| probe(cfg, tls, sp, hosts.get(c).unwrap_or(&empty))),
    )
    .await;
    let now = SystemTime::now();
    let mut by_cluster: BTreeMap<&str, Round> = BTreeMap::new();
    model.update(|m| {
        for ((cluster, sp), r) in ports.iter().zip(results) {
            let h = &mut m.cluster_mut(cluster).haproxy;
            h.probe_skipped = None;
            let st = by_cluster.entry(cluster).or_default();
            match r {
                Ok(a) => {
                    st.answered();
                    h.probes
                        .insert(sp.clone(), Sourced::new(a, SourceId::Haproxy, now));
                    h.probe_errors.remove(sp);
                }
                Err(e) => {
                    st.failed(e.to_string(), e.is_auth());
                    h.probe_errors.insert(sp.clone(), (now, e.to_string()));
                }
            }
        }
        for (cluster, round) in by_cluster {
            round.record(&mut m.cluster_mut(cluster).haproxy.probe_health, now);
        }
    });
}

/// Marks the focused clusters as "probe off", and why: only those, as the
/// probe serves only them (a fleet of thousands must not get a copy of the
/// reason each).
fn mark_skipped(scope: &Scope, model: &ModelHandle, why: &str) {
    let pending: Vec<String> = model.read(|m| {
        scope
            .picked(m, super::Lane::Full)
            .into_iter()
            .filter(|c| c.haproxy.probe_skipped.as_deref() != Some(why))
            .map(|c| c.name.clone())
            .collect()
    });
    if !pending.is_empty() {
        model.update(|m| {
            for name in &pending {
                m.cluster_mut(name).haproxy.probe_skipped = Some(why.to_string());
            }
        });
    }
}

/// TLS that cannot be set up turns the probe off, saying why, for every
/// cluster that comes.
async fn setup_failed(scope: &Scope, model: &ModelHandle, why: String) {
    let mut tick = tokio::time::interval(PROBE_INTERVAL);
    loop {
        tick.tick().await;
        mark_skipped(scope, model, &why);
    }
}

/// The probe task.
pub async fn run(config: Config, scope: Scope, model: ModelHandle) {
    let mut configs = super::haproxy_cfg::Configs::new();
    let tls = match config.sql.as_ref().map(|c| PgTls::new(&c.tls)) {
        Some(Err(e)) => return setup_failed(&scope, &model, e.to_string()).await,
        Some(Ok(t)) => Some(t),
        None => None,
    };
    let mut rounds = super::rounds::Rounds::new(&model, PROBE_INTERVAL);
    while rounds.next(&model, &scope, |_| false).await {
        match (&config.sql, &tls) {
            (Some(cfg), Some(tls)) => {
                let cfgs = configs.current().await;
                probe_once(&config, cfg, tls, &scope, &model, cfgs).await
            }
            _ => mark_skipped(&scope, &model, NO_CREDENTIALS),
        }
    }
}
