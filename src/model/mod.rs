//! The one model every view reads.
//!
//! Sources publish into it through [`ModelHandle::update`]; views (the CLI
//! and the console) read it and derive what they show with pure functions
//! ([`view`], [`lag`], [`freshness`]). Each datum keeps where it came from and
//! when, and each source keeps its freshness and last error, so a view can
//! always tell current data from data that is merely the last known.

pub mod agent;
pub mod backup;
pub mod cluster;
pub mod config_doc;
pub mod events;
pub mod freshness;
pub mod handle;
pub mod haproxy;
pub mod health;
pub mod lag;
pub mod lock;
pub mod logs;
pub mod member_state;
pub mod pgbouncer;
pub mod pgbouncer_flags;
pub mod rest;
pub mod role;
pub mod source;
pub mod sql;
pub mod view;
pub mod vip;

pub use cluster::{ClusterState, DcsCluster, DcsEntry};
pub use handle::ModelHandle;
pub use member_state::MemberState;
pub use role::Role;
pub use source::{SourceHealth, SourceId, Sourced};

use std::collections::BTreeMap;

/// Everything pgtui knows about one DCS namespace.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub namespace: String,
    /// Boxed: a cluster's state is large and a map's node has room for
    /// eleven, so over a fleet unboxed states cost about twice their size.
    pub clusters: BTreeMap<String, Box<ClusterState>>,
    pub sources: BTreeMap<SourceId, SourceHealth>,
    pub events: events::EventLog,
    /// pgtui operation locks held now, by cluster (from the etcd probe).
    pub locks: BTreeMap<String, lock::LockHolder>,
    /// pgtui's own keys (locks, agents, jobs) have been read at least once,
    /// so an empty `agents` means "none registered", not "not read yet".
    pub own_keys_read: bool,
    /// How each etcd endpoint answered its last status request.
    pub etcd_endpoints: Vec<crate::dcs::EndpointHealth>,
    /// The endpoint the etcd watch follows now.
    pub etcd_watching: Option<String>,
    /// How the SQL probes connect (sslmode, what is verified), set by the
    /// SQL source when it starts.
    pub sql_transport: Option<String>,
    /// Keys under the namespace that name no cluster (`/service/junk`,
    /// `/service//x`), escaped: Patroni never writes one, so each is said.
    pub stray_keys: std::collections::BTreeSet<String>,
    /// The cluster the console shows now: in a fleet session, the one the
    /// polling sources ask every second (`sources::Scope::full`).
    pub focus: Option<String>,
    /// Clusters an operation is following to its end (by how many): they
    /// stay in full view whatever the console shows meanwhile.
    pub pinned: BTreeMap<String, usize>,
    /// Only the focused cluster's keys have been read and watched so far,
    /// not the namespace: the fleet is not known yet and must not look
    /// known.
    pub fleet_pending: bool,
    /// Something on screen needs the whole namespace (the fleet screen, a
    /// jump to another cluster). Until then a console opened on one
    /// cluster reads and watches that cluster's keys only, so its cost
    /// does not grow with the fleet; once set, it stays set.
    pub fleet_wanted: bool,
    /// etcd refused this user a read of the namespace (a role confined to
    /// one cluster's keys): the console stays on the cluster in focus and
    /// the fleet cannot be shown. The error, as etcd's source reported it.
    pub fleet_refused: Option<String>,
    /// The fleet rows on screen, asked at the fleet's slow pace.
    pub on_screen: std::collections::BTreeSet<String>,
    /// Clients waiting this long in a pgbouncer pool are an alarm (the
    /// pgbouncer source sets it from the settings when it starts).
    pub pgbouncer_wait_alarm: Option<std::time::Duration>,
    /// The port pgbouncers are read on, while that source runs.
    pub pgbouncer_port: Option<u16>,
    /// The logs a console screen or `pgtui logs` follows, and their lines
    /// (the logs source reads them only while this is set).
    pub logs: Option<logs::LogsState>,
    /// The last [`ClusterState::version`] given out.
    pub versions: u64,
    /// Bumped by every [`ModelHandle::update`], so what is derived from the
    /// model can be kept until it changes; 0 for a model no handle updated.
    pub revision: u64,
}

impl Model {
    pub fn new(namespace: &str) -> Self {
        Model {
            namespace: crate::dcs::normalize_namespace(namespace),
            ..Default::default()
        }
    }

    pub fn source(&self, id: SourceId) -> SourceHealth {
        self.sources.get(&id).cloned().unwrap_or_default()
    }

    pub fn source_mut(&mut self, id: SourceId) -> &mut SourceHealth {
        self.sources.entry(id).or_default()
    }

    /// A cluster to write to (made if new), its version bumped.
    pub fn cluster_mut(&mut self, name: &str) -> &mut ClusterState {
        self.versions += 1;
        let version = self.versions;
        let c = self
            .clusters
            .entry(name.to_string())
            .or_insert_with(|| Box::new(ClusterState::new(name)));
        c.version = version;
        c
    }

    /// Every cluster `pick` chooses, to write to, their versions bumped.
    pub fn clusters_mut(
        &mut self,
        pick: impl Fn(&ClusterState) -> bool,
    ) -> impl Iterator<Item = &mut ClusterState> {
        let before = self.versions;
        for c in self.clusters.values_mut().filter(|c| pick(c)) {
            self.versions += 1;
            c.version = self.versions;
        }
        self.clusters
            .values_mut()
            .map(|c| &mut **c)
            .filter(move |c| c.version > before)
    }
}
