//! Documented exit codes, shared by every command (see README "Exit codes").

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Ok = 0,
    /// Anything not covered below.
    Failure = 1,
    /// Bad flags, arguments or configuration files.
    Usage = 2,
    ClusterNotFound = 3,
    /// etcd and the Patroni REST API could not be reached.
    Unreachable = 4,
    /// etcd, Patroni or PostgreSQL rejected the credentials.
    AuthFailed = 5,
    /// An operation was refused by preflight, read-only mode or the user;
    /// nothing was sent.
    Refused = 6,
    /// Patroni rejected the request; nothing happened.
    Rejected = 7,
    /// Sent, but the end state was not reached.
    OpFailed = 8,
    /// Sent, and whether it happened could not be told.
    Unknown = 9,
}

/// An error that knows which exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    pub code: ExitCode,
    pub message: String,
}

impl CliError {
    pub fn new(code: ExitCode, message: impl Into<String>) -> Self {
        CliError {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The exit code for an error chain: the first [`CliError`] in it decides,
/// configuration errors are usage errors, anything else is a failure.
pub fn code_for(err: &anyhow::Error) -> ExitCode {
    for cause in err.chain() {
        if let Some(c) = cause.downcast_ref::<CliError>() {
            return c.code;
        }
        if cause.downcast_ref::<crate::config::ConfigError>().is_some() {
            return ExitCode::Usage;
        }
    }
    ExitCode::Failure
}
