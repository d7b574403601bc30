//! The events task: turns "the model changed" into "what changed".
//!
//! It subscribes to the model, waits ~20 ms for a burst of updates to settle
//! (an etcd re-list or a failover touches many keys at once), takes a
//! [`Snapshot`] and [`diff`]s it against the previous one, appending the
//! result to `Model::events`. The snapshot and the diff are pure and live
//! here, next to their only caller, so `model::events` stays the small
//! vocabulary views read. The snapshot never includes the log, and the task
//! appends only when the diff is non-empty: its own update wakes it once,
//! finds nothing new, and sleeps, so it cannot loop.

use super::Scope;
use crate::model::events::{ConfigChange, Event, EventKind};
use crate::model::view::{cluster_view, ClusterView, MemberView};
use crate::model::{ClusterState, Model, ModelHandle, SourceHealth, SourceId};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// How long a burst of updates may take before the task looks.
pub const DEBOUNCE: Duration = Duration::from_millis(20);
/// How long to wait for etcd's first answer before taking the baseline anyway.
pub const BASELINE_WAIT: Duration = Duration::from_secs(3);

/// The task: runs until aborted.
pub async fn run(scope: Scope, model: ModelHandle) {
    let mut changes = model.subscribe();
    // The baseline is the first picture etcd gave (or an empty one if etcd
    // stays silent), so a slow first list does not read as clusters appearing.
    let deadline = Instant::now() + BASELINE_WAIT;
    let ready = |m: &Model| m.sources.contains_key(&SourceId::Etcd) || !m.clusters.is_empty();
    while !model.read(ready) && Instant::now() < deadline {
        tokio::select! {
            r = changes.changed() => if r.is_err() { return },
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
    let take = |m: &Model| Snapshot::of(m, |c| scope.includes(c));
    tokio::time::sleep(DEBOUNCE).await;
    changes.borrow_and_update();
    let mut prev = model.read(take);
    let first = initial(&prev, SystemTime::now());
    model.update(|m| m.events.push(first));
    loop {
        if changes.changed().await.is_err() {
            return;
        }
        tokio::time::sleep(DEBOUNCE).await;
        changes.borrow_and_update();
        let events = model.read(|m| prev.advance(m, |c| scope.includes(c), SystemTime::now()));
        if !events.is_empty() {
            model.update(|m| m.events.extend(events));
        }
    }
}

/// What the diff needs from one cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSnap {
    pub view: ClusterView,
    /// The DCS config as compact JSON (`None` when absent or unreadable),
    /// shared with the model (see `model::config_doc`); decoded again only
    /// when it changed.
    pub config: Option<Arc<str>>,
    /// The VIP's verdict when the snapshot was taken.
    pub vip: crate::model::vip::VipVerdict,
}

/// What the diff needs from the model: never the event log itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Shared with the snapshot before when the cluster did not change
    /// (its version is the same), so a fleet of thousands is derived and
    /// compared again only where something moved.
    pub clusters: BTreeMap<String, (u64, Arc<ClusterSnap>)>,
    pub sources: BTreeMap<SourceId, SourceHealth>,
    /// The model's `versions` when this snapshot was taken: a cluster
    /// whose version is newer changed since.
    pub seen: u64,
    /// Only the focused cluster had been read (`Model::fleet_pending`):
    /// the clusters the namespace's first read brings were there all
    /// along, and are not news.
    pub pending: bool,
}

/// A cluster's picture and the version it was derived from.
type Versioned = (u64, Arc<ClusterSnap>);

fn snap_of(c: &ClusterState, namespace: &str, at: SystemTime) -> Arc<ClusterSnap> {
    Arc::new(ClusterSnap {
        view: cluster_view(c),
        config: c.dcs.config_doc().map(|d| d.text().clone()),
        vip: crate::model::vip::of_cluster(c, namespace, at),
    })
}

impl Snapshot {
    /// The clusters `include` accepts that have at least one DCS key.
    pub fn of(m: &Model, include: impl Fn(&str) -> bool) -> Snapshot {
        Snapshot::default().next(m, include)
    }

    /// The snapshot after this one: a cluster whose version did not
    /// change keeps its derived picture.
    pub fn next(&self, m: &Model, include: impl Fn(&str) -> bool) -> Snapshot {
        let clusters = m
            .clusters
            .values()
            .filter(|c| include(&c.name) && !c.dcs.is_empty())
            .map(|c| {
                let snap = match self.clusters.get(&c.name) {
                    Some((v, snap)) if *v == c.version => snap.clone(),
                    _ => snap_of(c, &m.namespace, SystemTime::now()),
                };
                (c.name.clone(), (c.version, snap))
            })
            .collect();
        Snapshot {
            clusters,
            sources: m.sources.clone(),
            seen: m.versions,
            pending: m.fleet_pending,
        }
    }

    /// Moves this snapshot to `m` and returns the events between: the same
    /// as [`diff`] with [`Snapshot::next`], but it visits only the clusters
    /// whose version moved, so an idle console over thousands of clusters
    /// pays for the one that changed. One difference: when the namespace is
    /// first read after one cluster (`pending` then not), it says so once
    /// (`NamespaceRead`) instead of a "cluster appeared" per cluster.
    pub fn advance(
        &mut self,
        m: &Model,
        include: impl Fn(&str) -> bool,
        at: SystemTime,
    ) -> Vec<Event> {
        let sources = m.sources.clone();
        let mut out = diff_sources(&self.sources, &sources, at);
        self.sources = sources;
        let mut present = 0;
        let mut moved: Vec<(String, Option<Versioned>)> = Vec::new();
        for c in m.clusters.values() {
            let here = include(&c.name) && !c.dcs.is_empty();
            present += here as usize;
            if c.version > self.seen {
                moved.push((
                    c.name.clone(),
                    here.then(|| (c.version, snap_of(c, &m.namespace, at))),
                ));
            }
        }
        let arrived = self.pending && !m.fleet_pending;
        self.pending = m.fleet_pending;
        if arrived {
            out.push(Event::new(
                at,
                None,
                EventKind::NamespaceRead { clusters: present },
            ));
        }
        for (name, next) in moved {
            let prev = self.clusters.remove(&name);
            if !(arrived && prev.is_none()) {
                out.extend(cluster_events(&name, prev.as_ref(), next.as_ref(), at));
            }
            if let Some(n) = next {
                self.clusters.insert(name, n);
            }
        }
        if self.clusters.len() != present {
            // Dropped from the model without a write (all its keys gone).
            let gone: Vec<String> = self
                .clusters
                .keys()
                .filter(|n| m.clusters.get(*n).is_none_or(|c| c.dcs.is_empty()))
                .cloned()
                .collect();
            for name in gone {
                let prev = self.clusters.remove(&name);
                out.extend(cluster_events(&name, prev.as_ref(), None, at));
            }
        }
        self.seen = m.versions;
        out
    }
}

/// The single event of a first snapshot.
pub fn initial(s: &Snapshot, at: SystemTime) -> Event {
    let clusters = s.clusters.keys().cloned().collect();
    let stale = s
        .sources
        .iter()
        .filter_map(|(id, h)| Some((*id, h.down_since?)))
        .collect();
    Event::new(at, None, EventKind::Watching { clusters, stale })
}

/// Everything that changed from `prev` to `next`: sources first, then
/// clusters by name.
pub fn diff(prev: &Snapshot, next: &Snapshot, at: SystemTime) -> Vec<Event> {
    let mut out = diff_sources(&prev.sources, &next.sources, at);
    let names: BTreeSet<&String> = prev.clusters.keys().chain(next.clusters.keys()).collect();
    for name in names {
        out.extend(cluster_events(
            name,
            prev.clusters.get(name),
            next.clusters.get(name),
            at,
        ));
    }
    out
}

/// A source going stale or recovering.
fn diff_sources(
    prev: &BTreeMap<SourceId, SourceHealth>,
    next: &BTreeMap<SourceId, SourceHealth>,
    at: SystemTime,
) -> Vec<Event> {
    let mut out = Vec::new();
    let ids: BTreeSet<&SourceId> = prev.keys().chain(next.keys()).collect();
    for id in ids {
        let (p, n) = (prev.get(id), next.get(id));
        let source = *id;
        match (p.and_then(|h| h.down_since), n) {
            (was, Some(h)) if h.down_since.is_some() && h.down_since != was => {
                let since = h.down_since.unwrap_or(at);
                let error = h.last_error.as_ref().map(|(_, e)| e.clone());
                let auth = h.auth_failed;
                out.push(Event::new(
                    at,
                    None,
                    EventKind::SourceStale {
                        source,
                        since,
                        error,
                        auth,
                    },
                ));
            }
            (Some(stale_since), n) if n.is_none_or(|h| h.down_since.is_none()) => {
                out.push(Event::new(
                    at,
                    None,
                    EventKind::SourceRecovered {
                        source,
                        stale_since,
                    },
                ));
            }
            _ => {}
        }
    }
    out
}

/// One cluster's events between two pictures of it (`None`: not there).
fn cluster_events(
    name: &str,
    prev: Option<&(u64, Arc<ClusterSnap>)>,
    next: Option<&(u64, Arc<ClusterSnap>)>,
    at: SystemTime,
) -> Vec<Event> {
    let mut kinds = Vec::new();
    match (prev, next) {
        (Some((_, p)), Some((_, n))) if Arc::ptr_eq(p, n) => {}
        (None, Some((_, n))) => {
            let (leader, members) = (n.view.leader.clone(), n.view.members.len());
            kinds.push(EventKind::ClusterAppeared { leader, members });
        }
        (Some(_), None) => kinds.push(EventKind::ClusterGone),
        (Some((_, p)), Some((_, n))) => cluster_diff(p, n, &mut kinds),
        (None, None) => {}
    }
    kinds
        .into_iter()
        .map(|k| Event::new(at, Some(name.to_string()), k))
        .collect()
}

fn cluster_diff(p: &ClusterSnap, n: &ClusterSnap, out: &mut Vec<EventKind>) {
    use EventKind as K;
    let (pv, nv) = (&p.view, &n.view);
    let leader_changed = pv.leader != nv.leader;
    if leader_changed {
        let (from, to) = (pv.leader.clone(), nv.leader.clone());
        out.push(K::LeaderChanged {
            from,
            to,
            timeline: (pv.timeline, nv.timeline),
        });
    }
    if let (Some(from), Some(to)) = (pv.timeline, nv.timeline) {
        if from != to {
            out.push(K::TimelineBumped { from, to });
        }
    }
    if pv.paused != nv.paused {
        out.push(if nv.paused { K::Paused } else { K::Resumed });
    }
    match (&pv.scheduled_switchover, &nv.scheduled_switchover) {
        (a, Some(s)) if a.as_ref() != Some(s) => {
            let (at, from, to) = (s.at.clone(), s.from.clone(), s.to.clone());
            out.push(K::SwitchoverScheduled { at, from, to });
        }
        (Some(s), None) => out.push(K::SwitchoverCleared { at: s.at.clone() }),
        _ => {}
    }
    let names: BTreeSet<&String> = pv
        .members
        .iter()
        .chain(&nv.members)
        .map(|m| &m.name)
        .collect();
    let find = |v: &'_ ClusterView, m: &str| v.members.iter().find(|x| x.name == m).cloned();
    for m in names {
        member_diff(m, find(pv, m), find(nv, m), leader_changed, out);
    }
    let key = |s: &String| s.split_once(": ").map_or(s.clone(), |(k, _)| k.to_string());
    let err = |s: &String| {
        s.split_once(": ")
            .map_or(String::new(), |(_, e)| e.to_string())
    };
    let was: BTreeMap<String, &String> = pv.unparseable_keys.iter().map(|s| (key(s), s)).collect();
    let now: BTreeMap<String, &String> = nv.unparseable_keys.iter().map(|s| (key(s), s)).collect();
    for (k, s) in now.iter().filter(|(k, _)| !was.contains_key(*k)) {
        out.push(K::Unparseable {
            key: k.clone(),
            error: err(s),
        });
    }
    for k in was.keys().filter(|k| !now.contains_key(*k)) {
        // A member that left is reported as such, not as readable again.
        let gone = k
            .strip_prefix("members/")
            .is_some_and(|m| find(nv, m).is_none());
        if !gone {
            out.push(K::Readable { key: k.clone() });
        }
    }
    // The VIP: a change between two known verdicts (an agent that did not
    // answer once is not news).
    use crate::model::vip::VipVerdict;
    let known = |v: &VipVerdict| !matches!(v, VipVerdict::Unknown { .. });
    if known(&p.vip) && known(&n.vip) && p.vip != n.vip {
        out.push(K::Vip {
            now: n.vip.describe(),
            alarm: n.vip.is_alarm(),
        });
    }
    let decoded = |t: &Option<Arc<str>>| {
        t.as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
    };
    let changed = p.config != n.config;
    if let (true, Some(a), Some(b)) = (changed, decoded(&p.config), decoded(&n.config)) {
        let changes = config_diff(&a, &b);
        if !changes.is_empty() {
            out.push(K::ConfigChanged { changes });
        }
    }
}

fn member_diff(
    m: &str,
    p: Option<MemberView>,
    n: Option<MemberView>,
    leader_changed: bool,
    out: &mut Vec<EventKind>,
) {
    use EventKind as K;
    let member = m.to_string();
    let (p, n) = match (p, n) {
        (None, Some(n)) => {
            return out.push(K::MemberJoined {
                member,
                role: n.role,
                state: n.state,
            })
        }
        (Some(p), None) => {
            return out.push(K::MemberLeft {
                member,
                role: p.role,
                state: p.state,
            })
        }
        (Some(p), Some(n)) => (p, n),
        (None, None) => return,
    };
    // An unreadable value has no state or role: the Unparseable event says it.
    if p.unparseable.is_some() || n.unparseable.is_some() {
        return;
    }
    // A leader change already says who was demoted and who was promoted;
    // Patroni 4 then shows the demoted leader "streaming", the new one "running".
    let implied = leader_changed && (p.role.leads() || n.role.leads());
    if p.state != n.state && !(implied && p.state.is_up() && n.state.is_up()) {
        let (from, to) = (p.state, n.state);
        out.push(K::StateChanged {
            member: member.clone(),
            from,
            to,
        });
    }
    if p.role != n.role && !implied {
        out.push(K::RoleChanged {
            member: member.clone(),
            from: p.role,
            to: n.role,
        });
    }
    if p.pending_restart != n.pending_restart {
        out.push(K::PendingRestart {
            member: member.clone(),
            pending: n.pending_restart,
        });
    }
    if p.scheduled_restart != n.scheduled_restart {
        out.push(K::RestartScheduled {
            member,
            at: n.scheduled_restart,
        });
    }
}

/// Flattened key-path diff of two configs (`a.b.c`). `pause` is left out:
/// the Paused/Resumed events say it better.
pub fn config_diff(before: &Value, after: &Value) -> Vec<ConfigChange> {
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    flatten("", before, &mut a);
    flatten("", after, &mut b);
    let paths: BTreeSet<&String> = a.keys().chain(b.keys()).filter(|p| *p != "pause").collect();
    let changed = paths.into_iter().filter(|p| a.get(*p) != b.get(*p));
    changed
        .map(|p| ConfigChange {
            path: p.clone(),
            before: a.get(p).cloned(),
            after: b.get(p).cloned(),
        })
        .collect()
}

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(o) if !o.is_empty() => {
            for (k, v) in o {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, v, out);
            }
        }
        Value::String(s) => drop(out.insert(prefix.to_string(), s.clone())),
        other => drop(out.insert(prefix.to_string(), other.to_string())),
    }
}
