//! Leases: granted, kept alive in the background, revoked at the end.
//!
//! pgtui's own short-lived keys (the operation lock, an agent's
//! registration) hang on a lease so they vanish when their owner dies. The
//! keeper renews on any endpoint, so one frozen etcd member does not let a
//! live owner's key lapse.

use super::{Access, Etcd, EtcdError};
use etcd_client::Client;
use std::time::Duration;

const TIMEOUT: Duration = super::etcd_client::REQUEST_TIMEOUT;

pub async fn grant(etcd: &Etcd, ttl: i64) -> Result<i64, EtcdError> {
    Ok(etcd
        .request(
            &Access::call("grant a lease"),
            TIMEOUT,
            |mut c: Client| async move { c.lease_grant(ttl, None).await },
        )
        .await?
        .id())
}

/// Renews `lease` once; `Ok(false)` when etcd says it has expired.
pub async fn renew(etcd: &Etcd, lease: i64) -> Result<bool, EtcdError> {
    let ttl = etcd
        .request(
            &Access::call("renew a lease"),
            TIMEOUT,
            |mut c: Client| async move {
                let (mut keeper, mut stream) = c.lease_keep_alive(lease).await?;
                keeper.keep_alive().await?;
                stream.message().await
            },
        )
        .await?;
    Ok(ttl.is_some_and(|r| r.ttl() > 0))
}

/// Renews `lease` every third of `ttl` until aborted.
pub fn keep_alive(etcd: &Etcd, lease: i64, ttl: i64) -> tokio::task::JoinHandle<()> {
    let etcd = etcd.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs((ttl / 3).max(1) as u64)).await;
            let _ = renew(&etcd, lease).await;
        }
    })
}

pub async fn revoke(etcd: &Etcd, lease: i64) {
    let _ = etcd
        .request(
            &Access::call("revoke a lease"),
            TIMEOUT,
            |mut c: Client| async move { c.lease_revoke(lease).await },
        )
        .await;
}
