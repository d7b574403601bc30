//! `pgtui agent`: the small HTTP service beside Patroni on each database
//! node, for what Patroni has no API for (pgBackRest, the node's logs).
//!
//! It reads the node's patroni.yml for everything it can (member, scope,
//! data and bin dirs, the local PostgreSQL), takes the rest as settings
//! ([`settings`]), and answers only callers holding its bearer token
//! ([`auth`]). It runs as the OS user PostgreSQL runs as, so pgBackRest and
//! the local socket work without sudo. It is an edge, like the CLI and the
//! console: it uses config and model, and nothing below imports it.

pub mod api;
pub mod auth;
pub mod jobs;
pub mod local;
pub mod logs;
pub mod patroni;
pub mod pgbackrest;
pub mod register;
pub mod restore;
pub mod serve;
pub mod settings;
pub mod vip;

pub use settings::{AgentArgs, AgentSettings};

pub use crate::model::agent::API;

/// Runs the agent until SIGINT or SIGTERM.
pub async fn run(args: AgentArgs) -> anyhow::Result<()> {
    let settings = AgentSettings::resolve(&args, &|k| std::env::var(k).ok())?;
    serve::serve(settings).await
}
