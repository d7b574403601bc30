//! demote-cluster and promote-cluster preflight: Patroni 4.1 on every
//! member, a leader in the right role, and a WAL source for a standby.

#[path = "support/sample_cluster.rs"]
mod sample_cluster;

use pgtui::ops::preflight::preflight;
use pgtui::ops::Operation;
use sample_cluster::{cluster, member, now, set};

fn demote(host: Option<&str>, restore: Option<&str>) -> Operation {
    Operation::DemoteCluster {
        cluster: "pg-test".into(),
        host: host.map(str::to_string),
        port: Some(5432),
        restore_command: restore.map(str::to_string),
        primary_slot_name: None,
    }
}

fn promote() -> Operation {
    Operation::PromoteCluster {
        cluster: "pg-test".into(),
    }
}

/// The samples run Patroni 3.0.2; this makes every member say 4.1.5.
fn on_41(standby: bool) -> pgtui::model::ClusterState {
    let mut c = cluster(|k| {
        if standby {
            set(
                k,
                "/pg/pg-test/members/pg-test-1",
                &member("standby_leader", 13, "").replace("3.0.2", "4.1.5"),
            );
        }
    });
    for r in c.rest.values_mut() {
        let p = r
            .value
            .patroni
            .as_mut()
            .expect("the samples name their Patroni");
        p.version = Some("4.1.5".into());
    }
    c
}

#[test]
fn each_rule_refuses_with_its_reason() {
    let rows = vec![
        (
            "3.0.2 members",
            cluster(|_| {}),
            demote(Some("10.0.0.5"), None),
            "needs Patroni 4.1 or later on every member; pg-test-1 runs 3.0.2",
        ),
        (
            "a healthy 4.1 demotion passes",
            on_41(false),
            demote(Some("10.0.0.5"), None),
            "",
        ),
        (
            "no WAL source",
            on_41(false),
            Operation::DemoteCluster {
                cluster: "pg-test".into(),
                host: None,
                port: None,
                restore_command: None,
                primary_slot_name: None,
            },
            "--host, --port or --restore-command",
        ),
        (
            "already a standby cluster",
            on_41(true),
            demote(None, Some("cp /a/%f %p")),
            "already a standby cluster",
        ),
        (
            "promote a primary cluster",
            on_41(false),
            promote(),
            "already a primary cluster",
        ),
        (
            "promote a standby cluster passes",
            on_41(true),
            promote(),
            "",
        ),
        (
            "no leader",
            {
                let mut c = on_41(true);
                c.dcs.leader = None;
                c
            },
            promote(),
            "has no leader",
        ),
    ];
    for (what, c, op, want) in rows {
        let pf = preflight(&op, &c, now());
        if want.is_empty() {
            assert!(!pf.refused(), "{what}: {:?}", pf.refusals);
            assert!(!pf.warnings.is_empty(), "{what}: the risk is spelled out");
        } else {
            assert!(
                pf.refusals.iter().any(|r| r.contains(want)),
                "{what}: want {want:?}, got {:?}",
                pf.refusals
            );
        }
    }
}
