//! The core lab suite, run once per Patroni flavour (see `lab_patroni3.rs`
//! and `lab_patroni4.rs`). Every check compares pgtui with an independent
//! witness: patronictl, etcdctl, or the cluster's own behaviour.

pub mod backup_job;
pub mod backups;
pub mod console_e2e;
pub mod console_ops;
pub mod hardened;
// Only the labs that expand `logs_and_vip_lab_tests!` call into these.
#[allow(dead_code)]
pub mod logs;
pub mod ops;
pub mod pools;
pub mod reconcile;
pub mod rest_tap;
// Only the labs that expand `restore_lab_tests!` call into it.
#[allow(dead_code)]
pub mod restore;
pub mod sql_tls;
pub mod tmux;
#[allow(dead_code)]
pub mod vip;
pub mod watch_compaction;
pub mod write_load;

use crate::common::{wait_for, SharedLab};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn json(out: &std::process::Output, what: &str) -> Value {
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

type Row = (String, String, String, Option<i64>, Option<i64>);

/// patronictl's rows → (host, role, state, timeline, lag MB) in our vocabulary.
fn patronictl_rows(v: &Value) -> BTreeMap<String, Row> {
    let rows = v.as_array().unwrap().iter().map(|r| {
        let lag = r
            .get("Lag in MB")
            .or(r.get("Replay Lag"))
            .and_then(Value::as_i64);
        let host = r["Host"]
            .as_str()
            .unwrap_or("")
            .split(':')
            .next()
            .unwrap()
            .to_string();
        let role = r["Role"].as_str().unwrap().to_lowercase().replace(' ', "_");
        (
            r["Member"].as_str().unwrap().to_string(),
            (
                host,
                role,
                r["State"].as_str().unwrap().to_string(),
                r["TL"].as_i64(),
                lag,
            ),
        )
    });
    rows.collect()
}

fn pgtui_rows(v: &Value, cluster: &str) -> BTreeMap<String, Row> {
    let c = v["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == cluster)
        .unwrap_or_else(|| panic!("{cluster} in {v}"));
    c["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                (
                    m["host"].as_str().unwrap_or("").to_string(),
                    m["role"].as_str().unwrap().to_string(),
                    m["state"].as_str().unwrap().to_string(),
                    m["timeline"].as_i64(),
                    m["lag_mb"].as_i64(),
                ),
            )
        })
        .collect()
}

/// One comparison; `Err` says what differed.
fn compare_once(lab: &SharedLab, cluster: &str) -> Result<(), String> {
    let ours = json(&lab.pgtui(&["list", cluster, "-f", "json"]), "pgtui list");
    let theirs = json(
        &lab.patronictl(&["list", cluster, "-f", "json"]),
        "patronictl list",
    );
    let (a, b) = (pgtui_rows(&ours, cluster), patronictl_rows(&theirs));
    if a.keys().collect::<Vec<_>>() != b.keys().collect::<Vec<_>>() {
        return Err(format!("members differ: {a:?} vs {b:?}"));
    }
    for (name, (host, role, state, tl, lag)) in &a {
        let (h2, r2, s2, tl2, lag2) = &b[name];
        if (host, role, state, tl) != (h2, r2, s2, tl2) {
            return Err(format!(
                "{name}: pgtui {:?} vs patronictl {:?}",
                (host, role, state, tl),
                (h2, r2, s2, tl2)
            ));
        }
        if let (Some(x), Some(y)) = (lag, lag2) {
            if (x - y).abs() > 1 {
                return Err(format!("{name}: lag {x} MB vs {y} MB"));
            }
        } else if role != "leader" && lag.is_none() {
            return Err(format!("{name}: pgtui shows no lag for a replica"));
        }
    }
    Ok(())
}

/// `pgtui list -f json` agrees with `patronictl list -f json`. The two read
/// at slightly different moments, so a difference must persist over several
/// tries to count as a failure.
pub fn list_json_agrees_with_patronictl(lab: &SharedLab) {
    let _x = lab.lock();
    for cluster in ["pg-test", "pg-meta"] {
        let mut last = String::new();
        let ok = (0..5).any(|_| match compare_once(lab, cluster) {
            Ok(()) => true,
            Err(e) => {
                last = e;
                std::thread::sleep(Duration::from_secs(1));
                false
            }
        });
        assert!(ok, "{cluster}: {last}");
    }
}

/// With no cluster named and no scope, `list` shows the whole namespace.
pub fn list_without_a_cluster_shows_the_fleet(lab: &SharedLab) {
    let out = Command::new(crate::common::bin())
        .args(["--dcs-url", &lab.dcs_url(), "list", "-f", "json"])
        .envs(lab.dcs_env())
        .env("PGTUI_SETTINGS", "/dev/null")
        .output()
        .unwrap();
    let v = json(&out, "pgtui list (fleet)");
    let names: Vec<&str> = v["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"pg-test") && names.contains(&"pg-meta"),
        "{names:?}"
    );
    // The table form shows both banners too.
    let out = Command::new(crate::common::bin())
        .args(["--dcs-url", &lab.dcs_url(), "list"])
        .envs(lab.dcs_env())
        .env("PGTUI_SETTINGS", "/dev/null")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Cluster: pg-test") && text.contains("Cluster: pg-meta"),
        "{text}"
    );
}

/// patronictl's behaviour: `etcd3.username/password` against an etcd whose
/// authentication is off works (the credentials are dropped). Only for a
/// lab without etcd auth (the Pigsty style).
#[allow(dead_code)] // Not for the autobase lab, whose etcd has auth on.
pub fn etcd_credentials_without_auth_are_dropped(lab: &SharedLab) {
    assert!(
        lab.info.etcd_root_user.is_none(),
        "this lab's etcd has auth on"
    );
    let out = Command::new(crate::common::bin())
        .arg("-c")
        .arg(&lab.info.patronictl_config)
        .args(["list", "pg-test", "-f", "json"])
        .env("PGTUI_SETTINGS", "/dev/null")
        .env("PATRONI_ETCD3_USERNAME", "patroni")
        .env("PATRONI_ETCD3_PASSWORD", "whatever")
        .output()
        .unwrap();
    let v = json(&out, "pgtui list with credentials, etcd without auth");
    assert_eq!(v["clusters"][0]["stale"], Value::Bool(false), "{v}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Exit codes: cluster not found, DCS unreachable.
pub fn exit_codes_are_distinct(lab: &SharedLab) {
    let out = lab.pgtui(&["list", "no-such-cluster"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pg-test"),
        "names the known clusters"
    );
    // A port nothing listens on, on the lab's own address.
    let host = lab.info.etcd_endpoints[0]
        .rsplit_once(':')
        .unwrap()
        .0
        .to_string();
    let ns = lab.info.namespace.trim_end_matches('/');
    let out = Command::new(crate::common::bin())
        .args(["--dcs-url", &format!("etcd3://{host}:1{ns}"), "list"])
        .envs(lab.dcs_env())
        .env("PGTUI_SETTINGS", "/dev/null")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same etcd failure during a dry run is the same code.
    let out = Command::new(crate::common::bin())
        .args([
            "--dcs-url",
            &format!("etcd3://{host}:1/pg"),
            "switchover",
            "pg-test",
            "--dry-run",
        ])
        .env("PGTUI_SETTINGS", "/dev/null")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A member that does not exist is "not found" for every command.
    for args in [
        &[
            "switchover",
            "pg-test",
            "--candidate",
            "no-such-member",
            "--dry-run",
        ][..],
        &["dsn", "pg-test", "--member", "no-such-member"][..],
        &["reload", "pg-test", "no-such-member", "--dry-run"][..],
    ] {
        let out = lab.pgtui(args);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = Command::new(crate::common::bin())
        .args(["--dcs-url", "etcd3://nonsense", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The other runbook commands read the same model.
pub fn history_topology_version_dsn(lab: &SharedLab) {
    // Every member must answer with its versions: not while another test
    // restarts one.
    let _x = lab.lock();
    let hist = json(&lab.pgtui(&["history", "pg-test", "-f", "json"]), "history");
    let theirs = json(
        &lab.patronictl(&["history", "pg-test", "-f", "json"]),
        "patronictl history",
    );
    assert_eq!(
        hist.as_array().unwrap().len(),
        theirs.as_array().unwrap().len(),
        "{hist} vs {theirs}"
    );
    let topo = lab.pgtui(&["topology", "pg-test"]);
    let text = String::from_utf8_lossy(&topo.stdout);
    assert!(
        topo.status.success() && text.matches("+ pg-test-").count() == 2,
        "{text}"
    );
    let ver = json(&lab.pgtui(&["version", "pg-test", "-f", "json"]), "version");
    for m in ver["members"].as_array().unwrap() {
        assert_eq!(
            m["patroni"].as_str(),
            Some(lab.info.patroni_version.as_str()),
            "{ver}"
        );
        assert!(
            m["postgresql"].as_str().unwrap().starts_with("15."),
            "{ver}"
        );
    }
    let dsn = lab.pgtui(&["dsn", "pg-test"]);
    let leader = json(&lab.pgtui(&["list", "pg-test", "-f", "json"]), "list")["clusters"][0]
        ["leader"]
        .as_str()
        .unwrap()
        .to_string();
    let host = lab
        .info
        .clusters
        .iter()
        .flat_map(|c| &c.members)
        .find(|m| m.name == leader)
        .unwrap()
        .host
        .clone();
    assert_eq!(
        String::from_utf8_lossy(&dsn.stdout).trim(),
        format!("host={host} port=5432")
    );
    let cfg = lab.pgtui(&["show-config", "pg-test"]);
    assert!(
        String::from_utf8_lossy(&cfg.stdout).contains("archive_command"),
        "{}",
        String::from_utf8_lossy(&cfg.stdout)
    );
}

/// After a switchover done with patronictl, `list --watch` prints the new
/// leader (and the timeline bump), driven by the etcd watch.
pub fn watch_prints_the_new_leader_after_a_switchover(lab: &SharedLab) {
    let _x = lab.lock();
    let mut child = Command::new(crate::common::bin())
        .arg("-c")
        .arg(&lab.info.patronictl_config)
        .args(["list", "pg-test", "-f", "json", "--watch"])
        .env("PGTUI_SETTINGS", "/dev/null")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel::<Value>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line) {
                if tx.send(v).is_err() {
                    return;
                }
            }
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("first frame of list --watch");
    let old_leader = first["clusters"][0]["leader"].as_str().unwrap().to_string();
    let old_tl = first["clusters"][0]["timeline"].as_i64().unwrap();
    let candidate = lab.candidates()[0].clone();

    lab.switchover(&old_leader, &candidate);

    let seen = wait_for(Duration::from_secs(60), || {
        let v = rx.recv_timeout(Duration::from_secs(1)).ok()?;
        let c = &v["clusters"][0];
        (c["leader"].as_str() == Some(candidate.as_str())
            && c["timeline"].as_i64().unwrap_or(0) > old_tl)
            .then_some(v)
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        seen.is_some(),
        "list --watch never printed leader {candidate} on a timeline after {old_tl}"
    );
    // Leave the cluster healthy for whoever runs next.
    let healthy = wait_for(Duration::from_secs(90), || {
        compare_once(lab, "pg-test").ok().filter(|_| {
            let v = json(&lab.pgtui(&["list", "pg-test", "-f", "json"]), "list");
            v["clusters"][0]["members"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| matches!(m["state"].as_str(), Some("running" | "streaming")))
        })
    });
    assert!(
        healthy.is_some(),
        "pg-test did not settle after the switchover"
    );
}

pub(crate) fn psql(lab: &SharedLab, host: &str, sql: &str) -> String {
    lab.psql(host, sql)
}

/// A replica with replay paused: WAL keeps arriving (receive lag ~0) but is
/// not applied. The cluster is put in maintenance mode first, as a DBA would:
/// outside it, Patroni 4 resumes a paused replay by itself. pgtui must show the replay lag that Patroni 3.0's own `lag`
/// hides; it is also visible to the SQL probes when credentials are given.
pub fn replay_lag_is_shown_when_replay_is_paused(lab: &SharedLab) {
    let _x = lab.lock();
    let list = json(&lab.pgtui(&["list", "pg-test", "-f", "json"]), "list");
    let c = &list["clusters"][0];
    let leader = c["leader"].as_str().unwrap().to_string();
    let host_of = |n: &str| {
        lab.info
            .clusters
            .iter()
            .flat_map(|c| &c.members)
            .find(|m| m.name == n)
            .unwrap()
            .host
            .clone()
    };
    let replica = c["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .find(|n| *n != leader)
        .unwrap();
    let out = lab.patronictl(&["pause", "pg-test", "--wait"]);
    assert!(
        out.status.success(),
        "patronictl pause: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    psql(lab, &host_of(&replica), "SELECT pg_wal_replay_pause()");
    psql(lab, &host_of(&leader), "DROP TABLE IF EXISTS pgtui_lag; CREATE TABLE pgtui_lag AS SELECT g, md5(g::text) AS h FROM generate_series(1, 150000) g");
    let member = |v: &Value| {
        v["clusters"][0]["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == replica.as_str())
            .cloned()
            .unwrap()
    };
    let check = |with_sql: bool| {
        wait_for(Duration::from_secs(30), || {
            let mut cmd = Command::new(crate::common::bin());
            cmd.arg("-c")
                .arg(&lab.info.patronictl_config)
                .args(["list", "pg-test", "-f", "json"])
                .env("PGTUI_SETTINGS", "/dev/null");
            if with_sql {
                cmd.env("PGTUI_SQL_USER", &lab.info.superuser)
                    .env("PGTUI_SQL_PASSWORD", &lab.info.superuser_password);
            }
            let m = member(&json(&cmd.output().unwrap(), "list"));
            let (recv, replay) = (
                m["receive_lag_bytes"].as_u64()?,
                m["replay_lag_bytes"].as_u64()?,
            );
            (replay > 5 * 1048576 && recv < 1048576 && m["lag_mb"].as_u64()? >= 5).then_some(m)
        })
    };
    let rest_view = check(false);
    let sql_view = check(true);
    psql(lab, &host_of(&replica), "SELECT pg_wal_replay_resume()");
    psql(lab, &host_of(&leader), "DROP TABLE IF EXISTS pgtui_lag");
    let out = lab.patronictl(&["resume", "pg-test", "--wait"]);
    assert!(
        out.status.success(),
        "patronictl resume: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        rest_view.is_some(),
        "replay lag never showed (REST/DCS sources) for {replica}"
    );
    assert!(
        sql_view.is_some(),
        "replay lag never showed with SQL probes for {replica}"
    );
    // And it clears once replay resumes.
    let cleared = wait_for(Duration::from_secs(30), || {
        let m = member(&json(
            &lab.pgtui(&["list", "pg-test", "-f", "json"]),
            "list",
        ));
        (m["replay_lag_bytes"].as_u64()? < 1048576).then_some(())
    });
    assert!(cleared.is_some(), "replay lag did not clear after resume");
}

/// The suite's `#[test]` functions for one lab flavour: each test binary
/// (`lab_patroni3.rs`, `lab_patroni4.rs`) expands this with its own `lab()`.
#[macro_export]
macro_rules! lab_suite_tests {
    ($($name:ident => $path:path),* $(,)?) => {$(
        #[test]
        fn $name() {
            $path(lab());
        }
    )*};
}

/// Every test of the suite, for [`lab_suite_tests`].
#[macro_export]
macro_rules! all_lab_suite_tests {
    () => {
        $crate::lab_suite_tests! {
            list_json_agrees_with_patronictl => lab_suite::list_json_agrees_with_patronictl,
            list_without_a_cluster_shows_the_fleet => lab_suite::list_without_a_cluster_shows_the_fleet,
            exit_codes_are_distinct => lab_suite::exit_codes_are_distinct,
            history_topology_version_dsn => lab_suite::history_topology_version_dsn,
            watch_prints_the_new_leader_after_a_switchover => lab_suite::watch_prints_the_new_leader_after_a_switchover,
            watch_relists_after_compaction_and_matches_etcd => lab_suite::watch_compaction::watch_relists_after_compaction,
            replay_lag_is_shown_when_replay_is_paused => lab_suite::replay_lag_is_shown_when_replay_is_paused,
            console_follows_switchover_and_etcd_outage => lab_suite::console_e2e::console_follows_switchover_and_etcd_outage,
            op_switchover_now_and_scheduled_then_cancelled => lab_suite::ops::switchover_now_and_scheduled_then_cancelled,
            op_failover_to_a_named_candidate => lab_suite::ops::failover_to_a_named_candidate,
            op_restart_replica_and_leader_and_reload => lab_suite::ops::restart_replica_and_leader_and_reload,
            op_restart_by_role_pending_and_scheduled_then_cancelled => lab_suite::ops::restart_by_role_pending_and_scheduled_then_cancelled,
            op_reinit_a_replica_refuses_the_leader => lab_suite::ops::reinit_a_replica_refuses_the_leader,
            op_pause_and_resume_wait_for_every_member => lab_suite::ops::pause_and_resume_wait_for_every_member,
            op_read_only_and_dry_run_send_nothing => lab_suite::ops::read_only_and_dry_run_send_nothing,
            op_a_held_lock_refuses_a_second_operation => lab_suite::ops::a_held_lock_refuses_a_second_operation,
            console_dialogs_default_to_cancel_and_a_mistyped_failover_sends_nothing => lab_suite::console_ops::dialogs_default_to_cancel_and_a_mistyped_failover_sends_nothing,
            op_demote_and_promote_cluster => lab_suite::ops::demote_and_promote_cluster_where_patroni_runs_4_1,
            op_kill_9_mid_switchover_is_reconciled => lab_suite::reconcile::kill_9_mid_switchover_is_reconciled_by_the_next_pgtui,
            console_and_cli_read_only_send_no_write => lab_suite::console_ops::read_only_sends_no_write_from_console_or_cli,
            switchover_under_write_load_loses_no_committed_row => lab_suite::write_load::switchover_under_write_load_loses_no_committed_row,
            agents_register_and_backups_agree_with_pgbackrest => lab_suite::backups::agents_register_and_backups_agree_with_pgbackrest,
            a_missing_archived_segment_is_a_hole_in_the_window => lab_suite::backups::a_missing_archived_segment_is_a_hole_in_the_window,
            restore_dry_run_plans_from_the_lab_backups => lab_suite::backups::restore_dry_run_plans_from_the_lab_backups,
            pools_show_a_saturated_pool_and_its_waiting_client => lab_suite::pools::pools_show_a_saturated_pool_and_its_waiting_client,
            pools_flag_connections_held_from_before_a_switchover => lab_suite::pools::pools_flag_connections_held_from_before_a_switchover,
            op_backup_job_survives_its_killed_console => lab_suite::backup_job::backup_job_survives_its_killed_console,
        }
    };
}

/// The member-logs and VIP tests: on the two labs that differ where they
/// matter, Debian's Patroni 3 on the Pigsty lab (vip-manager's config) and
/// Patroni 4 on the hardened autobase lab (keepalived's, agents over
/// https). Both switch over once; a third lab would add a minute of CI and
/// nothing these two do not cover.
#[macro_export]
macro_rules! logs_and_vip_lab_tests {
    () => {
        $crate::lab_suite_tests! {
            logs_show_a_switchover_on_the_new_leader_at_its_time => lab_suite::logs::a_switchover_is_found_in_the_merged_logs_at_its_time,
            vip_is_shown_where_it_is_and_flagged_when_wrong => lab_suite::vip::the_vip_is_shown_where_it_is_and_flagged_when_wrong,
        }
    };
}

/// The point-in-time restore tests: the longest of the suite (each rebuilds
/// the cluster). The restore is the agent's, the same code on every lab;
/// what differs between Patroni versions (pause, the leader key,
/// `/reinitialize`) is covered by the PITR on two labs, Debian's Patroni 3
/// on the Pigsty lab (`restore_lab_tests!(pitr)`) and Patroni 4 on the
/// hardened autobase lab. Its failure modes, which test the agent's job,
/// run on the hardened lab only, the one production looks like.
#[macro_export]
macro_rules! restore_lab_tests {
    // The PITR itself, on every lab that expands this.
    (pitr) => {
        $crate::lab_suite_tests! {
            pitr_to_a_time_keeps_a_and_drops_b_on_every_member => lab_suite::restore::pitr_to_a_time_keeps_a_and_drops_b_on_every_member,
        }
    };
    // Its failure modes too: on the hardened lab only (CI time; they test
    // the agent's job, which does not depend on the Patroni flavour).
    () => {
        restore_lab_tests!(pitr);
        $crate::lab_suite_tests! {
            pitr_failed_leaves_the_replicas_whole_and_the_way_back_works => lab_suite::restore::a_failed_restore_leaves_the_replicas_whole_and_the_way_back_works,
            pitr_survives_its_killed_runbook_and_a_new_console_follows_it => lab_suite::restore::a_restore_survives_its_killed_runbook_and_a_new_console_follows_it,
            pitr_killed_agent_reports_interrupted_and_reruns_nothing => lab_suite::restore::a_killed_agent_reports_its_restore_interrupted_and_reruns_nothing,
        }
    };
}
