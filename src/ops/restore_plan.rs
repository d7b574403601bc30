//! The point-in-time restore's preflight and plan: a pure function of the
//! cluster (its keys, agents, jobs and last backup report), the target and
//! `now`. It decides, before anything is confirmed:
//! - that the target lies inside the recoverable window and no WAL hole lies
//!   between the backup pgBackRest will use and the target;
//! - which backup set pgBackRest will use (its own rule: the newest usable
//!   backup that stopped at or before a time target; `--set` overrides);
//! - that the data directory's filesystem has room for it, the versions
//!   are known, and no other job runs;
//! - every step, with the exact command, and what will be lost.
//!
//! Every refusal says what to do. (The restore itself, a job in the
//! restoring node's agent, is not built yet: `pgtui restore` runs only as
//! `--dry-run`.)

use super::preflight::{parse_time, Preflight};
use super::refusal::Refusal;
use crate::model::agent::JobState;
use crate::model::backup::report::utc;
use crate::model::backup::BackupSet;
use crate::model::view::cluster_view;
use crate::model::ClusterState;
use serde::Serialize;

pub use crate::model::backup::target::Target;

/// The decided restore: the preflight, the set, the target in UTC.
#[derive(Debug, Clone, Serialize)]
pub struct RestorePlan {
    pub preflight: Preflight,
    pub node: Option<String>,
    pub set: Option<String>,
    /// A time target resolved to UTC (`2026-12-06T05:30:00+00:00`).
    pub target_utc: Option<String>,
    /// The `pgbackrest restore` command line.
    pub command: Option<String>,
}

fn lsn(s: &str) -> Option<u64> {
    crate::model::sql::parse_lsn(s)
}

/// Plans a restore of `c` to `target` on its leader's node.
pub fn plan(c: &ClusterState, target: &Target, set: Option<&str>, now: i64) -> RestorePlan {
    let mut pf = Preflight::default();
    let refuse = |pf: &mut Preflight, m: String| pf.refusals.push(Refusal::rule(m));
    let v = cluster_view(c);
    let mut out = RestorePlan {
        preflight: Preflight::default(),
        node: v.leader.clone(),
        set: None,
        target_utc: None,
        command: None,
    };
    let Some(node) = v.leader.clone() else {
        refuse(&mut pf, format!("{} has no leader: restore on a member by hand, or wait for a leader; the restore runs on the leader's node", v.name));
        out.preflight = pf;
        return out;
    };
    let agent = c.agents.get(&node);
    match agent {
        None => refuse(&mut pf, format!("{node} has no registered pgtui agent; start `pgtui agent` beside its Patroni")),
        Some(a) if a.pgbackrest_version.is_none() => refuse(&mut pf, format!("the agent of {node} cannot say its pgBackRest version; check that pgbackrest runs there")),
        Some(_) => {}
    }
    let patroni = c
        .rest
        .get(&node)
        .and_then(|r| r.value.patroni.as_ref()?.version.clone())
        .or_else(|| c.dcs.members.get(&node)?.value.ok()?.version.clone());
    if patroni.is_none() {
        refuse(&mut pf, format!("the Patroni version of {node} is unknown (its REST API does not answer); a restore is planned only against a known Patroni"));
    }
    if let Some(j) = c.jobs.iter().find(|j| j.state == JobState::Running) {
        refuse(
            &mut pf,
            format!(
                "job {} ({}) runs on {} now; wait for it (`pgtui jobs {}`)",
                j.id,
                j.kind.label(),
                j.member,
                v.name
            ),
        );
    }
    let Some(report) = c.backups.as_ref().map(|b| &b.value) else {
        refuse(&mut pf, "no backup report from the agent yet: nothing is known of the backups; check `pgtui backups`".into());
        out.preflight = pf;
        return out;
    };
    let summary = crate::model::backup::report::summarize(
        report,
        &crate::model::backup::report::ClusterFacts::default(),
        now,
    );
    let Some(stanza) = summary.stanza.as_ref() else {
        refuse(&mut pf, "the agent reports no stanza: pgBackRest is not configured or its repo cannot be read; see `pgtui backups`".into());
        out.preflight = pf;
        return out;
    };
    let usable: Vec<&BackupSet> = stanza.usable().collect();
    if usable.is_empty() {
        refuse(
            &mut pf,
            format!(
                "stanza {} has no usable backup: there is nothing to restore from",
                stanza.name
            ),
        );
        out.preflight = pf;
        return out;
    }
    let named = |label: &str| stanza.backups.iter().find(|b| b.label == label);
    if let Some(l) = set {
        match named(l) {
            None => refuse(
                &mut pf,
                format!(
                    "backup set {l} is not in stanza {}; `pgtui backups` lists them",
                    stanza.name
                ),
            ),
            Some(b) if b.error == Some(true) => refuse(
                &mut pf,
                format!("backup set {l} is marked as having an error; pick another"),
            ),
            Some(_) => {}
        }
    }
    let window = summary.window.as_ref();
    // The set and, for a time target, the instant.
    let chosen: Option<&BackupSet> = match target {
        Target::Time(t) => match parse_time(t) {
            Err(e) => {
                refuse(&mut pf, e);
                None
            }
            Ok(at) => {
                let at_s = at.timestamp();
                out.target_utc = Some(at.to_rfc3339());
                let w = window.expect("a usable backup gives a window");
                if at_s < w.from {
                    refuse(&mut pf, format!("{} is before the oldest usable backup ended ({}): no backup can reach it", utc(at_s), utc(w.from)));
                } else if w.to.is_none_or(|to| at_s > to) {
                    refuse(&mut pf, format!(
                        "{} is past the last archived WAL ({}): the WAL up to it is not in the repo yet; run `pgbackrest check` on the leader (it forces a WAL switch) and look again",
                        utc(at_s),
                        w.to.map(utc).unwrap_or_else(|| "unknown: archiving has not reported".into())
                    ));
                } else if at_s > now {
                    refuse(&mut pf, format!("{} is in the future", utc(at_s)));
                }
                let b = match set.and_then(named) {
                    Some(b) if b.stop > at_s => {
                        refuse(&mut pf, format!("backup set {} ended at {}, after the target: a restore cannot go back before its backup", b.label, utc(b.stop)));
                        Some(b)
                    }
                    Some(b) => Some(b),
                    None => stanza.backup_for_target(at_s),
                };
                if let Some(h) = window.zip(b).and_then(|(w, b)| w.hole_between(b, at_s)) {
                    refuse(&mut pf, format!(
                        "WAL segments {}..{} (timeline {}) are missing from the repo, between the backup and the target: replay cannot cross them; pick a target before {} or restore from a backup taken after the hole",
                        h.first, h.last, h.timeline,
                        h.after.map(utc).unwrap_or_else(|| "the hole".into())
                    ));
                }
                b
            }
        },
        Target::Lsn(l) => match lsn(l) {
            None => {
                refuse(&mut pf, format!("{l:?} is not an LSN such as 0/5000028"));
                None
            }
            Some(x) => {
                let b = set.and_then(named).or_else(|| {
                    usable
                        .iter()
                        .filter(|b| b.lsn_stop.as_deref().and_then(lsn).is_some_and(|s| s <= x))
                        .max_by_key(|b| b.stop)
                        .copied()
                });
                if b.is_none() {
                    refuse(&mut pf, format!("no usable backup ended at or before LSN {l} (or the backups predate pgBackRest 2.38 and carry no LSN): pick a later LSN or name a set with --set"));
                }
                b
            }
        },
        Target::Xid(_) | Target::Name(_) => {
            pf.warnings.push(format!(
                "a {} target cannot be checked against the window: if recovery never reaches it, PostgreSQL stops with \"recovery ended before configured recovery target was reached\" and the restore fails at step 5 (the replicas keep the old data)",
                target.pgbackrest_type()
            ));
            set.and_then(named)
                .or_else(|| usable.iter().max_by_key(|b| b.stop).copied())
        }
        Target::Immediate => set
            .and_then(named)
            .or_else(|| usable.iter().max_by_key(|b| b.stop).copied()),
    };
    if let Some(b) = chosen {
        out.set = Some(b.label.clone());
        if let (Some(free), Some(size)) = (report.data_dir_free, b.size) {
            let used = report.database_size.unwrap_or(0);
            let need = size.saturating_sub(used) + size / 10;
            if free < need {
                refuse(&mut pf, format!(
                    "the data directory's filesystem on {node} has {} MiB free; restoring {} ({} MiB) needs about {} MiB more than the database holds now: free space first",
                    free >> 20, b.label, size >> 20, need >> 20
                ));
            }
        } else {
            pf.warnings.push(format!("free space on {node} is not known: check that the data directory's filesystem holds {} MiB", b.size.unwrap_or(0) >> 20));
        }
    }
    let stanza_name = report.stanza.clone().unwrap_or_else(|| stanza.name.clone());
    if !matches!(target, Target::Time(_)) || out.target_utc.is_some() {
        let ask = crate::model::backup::target::Ask {
            target,
            set: out.set.as_deref(),
            target_utc: out.target_utc.as_deref(),
            backup_after: true,
        };
        out.command = Some(format!(
            "pgbackrest {} restore",
            crate::model::backup::target::shell_words(&crate::model::backup::target::restore_args(
                &stanza_name,
                &ask
            ))
        ));
    }
    let others: Vec<String> = v
        .members
        .iter()
        .filter(|m| m.name != node)
        .map(|m| m.name.clone())
        .collect();
    let lost = match (&out.target_utc, target) {
        (Some(t), _) => format!("everything committed after {t} is lost from the cluster (the repo keeps it on the old timeline)"),
        (None, Target::Immediate) => format!("everything committed after backup {} ended is lost from the cluster", out.set.as_deref().unwrap_or("?")),
        (None, _) => "everything committed after the target is lost from the cluster".into(),
    };
    pf.warnings.push(lost);
    pf.plan.extend([
        format!("1. preflight (this): backup set {}{}", out.set.as_deref().unwrap_or("?"), out.target_utc.as_ref().map(|t| format!(", target {t} (UTC)")).unwrap_or_default()),
        "2. pause the cluster (PATCH /config {\"pause\": true}) and wait until every member reports it".to_string(),
        format!("3. on {node}: stop Patroni, then `pg_ctl stop -m fast`; while paused no other member promotes"),
        format!("4. on {node}: {}", out.command.as_deref().unwrap_or("pgbackrest restore …")),
        format!("5. on {node}: `pg_ctl start`, wait for the promotion (a new timeline) and the log line saying where recovery stopped"),
        format!("6. start Patroni on {node}, wait until it leads, then resume (PATCH /config {{\"pause\": false}})"),
        format!("7. rebuild {} on the new timeline (POST /reinitialize), restart what is pending, take a new full backup", if others.is_empty() { "no replica".to_string() } else { others.join(", ") }),
        "8. verify: one leader on a new timeline, every member streaming on it, the history showing the restore".into(),
    ]);
    out.preflight = pf;
    out
}
