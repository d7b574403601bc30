//! Layering flags, environment, files and defaults into one [`Config`].

use super::dcs_url;
use super::patroni_file::{EtcdSection, PatroniFile};
use super::settings::Settings;
use super::userinfo;
use super::{Config, ConfigError, EtcdConfig, RestConfig, Secret, TlsFiles};
use std::path::PathBuf;
use std::time::Duration;

/// What the command line (and its env fallbacks, handled by clap) gave us.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// `-c/--config-file` or `PATRONICTL_CONFIG_FILE`: explicit, so it must exist.
    pub config_file: Option<PathBuf>,
    pub dcs_url: Option<String>,
    pub cluster: Option<String>,
    pub insecure: bool,
    /// `--settings` or `PGTUI_SETTINGS`: explicit, so it must exist.
    pub settings_file: Option<PathBuf>,
    pub theme: Option<String>,
    /// `--read-only` or `PGTUI_READ_ONLY`.
    pub read_only: bool,
    /// `--allow-stale`: a stale or partial answer exits 0.
    pub allow_stale: bool,
}

/// Patroni's default namespace.
pub const DEFAULT_NAMESPACE: &str = "/service/";
/// Patroni's default etcd address.
pub const DEFAULT_ETCD: &str = "127.0.0.1:2379";

/// Checks one `host:port`. The reason does not repeat `h`, which may be
/// a password put in the wrong place.
pub fn check_host_port(h: &str) -> Result<(), String> {
    let (host, port) = h.rsplit_once(':').ok_or("has no port")?;
    if host.is_empty() {
        return Err("has no host".into());
    }
    let bracketed = host.starts_with('[') && host.ends_with(']');
    if host.contains(':') && !bracketed {
        return Err("has an invalid host (an IPv6 address goes in brackets: [::1]:2379)".into());
    }
    match port.parse::<u16>() {
        Ok(0) => Err("has port 0; give the port etcd listens on".into()),
        Ok(_) => Ok(()),
        Err(_) => Err("has an invalid port".into()),
    }
}

/// patronictl's default: `~/.config/patroni/patronictl.yaml`.
pub fn default_patronictl_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("patroni").join("patronictl.yaml"))
}

/// The etcd hosts of a patroni.yml section, with the field they came from.
fn etcd_hosts(s: &EtcdSection, section: &str) -> Result<(Vec<String>, String), ConfigError> {
    let (raw, field): (Vec<String>, &str) = if let Some(h) = &s.hosts {
        (h.to_vec(), "hosts")
    } else if let Some(h) = &s.host {
        (vec![h.clone()], "host")
    } else if let Some(u) = &s.url {
        (vec![u.clone()], "url")
    } else if let Some(u) = &s.proxy {
        (vec![u.clone()], "proxy")
    } else if s.srv.is_some() {
        return Err(ConfigError::Invalid(
            "etcd3.srv (DNS SRV discovery) is not supported; list the endpoints in etcd3.hosts"
                .into(),
        ));
    } else {
        (vec![], "hosts")
    };
    let field = format!("{section}.{field}");
    if raw.iter().any(|h| userinfo::present(h)) {
        return Err(ConfigError::Invalid(format!(
            "{field} carries credentials (user:password@ in an address); pgtui does not take them from there: put them in {section}.username and {section}.password"
        )));
    }
    // Entries may carry a scheme (`url`, `proxy`); keep only host:port.
    let hosts = raw
        .into_iter()
        .map(|h| h.split_once("://").map(|(_, r)| r.to_string()).unwrap_or(h))
        .map(|h| h.trim_end_matches('/').to_string())
        .collect();
    Ok((hosts, field))
}

/// Resolves the configuration. `env` is the process environment (injected so
/// tests can drive it).
pub fn resolve(
    inputs: &Inputs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let config_file = inputs
        .config_file
        .clone()
        .or_else(|| default_patronictl_path().filter(|p| p.is_file()));
    let file = match &config_file {
        Some(p) => PatroniFile::load(p)?,
        None => PatroniFile::default(),
    };
    let settings_file = inputs
        .settings_file
        .clone()
        .or_else(|| Settings::default_path().filter(|p| p.is_file()));
    let settings = match &settings_file {
        Some(p) => Settings::load(p)?,
        None => Settings::default(),
    };
    for (cluster, h) in &settings.haproxy {
        if let Some(i) = h.stats_urls.iter().position(|u| userinfo::present(u)) {
            return Err(ConfigError::Invalid(format!(
                "haproxy.{cluster}.stats_urls entry {} carries credentials (user:password@); put them in haproxy.{cluster}.user and haproxy.{cluster}.password",
                i + 1
            )));
        }
    }

    let (section_name, etcd_section) = match (&file.etcd3, &file.etcd) {
        (Some(s), _) => ("etcd3", s.clone()),
        (None, Some(s)) => ("etcd", s.clone()),
        (None, None) => ("etcd3", EtcdSection::default()),
    };
    let url = inputs.dcs_url.as_deref().map(dcs_url::parse).transpose()?;

    // Hosts: flag > env > file > default.
    let env_hosts = env("PATRONI_ETCD3_HOSTS").map(|h| {
        h.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
    });
    if env_hosts.iter().flatten().any(|h| userinfo::present(h)) {
        return Err(ConfigError::Invalid(
            "PATRONI_ETCD3_HOSTS carries credentials (user:password@); pgtui does not take them from there: set PATRONI_ETCD3_USERNAME and PATRONI_ETCD3_PASSWORD".into(),
        ));
    }
    let (hosts, hosts_from) = match (&url, env_hosts) {
        (Some(u), _) => (u.hosts.clone(), "--dcs-url".to_string()),
        (None, Some(h)) if !h.is_empty() => (h, "PATRONI_ETCD3_HOSTS".to_string()),
        _ => {
            let (h, field) = etcd_hosts(&etcd_section, section_name)?;
            if h.is_empty() {
                (vec![DEFAULT_ETCD.to_string()], "the default".to_string())
            } else {
                (h, field)
            }
        }
    };
    for (i, h) in hosts.iter().enumerate() {
        check_host_port(h).map_err(|r| {
            ConfigError::Invalid(format!("etcd endpoint {} of {hosts_from} {r}", i + 1))
        })?;
    }
    let protocol = env("PATRONI_ETCD3_PROTOCOL")
        .or(etcd_section.protocol.clone())
        .unwrap_or_else(|| "http".into());
    if protocol != "http" && protocol != "https" {
        return Err(ConfigError::Invalid(format!(
            "etcd3.protocol must be http or https, not {protocol:?}"
        )));
    }
    let etcd_tls = TlsFiles {
        cacert: env("PATRONI_ETCD3_CACERT")
            .map(PathBuf::from)
            .or(etcd_section.cacert.clone()),
        cert: env("PATRONI_ETCD3_CERT")
            .map(PathBuf::from)
            .or(etcd_section.cert.clone()),
        key: env("PATRONI_ETCD3_KEY")
            .map(PathBuf::from)
            .or(etcd_section.key.clone()),
    };
    let https = protocol == "https" || etcd_tls.cacert.is_some() || etcd_tls.cert.is_some();
    let scheme = if https { "https" } else { "http" };
    let etcd = EtcdConfig {
        endpoints: hosts.iter().map(|h| format!("{scheme}://{h}")).collect(),
        username: env("PATRONI_ETCD3_USERNAME").or(etcd_section.username.clone()),
        password: env("PATRONI_ETCD3_PASSWORD")
            .map(Secret::new)
            .or(etcd_section.password.clone()),
        tls: https.then_some(etcd_tls),
    };
    // `--dcs-url etcd3://USER[:PASSWORD]@...`: the flag's user wins; a
    // password left out of the URL comes from the environment or the file.
    let etcd = match url.as_ref().and_then(|u| u.credentials.clone()) {
        Some(c) => EtcdConfig {
            username: Some(c.username),
            password: c.password.or(etcd.password),
            ..etcd
        },
        None => etcd,
    };
    if etcd.username.is_some() != etcd.password.is_some() {
        return Err(ConfigError::Invalid(
            "etcd3 username and password must be given together".into(),
        ));
    }

    let namespace = url
        .as_ref()
        .and_then(|u| u.namespace.clone())
        .or_else(|| env("PATRONI_NAMESPACE"))
        .or(file.namespace.clone())
        .unwrap_or_else(|| DEFAULT_NAMESPACE.into());
    let cluster = inputs
        .cluster
        .clone()
        .or_else(|| env("PATRONI_SCOPE"))
        .or(file.scope.clone());

    // REST: ctl section first (what patronictl uses), then restapi.
    let ctl = file.ctl.clone().unwrap_or_default();
    let restapi = file.restapi.clone().unwrap_or_default();
    let auth = ctl
        .authentication
        .clone()
        .or(restapi.authentication.clone())
        .unwrap_or_default();
    let rest = RestConfig {
        username: env("PATRONI_RESTAPI_USERNAME").or(auth.username),
        password: env("PATRONI_RESTAPI_PASSWORD")
            .map(Secret::new)
            .or(auth.password),
        tls: TlsFiles {
            cacert: ctl.cacert.clone().or(restapi.cafile.clone()),
            cert: ctl.certfile.clone(),
            key: ctl.keyfile.clone(),
        },
        insecure: inputs.insecure || ctl.insecure.unwrap_or(false),
        timeout: ms(settings.rest.timeout_ms, 2000, "rest.timeout_ms")?,
        poll_interval: ms(
            settings.rest.poll_interval_ms,
            2000,
            "rest.poll_interval_ms",
        )?,
    };

    let sql = super::sql::sql_config(&settings, &file, &rest, env)?;
    let pgbouncer = super::pgbouncer::pgbouncer_config(&settings, sql.as_ref(), env)?;
    let local_rest_url = restapi.connect_address.clone().map(|a| {
        let scheme = if restapi.certfile.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{a}")
    });

    let namespace = crate::dcs::normalize_namespace(&namespace);
    let pgtui_prefix = match env("PGTUI_ETCD_PREFIX").or(settings.etcd.pgtui_prefix.clone()) {
        None => format!("{namespace}.pgtui/"),
        Some(p) if p.starts_with('/') && p.len() > 1 => {
            format!("{}/", p.trim_end_matches('/'))
        }
        Some(p) => {
            return Err(ConfigError::Invalid(format!(
                "etcd.pgtui_prefix (or PGTUI_ETCD_PREFIX) must be an absolute key prefix such as /service/.pgtui/, not {p:?}"
            )))
        }
    };
    if namespace != "/" && pgtui_prefix.starts_with(&namespace) {
        let rest = &pgtui_prefix[namespace.len()..];
        if !rest.starts_with('.') {
            return Err(ConfigError::Invalid(format!(
                "etcd.pgtui_prefix {pgtui_prefix} would look like a cluster named {:?} in namespace {namespace}; inside the namespace, start its first part with a dot ({namespace}.pgtui/)",
                rest.split('/').next().unwrap_or("")
            )));
        }
    }

    let agent = agent_client(&settings, &rest, env)?;
    Ok(Config {
        agent,
        namespace,
        pgtui_prefix,
        allow_stale: inputs.allow_stale,
        cluster,
        etcd,
        rest,
        sql,
        pgbouncer,
        haproxy: settings.haproxy.clone(),
        theme: inputs.theme.clone().or(settings.theme.clone()),
        read_only: super::ReadOnly {
            all: inputs.read_only || settings.read_only.unwrap_or(false),
            clusters: settings
                .clusters
                .iter()
                .filter(|(_, c)| c.read_only)
                .map(|(n, _)| n.clone())
                .collect(),
        },
        local_rest_url,
        config_file,
        settings_file,
        audit_log: super::audit_log(env),
        no_color: super::no_color(env),
    })
}

pub(super) fn ms(v: Option<u64>, default: u64, name: &str) -> Result<Duration, ConfigError> {
    match v.unwrap_or(default) {
        0 => Err(ConfigError::Invalid(format!(
            "{name} must be greater than 0"
        ))),
        n => Ok(Duration::from_millis(n)),
    }
}

/// The agents' token (`PGTUI_AGENT_TOKEN` over `[agent] token_file`) and CA.
fn agent_client(
    settings: &Settings,
    rest: &RestConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<super::AgentClientConfig, ConfigError> {
    let a = &settings.agent;
    let token = match (
        env("PGTUI_AGENT_TOKEN").filter(|t| !t.trim().is_empty()),
        &a.token_file,
    ) {
        (Some(t), _) => Some(Secret::new(t.trim())),
        (None, Some(p)) => {
            let text = super::file::read_config(p)?;
            Some(Secret::new(text.trim()))
        }
        (None, None) => None,
    };
    Ok(super::AgentClientConfig {
        token,
        cacert: a.cacert.clone().or(rest.tls.cacert.clone()),
        timeout: ms(a.timeout_ms, 5000, "agent.timeout_ms")?,
        poll_interval: ms(a.poll_interval_ms, 10_000, "agent.poll_interval_ms")?,
    })
}
