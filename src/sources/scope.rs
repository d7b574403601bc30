//! Which clusters a session looks at, and which of them get the full
//! treatment.
//!
//! A session reads the DCS of every cluster in its scope: one etcd watch
//! carries them all at little cost (a console opened on one cluster reads
//! only that one until it wants the fleet: see `sources::etcd`). Asking members over the network is what
//! costs, and in a namespace of thousands of clusters a console that asked
//! every member every second spent a fifth of a core showing one cluster.
//! So the polling sources (REST, SQL, HAProxy stats, the service probe, the
//! agents) work per second only for the clusters a session names, or, for a
//! fleet session, for the one the console has in focus (`Model::focus`).
//! The fleet rows on screen (`Model::on_screen`) get REST and the agent's
//! backups at a slow pace, each row saying how old its data is; the rest of
//! the fleet is DCS only.

use crate::model::{ClusterState, Model};

/// Which of a scope's clusters a polling round asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// [`Scope::full`]: every second.
    Full,
    /// [`Scope::rest`]: REST's every-second set.
    Rest,
    /// [`Scope::glance`]: the fleet rows on screen, slowly.
    Glance,
}

/// `clusters: None` means every cluster in the namespace (the fleet).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    pub clusters: Option<Vec<String>>,
    /// A fleet session asks every cluster over REST, not only the focused
    /// one (`list --rest`).
    pub rest_all: bool,
}

impl Scope {
    pub fn all() -> Self {
        Scope::default()
    }

    pub fn only(names: Vec<String>) -> Self {
        Scope {
            clusters: Some(names),
            rest_all: false,
        }
    }

    /// The fleet, with every cluster asked over REST.
    pub fn all_with_rest() -> Self {
        Scope {
            clusters: None,
            rest_all: true,
        }
    }

    /// Whether the session reads `cluster` from the DCS at all.
    pub fn includes(&self, cluster: &str) -> bool {
        self.clusters
            .as_ref()
            .is_none_or(|c| c.iter().any(|n| n == cluster))
    }

    /// Whether `cluster` gets the per-second treatment now: named by the
    /// session, in the console's focus, or under an operation.
    pub fn full(&self, m: &Model, cluster: &str) -> bool {
        match &self.clusters {
            Some(names) => names.iter().any(|n| n == cluster),
            None => m.focus.as_deref() == Some(cluster) || m.pinned.contains_key(cluster),
        }
    }

    /// Whether `cluster` is asked over REST every round.
    pub fn rest(&self, m: &Model, cluster: &str) -> bool {
        self.full(m, cluster) || (self.rest_all && self.includes(cluster))
    }

    /// Whether `cluster` is a fleet row on screen that is not in focus: it
    /// is asked at the fleet's slow pace.
    pub fn glance(&self, m: &Model, cluster: &str) -> bool {
        self.clusters.is_none() && !self.rest(m, cluster) && m.on_screen.contains(cluster)
    }

    /// Whether a round of `lane` asks `cluster`.
    pub fn picks(&self, m: &Model, cluster: &str, lane: Lane) -> bool {
        match lane {
            Lane::Full => self.full(m, cluster),
            Lane::Rest => self.rest(m, cluster),
            Lane::Glance => self.glance(m, cluster),
        }
    }

    /// The clusters a round of `lane` asks, found without walking a fleet
    /// of thousands: the named ones, the focus and the pinned, the rows on
    /// screen.
    pub fn picked<'m>(&self, m: &'m Model, lane: Lane) -> Vec<&'m ClusterState> {
        let names: Vec<&str> = match (&self.clusters, lane) {
            (Some(names), _) => names.iter().map(String::as_str).collect(),
            (None, Lane::Rest) if self.rest_all => m.clusters.keys().map(String::as_str).collect(),
            (None, Lane::Full | Lane::Rest) => {
                let mut v: Vec<&str> = m.focus.as_deref().into_iter().collect();
                v.extend(
                    m.pinned
                        .keys()
                        .map(String::as_str)
                        .filter(|p| Some(*p) != m.focus.as_deref()),
                );
                v
            }
            (None, Lane::Glance) => m.on_screen.iter().map(String::as_str).collect(),
        };
        names
            .into_iter()
            .filter_map(|n| m.clusters.get(n).map(|c| &**c))
            .filter(|c| self.picks(m, &c.name, lane))
            .collect()
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
