//! How pgtui reads each member's pgbouncer admin console (`[pgbouncer]`).
//!
//! The defaults follow Pigsty: a pgbouncer on every member's address, port
//! 6432, whose `admin_users` or `stats_users` include the login the SQL
//! probes use; so with no `[pgbouncer]` section a Pigsty cluster's pools
//! show at once. TLS is the SQL probes' (the same sslmode and CA): a
//! pgbouncer in front of a PostgreSQL that takes TLS only usually does too.
//! `enabled = false` turns the source off for stacks without pgbouncer;
//! left on, a member where nothing listens is shown as "no pgbouncer", not
//! as an outage.

use super::secret::Secret;
use super::settings::Settings;
use super::{ConfigError, SqlConfig};
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PgbouncerSettings {
    pub enabled: Option<bool>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub poll_interval_ms: Option<u64>,
    /// Clients waiting this long for a server connection are an alarm.
    pub wait_alarm_ms: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct PgbouncerConfig {
    pub port: u16,
    /// The login, TLS and timeouts, database `pgbouncer`.
    pub login: SqlConfig,
    pub poll_interval: Duration,
    pub wait_alarm: Duration,
}

/// pgbouncer's port in Pigsty and autobase, the default here.
pub const DEFAULT_PORT: u16 = 6432;

pub fn pgbouncer_config(
    settings: &Settings,
    sql: Option<&SqlConfig>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<PgbouncerConfig>, ConfigError> {
    let s = settings.pgbouncer.clone().unwrap_or_default();
    if s.enabled == Some(false) {
        return Ok(None);
    }
    let Some(sql) = sql else { return Ok(None) };
    let mut login = sql.clone();
    login.dbname = "pgbouncer".into();
    if let Some(u) = env("PGTUI_PGBOUNCER_USER").or(s.user) {
        login.user = u;
        login.password = None;
    }
    if let Some(p) = env("PGTUI_PGBOUNCER_PASSWORD")
        .map(Secret::new)
        .or(s.password)
    {
        login.password = Some(p);
    }
    Ok(Some(PgbouncerConfig {
        port: s.port.unwrap_or(DEFAULT_PORT),
        login,
        poll_interval: super::resolve::ms(s.poll_interval_ms, 2000, "pgbouncer.poll_interval_ms")?,
        wait_alarm: super::resolve::ms(s.wait_alarm_ms, 1000, "pgbouncer.wait_alarm_ms")?,
    }))
}
