//! Point-in-time restore figures for the README (`cargo bench --bench
//! pitr`). It starts its own lab (index 14), grows the database with
//! `pgbench -i` (`PGTUI_BENCH_PITR_SCALE`, default 20: about 300 MB), takes
//! a full backup, writes marker A, notes T, writes marker B, and restores to
//! T with `pgtui restore --yes`, `PGTUI_BENCH_RUNS` times (default 2). It
//! prints the wall time from confirm to verified split by the job's own
//! step durations: pgBackRest (`restore`, `backup`), PostgreSQL recovery
//! (`recover`), the replicas' rebuilds (`rebuild`), Patroni (`pause`,
//! `stop`, `lead`, `verify`: waiting on its loop), and pgtui's own: the
//! wall time outside every step (start, preflight, the POST, following).
//! It never asserts on timing; it does check that A is back and B gone.

#[path = "../common/mod.rs"]
mod common;

use serde_json::Value;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static LAB: OnceLock<common::SharedLab> = OnceLock::new();

fn psql(lab: &common::SharedLab, host: &str, sql: &str) -> String {
    lab.psql(host, sql)
}

fn pgtui(lab: &common::SharedLab, args: &[&str]) -> std::process::Output {
    lab.pgtui(args)
}

fn host(lab: &common::SharedLab, m: &str) -> String {
    lab.info.clusters[0]
        .members
        .iter()
        .find(|x| x.name == m)
        .unwrap()
        .host
        .clone()
}

fn secs(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

fn main() {
    let lab = common::lab(&LAB, 14, "debian");
    let runs: usize = std::env::var("PGTUI_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let scale = std::env::var("PGTUI_BENCH_PITR_SCALE").unwrap_or_else(|_| "20".into());
    let (leader, _) = lab.settle();
    let h = host(lab, &leader);
    let out = Command::new("pgbench")
        .args([
            "-i",
            "-s",
            &scale,
            "-q",
            "-h",
            &h,
            "-p",
            "5432",
            "-U",
            &lab.info.superuser,
            "postgres",
        ])
        .env("PGPASSWORD", &lab.info.superuser_password)
        .output()
        .expect("pgbench (postgresql-contrib)");
    assert!(out.status.success(), "{}", common::output_text(&out));
    let size = psql(
        lab,
        &h,
        "select pg_size_pretty(pg_database_size('postgres'))",
    );
    let out = pgtui(lab, &["backup", "pg-test", "--type", "full", "--yes"]);
    assert!(out.status.success(), "{}", common::output_text(&out));
    println!("database {size}, pgbench scale {scale}, {runs} run(s)");
    println!("| run | total | pgBackRest restore | recovery | Patroni (pause, stop, lead, verify) | rebuild replicas | new full backup | pgtui's own |");
    println!("|---|---|---|---|---|---|---|---|");
    for run in 1..=runs {
        let (leader, _) = lab.settle();
        let h = host(lab, &leader);
        psql(lab, &h, "create table if not exists bench_marker(v text)");
        psql(lab, &h, "delete from bench_marker");
        psql(lab, &h, "insert into bench_marker values ('A')");
        std::thread::sleep(Duration::from_millis(1200));
        let t = chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S+00:00")
            .to_string();
        std::thread::sleep(Duration::from_millis(1200));
        psql(lab, &h, "insert into bench_marker values ('B')");
        let ok = common::wait_for(Duration::from_secs(90), || {
            psql(lab, &h, "select pg_switch_wal()");
            pgtui(lab, &["restore", "pg-test", "--to", &t, "--dry-run"])
                .status
                .success()
                .then_some(())
        });
        assert!(ok.is_some(), "the WAL past {t} was never archived");
        let t0 = Instant::now();
        let out = pgtui(
            lab,
            &["restore", "pg-test", "--to", &t, "--yes", "-f", "json"],
        );
        let total = t0.elapsed();
        assert!(out.status.success(), "{}", common::output_text(&out));
        let (leader, _) = lab.settle();
        assert_eq!(
            psql(
                lab,
                &host(lab, &leader),
                "select string_agg(v, ',') from bench_marker"
            ),
            "A"
        );
        let jobs: Value =
            serde_json::from_slice(&pgtui(lab, &["jobs", "pg-test", "-f", "json"]).stdout)
                .expect("jobs -f json");
        let job = jobs
            .as_array()
            .and_then(|j| j.iter().rev().find(|j| j["kind"] == "restore"))
            .cloned()
            .expect("the restore job");
        let step = |n: &str| {
            job["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["name"] == n)
                .and_then(|s| s["ms"].as_u64())
                .unwrap_or(0)
        };
        let all: u64 = [
            "pause", "stop", "restore", "recover", "lead", "rebuild", "backup", "verify",
        ]
        .iter()
        .map(|n| step(n))
        .sum();
        let total_ms = total.as_millis() as u64;
        println!(
            "| {run} | {} | {} | {} | {} | {} | {} | {} |",
            secs(total_ms),
            secs(step("restore")),
            secs(step("recover")),
            secs(step("pause") + step("stop") + step("lead") + step("verify")),
            secs(step("rebuild")),
            secs(step("backup")),
            secs(total_ms.saturating_sub(all)),
        );
    }
}
