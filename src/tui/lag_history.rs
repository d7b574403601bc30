//! Recent lag per member, for the sparklines. Sampled by the app when the
//! model changes; views only read it.
//!
//! A run of equal values is kept as one point: the sparkline shows how lag
//! moved, and a steady lag must not scroll the screen (an idle console writes
//! nothing to the terminal).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, SystemTime};

const KEEP: Duration = Duration::from_secs(600);
const MAX_POINTS: usize = 120;

#[derive(Debug, Default, Clone)]
pub struct LagHistory {
    series: BTreeMap<(String, String), VecDeque<(SystemTime, u64)>>,
}

impl LagHistory {
    pub fn record(&mut self, cluster: &str, member: &str, at: SystemTime, lag_bytes: u64) {
        let s = self
            .series
            .entry((cluster.to_string(), member.to_string()))
            .or_default();
        // One point per 5 s is plenty for a 10-minute sparkline.
        if let Some((t, v)) = s.back_mut() {
            if *v == lag_bytes {
                *t = at;
                return;
            }
            if at.duration_since(*t).unwrap_or_default() < Duration::from_secs(5) {
                *v = (*v).max(lag_bytes);
                return;
            }
        }
        s.push_back((at, lag_bytes));
        while s.len() > MAX_POINTS
            || s.front()
                .is_some_and(|(t, _)| at.duration_since(*t).unwrap_or_default() > KEEP)
        {
            s.pop_front();
        }
    }

    pub fn series(&self, cluster: &str, member: &str) -> Vec<u64> {
        self.series
            .get(&(cluster.to_string(), member.to_string()))
            .map(|s| s.iter().map(|(_, v)| *v).collect())
            .unwrap_or_default()
    }
}
