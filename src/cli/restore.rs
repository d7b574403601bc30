//! `pgtui restore [CLUSTER] --to TIME | --lsn L | --xid X | --name N |
//! --immediate [--set LABEL] [--dry-run] [--yes] [--no-backup]`: the
//! point-in-time restore.
//!
//! `--dry-run` prints the preflight and the plan (`ops::restore_plan`) with
//! every step's command, and sends nothing. Otherwise the restore runs as
//! `ops::Operation::Restore` through the same path as every operation
//! (confirmation or `--yes`, audit, exit codes): a job in the leader's
//! agent, followed to its end. Exit codes as for the other operations: 0
//! verified, 6 refused, 7 rejected by the agent, 8 failed, 9 unknown, 3 for
//! an unknown cluster.

use super::args::Format;
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::ops::restore_plan::{plan, Target};
use crate::session::{one_cluster, Needs, Session};
use crate::sources::Scope;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["to", "lsn", "xid", "name", "immediate"])))]
pub struct RestoreArgs {
    /// Cluster (default: --cluster/scope).
    pub cluster: Option<String>,
    /// A time with a timezone (RFC 3339): 2026-12-06T05:30:00+00:00.
    #[arg(long)]
    pub to: Option<String>,
    /// An LSN: 0/5000028.
    #[arg(long)]
    pub lsn: Option<String>,
    /// A transaction id.
    #[arg(long)]
    pub xid: Option<String>,
    /// A restore point made with pg_create_restore_point.
    #[arg(long)]
    pub name: Option<String>,
    /// The end of the backup set (the newest, or --set).
    #[arg(long)]
    pub immediate: bool,
    /// The backup set to restore from (default: pgBackRest's own choice).
    #[arg(long = "set")]
    pub set: Option<String>,
    /// Print the preflight and the plan; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (required when not on a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Take no new full backup after the restore.
    #[arg(long)]
    pub no_backup: bool,
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub async fn run(config: Config, args: RestoreArgs) -> anyhow::Result<()> {
    let name = one_cluster(&args.cluster, &config)?;
    let target = match (&args.to, &args.lsn, &args.xid, &args.name) {
        (Some(t), ..) => Target::Time(t.clone()),
        (_, Some(l), ..) => Target::Lsn(l.clone()),
        (_, _, Some(x), _) => Target::Xid(x.clone()),
        (_, _, _, Some(n)) => Target::Name(n.clone()),
        _ => Target::Immediate,
    };
    if let (false, Some(why)) = (args.dry_run, config.read_only.reason(&name)) {
        return Err(CliError::new(
            ExitCode::Refused,
            format!("restore refused: {why}; nothing was sent"),
        )
        .into());
    }
    if !args.dry_run {
        let op = crate::ops::Operation::Restore {
            cluster: name,
            target,
            set: args.set.clone(),
            backup_after: !args.no_backup,
        };
        let flags = super::ops::OpFlags {
            yes: args.yes,
            dry_run: false,
            format: args.format,
            no_lock: false,
        };
        return super::ops::run_one(config, op, flags).await;
    }
    let s = Session::start(config, Scope::only(vec![name.clone()]));
    super::wait_for_answer(&s, Needs::Rest).await?;
    s.ensure_exist(std::slice::from_ref(&name)).await?;
    super::backups::wait_backups(&s, &name).await;
    let now = chrono::Utc::now().timestamp();
    let p = s
        .model
        .read(|m| {
            m.clusters
                .get(&name)
                .map(|c| plan(c, &target, args.set.as_deref(), now))
        })
        .ok_or_else(|| {
            CliError::new(
                ExitCode::ClusterNotFound,
                format!("cluster {name} not found"),
            )
        })?;
    let refused = p.preflight.refused();
    let outcome = if refused { "refused" } else { "dry_run" };
    match args.format {
        Format::Table => {
            outln!("restore {name}: {outcome}");
            for r in &p.preflight.refusals {
                outln!("  refused: {r}");
            }
            for w in &p.preflight.warnings {
                outln!("  warning: {w}");
            }
            if let Some(t) = &p.target_utc {
                outln!("  target (UTC): {t}");
            }
            for step in &p.preflight.plan {
                outln!("  {step}");
            }
        }
        _ => outln!(
            "{}",
            serde_json::json!({
                "cluster": name,
                "operation": "restore",
                "target": target,
                "outcome": outcome,
                "message": if refused { p.preflight.why() } else { "dry run: nothing was sent".into() },
                "plan": p,
            })
        ),
    }
    if refused {
        return Err(CliError::new(
            ExitCode::Refused,
            format!("restore refused: {}; nothing was sent", p.preflight.why()),
        )
        .into());
    }
    Ok(())
}
