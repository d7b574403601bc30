//! How an operation's outcome reaches a runbook: the report as a table, JSON
//! or YAML, the exit code each outcome gets, and the one confirmation asked
//! on a terminal for a whole batch.

use super::args::Format;
use crate::exit::{CliError, ExitCode};
use crate::ops::execute::Report;
use crate::ops::preflight::Preflight;
use crate::ops::{Operation, Outcome};
use std::io::{BufRead, IsTerminal, Write};

pub fn exit_code(o: Outcome) -> ExitCode {
    match o {
        Outcome::Verified | Outcome::Scheduled | Outcome::DryRun => ExitCode::Ok,
        Outcome::Refused => ExitCode::Refused,
        Outcome::Rejected => ExitCode::Rejected,
        Outcome::Failed => ExitCode::OpFailed,
        Outcome::Unknown => ExitCode::Unknown,
    }
}

/// Asks once for the whole batch on the terminal; `None` means no
/// terminal to ask on.
pub(super) fn confirm(plans: &[(Operation, Preflight)]) -> Option<bool> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return None;
    }
    let mut err = std::io::stderr();
    for (op, plan) in plans {
        let _ = writeln!(
            err,
            "\n{} on {}:",
            op.name(),
            super::out::stderr_safe(op.cluster())
        );
        for p in &plan.plan {
            let _ = writeln!(err, "  • {}", super::out::stderr_safe(p));
        }
        for w in &plan.warnings {
            let _ = writeln!(err, "  ! {}", super::out::stderr_safe(w));
        }
    }
    let typed = plans.iter().find(|(op, _)| op.needs_typed_confirmation());
    let want = match typed {
        Some((op, _)) => op.cluster().to_string(),
        None => "yes".to_string(),
    };
    let want = super::out::stderr_safe(&want);
    let _ = write!(err, "Type {want:?} to proceed, anything else cancels: ");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    Some(line.trim() == want)
}

pub(super) fn print(report: &Report, format: Format) {
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string(report).expect("report serialises")
        ),
        Format::Yaml => out!(
            "{}",
            serde_yaml::to_string(report).expect("report serialises")
        ),
        Format::Table => {
            outln!(
                "{} {}: {:?}",
                report.operation.name(),
                report.operation.cluster(),
                report.outcome
            );
            for p in &report.preflight.plan {
                outln!("  plan: {p}");
            }
            for w in &report.preflight.warnings {
                outln!("  warning: {w}");
            }
            outln!("  {}", report.message);
            // A refusal offers no way round itself: the checks are the point.
            if report.outcome != Outcome::Refused {
                if let Some(c) = &report.curl {
                    outln!("  by hand: {c}");
                }
                outln!("  or: {}", report.patronictl);
            }
        }
    }
}

pub(super) fn exit(r: &Report) -> anyhow::Result<()> {
    let code = match exit_code(r.outcome) {
        // A member that does not exist is "not found", as everywhere else.
        ExitCode::Refused if !r.preflight.unknown_members.is_empty() => ExitCode::ClusterNotFound,
        c => c,
    };
    match code {
        ExitCode::Ok => Ok(()),
        code => Err(CliError::new(code, r.message.clone()).into()),
    }
}
