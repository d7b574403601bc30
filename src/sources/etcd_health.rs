//! Each etcd endpoint's health, asked once a second.
//!
//! DBAs need etcd's own health as a datum: a cluster that keeps quorum with
//! one member frozen is fine today and one failure from an outage. The
//! probe is a linearizable count of pgtui's own prefix on every endpoint at
//! once, which any credential that may read the namespace may do.

use crate::dcs::{EndpointHealth, Etcd};
use crate::model::ModelHandle;
use std::time::Duration;

const EVERY: Duration = Duration::from_secs(1);

/// Whether two readings differ in anything a view shows.
fn same(a: &[EndpointHealth], b: &[EndpointHealth]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            (&x.endpoint, x.ok, x.fault, &x.error) == (&y.endpoint, y.ok, y.fault, &y.error)
        })
}

pub async fn run(etcd: Etcd, probe_key: String, model: ModelHandle) {
    // The first probe waits for the first read of the cluster (at most a
    // second): on a hardened etcd each endpoint's login is a bcrypt on the
    // server, and three at once delayed the console's first frame.
    let mut changes = model.subscribe();
    let answered = |m: &crate::model::Model| m.sources.contains_key(&crate::model::SourceId::Etcd);
    let _ = tokio::time::timeout(EVERY, async {
        while !model.read(answered) {
            if changes.changed().await.is_err() {
                return;
            }
        }
    })
    .await;
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = etcd.probe_all(&probe_key).await;
        if model.read(|m| same(&m.etcd_endpoints, &now)) {
            model.update_quiet(|m| m.etcd_endpoints = now);
        } else {
            model.update(|m| m.etcd_endpoints = now);
        }
    }
}
