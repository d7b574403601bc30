//! One switchover under write load, measured: shared by the lab test
//! (`lab_suite/write_load.rs`) and the `outage` bench, so the README's
//! figure and the test measure the same thing. Include `writer.rs` next to
//! it as `writer`.

use super::writer::{query, Log, Target, Writer, TABLE, WHO};
use crate::common::{bin, wait_for, SharedLab};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// One switchover under write load, measured.
pub struct Run {
    pub exit_code: i32,
    pub report: Value,
    pub log: Log,
    pub switchover_started: Instant,
    pub switchover_done: Instant,
    /// Ids on the new primary, and who answered the read.
    pub present: Result<(BTreeSet<i64>, String), String>,
}

impl Run {
    pub fn lost(&self) -> Vec<i64> {
        let Ok((present, _)) = &self.present else {
            return vec![];
        };
        self.log
            .acked
            .iter()
            .map(|a| a.0)
            .filter(|id| !present.contains(id))
            .collect()
    }

    pub fn acked_before(&self) -> usize {
        self.log
            .acked
            .iter()
            .filter(|a| a.1 < self.switchover_started)
            .count()
    }

    pub fn acked_after(&self) -> usize {
        self.log
            .acked
            .iter()
            .filter(|a| a.1 > self.switchover_done)
            .count()
    }

    /// In-doubt ids that did commit.
    pub fn in_doubt_committed(&self) -> usize {
        match &self.present {
            Ok((p, _)) => self.log.in_doubt.iter().filter(|id| p.contains(id)).count(),
            Err(_) => 0,
        }
    }

    /// The longest gap between consecutive acknowledged commits from the
    /// switchover's start to the end of writing: (last ack before it, first
    /// ack after it).
    pub fn outage(&self) -> Option<(Instant, Instant)> {
        self.log
            .acked
            .windows(2)
            .map(|w| (w[0].1, w[1].1))
            .filter(|(_, b)| *b > self.switchover_started)
            .max_by_key(|(a, b)| *b - *a)
    }

    /// What the writer lived through, times relative to the switchover's start.
    pub fn describe(&self) -> String {
        let at = |t: &Instant| {
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            if *t >= self.switchover_started {
                format!("{:+.0} ms", ms(*t - self.switchover_started))
            } else {
                format!("-{:.0} ms", ms(self.switchover_started - *t))
            }
        };
        let mut s = format!(
            "switchover command: {} (exit {})\nacked {} ({} before, {} after the command), in doubt {} ({} committed), lost {:?}\n",
            at(&self.switchover_done),
            self.exit_code,
            self.log.acked.len(),
            self.acked_before(),
            self.acked_after(),
            self.log.in_doubt.len(),
            self.in_doubt_committed(),
            self.lost()
        );
        if let Some((a, b)) = self.outage() {
            s += &format!(
                "outage: {} → {} ({} ms)\n",
                at(&a),
                at(&b),
                (b - a).as_millis()
            );
        }
        let mut events: Vec<(Instant, String)> = (self.log.sessions.iter())
            .map(|(t, who)| (*t, format!("session on {who}")))
            .chain(
                self.log
                    .failures
                    .iter()
                    .map(|(t, e)| (*t, format!("error: {e}"))),
            )
            .collect();
        events.sort_by_key(|e| e.0);
        // Reconnect loops repeat one error many times: show each run once.
        for run in events.chunk_by(|a, b| a.1 == b.1) {
            let (first, last) = (&run[0], &run[run.len() - 1]);
            s += &format!("  {:>9}  {}", at(&first.0), first.1);
            if run.len() > 1 {
                s += &format!(" (×{}, until {})", run.len(), at(&last.0));
            }
            s += "\n";
        }
        s
    }
}

/// Writes through `t`, switches over to `candidate` with the real binary,
/// keeps writing until writes resume (at most 30 s) plus 3 s, then reads every
/// id back through the same service. The table is dropped at the end.
pub fn switchover_under_load(lab: &SharedLab, t: &Target, candidate: &str) -> Run {
    let create = format!(
        "DROP TABLE IF EXISTS {TABLE}; CREATE TABLE {TABLE} \
         (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())"
    );
    let created = wait_for(Duration::from_secs(30), || query(t, &create).ok());
    assert!(
        created.is_some(),
        "cannot create {TABLE} through {}:{}",
        t.host,
        t.port
    );
    let writer = Writer::start(t.clone());
    wait_for(Duration::from_secs(10), || {
        (writer.acks.load(Ordering::Relaxed) >= 100).then_some(())
    });

    let audit = std::env::temp_dir().join(format!(
        "pgtui-audit-write-load-{}.jsonl",
        std::process::id()
    ));
    let switchover_started = Instant::now();
    let out = Command::new(bin())
        .arg("-c")
        .arg(&lab.info.patronictl_config)
        .args([
            "switchover",
            "pg-test",
            "--candidate",
            candidate,
            "--yes",
            "-f",
            "json",
        ])
        .env("PGTUI_SETTINGS", "/dev/null")
        .env("PGTUI_AUDIT_LOG", &audit)
        .output()
        .expect("run pgtui switchover");
    let switchover_done = Instant::now();
    let _ = std::fs::remove_file(&audit);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        Value::String(format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    });

    let seen = writer.acks.load(Ordering::Relaxed);
    wait_for(Duration::from_secs(30), || {
        (writer.acks.load(Ordering::Relaxed) > seen).then_some(())
    });
    std::thread::sleep(Duration::from_secs(3));
    let log = writer.stop();

    let read = format!("SELECT {WHO}, string_agg(id::text, ',') FROM {TABLE}");
    let present = wait_for(Duration::from_secs(30), || {
        let r = query(t, &read).ok()?;
        let (who, ids) = (r[0][0].clone(), &r[0][1]);
        let ids = ids.split(',').filter_map(|s| s.parse().ok()).collect();
        (!who.ends_with("=true")).then_some((ids, who))
    })
    .ok_or_else(|| {
        format!(
            "could not read {TABLE} back from a primary through {}:{}",
            t.host, t.port
        )
    });
    wait_for(Duration::from_secs(30), || {
        query(t, &format!("DROP TABLE IF EXISTS {TABLE}")).ok()
    });
    Run {
        exit_code: out.status.code().unwrap_or(-1),
        report,
        log,
        switchover_started,
        switchover_done,
        present,
    }
}
