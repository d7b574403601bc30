//! The recorded pg-test cluster (etcd keys plus every member's REST
//! answer) as a model, with one edit applied: the fixture of the
//! table-driven preflight tests.
#![allow(dead_code)]

use pgtui::dcs::parse_key;
use pgtui::model::rest::RestStatus;
use pgtui::model::{ClusterState, Model, SourceId, Sourced};
use std::time::{Duration, SystemTime};

pub fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_295_818)
}

pub fn sample(rel: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/samples/{rel}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The recorded pg-test, with every member answering REST, after `edit`.
pub fn cluster(edit: impl FnOnce(&mut Vec<(String, String)>)) -> ClusterState {
    let text = sample("etcd-get-prefix-pg.txt");
    let mut kvs: Vec<(String, String)> = text
        .lines()
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|c| (c[0].to_string(), c[1].to_string()))
        .collect();
    edit(&mut kvs);
    let mut m = Model::new("/pg/");
    for (k, v) in &kvs {
        let p = parse_key("/pg/", k.as_bytes()).unwrap();
        m.cluster_mut(&p.cluster).dcs.apply(
            &p.kind,
            Some(v.as_bytes()),
            1,
            SourceId::Etcd,
            now() - Duration::from_secs(3),
        );
    }
    let c = m.cluster_mut("pg-test");
    for (name, file) in [
        ("pg-test-1", "patroni-leader-patroni.json"),
        ("pg-test-2", "patroni-replica-patroni.json"),
        ("pg-test-3", "patroni-replica-patroni.json"),
    ] {
        let st: RestStatus = serde_json::from_str(&sample(file)).unwrap();
        c.rest.insert(
            name.into(),
            Sourced::new(st, SourceId::Rest, now() - Duration::from_secs(1)),
        );
    }
    c.clone()
}

pub fn set(kvs: &mut [(String, String)], key: &str, value: &str) {
    kvs.iter_mut().find(|(k, _)| k == key).unwrap().1 = value.to_string();
}

pub fn member(role: &str, tl: u64, extra: &str) -> String {
    format!(
        r#"{{"conn_url":"postgres://127.0.0.13:5432/postgres","api_url":"http://127.0.0.13:8008/patroni","state":"running","role":"{role}","version":"3.0.2","xlog_location":738197504,"timeline":{tl}{extra}}}"#
    )
}

/// The recorded etcd prefix as a model (no REST), then `extra` keys put
/// over it: the fixture of the console's interaction tests.
pub fn sample_model(extra: &[(&str, &str)]) -> Model {
    let mut m = Model::new("/pg/");
    let text = sample("etcd-get-prefix-pg.txt");
    let lines: Vec<&str> = text.lines().collect();
    let pairs = lines.chunks(2).map(|kv| (kv[0], kv[1]));
    for (key, value) in pairs.chain(extra.iter().copied()) {
        let p = parse_key("/pg/", key.as_bytes()).unwrap();
        m.cluster_mut(&p.cluster).dcs.apply(
            &p.kind,
            Some(value.as_bytes()),
            1,
            SourceId::Etcd,
            SystemTime::now(),
        );
    }
    m
}
