//! A switchover while a client writes through HAProxy's primary service
//! loses no committed row (issue requirement), and writes resume on the new
//! primary. The write outage is printed, never asserted: it depends on the
//! machine and on HAProxy's check interval (1 s, rise/fall 2 in the lab).
//! The writer and the measurement are shared with the `outage` bench
//! (`tests/common/writer.rs`, `tests/common/switchover_run.rs`).

#[path = "../common/switchover_run.rs"]
mod run;
#[path = "../common/writer.rs"]
mod writer;

use crate::common::SharedLab;
use run::switchover_under_load;
use writer::Target;

pub fn switchover_under_write_load_loses_no_committed_row(lab: &SharedLab) {
    let _x = lab.lock();
    let (leader, _) = lab.settle();
    let candidates = lab.candidates();
    let candidate = &candidates[0];
    let t = Target::primary_service(lab);
    let run = switchover_under_load(lab, &t, candidate);
    eprintln!(
        "switchover {leader} → {candidate} under writes through {}:{}\n{}",
        t.host,
        t.port,
        run.describe()
    );
    assert_eq!(run.exit_code, 0, "switchover: {}", run.report);
    assert_eq!(run.report["outcome"], "verified", "{}", run.report);
    let (new_leader, _) = lab.settle();
    assert_eq!(&new_leader, candidate, "patronictl sees the new leader");
    assert!(
        run.acked_before() > 0,
        "the writer never wrote before the switchover"
    );
    let (_, reader) = run.present.as_ref().expect("read back the rows");
    assert!(
        reader.starts_with(&format!("{} ", host_of(lab, candidate))),
        "rows read back from {reader}, not from {candidate}"
    );
    assert_eq!(
        run.lost(),
        Vec::<i64>::new(),
        "acknowledged rows missing on the new primary"
    );
    assert!(
        run.acked_after() > 0,
        "writes never resumed after the switchover"
    );
}

fn host_of(lab: &SharedLab, member: &str) -> String {
    lab.info
        .clusters
        .iter()
        .flat_map(|c| &c.members)
        .find(|m| m.name == member)
        .map(|m| m.host.clone())
        .unwrap_or_default()
}
