//! Each cluster's derived view (`model::view::cluster_view`) and health
//! (`model::freshness::health`), computed once per change of that cluster
//! instead of once per widget per frame, and the fleet's sorted rows.
//!
//! A cluster's entries are keyed by its version (`ClusterState::version`), so a
//! model change (the focused cluster's REST answer, every second) derives
//! again only the cluster that changed, not the thousands beside it: the
//! fleet screen sorts by health, which needs every cluster's. A model that no
//! handle ever updated (revision 0, as tests build them) is derived afresh
//! each frame, since nothing would say when it changed.

use crate::model::backup::report::Summary;
use crate::model::health::{Health, Judged};
use crate::model::view::{cluster_view, ClusterView};
use crate::model::{ClusterState, Model};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::time::{Duration, SystemTime};

/// A cluster's backup summary and the 5-second slot of `now` it was judged
/// in (archiving goes stale with time alone, without a model change).
type SummaryEntry = (i64, Rc<Option<Summary>>);

/// A health verdict and what it was judged from: the cluster's version,
/// whether etcd was live, how old a REST answer could be.
type HealthEntry = ((u64, bool, Duration), Judged);

/// The fleet screen's rows: sorted worst first, then by name, through the
/// filter; and how many clusters of the whole fleet are in each health.
#[derive(Debug, Default)]
pub struct Fleet {
    pub rows: Vec<(String, Health)>,
    pub counts: BTreeMap<u8, (Health, usize)>,
}

/// What the fleet rows were derived from: the model's revision, the
/// filter, etcd's liveness, and until when the verdicts hold.
type FleetEntry = ((u64, String, bool), Option<SystemTime>, Rc<Fleet>);

#[derive(Default)]
pub struct ViewCache {
    revision: std::cell::Cell<u64>,
    views: RefCell<HashMap<String, (u64, Rc<ClusterView>)>>,
    health: RefCell<HashMap<String, HealthEntry>>,
    fleet: RefCell<Option<FleetEntry>>,
    summaries: RefCell<HashMap<String, SummaryEntry>>,
}

/// Splits a fleet filter into health words (`is:degraded`) and name parts.
fn parse_filter(filter: &str) -> (Vec<String>, Vec<String>) {
    let (mut words, mut names) = (Vec::new(), Vec::new());
    for t in filter.to_lowercase().split_whitespace() {
        match t.strip_prefix("is:") {
            Some(w) => words.push(w.to_string()),
            None => names.push(t.to_string()),
        }
    }
    (words, names)
}

impl ViewCache {
    /// Forgets what belongs to clusters that are gone, and everything when
    /// the model is one no handle updated.
    pub fn sync(&self, model: &Model) {
        if model.revision == 0 {
            self.views.borrow_mut().clear();
            self.health.borrow_mut().clear();
            self.fleet.borrow_mut().take();
            self.summaries.borrow_mut().clear();
        } else if model.revision != self.revision.get() {
            // Looking every name up is most of an idle fleet screen's cost;
            // only more entries than clusters says some are gone.
            let known = |n: &String| model.clusters.contains_key(n);
            if self.views.borrow().len() > model.clusters.len() {
                self.views.borrow_mut().retain(|n, _| known(n));
            }
            if self.health.borrow().len() > model.clusters.len() {
                self.health.borrow_mut().retain(|n, _| known(n));
            }
            self.summaries.borrow_mut().clear();
        }
        self.revision.set(model.revision);
    }

    pub fn get(&self, c: &ClusterState) -> Rc<ClusterView> {
        let version = c.version;
        if let Some((s, v)) = self.views.borrow().get(&c.name) {
            if *s == version {
                return v.clone();
            }
        }
        let v = Rc::new(cluster_view(c));
        self.views
            .borrow_mut()
            .insert(c.name.clone(), (version, v.clone()));
        v
    }

    /// A cluster's health at `now`, judged again only when the cluster
    /// changed, etcd's liveness changed, or a REST answer aged out.
    pub fn health(&self, m: &Model, c: &ClusterState, now: SystemTime) -> Judged {
        let live =
            crate::model::freshness::dcs(&m.source(crate::model::SourceId::Etcd), now).is_live();
        self.health_at(m, c, now, live)
    }

    /// [`ViewCache::health`] with etcd's liveness already judged.
    fn health_at(&self, m: &Model, c: &ClusterState, now: SystemTime, live: bool) -> Judged {
        let key = (
            c.version,
            live,
            crate::model::freshness::rest_live_for(m, &c.name),
        );
        if let Some((k, j)) = self.health.borrow().get(&c.name) {
            if *k == key && j.until.is_none_or(|u| now < u) {
                return *j;
            }
        }
        let v = self.get(c);
        let j = crate::model::freshness::health(m, c, &v, now);
        self.health.borrow_mut().insert(c.name.clone(), (key, j));
        j
    }

    /// The fleet screen's rows through `filter`: name parts must all
    /// match, `is:WORD` parts keep the clusters in any of those healths.
    pub fn fleet(&self, m: &Model, filter: &str, now: SystemTime) -> Rc<Fleet> {
        let live =
            crate::model::freshness::dcs(&m.source(crate::model::SourceId::Etcd), now).is_live();
        let key = (m.revision, filter.to_string(), live);
        if let Some((k, until, f)) = self.fleet.borrow().as_ref() {
            if m.revision != 0 && *k == key && until.is_none_or(|u| now < u) {
                return f.clone();
            }
        }
        let (words, names) = parse_filter(filter);
        let mut fleet = Fleet::default();
        let mut until: Option<SystemTime> = None;
        for (name, c) in m.clusters.iter().filter(|(_, c)| !c.dcs.is_empty()) {
            let j = self.health_at(m, c, now, live);
            if let Some(u) = j.until {
                until = Some(until.map_or(u, |x| x.min(u)));
            }
            fleet
                .counts
                .entry(j.health.rank())
                .or_insert((j.health, 0))
                .1 += 1;
            let lower = name.to_lowercase();
            if names.iter().all(|n| lower.contains(n.as_str()))
                && (words.is_empty() || words.iter().any(|w| j.health.matches(w)))
            {
                fleet.rows.push((name.clone(), j.health));
            }
        }
        fleet
            .rows
            .sort_by(|a, b| (a.1.rank(), &a.0).cmp(&(b.1.rank(), &b.0)));
        let f = Rc::new(fleet);
        *self.fleet.borrow_mut() = Some((key, until, f.clone()));
        f
    }

    /// The backup summary of cluster `name` (`model::backup::report`), at
    /// most once per model change and 5 seconds.
    pub fn backups(&self, m: &Model, name: &str, now: SystemTime) -> Rc<Option<Summary>> {
        let secs = crate::model::backup::report::epoch_secs(now);
        if let Some((slot, s)) = self.summaries.borrow().get(name) {
            if *slot == secs / 5 {
                return s.clone();
            }
        }
        let s = Rc::new(crate::model::backup::report::for_cluster(m, name, secs));
        self.summaries
            .borrow_mut()
            .insert(name.to_string(), (secs / 5, s.clone()));
        s
    }

    /// How many views are held (for tests).
    pub fn len(&self) -> usize {
        self.views.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelHandle;

    #[test]
    fn a_view_is_derived_again_only_when_its_cluster_changes() {
        let h = ModelHandle::new(Model::new("/pg/"));
        h.update(|m| {
            m.cluster_mut("pg-test");
        });
        let cache = ViewCache::default();
        let _ = h.read(|m| {
            cache.sync(m);
            let a = cache.get(&m.clusters["pg-test"]);
            cache.sync(m);
            let b = cache.get(&m.clusters["pg-test"]);
            assert!(Rc::ptr_eq(&a, &b), "same model: the same view");
            a
        });
        let a = h.read(|m| cache.get(&m.clusters["pg-test"]));
        h.update(|m| {
            m.cluster_mut("pg-other");
        });
        h.read(|m| {
            cache.sync(m);
            let c = cache.get(&m.clusters["pg-test"]);
            assert!(
                Rc::ptr_eq(&a, &c),
                "another cluster's change keeps this view"
            );
        });
        h.update(|m| m.cluster_mut("pg-test").partial = Some("etcd down".into()));
        h.read(|m| {
            cache.sync(m);
            let d = cache.get(&m.clusters["pg-test"]);
            assert!(!Rc::ptr_eq(&a, &d), "its own change derives it again");
            assert_eq!(d.name, "pg-test");
        });
    }
}
