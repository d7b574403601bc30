//! pgbouncer on the lab, as `pgtui pools` shows it (read with the stats
//! user from the settings' environment): a saturated pool and its waiting
//! client; a member without pgbouncer is "absent", not an alarm; a client
//! held across a switchover by the old leader's pgbouncer is flagged until
//! it goes.

use crate::common::SharedLab;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// psql through the pgbouncer on `host`, left running.
fn through_pgbouncer(lab: &SharedLab, host: &str, db: &str, sql: &str) -> Child {
    let port = lab.info.pgbouncer[0].port.to_string();
    Command::new("psql")
        .args(["-h", host, "-p", &port, "-U", &lab.info.superuser, "-d", db])
        .args(["-XAtqc", sql])
        .env("PGPASSWORD", &lab.info.superuser_password)
        .env("PGSSLMODE", "prefer")
        .env("PGCONNECT_TIMEOUT", "5")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run psql")
}

/// `pgtui pools CLUSTER -f json` as the lab's pgbouncer stats user.
fn pools(lab: &SharedLab, cluster: &str) -> (Value, std::process::Output) {
    let pb = &lab.info.pgbouncer[0];
    let out = Command::new(crate::common::bin())
        .arg("-c")
        .arg(&lab.info.patronictl_config)
        .args(["pools", cluster, "-f", "json"])
        .env("PGTUI_SETTINGS", "/dev/null")
        .env("PGTUI_SQL_USER", &lab.info.superuser)
        .env("PGTUI_SQL_PASSWORD", &lab.info.superuser_password)
        .env("PGTUI_PGBOUNCER_USER", &pb.stats_user)
        .env("PGTUI_PGBOUNCER_PASSWORD", &pb.stats_password)
        .output()
        .expect("run pgtui pools");
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (v, out)
}

fn waiting_flag(v: &Value, member: &str) -> bool {
    v["flags"].as_array().is_some_and(|f| {
        f.iter()
            .any(|f| f["kind"] == "clients_waiting" && f["member"] == member && f["alarm"] == true)
    })
}

pub fn pools_show_a_saturated_pool_and_its_waiting_client(lab: &SharedLab) {
    let _x = lab.lock();
    let name = lab.leader();
    let host = lab.host(&name);
    let db = lab.info.pgbouncer[0].saturable_db.clone();
    let mut holder = through_pgbouncer(lab, &host, &db, "select pg_sleep(12)");
    std::thread::sleep(Duration::from_millis(500));
    let mut waiter = through_pgbouncer(lab, &host, &db, "select 1");
    let deadline = Instant::now() + Duration::from_secs(10);
    let (v, out) = loop {
        let (v, out) = pools(lab, "pg-test");
        if waiting_flag(&v, &name) || Instant::now() > deadline {
            break (v, out);
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let _ = holder.kill();
    let _ = waiter.kill();
    let _ = (holder.wait(), waiter.wait());
    assert!(
        out.status.success(),
        "pgtui pools: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(waiting_flag(&v, &name), "no waiting flag for {name}: {v:#}");
    let m = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["member"] == name.as_str())
        .unwrap();
    assert_eq!(m["status"], "ok");
    assert_eq!(m["role"], "Leader");
    let pool = m["pgbouncer"]["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["database"] == db.as_str())
        .unwrap();
    assert_eq!(pool["cl_waiting"], 1, "{pool}");
    assert_eq!(pool["sv_active"], 1, "{pool}");
    assert!(pool["maxwait_secs"].as_f64().unwrap() >= 1.0, "{pool}");
    let sat = m["pgbouncer"]["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == db.as_str())
        .unwrap();
    assert_eq!(sat["pool_size"], 1);
    assert_eq!(
        sat["host"],
        host.as_str(),
        "the pool connects beside its member"
    );
    assert!(
        v["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["status"] == "ok"),
        "every pg-test member has a pgbouncer: {v:#}"
    );
    // Once the clients are gone, so is the flag.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (v, _) = pools(lab, "pg-test");
        if !waiting_flag(&v, &name) {
            break;
        }
        assert!(Instant::now() < deadline, "the waiting flag stayed: {v:#}");
        std::thread::sleep(Duration::from_millis(500));
    }
    // pg-meta has no pgbouncer: absent, not an alarm, exit 0.
    let (v, out) = pools(lab, "pg-meta");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(v["members"][0]["status"], "absent", "{v:#}");
    assert_eq!(v["flags"], serde_json::json!([]), "{v:#}");
}

/// A switchover to `to`, then the cluster settled.
fn switchover(lab: &SharedLab, from: &str, to: &str) {
    lab.switchover(from, to);
    let (leader, _) = lab.settle();
    assert_eq!(leader, to, "the switchover to {to} did not hold");
}

/// The `held_from_former_leader` flag of `member`: (clients, message).
fn held_flag(v: &Value, member: &str) -> Option<String> {
    v["flags"].as_array()?.iter().find_map(|f| {
        (f["kind"] == "held_from_former_leader" && f["member"] == member)
            .then(|| f["message"].as_str().unwrap_or("").to_string())
    })
}

/// A client connected to the leader's pgbouncer stays connected (idle in
/// transaction pooling) across a switchover: once its member no longer
/// leads, `pgtui pools` flags it as held from when that member led, until
/// the client goes. The one-shot command knows when the member stopped
/// leading from Patroni's history, which names each switchover's new
/// leader; so the member must have become leader by a recorded switchover
/// first.
pub fn pools_flag_connections_held_from_before_a_switchover(lab: &SharedLab) {
    let _x = lab.lock();
    let (leader, _) = lab.settle();
    switchover(lab, &leader, &lab.candidates()[0]);
    let (old, _) = lab.settle();
    let host = lab.host(&old);
    let port = lab.info.pgbouncer[0].port.to_string();
    // An interactive psql, kept connected by its open stdin.
    let mut client = Command::new("psql")
        .args([
            "-h",
            &host,
            "-p",
            &port,
            "-U",
            &lab.info.superuser,
            "-d",
            "postgres",
        ])
        .args(["-XAtq"])
        .env("PGPASSWORD", &lab.info.superuser_password)
        .env("PGSSLMODE", "prefer")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run psql");
    {
        use std::io::Write;
        let stdin = client.stdin.as_mut().unwrap();
        writeln!(stdin, "select 1;").unwrap();
    }
    // Connected, and nothing flagged while its member leads.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (v, _) = pools(lab, "pg-test");
        assert_eq!(
            held_flag(&v, &old),
            None,
            "flagged while {old} leads: {v:#}"
        );
        let clients = v["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["member"] == old.as_str())
            .map(|m| m["pgbouncer"]["clients"].to_string())
            .unwrap_or_default();
        if clients.contains("\"postgres\"") {
            break;
        }
        assert!(Instant::now() < deadline, "the client never showed: {v:#}");
        std::thread::sleep(Duration::from_millis(300));
    }
    switchover(lab, &old, &lab.candidates()[0]);
    let (v, out) = pools(lab, "pg-test");
    let flagged = held_flag(&v, &old);
    // The client goes; so does the flag.
    drop(client.stdin.take());
    let _ = client.wait();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let msg =
        flagged.unwrap_or_else(|| panic!("no held flag for {old} after the switchover: {v:#}"));
    assert!(
        msg.contains("1 client(s)") && msg.contains("now reach a replica"),
        "{msg}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (v, _) = pools(lab, "pg-test");
        if held_flag(&v, &old).is_none() {
            break;
        }
        assert!(Instant::now() < deadline, "the held flag stayed: {v:#}");
        std::thread::sleep(Duration::from_millis(300));
    }
}
