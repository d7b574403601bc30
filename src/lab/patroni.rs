//! Patroni: per-node YAML, `patronictl.yaml`, and cluster readiness.
//!
//! The dynamic configuration (`bootstrap.dcs`) is the one recorded in the
//! reference lab's `/pg/<cluster>/config` key, with `archive_command` and
//! `restore_command` calling pgBackRest for the node's cluster. The
//! pgBackRest config of each node reaches PostgreSQL through the
//! `PGBACKREST_CONFIG` environment variable given to Patroni.
//!
//! Readiness works for Patroni 3.0.2 and 4.x alike: the leader is the member
//! with role `leader` and state `running` in `GET /cluster`; replicas are
//! ready when the leader's `GET /patroni` lists them in `replication` with
//! state `streaming` (that is the leader's `pg_stat_replication`) and their
//! own `GET /patroni` says `running`.

use serde_json::{json, Value};

use super::error::LabError;
use super::prereq::PG_BIN;
use super::proc::{Kind, Supervisor};
use super::ready::{until, Deadline, NotYet};
use super::secrets::Secrets;
use super::spec::{addr, Layout, PatroniFlavor, PgCluster, PgNode, NAMESPACE};

fn to_yaml(what: &str, v: &Value) -> Result<String, LabError> {
    serde_yaml::to_string(v).map_err(|e| LabError::Render {
        what: what.into(),
        detail: e.to_string(),
    })
}

/// Node configs are written as pretty JSON, which is YAML too: serde_yaml
/// (YAML 1.2) writes the string `on` unquoted and Patroni's PyYAML (YAML 1.1)
/// would read it back as `true`, so `archive_mode: on` would reach the DCS as
/// a boolean instead of the `"on"` of the reference lab.
fn to_json_yaml(what: &str, v: &Value) -> Result<String, LabError> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| LabError::Render {
            what: what.into(),
            detail: e.to_string(),
        })
}

/// `bootstrap.dcs` as in the reference lab.
fn dynamic_config(cluster: &str) -> Value {
    json!({
        "ttl": 20, "loop_wait": 5, "retry_timeout": 5,
        "maximum_lag_on_failover": 1048576,
        "synchronous_mode": false, "failsafe_mode": false,
        "postgresql": {
            "use_pg_rewind": true, "use_slots": true,
            "remove_data_directory_on_rewind_failure": true,
            "remove_data_directory_on_diverged_timelines": true,
            "parameters": {
                "max_connections": 100, "shared_buffers": "64MB",
                "wal_level": "replica", "wal_log_hints": "on", "hot_standby": "on",
                "max_wal_senders": 10, "max_replication_slots": 10, "wal_keep_size": "256MB",
                "archive_mode": "on",
                "archive_command": format!("pgbackrest --stanza={cluster} archive-push %p"),
                "archive_timeout": 300,
                "logging_collector": "on", "log_filename": "postgresql-%a.log",
                "log_truncate_on_rotation": "on", "log_line_prefix": "%m [%p] %q%u@%d ",
                "log_checkpoints": "on", "password_encryption": "scram-sha-256"
            },
            "recovery_conf": {
                "restore_command": format!("pgbackrest --stanza={cluster} archive-get %f \"%p\"")
            }
        }
    })
}

fn etcd3(layout: &Layout) -> Value {
    json!({ "hosts": layout.etcd_endpoints() })
}

/// The YAML of one node.
pub(crate) fn node_yaml(layout: &Layout, node: &PgNode, s: &Secrets) -> Result<String, LabError> {
    let p = &layout.ports;
    let rest = addr(&node.host, p.rest);
    let pg = addr(&node.host, p.postgres);
    let cfg = json!({
        "scope": node.cluster,
        "namespace": NAMESPACE,
        "name": node.name,
        // Every REST request (method and path) lands in the node's log, so
        // tests can prove what pgtui did and did not send.
        "log": { "level": "INFO", "loggers": { "patroni.api": "DEBUG" } },
        "restapi": {
            "listen": rest, "connect_address": rest,
            "authentication": { "username": s.rest_user, "password": s.rest_password }
        },
        "etcd3": etcd3(layout),
        "bootstrap": {
            "dcs": dynamic_config(&node.cluster),
            "initdb": [ { "encoding": "UTF8" }, { "locale": "C" }, "data-checksums" ]
        },
        "postgresql": {
            "listen": pg, "connect_address": pg,
            "data_dir": node.data_dir,
            "bin_dir": PG_BIN,
            "pgpass": layout.run_dir().join(format!("pgpass-{}", node.name)),
            "authentication": {
                "superuser": { "username": s.superuser, "password": s.superuser_password },
                "replication": { "username": s.replication_user, "password": s.replication_password },
                "rewind": { "username": s.superuser, "password": s.superuser_password }
            },
            "parameters": { "unix_socket_directories": node.socket_dir },
            "pg_hba": [
                "local all all trust",
                "host replication all 127.0.0.0/8 scram-sha-256",
                "host all all 127.0.0.0/8 scram-sha-256"
            ],
            "create_replica_methods": ["basebackup"],
            "basebackup": [ { "checkpoint": "fast" } ]
        }
    });
    to_json_yaml(&format!("patroni config of {}", node.name), &cfg)
}

/// `LAB/patronictl.yaml`: enough for `patronictl -c ... list/switchover`.
pub(crate) fn patronictl_yaml(layout: &Layout, s: &Secrets) -> Result<String, LabError> {
    let auth = json!({ "username": s.rest_user, "password": s.rest_password });
    let cfg = json!({
        "scope": super::spec::TEST_CLUSTER,
        "namespace": NAMESPACE,
        "etcd3": etcd3(layout),
        "ctl": { "authentication": auth },
        "restapi": { "authentication": auth }
    });
    to_yaml("patronictl.yaml", &cfg)
}

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
        let env = [
            (
                "PGBACKREST_CONFIG".to_string(),
                n.pgbackrest_conf.display().to_string(),
            ),
            (
                "PGBACKREST_CONFIG_INCLUDE_PATH".to_string(),
                layout
                    .dir
                    .join("conf/pgbackrest-conf.d")
                    .display()
                    .to_string(),
            ),
        ];
        let c = component(n);
        let args = [n.patroni_yaml.display().to_string()];
        sup.spawn(&c, Kind::Patroni, &bin, &args, &env, &layout.log_file(&c))
            .await?;
    }
    Ok(())
}

fn api(layout: &Layout, n: &PgNode, path: &str) -> String {
    format!("http://{}{path}", addr(&n.host, layout.ports.rest))
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
    deadline: Deadline,
    cluster: &PgCluster,
) -> Result<(), LabError> {
    let key = format!("{NAMESPACE}{}/initialize", cluster.name);
    until(
        sup,
        layout,
        deadline,
        &format!("bootstrapping {}", cluster.name),
        || async {
            match super::etcd::key_exists(layout, &key).await {
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
