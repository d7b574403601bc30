//! Judging an operation whose pgtui died mid-way, from the cluster as it is
//! now (the recorded samples): one row per kind of verdict. And which
//! audit records count as unfinished.

#[path = "support/sample_cluster.rs"]
mod sample_cluster;

use pgtui::ops::audit::OwnedRecord;
use pgtui::ops::reconcile::{judge, orphans, Orphan};
use pgtui::ops::Outcome;
use sample_cluster::{cluster, set};
use serde_json::json;

fn rec(
    id: &str,
    phase: &str,
    host: &str,
    at: &str,
    op: serde_json::Value,
    leader: &str,
    tl: u64,
) -> OwnedRecord {
    serde_json::from_value(json!({
        "id": id, "phase": phase, "at": at, "user": "dba", "host": host,
        "cluster": "pg-test", "operation": op,
        "basis": { "revision": 7, "leader": leader, "timeline": tl, "paused": false },
    }))
    .unwrap()
}

fn orphan(op: serde_json::Value, leader: &str, tl: u64, at: &str) -> Orphan {
    Orphan {
        record: rec("20261121T210000.000Z-1", "started", "h", at, op, leader, tl),
    }
}

#[test]
fn each_verdict_from_the_cluster_now() {
    // The samples: pg-test-1 leads on TL 13, not paused; pg-test-1's
    // postmaster started 2026-11-21 21:13:50.
    let c = cluster(|_| {});
    let early = "2026-11-21T21:00:00.000Z";
    let late = "2026-11-21T21:20:00.000Z";
    let fo = |cand: &str| json!({"op": "failover", "cluster": "pg-test", "candidate": cand, "allow_async": false});
    let rows = vec![
        (
            "failover that happened",
            orphan(fo("pg-test-1"), "pg-test-2", 12, early),
            Outcome::Verified,
            "it happened: leader pg-test-1 on TL 13 (was pg-test-2 on TL 12)",
        ),
        (
            "failover that never happened",
            orphan(fo("pg-test-2"), "pg-test-1", 13, early),
            Outcome::Failed,
            "it did not happen",
        ),
        (
            "the cluster moved elsewhere",
            orphan(fo("pg-test-3"), "pg-test-2", 12, early),
            Outcome::Unknown,
            "not as asked",
        ),
        (
            "switchover to anyone, leader moved",
            orphan(
                json!({"op": "switchover", "cluster": "pg-test", "leader": null, "candidate": null, "scheduled_at": null}),
                "pg-test-3",
                12,
                early,
            ),
            Outcome::Verified,
            "it happened",
        ),
        (
            "pause that did not stick",
            orphan(
                json!({"op": "pause", "cluster": "pg-test"}),
                "pg-test-1",
                13,
                early,
            ),
            Outcome::Failed,
            "not paused",
        ),
        (
            "resume that did",
            orphan(
                json!({"op": "resume", "cluster": "pg-test"}),
                "pg-test-1",
                13,
                early,
            ),
            Outcome::Verified,
            "not paused",
        ),
        (
            "restart: postmaster newer than the start",
            orphan(
                json!({"op": "restart", "cluster": "pg-test", "member": "pg-test-1", "pending_only": false, "scheduled_at": null, "timeout_secs": null}),
                "pg-test-1",
                13,
                early,
            ),
            Outcome::Verified,
            "started after the operation",
        ),
        (
            "restart: postmaster older than the start",
            orphan(
                json!({"op": "restart", "cluster": "pg-test", "member": "pg-test-1", "pending_only": false, "scheduled_at": null, "timeout_secs": null}),
                "pg-test-1",
                13,
                late,
            ),
            Outcome::Failed,
            "predates the operation",
        ),
        (
            "reload leaves no trace",
            orphan(
                json!({"op": "reload", "cluster": "pg-test", "member": "pg-test-2"}),
                "pg-test-1",
                13,
                early,
            ),
            Outcome::Unknown,
            "leaves no trace",
        ),
        (
            "cancelled switchover: none scheduled",
            orphan(
                json!({"op": "cancel_switchover", "cluster": "pg-test"}),
                "pg-test-1",
                13,
                early,
            ),
            Outcome::Verified,
            "no switchover is scheduled",
        ),
    ];
    for (what, o, outcome, text) in rows {
        let (got, message) = judge(&o, &c);
        assert_eq!(got, outcome, "{what}: {message}");
        assert!(message.contains(text), "{what}: {message}");
    }
    let paused = cluster(|k| set(k, "/pg/pg-test/config", r#"{"ttl":20,"pause":true}"#));
    let (got, _) = judge(
        &orphan(
            json!({"op": "pause", "cluster": "pg-test"}),
            "pg-test-1",
            13,
            early,
        ),
        &paused,
    );
    assert_eq!(got, Outcome::Verified);
}

#[test]
fn unfinished_means_started_without_an_end_and_its_pgtui_gone() {
    let op = json!({"op": "pause", "cluster": "pg-test"});
    let t = "2026-11-21T21:00:00.000Z";
    // pid 1 is alive but is not pgtui; a pid this large is not running.
    let records = vec![
        rec("a-1", "started", "here", t, op.clone(), "pg-test-1", 13),
        rec(
            "b-999999999",
            "started",
            "here",
            t,
            op.clone(),
            "pg-test-1",
            13,
        ),
        rec(
            "b-999999999",
            "finished",
            "here",
            t,
            op.clone(),
            "pg-test-1",
            13,
        ),
        rec(
            "c-999999998",
            "started",
            "here",
            t,
            op.clone(),
            "pg-test-1",
            13,
        ),
        rec(
            "c-999999998",
            "reconciled",
            "here",
            t,
            op.clone(),
            "pg-test-1",
            13,
        ),
        rec(
            "d-5",
            "started",
            "elsewhere",
            t,
            op.clone(),
            "pg-test-1",
            13,
        ),
        rec(
            "e-6",
            "started",
            "elsewhere",
            t,
            op.clone(),
            "pg-test-1",
            13,
        ),
        rec(
            &format!("f-{}", std::process::id()),
            "started",
            "here",
            t,
            op,
            "pg-test-1",
            13,
        ),
    ];
    // Elsewhere, only a lock still held by the operation says it is alive.
    let held = |r: &OwnedRecord| r.id == "e-6";
    let ids: Vec<String> = orphans(&records, "here", &held)
        .into_iter()
        .map(|o| o.record.id)
        .collect();
    assert_eq!(ids, ["a-1", "d-5"]);
}
