//! Configuration, layered once into one validated [`Config`].
//!
//! Precedence: command-line flags > environment > files > defaults. Files are
//! the patronictl/Patroni YAML ([`patroni_file`]) and pgtui's own TOML
//! ([`settings`]). Resolution happens once at start-up; everything after it
//! reads the resulting struct and never looks at flags, env or files again.

pub mod dcs_url;
pub mod file;
pub mod patroni_file;
pub mod pgbouncer;
pub mod resolve;
pub mod secret;
pub mod settings;
pub mod shape;
pub mod sql;
pub mod userinfo;

pub use pgbouncer::PgbouncerConfig;
pub use resolve::{resolve, Inputs};
pub use secret::Secret;
pub use sql::{SqlConfig, SqlTls, SslMode};

use settings::HaproxySettings;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}; check the path given with -c/--config-file, PATRONICTL_CONFIG_FILE or --settings")]
    Unreadable { path: PathBuf, reason: String },
    #[error("config file {path}{} is malformed: {reason}; fix the file or point to another one", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Malformed {
        path: PathBuf,
        line: Option<usize>,
        reason: String,
    },
    /// The URL itself is never repeated: it may hold a password.
    #[error("invalid --dcs-url (or PGTUI_DCS_URL): {reason}; expected etcd3://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]/NAMESPACE")]
    DcsUrl { reason: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// TLS material for a client connection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TlsFiles {
    pub cacert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct EtcdConfig {
    /// `http://host:port` or `https://host:port`.
    pub endpoints: Vec<String>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub tls: Option<TlsFiles>,
}

#[derive(Debug, Clone)]
pub struct RestConfig {
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub tls: TlsFiles,
    /// Accept any server certificate (`-k`, or `ctl.insecure`).
    pub insecure: bool,
    pub timeout: Duration,
    pub poll_interval: Duration,
}

/// How pgtui reaches the node agents.
#[derive(Debug, Clone)]
pub struct AgentClientConfig {
    /// `None`: no token configured; agents are found but not asked.
    pub token: Option<Secret>,
    pub cacert: Option<PathBuf>,
    pub timeout: Duration,
    pub poll_interval: Duration,
}

/// Read-only, for every cluster or for some: operations are refused by the
/// ops layer, and the console removes their keys instead of prompting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOnly {
    pub all: bool,
    pub clusters: std::collections::BTreeSet<String>,
}

impl ReadOnly {
    pub fn blocks(&self, cluster: &str) -> bool {
        self.all || self.clusters.contains(cluster)
    }

    /// Why writes are blocked, for messages.
    pub fn reason(&self, cluster: &str) -> Option<String> {
        if self.all {
            Some(
                "pgtui runs read-only (--read-only, PGTUI_READ_ONLY or read_only in the settings)"
                    .into(),
            )
        } else if self.clusters.contains(cluster) {
            Some(format!(
                "{cluster} is read-only in the settings ([clusters.{cluster}] read_only = true)"
            ))
        } else {
            None
        }
    }
}

/// The one validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub namespace: String,
    /// Where pgtui's own keys live (`/service/.pgtui/`), ending in `/`.
    pub pgtui_prefix: String,
    /// A stale or partial one-shot answer exits 0 instead of 12.
    pub allow_stale: bool,
    /// The default cluster (`--cluster`, or `scope` in the YAML).
    pub cluster: Option<String>,
    pub etcd: EtcdConfig,
    pub rest: RestConfig,
    pub sql: Option<SqlConfig>,
    /// `None`: `[pgbouncer] enabled = false`, or no SQL login to use.
    pub pgbouncer: Option<PgbouncerConfig>,
    pub agent: AgentClientConfig,
    pub haproxy: BTreeMap<String, HaproxySettings>,
    pub theme: Option<String>,
    /// Which clusters operations may write to.
    pub read_only: ReadOnly,
    /// The local node's REST address from a patroni.yml, used when etcd
    /// cannot be read.
    pub local_rest_url: Option<String>,
    pub config_file: Option<PathBuf>,
    pub settings_file: Option<PathBuf>,
    /// Where operations are recorded (`PGTUI_AUDIT_LOG`, see [`audit_log`]).
    pub audit_log: PathBuf,
    /// `NO_COLOR` set and not empty: no colour anywhere.
    pub no_color: bool,
}

/// `PGTUI_AUDIT_LOG`, else `$XDG_STATE_HOME/pgtui/audit.jsonl`. Kept apart
/// from [`resolve`] so `pgtui audit` finds the log when the rest of the
/// configuration is broken.
pub fn audit_log(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    env("PGTUI_AUDIT_LOG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::state_dir().map(|d| d.join("pgtui").join("audit.jsonl")))
        .unwrap_or_else(|| PathBuf::from("pgtui-audit.jsonl"))
}

/// `NO_COLOR`'s rule: set to anything but the empty string.
pub fn no_color(env: &dyn Fn(&str) -> Option<String>) -> bool {
    env("NO_COLOR").is_some_and(|v| !v.is_empty())
}
