//! [`LabInfo`]: what a running lab tells its users (tests, demos, the TUI).
//!
//! It is printed as one JSON line by `pgtui lab up` and written to
//! `LAB/lab.json`, so it is plain serde data with public fields and no
//! behaviour beyond being built from the [`Layout`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::secrets::Secrets;
use super::spec::{addr, Layout, NAMESPACE};

/// A PostgreSQL/Patroni member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabMember {
    pub name: String,
    pub host: String,
    pub pg_port: u16,
    /// `http://HOST:8008`
    pub api_url: String,
}

/// A Patroni cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabCluster {
    pub name: String,
    pub members: Vec<LabMember>,
}

/// HAProxy service ports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabHaproxyPorts {
    pub primary: u16,
    pub replica: u16,
    pub default: u16,
    pub offline: u16,
}

/// One HAProxy (one per pg-test node).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabHaproxy {
    pub node: String,
    pub host: String,
    /// `http://HOST:9101/stats;csv`
    pub stats_url: String,
    pub stats_user: String,
    pub stats_password: String,
    /// `http://HOST:9101/metrics` when this HAProxy build has the Prometheus exporter.
    pub metrics_url: Option<String>,
    /// Admin stats socket.
    pub admin_socket: PathBuf,
    pub ports: LabHaproxyPorts,
}

/// Everything a user of the lab needs to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabInfo {
    pub dir: PathBuf,
    pub index: u8,
    pub namespace: String,
    /// `127.0.N.1:2379`, ...
    pub etcd_endpoints: Vec<String>,
    pub clusters: Vec<LabCluster>,
    pub haproxy: Vec<LabHaproxy>,
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
}

impl LabInfo {
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
                        api_url: format!("http://{}", addr(&m.host, p.rest)),
                    })
                    .collect(),
            })
            .collect();
        let haproxy = layout
            .test_cluster()
            .members
            .iter()
            .map(|m| LabHaproxy {
                node: m.name.clone(),
                host: m.host.clone(),
                stats_url: format!("http://{}/stats;csv", addr(&m.host, p.stats)),
                stats_user: secrets.stats_user.clone(),
                stats_password: secrets.stats_password.clone(),
                metrics_url: prometheus
                    .then(|| format!("http://{}/metrics", addr(&m.host, p.stats))),
                admin_socket: layout.haproxy_socket(&m.name),
                ports: LabHaproxyPorts {
                    primary: p.primary,
                    replica: p.replica,
                    default: p.default,
                    offline: p.offline,
                },
            })
            .collect();
        LabInfo {
            dir: layout.dir.clone(),
            index: layout.index,
            namespace: NAMESPACE.to_string(),
            etcd_endpoints: layout.etcd_endpoints(),
            clusters,
            haproxy,
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
        }
    }
}
