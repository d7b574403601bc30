//! What a lab looks like: the caller's [`LabSpec`] and the derived [`Layout`]
//! (addresses, ports, per-node paths).
//!
//! All naming and addressing lives here so the config renderers, readiness
//! probes and teardown agree on one picture. Lab `N` uses the loopback
//! addresses `127.0.N.x`, which Linux answers without any setup, so several
//! labs can run side by side on the same ports.

use std::path::PathBuf;
use std::time::Duration;

pub use super::style::LabStyle;

/// Which Patroni to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatroniFlavor {
    /// Debian's package: `/usr/bin/patroni`, `/usr/bin/patronictl`.
    Debian,
    /// A venv holding Patroni from PyPI: `VENV/bin/patroni`, `VENV/bin/patronictl`.
    Venv(PathBuf),
}

impl PatroniFlavor {
    /// Path of the `patroni` program.
    pub fn patroni_bin(&self) -> PathBuf {
        match self {
            PatroniFlavor::Debian => PathBuf::from("/usr/bin/patroni"),
            PatroniFlavor::Venv(v) => v.join("bin/patroni"),
        }
    }

    /// Path of the `patronictl` program.
    pub fn patronictl_bin(&self) -> PathBuf {
        match self {
            PatroniFlavor::Debian => PathBuf::from("/usr/bin/patronictl"),
            PatroniFlavor::Venv(v) => v.join("bin/patronictl"),
        }
    }
}

/// TCP ports of the lab (the same on every address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabPorts {
    /// etcd client ports of the three members.
    pub etcd_client: [u16; 3],
    /// etcd peer ports of the three members.
    pub etcd_peer: [u16; 3],
    /// PostgreSQL.
    pub postgres: u16,
    /// Patroni REST API.
    pub rest: u16,
    /// HAProxy services and stats.
    pub primary: u16,
    pub replica: u16,
    pub default: u16,
    pub offline: u16,
    pub stats: u16,
}

impl Default for LabPorts {
    fn default() -> Self {
        LabPorts {
            etcd_client: [2379, 22379, 32379],
            etcd_peer: [2380, 22380, 32380],
            postgres: 5432,
            rest: 8008,
            primary: 5433,
            replica: 5434,
            default: 5436,
            offline: 5438,
            stats: 9101,
        }
    }
}

/// Parameters of a lab. Build with [`LabSpec::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct LabSpec {
    /// Lab index `N`: addresses are `127.0.N.x`.
    pub index: u8,
    /// Directory holding everything of the lab (removed on teardown).
    pub dir: PathBuf,
    /// Patroni to run.
    pub patroni: PatroniFlavor,
    /// Create pgBackRest stanzas and a full backup of each cluster.
    pub backups: bool,
    /// Overall readiness deadline.
    pub deadline: Duration,
    /// Ports (defaults match the reference lab; the autobase style has its
    /// own fixed HAProxy ports).
    pub ports: LabPorts,
    /// Layout of the cluster: Pigsty (default) or autobase.
    pub style: LabStyle,
}

impl LabSpec {
    /// Defaults: dir `/tmp/pgtui-lab-N`, Debian Patroni, backups on, 180 s deadline.
    pub fn new(index: u8) -> Self {
        LabSpec {
            index,
            dir: PathBuf::from(format!("/tmp/pgtui-lab-{index}")),
            patroni: PatroniFlavor::Debian,
            backups: true,
            deadline: Duration::from_secs(180),
            ports: LabPorts::default(),
            style: LabStyle::Pigsty,
        }
    }
}

/// One etcd member.
#[derive(Debug, Clone)]
pub(crate) struct EtcdNode {
    pub name: String,
    pub host: String,
    pub client_port: u16,
    pub peer_port: u16,
    pub data_dir: PathBuf,
}

impl EtcdNode {
    pub fn endpoint(&self) -> String {
        format!("{}:{}", self.host, self.client_port)
    }
    /// Client URL (`http://` or, in a hardened lab, `https://`).
    pub fn client_url(&self, style: LabStyle) -> String {
        format!("{}://{}", style.scheme(), self.endpoint())
    }
    pub fn peer_url(&self) -> String {
        format!("http://{}:{}", self.host, self.peer_port)
    }
}

/// One Patroni/PostgreSQL node.
#[derive(Debug, Clone)]
pub(crate) struct PgNode {
    pub name: String,
    pub cluster: String,
    pub host: String,
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub patroni_yaml: PathBuf,
    pub pgbackrest_conf: PathBuf,
}

/// One Patroni cluster.
#[derive(Debug, Clone)]
pub(crate) struct PgCluster {
    pub name: String,
    pub members: Vec<PgNode>,
}

/// Everything derived from a [`LabSpec`].
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub dir: PathBuf,
    pub index: u8,
    pub ports: LabPorts,
    pub style: LabStyle,
    pub etcd: Vec<EtcdNode>,
    pub clusters: Vec<PgCluster>,
}

/// The three-member cluster fronted by HAProxy.
pub(crate) const TEST_CLUSTER: &str = "pg-test";
/// The one-member cluster.
pub(crate) const META_CLUSTER: &str = "pg-meta";

impl Layout {
    pub fn new(spec: &LabSpec) -> Self {
        let dir = spec.dir.clone();
        let n = spec.index;
        let etcd = (0..3)
            .map(|i| EtcdNode {
                name: format!("etcd-{}", i + 1),
                host: format!("127.0.{n}.1"),
                client_port: spec.ports.etcd_client[i],
                peer_port: spec.ports.etcd_peer[i],
                data_dir: dir.join("etcd").join(format!("etcd-{}", i + 1)),
            })
            .collect();
        let node = |cluster: &str, name: String, last_octet: u8| PgNode {
            cluster: cluster.to_string(),
            host: format!("127.0.{n}.{last_octet}"),
            data_dir: dir.join("data").join(&name),
            socket_dir: dir.join("run").join(&name),
            patroni_yaml: dir.join("conf").join(format!("patroni-{name}.yml")),
            pgbackrest_conf: dir.join("conf").join(format!("pgbackrest-{name}.conf")),
            name,
        };
        let clusters = vec![
            PgCluster {
                name: TEST_CLUSTER.to_string(),
                members: (1..=3u8)
                    .map(|i| node(TEST_CLUSTER, format!("{TEST_CLUSTER}-{i}"), 10 + i))
                    .collect(),
            },
            PgCluster {
                name: META_CLUSTER.to_string(),
                members: vec![node(META_CLUSTER, format!("{META_CLUSTER}-1"), 10)],
            },
        ];
        Layout {
            dir,
            index: n,
            ports: spec.ports.clone(),
            style: spec.style,
            etcd,
            clusters,
        }
    }

    /// Patroni namespace shared by both clusters (`/pg/` or `/service/`).
    pub fn namespace(&self) -> &'static str {
        self.style.namespace()
    }

    /// etcd client URLs with the style's scheme.
    pub fn etcd_urls(&self) -> Vec<String> {
        self.etcd.iter().map(|e| e.client_url(self.style)).collect()
    }

    /// `LAB/tls`: the private CA and the certificates of a hardened lab.
    pub fn tls_dir(&self) -> PathBuf {
        self.dir.join("tls")
    }

    /// The private CA's certificate (hardened labs only).
    pub fn ca_file(&self) -> Option<PathBuf> {
        self.style.hardened().then(|| self.tls_dir().join("ca.crt"))
    }

    /// Certificate and key of `name` (`etcd` or a Patroni member).
    pub fn cert_pair(&self, name: &str) -> (PathBuf, PathBuf) {
        let d = self.tls_dir();
        (d.join(format!("{name}.crt")), d.join(format!("{name}.key")))
    }

    /// HAProxy's stats port.
    pub fn stats_port(&self) -> u16 {
        self.style.stats_port(self.ports.stats)
    }

    pub fn etcd_endpoints(&self) -> Vec<String> {
        self.etcd.iter().map(EtcdNode::endpoint).collect()
    }

    pub fn nodes(&self) -> impl Iterator<Item = &PgNode> {
        self.clusters.iter().flat_map(|c| c.members.iter())
    }

    pub fn test_cluster(&self) -> &PgCluster {
        &self.clusters[0]
    }

    pub fn log_dir(&self) -> PathBuf {
        self.dir.join("log")
    }

    /// `LAB/log/<component>.log`, with spaces in the component name made `-`.
    pub fn log_file(&self, component: &str) -> PathBuf {
        self.log_dir()
            .join(format!("{}.log", component.replace(' ', "-")))
    }

    pub fn run_dir(&self) -> PathBuf {
        self.dir.join("run")
    }

    pub fn haproxy_cfg(&self, node: &str) -> PathBuf {
        self.dir.join("conf").join(format!("haproxy-{node}.cfg"))
    }

    pub fn haproxy_socket(&self, node: &str) -> PathBuf {
        self.run_dir().join(format!("haproxy-{node}.sock"))
    }

    pub fn backup_repo(&self) -> PathBuf {
        self.dir.join("backup")
    }

    pub fn patronictl_yaml(&self) -> PathBuf {
        self.dir.join("patronictl.yaml")
    }

    pub fn info_json(&self) -> PathBuf {
        self.dir.join("lab.json")
    }

    /// Marker written first: a dir holding it may be wiped by a later lab.
    pub fn marker(&self) -> PathBuf {
        self.dir.join(".pgtui-lab")
    }

    /// Directories created up front (owned by the lab user).
    pub fn dirs(&self) -> Vec<PathBuf> {
        let mut v = vec![
            self.dir.clone(),
            self.dir.join("conf"),
            self.dir.join("etcd"),
            self.dir.join("data"),
            self.log_dir(),
            self.log_dir().join("pgbackrest"),
            self.run_dir(),
            self.run_dir().join("pgbackrest-lock"),
            self.dir.join("conf").join("pgbackrest-conf.d"),
            self.backup_repo(),
        ];
        if self.style.hardened() {
            v.push(self.tls_dir());
        }
        for n in self.nodes() {
            v.push(n.socket_dir.clone());
            v.push(self.run_dir().join("pgbackrest-spool").join(&n.name));
        }
        v
    }
}

/// `host:port`.
pub(crate) fn addr(host: &str, port: u16) -> String {
    format!("{host}:{port}")
}
