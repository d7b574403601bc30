//! Events log tests on the real recorded DCS contents (Patroni 3.0.2 and
//! 4.1.5): each test changes the keys the way Patroni did in a recorded
//! state (tests/fixtures/samples/states/) and asserts the exact events, so
//! both a missing event and a noisy extra one fail.

use pgtui::dcs::parse_key;
use pgtui::model::events::{ConfigChange, Event, EventKind, EventLog, Severity};
use pgtui::model::{Model, ModelHandle, SourceId};
use pgtui::sources::events::{diff, initial, run, Snapshot};
use pgtui::sources::Scope;
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};
use EventKind as K;
use Severity::{Alarm, Info, Warn};

/// 2026-11-21T21:16:58Z, the capture time of the samples.
fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_295_818)
}

fn s(x: &str) -> String {
    x.to_string()
}

/// `etcdctl get --prefix` output (key line, value line) as a model.
fn load(rel: &str) -> Model {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/samples");
    let text = std::fs::read_to_string(dir.join(rel)).unwrap();
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
    let (bytes, now) = (value.map(str::as_bytes), SystemTime::now());
    m.cluster_mut(&p.cluster)
        .dcs
        .apply(&p.kind, bytes, 7, SourceId::Etcd, now);
}

fn set(m: &mut Model, key: &str, value: &str) {
    put(m, key, Some(value));
}

fn snap(m: &Model) -> Snapshot {
    Snapshot::of(m, |_| true)
}

fn changed(m: &Model, change: impl FnOnce(&mut Model)) -> Model {
    let mut next = m.clone();
    change(&mut next);
    next
}

/// The events between `m` and `m` after `change`.
fn events_after(m: &Model, change: impl FnOnce(&mut Model)) -> Vec<Event> {
    diff(&snap(m), &snap(&changed(m, change)), t0())
}

/// A pg-test member value like the recorded ones (Patroni 3.0.2) on
/// 127.0.0.`ip`, with `extra` keys set, or removed when null.
fn member(ip: u8, extra: Value) -> String {
    let mut v = json!({"conn_url": format!("postgres://127.0.0.{ip}:5432/postgres"),
        "api_url": format!("http://127.0.0.{ip}:8008/patroni"), "state": "running",
        "role": "replica", "version": "3.0.2", "xlog_location": 738197504, "timeline": 13});
    let o = v.as_object_mut().unwrap();
    for (k, x) in extra.as_object().unwrap() {
        match x {
            Value::Null => o.remove(k),
            _ => o.insert(k.clone(), x.clone()),
        };
    }
    v.to_string()
}

/// Edits pg-test's `postgresql.parameters` with `f`.
fn edit_parameters(m: &mut Model, f: impl FnOnce(&mut Map<String, Value>)) {
    let mut c = m.clusters["pg-test"].dcs.config_value().unwrap().clone();
    f(c["postgresql"]["parameters"].as_object_mut().unwrap());
    set(m, "/pg/pg-test/config", &c.to_string());
}

/// The only event: kind, severity, message.
fn one(ev: &[Event]) -> (EventKind, Severity, &str) {
    assert_eq!(ev.len(), 1, "exactly one event expected: {ev:#?}");
    (ev[0].kind.clone(), ev[0].severity, ev[0].message.as_str())
}

fn texts(ev: &[Event]) -> Vec<(Severity, &str)> {
    ev.iter()
        .map(|e| (e.severity, e.message.as_str()))
        .collect()
}

/// Each event as (kind tag, severity, message): the tag is the serialised
/// `kind`, so a wrong variant fails as surely as a wrong word.
fn tagged(ev: &[Event]) -> Vec<(String, Severity, String)> {
    let tag = |e: &Event| {
        serde_json::to_value(&e.kind).unwrap()["kind"]
            .as_str()
            .unwrap()
            .to_string()
    };
    ev.iter()
        .map(|e| (tag(e), e.severity, e.message.clone()))
        .collect()
}

type Expected = &'static [(&'static str, Severity, &'static str)];

/// Applies `change` to the recorded cluster and checks the events both ways:
/// recorded → changed, and changed → recorded (the undo).
fn check(change: impl FnOnce(&mut Model), forward: Expected, back: Expected) {
    let m = base();
    let next = changed(&m, change);
    let owned = |e: Expected| -> Vec<_> {
        e.iter()
            .map(|(k, s, m)| (k.to_string(), *s, m.to_string()))
            .collect()
    };
    assert_eq!(
        tagged(&diff(&snap(&m), &snap(&next), t0())),
        owned(forward),
        "forward"
    );
    assert_eq!(
        tagged(&diff(&snap(&next), &snap(&m), t0())),
        owned(back),
        "back"
    );
}

#[test]
fn unchanged_model_yields_no_events() {
    let m = base();
    assert_eq!(diff(&snap(&m), &snap(&m), t0()), vec![]);
    // The same keys read again later (new `at`) are not a change either.
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(diff(&snap(&m), &snap(&base()), t0()), vec![]);
}

#[test]
fn leader_moving_to_pg_test_2_on_timeline_14() {
    let ev = events_after(&base(), |m| {
        set(m, "/pg/pg-test/leader", "pg-test-2");
        for (ip, role) in [(11, "replica"), (12, "master"), (13, "replica")] {
            let v = member(ip, json!({"timeline": 14, "role": role}));
            set(m, &format!("/pg/pg-test/members/pg-test-{}", ip - 10), &v);
        }
    });
    let (from, to, timeline) = (
        Some(s("pg-test-1")),
        Some(s("pg-test-2")),
        (Some(13), Some(14)),
    );
    let kinds: Vec<&EventKind> = ev.iter().map(|e| &e.kind).collect();
    let leader = K::LeaderChanged { from, to, timeline };
    assert_eq!(kinds, [&leader, &K::TimelineBumped { from: 13, to: 14 }]);
    let leader = "pg-test: leader pg-test-1 → pg-test-2 (timeline 13 → 14)";
    assert_eq!(
        texts(&ev),
        [(Warn, leader), (Warn, "pg-test: timeline 13 → 14")]
    );
    assert!(ev
        .iter()
        .all(|e| e.cluster.as_deref() == Some("pg-test") && e.at == t0()));
}

#[test]
fn patroni_4_switchover_is_leader_and_timeline_only() {
    // patroni-4.1.5/patronictl-list{,-after-switchover}.json: the old leader
    // becomes "streaming", the new one "running"; the leader change says it.
    let ev = events_after(&load("patroni-4.1.5/etcd-get-prefix-pg-v4.txt"), |m| {
        set(m, "/pg/pg-v4/leader", "pg-v4-2");
        let v = r#"{"conn_url":"postgres://127.0.0.14:5432/postgres","state":"running",
            "role":"replica","replication_state":"streaming","timeline":2}"#;
        set(m, "/pg/pg-v4/members/pg-v4-1", v);
        let v = r#"{"conn_url":"postgres://127.0.0.15:5432/postgres","state":"running",
            "role":"primary","timeline":2}"#;
        set(m, "/pg/pg-v4/members/pg-v4-2", v);
    });
    let leader = "pg-v4: leader pg-v4-1 → pg-v4-2 (timeline 1 → 2)";
    assert_eq!(
        texts(&ev),
        [(Warn, leader), (Warn, "pg-v4: timeline 1 → 2")]
    );
}

#[test]
fn leader_key_expiring_is_an_alarm() {
    check(
        |m| put(m, "/pg/pg-test/leader", None),
        &[(
            "leader_changed",
            Alarm,
            "pg-test: NO LEADER (was pg-test-1): leader key expired or removed",
        )],
        &[(
            "leader_changed",
            Warn,
            "pg-test: leader none → pg-test-1 (timeline 13)",
        )],
    );
}

#[test]
fn member_key_deleted() {
    check(
        |m| put(m, "/pg/pg-test/members/pg-test-3", None),
        &[("member_left", Warn, "pg-test: member pg-test-3 left: its DCS key expired or was removed (was replica, running)")],
        &[("member_joined", Info, "pg-test: member pg-test-3 joined (replica, running)")],
    );
}

#[test]
fn config_edit_shows_the_flattened_diff() {
    let ev = events_after(&base(), |m| {
        edit_parameters(m, |p| drop(p.insert(s("shared_buffers"), json!("128MB"))))
    });
    let (path, before, after) = (
        s("postgresql.parameters.shared_buffers"),
        Some(s("64MB")),
        Some(s("128MB")),
    );
    let changes = vec![ConfigChange {
        path,
        before,
        after,
    }];
    let msg = "pg-test: config edited: postgresql.parameters.shared_buffers: 64MB → 128MB";
    assert_eq!(one(&ev), (K::ConfigChanged { changes }, Info, msg));
}

#[test]
fn config_keys_added_and_removed() {
    check(
        |m| {
            edit_parameters(m, |p| {
                p.remove("wal_keep_size");
                p.insert(s("work_mem"), json!("8MB"));
                p.insert(s("max_connections"), json!(200));
            })
        },
        &[("config_changed", Info, "pg-test: config edited: postgresql.parameters.max_connections: 100 → 200; postgresql.parameters.wal_keep_size: removed (was 256MB); postgresql.parameters.work_mem: added 8MB")],
        &[("config_changed", Info, "pg-test: config edited: postgresql.parameters.max_connections: 200 → 100; postgresql.parameters.wal_keep_size: added 256MB; postgresql.parameters.work_mem: removed (was 8MB)")],
    );
}

#[test]
fn pause_and_resume_without_a_config_diff() {
    check(
        |m| {
            let mut c = m.clusters["pg-test"].dcs.config_value().unwrap().clone();
            c["pause"] = json!(true);
            set(m, "/pg/pg-test/config", &c.to_string());
        },
        &[(
            "paused",
            Warn,
            "pg-test: maintenance mode ON (paused): no automatic failover",
        )],
        &[(
            "resumed",
            Info,
            "pg-test: maintenance mode OFF (resumed): automatic failover active again",
        )],
    );
}

#[test]
fn member_stopped_cleanly_is_an_alarm() {
    // states/member-stopped-cleanly: `state: stopped`, no timeline, no WAL position.
    let v = member(
        13,
        json!({"state": "stopped", "timeline": null, "xlog_location": null}),
    );
    check(
        |m| set(m, "/pg/pg-test/members/pg-test-3", &v),
        &[(
            "state_changed",
            Alarm,
            "pg-test: pg-test-3 running → stopped",
        )],
        &[(
            "state_changed",
            Info,
            "pg-test: pg-test-3 stopped → running",
        )],
    );
}

#[test]
fn unparseable_member_is_an_alarm_and_its_repair_is_noted() {
    let m = base();
    let broken = r#"{"conn_url": "postgres://127.0.0"#;
    let broken = changed(&m, |m| set(m, "/pg/pg-test/members/pg-test-3", broken));
    // Only the unreadable key: no state change to "unparseable".
    let ev = diff(&snap(&m), &snap(&broken), t0());
    let (kind, severity, msg) = one(&ev);
    let K::Unparseable { key, error } = kind else {
        panic!("{ev:#?}")
    };
    assert_eq!((key.as_str(), severity), ("members/pg-test-3", Alarm));
    assert!(!error.is_empty());
    assert_eq!(
        msg,
        format!("pg-test: DCS key members/pg-test-3 is unreadable: {error}")
    );
    let ev = diff(&snap(&broken), &snap(&m), t0());
    let msg = "pg-test: DCS key members/pg-test-3 readable again";
    assert_eq!(
        one(&ev),
        (
            K::Readable {
                key: s("members/pg-test-3")
            },
            Info,
            msg
        )
    );
}

#[test]
fn pending_restart_set_and_cleared() {
    // states/pending-restart after `edit-config shared_buffers`.
    let v = member(12, json!({"pending_restart": true}));
    check(
        |m| set(m, "/pg/pg-test/members/pg-test-2", &v),
        &[(
            "pending_restart",
            Warn,
            "pg-test: pg-test-2 pending restart: a changed setting needs a PostgreSQL restart",
        )],
        &[(
            "pending_restart",
            Info,
            "pg-test: pg-test-2 no longer pending restart",
        )],
    );
}

#[test]
fn scheduled_switchover_and_restart_set_then_cleared() {
    // states/scheduled-switchover-and-restart.
    let at = "2026-11-21T22:15:24+00:00";
    let restart = json!({"scheduled_restart": {"schedule": at,
        "postmaster_start_time": "2026-11-21 21:14:55.122693+00:00"}});
    check(
        |m| {
            let f = json!({"leader": "pg-test-1", "member": "pg-test-3", "scheduled_at": at});
            set(m, "/pg/pg-test/failover", &f.to_string());
            set(m, "/pg/pg-test/members/pg-test-3", &member(13, restart));
        },
        &[
            ("switchover_scheduled", Warn, "pg-test: switchover scheduled at 2026-11-21T22:15:24+00:00 from pg-test-1 to pg-test-3"),
            ("restart_scheduled", Warn, "pg-test: restart of pg-test-3 scheduled at 2026-11-21T22:15:24+00:00"),
        ],
        &[
            ("switchover_cleared", Info, "pg-test: scheduled switchover at 2026-11-21T22:15:24+00:00 cleared (done or cancelled)"),
            ("restart_scheduled", Info, "pg-test: scheduled restart of pg-test-3 cleared (done or cancelled)"),
        ],
    );
}

#[test]
fn sync_standby_role_change() {
    check(
        |m| {
            set(
                m,
                "/pg/pg-test/sync",
                r#"{"leader":"pg-test-1","sync_standby":"pg-test-2"}"#,
            )
        },
        &[(
            "role_changed",
            Info,
            "pg-test: pg-test-2 role replica → sync_standby",
        )],
        &[(
            "role_changed",
            Info,
            "pg-test: pg-test-2 role sync_standby → replica",
        )],
    );
}

#[test]
fn clusters_going_and_appearing() {
    check(
        |m| {
            for k in [
                "config",
                "history",
                "initialize",
                "leader",
                "members/pg-meta-1",
                "status",
            ] {
                put(m, &format!("/pg/pg-meta/{k}"), None);
            }
        },
        &[(
            "cluster_gone",
            Warn,
            "pg-meta: cluster gone: all its DCS keys were removed",
        )],
        &[(
            "cluster_appeared",
            Info,
            "pg-meta: cluster appeared: leader pg-meta-1, 1 members",
        )],
    );
}

#[test]
fn etcd_stale_then_recovered() {
    check(
        |m| {
            m.source_mut(SourceId::Etcd)
                .failed(t0(), "connection refused")
        },
        &[(
            "source_stale",
            Alarm,
            "etcd: stale since 21:16:58 UTC: connection refused; showing last known data",
        )],
        &[(
            "source_recovered",
            Info,
            "etcd: recovered after 0s (stale since 21:16:58 UTC)",
        )],
    );
    // Still down with another error: nothing new to say; then recovered.
    let down = changed(&base(), |m| {
        m.source_mut(SourceId::Etcd).failed(t0(), "refused")
    });
    let later = t0() + Duration::from_secs(42);
    let still = changed(&down, |m| {
        m.source_mut(SourceId::Etcd).failed(later, "timeout")
    });
    assert_eq!(diff(&snap(&down), &snap(&still), later), vec![]);
    let up = changed(&still, |m| m.source_mut(SourceId::Etcd).ok(later));
    let ev = diff(&snap(&still), &snap(&up), later);
    let kind = K::SourceRecovered {
        source: SourceId::Etcd,
        stale_since: t0(),
    };
    let msg = "etcd: recovered after 42s (stale since 21:16:58 UTC)";
    assert_eq!(
        (one(&ev), ev[0].cluster.as_deref()),
        ((kind, Info, msg), None)
    );
    // A REST outage is a warning: the DCS picture is still live.
    check(
        |m| m.source_mut(SourceId::Rest).failed(t0(), "refused"),
        &[(
            "source_stale",
            Warn,
            "patroni-rest: stale since 21:16:58 UTC: refused; showing last known data",
        )],
        &[(
            "source_recovered",
            Info,
            "patroni-rest: recovered after 0s (stale since 21:16:58 UTC)",
        )],
    );
}

#[test]
fn first_snapshot_is_one_watching_line() {
    let m = base();
    let e = initial(&snap(&m), t0());
    assert_eq!(
        (e.severity, e.message.as_str()),
        (Info, "watching 2 clusters: pg-meta, pg-test")
    );
    let down = changed(&m, |m| m.source_mut(SourceId::Etcd).failed(t0(), "refused"));
    let msg = "watching 2 clusters: pg-meta, pg-test; etcd stale since 21:16:58 UTC";
    assert_eq!(initial(&snap(&down), t0()).message, msg);
    let only = Snapshot::of(&down, |c| c == "pg-test");
    let msg = "watching 1 cluster: pg-test; etcd stale since 21:16:58 UTC";
    assert_eq!(initial(&only, t0()).message, msg);
}

#[test]
fn the_ring_keeps_the_newest() {
    let event = |i: u64| Event::new(t0(), None, K::TimelineBumped { from: i, to: i + 1 });
    let mut log = EventLog::with_capacity(3);
    log.extend((0..5).map(event));
    assert_eq!((log.len(), log.total()), (3, 5));
    let msgs: Vec<&str> = log.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(msgs, ["timeline 2 → 3", "timeline 3 → 4", "timeline 4 → 5"]);
    let mut log = Model::default().events;
    assert!(log.is_empty());
    log.extend((0..1005).map(event));
    assert_eq!((log.len(), log.total()), (EventLog::DEFAULT_CAP, 1005));
    assert_eq!(log.iter().next().unwrap().message, "timeline 5 → 6");
}

/// The task on a live handle: baseline, one change, a no-op update, and no
/// feeding on its own updates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_logs_changes_and_settles() {
    let model = ModelHandle::new(changed(&base(), |m| m.source_mut(SourceId::Etcd).ok(t0())));
    let task = tokio::spawn(run(Scope::all(), model.clone()));
    let wait_total = |n: u64| {
        let model = model.clone();
        async move {
            for _ in 0..300 {
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
    model.update(|m| m.source_mut(SourceId::Etcd).ok(SystemTime::now()));
    wait_total(2).await;
    let generation = *model.subscribe().borrow();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = *model.subscribe().borrow();
    assert_eq!(again, generation, "the task updated the model again");
    let msgs: Vec<String> = model.read(|m| m.events.iter().map(|e| e.message.clone()).collect());
    let left =
        "pg-test: member pg-test-3 left: its DCS key expired or was removed (was replica, running)";
    assert_eq!(msgs, ["watching 2 clusters: pg-meta, pg-test", left]);
    task.abort();
}

/// The console's task advances one snapshot and visits only the clusters
/// whose version moved; it must say exactly what a full diff says, through
/// a run of changes: a member key, the config, a new cluster, a cluster
/// whose keys all went (dropped from the model without a write).
#[test]
fn advancing_a_snapshot_says_what_a_full_diff_says() {
    let mut m = base();
    let mut live = snap(&m);
    type Step = Box<dyn Fn(&mut Model)>;
    let steps: Vec<Step> = vec![
        Box::new(|m| {
            set(
                m,
                "/pg/pg-test/members/pg-test-3",
                &member(13, json!({"state": "stopped"})),
            )
        }),
        Box::new(|m| {
            edit_parameters(m, |p| {
                p.insert(s("work_mem"), json!("64MB"));
            })
        }),
        Box::new(|m| set(m, "/pg/pg-new/leader", "pg-new-1")),
        Box::new(|m| {
            m.clusters.remove("pg-meta");
        }),
        Box::new(|m| set(m, "/pg/pg-test/leader", "pg-test-2")),
    ];
    for (i, step) in steps.iter().enumerate() {
        let before = snap(&m);
        step(&mut m);
        let mut want = tagged(&diff(&before, &snap(&m), t0()));
        let mut got = tagged(&live.advance(&m, |_| true, t0()));
        want.sort();
        got.sort();
        assert!(!want.is_empty(), "step {i} changes something");
        assert_eq!(got, want, "step {i}");
    }
}

/// A console opened on one cluster reads the namespace later (when the
/// fleet is wanted): the clusters that read brings were there all along,
/// so they are not "appeared" events; a cluster created after it is. And
/// the focused cluster, read again with the namespace, changed nothing.
#[test]
fn the_namespace_read_after_one_cluster_is_not_news() {
    let full = base();
    let mut m = Model::new("/pg/");
    m.clusters
        .insert(s("pg-test"), full.clusters["pg-test"].clone());
    m.versions = full.versions;
    m.fleet_pending = true;
    let mut live = snap(&m);
    assert!(live.pending);

    let mut m = full.clone();
    m.fleet_pending = false;
    for c in m.clusters_mut(|_| true) {
        c.dcs.former_leaders.clear();
    }
    assert!(m.clusters.len() > 1, "the sample holds more than pg-test");
    let got = live.advance(&m, |_| true, t0());
    let n = m.clusters.len();
    let (kind, severity, msg) = one(&got);
    assert_eq!(kind, K::NamespaceRead { clusters: n });
    assert_eq!(severity, Info);
    assert_eq!(
        msg,
        format!("watching the whole namespace now: {n} clusters")
    );
    assert!(!live.pending);

    set(&mut m, "/pg/pg-new/leader", "pg-new-1");
    let got = live.advance(&m, |_| true, t0());
    let (kind, _, _) = one(&got);
    assert!(matches!(kind, K::ClusterAppeared { .. }), "{kind:?}");
    assert_eq!(got[0].cluster.as_deref(), Some("pg-new"));

    // Without the pending flag the same arrival is news, as it must be.
    let mut m2 = Model::new("/pg/");
    m2.clusters
        .insert(s("pg-test"), full.clusters["pg-test"].clone());
    m2.versions = full.versions;
    let mut live = snap(&m2);
    let mut all = full.clone();
    for c in all.clusters_mut(|_| true) {
        c.dcs.former_leaders.clear();
    }
    let got = live.advance(&all, |_| true, t0());
    assert!(
        got.iter()
            .any(|e| matches!(e.kind, K::ClusterAppeared { .. })),
        "{got:?}"
    );
}
