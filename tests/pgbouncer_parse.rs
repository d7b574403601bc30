//! pgbouncer's admin console, read from real recorded answers
//! (`tests/fixtures/pgbouncer/`, pgbouncer 1.18: one pool saturated with a
//! client waiting), and the flags judged from them.

#[path = "support/pgbouncer_tables.rs"]
mod pgbouncer_tables;

use pgbouncer_tables::{recorded, table};
use pgtui::dcs::KeyKind;
use pgtui::model::pgbouncer::{parse_time, Pgbouncer, Table};
use pgtui::model::pgbouncer_flags::{flags, PoolFlag, WAIT_ALARM};
use pgtui::model::{ClusterState, SourceId, Sourced};
use std::time::{Duration, SystemTime};

fn at(s: &str) -> SystemTime {
    parse_time(s).unwrap()
}

#[test]
fn the_recorded_answers_read_into_pools_databases_and_connections() {
    let p = recorded();
    assert_eq!(p.version.as_deref(), Some("PgBouncer 1.18.0"));
    assert_eq!(p.max_client_conn, Some(100));
    assert_eq!(p.default_pool_size, Some(20));
    let sat = p.pools.iter().find(|p| p.database == "pgtui_sat").unwrap();
    assert_eq!((sat.cl_active, sat.cl_waiting, sat.sv_active), (1, 1, 1));
    assert!(
        (sat.maxwait_secs - 2.990362).abs() < 1e-6,
        "{}",
        sat.maxwait_secs
    );
    assert_eq!(sat.pool_mode.as_deref(), Some("transaction"));
    let db = p.database("pgtui_sat").unwrap();
    assert_eq!(db.host.as_deref(), Some("127.0.12.11"));
    assert_eq!(
        (db.pool_size, db.paused, db.disabled),
        (Some(1), false, false)
    );
    assert_eq!(
        p.database("pgbouncer").unwrap().host,
        None,
        "the admin console has no host"
    );
    // Clients are counted by pool and state, with the oldest connect time.
    let waiting = p
        .clients
        .iter()
        .find(|c| c.database == "pgtui_sat" && c.state == "waiting")
        .unwrap();
    assert_eq!(waiting.count, 1);
    assert_eq!(waiting.oldest, Some(at("2026-12-06 15:08:07 UTC")));
    let servers: i64 = p.servers.iter().map(|c| c.count).sum();
    assert_eq!(servers, 2);
    assert!(p
        .servers
        .iter()
        .all(|c| c.addr.as_deref() == Some("127.0.12.11")));
    assert_eq!(
        p.clients_total(),
        3,
        "the admin console's own client is not counted"
    );
}

#[test]
fn a_missing_column_reads_as_absent_not_as_zero_pools() {
    let mut pools = table("pools");
    let i = pools
        .columns
        .iter()
        .position(|c| c == "maxwait_us")
        .unwrap();
    pools.columns.remove(i);
    for r in &mut pools.rows {
        r.remove(i);
    }
    let p = Pgbouncer::from_tables(
        &pools,
        &Table::default(),
        &Table::default(),
        &Table::default(),
        &Table::default(),
        &Table::default(),
    );
    let sat = p.pools.iter().find(|p| p.database == "pgtui_sat").unwrap();
    assert_eq!(sat.maxwait_secs, 2.0, "maxwait alone, in whole seconds");
    assert_eq!(p.max_client_conn, None);
}

fn cluster(p: Pgbouncer, leader: &str) -> ClusterState {
    let mut c = ClusterState::new("pg-test");
    let t = SystemTime::now();
    for (i, n) in ["pg-test-1", "pg-test-2"].iter().enumerate() {
        let v = format!(
            r#"{{"conn_url":"postgres://127.0.12.1{}:5432/postgres","api_url":"https://127.0.12.1{}:8008/patroni","state":"running","role":"replica"}}"#,
            i + 1,
            i + 1
        );
        c.dcs.apply(
            &KeyKind::Member(n.to_string()),
            Some(v.as_bytes()),
            1,
            SourceId::Etcd,
            t,
        );
    }
    c.dcs.apply(
        &KeyKind::Leader,
        Some(leader.as_bytes()),
        2,
        SourceId::Etcd,
        t,
    );
    c.pgbouncer
        .insert("pg-test-1".into(), Sourced::new(p, SourceId::Pgbouncer, t));
    c
}

#[test]
fn clients_waiting_past_the_alarm_are_flagged_and_below_it_are_not() {
    let c = cluster(recorded(), "pg-test-1");
    let f = flags(&c, WAIT_ALARM);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        matches!(&f[0], PoolFlag::Waiting { database, clients: 1, .. } if database == "pgtui_sat")
    );
    assert!(f[0].is_alarm());
    assert!(f[0].to_string().contains("pool is full"), "{}", f[0]);
    assert!(
        flags(&c, Duration::from_secs(5)).is_empty(),
        "2.99 s is under a 5 s alarm"
    );
}

#[test]
fn a_pool_elsewhere_a_paused_database_and_an_unreachable_pgbouncer_are_flagged() {
    let mut p = recorded();
    p.databases
        .iter_mut()
        .find(|d| d.name == "postgres")
        .unwrap()
        .host = Some("10.9.9.9".into());
    p.databases
        .iter_mut()
        .find(|d| d.name == "pgtui_sat")
        .unwrap()
        .paused = true;
    let mut c = cluster(p, "pg-test-1");
    c.pgbouncer_errors.insert(
        "pg-test-2".into(),
        (
            SystemTime::now(),
            "SQL connect to 127.0.12.12:6432 timed out after 2000 ms".into(),
        ),
    );
    let kinds: Vec<&str> = flags(&c, Duration::from_secs(60))
        .iter()
        .map(|f| f.kind())
        .collect();
    assert_eq!(kinds, ["unreachable", "paused", "pool_elsewhere"]);
    // A local or Unix-socket host sits beside its member.
    let mut p = recorded();
    p.databases[1].host = Some("/var/run/postgresql".into());
    p.databases[2].host = Some("localhost".into());
    assert!(flags(&cluster(p, "pg-test-1"), Duration::from_secs(60)).is_empty());
}

#[test]
fn connections_from_before_a_member_lost_the_lead_are_flagged_until_they_drain() {
    let mut c = cluster(recorded(), "pg-test-1");
    // pg-test-1 loses the leader key after every recorded connection began.
    let lost = at("2026-12-06 15:09:00 UTC");
    c.dcs.apply(
        &KeyKind::Leader,
        Some(b"pg-test-2"),
        3,
        SourceId::Etcd,
        lost,
    );
    assert_eq!(c.dcs.former_leaders, vec![("pg-test-1".to_string(), lost)]);
    let f = flags(&c, Duration::from_secs(60));
    assert!(
        matches!(
            &f[..],
            [PoolFlag::FromFormerLeader {
                clients: 3,
                servers: 2,
                ..
            }]
        ),
        "{f:?}"
    );
    assert!(f[0].to_string().contains("now reach a replica"), "{}", f[0]);
    // Had it lost the lead before they connected, they are not its writers.
    let mut c = cluster(recorded(), "pg-test-1");
    c.dcs.apply(
        &KeyKind::Leader,
        Some(b"pg-test-2"),
        3,
        SourceId::Etcd,
        at("2026-12-06 15:00:00 UTC"),
    );
    assert!(flags(&c, Duration::from_secs(60)).is_empty());
    // A re-list keeps what was seen.
    let keys: Vec<(KeyKind, &[u8], i64)> = vec![(KeyKind::Leader, b"pg-test-2", 3)];
    c.dcs.reload(keys, SourceId::Etcd, SystemTime::now());
    assert_eq!(c.dcs.former_leaders.len(), 1);
}
