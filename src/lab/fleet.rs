//! `pgtui lab fleet`: a synthetic fleet in a running lab's etcd.
//!
//! Pigsty and autobase keep every cluster of an environment in one etcd
//! namespace, so pgtui must stay cheap and honest with thousands of
//! clusters there. No machine runs thousands of Patroni clusters for a test,
//! so the lab copies its own first cluster's keys (config, leader, members,
//! history, status, sync: the real sizes and shapes Patroni writes) under
//! new cluster names. Each copy's members point their REST API and
//! PostgreSQL at `127.0.0.1:1`, where nothing listens: the copies look alive
//! in the DCS and refuse every connection, as a fleet behind a firewall
//! would. The copies carry no lease; the lab's teardown removes them with
//! etcd's data.

use anyhow::{bail, Context};
use etcd_client::{Client, Txn, TxnOp};
use std::path::Path;
use std::time::Duration;

use super::info::LabInfo;
use crate::config::{EtcdConfig, Secret, TlsFiles};
use crate::dcs::{Access, Etcd};

/// Where the copies' members "listen": loopback, a port nothing serves.
const NOWHERE_API: &str = "http://127.0.0.1:1/patroni";
const NOWHERE_PG: &str = "postgres://127.0.0.1:1/postgres";
/// etcd's default `--max-txn-ops` is 128.
const OPS_PER_TXN: usize = 120;

/// The name of copy `i`: sorted like its number.
pub fn copy_name(prefix: &str, i: usize) -> String {
    format!("{prefix}{i:05}")
}

/// A member key's value with its API and PostgreSQL pointed nowhere.
fn nowhere(value: &[u8]) -> Vec<u8> {
    let Ok(serde_json::Value::Object(mut m)) = serde_json::from_slice(value) else {
        return value.to_vec();
    };
    if m.contains_key("api_url") {
        m.insert("api_url".into(), NOWHERE_API.into());
    }
    if m.contains_key("conn_url") {
        m.insert("conn_url".into(), NOWHERE_PG.into());
    }
    serde_json::to_vec(&m).unwrap_or_else(|_| value.to_vec())
}

/// The lab's etcd, as its root user.
fn root_etcd(info: &LabInfo) -> Etcd {
    Etcd::new(&EtcdConfig {
        endpoints: info
            .etcd_endpoints
            .iter()
            .map(|e| format!("{}://{e}", info.etcd_scheme))
            .collect(),
        username: info.etcd_root_user.clone(),
        password: info.etcd_root_password.clone().map(Secret::new),
        tls: info.ca_file.clone().map(|ca| TlsFiles {
            cacert: Some(ca),
            cert: None,
            key: None,
        }),
    })
}

/// Writes `count` copies of the lab's first cluster; returns how many keys.
pub async fn load(dir: &Path, count: usize, prefix: &str) -> anyhow::Result<usize> {
    let path = dir.join("lab.json");
    let info: LabInfo = serde_json::from_slice(
        &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
    )
    .with_context(|| format!("parsing {}", path.display()))?;
    let Some(template) = info.clusters.first().map(|c| c.name.clone()) else {
        bail!("{} names no cluster to copy", path.display());
    };
    let etcd = root_etcd(&info);
    let from = format!("{}{template}/", info.namespace);
    let ((_, kvs), _) = crate::sources::etcd::list(&etcd, &from, None)
        .await
        .with_context(|| format!("reading the keys of {template}"))?;
    if kvs.is_empty() {
        bail!("cluster {template} has no keys under {from}");
    }
    let mut ops = Vec::with_capacity(count * kvs.len());
    for i in 0..count {
        let to = format!("{}{}/", info.namespace, copy_name(prefix, i));
        for (k, v, _) in &kvs {
            let rest = &k[from.len()..];
            let value = match rest.starts_with(b"members/") {
                true => nowhere(v),
                false => v.clone(),
            };
            let mut key = to.clone().into_bytes();
            key.extend_from_slice(rest);
            ops.push(TxnOp::put(key, value, None));
        }
    }
    let total = ops.len();
    let access = Access::call("load a synthetic fleet");
    for chunk in ops.chunks(OPS_PER_TXN) {
        let chunk = chunk.to_vec();
        etcd.request(&access, Duration::from_secs(10), |mut c: Client| {
            let txn = Txn::new().and_then(chunk.clone());
            async move { c.txn(txn).await }
        })
        .await
        .context("writing the fleet")?;
    }
    // Read back: the copies are there, or the load says so.
    let ((_, all), _) = crate::sources::etcd::list(&etcd, &info.namespace, None)
        .await
        .context("reading the fleet back")?;
    let first = format!("{}{}", info.namespace, copy_name(prefix, 0));
    if !all.iter().any(|(k, _, _)| k.starts_with(first.as_bytes())) {
        bail!("the fleet was written but {first} is not there");
    }
    Ok(total)
}
