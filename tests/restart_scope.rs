//! Which members a restart acts on (by name, by role, pending only) and in
//! what order, and the rules for scheduling and cancelling restarts: pure
//! functions of the recorded cluster, one row per rule.

#[path = "support/sample_cluster.rs"]
mod sample_cluster;

use pgtui::ops::preflight::{preflight, restart_targets, RoleFilter};
use pgtui::ops::Operation;
use sample_cluster::{cluster, member, now, set};

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// (what, cluster, named, role, pending only, scheduled, wanted targets)
type Row<'a> = (
    &'a str,
    &'a pgtui::model::ClusterState,
    Vec<&'a str>,
    RoleFilter,
    bool,
    bool,
    Result<Vec<&'a str>, &'a str>,
);

#[test]
fn targets_by_name_role_and_pending_with_the_leader_last() {
    let c = cluster(|_| {});
    let pending = cluster(|k| {
        set(
            k,
            "/pg/pg-test/members/pg-test-3",
            &member("replica", 13, r#","pending_restart":true"#),
        )
    });
    let rows: Vec<Row> = vec![
        (
            "all members, leader last",
            &c,
            vec![],
            RoleFilter::Any,
            false,
            false,
            Ok(vec!["pg-test-2", "pg-test-3", "pg-test-1"]),
        ),
        (
            "replicas only",
            &c,
            vec![],
            RoleFilter::Replica,
            false,
            false,
            Ok(vec!["pg-test-2", "pg-test-3"]),
        ),
        (
            "the leader by role",
            &c,
            vec![],
            RoleFilter::Leader,
            false,
            false,
            Ok(vec!["pg-test-1"]),
        ),
        (
            "primary is the leader of a primary cluster",
            &c,
            vec![],
            RoleFilter::Primary,
            false,
            false,
            Ok(vec!["pg-test-1"]),
        ),
        (
            "no standby leader here",
            &c,
            vec![],
            RoleFilter::StandbyLeader,
            false,
            false,
            Ok(vec![]),
        ),
        (
            "named members, in rolling order",
            &c,
            vec!["pg-test-1", "pg-test-3"],
            RoleFilter::Any,
            false,
            false,
            Ok(vec!["pg-test-3", "pg-test-1"]),
        ),
        (
            "named, filtered by role",
            &c,
            vec!["pg-test-1", "pg-test-3"],
            RoleFilter::Replica,
            false,
            false,
            Ok(vec!["pg-test-3"]),
        ),
        (
            "pending only: the member with a pending restart",
            &pending,
            vec![],
            RoleFilter::Any,
            true,
            false,
            Ok(vec!["pg-test-3"]),
        ),
        (
            "pending only, none pending: nothing to do",
            &c,
            vec![],
            RoleFilter::Any,
            true,
            false,
            Ok(vec![]),
        ),
        (
            "pending only, scheduled: Patroni decides when it fires",
            &c,
            vec![],
            RoleFilter::Replica,
            true,
            true,
            Ok(vec!["pg-test-2", "pg-test-3"]),
        ),
        (
            "an unknown member is an error naming the members",
            &c,
            vec!["pg-test-9"],
            RoleFilter::Any,
            false,
            false,
            Err("pg-test-9 is not a member of pg-test (members: pg-test-1, pg-test-2, pg-test-3)"),
        ),
    ];
    for (what, c, named, role, pending_only, scheduled, want) in rows {
        let got = restart_targets(c, &names(&named), role, pending_only, scheduled);
        let want = want.map(|v| names(&v)).map_err(str::to_string);
        assert_eq!(got, want, "{what}");
    }
}

fn restart(member: &str, at: Option<&str>) -> Operation {
    Operation::Restart {
        cluster: "pg-test".into(),
        member: member.into(),
        pending_only: false,
        scheduled_at: at.map(str::to_string),
        timeout_secs: None,
    }
}

fn cancel(member: &str) -> Operation {
    Operation::CancelRestart {
        cluster: "pg-test".into(),
        member: member.into(),
    }
}

#[test]
fn scheduling_and_cancelling_restarts_refuse_with_their_reason() {
    let scheduled = r#","scheduled_restart":{"schedule":"2099-01-01T00:00:00+00:00","postmaster_start_time":"2026-11-21 20:00:00+00:00"}"#;
    let with_schedule = cluster(|k| {
        set(
            k,
            "/pg/pg-test/members/pg-test-2",
            &member("replica", 13, scheduled),
        )
    });
    let paused = cluster(|k| {
        set(k, "/pg/pg-test/config", r#"{"ttl":20,"pause":true}"#);
    });
    let rows = vec![
        (
            "a future restart passes",
            cluster(|_| {}),
            restart("pg-test-2", Some("2099-01-01T00:00:00+00:00")),
            "",
        ),
        (
            "no timezone",
            cluster(|_| {}),
            restart("pg-test-2", Some("2099-01-01T00:00:00")),
            "not a time with a timezone",
        ),
        (
            "in the past",
            cluster(|_| {}),
            restart("pg-test-2", Some("2001-01-01T00:00:00+00:00")),
            "is in the past",
        ),
        (
            "paused",
            paused,
            restart("pg-test-2", Some("2099-01-01T00:00:00+00:00")),
            "while the cluster is paused",
        ),
        (
            "already scheduled",
            with_schedule.clone(),
            restart("pg-test-2", Some("2099-01-02T00:00:00+00:00")),
            "already scheduled on pg-test-2",
        ),
        (
            "cancel with nothing scheduled",
            cluster(|_| {}),
            cancel("pg-test-2"),
            "no restart is scheduled on pg-test-2",
        ),
        (
            "cancel an unknown member",
            cluster(|_| {}),
            cancel("pg-test-9"),
            "is not a member",
        ),
        (
            "cancel a scheduled restart passes",
            with_schedule,
            cancel("pg-test-2"),
            "",
        ),
    ];
    for (what, c, op, want) in rows {
        let pf = preflight(&op, &c, now());
        if want.is_empty() {
            assert!(!pf.refused(), "{what}: {:?}", pf.refusals);
        } else {
            assert!(
                pf.refusals.iter().any(|r| r.contains(want)),
                "{what}: want {want:?}, got {:?}",
                pf.refusals
            );
        }
    }
}
