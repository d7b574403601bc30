//! SQL probes: positions, `pg_stat_replication`, slots and the WAL receiver,
//! read from each member's PostgreSQL with configured credentials.
//!
//! These are the freshest lag figures there are: the leader's current WAL
//! position and every standby's flush/replay positions come from one query
//! round on the leader.

use super::Scope;
use crate::config::SqlConfig;
use crate::model::sql::{parse_lsn, ReplicationRow, SlotRow, SqlMember, WalReceiverRow};
use crate::model::{ModelHandle, SourceId, Sourced};
use std::collections::HashMap;
use std::time::SystemTime;
use tokio_postgres::{Client, NoTls};

const STATUS_SQL: &str = "SELECT pg_is_in_recovery(), current_setting('server_version'), \
    CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END, \
    pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text, \
    CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END";
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

async fn connect(cfg: &SqlConfig, host: &str, port: u16) -> Result<Client, String> {
    let mut pg = tokio_postgres::Config::new();
    pg.host(host)
        .port(port)
        .user(&cfg.user)
        .dbname(&cfg.dbname)
        .application_name("pgtui")
        .connect_timeout(cfg.connect_timeout);
    if let Some(p) = &cfg.password {
        pg.password(p.expose());
    }
    let (client, conn) = tokio::time::timeout(cfg.connect_timeout, pg.connect(NoTls))
        .await
        .map_err(|_| format!("SQL connect to {host}:{port} timed out"))?
        .map_err(|e| format!("SQL connect to {host}:{port} as {}: {e}", cfg.user))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
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

/// The source task.
pub async fn run(cfg: SqlConfig, scope: Scope, model: ModelHandle) {
    let mut clients: HashMap<(String, u16), Client> = HashMap::new();
    let mut tick = tokio::time::interval(cfg.poll_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let targets: Vec<(String, String, String, u16)> = model.read(|m| {
            m.clusters
                .values()
                .filter(|c| scope.includes(&c.name))
                .flat_map(|c| {
                    c.dcs.members.iter().filter_map(move |(name, e)| {
                        let (h, p) = e.value.ok()?.host_port();
                        Some((c.name.clone(), name.clone(), h?, p.unwrap_or(5432)))
                    })
                })
                .collect()
        });
        let mut any_ok = false;
        let mut last_err = None;
        for (cluster, member, host, port) in targets {
            let key = (host.clone(), port);
            if !clients.contains_key(&key) || clients[&key].is_closed() {
                match connect(&cfg, &host, port).await {
                    Ok(c) => {
                        clients.insert(key.clone(), c);
                    }
                    Err(e) => {
                        last_err = Some(e);
                        continue;
                    }
                }
            }
            match probe(&clients[&key]).await {
                Ok(snapshot) => {
                    any_ok = true;
                    let now = SystemTime::now();
                    model.update(|m| {
                        m.cluster_mut(&cluster)
                            .sql
                            .insert(member, Sourced::new(snapshot, SourceId::Sql, now));
                    });
                }
                Err(e) => {
                    clients.remove(&key);
                    last_err = Some(format!("SQL probe of {member} ({host}:{port}): {e}"));
                }
            }
        }
        let now = SystemTime::now();
        model.update(|m| {
            let s = m.source_mut(SourceId::Sql);
            match (any_ok, last_err) {
                (true, _) => s.ok(now),
                (false, Some(e)) => {
                    s.auth_failed = e.contains("password authentication failed");
                    s.failed(now, e)
                }
                _ => {}
            }
        });
    }
}
