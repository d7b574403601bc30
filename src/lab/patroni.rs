//! Patroni: starting the nodes and cluster readiness (the YAML is rendered
//! by `patroni_conf`). The pgBackRest config of each node reaches
//! PostgreSQL through the `PGBACKREST_CONFIG` environment variable given to
//! Patroni.
//!
//! Readiness works for Patroni 3.0.2 and 4.x alike: the leader is the member
//! with role `leader` and state `running` in `GET /cluster`; replicas are
//! ready when the leader's `GET /patroni` lists them in `replication` with
//! state `streaming` (that is the leader's `pg_stat_replication`) and their
//! own `GET /patroni` says `running`. A hardened lab's REST is https, which
//! the probes' client verifies against the lab CA.

use serde_json::Value;

use super::error::LabError;
use super::proc::{Kind, Supervisor};
use super::ready::{until, Deadline, NotYet};
use super::secrets::Secrets;
use super::spec::{addr, Layout, PatroniFlavor, PgCluster, PgNode};

/// Component name of a node's Patroni (also names its log).
pub(crate) fn component(node: &PgNode) -> String {
    format!("patroni {}", node.name)
}

/// Starts Patroni on the given nodes.
pub(crate) async fn start(
    sup: &Supervisor,
    layout: &Layout,
    flavor: &PatroniFlavor,
    nodes: &[&PgNode],
) -> Result<(), LabError> {
    let bin = flavor.patroni_bin();
    for n in nodes {
        let env = super::pgbackrest::node_env(layout, n);
        let c = component(n);
        let args = [n.patroni_yaml.display().to_string()];
        sup.spawn(&c, Kind::Patroni, &bin, &args, &env, &layout.log_file(&c))
            .await?;
    }
    Ok(())
}

fn api(layout: &Layout, n: &PgNode, path: &str) -> String {
    format!(
        "{}://{}{path}",
        layout.style.scheme(),
        addr(&n.host, layout.ports.rest)
    )
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    let r = http
        .get(url)
        .send()
        .await
        .map_err(|e| format!("{url}: no answer ({e})"))?;
    r.json::<Value>()
        .await
        .map_err(|e| format!("{url}: bad body ({e})"))
}

/// Waits until `cluster` has a running leader; returns its node.
pub(crate) async fn wait_leader(
    sup: &Supervisor,
    layout: &Layout,
    http: &reqwest::Client,
    deadline: Deadline,
    cluster: &PgCluster,
) -> Result<PgNode, LabError> {
    until(
        sup,
        layout,
        deadline,
        &format!("electing a leader of {}", cluster.name),
        || async {
            let mut last = String::new();
            for n in &cluster.members {
                match get_json(http, &api(layout, n, "/cluster")).await {
                    Ok(v) => {
                        let members = v["members"].as_array().cloned().unwrap_or_default();
                        let leader = members
                            .iter()
                            .find(|m| m["role"] == "leader" && m["state"] == "running");
                        if let Some(name) = leader.and_then(|m| m["name"].as_str()) {
                            if let Some(node) = cluster.members.iter().find(|m| m.name == name) {
                                return Ok(node.clone());
                            }
                        }
                        last = format!("{}: {}", n.name, v);
                    }
                    Err(e) => last = e,
                }
            }
            Err(NotYet {
                component: component(&cluster.members[0]),
                waiting_for: format!("a running leader of {} in GET /cluster", cluster.name),
                state: last,
            })
        },
    )
    .await
}

/// Waits until every non-leader member of `cluster` streams from `leader`.
pub(crate) async fn wait_replicas(
    sup: &Supervisor,
    layout: &Layout,
    http: &reqwest::Client,
    deadline: Deadline,
    cluster: &PgCluster,
    leader: &PgNode,
) -> Result<(), LabError> {
    until(
        sup,
        layout,
        deadline,
        &format!("starting replicas of {}", cluster.name),
        || async {
            let leader_status = get_json(http, &api(layout, leader, "/patroni")).await;
            for n in cluster.members.iter().filter(|m| m.name != leader.name) {
                let not_yet = |state: String| NotYet {
                    component: component(n),
                    waiting_for: format!("{} to stream from leader {}", n.name, leader.name),
                    state,
                };
                let own = get_json(http, &api(layout, n, "/patroni"))
                    .await
                    .map_err(not_yet)?;
                if own["state"] != "running" || own["role"] != "replica" {
                    return Err(not_yet(format!("own /patroni: {own}")));
                }
                let lv = leader_status.as_ref().map_err(|e| not_yet(e.clone()))?;
                let streaming = lv["replication"].as_array().is_some_and(|rs| {
                    rs.iter().any(|r| {
                        r["application_name"] == n.name.as_str() && r["state"] == "streaming"
                    })
                });
                if !streaming {
                    return Err(not_yet(format!(
                        "leader /patroni replication: {}",
                        lv["replication"]
                    )));
                }
            }
            Ok(())
        },
    )
    .await
}

/// Waits until some member of `cluster` claimed its `initialize` key (it is
/// bootstrapping), so members started from now on join instead of racing.
pub(crate) async fn wait_bootstrap_claimed(
    sup: &Supervisor,
    layout: &Layout,
    secrets: &Secrets,
    deadline: Deadline,
    cluster: &PgCluster,
) -> Result<(), LabError> {
    let key = format!("{}{}/initialize", layout.namespace(), cluster.name);
    until(
        sup,
        layout,
        deadline,
        &format!("bootstrapping {}", cluster.name),
        || async {
            match super::etcd::key_exists(layout, secrets, &key).await {
                Ok(true) => Ok(()),
                Ok(false) => Err("key absent".to_string()),
                Err(e) => Err(e),
            }
            .map_err(|state| NotYet {
                component: component(&cluster.members[0]),
                waiting_for: format!("{} to claim {key}", cluster.members[0].name),
                state,
            })
        },
    )
    .await
}
