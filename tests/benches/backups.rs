//! Backup figures for the README (`cargo bench --bench backups`), measured
//! side by side with the tool a DBA would otherwise run. It starts its own
//! lab (index 11) and prints a table; it never asserts on timing.
//!
//! - `pgtui backups pg-test -f json` against `pgbackrest --output=json
//!   info` on the leader's node: wall time, median and p90 of
//!   `PGTUI_BENCH_RUNS` (default 20) runs each, and the ratio. pgtui's
//!   answer also holds what `info` does not: the archiver, the archived
//!   segment list (the holes) and the agent's and etcd's round trips.
//! - The backups screen's first frame: the real binary in tmux, from start
//!   to the frame showing the lab's backup label, median of 10.

#[path = "../common/mod.rs"]
mod common;

use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static LAB: OnceLock<common::SharedLab> = OnceLock::new();

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn timed(mut cmd: Command, runs: usize) -> Vec<Duration> {
    (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            let out = cmd.output().expect("run");
            let d = t0.elapsed();
            assert!(out.status.success(), "{}", common::output_text(&out));
            d
        })
        .collect()
}

fn tmux(args: &[&str]) -> std::process::Output {
    Command::new("tmux").args(args).output().expect("tmux")
}

fn main() {
    let lab = common::lab(&LAB, 11, "debian");
    let runs: usize = std::env::var("PGTUI_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let (leader, _) = lab.settle();
    let pgtui = || {
        let mut c = Command::new(common::bin());
        c.arg("-c")
            .arg(&lab.info.patronictl_config)
            .args(["backups", "pg-test", "-f", "json"])
            .env("PGTUI_SETTINGS", "/dev/null")
            .env("PGTUI_AGENT_TOKEN", lab.agent_token());
        c
    };
    let pgbackrest = || {
        let mut c = Command::new("pgbackrest");
        c.arg(format!(
            "--config={}",
            lab.info.pgbackrest_configs[&leader].display()
        ))
        .arg(format!(
            "--config-include-path={}",
            lab.info.dir.join("conf/pgbackrest-conf.d").display()
        ))
        .args([
            "--stanza=pg-test",
            "--log-level-file=off",
            "--log-level-console=off",
            "--output=json",
            "info",
        ]);
        c
    };
    // One of each first, so neither pays for a cold cache alone.
    timed(pgtui(), 1);
    timed(pgbackrest(), 1);
    let mut ours = timed(pgtui(), runs);
    let mut theirs = timed(pgbackrest(), runs);
    let (o50, t50) = (pct(&mut ours, 0.5), pct(&mut theirs, 0.5));
    let (o90, t90) = (pct(&mut ours, 0.9), pct(&mut theirs, 0.9));

    let label = {
        let out = pgtui().output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["stanza"]["backups"][0]["label"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let settings = lab.info.dir.join("bench-settings.toml");
    std::fs::write(
        &settings,
        format!(
            "[agent]\ntoken_file = {:?}\n",
            lab.info
                .agent_token_file
                .as_ref()
                .unwrap()
                .display()
                .to_string()
        ),
    )
    .unwrap();
    let cmd = format!(
        "{} -c {} --settings {} --cluster pg-test",
        common::bin().display(),
        lab.info.patronictl_config.display(),
        settings.display()
    );
    let mut frames: Vec<Duration> = (0..10)
        .map(|i| {
            let s = format!("pgtui-bench-backups-{i}");
            let t0 = Instant::now();
            tmux(&["new-session", "-d", "-s", &s, "-x", "160", "-y", "48", &cmd]);
            // The backups screen is one key away; the key goes in at once
            // and the frame counts once the label is on it.
            tmux(&["send-keys", "-t", &s, "7"]);
            let d = loop {
                let out = tmux(&["capture-pane", "-p", "-t", &s]);
                if String::from_utf8_lossy(&out.stdout).contains(&label[..16]) {
                    break t0.elapsed();
                }
                assert!(t0.elapsed() < Duration::from_secs(20), "no backups frame");
                std::thread::sleep(Duration::from_millis(2));
            };
            tmux(&["kill-session", "-t", &s]);
            d
        })
        .collect();
    let f50 = pct(&mut frames, 0.5);
    println!("| measure | pgtui | pgbackrest | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| `pgtui backups -f json` vs `pgbackrest info --output=json`, median of {runs} | {} | {} | {:.2}× |",
        ms(o50),
        ms(t50),
        o50.as_secs_f64() / t50.as_secs_f64()
    );
    println!(
        "| the same, p90 | {} | {} | {:.2}× |",
        ms(o90),
        ms(t90),
        o90.as_secs_f64() / t90.as_secs_f64()
    );
    println!(
        "| backups screen, start to first frame with the sets (tmux), median of 10 | {} | | |",
        ms(f50)
    );
}
