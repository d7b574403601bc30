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
    /// The credentials were accepted but lack a permission (an etcd role
    /// without the key range, a REST 403).
    PermissionDenied = 10,
    /// etcd accepted connections but did not answer in time (frozen,
    /// overloaded, cut off from its quorum).
    Timeout = 11,
    /// An answer was printed, but it is stale or partial: etcd could not
    /// confirm it now. `--allow-stale` makes this 0.
    Stale = 12,
}

impl ExitCode {
    /// The exit code of an etcd failure.
    pub fn for_fault(f: crate::dcs::Fault) -> ExitCode {
        use crate::dcs::Fault;
        match f {
            Fault::Unauthenticated => ExitCode::AuthFailed,
            Fault::PermissionDenied => ExitCode::PermissionDenied,
            Fault::Unavailable | Fault::Tls => ExitCode::Unreachable,
            Fault::Timeout => ExitCode::Timeout,
            Fault::Other => ExitCode::Failure,
        }
    }
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
