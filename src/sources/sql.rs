//! SQL probes: positions, `pg_stat_replication`, slots and the WAL receiver,
//! read from each member's PostgreSQL with configured credentials.
//!
//! These are the freshest lag figures there are: the leader's current WAL
//! position and every standby's flush/replay positions come from one query
//! round on the leader.

use super::pg_connect::{connect, reason, PgConnectError};
use super::pg_tls::PgTls;
use super::Scope;
use crate::config::SqlConfig;
use crate::model::source::Round;
use crate::model::sql::{parse_lsn, ReplicationRow, SlotRow, SqlMember, WalReceiverRow};
use crate::model::{ModelHandle, SourceId, Sourced};
use std::collections::HashMap;
use std::time::SystemTime;
use tokio_postgres::Client;

const STATUS_SQL: &str = "SELECT pg_is_in_recovery(), current_setting('server_version'), \
    CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END, \
    pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text, \
    CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END, \
    (SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid())";
const REPLICATION_SQL: &str = "SELECT application_name, client_addr::text, state, sync_state, \
    sent_lsn::text, write_lsn::text, flush_lsn::text, replay_lsn::text, \
    (extract(epoch FROM write_lag) * 1000)::float8, (extract(epoch FROM flush_lag) * 1000)::float8, \
    (extract(epoch FROM replay_lag) * 1000)::float8 FROM pg_stat_replication";
const SLOTS_SQL: &str = "SELECT slot_name::text, slot_type, active, restart_lsn::text, confirmed_flush_lsn::text FROM pg_replication_slots";
const RECEIVER_SQL: &str = "SELECT status, sender_host, sender_port, received_tli::bigint, flushed_lsn::text, slot_name::text FROM pg_stat_wal_receiver";

/// Text a server sent (an `application_name` any client may set), escaped.
fn safe(s: Option<String>) -> Option<String> {
    s.map(|s| crate::text::escape(&s).into_owned())
}

fn lsn(s: Option<String>) -> Option<u64> {
    s.as_deref().and_then(parse_lsn)
}

/// Why a member's SQL probe got no answer.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error(transparent)]
    Connect(#[from] PgConnectError),
    #[error("SQL probe of {member} ({addr}): {reason}")]
    Query {
        member: String,
        addr: String,
        reason: String,
    },
}

impl SqlError {
    pub fn is_auth(&self) -> bool {
        matches!(self, SqlError::Connect(e) if e.is_auth())
    }
}

/// Reads one member.
pub async fn probe(client: &Client) -> Result<SqlMember, tokio_postgres::Error> {
    let row = client.query_one(STATUS_SQL, &[]).await?;
    let mut m = SqlMember {
        in_recovery: row.get(0),
        server_version: row.get(1),
        current_lsn: lsn(row.get(2)),
        receive_lsn: lsn(row.get(3)),
        replay_lsn: lsn(row.get(4)),
        replay_paused: row.get(5),
        tls: safe(row.get(6)),
        ..Default::default()
    };
    if !m.in_recovery {
        for r in client.query(REPLICATION_SQL, &[]).await? {
            m.replication.push(ReplicationRow {
                application_name: safe(r.get(0)).unwrap_or_default(),
                client_addr: safe(r.get(1)),
                state: safe(r.get(2)),
                sync_state: safe(r.get(3)),
                sent_lsn: lsn(r.get(4)),
                write_lsn: lsn(r.get(5)),
                flush_lsn: lsn(r.get(6)),
                replay_lsn: lsn(r.get(7)),
                write_lag_ms: r.get(8),
                flush_lag_ms: r.get(9),
                replay_lag_ms: r.get(10),
            });
        }
    } else if let Some(r) = client.query_opt(RECEIVER_SQL, &[]).await? {
        m.wal_receiver = Some(WalReceiverRow {
            status: safe(r.get(0)),
            sender_host: safe(r.get(1)),
            sender_port: r.get(2),
            received_tli: r.get::<_, Option<i64>>(3).map(|v| v as u64),
            flushed_lsn: lsn(r.get(4)),
            slot_name: safe(r.get(5)),
        });
    }
    for r in client.query(SLOTS_SQL, &[]).await? {
        m.slots.push(SlotRow {
            slot_name: safe(r.get(0)).unwrap_or_default(),
            slot_type: safe(r.get(1)),
            active: r.get(2),
            restart_lsn: lsn(r.get(3)),
            confirmed_flush_lsn: lsn(r.get(4)),
        });
    }
    Ok(m)
}

/// One member's probe over a kept connection, or a new one.
async fn probe_member(
    cfg: &SqlConfig,
    tls: &PgTls,
    member: &str,
    host: &str,
    port: u16,
    kept: Option<Client>,
) -> (Option<Client>, Result<SqlMember, SqlError>) {
    let client = match kept.filter(|c| !c.is_closed()) {
        Some(c) => c,
        None => match connect(cfg, tls, host, port, "pgtui").await {
            Ok(c) => c,
            Err(e) => return (None, Err(e.into())),
        },
    };
    match probe(&client).await {
        Ok(m) => (Some(client), Ok(m)),
        Err(e) => {
            let reason = reason(&e);
            let addr = format!("{host}:{port}");
            let member = member.to_string();
            (
                None,
                Err(SqlError::Query {
                    member,
                    addr,
                    reason,
                }),
            )
        }
    }
}

/// One round over every member in scope, all at once: each gets an answer
/// or an error, so a one-shot command waiting for the round never waits
/// past it.
async fn round(
    cfg: &SqlConfig,
    tls: &PgTls,
    scope: &Scope,
    model: &ModelHandle,
    clients: &mut HashMap<(String, u16), Client>,
) {
    let targets: Vec<(String, String, String, u16)> = model.read(|m| {
        scope
            .picked(m, super::Lane::Full)
            .into_iter()
            .flat_map(|c| {
                c.sql_targets()
                    .map(|(n, h, p)| (c.name.clone(), n.clone(), h, p))
            })
            .collect()
    });
    if targets.is_empty() {
        return;
    }
    let results = futures::future::join_all(targets.iter().map(|(_, member, host, port)| {
        let kept = clients.remove(&(host.clone(), *port));
        probe_member(cfg, tls, member, host, *port, kept)
    }))
    .await;
    let now = SystemTime::now();
    model.update(|m| {
        let mut round = Round::default();
        for ((cluster, member, host, port), (client, r)) in targets.into_iter().zip(results) {
            if let Some(c) = client {
                clients.insert((host, port), c);
            }
            let c = m.cluster_mut(&cluster);
            match r {
                Ok(snapshot) => {
                    round.answered();
                    c.sql_errors.remove(&member);
                    c.sql
                        .insert(member, Sourced::new(snapshot, SourceId::Sql, now));
                }
                Err(e) => {
                    c.sql_errors.insert(member, (now, e.to_string()));
                    round.failed(e.to_string(), e.is_auth());
                }
            }
        }
        let s = m.source_mut(SourceId::Sql);
        round.record(s, now);
    });
}

/// The source task: a round every `poll_interval`, and right away when the
/// DCS brings a member not probed yet.
pub async fn run(cfg: SqlConfig, scope: Scope, model: ModelHandle) {
    let mut clients: HashMap<(String, u16), Client> = HashMap::new();
    let transport = super::pg_tls::describe(&cfg.tls);
    model.update(|m| m.sql_transport = Some(transport));
    let tls = match PgTls::new(&cfg.tls) {
        Ok(t) => t,
        Err(e) => return setup_failed(&scope, &model, e.to_string()).await,
    };
    let mut rounds = super::rounds::Rounds::new(&model, cfg.poll_interval);
    let due = |m: &crate::model::Model| {
        scope
            .picked(m, super::Lane::Full)
            .iter()
            .any(|c| c.sql_pending())
    };
    while rounds.next_when(&model, due).await {
        round(&cfg, &tls, &scope, &model, &mut clients).await;
    }
}

/// A TLS setup that cannot work (an unreadable CA) is every member's error,
/// kept up to date as members come, so no probe looks merely pending.
async fn setup_failed(scope: &Scope, model: &ModelHandle, why: String) {
    let mut changes = model.subscribe();
    let unmarked = |m: &crate::model::Model| -> Vec<(String, String)> {
        m.clusters
            .values()
            .filter(|c| scope.includes(&c.name))
            .flat_map(|c| {
                c.sql_targets()
                    .filter(|(n, _, _)| !c.sql_errors.contains_key(*n))
                    .map(|(n, _, _)| (c.name.clone(), n.clone()))
            })
            .collect()
    };
    loop {
        let todo = model.read(unmarked);
        if !todo.is_empty() {
            let now = SystemTime::now();
            model.update(|m| {
                for (cluster, member) in todo {
                    m.cluster_mut(&cluster)
                        .sql_errors
                        .insert(member, (now, why.clone()));
                }
                m.source_mut(SourceId::Sql).failed(now, why.clone());
            });
        }
        if changes.changed().await.is_err() {
            return;
        }
    }
}
