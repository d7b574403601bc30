//! One cluster's state: its DCS keys plus what the live sources added.

use super::config_doc::ConfigDoc;
use super::rest::RestStatus;
use super::source::{SourceId, Sourced};
use super::sql::SqlMember;
use crate::dcs::decode::{decode_flagged, DcsValue};
use crate::dcs::{Decoded, Failover, HistoryEntry, KeyKind, MemberData, Status, SyncState};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::SystemTime;

/// A decoded DCS key with its provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct DcsEntry<T> {
    pub value: Decoded<T>,
    pub mod_revision: i64,
    pub source: SourceId,
    pub at: SystemTime,
}

/// Patroni's keys for one cluster, as last read. Each key is boxed, like
/// each member: most clusters of a fleet are only ever read from the DCS,
/// and unboxed the key slots were most of a cluster's size.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DcsCluster {
    pub config: Option<Box<DcsEntry<ConfigDoc>>>,
    pub leader: Option<Box<DcsEntry<String>>>,
    /// Boxed: a map's node has room for eleven entries however few it
    /// holds, and a member's value is large, so unboxed a three-member
    /// cluster paid for eleven.
    pub members: BTreeMap<String, Box<DcsEntry<MemberData>>>,
    pub history: Option<Box<DcsEntry<Vec<HistoryEntry>>>>,
    pub status: Option<Box<DcsEntry<Status>>>,
    pub optime_leader: Option<Box<DcsEntry<u64>>>,
    pub sync: Option<Box<DcsEntry<SyncState>>>,
    pub failover: Option<Box<DcsEntry<Failover>>>,
    pub failsafe: Option<Box<DcsEntry<BTreeMap<String, Value>>>>,
    pub initialize: Option<Box<DcsEntry<String>>>,
    pub other: BTreeMap<String, DcsEntry<String>>,
    /// Per key (`members/x`, `config`): the fields whose text held
    /// characters a terminal would obey, escaped on the way in.
    pub escaped: BTreeMap<String, Vec<String>>,
    /// Leaders this process saw lose the leader key, and when, newest
    /// last (at most [`FORMER_LEADERS`]). Not a key: kept across re-lists,
    /// so connections opened while a member led can be told from those
    /// opened since (Patroni's history names the new leader only
    /// sometimes, and never the first one).
    pub former_leaders: Vec<(String, SystemTime)>,
}

pub const FORMER_LEADERS: usize = 8;

impl DcsCluster {
    pub fn is_empty(&self) -> bool {
        // Field by field: building a default to compare with showed up in
        // the profile of a console over thousands of clusters.
        self.config.is_none()
            && self.leader.is_none()
            && self.members.is_empty()
            && self.history.is_none()
            && self.status.is_none()
            && self.optime_leader.is_none()
            && self.sync.is_none()
            && self.failover.is_none()
            && self.failsafe.is_none()
            && self.initialize.is_none()
            && self.other.is_empty()
            && self.escaped.is_empty()
    }

    /// Replaces every key with a fresh listing (the etcd source's list, an
    /// operation's linearizable read). A member or status key whose
    /// revision did not change keeps the time it was first seen: Patroni
    /// wrote it then, and taking it as new would let a loop-old position
    /// outrank a REST answer that is seconds old.
    pub fn reload<'a>(
        &mut self,
        keys: impl IntoIterator<Item = (KeyKind, &'a [u8], i64)>,
        source: SourceId,
        at: SystemTime,
    ) {
        let mut known = std::mem::take(self);
        self.former_leaders = std::mem::take(&mut known.former_leaders);
        for (kind, bytes, rev) in keys {
            self.apply(&kind, Some(bytes), rev, source, at);
        }
        if let Some(old) = known.leader_name() {
            if self.leader_name() != Some(old) {
                self.lost_leader(old.to_string(), at);
            }
        }
        for (name, e) in self.members.iter_mut() {
            if let Some(old) = known.members.get(name) {
                if old.mod_revision == e.mod_revision {
                    e.at = old.at;
                }
            }
        }
        if let (Some(e), Some(old)) = (self.status.as_mut(), known.status.as_ref()) {
            if old.mod_revision == e.mod_revision {
                e.at = old.at;
            }
        }
    }

    /// Sets (`Some(bytes)`) or removes (`None`) one key.
    pub fn apply(
        &mut self,
        kind: &KeyKind,
        bytes: Option<&[u8]>,
        mod_revision: i64,
        source: SourceId,
        at: SystemTime,
    ) {
        fn put<T>(
            slot: &mut Option<Box<DcsEntry<T>>>,
            v: Option<(Decoded<T>, i64, SourceId, SystemTime)>,
        ) {
            *slot = v.map(|(value, mod_revision, source, at)| {
                Box::new(DcsEntry {
                    value,
                    mod_revision,
                    source,
                    at,
                })
            });
        }
        if *kind == KeyKind::Leader {
            if let Some(old) = self.leader_name().map(str::to_string) {
                let same =
                    bytes.is_some_and(|b| std::str::from_utf8(b).is_ok_and(|s| s.trim() == old));
                if !same {
                    self.lost_leader(old, at);
                }
            }
        }
        let Some(bytes) = bytes else {
            self.escaped.remove(&kind.tail());
            match kind {
                KeyKind::Config => self.config = None,
                KeyKind::Leader => self.leader = None,
                KeyKind::Member(n) => {
                    self.members.remove(n);
                }
                KeyKind::History => self.history = None,
                KeyKind::Status => self.status = None,
                KeyKind::OptimeLeader => self.optime_leader = None,
                KeyKind::Sync => self.sync = None,
                KeyKind::Failover => self.failover = None,
                KeyKind::Failsafe => self.failsafe = None,
                KeyKind::Initialize => self.initialize = None,
                KeyKind::Other(k) => {
                    self.other.remove(k);
                }
            }
            return;
        };
        let (r, s, t) = (mod_revision, source, at);
        let (value, escaped) = decode_flagged(kind, bytes);
        if escaped.is_empty() {
            self.escaped.remove(&kind.tail());
        } else {
            self.escaped.insert(kind.tail(), escaped);
        }
        match (kind, value) {
            (_, DcsValue::Config(v)) => {
                put(&mut self.config, Some((v.map(ConfigDoc::new), r, s, t)))
            }
            (_, DcsValue::Leader(v)) => put(&mut self.leader, Some((v, r, s, t))),
            (KeyKind::Member(n), DcsValue::Member(v)) => {
                self.members.insert(
                    n.clone(),
                    Box::new(DcsEntry {
                        value: *v,
                        mod_revision: r,
                        source: s,
                        at: t,
                    }),
                );
            }
            (_, DcsValue::History(v)) => put(&mut self.history, Some((v, r, s, t))),
            (_, DcsValue::Status(v)) => put(&mut self.status, Some((v, r, s, t))),
            (_, DcsValue::OptimeLeader(v)) => put(&mut self.optime_leader, Some((v, r, s, t))),
            (_, DcsValue::Sync(v)) => put(&mut self.sync, Some((v, r, s, t))),
            (_, DcsValue::Failover(v)) => put(&mut self.failover, Some((v, r, s, t))),
            (_, DcsValue::Failsafe(v)) => put(&mut self.failsafe, Some((v, r, s, t))),
            (_, DcsValue::Initialize(v)) => put(&mut self.initialize, Some((v, r, s, t))),
            (KeyKind::Other(k), DcsValue::Other(v)) => {
                self.other.insert(
                    k.clone(),
                    DcsEntry {
                        value: v,
                        mod_revision: r,
                        source: s,
                        at: t,
                    },
                );
            }
            (k, v) => unreachable!("decode_value returned {v:?} for {k:?}"),
        }
    }

    fn lost_leader(&mut self, name: String, at: SystemTime) {
        self.former_leaders.push((name, at));
        let extra = self.former_leaders.len().saturating_sub(FORMER_LEADERS);
        self.former_leaders.drain(..extra);
    }

    pub fn leader_name(&self) -> Option<&str> {
        self.leader
            .as_ref()
            .and_then(|e| e.value.ok())
            .map(String::as_str)
    }

    pub fn paused(&self) -> bool {
        self.config_doc().is_some_and(ConfigDoc::paused)
    }

    pub fn config_doc(&self) -> Option<&ConfigDoc> {
        self.config.as_ref().and_then(|e| e.value.ok())
    }

    /// The whole config tree (decoded on first use: see [`ConfigDoc`]).
    pub fn config_value(&self) -> Option<&Value> {
        self.config_doc().map(ConfigDoc::value)
    }

    /// The leader's last known WAL position according to the DCS.
    pub fn leader_optime(&self) -> Option<(u64, SystemTime)> {
        let status = self
            .status
            .as_ref()
            .and_then(|e| e.value.ok().and_then(|s| s.optime).map(|o| (o, e.at)));
        let legacy = self
            .optime_leader
            .as_ref()
            .and_then(|e| e.value.ok().map(|o| (*o, e.at)));
        let member = self
            .leader_name()
            .and_then(|l| self.members.get(l))
            .and_then(|e| {
                e.value
                    .ok()
                    .and_then(|m| m.xlog_location)
                    .map(|x| (x, e.at))
            });
        [status, legacy, member]
            .into_iter()
            .flatten()
            .max_by_key(|(lsn, at)| (*at, *lsn))
    }
}

pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(s.to_ascii_lowercase().as_str(), "true" | "on" | "yes" | "1"),
        Value::Number(n) => n.as_f64().unwrap_or(0.0) != 0.0,
        _ => false,
    }
}

/// Everything known about one cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterState {
    pub name: String,
    pub dcs: DcsCluster,
    /// `GET /patroni` per member.
    pub rest: BTreeMap<String, Sourced<RestStatus>>,
    /// Last REST error per member (unreachable, auth...).
    pub rest_errors: BTreeMap<String, (SystemTime, String)>,
    /// Each member's pgbouncer (its admin console), and the last failure
    /// to read it.
    pub pgbouncer: BTreeMap<String, Sourced<super::pgbouncer::Pgbouncer>>,
    pub pgbouncer_errors: BTreeMap<String, (SystemTime, String)>,
    /// Members where no pgbouncer listens, and none ever answered.
    pub pgbouncer_absent: std::collections::BTreeSet<String>,
    /// Members whose pgbouncer port refused the last connection, whether
    /// or not one answered before: a HAProxy hop there is refused too.
    pub pgbouncer_refused: std::collections::BTreeSet<String>,
    /// Each member's VIP report from its agent, and the last failure to
    /// ask it (`model::vip` judges them).
    pub vip: BTreeMap<String, Sourced<super::vip::VipReport>>,
    pub vip_errors: BTreeMap<String, (SystemTime, String)>,
    /// SQL probe results per member.
    pub sql: BTreeMap<String, Sourced<SqlMember>>,
    /// Last SQL error per member (refused, login rejected...).
    pub sql_errors: BTreeMap<String, (SystemTime, String)>,
    /// HAProxy stats per stats URL, and what each service port answered.
    pub haproxy: super::haproxy::HaproxyState,
    /// The backups, as the node agent last reported them (see
    /// `sources::agent`), and the last failure to read them.
    pub backups: Option<Box<Sourced<super::backup::report::BackupReport>>>,
    pub backups_error: Option<(SystemTime, String)>,
    /// Its registered node agents by member, and its agent jobs, oldest
    /// first (pgtui's own keys, read by the etcd source's heartbeat).
    pub agents: BTreeMap<String, super::agent::AgentReg>,
    pub jobs: Vec<super::agent::Job>,
    /// What could not be read at all, when the cluster was rebuilt from a
    /// member's REST API with etcd down (`None`: nothing is missing).
    pub partial: Option<String>,
    /// Bumped by every [`super::Model::cluster_mut`] (and by the few
    /// writers that walk every cluster): equal versions, equal cluster. So
    /// a fleet of thousands derives again only the clusters that changed;
    /// hashing every cluster on every change cost more than the rest of
    /// an idle console.
    pub version: u64,
}

impl ClusterState {
    pub fn new(name: &str) -> Self {
        ClusterState {
            name: name.to_string(),
            ..Default::default()
        }
    }

    /// Members the REST source can ask, with their `api_url`. A member whose
    /// key does not decode, or names no API, is not one of them; whoever
    /// waits for "every member asked once" must count only these, or it
    /// waits for ever (and a source woken by that wait polls in a loop).
    pub fn rest_targets(&self) -> impl Iterator<Item = (&String, &str)> {
        self.dcs
            .members
            .iter()
            .filter_map(|(n, e)| Some((n, e.value.ok()?.api_url.as_deref()?)))
    }

    /// A REST target that has neither answered nor failed yet.
    pub fn rest_pending(&self) -> bool {
        self.rest_targets()
            .any(|(n, _)| !self.rest.contains_key(n) && !self.rest_errors.contains_key(n))
    }

    /// Members the SQL probes can reach: (name, host, port) from `conn_url`.
    pub fn sql_targets(&self) -> impl Iterator<Item = (&String, String, u16)> {
        self.dcs.members.iter().filter_map(|(n, e)| {
            let (h, p) = e.value.ok()?.host_port();
            Some((n, h?, p.unwrap_or(5432)))
        })
    }

    /// A member whose pgbouncer has neither answered, failed, nor been
    /// found absent yet.
    pub fn pgbouncer_pending(&self) -> bool {
        self.sql_targets().any(|(n, _, _)| {
            !self.pgbouncer.contains_key(n)
                && !self.pgbouncer_errors.contains_key(n)
                && !self.pgbouncer_absent.contains(n)
        })
    }

    /// An SQL target that has neither answered nor failed yet.
    pub fn sql_pending(&self) -> bool {
        self.sql_targets()
            .any(|(n, _, _)| !self.sql.contains_key(n) && !self.sql_errors.contains_key(n))
    }
}
