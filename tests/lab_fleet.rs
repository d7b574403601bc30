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
