//! Decoder tests on real recorded DCS contents (Patroni 3.0.2 and 4.1.5) and
//! on malformed values. The expected rows come from patronictl's own output
//! recorded at the same moment, not from our code.

use pgtui::dcs::parse_key;
use pgtui::model::view::cluster_view;
use pgtui::model::{Model, SourceId};
use serde_json::Value;
use std::path::PathBuf;
use std::time::SystemTime;

fn sample(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/samples")
        .join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `etcdctl get --prefix` text output: key line, value line.
fn kvs_from_etcdctl(text: &str) -> Vec<(String, Vec<u8>)> {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .chunks(2)
        .map(|c| (c[0].to_string(), c[1].as_bytes().to_vec()))
        .collect()
}

fn model_from(kvs: &[(String, Vec<u8>)]) -> Model {
    let mut m = Model::new("/pg/");
    let now = SystemTime::now();
    for (i, (k, v)) in kvs.iter().enumerate() {
        let p = parse_key("/pg/", k.as_bytes()).expect("key under /pg/");
        m.cluster_mut(&p.cluster)
            .dcs
            .apply(&p.kind, Some(v), i as i64 + 1, SourceId::Etcd, now);
    }
    m
}

/// Compares our view with patronictl's JSON list on the fields both define.
fn assert_matches_patronictl(m: &Model, cluster: &str, patronictl_json: &str) {
    let v = cluster_view(&m.clusters[cluster]);
    let expected: Vec<Value> = serde_json::from_str(patronictl_json).unwrap();
    assert_eq!(v.members.len(), expected.len(), "member count of {cluster}");
    for (ours, theirs) in v.members.iter().zip(&expected) {
        assert_eq!(ours.name, theirs["Member"].as_str().unwrap());
        assert_eq!(ours.host.as_deref(), theirs["Host"].as_str());
        let role = theirs["Role"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .replace(' ', "_");
        assert_eq!(ours.role, role, "role of {}", ours.name);
        assert_eq!(
            ours.state,
            theirs["State"].as_str().unwrap(),
            "state of {}",
            ours.name
        );
        assert_eq!(
            ours.timeline,
            theirs["TL"].as_u64(),
            "timeline of {}",
            ours.name
        );
        let lag = theirs
            .get("Lag in MB")
            .or(theirs.get("Receive Lag"))
            .and_then(Value::as_u64);
        assert_eq!(ours.lag_mb, lag, "lag of {}", ours.name);
    }
}

#[test]
fn patroni_3_0_2_sample_decodes_like_patronictl() {
    let m = model_from(&kvs_from_etcdctl(&sample("etcd-get-prefix-pg.txt")));
    assert_eq!(
        m.clusters.keys().collect::<Vec<_>>(),
        ["pg-meta", "pg-test"]
    );
    assert_matches_patronictl(&m, "pg-test", &sample("patronictl-list.json"));
    assert_matches_patronictl(&m, "pg-meta", &sample("patronictl-list-pg-meta.json"));
    let v = cluster_view(&m.clusters["pg-test"]);
    assert_eq!(v.leader.as_deref(), Some("pg-test-1"));
    assert_eq!(v.timeline, Some(13));
    assert_eq!(v.system_id.as_deref(), Some("7710730110033111467"));
    assert!(!v.paused);
    assert!(v.unparseable_keys.is_empty(), "{:?}", v.unparseable_keys);
    // 5-element and 3-element history entries both decode.
    let h = m.clusters["pg-test"]
        .dcs
        .history
        .as_ref()
        .unwrap()
        .value
        .ok()
        .unwrap();
    assert_eq!(h.len(), 12);
    assert_eq!(h[11].new_leader.as_deref(), Some("pg-test-1"));
    assert_eq!(h[0].timestamp, None);
    assert_eq!(h[6].reason, "before 2026-11-21 20:59:26.873136+00");
}

#[test]
fn patroni_4_1_5_sample_decodes_like_patronictl() {
    let m = model_from(&kvs_from_etcdctl(&sample(
        "patroni-4.1.5/etcd-get-prefix-pg-v4.txt",
    )));
    assert_matches_patronictl(&m, "pg-v4", &sample("patroni-4.1.5/patronictl-list.json"));
    let v = cluster_view(&m.clusters["pg-v4"]);
    // `primary` (4.x) is the leader as `master` (3.x) was.
    assert_eq!(v.members[0].role, "leader");
    // 4.1 publishes receive and replay positions separately.
    assert_eq!(v.members[1].receive_lag_bytes, Some(0));
    assert_eq!(v.members[1].replay_lag_bytes, Some(0));
    assert_eq!(v.members[1].state, "streaming");
}

#[test]
fn base64_json_listing_decodes_the_same() {
    use base64::Engine;
    let doc: Value = serde_json::from_str(&sample("etcd-get-prefix-pg.json")).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let kvs: Vec<(String, Vec<u8>)> = doc["kvs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kv| {
            let k = b64.decode(kv["key"].as_str().unwrap()).unwrap();
            (
                String::from_utf8(k).unwrap(),
                b64.decode(kv["value"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    let from_json = model_from(&kvs);
    let from_text = model_from(&kvs_from_etcdctl(&sample("etcd-get-prefix-pg.txt")));
    for name in ["pg-test", "pg-meta"] {
        let a = serde_json::to_value(cluster_view(&from_json.clusters[name])).unwrap();
        let b = serde_json::to_value(cluster_view(&from_text.clusters[name])).unwrap();
        assert_eq!(a, b);
    }
}

fn with_replaced(key: &str, value: &[u8]) -> Model {
    let mut kvs = kvs_from_etcdctl(&sample("etcd-get-prefix-pg.txt"));
    let slot = kvs
        .iter_mut()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("{key} in sample"));
    slot.1 = value.to_vec();
    model_from(&kvs)
}

fn deep_nesting(depth: usize) -> Vec<u8> {
    let mut v = "[".repeat(depth).into_bytes();
    v.extend("]".repeat(depth).bytes());
    v
}

fn malformed_values() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("invalid JSON", b"{\"conn_url\": ".to_vec()),
        (
            "wrong types",
            br#"{"conn_url": 5, "state": ["running"], "timeline": "thirteen"}"#.to_vec(),
        ),
        ("an array", b"[1,2,3]".to_vec()),
        ("non-UTF-8", b"{\"state\": \"\xff\xfe\"}".to_vec()),
        ("10,000-deep nesting", deep_nesting(10_000)),
        ("deep object nesting", {
            let mut v = "{\"a\":".repeat(10_000).into_bytes();
            v.extend(b"1");
            v.extend("}".repeat(10_000).bytes());
            v
        }),
        ("empty", b"".to_vec()),
    ]
}

#[test]
fn a_malformed_member_is_marked_and_the_rest_still_reads() {
    for (what, value) in malformed_values() {
        let m = with_replaced("/pg/pg-test/members/pg-test-2", &value);
        let v = cluster_view(&m.clusters["pg-test"]);
        let bad = v.members.iter().find(|x| x.name == "pg-test-2").unwrap();
        assert!(bad.unparseable.is_some(), "{what}: member not marked");
        assert_eq!(bad.state, "unparseable", "{what}");
        assert!(bad.raw.is_some(), "{what}: raw value kept");
        assert!(
            v.unparseable_keys
                .iter()
                .any(|k| k.starts_with("members/pg-test-2")),
            "{what}"
        );
        // The others are unaffected.
        let good = v.members.iter().find(|x| x.name == "pg-test-3").unwrap();
        assert_eq!(
            (good.state.as_str(), good.timeline),
            ("running", Some(13)),
            "{what}"
        );
        assert_eq!(v.leader.as_deref(), Some("pg-test-1"), "{what}");
    }
}

#[test]
fn missing_fields_in_a_member_are_tolerated_not_invented() {
    let m = with_replaced("/pg/pg-test/members/pg-test-3", br#"{"state":"starting"}"#);
    let v = cluster_view(&m.clusters["pg-test"]);
    let x = v.members.iter().find(|x| x.name == "pg-test-3").unwrap();
    assert_eq!(x.state, "starting");
    assert_eq!(
        (x.host.as_deref(), x.timeline, x.lag_mb),
        (None, None, None)
    );
    assert!(x.unparseable.is_none());
}

/// A value of the right JSON shape with a wrongly typed field, per key.
fn wrong_type_for(key: &str) -> Option<Vec<u8>> {
    Some(match key {
        "history" => br#"[["one", 1, "reason"]]"#.to_vec(),
        "status" => br#"{"optime": "0/3000000"}"#.to_vec(),
        "failover" => br#"{"leader": 5, "member": true}"#.to_vec(),
        // config is free-form; leader and initialize are plain text.
        _ => return None,
    })
}

#[test]
fn every_other_key_survives_malformed_values() {
    for key in [
        "config",
        "leader",
        "history",
        "status",
        "failover",
        "initialize",
    ] {
        let mut cases: Vec<(&str, Vec<u8>)> = malformed_values()
            .into_iter()
            .filter(|(w, _)| *w != "wrong types")
            .collect();
        cases.extend(wrong_type_for(key).map(|v| ("wrong types", v)));
        for (what, value) in cases {
            let m = with_replaced(&format!("/pg/pg-test/{key}"), &value);
            let v = cluster_view(&m.clusters["pg-test"]);
            assert_eq!(v.members.len(), 3, "{key} / {what}");
            // Leader and initialize are plain strings: valid UTF-8 garbage is
            // a (strange) name, everything else must be flagged.
            let plain = matches!(key, "leader" | "initialize")
                && std::str::from_utf8(&value).is_ok()
                && !value.is_empty();
            // An empty failover key means "nothing pending", as `{}` does.
            let plain = plain || (key == "failover" && value.is_empty());
            if !plain {
                assert!(
                    v.unparseable_keys.iter().any(|k| k.starts_with(key)),
                    "{key} / {what}: {:?}",
                    v.unparseable_keys
                );
            }
        }
    }
}

#[test]
fn odd_states_decode_from_rest_cluster_bodies() {
    // The recorded odd states are REST /cluster bodies; their member shapes
    // must decode without loss through the REST fallback decoder.
    for state in [
        "paused",
        "scheduled-switchover-and-restart",
        "member-stopped-cleanly",
        "member-killed-after-ttl",
        "replica-replay-paused-lag",
    ] {
        let body = sample(&format!("states/{state}.cluster.json"));
        let c = pgtui::sources::rest_fallback::decode_cluster_body(body.as_bytes())
            .unwrap_or_else(|e| panic!("{state}: {e}"));
        assert!(!c.members.is_empty(), "{state}");
    }
}

#[test]
fn sync_quorum_and_standby_leader_roles() {
    let mut kvs = kvs_from_etcdctl(&sample("etcd-get-prefix-pg.txt"));
    kvs.push((
        "/pg/pg-test/sync".into(),
        br#"{"leader":"pg-test-1","sync_standby":"pg-test-2"}"#.to_vec(),
    ));
    let m = model_from(&kvs);
    let roles: Vec<String> = cluster_view(&m.clusters["pg-test"])
        .members
        .iter()
        .map(|x| x.role.clone())
        .collect();
    assert_eq!(roles, ["leader", "sync_standby", "replica"]);

    // Quorum commit (Patroni 4): synchronous_mode "quorum" in the config.
    let cfg = kvs
        .iter_mut()
        .find(|(k, _)| k == "/pg/pg-test/config")
        .unwrap();
    cfg.1 = br#"{"synchronous_mode":"quorum"}"#.to_vec();
    kvs.push((
        "/pg/pg-test/sync".into(),
        br#"{"leader":"pg-test-1","sync_standby":"pg-test-2,pg-test-3","quorum":1}"#.to_vec(),
    ));
    let roles: Vec<String> = cluster_view(&model_from(&kvs).clusters["pg-test"])
        .members
        .iter()
        .map(|x| x.role.clone())
        .collect();
    assert_eq!(roles, ["leader", "quorum_standby", "quorum_standby"]);

    // A sync key left by a former leader does not make anyone sync now.
    kvs.push((
        "/pg/pg-test/sync".into(),
        br#"{"leader":"pg-test-3","sync_standby":"pg-test-2"}"#.to_vec(),
    ));
    let roles: Vec<String> = cluster_view(&model_from(&kvs).clusters["pg-test"])
        .members
        .iter()
        .map(|x| x.role.clone())
        .collect();
    assert_eq!(roles, ["leader", "replica", "replica"]);

    // A standby cluster's leader.
    let meta = r#"{"conn_url":"postgres://127.0.0.10:5432/postgres","api_url":"http://127.0.0.10:8008/patroni","state":"running","role":"standby_leader","version":"3.0.2","timeline":5}"#;
    kvs.push((
        "/pg/pg-meta/members/pg-meta-1".into(),
        meta.as_bytes().to_vec(),
    ));
    let v = cluster_view(&model_from(&kvs).clusters["pg-meta"]);
    assert_eq!(v.members[0].role, "standby_leader");
}

#[test]
fn scheduled_switchover_and_pause_reach_the_view() {
    let mut kvs = kvs_from_etcdctl(&sample("etcd-get-prefix-pg.txt"));
    let f = kvs
        .iter_mut()
        .find(|(k, _)| k == "/pg/pg-test/failover")
        .unwrap();
    f.1 = br#"{"leader":"pg-test-1","member":"pg-test-3","scheduled_at":"2026-11-21T22:15:24+00:00"}"#.to_vec();
    let c = kvs
        .iter_mut()
        .find(|(k, _)| k == "/pg/pg-test/config")
        .unwrap();
    c.1 = br#"{"ttl":20,"pause":true}"#.to_vec();
    let v = cluster_view(&model_from(&kvs).clusters["pg-test"]);
    assert!(v.paused);
    let s = v.scheduled_switchover.unwrap();
    assert_eq!(
        (s.at.as_str(), s.from.as_deref(), s.to.as_deref()),
        (
            "2026-11-21T22:15:24+00:00",
            Some("pg-test-1"),
            Some("pg-test-3")
        )
    );
}
