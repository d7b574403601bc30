//! Point-in-time restore against the lab, end to end (issue 11, §5):
//! - marker A, time T, marker B; `pgtui restore --to T`: A is everywhere, B
//!   nowhere, every member streams on the new timeline, Patroni's history
//!   shows the restore, the audit log holds every step;
//! - a restore that fails at recovery (an xid that is never reached) leaves
//!   the replicas with the old data, and the job's way back works;
//! - a runbook killed mid-restore: the job runs on, `pgtui jobs --follow`
//!   sees it end;
//! - the agent killed mid-restore: restarted, it reports the job
//!   interrupted at its step with what to do, and re-runs nothing.

use super::backup_job::pgtui_with_audit;
use super::psql;
use super::tmux::Tmux;
use crate::common::{output_text, wait_for, SharedLab};
use serde_json::Value;
use std::time::{Duration, Instant};

const STEPS: [&str; 8] = [
    "pause", "stop", "restore", "recover", "lead", "rebuild", "backup", "verify",
];

/// Runs `q` on the leader (as patronictl names it now).
fn sql(lab: &SharedLab, q: &str) -> String {
    psql(lab, &lab.host(&lab.leader()), q)
}

fn host(lab: &SharedLab, member: &str) -> String {
    lab.host(member)
}

fn markers_on(lab: &SharedLab, member: &str) -> String {
    psql(
        lab,
        &host(lab, member),
        "select coalesce(string_agg(v, ',' order by v), '') from restore_marker",
    )
}

fn leader_tl(lab: &SharedLab) -> i64 {
    let v: Value =
        serde_json::from_slice(&lab.patronictl(&["list", "pg-test", "-f", "json"]).stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|m| m["Role"] == "Leader")
        .and_then(|m| m["TL"].as_i64())
        .expect("a leader with a timeline")
}

fn fresh_markers(lab: &SharedLab) {
    sql(
        lab,
        "create table if not exists restore_marker(v text primary key, at timestamptz default clock_timestamp())",
    );
    sql(lab, "delete from restore_marker");
}

/// Switches WAL until the restore of `target` passes its preflight (the
/// WAL past it is archived and the agent reports it).
fn archived_past(lab: &SharedLab, target: &[&str]) {
    let mut last = String::new();
    let ok = wait_for(Duration::from_secs(90), || {
        sql(lab, "select pg_switch_wal()");
        let mut args = vec!["restore", "pg-test"];
        args.extend_from_slice(target);
        args.extend(["--dry-run", "-f", "json"]);
        let out = lab.pgtui(&args);
        last = output_text(&out);
        out.status.success().then_some(())
    });
    assert!(
        ok.is_some(),
        "the restore never passed its preflight:\n{last}"
    );
}

fn audit_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The jobs the agent of `member` holds, over its API.
fn agent_jobs(lab: &SharedLab, member: &str) -> Vec<Value> {
    let url = format!("{}/v1/jobs", lab.info.agents[member]);
    let auth = format!("Authorization: Bearer {}", lab.agent_token());
    let out = lab.curl(&["-s", "-m", "3", "-H", &auth, &url]);
    serde_json::from_slice::<Value>(&out.stdout)
        .ok()
        .and_then(|v| v["jobs"].as_array().cloned())
        .unwrap_or_default()
}

fn running_step(job: &Value) -> Option<String> {
    job["steps"]
        .as_array()?
        .iter()
        .find(|s| s["state"] == "running")
        .and_then(|s| s["name"].as_str())
        .map(String::from)
}

/// Waits until the agent of `member` runs a restore at one of `steps`;
/// returns the job id. `runbook` (the process that asked, its output file)
/// ending first is a failure that shows what it said.
fn wait_running_at(
    lab: &SharedLab,
    member: &str,
    steps: &[&str],
    runbook: &mut (std::process::Child, std::path::PathBuf),
) -> String {
    let t0 = Instant::now();
    loop {
        if let Ok(Some(st)) = runbook.0.try_wait() {
            panic!(
                "the runbook ended ({st}) before the job reached {steps:?}:\n{}",
                std::fs::read_to_string(&runbook.1).unwrap_or_default()
            );
        }
        for j in agent_jobs(lab, member) {
            if j["kind"] == "restore" && j["state"] == "running" {
                if let Some(s) = running_step(&j) {
                    if steps.contains(&s.as_str()) {
                        return j["id"].as_str().unwrap().to_string();
                    }
                }
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "no restore job reached {steps:?} on {member}'s agent: {:#?}",
            agent_jobs(lab, member)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn lab_ctl(lab: &SharedLab, verb: &str, component: &str) {
    lab.ctl(verb, component)
}

/// Waits until every member streams on the leader's timeline; members that
/// do not within a minute are reinitialised (the documented way back).
fn heal(lab: &SharedLab) {
    if wait_for(Duration::from_secs(60), || {
        std::panic::catch_unwind(|| lab.settle()).ok()
    })
    .is_none()
    {
        let v: Value =
            serde_json::from_slice(&lab.patronictl(&["list", "pg-test", "-f", "json"]).stdout)
                .unwrap();
        let tl = leader_tl(lab);
        for m in v.as_array().unwrap() {
            if m["Role"] != "Leader" && m["TL"].as_i64() != Some(tl) {
                reinit(lab, m["Member"].as_str().unwrap());
            }
        }
    }
    lab.settle();
}

/// `pgtui reinit`, again while Patroni answers 503 (it is busy restarting
/// PostgreSQL after a failure, as it is right after the way back).
fn reinit(lab: &SharedLab, member: &str) {
    let mut last = String::new();
    let ok = wait_for(Duration::from_secs(120), || {
        let out = lab.pgtui(&["reinit", "pg-test", member, "--yes"]);
        last = output_text(&out);
        if !out.status.success() {
            std::thread::sleep(Duration::from_secs(3));
        }
        out.status.success().then_some(())
    });
    assert!(ok.is_some(), "reinit {member}: {last}");
}

pub fn pitr_to_a_time_keeps_a_and_drops_b_on_every_member(lab: &SharedLab) {
    let _g = lab.lock();
    let (leader, others) = lab.settle();
    let tl0 = leader_tl(lab);
    fresh_markers(lab);
    sql(lab, "insert into restore_marker(v) values ('A')");
    std::thread::sleep(Duration::from_millis(1200));
    let t = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    std::thread::sleep(Duration::from_millis(1200));
    sql(lab, "insert into restore_marker(v) values ('B')");
    archived_past(lab, &["--to", &t]);

    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let out = pgtui_with_audit(
        lab,
        &audit,
        &["restore", "pg-test", "--to", &t, "--yes", "-f", "json"],
    )
    .output()
    .unwrap();
    let text = output_text(&out);
    assert!(out.status.success(), "restore --to {t}:\n{text}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON report");
    assert_eq!(report["outcome"], "verified", "{text}");

    let (new_leader, _) = lab.settle();
    assert_eq!(new_leader, leader, "the restored node leads");
    let tl = leader_tl(lab);
    assert!(tl > tl0, "a new timeline: {tl0} -> {tl}");
    for m in std::iter::once(&leader).chain(&others) {
        assert_eq!(markers_on(lab, m), "A", "{m}: A kept, B gone");
    }
    // Patroni's history ends with the switch into the new timeline, at the
    // recovery target.
    let h: Value = serde_json::from_slice(
        &lab.curl(&[
            "-s",
            &format!("{}/history", lab.info.clusters[0].members[0].api_url),
        ])
        .stdout,
    )
    .expect("GET /history");
    let last = h
        .as_array()
        .and_then(|a| a.last())
        .cloned()
        .unwrap_or_default();
    assert!(
        last[0].as_i64().is_some_and(|x| x < tl)
            && last[2].as_str().is_some_and(|r| r.contains("before")),
        "history's last entry: {last}"
    );
    // The audit log holds every step, started and done, under one id.
    let recs = audit_lines(&audit);
    let id = recs
        .iter()
        .find(|r| r["phase"] == "started")
        .and_then(|r| r["id"].as_str())
        .expect("a started record")
        .to_string();
    for s in STEPS {
        let done = format!("step {s} done");
        assert!(
            recs.iter().any(|r| r["id"] == id.as_str()
                && r["phase"] == "step"
                && r["message"].as_str().is_some_and(|m| m.starts_with(&done))),
            "no audit record {done:?} in {}",
            audit.display()
        );
    }
    assert!(recs
        .iter()
        .any(|r| r["id"] == id.as_str() && r["phase"] == "finished" && r["outcome"] == "verified"));
}

pub fn a_failed_restore_leaves_the_replicas_whole_and_the_way_back_works(lab: &SharedLab) {
    let _g = lab.lock();
    let (leader, others) = lab.settle();
    fresh_markers(lab);
    sql(lab, "insert into restore_marker(v) values ('C')");
    archived_past(lab, &["--xid", "4000000000"]);
    let out = lab.pgtui(&[
        "restore",
        "pg-test",
        "--xid",
        "4000000000",
        "--no-backup",
        "--yes",
        "-f",
        "json",
    ]);
    let text = output_text(&out);
    assert_eq!(
        out.status.code(),
        Some(8),
        "a failed restore exits 8:\n{text}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON report");
    let msg = report["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("`recover`")
            && msg.contains("Way back")
            && msg.contains("pgtui resume pg-test"),
        "the failure names its step and the way back: {msg}"
    );
    // The replicas were never touched: they hold C, in recovery.
    for m in &others {
        assert_eq!(markers_on(lab, m), "C", "{m} keeps the pre-restore data");
        assert_eq!(psql(lab, &host(lab, m), "select pg_is_in_recovery()"), "t");
    }
    // The way back, as the job says it.
    let out = lab.pgtui(&["resume", "pg-test", "--yes"]);
    assert!(out.status.success(), "resume: {}", output_text(&out));
    let promoted = wait_for(Duration::from_secs(90), || {
        let v: Value =
            serde_json::from_slice(&lab.patronictl(&["list", "pg-test", "-f", "json"]).stdout)
                .ok()?;
        v.as_array()?
            .iter()
            .find(|m| m["Role"] == "Leader" && m["State"] == "running")
            .and_then(|m| m["Member"].as_str())
            .map(String::from)
    })
    .expect("a replica is promoted after resume");
    assert!(others.contains(&promoted), "{promoted} was a replica");
    assert!(msg.contains(".failed-restore"), "{msg}");
    let data = lab.info.dir.join("data").join(&leader);
    let aside = lab
        .info
        .dir
        .join("data")
        .join(format!("{leader}.failed-restore"));
    std::fs::rename(&data, &aside).unwrap();
    lab_ctl(lab, "start", &format!("patroni {leader}"));
    lab.settle();
    let _ = std::fs::remove_dir_all(&aside);
    for m in std::iter::once(&leader).chain(&others) {
        assert_eq!(markers_on(lab, m), "C", "{m} after the way back");
    }
}

pub fn a_restore_survives_its_killed_runbook_and_a_new_console_follows_it(lab: &SharedLab) {
    let _g = lab.lock();
    let (leader, _) = lab.settle();
    let tl0 = leader_tl(lab);
    archived_past(lab, &["--immediate"]);
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start_with(
        lab,
        160,
        48,
        &format!(
            "PGTUI_AGENT_TOKEN={} PGTUI_AUDIT_LOG=/dev/null",
            lab.agent_token()
        ),
        "",
    );
    t.wait_screen(Duration::from_secs(30), |s| {
        s.contains(&format!("leader {leader}")) && s.contains("archiving ok")
    })
    .unwrap_or_else(|| {
        panic!(
            "the console never showed {leader} and its backups:\n{}",
            t.screen()
        )
    });
    // The restore dialog opens on Cancel; a mistyped name sends nothing.
    let jobs_before = agent_jobs(lab, &leader).len();
    t.keys(":");
    t.keys("restore immediate");
    t.keys("Enter");
    let s = t
        .wait_screen(Duration::from_secs(10), |s| {
            s.contains("restore pg-test")
                && s.contains("latest backup")
                && s.contains("what will happen")
        })
        .unwrap_or_else(|| panic!("no restore dialog:\n{}", t.screen()));
    assert!(s.contains("▶[ Cancel ]◀"), "focus is not on Cancel:\n{s}");
    t.keys("pg-tset");
    t.keys("Tab");
    t.keys("Enter");
    t.wait_screen(Duration::from_secs(5), |s| {
        s.contains("type the cluster name \"pg-test\" exactly")
    })
    .unwrap_or_else(|| panic!("a mistyped name was not refused:\n{}", t.screen()));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        agent_jobs(lab, &leader).len(),
        jobs_before,
        "a mistyped name started a job"
    );
    t.keys("Escape");
    t.keys("7");

    // A runbook starts the restore and is killed mid-way.
    let mut runbook = lab_pgtui_spawn(
        lab,
        &["restore", "pg-test", "--immediate", "--no-backup", "--yes"],
        &dir.path().join("runbook.out"),
    );
    let id = wait_running_at(
        lab,
        &leader,
        &["stop", "restore", "recover", "lead"],
        &mut runbook,
    );
    runbook.0.kill().unwrap();
    let _ = runbook.0.wait();
    // The console shows the job running, then finished; so does `jobs`.
    let line = format!("job {id}");
    t.wait_screen(Duration::from_secs(30), |s| {
        s.lines()
            .any(|l| l.contains(&line) && l.contains("running"))
    })
    .unwrap_or_else(|| {
        panic!(
            "the console does not show job {id} running:\n{}",
            t.screen()
        )
    });
    let out = lab.pgtui(&["jobs", "pg-test", "--follow", &id]);
    let text = output_text(&out);
    assert!(out.status.success(), "jobs --follow {id}:\n{text}");
    assert!(text.contains("succeeded"), "{text}");
    t.wait_screen(Duration::from_secs(30), |s| {
        s.lines()
            .any(|l| l.contains(&line) && l.contains("succeeded"))
    })
    .unwrap_or_else(|| {
        panic!(
            "the console does not show job {id} finished:\n{}",
            t.screen()
        )
    });
    lab.settle();
    assert!(leader_tl(lab) > tl0);
}

pub fn a_killed_agent_reports_its_restore_interrupted_and_reruns_nothing(lab: &SharedLab) {
    let _g = lab.lock();
    let (leader, _) = lab.settle();
    archived_past(lab, &["--immediate"]);
    let dir = tempfile::tempdir().unwrap();
    let mut runbook = lab_pgtui_spawn(
        lab,
        &["restore", "pg-test", "--immediate", "--no-backup", "--yes"],
        &dir.path().join("runbook.out"),
    );
    let id = wait_running_at(lab, &leader, &["rebuild"], &mut runbook);
    lab_ctl(lab, "kill", &format!("agent {leader}"));
    lab_ctl(lab, "start", &format!("agent {leader}"));
    let job = wait_for(Duration::from_secs(60), || {
        agent_jobs(lab, &leader)
            .into_iter()
            .find(|j| j["id"] == id.as_str() && j["state"] == "interrupted")
    })
    .expect("the restarted agent reports the job interrupted");
    let advice = job["advice"].as_str().unwrap_or_default();
    assert!(
        advice.contains("`rebuild`")
            && advice.contains("nothing was re-run")
            && advice.contains("pgtui reinit pg-test"),
        "{advice}"
    );
    // The lock the dead agent held is released by its successor.
    let lock_key = format!("{}.pgtui/locks/pg-test", lab.info.namespace);
    let out = lab.etcdctl(&["get", "--print-value-only", &lock_key]);
    assert!(
        String::from_utf8_lossy(&out.stdout).trim().is_empty(),
        "the interrupted job's lock is still held: {}",
        output_text(&out)
    );
    // Nothing after the step it stopped at ran, then or since.
    std::thread::sleep(Duration::from_secs(5));
    let job = agent_jobs(lab, &leader)
        .into_iter()
        .find(|j| j["id"] == id.as_str())
        .unwrap();
    assert_eq!(job["state"], "interrupted");
    for s in job["steps"].as_array().unwrap() {
        if matches!(s["name"].as_str(), Some("backup" | "verify")) {
            assert!(
                matches!(s["state"].as_str(), Some("pending" | "skipped")),
                "{} ran after the agent died: {s}",
                s["name"]
            );
        }
    }
    // The runbook that followed it says so too.
    let st = runbook.0.wait().unwrap();
    assert_eq!(
        st.code(),
        Some(8),
        "the runbook reports the interrupted job as failed"
    );
    heal(lab);
}

fn lab_pgtui_spawn(
    lab: &SharedLab,
    args: &[&str],
    out: &std::path::Path,
) -> (std::process::Child, std::path::PathBuf) {
    let f = std::fs::File::create(out).unwrap();
    let child = pgtui_with_audit(lab, &out.with_extension("audit.jsonl"), args)
        .stdout(f.try_clone().unwrap())
        .stderr(f)
        .spawn()
        .unwrap();
    (child, out.to_path_buf())
}
