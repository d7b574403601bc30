//! The agent's registration in etcd: a key under pgtui's prefix on a lease,
//! so consoles find agents without configuration, and an agent that dies
//! disappears within [`TTL`] seconds.
//!
//! It uses the etcd settings and credentials of the node's patroni.yml, as
//! Patroni does, so it works where that credential may only touch Patroni's
//! namespace (pgtui's prefix lies inside it). etcd being down is not fatal:
//! the API still serves, and registration is retried until it succeeds.

use super::settings::AgentSettings;
use crate::dcs::{lease, Access, Etcd};
use crate::model::agent::{agent_key, AgentReg};
use etcd_client::{Client, PutOptions};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const TTL: i64 = 15;
const RETRY: Duration = Duration::from_secs(5);

/// The lease the registration hangs on now, for revoking it at exit.
#[derive(Clone, Default)]
pub struct Registration {
    lease: Arc<Mutex<Option<(Etcd, i64)>>>,
}

impl Registration {
    /// Deletes the registration (revokes its lease) at once.
    pub async fn revoke(&self) {
        let held = self.lease.lock().unwrap().take();
        if let Some((etcd, id)) = held {
            lease::revoke(&etcd, id).await;
        }
    }
}

/// Registers and keeps the registration alive for ever; call in a task.
pub async fn run(s: Arc<AgentSettings>, reg: AgentReg, held: Registration) {
    let config = match &s.pgtui {
        Ok(c) => c.clone(),
        Err(e) => {
            eprintln!(
                "pgtui agent: not registering in etcd: {e}; consoles will not find this agent"
            );
            return;
        }
    };
    let etcd = Etcd::new(&config.etcd);
    let key = agent_key(&config.pgtui_prefix, &s.cluster, &s.member);
    let value = serde_json::to_string(&reg).expect("registration serialises");
    let mut said_error = false;
    loop {
        let attempt = async {
            let id = lease::grant(&etcd, TTL).await?;
            let (k, v) = (key.clone(), value.clone());
            etcd.request(
                &Access::write_key(&key),
                Duration::from_secs(5),
                |mut c: Client| {
                    let (k, v) = (k.clone(), v.clone());
                    async move { c.put(k, v, Some(PutOptions::new().with_lease(id))).await }
                },
            )
            .await?;
            Ok::<i64, crate::dcs::EtcdError>(id)
        };
        match attempt.await {
            Ok(id) => {
                eprintln!("pgtui agent: registered as {key} (lease {TTL} s)");
                said_error = false;
                *held.lease.lock().unwrap() = Some((etcd.clone(), id));
                // Renew until the lease is gone, then register anew. Gone
                // is what etcd says (TTL 0), or a lease not renewed for a
                // whole TTL: it expired while etcd was out of reach, and
                // etcd then answers the renewal with an error, not TTL 0.
                let mut renewed = std::time::Instant::now();
                loop {
                    tokio::time::sleep(Duration::from_secs((TTL / 3) as u64)).await;
                    match lease::renew(&etcd, id).await {
                        Ok(true) => renewed = std::time::Instant::now(),
                        Ok(false) => {
                            eprintln!("pgtui agent: registration lease expired; registering again");
                            break;
                        }
                        Err(e) if renewed.elapsed() > Duration::from_secs(TTL as u64) => {
                            eprintln!(
                                "pgtui agent: registration lease not renewed for {} s ({}); registering again",
                                renewed.elapsed().as_secs(),
                                e.message()
                            );
                            break;
                        }
                        Err(e) => eprintln!(
                            "pgtui agent: cannot renew the registration lease: {}",
                            e.message()
                        ),
                    }
                }
            }
            Err(e) => {
                if !said_error {
                    eprintln!(
                        "pgtui agent: cannot register as {key}: {}; retrying every {} s",
                        e.message(),
                        RETRY.as_secs()
                    );
                    said_error = true;
                }
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}
