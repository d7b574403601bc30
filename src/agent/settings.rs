//! The agent's settings: patroni.yml first, flags and `PGTUI_AGENT_*`
//! variables for what it cannot say.
//!
//! | setting | default |
//! |---|---|
//! | `--listen` | the REST API's host from patroni.yml, port 8010 |
//! | `--token-file` / `PGTUI_AGENT_TOKEN` | none: the agent refuses to start without a token |
//! | `--cert`/`--key` | none: plain HTTP (fine on loopback only) |
//! | `--stanza` | `--stanza=` in the archive_command or restore_command |
//! | `--pgbackrest` | `pgbackrest` on PATH |
//! | `--patroni-stop` | `sudo systemctl stop patroni` (a restore stops Patroni on its node) |
//! | `--patroni-start` | `sudo systemctl start patroni` |
//! | `--patroni-log-dir` | `log.dir` of patroni.yml; without it Patroni logs to stderr (journald) and the agent says so |
//! | `--patroni-log-file` | `patroni.log` (what Patroni names it in `log.dir`); its rotations `patroni.log.N` are served too |
//! | `--postgres-log-dir` | `log_directory` (default `log`) under the data directory |
//! | `--pgbackrest-log-dir` | `PGBACKREST_LOG_PATH`, else `log-path` of `PGBACKREST_CONFIG` or `/etc/pgbackrest/pgbackrest.conf`, else `/var/log/pgbackrest` |
//!
//! | `--vip-manager-config` | `/etc/default/vip-manager.yml` (read first when it exists) |
//! | `--keepalived-config` | `/etc/keepalived/keepalived.conf` |
//!
//! The log endpoints read only regular files inside these directories
//! (`agent/logs.rs`).
//!
//! The stop and start commands run through `sh -c` as the agent's user. A
//! Debian or RPM Patroni unit needs one sudoers line for exactly these two
//! commands; nothing else of the agent needs privileges.

use crate::config::patroni_file::PatroniFile;
use crate::config::Secret;
use std::path::PathBuf;

/// `pgtui agent` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct AgentArgs {
    /// The node's patroni.yml.
    #[arg(
        short = 'c',
        long = "patroni-config",
        default_value = "/etc/patroni/patroni.yml"
    )]
    pub patroni_config: PathBuf,
    /// host:port to listen on (default: the REST API's host, port 8010).
    #[arg(long)]
    pub listen: Option<String>,
    /// File holding the bearer token (else PGTUI_AGENT_TOKEN).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// TLS certificate (PEM); with --key the agent serves https.
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// pgBackRest stanza (default: from the archive_command).
    #[arg(long)]
    pub stanza: Option<String>,
    /// The pgbackrest binary.
    #[arg(long, default_value = "pgbackrest")]
    pub pgbackrest: PathBuf,
    /// Shell command that stops Patroni on this node (a restore runs it
    /// while the cluster is paused, so PostgreSQL keeps running).
    #[arg(long, default_value = "sudo systemctl stop patroni")]
    pub patroni_stop: String,
    /// Shell command that starts Patroni on this node.
    #[arg(long, default_value = "sudo systemctl start patroni")]
    pub patroni_start: String,
    /// Directory of Patroni's log (default: `log.dir` of patroni.yml).
    #[arg(long)]
    pub patroni_log_dir: Option<PathBuf>,
    /// Name of Patroni's log file in that directory.
    #[arg(long, default_value = "patroni.log")]
    pub patroni_log_file: String,
    /// Directory of PostgreSQL's logs (default: `log_directory` under the data directory).
    #[arg(long)]
    pub postgres_log_dir: Option<PathBuf>,
    /// Directory of pgBackRest's logs (default: its `log-path`).
    #[arg(long)]
    pub pgbackrest_log_dir: Option<PathBuf>,
    /// vip-manager's config (read first when it exists).
    #[arg(long, default_value = "/etc/default/vip-manager.yml")]
    pub vip_manager_config: PathBuf,
    /// keepalived's config (read when vip-manager's does not exist).
    #[arg(long, default_value = "/etc/keepalived/keepalived.conf")]
    pub keepalived_config: PathBuf,
}

/// Where each log of the node is, or why the agent cannot serve it.
#[derive(Debug, Clone)]
pub struct LogDirs {
    pub patroni: Result<(PathBuf, String), String>,
    pub postgres: Result<PathBuf, String>,
    pub pgbackrest: Result<PathBuf, String>,
}

/// How the agent reaches the local PostgreSQL (its unix socket).
#[derive(Debug, Clone)]
pub struct LocalPg {
    pub socket_dir: String,
    pub port: u16,
    pub user: String,
    pub password: Option<Secret>,
}

/// Everything the agent runs with, validated.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    pub member: String,
    pub cluster: String,
    pub listen: String,
    pub token: Secret,
    pub tls: Option<(PathBuf, PathBuf)>,
    /// None: pgBackRest is not configured on this node (said, not guessed).
    pub stanza: Option<String>,
    pub pgbackrest: PathBuf,
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL's binaries (`postgresql.bin_dir`; empty: on PATH).
    pub bin_dir: PathBuf,
    pub patroni_stop: String,
    pub patroni_start: String,
    pub local_pg: LocalPg,
    /// pgtui's configuration from the same patroni.yml: etcd (for the
    /// registration and job records), the REST API and its credentials.
    /// `Err` says why it could not be resolved; the agent still serves.
    pub pgtui: Result<crate::config::Config, String>,
    pub patroni_config: PathBuf,
    pub logs: LogDirs,
    /// vip-manager's and keepalived's config files.
    pub vip_configs: (PathBuf, PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}: {reason}")]
    PatroniFile { path: String, reason: String },
    #[error(
        "no token: pass --token-file FILE or set PGTUI_AGENT_TOKEN (the agent never runs open)"
    )]
    NoToken,
    #[error("token file {path}: {reason}")]
    TokenFile { path: String, reason: String },
    #[error("{0}")]
    Invalid(String),
}

impl AgentSettings {
    pub fn resolve(
        args: &AgentArgs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<AgentSettings, SettingsError> {
        let path = args.patroni_config.display().to_string();
        let bad = |reason: String| SettingsError::PatroniFile {
            path: path.clone(),
            reason,
        };
        let text = crate::config::file::read_config(&args.patroni_config)
            .map_err(|e| bad(e.to_string()))?;
        let file =
            PatroniFile::parse(&text, &args.patroni_config).map_err(|e| bad(e.to_string()))?;
        let yaml: serde_yaml::Value =
            serde_yaml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let member = file
            .name
            .clone()
            .ok_or_else(|| bad("no `name` (the member name)".into()))?;
        let cluster = file
            .scope
            .clone()
            .ok_or_else(|| bad("no `scope` (the cluster name)".into()))?;
        let token = token(args, env)?;
        let listen = match &args.listen {
            Some(l) => l.clone(),
            None => {
                let rest = file
                    .restapi
                    .as_ref()
                    .and_then(|r| r.connect_address.clone().or(r.listen.clone()))
                    .ok_or_else(|| bad("no restapi.connect_address to take the agent's host from; pass --listen".into()))?;
                let host = rest.rsplit_once(':').map(|(h, _)| h).unwrap_or(&rest);
                format!("{host}:8010")
            }
        };
        crate::config::resolve::check_host_port(&listen)
            .map_err(|r| SettingsError::Invalid(format!("--listen: {r}")))?;
        let pg = &yaml["postgresql"];
        let params = |name: &str| {
            pg["parameters"][name]
                .as_str()
                .or_else(|| yaml["bootstrap"]["dcs"]["postgresql"]["parameters"][name].as_str())
                .map(str::to_string)
        };
        let stanza = args.stanza.clone().or_else(|| {
            params("archive_command")
                .as_deref()
                .and_then(stanza_of)
                .or_else(|| {
                    pg["recovery_conf"]["restore_command"]
                        .as_str()
                        .and_then(stanza_of)
                })
                .or_else(|| params("restore_command").as_deref().and_then(stanza_of))
        });
        let port = pg["listen"]
            .as_str()
            .and_then(|l| l.rsplit_once(':'))
            .and_then(|(_, p)| p.parse().ok())
            .or_else(|| {
                pg["parameters"]["port"]
                    .as_u64()
                    .and_then(|p| u16::try_from(p).ok())
            })
            .unwrap_or(5432);
        let socket_dir = params("unix_socket_directories")
            .map(|s| s.split(',').next().unwrap_or("").trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "/var/run/postgresql".into());
        let su = file
            .postgresql
            .as_ref()
            .and_then(|p| p.authentication.as_ref())
            .and_then(|a| a.superuser.as_ref());
        let inputs = crate::config::Inputs {
            config_file: Some(args.patroni_config.clone()),
            ..Default::default()
        };
        let pgtui = crate::config::resolve(&inputs, env).map_err(|e| e.to_string());
        let data_dir = pg["data_dir"].as_str().map(PathBuf::from);
        let logs = LogDirs {
            patroni: args
                .patroni_log_dir
                .clone()
                .or_else(|| yaml["log"]["dir"].as_str().map(PathBuf::from))
                .map(|d| (d, args.patroni_log_file.clone()))
                .ok_or_else(|| {
                    "Patroni has no log.dir in patroni.yml, so it logs to stderr: read it with journalctl -u patroni, or pass --patroni-log-dir".to_string()
                }),
            postgres: match (&args.postgres_log_dir, &data_dir) {
                (Some(d), _) => Ok(d.clone()),
                (None, Some(data)) => {
                    let d = PathBuf::from(params("log_directory").unwrap_or_else(|| "log".into()));
                    Ok(if d.is_absolute() { d } else { data.join(d) })
                }
                (None, None) => Err("no postgresql.data_dir in patroni.yml to find log_directory under; pass --postgres-log-dir".into()),
            },
            pgbackrest: match (&args.pgbackrest_log_dir, &stanza) {
                (Some(d), _) => Ok(d.clone()),
                (None, Some(_)) => Ok(pgbackrest_log_path(env)),
                (None, None) => Err("pgBackRest is not configured on this node (no --stanza= in archive_command)".into()),
            },
        };
        Ok(AgentSettings {
            logs,
            vip_configs: (
                args.vip_manager_config.clone(),
                args.keepalived_config.clone(),
            ),
            pgtui,
            patroni_config: args.patroni_config.clone(),
            member,
            cluster,
            listen,
            token,
            tls: args.cert.clone().zip(args.key.clone()),
            stanza,
            pgbackrest: args.pgbackrest.clone(),
            data_dir,
            bin_dir: pg["bin_dir"]
                .as_str()
                .map(PathBuf::from)
                .unwrap_or_default(),
            patroni_stop: args.patroni_stop.clone(),
            patroni_start: args.patroni_start.clone(),
            local_pg: LocalPg {
                socket_dir,
                port,
                user: su
                    .and_then(|s| s.username.clone())
                    .unwrap_or_else(|| "postgres".into()),
                password: su.and_then(|s| s.password.clone()),
            },
        })
    }
}

fn token(args: &AgentArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<Secret, SettingsError> {
    let raw = match &args.token_file {
        Some(p) => std::fs::read_to_string(p).map_err(|e| SettingsError::TokenFile {
            path: p.display().to_string(),
            reason: e.to_string(),
        })?,
        None => env("PGTUI_AGENT_TOKEN").ok_or(SettingsError::NoToken)?,
    };
    let t = raw.trim();
    if t.len() < 16 {
        return Err(SettingsError::Invalid(
            "the agent token is shorter than 16 characters; use a long random one (openssl rand -hex 32)".into(),
        ));
    }
    Ok(Secret::new(t))
}

/// pgBackRest's `log-path`: its environment variable, else its config
/// file's `[global]` setting, else its default.
fn pgbackrest_log_path(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(p) = env("PGBACKREST_LOG_PATH") {
        return PathBuf::from(p);
    }
    let conf = env("PGBACKREST_CONFIG").unwrap_or_else(|| "/etc/pgbackrest/pgbackrest.conf".into());
    let text = std::fs::read_to_string(conf).unwrap_or_default();
    let mut global = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            global = line == "[global]";
        } else if let Some(v) = line.strip_prefix("log-path=").filter(|_| global) {
            return PathBuf::from(v.trim());
        }
    }
    PathBuf::from("/var/log/pgbackrest")
}

/// The stanza a pgbackrest command line names (`--stanza=X` or `--stanza X`).
pub fn stanza_of(command: &str) -> Option<String> {
    if !command.contains("pgbackrest") {
        return None;
    }
    let mut words = command.split_whitespace();
    while let Some(w) = words.next() {
        if let Some(s) = w.strip_prefix("--stanza=") {
            return Some(s.trim_matches(['"', '\'']).to_string()).filter(|s| !s.is_empty());
        }
        if w == "--stanza" {
            return words
                .next()
                .map(|s| s.trim_matches(['"', '\'']).to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::stanza_of;

    #[test]
    fn stanza_from_archive_and_restore_commands() {
        assert_eq!(
            stanza_of("pgbackrest --stanza=pg-test archive-push %p").as_deref(),
            Some("pg-test")
        );
        assert_eq!(
            stanza_of("pgbackrest --stanza pg-meta archive-get %f \"%p\"").as_deref(),
            Some("pg-meta")
        );
        assert_eq!(
            stanza_of("/usr/bin/pgbackrest --config=/x --stanza='a' archive-push %p").as_deref(),
            Some("a")
        );
        assert_eq!(stanza_of("cp %p /mnt/archive/%f"), None);
        assert_eq!(stanza_of("pgbackrest archive-push %p"), None);
        assert_eq!(stanza_of("pgbackrest --stanza= archive-push %p"), None);
    }
}
