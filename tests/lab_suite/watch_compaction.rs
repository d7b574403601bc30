//! The etcd source survives compaction past its revision while it watches.
//!
//! The source is given one etcd member (A) only. A is frozen (SIGSTOP), so
//! the source loses its watch and marks itself stale; meanwhile, through the
//! other members, keys are written and deleted and the history is compacted
//! past the source's revision. When A is thawed, the source tries to resume
//! its watch, etcd answers "compacted", and the source must re-list. Its model
//! must then equal a fresh `etcdctl get --prefix`.

use crate::common::{wait_for, SharedLab};
use pgtui::model::{Model, ModelHandle, SourceId};
use pgtui::sources::{etcd, Scope};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

const TEST_CLUSTER: &str = "pg-compaction-probe";

fn signal(pid: i32, sig: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig).unwrap();
}

/// (key, mod_revision) of every key under the prefix, from etcdctl.
fn etcd_truth(lab: &SharedLab, prefix: &str) -> BTreeMap<String, i64> {
    use base64::Engine;
    let out = lab.etcdctl(&["get", "--prefix", prefix, "-w", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    v["kvs"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|kv| {
                    (
                        String::from_utf8(b64.decode(kv["key"].as_str().unwrap()).unwrap())
                            .unwrap(),
                        kv["mod_revision"].as_i64().unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The same, from the model: only the test cluster, whose keys Patroni never
/// touches, so the two can be compared exactly.
fn model_keys(model: &ModelHandle, ns: &str) -> BTreeMap<String, i64> {
    model.read(|m: &Model| {
        let Some(c) = m.clusters.get(TEST_CLUSTER) else {
            return BTreeMap::new();
        };
        let mut out = BTreeMap::new();
        for (name, e) in &c.dcs.members {
            out.insert(format!("{ns}{TEST_CLUSTER}/members/{name}"), e.mod_revision);
        }
        if let Some(e) = &c.dcs.leader {
            out.insert(format!("{ns}{TEST_CLUSTER}/leader"), e.mod_revision);
        }
        if let Some(e) = &c.dcs.config {
            out.insert(format!("{ns}{TEST_CLUSTER}/config"), e.mod_revision);
        }
        out
    })
}

pub fn watch_relists_after_compaction(lab: &SharedLab) {
    let _x = lab.lock();
    let ns = lab.info.namespace.clone();
    let prefix = format!("{ns}{TEST_CLUSTER}/");
    let put = |k: &str, v: &str| {
        assert!(lab
            .etcdctl(&["put", &format!("{prefix}{k}"), v])
            .status
            .success())
    };
    let del = |k: &str| {
        assert!(lab
            .etcdctl(&["del", &format!("{prefix}{k}")])
            .status
            .success())
    };
    put("leader", "m1");
    put("config", r#"{"ttl":20}"#);
    put(
        "members/m1",
        r#"{"state":"running","role":"primary","timeline":1}"#,
    );
    put(
        "members/m2",
        r#"{"state":"running","role":"replica","timeline":1}"#,
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let a = lab.info.etcd_endpoints[0].clone();
    let cfg = lab.etcd_config(std::slice::from_ref(&a));
    let model = ModelHandle::new(Model::new(&ns));
    let keys = etcd::Keys {
        namespace: ns.clone(),
        pgtui_prefix: format!("{ns}.pgtui/"),
        scope: Scope::all(),
    };
    let task = rt.spawn(etcd::run(pgtui::dcs::Etcd::new(&cfg), keys, model.clone()));

    let synced = wait_for(Duration::from_secs(20), || {
        (model_keys(&model, &ns) == etcd_truth(lab, &prefix)).then_some(())
    });
    assert!(synced.is_some(), "the source never listed the test keys");
    let resyncs_before = model.read(|m| m.source(SourceId::Etcd).resyncs);

    let pid_a = lab.etcd_pid(&a);
    signal(pid_a, nix::sys::signal::Signal::SIGSTOP);
    let stale = wait_for(Duration::from_secs(10), || {
        model
            .read(|m| m.source(SourceId::Etcd).down_since)
            .map(|_| ())
    });
    if stale.is_none() {
        signal(pid_a, nix::sys::signal::Signal::SIGCONT);
        panic!("the source did not notice its etcd member froze");
    }

    // Through the other members: change, delete, add, then compact.
    let others: Vec<String> = lab.info.etcd_endpoints[1..].to_vec();
    let via_others = |args: &[&str]| {
        let out = lab.etcdctl_at(&others, args);
        assert!(
            out.status.success(),
            "etcdctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    via_others(&["put", &format!("{prefix}leader"), "m2"]);
    via_others(&["del", &format!("{prefix}members/m1")]);
    via_others(&[
        "put",
        &format!("{prefix}members/m3"),
        r#"{"state":"running","role":"replica","timeline":2}"#,
    ]);
    let status: Value =
        serde_json::from_slice(&via_others(&["endpoint", "status", "-w", "json"]).stdout).unwrap();
    let rev = status[0]["Status"]["header"]["revision"].as_i64().unwrap();
    via_others(&["compact", &rev.to_string(), "--physical"]);

    signal(pid_a, nix::sys::signal::Signal::SIGCONT);

    let truth = etcd_truth(lab, &prefix);
    assert!(
        truth.contains_key(&format!("{prefix}members/m3"))
            && !truth.contains_key(&format!("{prefix}members/m1"))
    );
    let converged = wait_for(Duration::from_secs(30), || {
        (model_keys(&model, &ns) == etcd_truth(lab, &prefix)).then_some(())
    });
    let (resyncs, health) =
        model.read(|m| (m.source(SourceId::Etcd).resyncs, m.source(SourceId::Etcd)));
    let leader = model.read(|m| {
        m.clusters[TEST_CLUSTER]
            .dcs
            .leader_name()
            .map(str::to_string)
    });
    task.abort();
    del("");
    for k in ["leader", "config", "members/m2", "members/m3"] {
        del(k);
    }
    assert!(
        converged.is_some(),
        "model {:?} never matched etcd {:?}",
        model_keys(&model, &ns),
        etcd_truth(lab, &prefix)
    );
    assert!(
        resyncs > resyncs_before,
        "the source resumed without re-listing; compaction was not exercised ({health:?})"
    );
    assert_eq!(leader.as_deref(), Some("m2"));
    assert!(
        health.down_since.is_none(),
        "source still marked down: {health:?}"
    );
    // Patroni's own clusters are still there after the re-list.
    assert!(model
        .read(|m| m
            .clusters
            .get("pg-test")
            .and_then(|c| c.dcs.leader_name().map(str::to_string)))
        .is_some());
}
