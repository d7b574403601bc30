//! [`LabInfo`]: what a running lab tells its users (tests, demos, the TUI).
//!
//! It is printed as one JSON line by `pgtui lab up` and written to
//! `LAB/lab.json`, so it is plain serde data with public fields and no
//! behaviour beyond being built from the [`Layout`] (and two small
//! accessors that spare readers the style's arithmetic).
//!
//! Fields added for the lab styles carry serde defaults, so a reader built
//! against this version still parses a `lab.json` written by an older lab
//! (it is then a Pigsty lab), and a Pigsty lab's JSON is the old JSON plus
//! new fields.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::secrets::Secrets;
use super::spec::{addr, LabStyle, Layout};

/// A PostgreSQL/Patroni member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabMember {
    pub name: String,
    pub host: String,
    pub pg_port: u16,
    /// `http://HOST:8008` (`https://` in a hardened lab)
    pub api_url: String,
}

/// A Patroni cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabCluster {
    pub name: String,
    pub members: Vec<LabMember>,
}

/// HAProxy service ports, by the role pgtui gives them. An autobase lab
/// has no `default` or `offline` service: there `default` is its `master`
/// port (its write entry point) and `offline` its `replicas_async` port;
/// [`LabHaproxy::services`] has the real names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabHaproxyPorts {
    pub primary: u16,
    pub replica: u16,
    pub default: u16,
    pub offline: u16,
    /// autobase's `replicas_sync`.
    #[serde(default)]
    pub replica_sync: Option<u16>,
    /// autobase's `replicas_async`.
    #[serde(default)]
    pub replica_async: Option<u16>,
}

/// One HAProxy (one per pg-test node).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabHaproxy {
    pub node: String,
    pub host: String,
    /// `http://HOST:9101/stats;csv` (autobase: `http://HOST:7000/;csv`)
    pub stats_url: String,
    /// Stats page credentials; both empty when the page has no auth
    /// (autobase's default).
    pub stats_user: String,
    pub stats_password: String,
    /// `http://HOST:9101/metrics` when this HAProxy build has the Prometheus exporter.
    pub metrics_url: Option<String>,
    /// Admin stats socket.
    pub admin_socket: PathBuf,
    pub ports: LabHaproxyPorts,
    /// `listen` section name -> port, as HAProxy names them
    /// (`pg-test-primary` or `master`, ...).
    #[serde(default)]
    pub services: BTreeMap<String, u16>,
    /// The services whose servers are the members' pgbouncers, not their
    /// PostgreSQL.
    #[serde(default)]
    pub pooled: Vec<String>,
}

/// One pgbouncer (one per pg-test node): the admin console takes the
/// superuser (`admin_users`) and `stats_user` (`stats_users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabPgbouncer {
    pub node: String,
    pub host: String,
    pub port: u16,
    pub stats_user: String,
    pub stats_password: String,
    /// A database whose pool has one server connection.
    pub saturable_db: String,
}

/// The lab's VIP (run as root only): its address, the manager whose
/// config each node has, and each pg-test node's interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabVip {
    pub ip: String,
    pub manager: String,
    pub interfaces: std::collections::BTreeMap<String, String>,
}

/// Everything a user of the lab needs to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabInfo {
    pub dir: PathBuf,
    pub index: u8,
    /// `pigsty` or `autobase`.
    #[serde(default)]
    pub style: LabStyle,
    pub namespace: String,
    /// `127.0.N.1:2379`, ... (see [`LabInfo::etcd_urls`]).
    pub etcd_endpoints: Vec<String>,
    /// `http` or `https`: the etcd client URLs' scheme.
    #[serde(default = "http")]
    pub etcd_scheme: String,
    /// The lab's private CA (etcd and Patroni REST certificates), if TLS is on.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The limited etcd user Patroni logs in as (role `patroni`: read-write on
    /// the namespace only); `None` when etcd has no authentication.
    #[serde(default)]
    pub etcd_user: Option<String>,
    #[serde(default)]
    pub etcd_password: Option<String>,
    /// etcd's `root` user; `None` when etcd has no authentication.
    #[serde(default)]
    pub etcd_root_user: Option<String>,
    #[serde(default)]
    pub etcd_root_password: Option<String>,
    pub clusters: Vec<LabCluster>,
    pub haproxy: Vec<LabHaproxy>,
    /// The pgbouncers, one per pg-test node.
    #[serde(default)]
    pub pgbouncer: Vec<LabPgbouncer>,
    /// None when the lab did not run as root.
    #[serde(default)]
    pub vip: Option<LabVip>,
    pub rest_user: String,
    pub rest_password: String,
    pub superuser: String,
    pub superuser_password: String,
    pub replication_user: String,
    pub replication_password: String,
    /// patronictl of the Patroni flavour in use.
    pub patronictl: PathBuf,
    /// `LAB/patronictl.yaml`
    pub patronictl_config: PathBuf,
    /// node name -> its pgBackRest config file.
    pub pgbackrest_configs: BTreeMap<String, PathBuf>,
    /// e.g. `3.0.2`
    pub patroni_version: String,
    /// The node agents' bearer token file (`LAB/conf/agent.token`).
    #[serde(default)]
    pub agent_token_file: Option<PathBuf>,
    /// member -> its agent's URL.
    #[serde(default)]
    pub agents: BTreeMap<String, String>,
}

fn http() -> String {
    "http".into()
}

impl LabInfo {
    /// `SCHEME://127.0.N.1:2379`, ...
    pub fn etcd_urls(&self) -> Vec<String> {
        self.etcd_endpoints
            .iter()
            .map(|e| format!("{}://{e}", self.etcd_scheme))
            .collect()
    }

    /// The REST scheme of the members (`http` or `https`).
    pub fn rest_scheme(&self) -> &'static str {
        self.style.scheme()
    }

    pub(crate) fn build(
        layout: &Layout,
        secrets: &Secrets,
        patronictl: PathBuf,
        patroni_version: String,
        prometheus: bool,
    ) -> LabInfo {
        let p = &layout.ports;
        let clusters = layout
            .clusters
            .iter()
            .map(|c| LabCluster {
                name: c.name.clone(),
                members: c
                    .members
                    .iter()
                    .map(|m| LabMember {
                        name: m.name.clone(),
                        host: m.host.clone(),
                        pg_port: p.postgres,
                        api_url: format!("{}://{}", layout.style.scheme(), addr(&m.host, p.rest)),
                    })
                    .collect(),
            })
            .collect();
        let style = layout.style;
        let hardened = style.hardened();
        let all = style.services(super::spec::TEST_CLUSTER, p);
        let pooled: Vec<String> = all
            .iter()
            .filter(|s| s.pooled)
            .map(|s| s.name.clone())
            .collect();
        let services: BTreeMap<String, u16> = all.into_iter().map(|s| (s.name, s.port)).collect();
        let ports = match style {
            LabStyle::Pigsty => LabHaproxyPorts {
                primary: p.primary,
                replica: p.replica,
                default: p.default,
                offline: p.offline,
                replica_sync: None,
                replica_async: None,
            },
            LabStyle::Autobase => LabHaproxyPorts {
                primary: services["master"],
                replica: services["replicas"],
                default: services["master"],
                offline: services["replicas_async"],
                replica_sync: Some(services["replicas_sync"]),
                replica_async: Some(services["replicas_async"]),
            },
        };
        let stats = layout.stats_port();
        let haproxy = layout
            .test_cluster()
            .members
            .iter()
            .map(|m| LabHaproxy {
                node: m.name.clone(),
                host: m.host.clone(),
                stats_url: format!("http://{}{};csv", addr(&m.host, stats), style.stats_path()),
                stats_user: if hardened {
                    String::new()
                } else {
                    secrets.stats_user.clone()
                },
                stats_password: if hardened {
                    String::new()
                } else {
                    secrets.stats_password.clone()
                },
                metrics_url: (prometheus && !hardened)
                    .then(|| format!("http://{}/metrics", addr(&m.host, stats))),
                admin_socket: layout.haproxy_socket(&m.name),
                ports: ports.clone(),
                services: services.clone(),
                pooled: pooled.clone(),
            })
            .collect();
        let pgbouncer = layout
            .test_cluster()
            .members
            .iter()
            .map(|m| LabPgbouncer {
                node: m.name.clone(),
                host: m.host.clone(),
                port: super::pgbouncer::PORT,
                stats_user: secrets.stats_user.clone(),
                stats_password: secrets.stats_password.clone(),
                saturable_db: super::pgbouncer::SATURABLE.into(),
            })
            .collect();
        let vip = super::vip::enabled().then(|| LabVip {
            ip: super::vip::ip(layout),
            manager: super::vip::manager(layout).to_string(),
            interfaces: layout
                .test_cluster()
                .members
                .iter()
                .map(|m| (m.name.clone(), super::vip::link(layout, m)))
                .collect(),
        });
        let auth = |v: &String| hardened.then(|| v.clone());
        LabInfo {
            vip,
            dir: layout.dir.clone(),
            index: layout.index,
            style,
            namespace: layout.namespace().to_string(),
            etcd_endpoints: layout.etcd_endpoints(),
            etcd_scheme: style.scheme().to_string(),
            ca_file: layout.ca_file(),
            etcd_user: auth(&secrets.etcd_user),
            etcd_password: auth(&secrets.etcd_password),
            etcd_root_user: auth(&secrets.etcd_root_user),
            etcd_root_password: auth(&secrets.etcd_root_password),
            clusters,
            haproxy,
            pgbouncer,
            rest_user: secrets.rest_user.clone(),
            rest_password: secrets.rest_password.clone(),
            superuser: secrets.superuser.clone(),
            superuser_password: secrets.superuser_password.clone(),
            replication_user: secrets.replication_user.clone(),
            replication_password: secrets.replication_password.clone(),
            patronictl,
            patronictl_config: layout.patronictl_yaml(),
            pgbackrest_configs: layout
                .nodes()
                .map(|n| (n.name.clone(), n.pgbackrest_conf.clone()))
                .collect(),
            patroni_version,
            agent_token_file: Some(super::agent::token_file(layout)),
            agents: layout
                .nodes()
                .map(|n| (n.name.clone(), super::agent::url(layout, n)))
                .collect(),
        }
    }
}
