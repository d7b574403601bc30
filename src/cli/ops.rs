//! Runbook subcommands for the operations: explicit arguments, `--dry-run`,
//! `--yes`, `-f json`, and exit codes that say what happened.

use super::args::Format;
use super::session::Session;
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::ops::execute::{self, Options, Report};
use crate::ops::{Operation, Outcome};
use crate::sources::Scope;
use clap::{Args, Subcommand};
use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, Args)]
pub struct OpFlags {
    /// Do not ask for confirmation (required when not on a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Run the preflight and print the plan; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum OpCommand {
    /// Planned change of leader, now or at a time with a timezone.
    #[command(
        after_help = "Examples:\n  pgtui switchover pg-test --candidate pg-test-2 --yes\n  pgtui switchover pg-test --scheduled 2026-11-22T03:00:00+00:00"
    )]
    Switchover {
        cluster: Option<String>,
        #[arg(long)]
        leader: Option<String>,
        #[arg(long)]
        candidate: Option<String>,
        /// RFC 3339 with a timezone, e.g. 2026-11-22T03:00:00+00:00
        #[arg(long)]
        scheduled: Option<String>,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Promote a named candidate now (the leader may be down).
    #[command(after_help = "Example:\n  pgtui failover pg-test --candidate pg-test-2")]
    Failover {
        cluster: Option<String>,
        #[arg(long)]
        candidate: String,
        /// Accept promoting an asynchronous replica in synchronous mode.
        #[arg(long)]
        allow_async: bool,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Restart PostgreSQL on a member.
    #[command(after_help = "Example:\n  pgtui restart pg-test pg-test-2 --pending")]
    Restart {
        /// [CLUSTER] MEMBER
        #[arg(num_args = 1..=2, required = true)]
        target: Vec<String>,
        /// Only if a restart is pending.
        #[arg(long)]
        pending: bool,
        #[arg(long)]
        scheduled: Option<String>,
        /// Seconds PostgreSQL may take to start.
        #[arg(long)]
        timeout: Option<u64>,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Reload a member's configuration.
    Reload {
        #[arg(num_args = 1..=2, required = true)]
        target: Vec<String>,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Rebuild a replica's data directory.
    #[command(after_help = "Example:\n  pgtui reinit pg-test pg-test-3 --from-leader")]
    Reinit {
        #[arg(num_args = 1..=2, required = true)]
        target: Vec<String>,
        #[arg(long)]
        from_leader: bool,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Maintenance mode on: no automatic failover.
    Pause {
        cluster: Option<String>,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Maintenance mode off.
    Resume {
        cluster: Option<String>,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Cancel a scheduled switchover: `flush [CLUSTER] switchover`.
    Flush {
        #[arg(num_args = 1..=2, required = true)]
        target: Vec<String>,
        #[command(flatten)]
        flags: OpFlags,
    },
}

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

fn build(cmd: OpCommand, config: &Config) -> Result<(Operation, OpFlags), CliError> {
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
        OpCommand::Restart {
            target,
            pending,
            scheduled,
            timeout,
            flags,
        } => {
            let (cluster, member) = split_target(target, config)?;
            (
                Operation::Restart {
                    cluster,
                    member,
                    pending_only: pending,
                    scheduled_at: scheduled,
                    timeout_secs: timeout,
                },
                flags,
            )
        }
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
        OpCommand::Flush { target, flags } => {
            let (cluster, what) = split_target(target, config)?;
            if what != "switchover" {
                return Err(CliError::new(
                    ExitCode::Usage,
                    format!("flush {what}: only `flush [CLUSTER] switchover` is supported"),
                ));
            }
            (Operation::CancelSwitchover { cluster }, flags)
        }
    })
}

pub fn exit_code(o: Outcome) -> ExitCode {
    match o {
        Outcome::Verified | Outcome::Scheduled | Outcome::DryRun => ExitCode::Ok,
        Outcome::Refused => ExitCode::Refused,
        Outcome::Rejected => ExitCode::Rejected,
        Outcome::Failed => ExitCode::OpFailed,
        Outcome::Unknown => ExitCode::Unknown,
    }
}

/// Asks on the terminal; `None` means no terminal to ask on.
fn confirm(op: &Operation, plan: &crate::ops::preflight::Preflight) -> Option<bool> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return None;
    }
    let mut err = std::io::stderr();
    let _ = writeln!(err, "\n{} on {}:", op.name(), op.cluster());
    for p in &plan.plan {
        let _ = writeln!(err, "  • {p}");
    }
    for w in &plan.warnings {
        let _ = writeln!(err, "  ! {w}");
    }
    let want = if op.needs_typed_confirmation() {
        op.cluster().to_string()
    } else {
        "yes".to_string()
    };
    let _ = write!(err, "Type {want:?} to proceed, anything else cancels: ");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    Some(line.trim() == want)
}

fn print(report: &Report, format: Format) {
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string(report).expect("report serialises")
        ),
        Format::Yaml => print!(
            "{}",
            serde_yaml::to_string(report).expect("report serialises")
        ),
        Format::Table => {
            println!(
                "{} {}: {:?}",
                report.operation.name(),
                report.operation.cluster(),
                report.outcome
            );
            for p in &report.preflight.plan {
                println!("  plan: {p}");
            }
            for w in &report.preflight.warnings {
                println!("  warning: {w}");
            }
            println!("  {}", report.message);
            if let Some(r) = &report.request {
                println!("  by hand: {}", r.as_curl());
            }
            println!("  or: {}", report.patronictl);
        }
    }
}

pub async fn run(config: Config, cmd: OpCommand) -> anyhow::Result<()> {
    let (op, flags) = build(cmd, &config)?;
    if let (false, Some(why)) = (flags.dry_run, config.read_only.reason(op.cluster())) {
        return Err(CliError::new(
            ExitCode::Refused,
            format!("{} refused: {why}; nothing was sent", op.name()),
        )
        .into());
    }
    let session = Session::start(config, Scope::only(vec![op.cluster().to_string()]));
    session.wait_first_data().await?;
    session.ensure_exist(&[op.cluster().to_string()]).await?;
    // Plan first (dry run), then confirm, then act on a fresh read.
    let plan = execute::run(
        op.clone(),
        &session,
        Options {
            dry_run: true,
            expect: None,
        },
        &mut |_| {},
    )
    .await?;
    if flags.dry_run || plan.outcome == Outcome::Refused {
        print(&plan, flags.format);
        return exit(plan.outcome, &plan.message);
    }
    if !flags.yes {
        match confirm(&op, &plan.preflight) {
            None => return Err(CliError::new(ExitCode::Refused, format!("{} needs confirmation: not on a terminal, so pass --yes (or --dry-run to see the plan)", op.name())).into()),
            Some(false) => return Err(CliError::new(ExitCode::Refused, "cancelled; nothing was sent").into()),
            Some(true) => {}
        }
    }
    let json = flags.format != Format::Table;
    let opts = Options {
        dry_run: false,
        expect: Some(plan.expected.clone()),
    };
    let report = execute::run(op, &session, opts, &mut |line| {
        if !json {
            eprintln!("  … {line}");
        }
    })
    .await?;
    print(&report, flags.format);
    exit(report.outcome, &report.message)
}

fn exit(o: Outcome, message: &str) -> anyhow::Result<()> {
    match exit_code(o) {
        ExitCode::Ok => Ok(()),
        code => Err(CliError::new(code, message.to_string()).into()),
    }
}

/// `pgtui audit`: the last records of the audit log.
pub fn audit(last: usize) -> anyhow::Result<()> {
    let path = crate::ops::audit::path();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("no audit log yet at {}", path.display());
            return Ok(());
        }
        Err(e) => {
            return Err(CliError::new(
                ExitCode::Failure,
                format!("cannot read the audit log {}: {e}", path.display()),
            )
            .into())
        }
    };
    let lines: Vec<&str> = text.lines().collect();
    for l in &lines[lines.len().saturating_sub(last)..] {
        println!("{l}");
    }
    Ok(())
}
