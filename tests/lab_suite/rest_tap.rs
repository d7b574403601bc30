//! What the Patroni side saw: the lab logs every REST request (the
//! `patroni.api` logger at DEBUG), so a test can prove which methods reached
//! the members during a window, independently of pgtui.

use crate::common::SharedLab;
use std::path::PathBuf;

pub struct RestTap {
    logs: Vec<(PathBuf, u64)>,
}

/// Methods that change something on a Patroni member.
const WRITES: [&str; 4] = ["POST ", "PUT ", "PATCH ", "DELETE "];

impl RestTap {
    /// Starts the window now: remembers where every member's log ends.
    pub fn start(lab: &SharedLab) -> RestTap {
        let logs = lab
            .info
            .clusters
            .iter()
            .flat_map(|c| &c.members)
            .map(|m| {
                let p = lab
                    .info
                    .dir
                    .join("log")
                    .join(format!("patroni-{}.log", m.name));
                let len = std::fs::metadata(&p)
                    .unwrap_or_else(|e| panic!("Patroni log {}: {e}", p.display()))
                    .len();
                (p, len)
            })
            .collect();
        RestTap { logs }
    }

    /// Request lines (`"GET /patroni HTTP/1.1" 200`) logged since `start`.
    pub fn requests(&self) -> Vec<String> {
        let mut out = vec![];
        for (p, from) in &self.logs {
            let bytes = std::fs::read(p).unwrap_or_default();
            let tail =
                String::from_utf8_lossy(&bytes[(*from as usize).min(bytes.len())..]).into_owned();
            out.extend(
                tail.lines()
                    .filter(|l| l.contains("API thread:"))
                    .filter_map(|l| l.split_once(" - - \"").map(|(_, r)| r.to_string())),
            );
        }
        out
    }

    /// The writes among them.
    pub fn writes(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| WRITES.iter().any(|w| r.starts_with(w)))
            .collect()
    }
}
