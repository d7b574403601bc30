//! The members' logs through their agents, as `pgtui logs` and the
//! console's logs screen show them: after a switchover, the line Patroni
//! writes on the new leader when it takes the lock is found on that member,
//! at the time the switchover happened, both in `pgtui logs` (merged, in
//! UTC) and on the logs screen opened with Enter on the leader-change event.

use super::tmux::Tmux;
use crate::common::SharedLab;
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// What Patroni 3 and 4 both log on the candidate that took the lock.
const PROMOTED: &str = "promoted self to leader by acquiring session lock";

fn ms(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub fn a_switchover_is_found_in_the_merged_logs_at_its_time(lab: &SharedLab) {
    let _x = lab.lock();
    let (from, _) = lab.settle();
    let to = lab.candidates()[0].clone();
    let tmux = Tmux::start_with(
        lab,
        160,
        48,
        &format!("PGTUI_AGENT_TOKEN={}", lab.agent_token()),
        "",
    );
    tmux.wait_screen(Duration::from_secs(15), |s| s.contains("★ Leader"))
        .unwrap_or_else(|| panic!("the console did not start:\n{}", tmux.screen()));

    let before = SystemTime::now();
    lab.switchover(&from, &to);
    let after = SystemTime::now();

    // pgtui logs: the line, on the new leader, between before and after.
    let out = lab.pgtui(&[
        "logs", "pg-test", "--since", "3m", "--source", "patroni", "--grep", PROMOTED, "-f", "json",
    ]);
    assert!(
        out.status.success(),
        "pgtui logs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lines = v["lines"].as_array().unwrap();
    let found = lines
        .iter()
        .rev()
        .find(|l| l["member"] == to.as_str())
        .unwrap_or_else(|| panic!("no {PROMOTED:?} on {to}: {v:#}"));
    assert!(
        lines
            .iter()
            .all(|l| l["member"] == to.as_str() || ms(before) - l["ts_ms"].as_i64().unwrap() > 0),
        "the line of this switchover is on {to} only: {v:#}"
    );
    let ts = found["ts_ms"].as_i64().unwrap();
    assert!(
        ts >= ms(before) - 1000 && ts <= ms(after) + 1000,
        "the line is stamped {ts}, not within the switchover ({} .. {}): the UTC conversion is off",
        ms(before),
        ms(after)
    );

    // The console: the leader-change event, Enter, the logs at its time.
    tmux.keys("6");
    let event = format!("{to} (timeline");
    tmux.wait_screen(Duration::from_secs(15), |s| s.contains(&event))
        .unwrap_or_else(|| panic!("no leader-change event for {to}:\n{}", tmux.screen()));
    tmux.keys("/");
    tmux.type_text(&event);
    tmux.keys("Enter");
    tmux.keys("Enter");
    let screen = tmux
        .wait_screen(Duration::from_secs(20), |s| {
            s.contains("logs · all members")
                && s.lines().any(|l| l.contains(PROMOTED) && l.contains(&to))
        })
        .unwrap_or_else(|| {
            panic!(
                "the logs at the event do not show {PROMOTED:?} on {to}:\n{}",
                tmux.screen()
            )
        });
    // The cursor sits at the event's time: the promotion is within a few
    // lines of the marked one, not somewhere in the tail.
    let rows: Vec<&str> = screen.lines().collect();
    let mark = rows
        .iter()
        .position(|l| l.starts_with("│▶"))
        .unwrap_or_else(|| panic!("no line marked at the event:\n{screen}"));
    let promoted = rows
        .iter()
        .position(|l| l.contains(PROMOTED) && l.contains(&to))
        .unwrap();
    assert!(
        promoted.abs_diff(mark) <= 12,
        "the promotion is {} rows from the event's line:\n{screen}",
        promoted.abs_diff(mark)
    );
    assert!(screen.contains("not following"), "{screen}");
}
