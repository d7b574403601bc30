//! pgtui's own settings: `$XDG_CONFIG_HOME/pgtui/config.toml`.
//!
//! Things patronictl's YAML has no place for: HAProxy stats endpoints, SQL
//! probe credentials, the theme, polling intervals. Every field is optional.

use super::secret::Secret;
use super::ConfigError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub theme: Option<String>,
    #[serde(default)]
    pub etcd: EtcdSettings,
    #[serde(default)]
    pub rest: RestSettings,
    pub sql: Option<SqlSettings>,
    pub pgbouncer: Option<super::pgbouncer::PgbouncerSettings>,
    /// Per cluster name.
    #[serde(default)]
    pub haproxy: BTreeMap<String, HaproxySettings>,
    /// `read_only = true`: no operation on any cluster.
    pub read_only: Option<bool>,
    /// Per cluster name (`[clusters.pg-prod] read_only = true`).
    #[serde(default)]
    pub clusters: BTreeMap<String, ClusterSettings>,
    #[serde(default)]
    pub agent: AgentClientSettings,
}

/// How pgtui talks to the node agents (`pgtui agent`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentClientSettings {
    /// A file holding the agents' bearer token (else `PGTUI_AGENT_TOKEN`).
    pub token_file: Option<PathBuf>,
    /// The CA of agents serving https (default: the REST API's CA).
    pub cacert: Option<PathBuf>,
    pub timeout_ms: Option<u64>,
    /// How often the focused cluster's backups are read (default 10 s).
    pub poll_interval_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSettings {
    #[serde(default)]
    pub read_only: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EtcdSettings {
    /// Where pgtui keeps its own keys (operation locks); default
    /// `<namespace>.pgtui/`, inside the namespace Patroni's credential may
    /// write, and outside every cluster's prefix Patroni watches.
    pub pgtui_prefix: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestSettings {
    pub timeout_ms: Option<u64>,
    pub poll_interval_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlSettings {
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub dbname: Option<String>,
    pub connect_timeout_ms: Option<u64>,
    pub poll_interval_ms: Option<u64>,
    /// libpq's meanings; see `config::sql`.
    pub sslmode: Option<String>,
    pub sslrootcert: Option<PathBuf>,
    pub sslcert: Option<PathBuf>,
    pub sslkey: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaproxySettings {
    pub stats_urls: Vec<String>,
    pub user: Option<String>,
    pub password: Option<Secret>,
    /// Service label → port (`primary = 5433`, `master = 5000`) for the
    /// service-port probe; default: Pigsty's 5433/5434/5436/5438.
    pub ports: Option<BTreeMap<String, u16>>,
}

impl Settings {
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let at = e.span().map(|s| s.start.min(text.len()));
            let reason = super::shape::describe(e.message());
            ConfigError::Malformed {
                path: path.to_path_buf(),
                line: at.map(|a| text[..a].matches('\n').count() + 1),
                reason: match at.and_then(|a| super::shape::toml_field(text, a)) {
                    Some(field) => format!("{field}: {reason}"),
                    None => reason,
                },
            }
        })
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::parse(&super::file::read_config(path)?, path)
    }

    /// `$XDG_CONFIG_HOME/pgtui/config.toml`, or `~/.config/pgtui/config.toml`.
    pub fn default_path() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join("pgtui").join("config.toml"))
    }
}
