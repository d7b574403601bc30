//! The HAProxy configs this machine can read: those of running HAProxy
//! processes (`-f FILE` or `-f DIR` in their command line, found through
//! /proc), and `/etc/haproxy/haproxy.cfg`. On a database node that runs
//! HAProxy (autobase, Pigsty) this is where service ports and health-check
//! paths are written down; elsewhere nothing is found and the reference
//! layouts apply.

use crate::model::haproxy::layout::{parse_cfg, CfgProxy};
use std::path::{Path, PathBuf};

/// Config files found, in a stable order.
pub fn files() -> Vec<PathBuf> {
    let mut out = vec![];
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
            let is_haproxy = args
                .first()
                .and_then(|a| std::str::from_utf8(a).ok())
                .is_some_and(|a| Path::new(a).file_name().is_some_and(|n| n == "haproxy"));
            if !is_haproxy {
                continue;
            }
            for w in args.windows(2) {
                if w[0] == b"-f" {
                    if let Ok(p) = std::str::from_utf8(w[1]) {
                        out.extend(expand(Path::new(p)));
                    }
                }
            }
        }
    }
    out.push(PathBuf::from("/etc/haproxy/haproxy.cfg"));
    out.sort();
    out.dedup();
    out
}

fn expand(p: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(p) {
        Ok(d) => d
            .flatten()
            .map(|e| e.path())
            .filter(|f| f.extension().is_some_and(|x| x == "cfg"))
            .collect(),
        Err(_) => vec![p.to_path_buf()],
    }
}

/// Every readable config, parsed. Unreadable ones are skipped: they are a
/// hint, not a requirement.
pub fn load() -> Vec<CfgProxy> {
    files()
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .take(64)
        .enumerate()
        .flat_map(|(i, t)| {
            parse_cfg(&t).into_iter().map(move |mut c| {
                c.file = i;
                c
            })
        })
        .collect()
}
