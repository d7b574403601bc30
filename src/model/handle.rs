//! Shared access to the model: many writers (sources), many readers (views).
//!
//! A generation counter on a `watch` channel tells readers that something
//! changed, so views redraw on change instead of on a timer.

use super::Model;
use std::sync::{Arc, RwLock};
use tokio::sync::watch;

#[derive(Clone)]
pub struct ModelHandle {
    model: Arc<RwLock<Model>>,
    generation: Arc<watch::Sender<u64>>,
}

impl ModelHandle {
    pub fn new(model: Model) -> Self {
        let (tx, _) = watch::channel(0);
        ModelHandle {
            model: Arc::new(RwLock::new(model)),
            generation: Arc::new(tx),
        }
    }

    /// Applies `f` and notifies readers.
    pub fn update<R>(&self, f: impl FnOnce(&mut Model) -> R) -> R {
        let r = {
            let mut m = self.model.write().unwrap_or_else(|p| p.into_inner());
            let r = f(&mut m);
            m.revision += 1;
            r
        };
        self.generation.send_modify(|g| *g += 1);
        r
    }

    /// Applies `f` without waking readers: for bookkeeping that changes
    /// nothing a view shows (a liveness probe refreshing `last_ok`).
    pub fn update_quiet<R>(&self, f: impl FnOnce(&mut Model) -> R) -> R {
        let mut m = self.model.write().unwrap_or_else(|p| p.into_inner());
        f(&mut m)
    }

    pub fn read<R>(&self, f: impl FnOnce(&Model) -> R) -> R {
        let m = self.model.read().unwrap_or_else(|p| p.into_inner());
        f(&m)
    }

    pub fn snapshot(&self) -> Model {
        self.read(Clone::clone)
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }
}
