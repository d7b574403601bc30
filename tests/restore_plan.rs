//! The point-in-time restore's preflight (`ops::restore_plan`), one row per
//! rule, on the recorded cluster and its recorded `pgbackrest info`: three
//! sets (full 21:01:07–21:01:11, full 21:13:02–21:13:04, incr 21:16:41–
//! 21:16:43) and WAL archived until 21:16:45.

#[path = "support/backup_model.rs"]
mod backup_model;
#[path = "support/sample_cluster.rs"]
mod sample_cluster;

use backup_model::{model, report};
use pgtui::model::agent::{Job, JobKind, JobState};
use pgtui::model::backup::BackupKind;
use pgtui::model::ClusterState;
use pgtui::ops::restore_plan::{plan, RestorePlan, Target};

/// 2026-11-21T21:16:58Z, the samples' capture time.
const NOW: i64 = 1_795_295_818;

fn cluster(drop: &[&str]) -> ClusterState {
    (*model(Some(report("pgbackrest-info.json", drop))).clusters["pg-test"]).clone()
}

fn at(t: &str) -> Target {
    Target::Time(t.into())
}

fn refused_with(p: &RestorePlan, words: &str) {
    assert!(
        p.preflight.refusals.iter().any(|r| r.contains(words)),
        "no refusal saying {words:?}: {:?}",
        p.preflight.refusals
    );
}

fn passes(p: &RestorePlan) {
    assert!(!p.preflight.refused(), "{:?}", p.preflight.refusals);
}

#[test]
fn a_time_inside_the_window_uses_the_newest_backup_stopped_before_it() {
    let p = plan(&cluster(&[]), &at("2026-11-21T21:14:00+00:00"), None, NOW);
    passes(&p);
    assert_eq!(p.set.as_deref(), Some("20261121-211302F"));
    assert_eq!(p.node.as_deref(), Some("pg-test-1"));
    assert_eq!(
        p.command.as_deref(),
        Some("pgbackrest --stanza=pg-test --delta --type=time '--target=2026-11-21 21:14:00+00' --set=20261121-211302F --target-action=promote restore"),
        "the plan names the set it chose and the time as pgBackRest parses it"
    );
    assert!(p
        .preflight
        .warnings
        .iter()
        .any(|w| w.contains("everything committed after 2026-11-21T21:14:00+00:00 is lost")));
    assert_eq!(p.preflight.plan.len(), 8, "{:?}", p.preflight.plan);
    // Another zone, resolved to UTC; the older full for an earlier target.
    let p = plan(&cluster(&[]), &at("2026-11-21T22:05:00+01:00"), None, NOW);
    passes(&p);
    assert_eq!(p.target_utc.as_deref(), Some("2026-11-21T21:05:00+00:00"));
    assert_eq!(p.set.as_deref(), Some("20261121-210107F"));
}

#[test]
fn targets_outside_the_window_or_without_a_zone_are_refused() {
    let c = cluster(&[]);
    refused_with(
        &plan(&c, &at("2026-11-21T21:00:00+00:00"), None, NOW),
        "before the oldest usable backup ended (2026-11-21 21:01:11Z)",
    );
    refused_with(
        &plan(&c, &at("2026-11-21T21:16:50+00:00"), None, NOW),
        "past the last archived WAL (2026-11-21 21:16:45Z)",
    );
    refused_with(
        &plan(&c, &at("2026-11-21 21:14:00"), None, NOW),
        "is not a time with a timezone",
    );
}

#[test]
fn a_hole_between_the_backup_and_the_target_is_refused() {
    let c = cluster(&["0000000D0000000000000028"]);
    let p = plan(
        &c,
        &at("2026-11-21T21:16:44+00:00"),
        Some("20261121-211302F"),
        NOW,
    );
    refused_with(
        &p,
        "WAL segments 0000000D0000000000000028..0000000D0000000000000028 (timeline 13) are missing",
    );
    // The incr backup ends after the hole: restoring from it crosses none.
    let p = plan(&c, &at("2026-11-21T21:16:44+00:00"), None, NOW);
    assert_eq!(p.set.as_deref(), Some("20261121-211302F_20261121-211641I"));
    passes(&p);
}

#[test]
fn a_named_set_must_exist_and_end_before_the_target() {
    let c = cluster(&[]);
    refused_with(
        &plan(
            &c,
            &at("2026-11-21T21:14:00+00:00"),
            Some("20990101-000000F"),
            NOW,
        ),
        "is not in stanza pg-test",
    );
    refused_with(
        &plan(
            &c,
            &at("2026-11-21T21:14:00+00:00"),
            Some("20261121-211302F_20261121-211641I"),
            NOW,
        ),
        "ended at 2026-11-21 21:16:43Z, after the target",
    );
    let p = plan(
        &c,
        &at("2026-11-21T21:14:00+00:00"),
        Some("20261121-210107F"),
        NOW,
    );
    passes(&p);
    assert!(p
        .command
        .as_deref()
        .unwrap()
        .contains("--set=20261121-210107F"));
}

#[test]
fn immediate_lsn_xid_and_name_targets() {
    let c = cluster(&[]);
    let p = plan(&c, &Target::Immediate, None, NOW);
    passes(&p);
    assert_eq!(p.set.as_deref(), Some("20261121-211302F_20261121-211641I"));
    assert!(p
        .command
        .as_deref()
        .unwrap()
        .contains("--type=immediate --set=20261121-211302F_20261121-211641I --target-action"));
    let p = plan(&c, &Target::Lsn("0/26000200".into()), None, NOW);
    passes(&p);
    assert_eq!(p.set.as_deref(), Some("20261121-211302F"));
    refused_with(
        &plan(&c, &Target::Lsn("0/1000000".into()), None, NOW),
        "no usable backup ended at or before LSN",
    );
    refused_with(
        &plan(&c, &Target::Lsn("zz".into()), None, NOW),
        "is not an LSN",
    );
    let p = plan(&c, &Target::Xid("1234".into()), None, NOW);
    passes(&p);
    assert!(p
        .preflight
        .warnings
        .iter()
        .any(|w| w.contains("cannot be checked against the window")));
}

#[test]
fn disk_jobs_agents_and_versions_are_checked() {
    let t = at("2026-11-21T21:14:00+00:00");
    // Too little room: the set is 30 MiB, the databases hold 1 MiB.
    let mut c = cluster(&[]);
    let r = &mut c.backups.as_mut().unwrap().value;
    r.data_dir_free = Some(5 << 20);
    r.database_size = Some(1 << 20);
    refused_with(
        &plan(&c, &t, None, NOW),
        "MiB free; restoring 20261121-211302F",
    );
    c.backups.as_mut().unwrap().value.data_dir_free = Some(1 << 30);
    passes(&plan(&c, &t, None, NOW));
    // A job running.
    let mut c = cluster(&[]);
    c.jobs.push(Job {
        id: "j1".into(),
        cluster: "pg-test".into(),
        member: "pg-test-1".into(),
        kind: JobKind::Backup {
            backup_type: BackupKind::Full,
        },
        state: JobState::Running,
        steps: vec![],
        started: NOW - 10,
        ended: None,
        log: vec![],
        progress: None,
        advice: None,
    });
    refused_with(
        &plan(&c, &t, None, NOW),
        "job j1 (backup (full)) runs on pg-test-1 now",
    );
    // No agent on the leader.
    let mut c = cluster(&[]);
    c.agents.remove("pg-test-1");
    refused_with(
        &plan(&c, &t, None, NOW),
        "pg-test-1 has no registered pgtui agent",
    );
    // No backup report at all.
    let mut c = cluster(&[]);
    c.backups = None;
    refused_with(
        &plan(&c, &t, None, NOW),
        "no backup report from the agent yet",
    );
    // Unknown Patroni version: no REST answer and no version in the key.
    let mut c = cluster(&[]);
    c.rest.clear();
    let p = plan(&c, &t, None, NOW);
    let versioned_key = c.dcs.members["pg-test-1"]
        .value
        .ok()
        .and_then(|m| m.version.clone());
    if versioned_key.is_none() {
        refused_with(&p, "the Patroni version of pg-test-1 is unknown");
    } else {
        passes(&p);
    }
}
