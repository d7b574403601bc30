//! Write outage of a switchover (README "Switchover under write load").
//!
//! Starts its own lab (index 9, Debian's Patroni), then runs
//! `PGTUI_BENCH_SWITCHOVERS` (5) switchovers with the real binary while a
//! client writes one row per autocommit transaction every 10 ms through
//! HAProxy's primary service, rotating the leader through all members. Per
//! run: the outage (last acknowledged commit before the gap → first after
//! it), how long `pgtui switchover` took until verified, rows acknowledged,
//! rows in doubt and rows lost (acknowledged but missing on the new primary).
//! The writer and the measurement are the lab test's (`tests/common/writer.rs`,
//! `tests/common/switchover_run.rs`).

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/switchover_run.rs"]
mod run;
#[path = "../common/writer.rs"]
mod writer;

use run::switchover_under_load;
use std::sync::OnceLock;
use std::time::Duration;
use writer::Target;

static LAB: OnceLock<common::SharedLab> = OnceLock::new();

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

fn p50(mut v: Vec<u128>) -> u128 {
    v.sort();
    v[(v.len() - 1) / 2]
}

fn main() {
    let n: usize = std::env::var("PGTUI_BENCH_SWITCHOVERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let lab = common::lab(&LAB, 9, "debian");
    let t = Target::primary_service(lab);
    println!(
        "Patroni {}, writer through HAProxy {}:{} (primary service)",
        lab.info.patroni_version, t.host, t.port
    );
    println!("\n| run | switchover | command until verified | outage | rows acked | in doubt (committed) | lost |");
    println!("|---|---|---|---|---|---|---|");
    let (mut outages, mut commands, mut lost_total) = (vec![], vec![], 0);
    for i in 1..=n {
        let (leader, replicas) = lab.settle();
        // The next member after the leader, so the leader rotates.
        let candidate = replicas
            .iter()
            .find(|r| **r > leader)
            .unwrap_or(&replicas[0])
            .clone();
        let run = switchover_under_load(lab, &t, &candidate);
        eprintln!("run {i}: {leader} → {candidate}\n{}", run.describe());
        assert_eq!(run.exit_code, 0, "run {i}: {}", run.report);
        assert!(run.present.is_ok(), "run {i}: {:?}", run.present.err());
        let lost = run.lost().len();
        lost_total += lost;
        let command = run.switchover_done - run.switchover_started;
        let outage = run.outage().map(|(a, b)| b - a).unwrap_or_default();
        println!(
            "| {i} | {leader} → {candidate} | {} ms | {} ms | {} | {} ({}) | {lost} |",
            ms(command),
            ms(outage),
            run.log.acked.len(),
            run.log.in_doubt.len(),
            run.in_doubt_committed()
        );
        outages.push(ms(outage));
        commands.push(ms(command));
    }
    lab.settle();
    println!(
        "\noutage p50 {} ms, max {} ms; switchover command p50 {} ms, max {} ms; rows lost {lost_total}",
        p50(outages.clone()),
        outages.iter().max().unwrap(),
        p50(commands.clone()),
        commands.iter().max().unwrap()
    );
    assert_eq!(lost_total, 0, "acknowledged rows were lost");
}
