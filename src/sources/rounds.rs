//! When a polling source (REST, SQL, HAProxy stats, the service probe) runs
//! its next round: every interval, and at once when the model gains
//! something the source has not asked yet (a member the DCS just listed), so
//! a one-shot command need not wait a whole interval for its first answer.
//! Each round's verdict is recorded with `model::source::Round`.

use crate::model::{ClusterState, Model, ModelHandle};
use crate::sources::Scope;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{Interval, MissedTickBehavior};

pub struct Rounds {
    tick: Interval,
    changes: watch::Receiver<u64>,
}

impl Rounds {
    pub fn new(model: &ModelHandle, every: Duration) -> Self {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Rounds {
            tick,
            changes: model.subscribe(),
        }
    }

    /// Waits until the next round is due: the interval passed, or a cluster
    /// in `scope` has something `pending`. `false` when the model is gone
    /// and the source should end.
    pub async fn next(
        &mut self,
        model: &ModelHandle,
        scope: &Scope,
        pending: impl Fn(&ClusterState) -> bool,
    ) -> bool {
        self.next_when(model, |m| {
            m.clusters
                .values()
                .filter(|c| scope.includes(&c.name))
                .any(|c| pending(c))
        })
        .await
    }

    /// Like [`Rounds::next`], with `due` judging the whole model.
    pub async fn next_when(&mut self, model: &ModelHandle, due: impl Fn(&Model) -> bool) -> bool {
        loop {
            tokio::select! {
                _ = self.tick.tick() => return true,
                r = self.changes.changed() => {
                    if r.is_err() {
                        return false;
                    }
                    if model.read(&due) {
                        return true;
                    }
                }
            }
        }
    }
}
