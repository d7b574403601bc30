//! End to end: the real binary in tmux against the lab. Open the console,
//! see the leader; switch over with patronictl and see the new leader and
//! the timeline bump on screen soon after Patroni writes the leader key;
//! freeze every etcd member and see the stale banner; thaw and recover.

use super::tmux::Tmux;
use crate::common::{wait_for, SharedLab};
use std::process::Command;
use std::time::{Duration, Instant};

/// The timeline in the header (`… leader X  TL 7 …`); the line may end
/// right after the number, and capture-pane drops trailing blanks.
fn header_tl(screen: &str) -> Option<u64> {
    screen
        .lines()
        .find(|l| l.contains(" leader "))?
        .split(" TL ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn signal_all(pids: &[i32], sig: nix::sys::signal::Signal) {
    for p in pids {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(*p), sig);
    }
}

pub fn console_follows_switchover_and_etcd_outage(lab: &SharedLab) {
    let _x = lab.lock();
    lab.settle();
    let t = Tmux::start(lab, 160, 48);
    let leader = lab.leader_key();
    let first = t.wait_screen(Duration::from_secs(15), |s| {
        s.contains(&format!("leader {leader}")) && s.contains("★ Leader")
    });
    assert!(
        first.is_some(),
        "the console never showed leader {leader}:\n{}",
        t.screen()
    );
    let tl: u64 = header_tl(&first.unwrap()).expect("timeline on screen");

    // Switch over; time from the leader key changing to the screen showing it.
    let candidate = lab.candidates()[0].clone();
    let ctl = lab.info.patronictl.clone();
    let cfg = lab.info.patronictl_config.clone();
    let (l2, c2) = (leader.clone(), candidate.clone());
    let switch = std::thread::spawn(move || {
        Command::new(ctl)
            .arg("-c")
            .arg(cfg)
            .args([
                "switchover",
                "pg-test",
                "--leader",
                &l2,
                "--candidate",
                &c2,
                "--force",
            ])
            .output()
            .unwrap()
    });
    let key_changed = wait_for(Duration::from_secs(60), || {
        (lab.leader_key() == candidate).then(Instant::now)
    })
    .expect("the leader key never moved");
    let want = format!("leader {candidate}");
    let leader_shown = t.wait_screen(Duration::from_secs(10), |s| s.contains(&want));
    let delay = key_changed.elapsed();
    // The new timeline comes when Patroni publishes it, after the promote:
    // its own time, not the console's, so it is waited for without a bound
    // on the delay.
    let shown = leader_shown.and_then(|_| {
        t.wait_screen(Duration::from_secs(10), |s| {
            s.contains(&want) && header_tl(s) == Some(tl + 1)
        })
    });
    let out = switch.join().unwrap();
    assert!(
        out.status.success(),
        "patronictl switchover: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        shown.is_some(),
        "new leader {candidate} on TL {} never shown:\n{}",
        tl + 1,
        t.screen()
    );
    // The leader key is polled every 50 ms here, so the bound includes that.
    assert!(
        delay <= Duration::from_secs(2),
        "new leader shown {delay:?} after the leader key changed (limit 2 s)"
    );
    eprintln!("switchover: leader key → screen in {delay:?}");

    // Freeze every etcd member: the stale banner within 5 s, saying what a
    // frozen etcd is (connected, not answering), not "unreachable".
    let pids = lab.etcd_pids();
    signal_all(&pids, nix::sys::signal::Signal::SIGSTOP);
    let froze = Instant::now();
    let banner = t.wait_screen(Duration::from_secs(8), |s| {
        s.contains("⚠ etcd NOT ANSWERING")
    });
    let banner_after = froze.elapsed();
    // Still usable while etcd is down: switch screens.
    t.keys("2");
    let usable = t.wait_screen(Duration::from_secs(3), |s| {
        s.contains("history (newest first)")
    });
    signal_all(&pids, nix::sys::signal::Signal::SIGCONT);
    assert!(
        banner.is_some(),
        "no stale banner after freezing etcd:\n{}",
        t.screen()
    );
    assert!(
        banner_after <= Duration::from_secs(5),
        "stale banner after {banner_after:?} (limit 5 s)"
    );
    assert!(
        usable.is_some(),
        "the console stopped answering keys while etcd was frozen:\n{}",
        t.screen()
    );
    eprintln!("etcd frozen → stale banner in {banner_after:?}");

    t.keys("1");
    let recovered = t.wait_screen(Duration::from_secs(20), |s| {
        !s.contains("⚠ etcd NOT ANSWERING") && s.contains("etcd ● live")
    });
    assert!(
        recovered.is_some(),
        "the console did not recover after etcd resumed:\n{}",
        t.screen()
    );
    // Leave the cluster healthy for the next test.
    let healthy = wait_for(Duration::from_secs(60), || {
        let out = lab.pgtui(&["list", "pg-test", "-f", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        v["clusters"][0]["members"]
            .as_array()?
            .iter()
            .all(|m| matches!(m["state"].as_str(), Some("running" | "streaming")))
            .then_some(())
    });
    assert!(healthy.is_some(), "pg-test did not settle");

    // Losing the terminal (the pty closes, as when SSH drops) ends pgtui
    // within 2 s.
    let out = Command::new("tmux")
        .args(["display-message", "-p", "-t", &t.session, "#{pane_pid}"])
        .output()
        .unwrap();
    let pane: i32 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("pane pid");
    // The pane runs `sh -c "... pgtui ..."`: pgtui is the pane or its child.
    let children = Command::new("pgrep")
        .args(["-P", &pane.to_string()])
        .output()
        .unwrap();
    let mut pids: Vec<i32> = String::from_utf8_lossy(&children.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    pids.push(pane);
    let _ = Command::new("tmux")
        .args(["kill-session", "-t", &t.session])
        .status();
    let gone = wait_for(Duration::from_secs(2), || {
        pids.iter()
            .all(|p| !std::path::Path::new(&format!("/proc/{p}")).exists())
            .then_some(())
    });
    assert!(
        gone.is_some(),
        "pgtui ({pids:?}) still running 2 s after its terminal closed"
    );
}
