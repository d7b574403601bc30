//! Runbook subcommands for the operations: explicit arguments, `--dry-run`,
//! `--yes`, `-f json`, and exit codes that say what happened.

use super::args::Format;
pub use super::op_args::{OpCommand, OpFlags};
use super::op_report::{confirm, exit, exit_code, print};
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::ops::execute::{self, Options};
use crate::ops::preflight::{restart_targets, Preflight, RoleFilter};
use crate::ops::{Operation, Outcome};
use crate::session::Session;
use crate::sources::Scope;

fn cluster_of(arg: Option<String>, config: &Config) -> Result<String, CliError> {
    arg.or_else(|| config.cluster.clone()).ok_or_else(|| {
        CliError::new(
            ExitCode::Usage,
            "no cluster given: name one, or pass --cluster",
        )
    })
}

fn split_target(mut t: Vec<String>, config: &Config) -> Result<(String, String), CliError> {
    let member = t.pop().expect("clap requires one");
    Ok((cluster_of(t.pop(), config)?, member))
}

/// `[CLUSTER] [MEMBER...]`: the first word is the cluster unless a default
/// cluster is set and it is not that one.
fn cluster_and_members(
    mut words: Vec<String>,
    config: &Config,
) -> Result<(String, Vec<String>), CliError> {
    match (&config.cluster, words.first()) {
        (Some(default), Some(first)) if first != default => Ok((default.clone(), words)),
        (_, Some(_)) => {
            let cluster = words.remove(0);
            Ok((cluster, words))
        }
        (_, None) => Ok((cluster_of(None, config)?, words)),
    }
}

/// What the command line asks for: one operation, or a set of members the
/// live cluster decides.
enum Batch {
    One(Operation),
    Restart {
        cluster: String,
        members: Vec<String>,
        role: RoleFilter,
        pending: bool,
        scheduled: Option<String>,
        timeout: Option<u64>,
    },
    FlushRestart {
        cluster: String,
        members: Vec<String>,
    },
}

impl Batch {
    fn cluster(&self) -> &str {
        match self {
            Batch::One(op) => op.cluster(),
            Batch::Restart { cluster, .. } | Batch::FlushRestart { cluster, .. } => cluster,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Batch::One(op) => op.name(),
            Batch::Restart { .. } => "restart",
            Batch::FlushRestart { .. } => "cancel-restart",
        }
    }

    /// The operations, resolved against the cluster as the session sees it.
    fn expand(self, c: &crate::model::ClusterState) -> Result<Vec<Operation>, CliError> {
        let not_found =
            |e: String| CliError::new(ExitCode::ClusterNotFound, format!("{e}; nothing was sent"));
        Ok(match self {
            Batch::One(op) => vec![op],
            Batch::Restart {
                cluster,
                members,
                role,
                pending,
                scheduled,
                timeout,
            } => restart_targets(c, &members, role, pending, scheduled.is_some())
                .map_err(not_found)?
                .into_iter()
                .map(|member| Operation::Restart {
                    cluster: cluster.clone(),
                    member,
                    pending_only: pending,
                    scheduled_at: scheduled.clone(),
                    timeout_secs: timeout,
                })
                .collect(),
            Batch::FlushRestart { cluster, members } => {
                let v = crate::model::view::cluster_view(c);
                restart_targets(c, &members, RoleFilter::Any, false, true)
                    .map_err(not_found)?
                    .into_iter()
                    .filter(|m| {
                        v.members
                            .iter()
                            .any(|x| &x.name == m && x.scheduled_restart.is_some())
                    })
                    .map(|member| Operation::CancelRestart {
                        cluster: cluster.clone(),
                        member,
                    })
                    .collect()
            }
        })
    }
}

fn build(cmd: OpCommand, config: &Config) -> Result<(Batch, OpFlags), CliError> {
    let one = |(op, flags): (Operation, OpFlags)| (Batch::One(op), flags);
    Ok(match cmd {
        OpCommand::Restart {
            target,
            role,
            pending,
            scheduled,
            timeout,
            flags,
        } => {
            let (cluster, members) = cluster_and_members(target, config)?;
            (
                Batch::Restart {
                    cluster,
                    members,
                    role,
                    pending,
                    scheduled,
                    timeout,
                },
                flags,
            )
        }
        OpCommand::Flush { mut target, flags } => {
            let what = target.pop().expect("clap requires one");
            let (cluster, members) = cluster_and_members(target, config)?;
            match what.as_str() {
                "restart" => (Batch::FlushRestart { cluster, members }, flags),
                "switchover" if members.is_empty() => {
                    (Batch::One(Operation::CancelSwitchover { cluster }), flags)
                }
                "switchover" => {
                    return Err(CliError::new(
                        ExitCode::Usage,
                        "flush switchover takes no members: `flush [CLUSTER] switchover`",
                    ))
                }
                other => {
                    return Err(CliError::new(
                        ExitCode::Usage,
                        format!("flush {other}: use `flush [CLUSTER] switchover` or `flush [CLUSTER] [MEMBER...] restart`"),
                    ))
                }
            }
        }
        other => one(build_one(other, config)?),
    })
}

fn build_one(cmd: OpCommand, config: &Config) -> Result<(Operation, OpFlags), CliError> {
    Ok(match cmd {
        OpCommand::Switchover {
            cluster,
            leader,
            candidate,
            scheduled,
            flags,
        } => (
            Operation::Switchover {
                cluster: cluster_of(cluster, config)?,
                leader,
                candidate,
                scheduled_at: scheduled,
            },
            flags,
        ),
        OpCommand::Failover {
            cluster,
            candidate,
            allow_async,
            flags,
        } => (
            Operation::Failover {
                cluster: cluster_of(cluster, config)?,
                candidate,
                allow_async,
            },
            flags,
        ),
        OpCommand::Reload { target, flags } => {
            let (cluster, member) = split_target(target, config)?;
            (Operation::Reload { cluster, member }, flags)
        }
        OpCommand::Reinit {
            target,
            from_leader,
            flags,
        } => {
            let (cluster, member) = split_target(target, config)?;
            (
                Operation::Reinit {
                    cluster,
                    member,
                    from_leader,
                },
                flags,
            )
        }
        OpCommand::DemoteCluster {
            cluster,
            host,
            port,
            restore_command,
            primary_slot_name,
            flags,
        } => (
            Operation::DemoteCluster {
                cluster: cluster_of(cluster, config)?,
                host,
                port,
                restore_command,
                primary_slot_name,
            },
            flags,
        ),
        OpCommand::PromoteCluster { cluster, flags } => (
            Operation::PromoteCluster {
                cluster: cluster_of(cluster, config)?,
            },
            flags,
        ),
        OpCommand::Pause { cluster, flags } => (
            Operation::Pause {
                cluster: cluster_of(cluster, config)?,
            },
            flags,
        ),
        OpCommand::Resume { cluster, flags } => (
            Operation::Resume {
                cluster: cluster_of(cluster, config)?,
            },
            flags,
        ),
        OpCommand::Backup {
            cluster,
            backup_type,
            flags,
        } => (
            Operation::Backup {
                cluster: cluster_of(cluster, config)?,
                backup_type: backup_type.into(),
            },
            flags,
        ),
        OpCommand::Restart { .. } | OpCommand::Flush { .. } => {
            unreachable!("batches are built in build()")
        }
    })
}

pub async fn run(config: Config, cmd: OpCommand) -> anyhow::Result<()> {
    let (batch, flags) = build(cmd, &config)?;
    run_batch(config, batch, flags).await
}

/// Runs one operation built elsewhere (`pgtui restore`) by the runbook rules.
pub async fn run_one(config: Config, op: Operation, flags: OpFlags) -> anyhow::Result<()> {
    run_batch(config, Batch::One(op), flags).await
}

async fn run_batch(config: Config, batch: Batch, flags: OpFlags) -> anyhow::Result<()> {
    if let (false, Some(why)) = (flags.dry_run, config.read_only.reason(batch.cluster())) {
        return Err(CliError::new(
            ExitCode::Refused,
            format!("{} refused: {why}; nothing was sent", batch.name()),
        )
        .into());
    }
    let cluster = batch.cluster().to_string();
    let session = Session::start(config, Scope::only(vec![cluster.clone()]));
    crate::cli::wait_for_answer(&session, crate::session::Needs::RestAndSql).await?;
    session.ensure_exist(std::slice::from_ref(&cluster)).await?;
    if matches!(&batch, Batch::One(op) if op.is_agent_job()) {
        // Its preflight reads the cluster's agents, jobs and last report.
        super::backups::wait_backups(&session, &cluster).await;
    }
    // An earlier operation that never finished is judged first, so this
    // one is not decided on a misunderstanding of the last.
    match crate::ops::reconcile::run(&session).await {
        Ok(done) => {
            for r in done {
                errln!(
                    "note: an earlier {} ({}) never finished; reconciled: {:?}: {}",
                    r.orphan.record.operation.name(),
                    r.orphan.record.id,
                    r.outcome,
                    r.message
                );
            }
        }
        Err(e) => errln!("warning: {e}"),
    }
    let state = session
        .model
        .read(|m| m.clusters.get(&cluster).map(|c| (**c).clone()))
        .unwrap_or_else(|| crate::model::ClusterState::new(&cluster));
    let ops = batch.expand(&state)?;
    if ops.is_empty() {
        let msg = format!("nothing to do on {cluster}: no member matches");
        match flags.format {
            Format::Table => outln!("{msg}"),
            _ => outln!(
                "{}",
                serde_json::json!({ "outcome": "nothing_to_do", "message": msg })
            ),
        }
        return Ok(());
    }
    // Plan everything first (dry runs), then confirm once, then act on a
    // fresh read per operation, stopping at the first that does not succeed.
    let mut plans = vec![];
    for op in &ops {
        let opts = Options {
            dry_run: true,
            expect: None,
            no_lock: flags.no_lock,
        };
        plans.push(execute::run(op.clone(), &session, opts, &mut |_| {}).await?);
    }
    if flags.dry_run || plans.iter().any(|p| p.outcome == Outcome::Refused) {
        for p in &plans {
            print(p, flags.format);
        }
        let worst = plans
            .iter()
            .find(|p| p.outcome == Outcome::Refused)
            .unwrap_or(&plans[0]);
        return exit(worst);
    }
    if !flags.yes {
        let pairs: Vec<(Operation, Preflight)> = plans
            .iter()
            .map(|p| (p.operation.clone(), p.preflight.clone()))
            .collect();
        match confirm(&pairs) {
            None => return Err(CliError::new(ExitCode::Refused, format!("{} needs confirmation: not on a terminal, so pass --yes (or --dry-run to see the plan)", batch_name(&ops))).into()),
            Some(false) => return Err(CliError::new(ExitCode::Refused, "cancelled; nothing was sent").into()),
            Some(true) => {}
        }
    }
    let json = flags.format != Format::Table;
    for (op, plan) in ops.into_iter().zip(plans) {
        let opts = Options {
            dry_run: false,
            expect: Some(plan.expected.clone()),
            no_lock: flags.no_lock,
        };
        let report = execute::run(op, &session, opts, &mut |line| {
            if !json {
                errln!("  … {line}");
            }
        })
        .await?;
        print(&report, flags.format);
        if exit_code(report.outcome) != ExitCode::Ok {
            return exit(&report);
        }
    }
    Ok(())
}

fn batch_name(ops: &[Operation]) -> &'static str {
    ops.first().map(Operation::name).unwrap_or("operation")
}
