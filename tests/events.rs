//! Events log tests on the real recorded DCS contents (Patroni 3.0.2 and
//! 4.1.5): each test changes the keys the way Patroni did in a recorded
//! state (tests/fixtures/samples/states/) and asserts the exact events, so
//! both a missing event and a noisy extra one fail.

use pgtui::dcs::parse_key;
use pgtui::model::events::{ConfigChange, Event, EventKind, EventLog, Severity};
use pgtui::model::{Model, ModelHandle, SourceId};
use pgtui::sources::events::{diff, initial, run, Snapshot};
use pgtui::sources::Scope;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// 2026-11-21T21:16:58Z, the capture time of the samples.
fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_295_818)
}

fn load(rel: &str) -> Model {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/samples")
        .join(rel);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut m = Model::new("/pg/");
    let lines: Vec<&str> = text.lines().collect();
    for kv in lines.chunks(2) {
        set(&mut m, kv[0], kv[1]);
    }
    m
}

fn base() -> Model {
    load("etcd-get-prefix-pg.txt")
}

/// Writes (or with `None` deletes) one DCS key, as the etcd watch would.
fn put(m: &mut Model, key: &str, value: Option<&str>) {
    let p = parse_key("/pg/", key.as_bytes()).expect("key under /pg/");
    let c = m.cluster_mut(&p.cluster);
    c.dcs.apply(
        &p.kind,
        value.map(str::as_bytes),
        7,
        SourceId::Etcd,
        SystemTime::now(),
    );
}

fn set(m: &mut Model, key: &str, value: &str) {
    put(m, key, Some(value));
}

fn snap(m: &Model) -> Snapshot {
    Snapshot::of(m, |_| true)
}

/// The events between `m` and `m` after `change`.
fn events_after(m: &Model, change: impl FnOnce(&mut Model)) -> Vec<Event> {
    let mut next = m.clone();
    change(&mut next);
    diff(&snap(m), &snap(&next), t0())
}

fn member(name: &str, ip: u8, extra: Value) -> String {
    let mut v = json!({"conn_url": format!("postgres://127.0.0.{ip}:5432/postgres"),
        "api_url": format!("http://127.0.0.{ip}:8008/patroni"), "state": "running",
        "role": "replica", "version": "3.0.2", "xlog_location": 738197504, "timeline": 13});
    for (k, x) in extra.as_object().unwrap() {
        match x {
            Value::Null => v.as_object_mut().unwrap().remove(k),
            _ => v.as_object_mut().unwrap().insert(k.clone(), x.clone()),
        };
    }
    let _ = name;
    v.to_string()
}

/// Edits pg-test's config with `f`.
fn edit_config(m: &mut Model, f: impl FnOnce(&mut Value)) {
    let mut c = m.clusters["pg-test"].dcs.config_value().unwrap().clone();
    f(&mut c["postgresql"]["parameters"]);
    f(&mut Value::Null); // `f` may also touch the top level through `c` below
    set(m, "/pg/pg-test/config", &c.to_string());
}

/// One event: its kind, severity, cluster and message.
fn assert_one(events: &[Event], kind: EventKind, severity: Severity, message: &str) {
    assert_eq!(events.len(), 1, "exactly one event expected: {events:#?}");
    let e = &events[0];
    assert_eq!(
        (&e.kind, e.severity, e.message.as_str()),
        (&kind, severity, message)
    );
}

#[test]
fn unchanged_model_yields_no_events() {
    let m = base();
    assert!(diff(&snap(&m), &snap(&m), t0()).is_empty());
    // Re-reading the same keys at another time (new revisions, new `at`)
    // is not a change either.
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(diff(&snap(&m), &snap(&base()), t0()), vec![]);
}

#[test]
fn leader_moving_to_pg_test_2_on_timeline_14() {
    let ev = events_after(&base(), |m| {
        set(m, "/pg/pg-test/leader", "pg-test-2");
        for (n, ip) in [("pg-test-1", 11), ("pg-test-2", 12), ("pg-test-3", 13)] {
            let role = if n == "pg-test-2" {
                "master"
            } else {
                "replica"
            };
            let v = member(n, ip, json!({"timeline": 14, "role": role}));
            set(m, &format!("/pg/pg-test/members/{n}"), &v);
        }
    });
    let kinds: Vec<_> = ev
        .iter()
        .map(|e| (&e.kind, e.severity, e.message.as_str()))
        .collect();
    let (p1, p2) = (Some("pg-test-1".to_string()), Some("pg-test-2".to_string()));
    let leader = EventKind::LeaderChanged {
        from: p1,
        to: p2,
        timeline: (Some(13), Some(14)),
    };
    let tl = EventKind::TimelineBumped { from: 13, to: 14 };
    assert_eq!(
        kinds,
        [
            (
                &leader,
                Severity::Warn,
                "pg-test: leader pg-test-1 → pg-test-2 (timeline 13 → 14)"
            ),
            (&tl, Severity::Warn, "pg-test: timeline 13 → 14"),
        ]
    );
    assert!(ev
        .iter()
        .all(|e| e.cluster.as_deref() == Some("pg-test") && e.at == t0()));
}

#[test]
fn patroni_4_switchover_is_leader_and_timeline_only() {
    // Mirrors patroni-4.1.5/patronictl-list{,-after-switchover}.json.
    let m = load("patroni-4.1.5/etcd-get-prefix-pg-v4.txt");
    let ev = events_after(&m, |m| {
        set(m, "/pg/pg-v4/leader", "pg-v4-2");
        set(
            m,
            "/pg/pg-v4/members/pg-v4-1",
            r#"{"conn_url":"postgres://127.0.0.14:5432/postgres","api_url":"http://127.0.0.14:8008/patroni","state":"running","role":"replica","version":"4.1.5","xlog_location":50333096,"replication_state":"streaming","timeline":2}"#,
        );
        set(
            m,
            "/pg/pg-v4/members/pg-v4-2",
            r#"{"conn_url":"postgres://127.0.0.15:5432/postgres","api_url":"http://127.0.0.15:8008/patroni","state":"running","role":"primary","version":"4.1.5","xlog_location":50333096,"timeline":2}"#,
        );
    });
    let msgs: Vec<&str> = ev.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "pg-v4: leader pg-v4-1 → pg-v4-2 (timeline 1 → 2)",
            "pg-v4: timeline 1 → 2"
        ]
    );
}

#[test]
fn leader_key_expiring_is_an_alarm() {
    let ev = events_after(&base(), |m| put(m, "/pg/pg-test/leader", None));
    let from = Some("pg-test-1".to_string());
    let kind = EventKind::LeaderChanged {
        from,
        to: None,
        timeline: (Some(13), Some(13)),
    };
    let msg = "pg-test: NO LEADER (was pg-test-1): leader key expired or removed";
    assert_one(&ev, kind, Severity::Alarm, msg);
}

#[test]
fn member_key_deleted_and_added() {
    let m = base();
    let ev = events_after(&m, |m| put(m, "/pg/pg-test/members/pg-test-3", None));
    let (member, role, state) = (
        "pg-test-3".to_string(),
        "replica".to_string(),
        "running".to_string(),
    );
    let msg =
        "pg-test: member pg-test-3 left: its DCS key expired or was removed (was replica, running)";
    assert_one(
        &ev,
        EventKind::MemberLeft {
            member,
            role,
            state,
        },
        Severity::Warn,
        msg,
    );

    let ev = events_after(&m, |m| {
        set(
            m,
            "/pg/pg-test/members/pg-test-4",
            &member("pg-test-4", 14, json!({})),
        )
    });
    assert_eq!(ev.len(), 1, "{ev:#?}");
    assert_eq!(
        (ev[0].severity, ev[0].message.as_str()),
        (
            Severity::Info,
            "pg-test: member pg-test-4 joined (replica, running)"
        )
    );
}

#[test]
fn config_edit_shows_the_flattened_diff() {
    let ev = events_after(&base(), |m| {
        edit_config(m, |p| {
            if p.is_object() {
                p["shared_buffers"] = json!("128MB");
            }
        })
    });
    let change = ConfigChange {
        path: "postgresql.parameters.shared_buffers".into(),
        before: Some("64MB".into()),
        after: Some("128MB".into()),
    };
    let msg = "pg-test: config edited: postgresql.parameters.shared_buffers: 64MB → 128MB";
    assert_one(
        &ev,
        EventKind::ConfigChanged {
            changes: vec![change],
        },
        Severity::Info,
        msg,
    );
}

#[test]
fn config_keys_added_and_removed() {
    let ev = events_after(&base(), |m| {
        edit_config(m, |p| {
            if let Some(o) = p.as_object_mut() {
                o.remove("wal_keep_size");
                o.insert("work_mem".into(), json!("8MB"));
                o.insert("max_connections".into(), json!(200));
            }
        })
    });
    assert_eq!(ev.len(), 1, "{ev:#?}");
    assert_eq!(
        ev[0].message,
        "pg-test: config edited: postgresql.parameters.max_connections: 100 → 200; \
         postgresql.parameters.wal_keep_size: removed (was 256MB); \
         postgresql.parameters.work_mem: added 8MB"
    );
}

#[test]
fn pause_and_resume_without_a_config_diff() {
    let m = base();
    let mut paused = m.clone();
    let mut c = m.clusters["pg-test"].dcs.config_value().unwrap().clone();
    c["pause"] = json!(true);
    set(&mut paused, "/pg/pg-test/config", &c.to_string());
    let ev = diff(&snap(&m), &snap(&paused), t0());
    let msg = "pg-test: maintenance mode ON (paused): no automatic failover";
    assert_one(&ev, EventKind::Paused, Severity::Warn, msg);
    let ev = diff(&snap(&paused), &snap(&m), t0());
    let msg = "pg-test: maintenance mode OFF (resumed): automatic failover active again";
    assert_one(&ev, EventKind::Resumed, Severity::Info, msg);
}

#[test]
fn member_stopped_cleanly_is_an_alarm() {
    // states/member-stopped-cleanly: `state: stopped`, no timeline, no WAL position.
    let v = member(
        "pg-test-3",
        13,
        json!({"state": "stopped", "timeline": null, "xlog_location": null}),
    );
    let ev = events_after(&base(), |m| set(m, "/pg/pg-test/members/pg-test-3", &v));
    let kind = EventKind::StateChanged {
        member: "pg-test-3".into(),
        from: "running".into(),
        to: "stopped".into(),
    };
    assert_one(
        &ev,
        kind,
        Severity::Alarm,
        "pg-test: pg-test-3 running → stopped",
    );
}

#[test]
fn unparseable_member_is_an_alarm_and_its_repair_is_noted() {
    let m = base();
    let mut broken = m.clone();
    set(
        &mut broken,
        "/pg/pg-test/members/pg-test-3",
        r#"{"conn_url": "postgres://127.0.0"#,
    );
    let ev = diff(&snap(&m), &snap(&broken), t0());
    assert_eq!(
        ev.len(),
        1,
        "only the unreadable key, no state change: {ev:#?}"
    );
    assert_eq!(ev[0].severity, Severity::Alarm);
    let EventKind::Unparseable { key, error } = &ev[0].kind else {
        panic!("{ev:#?}")
    };
    assert_eq!(key, "members/pg-test-3");
    assert!(!error.is_empty());
    assert_eq!(
        ev[0].message,
        format!("pg-test: DCS key members/pg-test-3 is unreadable: {error}")
    );

    let ev = diff(&snap(&broken), &snap(&m), t0());
    let kind = EventKind::Readable {
        key: "members/pg-test-3".into(),
    };
    assert_one(
        &ev,
        kind,
        Severity::Info,
        "pg-test: DCS key members/pg-test-3 readable again",
    );
}

#[test]
fn pending_restart_set_and_cleared() {
    // states/pending-restart after `edit-config shared_buffers`.
    let m = base();
    let mut pending = m.clone();
    set(
        &mut pending,
        "/pg/pg-test/members/pg-test-2",
        &member("pg-test-2", 12, json!({"pending_restart": true})),
    );
    let ev = diff(&snap(&m), &snap(&pending), t0());
    let kind = EventKind::PendingRestart {
        member: "pg-test-2".into(),
        pending: true,
    };
    let msg = "pg-test: pg-test-2 pending restart: a changed setting needs a PostgreSQL restart";
    assert_one(&ev, kind, Severity::Warn, msg);
    let ev = diff(&snap(&pending), &snap(&m), t0());
    let kind = EventKind::PendingRestart {
        member: "pg-test-2".into(),
        pending: false,
    };
    assert_one(
        &ev,
        kind,
        Severity::Info,
        "pg-test: pg-test-2 no longer pending restart",
    );
}

#[test]
fn scheduled_switchover_and_restart_set_then_cleared() {
    // states/scheduled-switchover-and-restart.
    let at = "2026-11-21T22:15:24+00:00";
    let m = base();
    let mut sched = m.clone();
    let failover = json!({"leader": "pg-test-1", "member": "pg-test-3", "scheduled_at": at});
    set(&mut sched, "/pg/pg-test/failover", &failover.to_string());
    let restart = json!({"scheduled_restart": {"schedule": at, "postmaster_start_time": "2026-11-21 21:14:55.122693+00:00"}});
    set(
        &mut sched,
        "/pg/pg-test/members/pg-test-3",
        &member("pg-test-3", 13, restart),
    );
    let msgs = |ev: Vec<Event>| {
        ev.into_iter()
            .map(|e| (e.severity, e.message))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        msgs(diff(&snap(&m), &snap(&sched), t0())),
        [
            (
                Severity::Warn,
                format!("pg-test: switchover scheduled at {at} from pg-test-1 to pg-test-3")
            ),
            (
                Severity::Warn,
                format!("pg-test: restart of pg-test-3 scheduled at {at}")
            ),
        ]
    );
    let mut done = m.clone();
    set(&mut done, "/pg/pg-test/failover", "{}");
    assert_eq!(
        msgs(diff(&snap(&sched), &snap(&done), t0())),
        [
            (
                Severity::Info,
                format!("pg-test: scheduled switchover at {at} cleared (done or cancelled)")
            ),
            (
                Severity::Info,
                "pg-test: scheduled restart of pg-test-3 cleared (done or cancelled)".into()
            ),
        ]
    );
}

#[test]
fn sync_standby_role_change() {
    let sync = r#"{"leader":"pg-test-1","sync_standby":"pg-test-2"}"#;
    let ev = events_after(&base(), |m| set(m, "/pg/pg-test/sync", sync));
    let kind = EventKind::RoleChanged {
        member: "pg-test-2".into(),
        from: "replica".into(),
        to: "sync_standby".into(),
    };
    assert_one(
        &ev,
        kind,
        Severity::Info,
        "pg-test: pg-test-2 role replica → sync_standby",
    );
}

#[test]
fn clusters_appearing_and_going() {
    let m = base();
    let mut gone = m.clone();
    for k in [
        "config",
        "history",
        "initialize",
        "leader",
        "members/pg-meta-1",
        "status",
    ] {
        put(&mut gone, &format!("/pg/pg-meta/{k}"), None);
    }
    let ev = diff(&snap(&m), &snap(&gone), t0());
    assert_one(
        &ev,
        EventKind::ClusterGone,
        Severity::Warn,
        "pg-meta: cluster gone: all its DCS keys were removed",
    );
    let ev = diff(&snap(&gone), &snap(&m), t0());
    let kind = EventKind::ClusterAppeared {
        leader: Some("pg-meta-1".into()),
        members: 1,
    };
    assert_one(
        &ev,
        kind,
        Severity::Info,
        "pg-meta: cluster appeared: leader pg-meta-1, 1 members",
    );
}

#[test]
fn etcd_stale_then_recovered() {
    let m = base();
    let mut down = m.clone();
    down.source_mut(SourceId::Etcd)
        .failed(t0(), "connection refused");
    let ev = diff(&snap(&m), &snap(&down), t0());
    assert_eq!(ev.len(), 1, "{ev:#?}");
    assert_eq!(
        (ev[0].cluster.as_deref(), ev[0].severity),
        (None, Severity::Alarm)
    );
    assert_eq!(
        ev[0].message,
        "etcd: stale since 21:16:58 UTC: connection refused; showing last known data"
    );
    // Still down, another error: nothing new to say.
    let mut still = down.clone();
    still
        .source_mut(SourceId::Etcd)
        .failed(t0() + Duration::from_secs(5), "timeout");
    assert!(diff(&snap(&down), &snap(&still), t0()).is_empty());
    let mut up = still.clone();
    let later = t0() + Duration::from_secs(42);
    up.source_mut(SourceId::Etcd).ok(later);
    let ev = diff(&snap(&still), &snap(&up), later);
    let kind = EventKind::SourceRecovered {
        source: SourceId::Etcd,
        stale_since: t0(),
    };
    assert_one(
        &ev,
        kind,
        Severity::Info,
        "etcd: recovered after 42s (stale since 21:16:58 UTC)",
    );
    // A REST outage is a warning: the DCS picture is still live.
    let mut rest = m.clone();
    rest.source_mut(SourceId::Rest)
        .failed(t0(), "connection refused");
    assert_eq!(
        diff(&snap(&m), &snap(&rest), t0())[0].severity,
        Severity::Warn
    );
}

#[test]
fn first_snapshot_is_one_watching_line() {
    let mut m = base();
    let e = initial(&snap(&m), t0());
    assert_eq!(
        (e.severity, e.message.as_str()),
        (Severity::Info, "watching 2 clusters: pg-meta, pg-test")
    );
    m.source_mut(SourceId::Etcd)
        .failed(t0(), "connection refused");
    let e = initial(&snap(&m), t0());
    assert_eq!(
        e.message,
        "watching 2 clusters: pg-meta, pg-test; etcd stale since 21:16:58 UTC"
    );
    let only = Snapshot::of(&m, |c| c == "pg-test");
    assert_eq!(
        initial(&only, t0()).message,
        "watching 1 cluster: pg-test; etcd stale since 21:16:58 UTC"
    );
}

#[test]
fn the_ring_keeps_the_newest() {
    let event = |i: usize| {
        Event::new(
            t0(),
            None,
            EventKind::TimelineBumped {
                from: i as u64,
                to: i as u64 + 1,
            },
        )
    };
    let mut log = EventLog::with_capacity(3);
    log.extend((0..5).map(event));
    assert_eq!((log.len(), log.total()), (3, 5));
    let msgs: Vec<&str> = log.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(msgs, ["timeline 2 → 3", "timeline 3 → 4", "timeline 4 → 5"]);
    let mut log = EventLog::default();
    log.extend((0..1005).map(event));
    assert_eq!((log.len(), log.total()), (EventLog::DEFAULT_CAP, 1005));
    assert_eq!(log.iter().next().unwrap().message, "timeline 5 → 6");
    assert_eq!(Model::default().events.len(), 0);
}

/// The task end to end on a live handle: baseline, one change, and no
/// feeding on its own updates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_logs_changes_and_settles() {
    let mut m = base();
    m.source_mut(SourceId::Etcd).ok(SystemTime::now());
    let model = ModelHandle::new(m);
    let task = tokio::spawn(run(Scope::all(), model.clone()));
    let wait_total = |n: u64| {
        let model = model.clone();
        async move {
            for _ in 0..200 {
                if model.read(|m| m.events.total()) >= n {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("no {n} events: {:#?}", model.read(|m| m.events.clone()));
        }
    };
    wait_total(1).await;
    model.update(|m| put(m, "/pg/pg-test/members/pg-test-3", None));
    // A no-op update (a source refreshing its health) must add nothing.
    model.update(|m| m.source_mut(SourceId::Etcd).ok(SystemTime::now()));
    wait_total(2).await;
    let generation = *model.subscribe().borrow();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        *model.subscribe().borrow(),
        generation,
        "the task must not loop on its own updates"
    );
    let msgs: Vec<String> = model.read(|m| m.events.iter().map(|e| e.message.clone()).collect());
    assert_eq!(
        msgs,
        [
            "watching 2 clusters: pg-meta, pg-test",
            "pg-test: member pg-test-3 left: its DCS key expired or was removed (was replica, running)",
        ]
    );
    task.abort();
}
