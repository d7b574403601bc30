//! The HAProxy configs this machine can read: those of running HAProxy
//! processes (`-f FILE` or `-f DIR` in their command line, found through
//! /proc), and `/etc/haproxy/haproxy.cfg`. On a database node that runs
//! HAProxy (autobase, Pigsty) this is where service ports and health-check
//! paths are written down; elsewhere nothing is found and the reference
//! layouts apply.

use crate::model::haproxy::layout::{parse_cfg, CfgProxy};
use std::path::{Path, PathBuf};

/// Config files found, grouped by the HAProxy that reads them (every `-f`
/// of one command line; Pigsty passes a directory, one file per service),
/// in a stable order. `/etc/haproxy/haproxy.cfg` is a group of its own
/// unless a running HAProxy already reads it.
pub fn files() -> Vec<Vec<PathBuf>> {
    let mut out: Vec<Vec<PathBuf>> = vec![];
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
            let mut group = vec![];
            for w in args.windows(2) {
                if w[0] == b"-f" {
                    if let Ok(p) = std::str::from_utf8(w[1]) {
                        group.extend(expand(Path::new(p)));
                    }
                }
            }
            group.sort();
            group.dedup();
            if !group.is_empty() {
                out.push(group);
            }
        }
    }
    let etc = PathBuf::from("/etc/haproxy/haproxy.cfg");
    if !out.iter().flatten().any(|f| *f == etc) {
        out.push(vec![etc]);
    }
    // A master process and its worker share a command line.
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

/// Every readable config, parsed, each section marked with its HAProxy's
/// group. Unreadable files are skipped: they are a hint, not a requirement.
pub fn load() -> Vec<CfgProxy> {
    let mut out = vec![];
    for (i, group) in files().iter().enumerate().take(64) {
        for text in group.iter().filter_map(|f| std::fs::read_to_string(f).ok()) {
            out.extend(parse_cfg(&text).into_iter().map(|mut c| {
                c.file = i;
                c
            }));
        }
    }
    out
}
