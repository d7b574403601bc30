//! When etcd cannot be read: rebuild what we can from a member's REST API.
//!
//! `GET /cluster` lists every member but only answers while that member's
//! Patroni can reach the DCS (otherwise it hangs for ~5 s), so it gets a short
//! timeout; `GET /patroni` always answers and at least shows that member.
//! Data built here is marked as coming from REST, never from etcd.

use super::rest::{base_url, get_json, RestError};
use crate::config::RestConfig;
use crate::model::rest::RestStatus;
use crate::model::{ModelHandle, Role, SourceId, Sourced};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::time::{Duration, SystemTime};

/// `GET /cluster`.
#[derive(Debug, Clone, Deserialize)]
pub struct RestCluster {
    pub members: Vec<RestClusterMember>,
    #[serde(default)]
    pub pause: bool,
    pub scheduled_switchover: Option<Value>,
    pub scope: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RestClusterMember {
    pub name: String,
    pub role: Option<String>,
    pub state: Option<String>,
    pub api_url: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub timeline: Option<u64>,
    /// Bytes, or the string "unknown".
    pub lag: Option<Value>,
    #[serde(default)]
    pub pending_restart: bool,
    pub scheduled_restart: Option<Value>,
    #[serde(default)]
    pub tags: Map<String, Value>,
}

impl RestClusterMember {
    /// The role `GET /cluster` gives it, when it gives one.
    fn role(&self) -> Option<Role> {
        self.role.as_deref().map(Role::parse)
    }

    fn leads(&self) -> bool {
        self.role().is_some_and(|r| r.leads())
    }
}

pub fn decode_cluster_body(bytes: &[u8]) -> Result<RestCluster, serde_json::Error> {
    crate::text::json_escaped(bytes)
}

/// The `sync` key Patroni would have written for the sync (or quorum)
/// standbys `GET /cluster` names.
fn sync_json(rc: &RestCluster) -> Option<Value> {
    let leader = rc.members.iter().find(|m| m.leads())?;
    let standbys: Vec<&str> = rc
        .members
        .iter()
        .filter(|m| m.role().is_some_and(|r| r.is_sync()))
        .map(|m| m.name.as_str())
        .collect();
    if standbys.is_empty() {
        return None;
    }
    Some(serde_json::json!({ "leader": leader.name, "sync_standby": standbys.join(",") }))
}

/// Synthesises the DCS member value Patroni would have written. Patroni
/// writes a sync standby's role as `replica` and names it in the `sync`
/// key instead (see [`sync_json`]).
fn member_json(m: &RestClusterMember) -> Value {
    let role = match m.role() {
        Some(Role::Leader) => "primary".to_string(),
        Some(r) if r.is_sync() => "replica".to_string(),
        None => "replica".to_string(),
        Some(r) => r.to_string(),
    };
    let mut o = Map::new();
    if let Some(h) = &m.host {
        o.insert(
            "conn_url".into(),
            format!("postgres://{h}:{}/postgres", m.port.unwrap_or(5432)).into(),
        );
    }
    if let Some(a) = &m.api_url {
        o.insert("api_url".into(), a.clone().into());
    }
    o.insert("role".into(), role.into());
    if let Some(s) = &m.state {
        o.insert("state".into(), s.clone().into());
    }
    if let Some(t) = m.timeline {
        o.insert("timeline".into(), t.into());
    }
    o.insert("pending_restart".into(), m.pending_restart.into());
    if let Some(s) = &m.scheduled_restart {
        o.insert("scheduled_restart".into(), s.clone());
    }
    if !m.tags.is_empty() {
        o.insert("tags".into(), Value::Object(m.tags.clone()));
    }
    Value::Object(o)
}

/// Tries `/cluster`, then `/patroni`, at `api` (a member's REST base URL) and
/// publishes what it got for `cluster`. Returns whether anything was learnt.
pub async fn fill_from_rest(
    http: &reqwest::Client,
    cfg: &RestConfig,
    api: &str,
    cluster: &str,
    model: &ModelHandle,
) -> Result<(), RestError> {
    let base = base_url(api);
    let short = cfg.timeout.min(Duration::from_secs(3));
    let now = SystemTime::now();
    match get_json::<RestCluster>(http, short, &base, "/cluster").await {
        Ok(rc) => {
            model.update(|m| {
                let c = m.cluster_mut(cluster);
                for mem in &rc.members {
                    let bytes = serde_json::to_vec(&member_json(mem)).expect("json");
                    c.dcs.apply(
                        &crate::dcs::KeyKind::Member(mem.name.clone()),
                        Some(&bytes),
                        0,
                        SourceId::Rest,
                        now,
                    );
                    if mem.leads() {
                        c.dcs.apply(
                            &crate::dcs::KeyKind::Leader,
                            Some(mem.name.as_bytes()),
                            0,
                            SourceId::Rest,
                            now,
                        );
                    }
                }
                if let Some(sync) = sync_json(&rc) {
                    let bytes = serde_json::to_vec(&sync).expect("json");
                    c.dcs.apply(&crate::dcs::KeyKind::Sync, Some(&bytes), 0, SourceId::Rest, now);
                }
                c.partial = Some("etcd did not answer: members, roles and states are from GET /cluster of one member; history and dynamic configuration are missing".into());
                if rc.pause {
                    c.dcs.apply(
                        &crate::dcs::KeyKind::Config,
                        Some(br#"{"pause":true}"#),
                        0,
                        SourceId::Rest,
                        now,
                    );
                }
                m.source_mut(SourceId::Rest).ok(now);
            });
            Ok(())
        }
        Err(_) => {
            let st: RestStatus = get_json(http, short, &base, "/patroni").await?;
            let name = st
                .patroni
                .as_ref()
                .and_then(|p| p.name.clone())
                .unwrap_or_else(|| base.clone());
            model.update(|m| {
                let c = m.cluster_mut(cluster);
                let mut o = Map::new();
                o.insert("api_url".into(), format!("{base}/patroni").into());
                if let Some(r) = &st.role {
                    o.insert("role".into(), r.clone().into());
                }
                if let Some(s) = &st.state {
                    o.insert("state".into(), s.clone().into());
                }
                if let Some(t) = st.timeline {
                    o.insert("timeline".into(), t.into());
                }
                let bytes = serde_json::to_vec(&Value::Object(o)).expect("json");
                c.dcs.apply(
                    &crate::dcs::KeyKind::Member(name.clone()),
                    Some(&bytes),
                    0,
                    SourceId::Rest,
                    now,
                );
                c.partial = Some(format!("etcd and GET /cluster did not answer: only member {name} is shown, from its own GET /patroni"));
                c.rest.insert(name, Sourced::new(st, SourceId::Rest, now));
                m.source_mut(SourceId::Rest).ok(now);
            });
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `GET /cluster` as Patroni answers it in synchronous mode.
    const BODY: &str = r#"{"members":[
        {"name":"pg-test-1","role":"leader","state":"running","api_url":"https://127.0.0.11:8008/patroni","host":"127.0.0.11","port":5432,"timeline":3},
        {"name":"pg-test-2","role":"sync_standby","state":"streaming","api_url":"https://127.0.0.12:8008/patroni","host":"127.0.0.12","port":5432,"timeline":3,"lag":0},
        {"name":"pg-test-3","role":"replica","state":"streaming","api_url":"https://127.0.0.13:8008/patroni","host":"127.0.0.13","port":5432,"timeline":3,"lag":0}],
        "scope":"pg-test"}"#;

    #[test]
    fn a_sync_standby_stays_one_in_the_fallback() {
        let rc = decode_cluster_body(BODY.as_bytes()).unwrap();
        assert_eq!(
            sync_json(&rc),
            Some(serde_json::json!({"leader":"pg-test-1","sync_standby":"pg-test-2"}))
        );
        // Patroni writes a sync standby's own key with role `replica`.
        assert_eq!(member_json(&rc.members[1])["role"], "replica");
        let mut c = crate::model::ClusterState::new("pg-test");
        let now = SystemTime::now();
        for m in &rc.members {
            let b = serde_json::to_vec(&member_json(m)).unwrap();
            c.dcs.apply(
                &crate::dcs::KeyKind::Member(m.name.clone()),
                Some(&b),
                0,
                SourceId::Rest,
                now,
            );
        }
        c.dcs.apply(
            &crate::dcs::KeyKind::Leader,
            Some(b"pg-test-1"),
            0,
            SourceId::Rest,
            now,
        );
        let s = serde_json::to_vec(&sync_json(&rc).unwrap()).unwrap();
        c.dcs
            .apply(&crate::dcs::KeyKind::Sync, Some(&s), 0, SourceId::Rest, now);
        let v = crate::model::view::cluster_view(&c);
        let roles: Vec<&str> = v.members.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, ["leader", "sync_standby", "replica"]);
    }
}
