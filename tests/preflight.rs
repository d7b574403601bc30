//! Preflight rules, one row each: the model (from the recorded samples, with
//! one thing changed) and the operation go in; the refusal (or warning) and
//! its message come out. Nothing is sent anywhere.

use pgtui::model::ClusterState;
use pgtui::ops::preflight::{preflight, scorecards};
use pgtui::ops::Operation;

#[path = "support/sample_cluster.rs"]
mod sample_cluster;
use sample_cluster::{cluster, member, now, set};

fn sw(candidate: &str) -> Operation {
    Operation::Switchover {
        cluster: "pg-test".into(),
        leader: None,
        candidate: Some(candidate.into()),
        scheduled_at: None,
    }
}

fn fo(candidate: &str, allow_async: bool) -> Operation {
    Operation::Failover {
        cluster: "pg-test".into(),
        candidate: candidate.into(),
        allow_async,
    }
}

#[test]
fn each_rule_refuses_with_its_reason() {
    let sync_cfg = |kvs: &mut Vec<(String, String)>| {
        set(
            kvs,
            "/pg/pg-test/config",
            r#"{"ttl":20,"synchronous_mode":true}"#,
        )
    };
    let rows: Vec<(&str, ClusterState, Operation, &str)> = vec![
        (
            "healthy switchover passes",
            cluster(|_| {}),
            sw("pg-test-2"),
            "",
        ),
        (
            "leader name must match",
            cluster(|_| {}),
            Operation::Switchover {
                cluster: "pg-test".into(),
                leader: Some("pg-test-2".into()),
                candidate: None,
                scheduled_at: None,
            },
            "leader name does not match",
        ),
        (
            "a leader must be present",
            cluster(|k| k.retain(|(k, _)| k != "/pg/pg-test/leader")),
            sw("pg-test-2"),
            "has no leader",
        ),
        (
            "candidate must exist",
            cluster(|_| {}),
            sw("pg-test-9"),
            "is not a member",
        ),
        (
            "candidate is not the leader",
            cluster(|_| {}),
            sw("pg-test-1"),
            "is the leader",
        ),
        (
            "nofailover tag",
            cluster(|k| {
                set(
                    k,
                    "/pg/pg-test/members/pg-test-3",
                    &member("replica", 13, r#","tags":{"nofailover":true}"#),
                )
            }),
            sw("pg-test-3"),
            "tagged nofailover",
        ),
        (
            "failover_priority 0",
            cluster(|k| {
                set(
                    k,
                    "/pg/pg-test/members/pg-test-3",
                    &member("replica", 13, r#","tags":{"failover_priority":0}"#),
                )
            }),
            fo("pg-test-3", false),
            "failover_priority: 0",
        ),
        (
            "sync mode: switchover to an async replica",
            cluster(sync_cfg),
            sw("pg-test-3"),
            "not a synchronous standby",
        ),
        (
            "sync mode: failover to async needs acknowledgement",
            cluster(sync_cfg),
            fo("pg-test-3", false),
            "--allow-async",
        ),
        (
            "candidate REST reachable",
            {
                let mut c = cluster(|_| {});
                c.rest.remove("pg-test-2");
                c.rest_errors.insert(
                    "pg-test-2".into(),
                    (
                        now(),
                        "Patroni REST http://127.0.0.12:8008/patroni: cannot connect".into(),
                    ),
                );
                c
            },
            sw("pg-test-2"),
            "cannot connect",
        ),
        (
            "lag within maximum_lag_on_failover",
            {
                let mut c = cluster(|_| {});
                c.rest
                    .get_mut("pg-test-2")
                    .unwrap()
                    .value
                    .xlog
                    .received_location = Some(700_000_000);
                c.rest
                    .get_mut("pg-test-2")
                    .unwrap()
                    .value
                    .xlog
                    .replayed_location = Some(700_000_000);
                c
            },
            sw("pg-test-2"),
            "bytes behind",
        ),
        (
            "timeline is current",
            cluster(|k| {
                set(
                    k,
                    "/pg/pg-test/members/pg-test-3",
                    &member("replica", 12, ""),
                )
            }),
            sw("pg-test-3"),
            "is on timeline 12",
        ),
        (
            "no scheduled switchover while paused",
            cluster(|k| set(k, "/pg/pg-test/config", r#"{"ttl":20,"pause":true}"#)),
            Operation::Switchover {
                cluster: "pg-test".into(),
                leader: None,
                candidate: Some("pg-test-2".into()),
                scheduled_at: Some("2099-01-01T00:00:00+00:00".into()),
            },
            "while the cluster is paused",
        ),
        (
            "a time needs a timezone",
            cluster(|_| {}),
            Operation::Switchover {
                cluster: "pg-test".into(),
                leader: None,
                candidate: None,
                scheduled_at: Some("2099-01-01 03:00".into()),
            },
            "not a time with a timezone",
        ),
        (
            "a time in the past",
            cluster(|_| {}),
            Operation::Switchover {
                cluster: "pg-test".into(),
                leader: None,
                candidate: None,
                scheduled_at: Some("2020-01-01T00:00:00Z".into()),
            },
            "in the past",
        ),
        (
            "only one scheduled switchover",
            cluster(|k| {
                set(
                    k,
                    "/pg/pg-test/failover",
                    r#"{"leader":"pg-test-1","scheduled_at":"2099-01-01T00:00:00+00:00"}"#,
                )
            }),
            sw("pg-test-2"),
            "already scheduled",
        ),
        (
            "reinit refuses the leader",
            cluster(|_| {}),
            Operation::Reinit {
                cluster: "pg-test".into(),
                member: "pg-test-1".into(),
                from_leader: false,
            },
            "is the leader",
        ),
        (
            "no second reinit",
            cluster(|k| {
                set(
                    k,
                    "/pg/pg-test/members/pg-test-3",
                    &member("replica", 13, "").replace("\"running\"", "\"creating replica\""),
                )
            }),
            Operation::Reinit {
                cluster: "pg-test".into(),
                member: "pg-test-3".into(),
                from_leader: false,
            },
            "already running",
        ),
        (
            "cancel needs a scheduled switchover",
            cluster(|_| {}),
            Operation::CancelSwitchover {
                cluster: "pg-test".into(),
            },
            "no switchover is scheduled",
        ),
    ];
    for (what, c, op, needle) in rows {
        let pf = preflight(&op, &c, now());
        if needle.is_empty() {
            assert!(
                !pf.refused(),
                "{what}: unexpected refusal {:?}",
                pf.refusals
            );
        } else {
            assert!(
                pf.refusals.iter().any(|r| r.contains(needle)),
                "{what}: expected a refusal containing {needle:?}, got {:?}",
                pf.refusals
            );
        }
    }
}

#[test]
fn acknowledged_async_failover_is_a_warning_not_a_refusal() {
    let c = cluster(|k| {
        set(
            k,
            "/pg/pg-test/config",
            r#"{"ttl":20,"synchronous_mode":true}"#,
        )
    });
    let pf = preflight(&fo("pg-test-3", true), &c, now());
    assert!(!pf.refused(), "{:?}", pf.refusals);
    assert!(
        pf.warnings.iter().any(|w| w.contains("acknowledged")),
        "{:?}",
        pf.warnings
    );
    // The leader is healthy: failover is allowed but a switchover is advised.
    assert!(
        pf.warnings
            .iter()
            .any(|w| w.contains("switchover is the safer choice")),
        "{:?}",
        pf.warnings
    );
}

#[test]
fn the_scorecard_shows_every_rule_for_every_candidate() {
    let c = cluster(|k| {
        set(
            k,
            "/pg/pg-test/members/pg-test-3",
            &member("replica", 13, r#","tags":{"nofailover":true}"#),
        )
    });
    let cards = scorecards(&c);
    assert_eq!(
        cards.iter().map(|s| s.member.as_str()).collect::<Vec<_>>(),
        ["pg-test-2", "pg-test-3"]
    );
    assert!(cards[0].eligible(), "{:?}", cards[0]);
    assert!(!cards[1].eligible());
    assert!(cards[1]
        .checks
        .iter()
        .any(|c| c.rule == "failover allowed by tags" && !c.ok));
    assert!(cards[0].checks.len() >= 6);
}
