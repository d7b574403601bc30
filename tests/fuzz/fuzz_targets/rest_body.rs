//! Patroni REST bodies: `GET /patroni` (`text::json_escaped::<RestStatus>`,
//! what the REST source polls) and `GET /cluster`
//! (`rest_fallback::decode_cluster_body`, the etcd-down fallback).
//!
//! Input: the body. Asserted, for both:
//! - what decodes holds no unsafe character, and neither does an error;
//! - a body that is valid JSON and that serde's own typed parse accepts is
//!   accepted too, and when it held nothing to escape the result is exactly
//!   serde's;
//! - `/patroni`: a decoded status written back as JSON decodes to itself
//!   (floats within a few ulps).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgtui::model::rest::RestStatus;
use pgtui::sources::rest_fallback::{decode_cluster_body, RestCluster};
use pgtui_fuzz::{
    assert_safe, assert_safe_json, assert_safe_ser, bounded, json_has_unsafe, same_ser,
};
use serde_json::Value;

fn opt(what: &str, s: &Option<String>) {
    if let Some(s) = s {
        assert_safe(what, s);
    }
}

/// `RestCluster` does not serialise; its strings, one by one.
fn cluster_safe(c: &RestCluster) {
    opt("/cluster scope", &c.scope);
    if let Some(v) = &c.scheduled_switchover {
        assert_safe_json("/cluster scheduled_switchover", v);
    }
    for m in &c.members {
        assert_safe("/cluster member name", &m.name);
        opt("/cluster role", &m.role);
        opt("/cluster state", &m.state);
        opt("/cluster api_url", &m.api_url);
        opt("/cluster host", &m.host);
        for v in [&m.lag, &m.scheduled_restart].into_iter().flatten() {
            assert_safe_json("/cluster member value", v);
        }
        assert_safe_json("/cluster tags", &Value::Object(m.tags.clone()));
    }
}

fuzz_target!(|body: &[u8]| {
    let safe_json = serde_json::from_slice::<Value>(body)
        .ok()
        .map(|v| !json_has_unsafe(&v));

    let status = bounded("/patroni", || pgtui::text::json_escaped::<RestStatus>(body));
    let direct = serde_json::from_slice::<RestStatus>(body);
    match &status {
        Ok(st) => {
            assert_safe_ser("a /patroni status", st);
            if safe_json == Some(true) {
                if let Ok(d) = &direct {
                    assert_eq!(st, d, "/patroni differs from serde's parse");
                }
            }
            let back = serde_json::to_vec(st).unwrap();
            match pgtui::text::json_escaped::<RestStatus>(&back) {
                Ok(again) => assert!(
                    same_ser(&again, st),
                    "/patroni not stable: {st:?} then {again:?}"
                ),
                Err(e) => panic!("/patroni refused when written back: {e}"),
            }
        }
        Err(e) => {
            assert_safe("a /patroni error", &e.to_string());
            // serde's typed parse skips what it ignores unchecked (invalid
            // UTF-8 in an unknown field); only JSON that is valid as a whole
            // must be accepted.
            if safe_json.is_some() {
                assert!(direct.is_err(), "/patroni refused what serde accepts: {e}");
            }
        }
    }

    let cluster = bounded("/cluster", || decode_cluster_body(body));
    let direct = serde_json::from_slice::<RestCluster>(body);
    match &cluster {
        Ok(c) => {
            cluster_safe(c);
            if safe_json == Some(true) {
                if let Ok(d) = &direct {
                    assert_eq!(
                        format!("{c:?}"),
                        format!("{d:?}"),
                        "/cluster differs from serde's parse"
                    );
                }
            }
        }
        Err(e) => {
            assert_safe("a /cluster error", &e.to_string());
            if safe_json.is_some() {
                assert!(direct.is_err(), "/cluster refused what serde accepts: {e}");
            }
        }
    }
});
