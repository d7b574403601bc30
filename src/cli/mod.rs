//! Non-interactive commands for runbooks: they read the same model the
//! console reads, rendered as a table, JSON or YAML.

#[macro_use]
pub mod out;

pub mod args;
pub mod audit;
pub mod backups;
pub mod commands;
pub mod jobs;
pub mod list;
pub mod logs;
pub mod op_args;
pub mod op_report;
pub mod ops;
pub mod pools;
pub mod render;
pub mod restore;

use crate::exit::{CliError, ExitCode};
use crate::session::{Needs, Session};

/// Waits as [`Session::wait_for`] does, then says on stderr what the
/// answer will lack.
pub async fn wait_for_answer(session: &Session, needs: Needs) -> Result<(), CliError> {
    session.wait_for(needs).await?;
    for line in session.shortfalls(needs) {
        errln!("pgtui: {line}");
    }
    Ok(())
}

/// The exit code for an error chain (here, not in `exit`, because it
/// knows every layer's errors): the first [`CliError`] in it decides,
/// configuration errors are usage errors, anything else is a failure.
pub fn code_for(err: &anyhow::Error) -> ExitCode {
    for cause in err.chain() {
        if let Some(c) = cause.downcast_ref::<CliError>() {
            return c.code;
        }
        if cause.downcast_ref::<crate::config::ConfigError>().is_some() {
            return ExitCode::Usage;
        }
        if let Some(e) = cause.downcast_ref::<crate::dcs::EtcdError>() {
            return ExitCode::for_fault(e.fault);
        }
        if let Some(crate::ops::execute::OpError::Etcd { source, .. }) =
            cause.downcast_ref::<crate::ops::execute::OpError>()
        {
            return ExitCode::for_fault(source.fault);
        }
    }
    ExitCode::Failure
}
