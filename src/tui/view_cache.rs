//! Each cluster's derived view (`model::view::cluster_view`), computed at
//! most once per model change instead of once per widget per frame.
//!
//! Lazily: the fleet screen of a namespace of thousands draws only the rows
//! that fit, so only those are derived. The cache is keyed by the model's
//! revision (bumped by every `ModelHandle::update`); a model that no handle
//! ever updated (revision 0, as tests build them) is derived afresh each
//! frame, since nothing would say when it changed.

use crate::model::backup::report::Summary;
use crate::model::view::{cluster_view, ClusterView};
use crate::model::{ClusterState, Model};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::SystemTime;

/// A cluster's backup summary and the 5-second slot of `now` it was judged
/// in (archiving goes stale with time alone, without a model change).
type SummaryEntry = (i64, Rc<Option<Summary>>);

#[derive(Default)]
pub struct ViewCache {
    revision: std::cell::Cell<u64>,
    views: RefCell<HashMap<String, Rc<ClusterView>>>,
    summaries: RefCell<HashMap<String, SummaryEntry>>,
}

impl ViewCache {
    /// Forgets every view unless they were derived from this very model.
    pub fn sync(&self, model: &Model) {
        if model.revision == 0 || model.revision != self.revision.get() {
            self.views.borrow_mut().clear();
            self.summaries.borrow_mut().clear();
            self.revision.set(model.revision);
        }
    }

    pub fn get(&self, c: &ClusterState) -> Rc<ClusterView> {
        if let Some(v) = self.views.borrow().get(&c.name) {
            return v.clone();
        }
        let v = Rc::new(cluster_view(c));
        self.views.borrow_mut().insert(c.name.clone(), v.clone());
        v
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
    fn a_view_is_derived_once_per_model_change() {
        let h = ModelHandle::new(Model::new("/pg/"));
        h.update(|m| {
            m.cluster_mut("pg-test");
        });
        let cache = ViewCache::default();
        h.read(|m| {
            cache.sync(m);
            let a = cache.get(&m.clusters["pg-test"]);
            cache.sync(m);
            let b = cache.get(&m.clusters["pg-test"]);
            assert!(Rc::ptr_eq(&a, &b), "same model: the same view");
        });
        h.update(|m| m.cluster_mut("pg-test").partial = None);
        h.read(|m| {
            cache.sync(m);
            assert!(cache.is_empty(), "a changed model forgets every view");
        });
    }
}
