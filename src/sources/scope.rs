//! Which clusters a session looks at.

/// `None` means every cluster in the namespace (the fleet).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    pub clusters: Option<Vec<String>>,
}

impl Scope {
    pub fn all() -> Self {
        Scope { clusters: None }
    }

    pub fn only(names: Vec<String>) -> Self {
        Scope {
            clusters: Some(names),
        }
    }

    pub fn includes(&self, cluster: &str) -> bool {
        self.clusters
            .as_ref()
            .is_none_or(|c| c.iter().any(|n| n == cluster))
    }

    /// The etcd prefix to list and watch: one cluster's keys when the scope is
    /// a single cluster, else the whole namespace.
    pub fn prefix(&self, namespace: &str) -> String {
        match self.clusters.as_deref() {
            Some([one]) => format!("{namespace}{one}/"),
            _ => namespace.to_string(),
        }
    }
}
