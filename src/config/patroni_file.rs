//! Reading a Patroni or patronictl YAML file the way patronictl does.
//!
//! On a Pigsty or autobase node the DBA already has `/etc/patroni/patroni.yml`
//! (or a patronictl.yaml); pgtui reads the same file so no new config is
//! needed. Only the sections patronictl uses are interpreted; everything else
//! in the file is ignored, as patronictl ignores it.

use super::secret::Secret;
use super::ConfigError;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PatroniFile {
    pub scope: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub etcd3: Option<EtcdSection>,
    /// Patroni's v2 `etcd` section: only its addresses and credentials are
    /// reused, always with the v3 protocol.
    pub etcd: Option<EtcdSection>,
    pub ctl: Option<CtlSection>,
    pub restapi: Option<RestapiSection>,
    pub postgresql: Option<PostgresqlSection>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EtcdSection {
    pub host: Option<String>,
    pub hosts: Option<Hosts>,
    pub url: Option<String>,
    pub proxy: Option<String>,
    pub srv: Option<String>,
    pub protocol: Option<String>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub cacert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

/// `hosts` is a YAML list or a comma separated string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Hosts {
    List(Vec<String>),
    Csv(String),
}

impl Hosts {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Hosts::List(v) => v
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            Hosts::Csv(s) => s
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Auth {
    pub username: Option<String>,
    pub password: Option<Secret>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CtlSection {
    pub authentication: Option<Auth>,
    pub insecure: Option<bool>,
    pub cacert: Option<PathBuf>,
    pub certfile: Option<PathBuf>,
    pub keyfile: Option<PathBuf>,
    pub keyfile_password: Option<Secret>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RestapiSection {
    pub authentication: Option<Auth>,
    pub cafile: Option<PathBuf>,
    pub certfile: Option<PathBuf>,
    pub keyfile: Option<PathBuf>,
    pub connect_address: Option<String>,
    pub listen: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PostgresqlSection {
    pub authentication: Option<PgAuthentication>,
    pub connect_address: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PgAuthentication {
    pub superuser: Option<PgLogin>,
}

/// Patroni's `postgresql.authentication.superuser`: a login and libpq's TLS
/// settings for it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PgLogin {
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub sslmode: Option<String>,
    pub sslrootcert: Option<PathBuf>,
    pub sslcert: Option<PathBuf>,
    pub sslkey: Option<PathBuf>,
}

impl PatroniFile {
    /// Parses YAML text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            return Ok(PatroniFile::default());
        }
        if let Some(line) = super::file::yaml_too_deep(text, super::file::MAX_DEPTH) {
            return Err(ConfigError::Malformed {
                path: path.to_path_buf(),
                line: Some(line),
                reason: format!(
                    "nested deeper than {} levels, more than any Patroni configuration",
                    super::file::MAX_DEPTH
                ),
            });
        }
        serde_yaml::from_str(text).map_err(|e| ConfigError::Malformed {
            path: path.to_path_buf(),
            line: e.location().map(|l| l.line()),
            reason: super::shape::describe(&e.to_string()),
        })
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::parse(&super::file::read_config(path)?, path)
    }
}
