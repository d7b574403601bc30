//! Console benchmarks against a real lab (README "Benchmarks").
//!
//! 1. Time to first full frame: the real binary in tmux, from spawn until
//!    the pane shows the leader.
//! 2. etcd change → frame containing it: the real sources, model and views
//!    in-process (the console's own code path minus the terminal write),
//!    from just before an etcd put until a rendered frame shows the change.
//! 3. Idle cost: the real binary in tmux for `PGTUI_BENCH_IDLE_SECS` (60):
//!    CPU seconds from /proc and bytes the console wrote to its pty.
//! 4. Render time with a synthetic fleet of 1,000 clusters × 3 members
//!    loaded into the lab's etcd.

#[path = "../common/mod.rs"]
mod common;

use pgtui::config::{resolve, Inputs};
use pgtui::tui::screen::Screen;
use pgtui::tui::theme::Theme;
use pgtui::tui::App;
use ratatui::layout::Rect;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

static LAB: OnceLock<common::SharedLab> = OnceLock::new();

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn tmux(args: &[&str]) -> std::process::Output {
    Command::new("tmux").args(args).output().expect("tmux")
}

fn console_cmd(lab: &common::SharedLab) -> String {
    format!(
        "PGTUI_SETTINGS=/dev/null {} -c {} --cluster pg-test",
        common::bin().display(),
        lab.info.patronictl_config.display()
    )
}

fn first_frame(lab: &common::SharedLab) -> Vec<Duration> {
    (0..10)
        .map(|i| {
            let s = format!("pgtui-bench-ff-{i}");
            let t0 = Instant::now();
            tmux(&[
                "new-session",
                "-d",
                "-s",
                &s,
                "-x",
                "160",
                "-y",
                "48",
                &console_cmd(lab),
            ]);
            let d = loop {
                let out = tmux(&["capture-pane", "-p", "-t", &s]);
                let screen = String::from_utf8_lossy(&out.stdout);
                if screen.contains("★ Leader") {
                    break t0.elapsed();
                }
                assert!(
                    t0.elapsed() < Duration::from_secs(20),
                    "no first frame:\n{screen}\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                std::thread::sleep(Duration::from_millis(5));
            };
            tmux(&["kill-session", "-t", &s]);
            d
        })
        .collect()
}

fn idle(lab: &common::SharedLab, secs: u64) -> (f64, u64) {
    let s = "pgtui-bench-idle";
    let log = std::env::temp_dir().join("pgtui-bench-idle.bytes");
    let _ = std::fs::remove_file(&log);
    tmux(&[
        "new-session",
        "-d",
        "-s",
        s,
        "-x",
        "160",
        "-y",
        "48",
        &console_cmd(lab),
    ]);
    std::thread::sleep(Duration::from_secs(5));
    let pid =
        String::from_utf8_lossy(&tmux(&["display-message", "-p", "-t", s, "#{pane_pid}"]).stdout)
            .trim()
            .parse::<u32>()
            .unwrap();
    let cpu = || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let f: Vec<&str> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        (f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()) as f64 / 100.0
    };
    tmux(&[
        "pipe-pane",
        "-o",
        "-t",
        s,
        &format!("cat >> {}", log.display()),
    ]);
    let c0 = cpu();
    std::thread::sleep(Duration::from_secs(secs));
    let c1 = cpu();
    tmux(&["pipe-pane", "-t", s]);
    tmux(&["kill-session", "-t", s]);
    let bytes = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    (c1 - c0, bytes * 60 / secs)
}

fn main() {
    let lab = common::lab(&LAB, 8, "debian");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut rows: Vec<(String, String)> = vec![];

    // A keeper session holds the tmux server up between measurements, so a
    // server start never lands inside a timing.
    tmux(&["new-session", "-d", "-s", "pgtui-bench-keep"]);
    let mut ff = first_frame(lab);
    rows.push((
        "time to first full frame (real binary, tmux), median of 10".into(),
        ms(pct(&mut ff, 0.5)),
    ));

    // In-process: the console's sources, model and views.
    let cfg = resolve(
        &Inputs {
            config_file: Some(lab.info.patronictl_config.clone()),
            settings_file: Some("/dev/null".into()),
            ..Default::default()
        },
        &|_| None,
    )
    .unwrap();
    let endpoints: Vec<String> = lab
        .info
        .etcd_endpoints
        .iter()
        .map(|e| format!("http://{e}"))
        .collect();
    rt.block_on(async {
        let session = pgtui::session::Session::start(cfg.clone(), pgtui::sources::Scope::all());
        session.wait_first_data().await.unwrap();
        let mut app = App::new(None, Theme::built_in("dark").unwrap());
        app.ui.go(Screen::Fleet);
        let mut etcd = etcd_client::Client::connect(&endpoints, None).await.unwrap();
        let mut changes = session.model.subscribe();
        let mut lat = vec![];
        for i in 0..200 {
            let name = format!("bench-{i:04}");
            let t0 = Instant::now();
            etcd.put(format!("/pg/{name}/leader"), "m1", None).await.unwrap();
            loop {
                changes.changed().await.unwrap();
                let frame = session.model.read(|m| app.render(Rect::new(0, 0, 160, 300), m, SystemTime::now()));
                let text: String = frame.content.iter().map(|c| c.symbol()).collect();
                if text.contains(&name) {
                    lat.push(t0.elapsed());
                    break;
                }
            }
        }
        etcd.delete("/pg/bench-", Some(etcd_client::DeleteOptions::new().with_prefix())).await.unwrap();
        rows.push(("etcd change → frame containing it, p50 (200 puts)".into(), ms(pct(&mut lat, 0.5))));
        rows.push(("etcd change → frame containing it, p99 (200 puts)".into(), ms(pct(&mut lat, 0.99))));

        // 1,000 clusters × 3 members.
        let member = |c: usize, m: usize, role: &str| format!(r#"{{"conn_url":"postgres://127.0.8.{}:5432/postgres","api_url":"http://127.0.8.{}:8008/patroni","state":"running","role":"{role}","version":"3.0.2","xlog_location":{},"timeline":3}}"#, 20 + m, 20 + m, 50_000_000 + c * 1000 + m);
        for c in 0..1000 {
            let p = format!("/pg/fleet-{c:04}/");
            let mut txn = vec![etcd_client::TxnOp::put(format!("{p}leader"), "fleet-1", None), etcd_client::TxnOp::put(format!("{p}initialize"), "7710000000000000000", None), etcd_client::TxnOp::put(format!("{p}status"), r#"{"optime":50001000}"#, None)];
            for m in 1..=3 {
                txn.push(etcd_client::TxnOp::put(format!("{p}members/fleet-{m}"), member(c, m, if m == 1 { "master" } else { "replica" }), None));
            }
            etcd.txn(etcd_client::Txn::new().and_then(txn)).await.unwrap();
        }
        let loaded = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                if session.model.read(|m| m.clusters.len()) >= 1002 {
                    break;
                }
                changes.changed().await.unwrap();
            }
        })
        .await;
        assert!(loaded.is_ok(), "the fleet never fully loaded");
        for (screen, label) in [(Screen::Fleet, "fleet"), (Screen::Cluster, "cluster")] {
            let mut app = App::new(Some("fleet-0500".into()), Theme::built_in("dark").unwrap());
            app.ui.go(screen);
            let mut times = vec![];
            for _ in 0..50 {
                let t0 = Instant::now();
                let f = session.model.read(|m| app.render(Rect::new(0, 0, 160, 48), m, SystemTime::now()));
                times.push(t0.elapsed());
                std::hint::black_box(f);
            }
            rows.push((format!("render, 1,000 clusters × 3 members, {label} screen 160×48, median of 50"), ms(pct(&mut times, 0.5))));
        }
        etcd.delete("/pg/fleet-", Some(etcd_client::DeleteOptions::new().with_prefix())).await.unwrap();
    });

    let secs = std::env::var("PGTUI_BENCH_IDLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let (cpu, bytes) = idle(lab, secs);
    rows.push((
        format!("idle CPU over {secs} s (real binary)"),
        format!("{:.2} s ({:.2} %)", cpu, cpu * 100.0 / secs as f64),
    ));
    rows.push((
        "bytes written per idle minute (real binary, pty)".into(),
        format!("{bytes}"),
    ));

    tmux(&["kill-session", "-t", "pgtui-bench-keep"]);
    println!("\n| measure | value |\n|---|---|");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
}
