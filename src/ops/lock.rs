//! The operation lock: a lease-backed etcd key under pgtui's own prefix
//! (`<namespace>.pgtui/locks/<cluster>` by default), so two consoles or
//! runbooks cannot run operations on one cluster at once.
//!
//! The prefix sits inside Patroni's namespace, so a credential limited to
//! that namespace (`role grant-permission patroni --prefix=true readwrite
//! /service/`) can write it, and outside every cluster's prefix, which is
//! all Patroni watches and patronictl reads. The lease is kept alive while
//! the operation runs and revoked at the end; if pgtui dies, the lock
//! expires with the lease.

use crate::dcs::{Access, Etcd, EtcdError};
use etcd_client::{Client, Compare, CompareOp, PutOptions, Txn, TxnOp, TxnOpResponse};
use std::time::Duration;

const LEASE_TTL: i64 = 30;
const TIMEOUT: Duration = crate::dcs::etcd_client::REQUEST_TIMEOUT;

pub use crate::model::lock::LockHolder as Holder;

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another operation holds the lock of {cluster}: {} by {}@{} since {} (id {}); wait for it (a lock whose pgtui died expires within 30 s, or at once when the next pgtui on that host reconciles it), or check `pgtui audit`", .holder.operation, .holder.user, .holder.host, .holder.since, .holder.id)]
    Held { cluster: String, holder: Holder },
    #[error("the lock key {key} holds something pgtui did not write: {raw}")]
    Foreign { key: String, raw: String },
    #[error("cannot take the operation lock {key}: {source}; nothing was sent{}", if .source.fault == crate::dcs::Fault::PermissionDenied { " (pgtui's keys live under etcd.pgtui_prefix; to operate without the lock, knowing no one else acts on this cluster, pass --no-lock)" } else { "" })]
    Etcd { key: String, source: EtcdError },
}

pub use crate::model::lock::key;

/// A held lock; [`OpLock::release`] it when the operation ends.
pub struct OpLock {
    etcd: Etcd,
    lease: i64,
    keeper: tokio::task::JoinHandle<()>,
}

pub async fn acquire(
    etcd: &Etcd,
    pgtui_prefix: &str,
    cluster: &str,
    holder: &Holder,
) -> Result<OpLock, LockError> {
    let k = key(pgtui_prefix, cluster);
    let e = |source: EtcdError| LockError::Etcd {
        key: k.clone(),
        source,
    };
    let lease = crate::dcs::lease::grant(etcd, LEASE_TTL).await.map_err(e)?;
    let value = serde_json::to_string(holder).expect("holder serialises");
    let txn = Txn::new()
        .when([Compare::create_revision(k.clone(), CompareOp::Equal, 0)])
        .and_then([TxnOp::put(
            k.clone(),
            value,
            Some(PutOptions::new().with_lease(lease)),
        )])
        .or_else([TxnOp::get(k.clone(), None)]);
    let taken = etcd
        .request(&Access::write_key(&k), TIMEOUT, |mut c: Client| {
            let t = txn.clone();
            async move { c.txn(t).await }
        })
        .await;
    let resp = match taken {
        Ok(r) => r,
        Err(err) => {
            revoke(etcd, lease).await;
            return Err(e(err));
        }
    };
    if !resp.succeeded() {
        revoke(etcd, lease).await;
        let raw = resp.op_responses().into_iter().find_map(|r| match r {
            TxnOpResponse::Get(g) => g.kvs().first().map(|kv| kv.value().to_vec()),
            _ => None,
        });
        let raw = raw.unwrap_or_default();
        return Err(match crate::text::json_escaped::<Holder>(&raw) {
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
    let keeper = crate::dcs::lease::keep_alive(etcd, lease, LEASE_TTL);
    Ok(OpLock {
        etcd: etcd.clone(),
        lease,
        keeper,
    })
}

async fn revoke(etcd: &Etcd, lease: i64) {
    crate::dcs::lease::revoke(etcd, lease).await
}

/// Deletes the lock of `cluster` if operation `id` still holds it: its
/// pgtui is known to be dead (the reconciler checked its pid), so waiting
/// out the lease would only block the next operation. Returns whether a
/// lock was broken.
pub async fn break_dead(
    etcd: &Etcd,
    pgtui_prefix: &str,
    cluster: &str,
    id: &str,
) -> Result<bool, LockError> {
    let k = key(pgtui_prefix, cluster);
    let e = |source: EtcdError| LockError::Etcd {
        key: k.clone(),
        source,
    };
    let kk = k.clone();
    let resp = etcd
        .request(&Access::read_key(&k), TIMEOUT, |mut c: Client| {
            let kk = kk.clone();
            async move { c.get(kk, None).await }
        })
        .await
        .map_err(e)?;
    let Some(kv) = resp.kvs().first() else {
        return Ok(false);
    };
    match crate::text::json_escaped::<Holder>(kv.value()) {
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
        .and_then([TxnOp::delete(k.clone(), None)]);
    Ok(etcd
        .request(&Access::write_key(&k), TIMEOUT, |mut c: Client| {
            let t = txn.clone();
            async move { c.txn(t).await }
        })
        .await
        .map_err(e)?
        .succeeded())
}

impl OpLock {
    /// Revokes the lease, which deletes the key.
    pub async fn release(self) {
        self.keeper.abort();
        revoke(&self.etcd, self.lease).await;
    }
}

impl Drop for OpLock {
    // Dropped without release (an early error): stop renewing, so the lease
    // and the lock expire within its TTL.
    fn drop(&mut self) {
        self.keeper.abort();
    }
}
