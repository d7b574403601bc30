//! Patroni's dynamic configuration (`/config`), kept as compact JSON text.
//!
//! Why text and not a JSON tree: over a fleet of thousands of clusters the
//! decoded trees were the largest part of a console's memory, and only the
//! focused cluster ever needs the whole tree (the config screen, the
//! switchover scorecard, an operation's time bound). The two fields every
//! cluster's view needs (`pause`, `synchronous_mode`) are read once on the
//! way in; the tree is decoded again on first use and kept. The text is
//! shared (`Arc`) with whoever keeps a copy to compare, as the events task
//! does.

use serde_json::Value;
use std::sync::{Arc, OnceLock};

#[derive(Clone)]
pub struct ConfigDoc {
    text: Arc<str>,
    pause: bool,
    synchronous_mode: Option<Value>,
    tree: OnceLock<Value>,
}

impl ConfigDoc {
    /// From a decoded (and escaped) config value.
    pub fn new(v: Value) -> ConfigDoc {
        ConfigDoc {
            text: v.to_string().into(),
            pause: v.get("pause").is_some_and(super::cluster::truthy),
            synchronous_mode: v.get("synchronous_mode").cloned(),
            tree: OnceLock::new(),
        }
    }

    /// The compact JSON text.
    pub fn text(&self) -> &Arc<str> {
        &self.text
    }

    /// The whole tree, decoded on first use.
    pub fn value(&self) -> &Value {
        // The text was written from a `Value`, so it reads back; `Null`
        // only guards a broken invariant.
        self.tree
            .get_or_init(|| serde_json::from_str(&self.text).unwrap_or(Value::Null))
    }

    pub fn paused(&self) -> bool {
        self.pause
    }

    pub fn synchronous_mode(&self) -> Option<&Value> {
        self.synchronous_mode.as_ref()
    }
}

impl PartialEq for ConfigDoc {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl std::fmt::Debug for ConfigDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_what_every_view_needs_and_reads_the_tree_back() {
        let v = json!({"pause": "on", "synchronous_mode": "quorum", "ttl": 30,
                       "postgresql": {"parameters": {"max_connections": 100}}});
        let d = ConfigDoc::new(v.clone());
        assert!(d.paused());
        assert_eq!(d.synchronous_mode(), Some(&json!("quorum")));
        assert_eq!(d.value(), &v);
        assert!(!ConfigDoc::new(json!({"ttl": 30})).paused());
        assert_eq!(ConfigDoc::new(json!({"ttl": 30})).synchronous_mode(), None);
    }
}
