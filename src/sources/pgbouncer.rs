//! The pgbouncer source: each focused member's pgbouncer admin console,
//! read every `poll_interval` over a kept connection.
//!
//! The admin console takes only the simple query protocol, so each `SHOW`
//! is a simple query read into a [`Table`] by column name. Like every
//! source it never clears what it read before: a failed read records the
//! error beside the last pools, whose age then tells how stale they are.
//! A member where nothing listens, and never did, has no pgbouncer: that
//! is recorded as such (`pgbouncer_absent`), not as an outage, so stacks
//! without one (autobase's default) show no alarm.

use super::pg_connect::{connect, reason, PgConnectError};
use super::pg_tls::PgTls;
use super::Scope;
use crate::config::PgbouncerConfig;
use crate::model::pgbouncer::{Pgbouncer, Table};
use crate::model::source::Round;
use crate::model::{ModelHandle, SourceId, Sourced};
use std::collections::HashMap;
use std::time::SystemTime;
use tokio_postgres::{Client, SimpleQueryMessage};

#[derive(Debug, thiserror::Error)]
pub enum PgbouncerError {
    #[error(transparent)]
    Connect(#[from] PgConnectError),
    #[error("pgbouncer admin console at {addr}: {what} failed: {reason}")]
    Query {
        addr: String,
        what: &'static str,
        reason: String,
    },
}

impl PgbouncerError {
    fn is_auth(&self) -> bool {
        matches!(self, PgbouncerError::Connect(e) if e.is_auth())
    }

    /// Nothing listens there: the connection was refused.
    fn refused(&self) -> bool {
        matches!(
            self,
            PgbouncerError::Connect(PgConnectError::Connect { refused: true, .. })
        )
    }
}

async fn show(client: &Client, what: &'static str, addr: &str) -> Result<Table, PgbouncerError> {
    let msgs = client
        .simple_query(what)
        .await
        .map_err(|e| PgbouncerError::Query {
            addr: addr.to_string(),
            what,
            reason: reason(&e),
        })?;
    let mut t = Table::default();
    for m in msgs {
        match m {
            SimpleQueryMessage::RowDescription(cols) => {
                t.columns = cols.iter().map(|c| c.name().to_string()).collect();
            }
            SimpleQueryMessage::Row(r) => {
                if t.columns.is_empty() {
                    t.columns = r.columns().iter().map(|c| c.name().to_string()).collect();
                }
                t.rows
                    .push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect());
            }
            _ => {}
        }
    }
    Ok(t)
}

/// Reads one pgbouncer.
pub async fn read(client: &Client, addr: &str) -> Result<Pgbouncer, PgbouncerError> {
    Ok(Pgbouncer::from_tables(
        &show(client, "SHOW POOLS", addr).await?,
        &show(client, "SHOW DATABASES", addr).await?,
        &show(client, "SHOW CLIENTS", addr).await?,
        &show(client, "SHOW SERVERS", addr).await?,
        &show(client, "SHOW CONFIG", addr).await?,
        &show(client, "SHOW VERSION", addr).await?,
    ))
}

async fn read_member(
    cfg: &PgbouncerConfig,
    tls: &PgTls,
    host: &str,
    kept: Option<Client>,
) -> (Option<Client>, Result<Pgbouncer, PgbouncerError>) {
    let client = match kept.filter(|c| !c.is_closed()) {
        Some(c) => c,
        None => match connect(&cfg.login, tls, host, cfg.port, "pgtui").await {
            Ok(c) => c,
            Err(e) => return (None, Err(e.into())),
        },
    };
    let addr = format!("{host}:{}", cfg.port);
    match read(&client, &addr).await {
        Ok(p) => (Some(client), Ok(p)),
        Err(e) => (None, Err(e)),
    }
}

async fn round(
    cfg: &PgbouncerConfig,
    tls: &PgTls,
    scope: &Scope,
    model: &ModelHandle,
    clients: &mut HashMap<String, Client>,
) {
    let targets: Vec<(String, String, String)> = model.read(|m| {
        scope
            .picked(m, super::Lane::Full)
            .into_iter()
            .flat_map(|c| {
                c.sql_targets()
                    .map(|(n, h, _)| (c.name.clone(), n.clone(), h))
            })
            .collect()
    });
    if targets.is_empty() {
        return;
    }
    let results = futures::future::join_all(targets.iter().map(|(_, _, host)| {
        let kept = clients.remove(host);
        read_member(cfg, tls, host, kept)
    }))
    .await;
    let now = SystemTime::now();
    model.update(|m| {
        let mut round = Round::default();
        for ((cluster, member, host), (client, r)) in targets.into_iter().zip(results) {
            if let Some(c) = client {
                clients.insert(host, c);
            }
            let c = m.cluster_mut(&cluster);
            if matches!(&r, Err(e) if e.refused()) {
                c.pgbouncer_refused.insert(member.clone());
            } else {
                c.pgbouncer_refused.remove(&member);
            }
            match r {
                Ok(p) => {
                    round.answered();
                    c.pgbouncer_errors.remove(&member);
                    c.pgbouncer_absent.remove(&member);
                    c.pgbouncer
                        .insert(member, Sourced::new(p, SourceId::Pgbouncer, now));
                }
                Err(e) if e.refused() && !c.pgbouncer.contains_key(&member) => {
                    round.answered();
                    c.pgbouncer_errors.remove(&member);
                    c.pgbouncer_absent.insert(member);
                }
                Err(e) => {
                    c.pgbouncer_errors.insert(member, (now, e.to_string()));
                    round.failed(e.to_string(), e.is_auth());
                }
            }
        }
        round.record(m.source_mut(SourceId::Pgbouncer), now);
    });
}

/// The source task: a round every `poll_interval` over the focused
/// clusters' members.
pub async fn run(cfg: PgbouncerConfig, scope: Scope, model: ModelHandle) {
    let tls = match PgTls::new(&cfg.login.tls) {
        Ok(t) => t,
        Err(e) => {
            let now = SystemTime::now();
            model.update(|m| m.source_mut(SourceId::Pgbouncer).failed(now, e.to_string()));
            return;
        }
    };
    model.update_quiet(|m| {
        m.pgbouncer_wait_alarm = Some(cfg.wait_alarm);
        m.pgbouncer_port = Some(cfg.port);
    });
    let mut clients: HashMap<String, Client> = HashMap::new();
    let mut rounds = super::rounds::Rounds::new(&model, cfg.poll_interval);
    let due = |m: &crate::model::Model| {
        scope
            .picked(m, super::Lane::Full)
            .iter()
            .any(|c| c.pgbouncer_pending())
    };
    while rounds.next_when(&model, due).await {
        round(&cfg, &tls, &scope, &model, &mut clients).await;
    }
}
