//! `pgtui pools [CLUSTER]`: every member's pgbouncer, its pools and what is
//! wrong with them, from the same source and the same rule
//! (`model::pgbouncer_flags`) as the console's pools screen.
//!
//! Exit codes: 0 when it printed a current answer (flags are in the
//! output, and in `flags` in JSON), 2 when pgbouncer reading is off, 3 for
//! an unknown cluster, 12 when etcd could not confirm the cluster.

use super::args::OneClusterArgs;
use super::commands::{emit, finish, load, with_cluster};
use super::render::simple_table;
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::model::pgbouncer::{Pgbouncer, ADMIN_DB};
use crate::model::pgbouncer_flags::{flags, PoolFlag};
use crate::model::view::cluster_view;
use crate::model::ClusterState;
use crate::session::Needs;
use serde::Serialize;
use std::time::SystemTime;

#[derive(Serialize)]
struct MemberOut {
    member: String,
    role: String,
    host: Option<String>,
    /// `ok`, `absent` (nothing listens, nothing ever answered) or
    /// `unreachable` (the last read failed; `pgbouncer` is the last one).
    status: &'static str,
    age_secs: Option<u64>,
    error: Option<String>,
    pgbouncer: Option<Pgbouncer>,
}

#[derive(Serialize)]
struct FlagOut {
    member: String,
    kind: &'static str,
    alarm: bool,
    message: String,
}

#[derive(Serialize)]
struct Out {
    cluster: String,
    port: u16,
    members: Vec<MemberOut>,
    flags: Vec<FlagOut>,
}

fn members(c: &ClusterState, now: SystemTime) -> Vec<MemberOut> {
    let v = cluster_view(c);
    v.members
        .iter()
        .map(|m| {
            let read = c.pgbouncer.get(&m.name);
            let err = c.pgbouncer_errors.get(&m.name);
            let status = match (read, err) {
                (_, Some(_)) => "unreachable",
                (Some(_), None) => "ok",
                (None, None) if c.pgbouncer_absent.contains(&m.name) => "absent",
                (None, None) => "unknown",
            };
            MemberOut {
                member: m.name.clone(),
                role: super::render::role_label(m.role.as_str()),
                host: m.host.clone(),
                status,
                age_secs: read.map(|s| s.age(now).as_secs()),
                error: err.map(|(_, e)| e.clone()),
                pgbouncer: read.map(|s| s.value.clone()),
            }
        })
        .collect()
}

fn flag_out(f: &PoolFlag) -> FlagOut {
    FlagOut {
        member: f.member().to_string(),
        kind: f.kind(),
        alarm: f.is_alarm(),
        message: f.to_string(),
    }
}

fn table(out: &Out) -> String {
    let mut rows = Vec::new();
    for m in &out.members {
        let Some(p) = &m.pgbouncer else {
            let what = match m.status {
                "absent" => "no pgbouncer".to_string(),
                _ => m.status.to_string(),
            };
            rows.push(vec![m.member.clone(), m.role.clone(), what]);
            continue;
        };
        if p.pools.iter().all(|p| p.database == ADMIN_DB) {
            rows.push(vec![
                m.member.clone(),
                m.role.clone(),
                "(no pools yet)".into(),
            ]);
        }
        for pool in p.pools.iter().filter(|p| p.database != ADMIN_DB) {
            let size = p
                .database(&pool.database)
                .and_then(|d| d.pool_size)
                .map_or("-".into(), |s| s.to_string());
            rows.push(vec![
                m.member.clone(),
                m.role.clone(),
                format!("{}/{}", pool.database, pool.user),
                pool.cl_active.to_string(),
                pool.cl_waiting.to_string(),
                pool.sv_active.to_string(),
                pool.sv_idle.to_string(),
                pool.sv_used.to_string(),
                format!("{:.1}", pool.maxwait_secs),
                size,
                pool.pool_mode.clone().unwrap_or_default(),
            ]);
        }
    }
    let mut s = simple_table(
        &[
            "Member",
            "Role",
            "Pool",
            "Cl act",
            "Cl wait",
            "Sv act",
            "Sv idle",
            "Sv used",
            "Maxwait s",
            "Size",
            "Mode",
        ],
        rows,
        &[3, 4, 5, 6, 7, 8, 9],
    );
    for m in &out.members {
        if let Some(p) = &m.pgbouncer {
            s.push_str(&format!(
                "\n{}: {} clients of max_client_conn {}{}",
                m.member,
                p.clients_total(),
                p.max_client_conn.map_or("?".into(), |n| n.to_string()),
                m.age_secs
                    .filter(|a| *a > 5)
                    .map_or(String::new(), |a| format!(" (read {a} s ago)")),
            ));
        }
    }
    for f in &out.flags {
        let mark = if f.alarm { "!" } else { "~" };
        s.push_str(&format!("\n{mark} {}", f.message));
    }
    s
}

pub async fn run(config: Config, args: OneClusterArgs) -> anyhow::Result<()> {
    let Some(port) = config.pgbouncer.as_ref().map(|p| p.port) else {
        return Err(CliError::new(
            ExitCode::Usage,
            "pgbouncer reading is off: [pgbouncer] enabled = false in the settings, or no SQL login is configured (the admin console login defaults to it; set [pgbouncer] user and password)",
        )
        .into());
    };
    let wait_alarm = config
        .pgbouncer
        .as_ref()
        .map(|p| p.wait_alarm)
        .unwrap_or_default();
    let (s, name) = load(config, &args.cluster, Needs::Pools).await?;
    let now = SystemTime::now();
    let out = with_cluster(&s, &name, |c| Out {
        cluster: name.clone(),
        port,
        members: members(c, now),
        flags: flags(c, wait_alarm).iter().map(flag_out).collect(),
    })?;
    emit(args.format, &out, || table(&out));
    finish(&s, &name)
}
