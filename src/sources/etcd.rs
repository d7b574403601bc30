//! etcd v3 list + watch of Patroni's keys.
//!
//! List the prefix, then watch from the list's revision + 1 on the endpoint
//! that answered the list, so no change is missed between the two. When the
//! watch is cancelled or compacted past our revision, re-list. When its
//! endpoint stops answering, resume from the last revision on another
//! endpoint (etcd answers with a compaction notice if that history is gone,
//! and only then do we re-list). A re-list replaces this source's data
//! wholesale, so keys deleted while we were away disappear too.
//!
//! A watch can go quiet without failing: a frozen member keeps its TCP
//! connection open, a member cut off from its quorum serves its own stale
//! copy. So every second a heartbeat asks the watch's endpoint, with a
//! linearizable read, whether any key under the prefix changed after the
//! revision the watch has delivered. Zero confirms the data as current; a
//! change the watch has not delivered within two heartbeats means the watch
//! is dead, and it is re-listed. The same heartbeat reads pgtui's own keys
//! (operation locks, agent registrations, job records). While the source
//! is down it is marked stale; the last data stays, but is never presented
//! as current.
//!
//! A console opened on one cluster of a fleet session lists and watches
//! only that cluster's keys (`Model::fleet_pending` says the fleet is not
//! read), so in a namespace of thousands it holds one cluster, not all.
//! When the screen wants the fleet (`Model::fleet_wanted`) or the focus
//! moves, the narrow watch ends and the namespace is listed and watched
//! from then on. A credential confined to one cluster's keys gets a
//! permission error for the namespace: the console then stays narrow, on
//! whichever cluster is in focus, and `Model::fleet_refused` says why.

use super::etcd_list::{apply_list, ours, stray};
use super::Scope;
use crate::dcs::{parse_key, Access, Etcd, EtcdError};
use crate::model::{ModelHandle, SourceId};
use etcd_client::{Client, EventType, GetOptions, WatchOptions};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

/// How often the watch's endpoint is asked whether the watch is current,
/// and how long it has to answer: a linearizable read takes milliseconds,
/// and a member that needs longer is left for another.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(1);
/// A whole-prefix read may be large; it gets longer than a small request.
pub const LIST_TIMEOUT: Duration = Duration::from_secs(5);
/// Heartbeats that saw a change the watch had not delivered, before the
/// watch is declared dead.
const SILENT_ROUNDS: u32 = 2;

/// What one list returned: its revision and (key, value, mod_revision).
pub type Listing = (i64, Vec<(Vec<u8>, Vec<u8>, i64)>);

/// One consistent read of `prefix`, page by page; returns the listing and
/// which endpoint answered.
pub async fn list(
    etcd: &Etcd,
    prefix: &str,
    avoid: Option<usize>,
) -> Result<(Listing, usize), EtcdError> {
    super::etcd_pages::read(etcd, prefix, avoid, false).await
}

/// Keys (only) under a prefix.
pub async fn list_keys(etcd: &Etcd, prefix: &str) -> Result<Vec<Vec<u8>>, EtcdError> {
    let ((_, kvs), _) = super::etcd_pages::read(etcd, prefix, None, true).await?;
    Ok(kvs.into_iter().map(|(k, _, _)| k).collect())
}

async fn backoff(attempt: &mut u32) {
    let ms = (250u64 << (*attempt).min(5)).min(5000);
    *attempt += 1;
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

fn failed(model: &ModelHandle, e: &EtcdError) {
    let now = SystemTime::now();
    let msg = e.to_string();
    model.update(|m| {
        let s = m.source_mut(SourceId::Etcd);
        s.failed(now, msg);
        s.auth_failed = e.is_auth();
        s.fault = Some(e.fault);
    });
}

/// How a watch ended.
enum WatchEnd {
    /// Compacted past our revision, cancelled, or dead while etcd moved on:
    /// only a fresh list will do.
    Relist,
    /// The endpoint failed; resuming from the last revision elsewhere may
    /// still work.
    Lost(EtcdError),
    /// A narrow watch is no longer enough: list and watch the namespace
    /// (or, refused it, the cluster now in focus).
    Widen,
    /// The namespace was refused a while ago: ask for it again.
    AskAgain,
}

/// What one watch follows: on which endpoint, which prefix, and, for a
/// narrow watch, the one cluster.
struct Watched<'a> {
    at: usize,
    prefix: &'a str,
    narrow: Option<&'a str>,
    /// When to ask again for a namespace etcd refused.
    ask_again: Option<tokio::time::Instant>,
}

/// Where a source's keys live.
#[derive(Debug, Clone)]
pub struct Keys {
    pub namespace: String,
    pub pgtui_prefix: String,
    pub scope: Scope,
}

/// The one cluster a session reads alone for now: a console opened on a
/// cluster of a fleet session, until something on screen wants the fleet.
fn narrow_to(scope: &Scope, m: &crate::model::Model) -> Option<String> {
    match (&scope.clusters, m.fleet_wanted) {
        (None, false) => m.focus.clone(),
        _ => None,
    }
}

/// Whether a narrow watch on `narrow` must end: the focus moved, or the
/// fleet is wanted. Once etcd refused this user the namespace, only a move
/// to another cluster ends it, and never away from a cluster an operation
/// follows.
fn must_widen(m: &crate::model::Model, narrow: &str) -> bool {
    match &m.fleet_refused {
        None => m.fleet_wanted || m.focus.as_deref() != Some(narrow),
        Some(_) => {
            m.focus.as_deref().is_some_and(|f| f != narrow) && !m.pinned.contains_key(narrow)
        }
    }
}

/// How long a refused namespace stays refused before it is asked again (a
/// role may be granted more while the console runs).
const REFUSED_RETRY: Duration = Duration::from_secs(15);

/// What follows a narrow watch that must end: the namespace, or, when etcd
/// refused this user the namespace, the cluster now in focus alone.
fn after_narrow(m: &crate::model::Model) -> Option<String> {
    m.fleet_refused.as_ref().and(m.focus.clone())
}

/// The source task: runs until aborted.
pub async fn run(etcd: Etcd, keys: Keys, model: ModelHandle) {
    // A console opened on one cluster of a big fleet reads and watches that
    // cluster's keys alone, so it costs what one cluster costs, until it
    // wants the fleet; then the namespace is listed and watched for good.
    let mut narrow = model.read(|m| narrow_to(&keys.scope, m));
    let mut attempt = 0u32;
    let mut resume: Option<i64> = None;
    let mut avoid: Option<usize> = None;
    let mut refused_at: Option<tokio::time::Instant> = None;
    loop {
        // Wanted while no watch ran (etcd slow or down at the time): no
        // narrow read first.
        if narrow
            .as_deref()
            .is_some_and(|n| model.read(|m| must_widen(m, n)))
        {
            narrow = model.read(after_narrow);
            resume = None;
        }
        let scope = match &narrow {
            Some(f) => Scope::only(vec![f.clone()]),
            None => keys.scope.clone(),
        };
        let prefix = scope.prefix(&keys.namespace);
        let (mut rev, at) = match resume.take() {
            Some(rev) => match pick(&etcd, &prefix, avoid).await {
                Ok(i) => (rev, i),
                Err(e) => {
                    failed(&model, &e);
                    resume = Some(rev);
                    backoff(&mut attempt).await;
                    continue;
                }
            },
            None => match list(&etcd, &prefix, avoid).await {
                Ok(((rev, kvs), i)) => {
                    let at = SystemTime::now();
                    let pending = narrow.is_some();
                    apply_list(&model, &scope, &keys.pgtui_prefix, &kvs, at, pending);
                    (rev, i)
                }
                Err(e) => {
                    // A credential confined to one cluster's keys: the
                    // console stays on its cluster, and says why the fleet
                    // cannot be shown.
                    let focus = model.read(|m| m.focus.clone());
                    let confined = narrow.is_none()
                        && keys.scope.clusters.is_none()
                        && e.fault == crate::dcs::Fault::PermissionDenied;
                    if let (true, Some(f)) = (confined, focus) {
                        let why = e.to_string();
                        model.update(|m| m.fleet_refused = Some(why));
                        refused_at = Some(tokio::time::Instant::now());
                        narrow = Some(f);
                        continue;
                    }
                    failed(&model, &e);
                    backoff(&mut attempt).await;
                    continue;
                }
            },
        };
        model.update_quiet(|m| m.etcd_watching = Some(etcd.endpoint(at)));
        let watched = Watched {
            at,
            prefix: &prefix,
            narrow: narrow.as_deref(),
            ask_again: refused_at
                .filter(|_| narrow.is_some())
                .map(|t| t + REFUSED_RETRY),
        };
        match watch(&etcd, &watched, &keys, &mut rev, &model, &mut attempt).await {
            WatchEnd::Widen => {
                narrow = model.read(after_narrow);
                avoid = None;
            }
            WatchEnd::AskAgain => {
                narrow = None;
                avoid = None;
            }
            WatchEnd::Relist => {
                model.update(|m| m.source_mut(SourceId::Etcd).resyncs += 1);
                avoid = None;
            }
            WatchEnd::Lost(e) => {
                resume = Some(rev);
                avoid = Some(at);
                if e.fault.try_next_endpoint() {
                    // One sick member is not etcd down: note it and move the
                    // watch; only when no endpoint answers is the source down
                    // (`pick` and `list` above say so).
                    let now = SystemTime::now();
                    let msg = e.to_string();
                    model.update(|m| {
                        let s = m.source_mut(SourceId::Etcd);
                        s.last_error = Some((now, msg));
                        s.fault = Some(e.fault);
                    });
                } else {
                    failed(&model, &e);
                    backoff(&mut attempt).await;
                }
            }
        }
    }
}

async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// An endpoint that answers a read of `prefix` now, trying `avoid` last.
async fn pick(etcd: &Etcd, prefix: &str, avoid: Option<usize>) -> Result<usize, EtcdError> {
    let access = Access::read_prefix(prefix);
    let p = prefix.to_string();
    etcd.request_avoiding(
        &access,
        crate::dcs::etcd_client::REQUEST_TIMEOUT,
        avoid,
        |mut c: Client| {
            let p = p.clone();
            async move {
                c.get(p, Some(GetOptions::new().with_prefix().with_count_only()))
                    .await
            }
        },
    )
    .await
    .map(|(_, i)| i)
}

/// pgtui's own keys as the model keeps them.
#[derive(PartialEq)]
struct OwnKeys {
    locks: BTreeMap<String, crate::model::lock::LockHolder>,
    agents: BTreeMap<String, BTreeMap<String, crate::model::agent::AgentReg>>,
    jobs: BTreeMap<String, Vec<crate::model::agent::Job>>,
}

impl OwnKeys {
    fn parse(prefix: &str, kvs: &[(Vec<u8>, Vec<u8>)]) -> Self {
        OwnKeys {
            locks: crate::model::lock::parse(prefix, kvs),
            agents: crate::model::agent::parse_agents(prefix, kvs),
            jobs: crate::model::agent::parse_jobs(prefix, kvs),
        }
    }

    /// What the model holds, for the clusters it has: agents and jobs of a
    /// cluster not (yet) in the model are not kept.
    fn of(m: &crate::model::Model) -> Self {
        OwnKeys {
            locks: m.locks.clone(),
            agents: m
                .clusters
                .values()
                .filter(|c| !c.agents.is_empty())
                .map(|c| (c.name.clone(), c.agents.clone()))
                .collect(),
            jobs: m
                .clusters
                .values()
                .filter(|c| !c.jobs.is_empty())
                .map(|c| (c.name.clone(), c.jobs.clone()))
                .collect(),
        }
    }

    /// Keeps only what [`OwnKeys::of`] can see again, so an unchanged
    /// reading compares equal.
    fn known(mut self, m: &crate::model::Model) -> Self {
        self.agents.retain(|c, _| m.clusters.contains_key(c));
        self.jobs.retain(|c, _| m.clusters.contains_key(c));
        self
    }

    /// Writes into the model only the clusters whose agents or jobs
    /// changed, so a job's progress re-derives its cluster, not the fleet.
    fn store(mut self, m: &mut crate::model::Model) {
        m.locks = self.locks;
        let changed: Vec<String> = m
            .clusters
            .values()
            .filter(|c| {
                let agents = self.agents.get(&c.name);
                let jobs = self.jobs.get(&c.name);
                agents.map_or(!c.agents.is_empty(), |a| *a != c.agents)
                    || jobs.map_or(!c.jobs.is_empty(), |j| *j != c.jobs)
            })
            .map(|c| c.name.clone())
            .collect();
        for name in changed {
            let c = m.cluster_mut(&name);
            c.agents = self.agents.remove(&name).unwrap_or_default();
            c.jobs = self.jobs.remove(&name).unwrap_or_default();
        }
        m.own_keys_read = true;
    }
}

/// One heartbeat: whether a key under `prefix` changed after `rev` (a
/// linearizable read on the watch's own endpoint, one key is enough), and
/// pgtui's own keys.
async fn heartbeat(
    etcd: &Etcd,
    at: usize,
    keys: &Keys,
    prefix: &str,
    rev: i64,
) -> Result<(usize, Option<Vec<(Vec<u8>, Vec<u8>)>>), EtcdError> {
    let timeout = HEARTBEAT_TIMEOUT;
    let access = Access::read_prefix(prefix);
    let p = prefix.to_string();
    let changed = etcd
        .request_on(at, &access, timeout, &|mut c: Client| {
            let p = p.clone();
            async move {
                // Keys only, not count only: etcd computes a count before
                // the revision filter, so it would count every key.
                c.get(
                    p,
                    Some(
                        GetOptions::new()
                            .with_prefix()
                            .with_keys_only()
                            .with_min_mod_revision(rev + 1)
                            .with_limit(1),
                    ),
                )
                .await
            }
        })
        .await?
        .kvs()
        .len();
    // pgtui's own keys: locks, agent registrations and job records.
    let locks = keys.pgtui_prefix.clone();
    let access = Access::read_prefix(&locks);
    let resp = etcd
        .request_on(at, &access, timeout, &|mut c: Client| {
            let p = locks.clone();
            async move { c.get(p, Some(GetOptions::new().with_prefix())).await }
        })
        .await;
    // The locks are a side dish: a credential that may read its cluster
    // but not pgtui's keys still watches; only the member failing ends it.
    let resp = match resp {
        Ok(r) => r,
        Err(e) if e.fault.try_next_endpoint() => return Err(e),
        Err(_) => return Ok((changed, None)),
    };
    let kvs = resp
        .kvs()
        .iter()
        .map(|kv| (kv.key().to_vec(), kv.value().to_vec()))
        .collect();
    Ok((changed, Some(kvs)))
}

/// Follows changes after `rev` on endpoint `at`, advancing `rev` as
/// responses arrive.
async fn watch(
    etcd: &Etcd,
    w: &Watched<'_>,
    keys: &Keys,
    rev: &mut i64,
    model: &ModelHandle,
    attempt: &mut u32,
) -> WatchEnd {
    let (at, prefix) = (w.at, w.prefix);
    let mut changes = model.subscribe();
    let mut listen = w.narrow.is_some();
    let access = Access::watch_prefix(prefix);
    let timeout = crate::dcs::etcd_client::REQUEST_TIMEOUT;
    let opts = WatchOptions::new()
        .with_prefix()
        .with_start_revision(*rev + 1)
        .with_progress_notify();
    let p = prefix.to_string();
    let start = etcd
        .request_on(at, &access, timeout, &|c: Client| {
            let (p, o) = (p.clone(), opts.clone());
            async move {
                // One response may carry every event of a large transaction,
                // which no paging splits.
                c.watch_client()
                    .max_decoding_message_size(super::etcd_pages::DECODE_LIMIT)
                    .watch(p, Some(o))
                    .await
            }
        })
        .await;
    let (watcher, mut stream) = match start {
        Ok(w) => w,
        Err(e) => return WatchEnd::Lost(e),
    };
    if watcher.watch_id() < 0 {
        // etcd refused the watch (its reason is lost on the way); a read
        // of the same range gets a coded answer.
        return match list(etcd, prefix, None).await {
            Err(e) => WatchEnd::Lost(e),
            Ok(_) => {
                let mut e = EtcdError::new(
                    crate::dcs::Fault::PermissionDenied,
                    etcd.endpoint(at),
                    &access,
                    "etcd refused the watch",
                );
                e.user = etcd.user();
                WatchEnd::Lost(e)
            }
        };
    }
    let mut beat = tokio::time::interval(HEARTBEAT_EVERY);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut silent = 0u32;
    loop {
        if let Some(n) = w.narrow {
            if model.read(|m| must_widen(m, n)) {
                return WatchEnd::Widen;
            }
        }
        tokio::select! {
            r = changes.changed(), if listen => listen = r.is_ok(),
            _ = sleep_until_some(w.ask_again), if w.ask_again.is_some() => {
                return WatchEnd::AskAgain;
            }
            msg = stream.message() => {
                let resp = match msg {
                    Ok(Some(r)) => r,
                    Ok(None) => return WatchEnd::Lost(EtcdError::new(
                        crate::dcs::Fault::Unavailable, etcd.endpoint(at), &access, "the watch stream closed")),
                    Err(e) => {
                        let (fault, detail) = crate::dcs::etcd_error::classify(&e, false);
                        return WatchEnd::Lost(EtcdError::new(fault, etcd.endpoint(at), &access, detail));
                    }
                };
                if resp.compact_revision() > 0 {
                    return WatchEnd::Relist;
                }
                if resp.canceled() {
                    // etcd says why only in words; a read of the same range
                    // gets a coded answer (permission denied, say).
                    return match list(etcd, prefix, None).await {
                        Err(e) if !e.fault.try_next_endpoint() => WatchEnd::Lost(e),
                        _ => WatchEnd::Relist,
                    };
                }
                *attempt = 0;
                silent = 0;
                let now = SystemTime::now();
                if resp.events().is_empty() {
                    // A progress notification: everything up to its revision
                    // has been delivered. (Not so the "created" answer, whose
                    // revision is etcd's current one, before the replay.)
                    if resp.created() {
                        continue;
                    }
                    if let Some(h) = resp.header() {
                        *rev = (*rev).max(h.revision());
                    }
                    model.update_quiet(|m| m.source_mut(SourceId::Etcd).ok(now));
                    continue;
                }
                model.update(|m| {
                    for ev in resp.events() {
                        let Some(kv) = ev.kv() else { continue };
                        *rev = (*rev).max(kv.mod_revision());
                        if ours(kv.key(), &keys.pgtui_prefix) { continue; }
                        let put = ev.event_type() == EventType::Put;
                        if stray(&mut m.stray_keys, &keys.namespace, kv.key(), put) { continue; }
                        let Some(p) = parse_key(&keys.namespace, kv.key()) else { continue };
                        if !keys.scope.includes(&p.cluster) { continue; }
                        let value = match ev.event_type() {
                            EventType::Put => Some(kv.value()),
                            EventType::Delete => None,
                        };
                        m.cluster_mut(&p.cluster).dcs.apply(&p.kind, value, kv.mod_revision(), SourceId::Etcd, now);
                    }
                    m.clusters.retain(|_, c| !c.dcs.is_empty() || !c.rest.is_empty());
                    m.source_mut(SourceId::Etcd).ok(now);
                });
            }
            _ = beat.tick() => {
                match heartbeat(etcd, at, keys, prefix, *rev).await {
                    Ok((0, kvs)) => {
                        silent = 0;
                        let now = SystemTime::now();
                        let ours = match kvs {
                            Some(kvs) => model.read(|m| OwnKeys::parse(&keys.pgtui_prefix, &kvs).known(m)),
                            None => model.read(OwnKeys::of),
                        };
                        let was_down = model.read(|m| m.source(SourceId::Etcd).down_since.is_some());
                        if was_down || model.read(|m| !m.own_keys_read || OwnKeys::of(m) != ours) {
                            model.update(|m| { ours.store(m); m.source_mut(SourceId::Etcd).ok(now); });
                        } else {
                            model.update_quiet(|m| m.source_mut(SourceId::Etcd).ok(now));
                        }
                    }
                    Ok(_) => {
                        silent += 1;
                        if silent >= SILENT_ROUNDS {
                            return WatchEnd::Relist;
                        }
                    }
                    Err(e) => return WatchEnd::Lost(e),
                }
            }
        }
    }
}
