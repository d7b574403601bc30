//! One test per operation against the lab: each asserts the verified end
//! state (independently, through patronictl or the REST API) and the two
//! audit records.

use crate::common::{bin, SharedLab};
use serde_json::Value;
use std::process::Command;

/// Runs `pgtui OP ... -f json --yes`; returns (exit code, report, audit lines
/// of this run).
pub fn run_op(lab: &SharedLab, args: &[&str]) -> (i32, Value, Vec<Value>) {
    let audit = std::env::temp_dir().join(format!(
        "pgtui-audit-{}-{}.jsonl",
        lab.info.index,
        std::process::id()
    ));
    let out = Command::new(bin())
        .arg("-c")
        .arg(&lab.info.patronictl_config)
        .args(args)
        .args(["-f", "json", "--yes"])
        .env("PGTUI_SETTINGS", "/dev/null")
        .env("PGTUI_AUDIT_LOG", &audit)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: no JSON report ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let id = report["id"].as_str().unwrap().to_string();
    let lines = std::fs::read_to_string(&audit)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["id"] == id.as_str())
        .collect();
    (out.status.code().unwrap_or(-1), report, lines)
}

fn assert_verified(what: &str, (code, report, audit): &(i32, Value, Vec<Value>)) {
    assert_eq!(*code, 0, "{what}: {report}");
    assert!(
        matches!(report["outcome"].as_str(), Some("verified" | "scheduled")),
        "{what}: {report}"
    );
    let phases: Vec<&str> = audit.iter().filter_map(|r| r["phase"].as_str()).collect();
    assert_eq!(
        phases,
        ["started", "finished"],
        "{what}: audit records {audit:?}"
    );
    assert_eq!(audit[1]["outcome"], report["outcome"], "{what}");
    assert!(
        audit[0]["basis"]["revision"].as_i64().unwrap() > 0,
        "{what}: the state it was based on"
    );
}

fn patronictl_leader(lab: &SharedLab) -> String {
    let out = lab.patronictl(&["list", "pg-test", "-f", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|m| m["Role"] == "Leader")
        .unwrap()["Member"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Members an operation may target: every non-leader, or only the sync
/// standbys in synchronous mode (see `SharedLab::candidates`).
fn replicas(lab: &SharedLab) -> Vec<String> {
    lab.candidates()
}

pub fn switchover_now_and_scheduled_then_cancelled(lab: &SharedLab) {
    let _x = lab.lock();
    lab.settle();
    let target = replicas(lab)[0].clone();
    let r = run_op(lab, &["switchover", "pg-test", "--candidate", &target]);
    assert_verified("switchover", &r);
    assert_eq!(
        patronictl_leader(lab),
        target,
        "patronictl sees the new leader"
    );
    lab.settle();

    let r = run_op(
        lab,
        &[
            "switchover",
            "pg-test",
            "--scheduled",
            "2099-01-01T00:00:00+00:00",
        ],
    );
    assert_verified("scheduled switchover", &r);
    assert_eq!(r.1["outcome"], "scheduled");
    let text = String::from_utf8_lossy(&lab.patronictl(&["list", "pg-test"]).stdout).to_string();
    assert!(text.contains("Switchover scheduled"), "{text}");
    let r = run_op(lab, &["flush", "pg-test", "switchover"]);
    assert_verified("cancel", &r);
    let text = String::from_utf8_lossy(&lab.patronictl(&["list", "pg-test"]).stdout).to_string();
    assert!(!text.contains("Switchover scheduled"), "{text}");
}

pub fn failover_to_a_named_candidate(lab: &SharedLab) {
    let _x = lab.lock();
    lab.settle();
    let target = replicas(lab).last().unwrap().clone();
    let r = run_op(lab, &["failover", "pg-test", "--candidate", &target]);
    assert_verified("failover", &r);
    assert_eq!(patronictl_leader(lab), target);
    lab.settle();
}

pub fn restart_replica_and_leader_and_reload(lab: &SharedLab) {
    let _x = lab.lock();
    lab.settle();
    let leader = patronictl_leader(lab);
    let replica = replicas(lab)[0].clone();
    for m in [&replica, &leader] {
        let r = run_op(lab, &["restart", "pg-test", m]);
        assert_verified(&format!("restart {m}"), &r);
        lab.settle();
    }
    let r = run_op(lab, &["reload", "pg-test", &replica]);
    assert_verified("reload", &r);
}

/// Runs a batch subcommand; its JSON reports, one per line.
fn run_batch(lab: &SharedLab, args: &[&str]) -> (i32, Vec<Value>, String) {
    let out = Command::new(bin())
        .arg("-c")
        .arg(&lab.info.patronictl_config)
        .args(args)
        .args(["-f", "json", "--yes"])
        .env("PGTUI_SETTINGS", "/dev/null")
        .env(
            "PGTUI_AUDIT_LOG",
            std::env::temp_dir().join("pgtui-batch-audit.jsonl"),
        )
        .output()
        .unwrap();
    let reports = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{args:?}: {e}: {l}")))
        .collect();
    (
        out.status.code().unwrap_or(-1),
        reports,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Restart by role (a rolling restart of the replicas, each verified),
/// pending-only with nothing pending, and a scheduled restart cancelled.
pub fn restart_by_role_pending_and_scheduled_then_cancelled(lab: &SharedLab) {
    let _x = lab.lock();
    // Every member but the leader, sync standbys too (as patronictl's
    // `--role replica`).
    let (_, mut reps) = lab.settle();
    reps.sort();
    let (code, reports, err) = run_batch(lab, &["restart", "pg-test", "--role", "replica"]);
    assert_eq!(code, 0, "{reports:?} {err}");
    let done: Vec<(&str, &str)> = reports
        .iter()
        .map(|r| {
            (
                r["operation"]["member"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        done,
        reps.iter()
            .map(|m| (m.as_str(), "verified"))
            .collect::<Vec<_>>(),
        "every replica, one at a time, verified; the leader untouched"
    );
    lab.settle();

    let (code, reports, err) = run_batch(lab, &["restart", "pg-test", "--pending"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["outcome"], "nothing_to_do", "{reports:?}");

    let target = reps[0].clone();
    let at = (chrono::Utc::now() + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    let status = |m: &str| -> Value {
        let api = &lab.info.clusters[0]
            .members
            .iter()
            .find(|x| x.name == m)
            .unwrap()
            .api_url;
        let out = lab.curl(&["-s", &format!("{api}/patroni")]);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let (code, reports, err) = run_batch(lab, &["restart", "pg-test", &target, "--scheduled", &at]);
    assert_eq!(
        (code, reports[0]["outcome"].as_str()),
        (0, Some("scheduled")),
        "{err}"
    );
    let v = status(&target);
    assert!(
        v["scheduled_restart"]["schedule"]
            .as_str()
            .is_some_and(|s| s.starts_with(&at[..16])),
        "Patroni has the schedule {at}: {v}"
    );
    // A second schedule on the same member is refused before sending.
    let (code, _, err) = run_batch(lab, &["restart", "pg-test", &target, "--scheduled", &at]);
    assert_eq!(code, 6, "{err}");
    let (code, reports, err) = run_batch(lab, &["flush", "pg-test", &target, "restart"]);
    assert_eq!(
        (code, reports[0]["outcome"].as_str()),
        (0, Some("verified")),
        "{reports:?} {err}"
    );
    let v = status(&target);
    assert!(
        v.get("scheduled_restart").is_none(),
        "Patroni still has it: {v}"
    );
}

pub fn reinit_a_replica_refuses_the_leader(lab: &SharedLab) {
    let _x = lab.lock();
    lab.settle();
    let leader = patronictl_leader(lab);
    let (code, report, audit) = run_op(lab, &["reinit", "pg-test", &leader]);
    assert_eq!(code, 6, "refused: {report}");
    assert!(
        report["message"]
            .as_str()
            .unwrap()
            .contains("is the leader"),
        "{report}"
    );
    let phases: Vec<&str> = audit.iter().filter_map(|r| r["phase"].as_str()).collect();
    assert_eq!(
        phases,
        ["refused"],
        "a refusal is recorded, and nothing is started"
    );
    let replica = replicas(lab)[0].clone();
    let r = run_op(lab, &["reinit", "pg-test", &replica]);
    assert_verified("reinit", &r);
    lab.settle();
}

pub fn pause_and_resume_wait_for_every_member(lab: &SharedLab) {
    let _x = lab.lock();
    lab.settle();
    let r = run_op(lab, &["pause", "pg-test"]);
    assert_verified("pause", &r);
    for m in &lab.info.clusters[0].members {
        let out = lab.curl(&["-s", &format!("{}/patroni", m.api_url)]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["pause"], true, "{} reports pause", m.name);
    }
    let r = run_op(lab, &["resume", "pg-test"]);
    assert_verified("resume", &r);
}

pub fn read_only_and_dry_run_send_nothing(lab: &SharedLab) {
    let _x = lab.lock();
    lab.settle();
    let leader = patronictl_leader(lab);
    let out = Command::new(bin())
        .arg("-c")
        .arg(&lab.info.patronictl_config)
        .args(["--read-only", "pause", "pg-test", "--yes"])
        .env("PGTUI_SETTINGS", "/dev/null")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, report, audit) = run_op(lab, &["switchover", "pg-test", "--dry-run"]);
    assert_eq!((code, report["outcome"].as_str()), (0, Some("dry_run")));
    assert!(audit.is_empty());
    assert_eq!(patronictl_leader(lab), leader, "nothing happened");
    // Without a terminal and without --yes, never prompt: refuse.
    let out = Command::new(bin())
        .arg("-c")
        .arg(&lab.info.patronictl_config)
        .args(["pause", "pg-test"])
        .env("PGTUI_SETTINGS", "/dev/null")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&lab.patronictl(&["show-config", "pg-test"]).stdout)
        .unwrap_or(Value::Null);
    assert!(v.get("pause").is_none(), "not paused");
}

/// A second operation on the same cluster is refused while the first holds
/// the lock, and the refusal names the holder. The lock is taken here by
/// hand, as another pgtui would: a lease-backed key under
/// `<namespace>.pgtui/locks/`.
pub fn a_held_lock_refuses_a_second_operation(lab: &SharedLab) {
    let _x = lab.lock();
    lab.settle();
    let grant = lab.etcdctl(&["lease", "grant", "60"]);
    let out = String::from_utf8_lossy(&grant.stdout).to_string();
    let lease = out.split_whitespace().nth(1).expect("lease id").to_string();
    let key = format!("{}.pgtui/locks/pg-test", lab.info.namespace);
    let holder = r#"{"user":"alice","host":"bastion-1","operation":"switchover","id":"test-lock","since":"2026-11-21T23:00:00Z"}"#;
    assert!(lab
        .etcdctl(&["put", &format!("--lease={lease}"), &key, holder])
        .status
        .success());
    let (code, report, _) = run_op(lab, &["pause", "pg-test"]);
    assert!(lab.etcdctl(&["lease", "revoke", &lease]).status.success());
    assert_eq!(code, 6, "{report}");
    let msg = report["message"].as_str().unwrap();
    assert!(
        msg.contains("alice@bastion-1") && msg.contains("switchover"),
        "{msg}"
    );
    let v: Value =
        serde_json::from_slice(&lab.pgtui(&["list", "pg-test", "-f", "json"]).stdout).unwrap();
    assert_eq!(v["clusters"][0]["paused"], false, "nothing was sent");
    // And a normal operation leaves no lock behind.
    let r = run_op(lab, &["reload", "pg-test", &replicas(lab)[0]]);
    assert_verified("reload", &r);
    let locks = format!("{}.pgtui/locks/", lab.info.namespace);
    let left = lab.etcdctl(&["get", "--prefix", &locks, "--keys-only"]);
    assert!(
        String::from_utf8_lossy(&left.stdout).trim().is_empty(),
        "lock left behind"
    );
}

/// Patroni 4.1's demote-cluster and promote-cluster; refused by preflight
/// (nothing sent) where the cluster runs an older Patroni.
pub fn demote_and_promote_cluster_where_patroni_runs_4_1(lab: &SharedLab) {
    let _x = lab.lock();
    lab.settle();
    let restore = "pgbackrest --stanza=pg-test archive-get %f \"%p\"";
    if !lab.info.patroni_version.starts_with("4.") {
        let (code, report, audit) = run_op(
            lab,
            &["demote-cluster", "pg-test", "--restore-command", restore],
        );
        assert_eq!(code, 6, "{report}");
        assert!(
            report["message"]
                .as_str()
                .unwrap()
                .contains("needs Patroni 4.1"),
            "{report}"
        );
        assert_eq!(audit.len(), 1, "only the refusal is recorded");
        return;
    }
    let leader = patronictl_leader(lab);
    let r = run_op(
        lab,
        &["demote-cluster", "pg-test", "--restore-command", restore],
    );
    assert_verified("demote-cluster", &r);
    let roles = |lab: &SharedLab| -> Vec<(String, String)> {
        let out = lab.patronictl(&["list", "pg-test", "-f", "json"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["Member"].as_str().unwrap().to_string(),
                    m["Role"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert!(
        roles(lab).contains(&(leader.clone(), "Standby Leader".to_string())),
        "patronictl sees a standby leader: {:?}",
        roles(lab)
    );
    let (code, report, _) = run_op(
        lab,
        &["demote-cluster", "pg-test", "--restore-command", restore],
    );
    assert_eq!(code, 6, "demoting twice is refused: {report}");
    let r = run_op(lab, &["promote-cluster", "pg-test"]);
    assert_verified("promote-cluster", &r);
    assert!(
        roles(lab).iter().any(|(_, r)| r == "Leader"),
        "patronictl sees a leader again: {:?}",
        roles(lab)
    );
    lab.settle();
}
