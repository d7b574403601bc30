//! `pgtui restore [CLUSTER] --to TIME | --lsn L | --xid X | --name N |
//! --immediate [--set LABEL] --dry-run`: the point-in-time restore's
//! preflight and plan (`ops::restore_plan`), with every step's command.
//!
//! The restore itself, a job in the restoring node's agent, is not built
//! yet: without `--dry-run` pgtui refuses (exit 6) and sends nothing. The
//! plan's commands are what a DBA runs by hand meanwhile. Exit codes: 0
//! for a plan that passes, 6 for a refused one (or no `--dry-run`), 3 for
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
    let outcome = match (refused, args.dry_run) {
        (true, _) => "refused",
        (false, true) => "dry_run",
        (false, false) => "refused",
    };
    let not_built = "the restore itself is not built in this version: pgtui plans it (--dry-run) and sends nothing; run the plan's steps by hand";
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
            if !args.dry_run && !refused {
                outln!("  {not_built}");
            }
        }
        _ => outln!(
            "{}",
            serde_json::json!({
                "cluster": name,
                "operation": "restore",
                "target": target,
                "outcome": outcome,
                "message": if refused { p.preflight.why() } else if args.dry_run { "dry run: nothing was sent".into() } else { not_built.to_string() },
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
    if !args.dry_run {
        return Err(CliError::new(ExitCode::Refused, not_built).into());
    }
    Ok(())
}
