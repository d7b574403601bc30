//! Fleet-scale figures for the README (`cargo bench --bench fleet`).
//!
//! Starts its own hardened lab (index 15: etcd over TLS, Patroni's etcd
//! user confined to `/service/`), loads synthetic clusters copied from the
//! lab's own keys with `pgtui lab fleet` (members refusing every
//! connection), first 1,000 then 5,000 in all, and measures at each size:
//! 1. `pgtui list -f json` over the namespace against `etcdctl get --prefix
//!    -w json` as the same user: wall time and peak RSS (GNU time), median
//!    of `PGTUI_BENCH_RUNS` (5);
//! 2. the console's first frame (real binary in tmux) focused on pg-test,
//!    and on the fleet screen;
//! 3. idle CPU and RSS of the console focused on pg-test, and idle CPU of
//!    the fleet screen, over `PGTUI_BENCH_IDLE_SECS` (30).
//!
//! Needs tmux, etcdctl and GNU time (`/usr/bin/time`).

#[path = "../common/mod.rs"]
mod common;

use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static LAB: OnceLock<common::SharedLab> = OnceLock::new();

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median<T: PartialOrd + Copy>(mut v: Vec<T>) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn tmux(args: &[&str]) -> std::process::Output {
    Command::new("tmux").args(args).output().expect("tmux")
}

/// Runs `cmd` under GNU time: (wall seconds, peak RSS in MiB).
fn timed(cmd: &mut Command) -> (f64, f64) {
    let report = std::env::temp_dir().join("pgtui-bench-fleet.time");
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(&report)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdout(std::process::Stdio::null());
    let t0 = Instant::now();
    let out = timed
        .output()
        .expect("/usr/bin/time (apt-get install time)");
    let wall = t0.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd.get_program(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&report).unwrap();
    let kb: f64 = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    (wall, kb / 1024.0)
}

fn etcdctl_get(lab: &common::SharedLab) -> Command {
    let mut c = Command::new("etcdctl");
    let urls: Vec<String> = lab
        .info
        .etcd_endpoints
        .iter()
        .map(|e| format!("{}://{e}", lab.info.etcd_scheme))
        .collect();
    c.env("ETCDCTL_API", "3")
        .arg(format!("--endpoints={}", urls.join(",")));
    if let Some(ca) = &lab.info.ca_file {
        c.arg(format!("--cacert={}", ca.display()));
    }
    if let (Some(u), Some(p)) = (&lab.info.etcd_user, &lab.info.etcd_password) {
        c.arg(format!("--user={u}:{p}"));
    }
    c.args(["get", "--prefix", &lab.info.namespace, "-w", "json"]);
    c
}

fn pgtui_list(lab: &common::SharedLab) -> Command {
    let mut c = Command::new(common::bin());
    c.arg("-c")
        .arg(lab.fleet_config())
        .args(["list", "-f", "json"])
        .env("PGTUI_SETTINGS", "/dev/null");
    c
}

/// The console in tmux with `args`, until the pane shows `ready`; returns
/// the time it took, the session left running.
fn console(lab: &common::SharedLab, session: &str, args: &str, ready: &str) -> Duration {
    let cmd = format!(
        "PGTUI_SETTINGS=/dev/null exec {} -c {} {args}",
        common::bin().display(),
        lab.fleet_config().display()
    );
    let t0 = Instant::now();
    tmux(&[
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "160",
        "-y",
        "48",
        &cmd,
    ]);
    loop {
        let out = tmux(&["capture-pane", "-p", "-t", session]);
        let screen = String::from_utf8_lossy(&out.stdout);
        if screen.contains(ready) {
            return t0.elapsed();
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no frame with {ready:?}:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn pane_pid(session: &str) -> u32 {
    String::from_utf8_lossy(&tmux(&["display-message", "-p", "-t", session, "#{pane_pid}"]).stdout)
        .trim()
        .parse()
        .unwrap()
}

fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let f: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    (f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()) as f64 / 100.0
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb / 1024.0
}

/// Idle CPU (percent of one core) and RSS of a console left running.
fn idle(session: &str, secs: u64) -> (f64, f64) {
    let pid = pane_pid(session);
    // Past its start-up work.
    std::thread::sleep(Duration::from_secs(5));
    let c0 = cpu_secs(pid);
    std::thread::sleep(Duration::from_secs(secs));
    let c1 = cpu_secs(pid);
    ((c1 - c0) * 100.0 / secs as f64, rss_mib(pid))
}

fn load(lab: &common::SharedLab, clusters: usize, prefix: &str) {
    let out = Command::new(common::bin())
        .args(["lab", "fleet", "--dir"])
        .arg(&lab.info.dir)
        .args(["--clusters", &clusters.to_string(), "--prefix", prefix])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::output_text(&out));
}

fn main() {
    let lab = common::lab_styled(&LAB, 15, "debian", "autobase");
    let runs = env_num("PGTUI_BENCH_RUNS", 5) as usize;
    let idle_secs = env_num("PGTUI_BENCH_IDLE_SECS", 30);
    tmux(&["new-session", "-d", "-s", "pgtui-bench-fleet-keep"]);
    let mut table = vec![];
    for (size, add, prefix) in [(1000usize, 1000usize, "fleet-"), (5000, 4000, "more-")] {
        load(lab, add, prefix);
        let real = lab.info.clusters.len();
        let total = size + real;
        let (mut pw, mut pr, mut ew, mut er) = (vec![], vec![], vec![], vec![]);
        for _ in 0..runs {
            let (w, r) = timed(&mut pgtui_list(lab));
            pw.push(w);
            pr.push(r);
            let (w, r) = timed(&mut etcdctl_get(lab));
            ew.push(w);
            er.push(r);
        }
        let (pw, pr, ew, er) = (median(pw), median(pr), median(ew), median(er));
        table.push(format!(
            "| {size} | `list -f json` vs `etcdctl get --prefix`, wall | {:.0} ms | {:.0} ms | {:.2}× |",
            pw * 1000.0,
            ew * 1000.0,
            pw / ew
        ));
        table.push(format!(
            "| {size} | the same, peak RSS | {pr:.1} MiB | {er:.1} MiB | {:.2}× |",
            pr / er
        ));

        let mut one = vec![];
        let mut all = vec![];
        for i in 0..runs {
            let s = format!("pgtui-bench-fleet-one-{i}");
            one.push(console(lab, &s, "--cluster pg-test", "★ Leader"));
            tmux(&["kill-session", "-t", &s]);
            let s = format!("pgtui-bench-fleet-all-{i}");
            all.push(console(lab, &s, "", &format!("{total} clusters")));
            tmux(&["kill-session", "-t", &s]);
        }
        table.push(format!(
            "| {size} | console first frame, on pg-test / on the fleet | {:.0} ms / {:.0} ms | | |",
            median(one).as_secs_f64() * 1000.0,
            median(all).as_secs_f64() * 1000.0
        ));

        let s = "pgtui-bench-fleet-idle-one";
        console(lab, s, "--cluster pg-test", "★ Leader");
        let (cpu, rss) = idle(s, idle_secs);
        tmux(&["kill-session", "-t", s]);
        table.push(format!(
            "| {size} | console on pg-test, idle {idle_secs} s: CPU, RSS | {cpu:.2} % , {rss:.1} MiB | | |"
        ));
        let s = "pgtui-bench-fleet-idle-all";
        console(lab, s, "", &format!("{total} clusters"));
        let (cpu, rss) = idle(s, idle_secs);
        tmux(&["kill-session", "-t", s]);
        table.push(format!(
            "| {size} | fleet screen, idle {idle_secs} s: CPU, RSS | {cpu:.2} % , {rss:.1} MiB | | |"
        ));
    }
    tmux(&["kill-session", "-t", "pgtui-bench-fleet-keep"]);
    println!("| clusters | measure | pgtui | etcdctl | ratio |");
    println!("|---|---|---|---|---|");
    for row in table {
        println!("{row}");
    }
}
