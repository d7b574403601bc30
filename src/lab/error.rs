//! Errors of the lab.
//!
//! The lab is mostly used unattended (test suites, demos), so every error has
//! to stand on its own: it names the component that failed (`etcd-2`,
//! `patroni pg-test-3`, `haproxy pg-test-1`, `pgbackrest pg-meta`), what it
//! was doing or waiting for, the tail of that component's log file when there
//! is one, and what to do next.

use std::path::PathBuf;

/// Everything that can go wrong while starting or stopping a lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// Some required programs are not installed.
    #[error(
        "the lab needs programs that are not installed: {missing}\n\
         install them with:\n{install_line}"
    )]
    MissingPackages {
        /// Human readable list of missing binaries.
        missing: String,
        /// The exact `apt-get install -y ...` line naming only what is missing.
        install_line: String,
    },

    /// The Patroni venv does not hold the expected programs.
    #[error(
        "patroni venv {venv} is not usable: {detail}\n\
         create it with: pgtui lab install-patroni4 --venv {venv}"
    )]
    BadVenv { venv: PathBuf, detail: String },

    /// Running as root but the `postgres` system user is missing.
    #[error(
        "running as root, but the system user `postgres` does not exist \
         (PostgreSQL refuses to run as root and the lab runs everything as `postgres`); \
         install postgresql-15, which creates it, or run the lab as an unprivileged user"
    )]
    NoPostgresUser,

    /// The lab directory exists and holds something that is not a lab.
    #[error(
        "lab dir {dir} already exists and is not empty (and is not a stale pgtui lab); \
         remove it or pass another --dir"
    )]
    DirInUse { dir: PathBuf },

    /// The lab directory cannot be used by the user the lab runs as.
    #[error(
        "lab dir {dir} is not writable by user `{user}` (a parent directory is probably \
         not searchable by it, e.g. a 0700 dir of root); choose a dir under /tmp"
    )]
    DirNotAccessible { dir: PathBuf, user: String },

    /// A TCP address the lab wants to listen on is already taken.
    #[error(
        "{component} cannot listen on {addr}: {detail}; another lab with the same index \
         (or another service) is running — stop it or use another --index"
    )]
    PortInUse {
        component: String,
        addr: String,
        detail: String,
    },

    /// A file-system operation failed.
    #[error("{what} {path} failed: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A process could not be spawned at all.
    #[error("could not start {component} ({program}): {source}; check that it is installed and executable")]
    Spawn {
        component: String,
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A lab process exited while it should have kept running.
    #[error(
        "{component} exited unexpectedly ({status}) while the lab was {phase}; \
         last lines of {log}:\n{tail}"
    )]
    Exited {
        component: String,
        status: String,
        phase: String,
        log: PathBuf,
        tail: String,
    },

    /// A readiness condition was not met before the deadline.
    #[error(
        "timed out after {elapsed_secs:.1} s waiting for {component}: {waiting_for}; last seen: {last_state}; \
         raise --deadline-secs if the machine is slow, otherwise see the log.\n\
         last lines of {log}:\n{tail}"
    )]
    Timeout {
        component: String,
        waiting_for: String,
        last_state: String,
        elapsed_secs: f32,
        log: PathBuf,
        tail: String,
    },

    /// A one-shot command (pgbackrest, patroni --version, pip) failed.
    #[error("{component}: `{command}` failed ({status}); last lines of {log}:\n{tail}")]
    CommandFailed {
        component: String,
        command: String,
        status: String,
        log: PathBuf,
        tail: String,
    },

    /// A final verification (e.g. `pgbackrest info`) did not show what it should.
    #[error("{component}: verification failed: {detail}")]
    Verify { component: String, detail: String },

    /// Rendering a configuration file failed.
    #[error("rendering {what} failed: {detail}")]
    Render { what: String, detail: String },

    /// The lab was interrupted (signal or stdin guard) while starting.
    #[error("lab start interrupted by {0}; everything started so far was torn down")]
    Interrupted(String),

    /// Teardown could not remove everything.
    #[error("lab teardown left things behind: {0}; kill them by pid and remove the dir by hand")]
    Leftovers(String),
}

impl LabError {
    /// Shorthand for an [`LabError::Io`].
    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        LabError::Io {
            what,
            path: path.into(),
            source,
        }
    }
}
