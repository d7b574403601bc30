//! Loading an etcd listing into the model: which keys are Patroni's and
//! whose, which are pgtui's own (left out), and which name no cluster (said,
//! never silently dropped). The watch applies single events the same way.

use super::Scope;
use crate::dcs::{parse_key, KeyKind};
use crate::model::{ModelHandle, SourceId};
use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

/// Whether a key is one of pgtui's own (locks, and later agents), which
/// live under the namespace but are no cluster's.
pub(super) fn ours(key: &[u8], pgtui_prefix: &str) -> bool {
    key.starts_with(pgtui_prefix.as_bytes())
}

/// Whether `key` is under the namespace but names no cluster; such a key
/// is recorded (`present`) or forgotten (deleted) in `strays`.
pub(super) fn stray(strays: &mut BTreeSet<String>, ns: &str, key: &[u8], present: bool) -> bool {
    if !key.starts_with(ns.as_bytes()) || parse_key(ns, key).is_some() {
        return false;
    }
    let shown = match std::str::from_utf8(key) {
        Ok(s) => crate::text::escape(s).into_owned(),
        Err(_) => crate::text::printable_bytes(key, usize::MAX),
    };
    match present {
        true => strays.insert(shown),
        false => strays.remove(&shown),
    };
    true
}

/// One listed key of a cluster: what it is, its value, its revision.
type Listed<'a> = (KeyKind, &'a [u8], i64);

/// Replaces everything this source knows under `prefix` with a fresh list.
/// `fleet_pending`: the list was one cluster's of a fleet session. It is
/// set in the same update as the keys, so no reader sees the namespace
/// arrive while the fleet still reads as unread, or the reverse.
pub fn apply_list(
    model: &ModelHandle,
    scope: &Scope,
    pgtui_prefix: &str,
    kvs: &[(Vec<u8>, Vec<u8>, i64)],
    at: SystemTime,
    fleet_pending: bool,
) {
    model.update(|m| {
        if m.fleet_pending && !fleet_pending {
            // Agents and jobs were kept for the one cluster read so far; the
            // rest come with the next heartbeat, not as "none registered".
            m.own_keys_read = false;
        }
        m.fleet_pending = fleet_pending;
        if !fleet_pending {
            m.fleet_refused = None;
        }
        let ns = m.namespace.clone();
        m.stray_keys.clear();
        let mut listed: BTreeMap<String, Vec<Listed>> = BTreeMap::new();
        for (k, v, rev) in kvs {
            if ours(k, pgtui_prefix) || stray(&mut m.stray_keys, &ns, k, true) {
                continue;
            }
            if let Some(p) = parse_key(&ns, k).filter(|p| scope.includes(&p.cluster)) {
                listed
                    .entry(p.cluster)
                    .or_default()
                    .push((p.kind, v.as_slice(), *rev));
            }
        }
        let seen: BTreeSet<String> = listed.keys().cloned().collect();
        for c in m.clusters_mut(|_| true) {
            if scope.includes(&c.name) {
                c.dcs.reload(
                    listed.remove(&c.name).unwrap_or_default(),
                    SourceId::Etcd,
                    at,
                );
                // etcd answers again: nothing is missing any more.
                c.partial = None;
            }
        }
        for (name, keys) in listed {
            m.cluster_mut(&name).dcs.reload(keys, SourceId::Etcd, at);
        }
        if fleet_pending {
            // One cluster's list: a cluster read before it (the focus moved
            // while the namespace is refused) is no longer watched, and is
            // not kept as if it were, unless an operation follows it.
            let pinned = &m.pinned;
            m.clusters
                .retain(|name, _| scope.includes(name) || pinned.contains_key(name));
        }
        // A cluster whose keys are all gone, and that no other source knows
        // of, is gone.
        m.clusters
            .retain(|name, c| seen.contains(name) || !c.rest.is_empty() || !c.dcs.is_empty());
        m.source_mut(SourceId::Etcd).ok(at);
    });
}
