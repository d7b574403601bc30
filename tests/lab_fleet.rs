//! Fleet scale on a real lab (issue 12): the hardened lab's etcd (TLS, a
//! role confined to `/service/`) gains 3,000 synthetic clusters made from
//! the lab's own keys (`pgtui lab fleet`), whose members refuse every
//! connection. `list` reads the whole namespace (far past gRPC's 4 MiB
//! message), DCS only unless `--rest`; the console focused on pg-test
//! shows it live; the fleet screen says the REST-dead clusters are
//! unconfirmed, never healthy; and a leader key deleted in etcd brings its
//! cluster to the top of the fleet through the watch.
//!
//! Its own lab (index 7, `PGTUI_TEST_LAB_INDEX` overrides): the fleet would
//! change what the other suites' fleet checks see.

mod common;
#[allow(dead_code)]
#[path = "lab_suite/tmux.rs"]
mod tmux;

use common::{bin, output_text, SharedLab};
use pgtui::config::{resolve, Inputs};
use pgtui::model::events::EventKind;
use pgtui::model::Model;
use pgtui::session::Session;
use serde_json::Value;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;
use tmux::Tmux;

static LAB: OnceLock<SharedLab> = OnceLock::new();

const FLEET: usize = 3000;

fn lab() -> &'static SharedLab {
    let index = std::env::var("PGTUI_TEST_LAB_INDEX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    common::lab_styled(&LAB, index, "debian", "autobase")
}

/// `pgtui list` over the whole namespace.
fn list(lab: &SharedLab, extra: &[&str]) -> (Value, std::process::Output) {
    let out = Command::new(bin())
        .arg("-c")
        .arg(lab.fleet_config())
        .args(["list", "-f", "json"])
        .args(extra)
        .env("PGTUI_SETTINGS", "/dev/null")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("list {extra:?}: {e}\n{}", output_text(&out)));
    (v, out)
}

fn by_name<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("{name} not listed"))
}

#[test]
fn a_namespace_of_thousands_of_clusters() {
    let lab = lab();
    let _g = lab.lock();
    let out = Command::new(bin())
        .args(["lab", "fleet", "--dir"])
        .arg(&lab.info.dir)
        .args(["--clusters", &FLEET.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let real = lab.info.clusters.len();

    // The whole namespace, from etcd alone: every cluster, none "healthy"
    // (nothing was asked over REST), the lab's own as well.
    let (v, out) = list(lab, &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    let all = v["clusters"].as_array().unwrap();
    assert_eq!(all.len(), FLEET + real, "every cluster listed");
    for c in all {
        assert_eq!(c["health"], "unconfirmed", "{}", c["name"]);
        assert!(
            c["health_detail"].as_str().unwrap().contains("DCS only"),
            "{c}"
        );
    }
    let copy = by_name(&v, "fleet-01234");
    assert_eq!(copy["leader"], by_name(&v, "pg-test")["leader"]);

    // With --rest every member is asked: the copies' APIs refuse, the lab's
    // answer.
    let (v, _) = list(lab, &["--rest"]);
    assert_eq!(by_name(&v, "pg-test")["health"], "healthy");
    let copy = by_name(&v, "fleet-02999");
    assert_eq!(
        copy["health_detail"], "unconfirmed (REST unreachable 3/3)",
        "{copy}"
    );

    // A console session on pg-test reads and watches pg-test alone until
    // the fleet is wanted; then the whole namespace, and the clusters it
    // brings are not logged as appearing.
    one_cluster_then_the_fleet(lab, FLEET + real);

    // The console on pg-test: live, in a namespace of thousands.
    let t = Tmux::start(lab, 160, 48);
    let leader = lab.leader_key();
    t.wait_screen(Duration::from_secs(30), |s| {
        s.contains(&format!("leader {leader}")) && s.contains("live") && !s.contains("unconfirmed")
    })
    .unwrap_or_else(|| panic!("pg-test not shown live:\n{}", t.screen()));

    // The fleet: every cluster counted, the copies on screen asked and
    // shown unconfirmed (REST ✗), never healthy.
    t.keys("0");
    let total = format!("{} clusters", FLEET + real);
    let s = t
        .wait_screen(Duration::from_secs(20), |s| {
            s.contains(&total) && s.contains("? REST ✗ 3/3")
        })
        .unwrap_or_else(|| panic!("fleet rows not asked:\n{}", t.screen()));
    for line in s.lines().filter(|l| l.contains(" fleet-")) {
        assert!(!line.contains("healthy"), "{line}\n{s}");
    }

    // A leader key deleted in etcd: through the watch, that cluster is the
    // fleet's worst and comes first; `u` and Enter open it.
    let del = lab.etcdctl(&["del", &format!("{}fleet-01234/leader", lab.info.namespace)]);
    assert!(del.status.success(), "{}", output_text(&del));
    t.keys("g");
    let s = t
        .wait_screen(Duration::from_secs(10), |s| {
            s.lines()
                .find(|l| l.contains(" fleet-"))
                .is_some_and(|l| l.contains("fleet-01234") && l.contains("! NO LEADER"))
        })
        .unwrap_or_else(|| panic!("the leaderless cluster is not first:\n{}", t.screen()));
    assert!(s.contains("1 no-leader"), "{s}");
    t.keys("G");
    t.keys("u");
    t.keys("Enter");
    t.wait_screen(Duration::from_secs(10), |s| {
        s.contains(" fleet-01234 ") && s.contains("! NO LEADER")
    })
    .unwrap_or_else(|| panic!("u did not open the leaderless cluster:\n{}", t.screen()));
}

/// The in-process console session (sources and model, no terminal) on
/// pg-test in the fleet's namespace, with `env` for the environment, once
/// it has its first data.
async fn console_on_pg_test(lab: &SharedLab, env: &dyn Fn(&str) -> Option<String>) -> Session {
    let inputs = Inputs {
        config_file: Some(lab.fleet_config()),
        settings_file: Some("/dev/null".into()),
        ..Default::default()
    };
    let cfg = resolve(&inputs, env).unwrap();
    let scope = pgtui::sources::Scope::all();
    let s = Session::start_console(cfg, scope, Some("pg-test".into()));
    s.wait_first_data().await.unwrap();
    s
}

/// The console on pg-test holds pg-test alone, then the fleet once wanted.
fn one_cluster_then_the_fleet(lab: &SharedLab, total: usize) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = console_on_pg_test(lab, &|_| None).await;
        let known = |m: &Model| m.clusters.values().filter(|c| !c.dcs.is_empty()).count();
        // Long enough for a namespace read, were one under way.
        tokio::time::sleep(Duration::from_secs(2)).await;
        s.model.read(|m| {
            assert!(m.fleet_pending, "the fleet reads as unread");
            assert_eq!(known(m), 1, "pg-test alone is read");
            assert!(m.clusters["pg-test"].dcs.leader_name().is_some());
        });

        s.want_fleet(true);
        let t0 = std::time::Instant::now();
        while s.model.read(|m| m.fleet_pending || known(m) < total) {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "the fleet never came"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(s.model.read(known), total);

        // The namespace is watched now: a key written outside pg-test
        // arrives through the watch, and is logged.
        let key = format!("{}fleet-00007/leader", lab.info.namespace);
        let was = s.model.read(|m| {
            m.clusters["fleet-00007"]
                .dcs
                .leader_name()
                .map(str::to_string)
        });
        let _restore = Restore {
            lab,
            key: key.clone(),
            value: was.expect("the copy has a leader"),
        };
        let put = lab.etcdctl(&["put", &key, "pg-test-2"]);
        assert!(put.status.success(), "{}", output_text(&put));
        let logged = |m: &Model| {
            m.events.iter().any(|e| {
                e.cluster.as_deref() == Some("fleet-00007")
                    && matches!(e.kind, EventKind::LeaderChanged { .. })
            })
        };
        let t0 = std::time::Instant::now();
        while !s.model.read(logged) {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "the watch missed {key}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Events are logged in order, so by now the namespace's read has
        // been: said once, and no cluster of it "appeared".
        s.model.read(|m| {
            let appeared = m
                .events
                .iter()
                .filter(|e| matches!(e.kind, EventKind::ClusterAppeared { .. }))
                .count();
            assert_eq!(appeared, 0, "clusters logged as appearing");
            let read: Vec<_> = m
                .events
                .iter()
                .filter(|e| matches!(e.kind, EventKind::NamespaceRead { .. }))
                .map(|e| e.kind.clone())
                .collect();
            assert_eq!(read, [EventKind::NamespaceRead { clusters: total }]);
        });
    });
}

/// Puts a key back as it was, whatever happened to the test.
struct Restore<'a> {
    lab: &'a SharedLab,
    key: String,
    value: String,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        let _ = self.lab.etcdctl(&["put", &self.key, &self.value]);
    }
}

fn etcdctl_ok(lab: &SharedLab, args: &[&str]) {
    let out = lab.etcdctl(args);
    assert!(
        out.status.success(),
        "etcdctl {args:?}: {}",
        output_text(&out)
    );
}

/// A role confined to one cluster's keys: the console on that cluster
/// stays live when the fleet is wanted, and says the namespace was
/// refused, instead of losing its cluster to a failing namespace read.
#[test]
fn a_role_confined_to_one_cluster_keeps_its_console() {
    let lab = lab();
    let _g = lab.lock();
    let ns = &lab.info.namespace;
    let _ = lab.etcdctl(&["user", "delete", "pgtui-one"]);
    let _ = lab.etcdctl(&["role", "delete", "pgtui-one"]);
    etcdctl_ok(lab, &["role", "add", "pgtui-one"]);
    let prefix = format!("{ns}pg-test/");
    let grant = [
        "role",
        "grant-permission",
        "pgtui-one",
        "--prefix=true",
        "read",
    ];
    etcdctl_ok(lab, &[&grant[..], &[prefix.as_str()]].concat());
    let ours = format!("{ns}.pgtui/");
    etcdctl_ok(lab, &[&grant[..], &[ours.as_str()]].concat());
    etcdctl_ok(
        lab,
        &["user", "add", "pgtui-one:one-pw", "--interactive=false"],
    );
    etcdctl_ok(lab, &["user", "grant-role", "pgtui-one", "pgtui-one"]);
    let _cleanup = DropUser(lab);

    let env = |k: &str| match k {
        "PATRONI_ETCD3_USERNAME" => Some("pgtui-one".to_string()),
        "PATRONI_ETCD3_PASSWORD" => Some("one-pw".to_string()),
        _ => None,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = console_on_pg_test(lab, &env).await;
        s.want_fleet(true);
        let t0 = std::time::Instant::now();
        while s.model.read(|m| m.fleet_refused.is_none()) {
            assert!(t0.elapsed() < Duration::from_secs(15), "no refusal said");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Past the refusal: the narrow watch is back, etcd live, pg-test held.
        tokio::time::sleep(Duration::from_secs(3)).await;
        s.model.read(|m| {
            let why = m.fleet_refused.clone().unwrap();
            assert!(why.contains("may not read"), "{why}");
            assert!(m.fleet_pending, "the fleet is not read");
            let etcd = m.source(pgtui::model::SourceId::Etcd);
            assert!(etcd.down_since.is_none(), "etcd is live: {etcd:?}");
            assert!(m.clusters["pg-test"].dcs.leader_name().is_some());
            assert_eq!(m.clusters.len(), 1);
        });

        // The role is granted the namespace: asked again, the fleet comes
        // without a restart.
        let ns = lab.info.namespace.as_str();
        etcdctl_ok(lab, &[&grant[..], &[ns]].concat());
        let t0 = std::time::Instant::now();
        while s
            .model
            .read(|m| m.fleet_pending || m.fleet_refused.is_some())
        {
            assert!(t0.elapsed() < Duration::from_secs(30), "never asked again");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(s.model.read(|m| m.clusters.len()) > 1);
    });
}

/// Removes the confined user and role, whatever happened to the test.
struct DropUser<'a>(&'a SharedLab);

impl Drop for DropUser<'_> {
    fn drop(&mut self) {
        let _ = self.0.etcdctl(&["user", "delete", "pgtui-one"]);
        let _ = self.0.etcdctl(&["role", "delete", "pgtui-one"]);
    }
}
