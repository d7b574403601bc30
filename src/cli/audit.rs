//! `pgtui audit`: the last records of the audit log. Operations whose
//! pgtui died mid-way are reconciled first (when their cluster can be
//! read), so the log ends with what really happened.

use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::ops::audit;
use crate::session::Session;
use crate::sources::Scope;

pub async fn run(
    config: Result<Config, crate::config::ConfigError>,
    last: usize,
) -> anyhow::Result<()> {
    let path = match &config {
        Ok(c) => c.audit_log.clone(),
        Err(_) => crate::config::audit_log(&|k| std::env::var(k).ok()),
    };
    let records = audit::read_all(&path).map_err(|e| {
        CliError::new(
            ExitCode::Failure,
            format!("cannot read the audit log {}: {e}", path.display()),
        )
    })?;
    let (_, host) = audit::whoami();
    let orphans = crate::ops::reconcile::orphans(&records, &host, &|_| false);
    // The log is local and shown whatever the configuration; a broken one
    // is still said, since the next command will need it.
    if let (true, Err(e)) = (orphans.is_empty(), &config) {
        errln!("warning: {e}; the audit log is shown as it is");
    }
    if !orphans.is_empty() {
        let mut clusters: Vec<String> = orphans.iter().map(|o| o.record.cluster.clone()).collect();
        clusters.dedup();
        match config {
            Ok(config) => {
                let session = Session::start(config, Scope::only(clusters));
                crate::cli::wait_for_answer(&session, crate::session::Needs::Rest).await?;
                if let Err(e) = crate::ops::reconcile::run(&session).await {
                    errln!("warning: {e}");
                }
            }
            Err(e) => errln!(
                "warning: {} operation(s) never finished and cannot be reconciled: {e}",
                orphans.len()
            ),
        }
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            outln!("no audit log yet at {}", path.display());
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
        outln!("{l}");
    }
    Ok(())
}
