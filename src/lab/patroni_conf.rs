//! Patroni's YAML: one file per node and `LAB/patronictl.yaml`.
//!
//! The dynamic configuration (`bootstrap.dcs`) is the one recorded in the
//! reference lab's `/pg/<cluster>/config` key, with `archive_command` and
//! `restore_command` calling pgBackRest for the node's cluster.
//!
//! A hardened (autobase-style) lab differs only where such teams differ:
//! `synchronous_mode: true`; `etcd3` over https with the lab CA and the
//! limited `patroni` etcd user; REST over https with the node's certificate
//! (`restapi.certfile/keyfile/cafile`) and `ctl.cacert`, which Patroni also
//! uses for its own member-to-member REST calls, so every client verifies.
//! PostgreSQL serves TLS with the same certificate, and its pg_hba takes TCP
//! logins only over TLS (`hostssl`).
//! Its `patronictl.yaml` is the one such a team already has on its hosts.

use serde_json::{json, Value};

use super::error::LabError;
use super::prereq::PG_BIN;
use super::secrets::Secrets;
use super::spec::{addr, Layout, PgNode};

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
fn dynamic_config(layout: &Layout, cluster: &str) -> Value {
    json!({
        "ttl": 20, "loop_wait": 5, "retry_timeout": 5,
        "maximum_lag_on_failover": 1048576,
        "synchronous_mode": layout.style.hardened(), "failsafe_mode": false,
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

/// The `etcd3` section: plain hosts, or https + CA + the limited user.
fn etcd3(layout: &Layout, s: &Secrets) -> Value {
    let mut v = json!({ "hosts": layout.etcd_endpoints() });
    if let Some(ca) = layout.ca_file() {
        v["protocol"] = json!("https");
        v["cacert"] = json!(ca);
        v["username"] = json!(s.etcd_user);
        v["password"] = json!(s.etcd_password);
    }
    v
}

/// The YAML of one node.
pub(crate) fn node_yaml(layout: &Layout, node: &PgNode, s: &Secrets) -> Result<String, LabError> {
    let p = &layout.ports;
    let rest = addr(&node.host, p.rest);
    let pg = addr(&node.host, p.postgres);
    let mut restapi = json!({
        "listen": rest, "connect_address": rest,
        "authentication": { "username": s.rest_user, "password": s.rest_password }
    });
    let mut cfg = json!({
        "scope": node.cluster,
        "namespace": layout.namespace(),
        "name": node.name,
        // Every REST request (method and path) lands in the node's log, so
        // tests can prove what pgtui did and did not send.
        "log": { "level": "INFO", "loggers": { "patroni.api": "DEBUG" } },
        "etcd3": etcd3(layout, s),
        "bootstrap": {
            "dcs": dynamic_config(layout, &node.cluster),
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
    if let Some(ca) = layout.ca_file() {
        let (crt, key) = layout.cert_pair(&node.name);
        // PostgreSQL serves TLS with the node's certificate and takes TCP
        // logins only over it, as hardened teams run it.
        let pg = &mut cfg["postgresql"];
        pg["parameters"]["ssl"] = json!("on");
        pg["parameters"]["ssl_cert_file"] = json!(crt);
        pg["parameters"]["ssl_key_file"] = json!(key);
        pg["pg_hba"] = json!([
            "local all all trust",
            "hostssl replication all 127.0.0.0/8 scram-sha-256",
            "hostssl all all 127.0.0.0/8 scram-sha-256"
        ]);
        restapi["certfile"] = json!(crt);
        restapi["keyfile"] = json!(key);
        restapi["cafile"] = json!(ca);
        cfg["ctl"] = json!({ "cacert": ca });
    }
    cfg["restapi"] = restapi;
    to_json_yaml(&format!("patroni config of {}", node.name), &cfg)
}

/// `LAB/patronictl.yaml`: enough for `patronictl -c ... list/switchover`.
pub(crate) fn patronictl_yaml(layout: &Layout, s: &Secrets) -> Result<String, LabError> {
    let auth = json!({ "username": s.rest_user, "password": s.rest_password });
    let mut cfg = json!({
        "scope": super::spec::TEST_CLUSTER,
        "namespace": layout.namespace(),
        "etcd3": etcd3(layout, s),
        "ctl": { "authentication": auth },
        "restapi": { "authentication": auth }
    });
    if let Some(ca) = layout.ca_file() {
        cfg["ctl"]["cacert"] = json!(ca);
    }
    to_yaml("patronictl.yaml", &cfg)
}
