//! The operation lock: a lease-backed etcd key under pgtui's own prefix
//! (`/pgtui/locks/<namespace>/<cluster>`, never inside Patroni's keys), so
//! two consoles or runbooks cannot run operations on one cluster at once.
//! The lease is kept alive while the operation runs and revoked at the end;
//! if pgtui dies, the lock expires with the lease.

use crate::config::EtcdConfig;
use crate::sources::etcd;
use etcd_client::{Compare, CompareOp, PutOptions, Txn, TxnOp, TxnOpResponse};
use std::time::Duration;

const LEASE_TTL: i64 = 30;

pub use crate::model::lock::LockHolder as Holder;

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another operation holds the lock of {cluster}: {} by {}@{} since {} (id {}); wait for it (a lock whose pgtui died expires within 30 s, or at once when the next pgtui on that host reconciles it), or check `pgtui audit`", .holder.operation, .holder.user, .holder.host, .holder.since, .holder.id)]
    Held { cluster: String, holder: Holder },
    #[error("the lock key {key} holds something pgtui did not write: {raw}")]
    Foreign { key: String, raw: String },
    #[error("cannot take the operation lock in etcd: {0}; nothing was sent")]
    Etcd(String),
}

pub use crate::model::lock::key;

/// A held lock; [`OpLock::release`] it when the operation ends.
pub struct OpLock {
    client: etcd_client::Client,
    lease: i64,
    keeper: tokio::task::JoinHandle<()>,
}

pub async fn acquire(
    cfg: &EtcdConfig,
    namespace: &str,
    cluster: &str,
    holder: &Holder,
) -> Result<OpLock, LockError> {
    let k = key(namespace, cluster);
    let e = |x: etcd_client::Error| LockError::Etcd(x.to_string());
    let mut client = etcd::connect(cfg)
        .await
        .map_err(|x| LockError::Etcd(x.to_string()))?;
    let lease = client.lease_grant(LEASE_TTL, None).await.map_err(e)?.id();
    let value = serde_json::to_string(holder).expect("holder serialises");
    let txn = Txn::new()
        .when([Compare::create_revision(k.clone(), CompareOp::Equal, 0)])
        .and_then([TxnOp::put(
            k.clone(),
            value,
            Some(PutOptions::new().with_lease(lease)),
        )])
        .or_else([TxnOp::get(k.clone(), None)]);
    let resp = client.txn(txn).await.map_err(e)?;
    if !resp.succeeded() {
        let _ = client.lease_revoke(lease).await;
        let raw = resp.op_responses().into_iter().find_map(|r| match r {
            TxnOpResponse::Get(g) => g.kvs().first().map(|kv| kv.value().to_vec()),
            _ => None,
        });
        let raw = raw.unwrap_or_default();
        return Err(match serde_json::from_slice::<Holder>(&raw) {
            Ok(holder) => LockError::Held {
                cluster: cluster.into(),
                holder,
            },
            Err(_) => LockError::Foreign {
                key: k,
                raw: String::from_utf8_lossy(&raw).into_owned(),
            },
        });
    }
    let (mut keeper, _stream) = client.lease_keep_alive(lease).await.map_err(e)?;
    let keeper = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs((LEASE_TTL / 3) as u64)).await;
            if keeper.keep_alive().await.is_err() {
                return;
            }
        }
    });
    Ok(OpLock {
        client,
        lease,
        keeper,
    })
}

/// Deletes the lock of `cluster` if operation `id` still holds it: its
/// pgtui is known to be dead (the reconciler checked its pid), so waiting
/// out the lease would only block the next operation. Returns whether a
/// lock was broken.
pub async fn break_dead(
    cfg: &EtcdConfig,
    namespace: &str,
    cluster: &str,
    id: &str,
) -> Result<bool, LockError> {
    let k = key(namespace, cluster);
    let e = |x: etcd_client::Error| LockError::Etcd(x.to_string());
    let mut client = etcd::connect(cfg)
        .await
        .map_err(|x| LockError::Etcd(x.to_string()))?;
    let resp = client.get(k.clone(), None).await.map_err(e)?;
    let Some(kv) = resp.kvs().first() else {
        return Ok(false);
    };
    match serde_json::from_slice::<Holder>(kv.value()) {
        Ok(h) if h.id == id => {}
        _ => return Ok(false),
    }
    // Only that exact version of the key: a lock taken since is left alone.
    let txn = Txn::new()
        .when([Compare::mod_revision(
            k.clone(),
            CompareOp::Equal,
            kv.mod_revision(),
        )])
        .and_then([TxnOp::delete(k, None)]);
    Ok(client.txn(txn).await.map_err(e)?.succeeded())
}

impl OpLock {
    /// Revokes the lease, which deletes the key.
    pub async fn release(mut self) {
        self.keeper.abort();
        let _ = self.client.lease_revoke(self.lease).await;
    }
}

impl Drop for OpLock {
    // Dropped without release (an early error): stop renewing, so the lease
    // and the lock expire within its TTL.
    fn drop(&mut self) {
        self.keeper.abort();
    }
}
