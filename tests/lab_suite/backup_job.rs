//! `pgtui backup` against the lab: the backup runs as a job in the leader's
//! agent, which holds the operation lock itself, so killing the runbook
//! process mid-backup changes nothing: the job finishes, `pgtui jobs
//! --follow` sees it end, `pgbackrest info` (run by hand) has the new set,
//! the lock is gone, and the next pgtui reconciles the killed one's audit
//! record. A dry run and a read-only pgtui start no job.

use crate::common::{bin, output_text, wait_for, SharedLab};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::Duration;

pub(crate) fn pgtui_with_audit(lab: &SharedLab, audit: &std::path::Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.arg("-c")
        .arg(&lab.info.patronictl_config)
        .args(args)
        .env_remove("PGTUI_CLUSTER")
        .env("PGTUI_SETTINGS", "/dev/null")
        .env("PGTUI_AGENT_TOKEN", lab.agent_token())
        .env("PGTUI_AUDIT_LOG", audit);
    c
}

fn job_records(lab: &SharedLab) -> Vec<Value> {
    let prefix = format!("{}.pgtui/jobs/pg-test/", lab.info.namespace);
    let out = lab.etcdctl(&["get", "--prefix", &prefix, "--print-value-only"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn full_labels(lab: &SharedLab) -> Vec<String> {
    let out = lab.pgtui(&["backups", "pg-test", "-f", "json"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["stanza"]["backups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap().to_string())
        .collect()
}

pub fn backup_job_survives_its_killed_console(lab: &SharedLab) {
    let _g = lab.lock();
    let (leader, _) = lab.settle();
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let before_jobs = job_records(lab).len();
    let before = full_labels(lab);

    // Dry run and read-only: no job record appears.
    let out = pgtui_with_audit(lab, &audit, &["backup", "pg-test", "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("dry run: nothing was sent"));
    let out = pgtui_with_audit(lab, &audit, &["--read-only", "backup", "pg-test", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", output_text(&out));
    assert_eq!(
        job_records(lab).len(),
        before_jobs,
        "a refused backup made a job"
    );

    // The runbook process starts the backup and is killed mid-way.
    let mut child = pgtui_with_audit(
        lab,
        &audit,
        &["backup", "pg-test", "--type", "full", "--yes"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let lock_key = format!("{}.pgtui/locks/pg-test", lab.info.namespace);
    let holder = wait_for(Duration::from_secs(30), || {
        let out = lab.etcdctl(&["get", &lock_key, "--print-value-only"]);
        let v: Value = serde_json::from_slice(&out.stdout).ok()?;
        v["operation"].as_str()?.contains("backup").then_some(v)
    })
    .expect("the agent took the operation lock");
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        holder["operation"]
            .as_str()
            .unwrap()
            .contains(&format!("agent of {leader}")),
        "{holder}"
    );

    // Any pgtui follows the job to its end.
    let out = lab.pgtui(&["jobs", "pg-test", "--follow"]);
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("step backup:"), "{text}");
    assert!(text.contains("succeeded: new full backup"), "{text}");
    let new_label = text
        .split("new full backup ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(!before.contains(&new_label));
    // pgBackRest itself has it, and the lock is gone.
    assert!(full_labels(lab).contains(&new_label));
    let released = wait_for(Duration::from_secs(10), || {
        let out = lab.etcdctl(&["get", &lock_key, "--print-value-only"]);
        out.stdout.is_empty().then_some(())
    });
    assert!(released.is_some(), "the agent kept the lock after the job");
    let rec = job_records(lab)
        .into_iter()
        .find(|j| {
            j["state"] == "succeeded"
                && j["steps"][1]["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains(&new_label))
        })
        .expect("the job's record in etcd");
    assert_eq!(rec["member"], leader.as_str());
    assert!(rec["steps"][0]["command"]
        .as_str()
        .unwrap()
        .contains("--type=full backup"));

    // The killed runbook left a `started` record; the next one reconciles it.
    let out = pgtui_with_audit(
        lab,
        &audit,
        &["backup", "pg-test", "--type", "incr", "--yes"],
    )
    .output()
    .unwrap();
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("an earlier backup") && text.contains("reconciled: Verified"),
        "{text}"
    );
    let audit_text = std::fs::read_to_string(&audit).unwrap();
    for phase in ["\"started\"", "\"reconciled\"", "\"finished\""] {
        assert!(audit_text.contains(phase), "{phase} missing: {audit_text}");
    }
}
