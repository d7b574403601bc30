//! kill -9 in the middle of an operation: the audit log keeps the
//! "started" record, and the next pgtui (the console here) judges what
//! really happened from the cluster, shows it, and records it once.

use super::tmux::Tmux;
use crate::common::{bin, wait_for, SharedLab};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::Duration;

fn records(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

pub fn kill_9_mid_switchover_is_reconciled_by_the_next_pgtui(lab: &SharedLab) {
    let _x = lab.lock();
    lab.settle();
    let audit = std::env::temp_dir().join(format!("pgtui-kill9-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&audit);
    let target = lab.candidates()[0].clone();
    // Right after a WAL switch a replica may briefly read as behind; wait
    // until pgtui's own preflight would let the switchover through.
    let ready = wait_for(Duration::from_secs(30), || {
        let (code, _, _) = super::ops::run_op(
            lab,
            &["switchover", "pg-test", "--candidate", &target, "--dry-run"],
        );
        (code == 0).then_some(())
    });
    assert!(
        ready.is_some(),
        "the preflight never let a switchover to {target} through"
    );
    let mut child = Command::new(bin())
        .arg("-c")
        .arg(&lab.info.patronictl_config)
        .args([
            "switchover",
            "pg-test",
            "--candidate",
            &target,
            "--yes",
            "-f",
            "json",
        ])
        .env("PGTUI_SETTINGS", "/dev/null")
        .env("PGTUI_AUDIT_LOG", &audit)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill it while it follows the switchover: the leader key has moved,
    // but pgtui has not yet seen the end state twice.
    let moved = wait_for(Duration::from_secs(60), || {
        (lab.leader_key() == target).then_some(())
    });
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        moved.is_some(),
        "the switchover never happened: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&audit);
    let phases: Vec<&str> = recs.iter().filter_map(|r| r["phase"].as_str()).collect();
    assert_eq!(phases, ["started"], "killed mid-operation: {recs:?}");
    let id = recs[0]["id"].as_str().unwrap().to_string();
    lab.settle();

    let t = Tmux::start_with(
        lab,
        200,
        50,
        &format!("PGTUI_AUDIT_LOG={}", audit.display()),
        "",
    );
    t.keys("6");
    let shown = t.wait_screen(Duration::from_secs(20), |s| {
        s.contains("pgtui stopped mid-switchover; reconciled: VERIFIED")
    });
    assert!(
        shown.is_some(),
        "the console did not show the real outcome:\n{}",
        t.screen()
    );
    let s = shown.unwrap();
    // The dead pgtui's lock is released at once, not after its lease.
    let locks = format!("{}.pgtui/locks/", lab.info.namespace);
    let out = lab.etcdctl(&["get", "--prefix", "--keys-only", &locks]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "",
        "the dead holder's lock is gone"
    );
    assert!(s.contains(&format!("leader {target}")), "{s}");
    drop(t);

    let recs: Vec<Value> = records(&audit)
        .into_iter()
        .filter(|r| r["id"] == id.as_str())
        .collect();
    let phases: Vec<&str> = recs.iter().filter_map(|r| r["phase"].as_str()).collect();
    assert_eq!(phases, ["started", "reconciled"], "{recs:?}");
    assert_eq!(recs[1]["outcome"], "verified");
    assert_eq!(recs[1]["result"]["leader"], target.as_str());
    // Judged once: `pgtui audit` shows it and adds nothing.
    let out = Command::new(bin())
        .arg("-c")
        .arg(&lab.info.patronictl_config)
        .args(["audit"])
        .env("PGTUI_SETTINGS", "/dev/null")
        .env("PGTUI_AUDIT_LOG", &audit)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches(&id).count(), 2, "{text}");
}
