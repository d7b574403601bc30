//! `GET /patroni`: one member's own view of itself.
//!
//! It answers from the member's local state even when the DCS is down, which
//! makes it the fallback when etcd cannot be read.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
pub struct RestStatus {
    pub state: Option<String>,
    pub role: Option<String>,
    pub server_version: Option<u64>,
    #[serde(default)]
    pub xlog: RestXlog,
    pub timeline: Option<u64>,
    #[serde(default)]
    pub replication: Vec<RestReplication>,
    pub dcs_last_seen: Option<u64>,
    pub database_system_identifier: Option<String>,
    pub patroni: Option<RestPatroni>,
    #[serde(default)]
    pub pending_restart: bool,
    pub scheduled_restart: Option<Value>,
    #[serde(default)]
    pub pause: bool,
    pub postmaster_start_time: Option<String>,
    #[serde(default)]
    pub tags: Map<String, Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
pub struct RestXlog {
    /// Leader: current WAL write position.
    pub location: Option<u64>,
    /// Replica: WAL received and replayed.
    pub received_location: Option<u64>,
    pub replayed_location: Option<u64>,
    pub replayed_timestamp: Option<String>,
    #[serde(default)]
    pub paused: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct RestReplication {
    pub usename: Option<String>,
    pub application_name: Option<String>,
    pub client_addr: Option<String>,
    pub state: Option<String>,
    pub sync_state: Option<String>,
    pub sync_priority: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct RestPatroni {
    pub version: Option<String>,
    pub scope: Option<String>,
    pub name: Option<String>,
}
