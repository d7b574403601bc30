//! Users and passwords of a lab.
//!
//! Passwords are fresh random hex per lab (read from `/dev/urandom`) so a lab
//! never ships a well-known password, even on loopback; they are published in
//! `LAB/lab.json` for the lab's users.

use std::io::Read;

use super::error::LabError;

#[derive(Debug, Clone)]
pub(crate) struct Secrets {
    pub rest_user: String,
    pub rest_password: String,
    pub superuser: String,
    pub superuser_password: String,
    pub replication_user: String,
    pub replication_password: String,
    pub stats_user: String,
    pub stats_password: String,
    /// etcd `--initial-cluster-token`.
    pub cluster_token: String,
    /// etcd's `root` user (role root), used by the lab and its tests; only
    /// a hardened lab turns etcd authentication on.
    pub etcd_root_user: String,
    pub etcd_root_password: String,
    /// The etcd user Patroni and patronictl log in as: role `patroni`, which
    /// may only read and write the lab's namespace.
    pub etcd_user: String,
    pub etcd_password: String,
    /// The bearer token of the node agents.
    pub agent_token: String,
}

fn random_hex(bytes: usize) -> Result<String, LabError> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| LabError::io("reading", "/dev/urandom", e))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

impl Secrets {
    pub fn generate(index: u8) -> Result<Self, LabError> {
        Ok(Secrets {
            rest_user: "admin".into(),
            rest_password: format!("rest-{}", random_hex(8)?),
            superuser: "postgres".into(),
            superuser_password: format!("su-{}", random_hex(8)?),
            replication_user: "replicator".into(),
            replication_password: format!("repl-{}", random_hex(8)?),
            stats_user: "admin".into(),
            stats_password: format!("stats-{}", random_hex(8)?),
            cluster_token: format!("pgtui-lab-{index}-{}", random_hex(6)?),
            etcd_root_user: "root".into(),
            etcd_root_password: format!("root-{}", random_hex(8)?),
            etcd_user: "patroni".into(),
            etcd_password: format!("patroni-{}", random_hex(8)?),
            agent_token: format!("agent-{}", random_hex(16)?),
        })
    }
}
