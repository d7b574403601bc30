//! One way to open a PostgreSQL connection, for the SQL probes and the
//! service probe alike: the same login, the same TLS, and failures told
//! apart by what they are (a SQLSTATE, a rustls error, a timeout), never
//! by the server's localised message.

use super::pg_tls::{explain, rustls_error, PgTls};
use crate::config::SqlConfig;
use std::time::Duration;
use tokio_postgres::Client;

#[derive(Debug, thiserror::Error)]
pub enum PgConnectError {
    #[error("SQL login as {user} to {addr} rejected (SQLSTATE {code}: {reason}); check [sql] user and password in the settings, PGTUI_SQL_USER/PGTUI_SQL_PASSWORD, or postgresql.authentication.superuser{tls_hint}")]
    Login {
        user: String,
        addr: String,
        code: String,
        reason: String,
        /// A rejection of a plain connection may be pg_hba asking for TLS.
        tls_hint: String,
    },
    #[error("SQL connect to {addr} timed out after {} ms", after.as_millis())]
    Timeout { addr: String, after: Duration },
    #[error("SQL TLS to {addr}: {reason}")]
    Tls { addr: String, reason: String },
    #[error("SQL connect to {addr} as {user}: {reason}")]
    Connect {
        user: String,
        addr: String,
        reason: String,
        /// Nothing listens there (the OS refused the connection).
        refused: bool,
    },
}

impl PgConnectError {
    pub fn is_auth(&self) -> bool {
        matches!(self, PgConnectError::Login { .. })
    }
}

/// The server's own words when there are some (tokio-postgres's Display
/// says only "db error"), else the error chain.
pub fn reason(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => super::error_chain(e),
    }
}

/// SQLSTATE 28000 (invalid_authorization_specification: no pg_hba entry,
/// role cannot log in) and 28P01 (invalid_password).
fn login_rejected(e: &tokio_postgres::Error) -> Option<String> {
    let code = e.code()?.code();
    code.starts_with("28").then(|| code.to_string())
}

/// The OS refused the connection: by the I/O error's kind, not its words.
fn refused(e: &tokio_postgres::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::ConnectionRefused;
        }
        src = s.source();
    }
    false
}

/// Connects as the configured user; the connection's driver runs on its
/// own task until the client is dropped.
pub async fn connect(
    cfg: &SqlConfig,
    tls: &PgTls,
    host: &str,
    port: u16,
    application_name: &str,
) -> Result<Client, PgConnectError> {
    let addr = format!("{host}:{port}");
    let mut pg = tokio_postgres::Config::new();
    pg.host(host)
        .port(port)
        .user(&cfg.user)
        .dbname(&cfg.dbname)
        .application_name(application_name)
        .connect_timeout(cfg.connect_timeout)
        .ssl_mode(tls.wire_mode());
    if let Some(p) = &cfg.password {
        pg.password(p.expose());
    }
    let connected = tokio::time::timeout(cfg.connect_timeout, pg.connect(tls.connector.clone()))
        .await
        .map_err(|_| PgConnectError::Timeout {
            addr: addr.clone(),
            after: cfg.connect_timeout,
        })?;
    let (client, conn) = connected.map_err(|e| {
        if let Some(code) = login_rejected(&e) {
            let tls_hint = if tls.mode == crate::config::SslMode::Disable {
                format!(
                    "; sslmode=disable (from {}) cannot match a pg_hba.conf hostssl line",
                    cfg.tls.mode_from
                )
            } else {
                String::new()
            };
            return PgConnectError::Login {
                user: cfg.user.clone(),
                addr: addr.clone(),
                code,
                reason: reason(&e),
                tls_hint,
            };
        }
        if let Some(r) = rustls_error(&e) {
            return PgConnectError::Tls {
                addr: addr.clone(),
                reason: explain(r, host, &cfg.tls),
            };
        }
        let mut why = reason(&e);
        if tls.mode.needs_tls() {
            why.push_str(&format!(
                " (sslmode={} from {})",
                cfg.tls.mode.as_str(),
                cfg.tls.mode_from
            ));
        }
        PgConnectError::Connect {
            user: cfg.user.clone(),
            addr: addr.clone(),
            reason: why,
            refused: refused(&e),
        }
    })?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}
