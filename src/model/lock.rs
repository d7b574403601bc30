//! Who holds a cluster's operation lock, as read from etcd.
//!
//! The lock itself is taken and released by the ops layer; the etcd source
//! reads the lock prefix on its liveness probe so every console shows the
//! holder of an operation another console or runbook is running.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who holds a lock: shown on screen and to whoever is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    pub user: String,
    pub host: String,
    pub operation: String,
    pub id: String,
    pub since: String,
}

/// The lock prefix under pgtui's own keys: `/service/.pgtui/locks/`.
pub fn prefix(pgtui_prefix: &str) -> String {
    format!("{pgtui_prefix}locks/")
}

/// The lock key of one cluster.
pub fn key(pgtui_prefix: &str, cluster: &str) -> String {
    format!("{}{cluster}", prefix(pgtui_prefix))
}

/// Lock holders from the key/values under [`prefix`]. A value pgtui did
/// not write is shown as such rather than dropped: it still blocks.
pub fn parse(pgtui_prefix: &str, kvs: &[(Vec<u8>, Vec<u8>)]) -> BTreeMap<String, LockHolder> {
    let p = prefix(pgtui_prefix);
    kvs.iter()
        .filter_map(|(k, v)| {
            let cluster = std::str::from_utf8(k).ok()?.strip_prefix(&p)?.to_string();
            let holder = crate::text::json_escaped(v).unwrap_or_else(|_| LockHolder {
                user: "?".into(),
                host: "?".into(),
                operation: format!(
                    "unreadable lock value {}",
                    crate::text::printable_bytes(v, 200)
                ),
                id: "?".into(),
                since: "?".into(),
            });
            Some((cluster, holder))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_holders_and_keeps_foreign_values() {
        let ns = "/service/.pgtui/";
        let good = serde_json::json!({"user":"dba","host":"h","operation":"switchover","id":"1","since":"t"});
        let kvs = vec![
            (
                key(ns, "pg-test").into_bytes(),
                good.to_string().into_bytes(),
            ),
            (key(ns, "pg-x").into_bytes(), b"junk".to_vec()),
            (
                b"/other/.pgtui/locks/pg-y".to_vec(),
                good.to_string().into_bytes(),
            ),
        ];
        let m = parse(ns, &kvs);
        assert_eq!(m.len(), 2);
        assert_eq!(m["pg-test"].operation, "switchover");
        assert!(m["pg-x"].operation.contains("junk"));
    }
}
