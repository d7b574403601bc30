//! The HAProxy configs this machine can read: those of running HAProxy
//! processes (`-f FILE` or `-f DIR` in their command line, found through
//! /proc), and `/etc/haproxy/haproxy.cfg`. On a database node that runs
//! HAProxy (autobase, Pigsty) this is where service ports and health-check
//! paths are written down; elsewhere nothing is found and the reference
//! layouts apply.
//!
//! A console stays open for hours while HAProxy is reconfigured under it
//! (a service added, a server moved), so the sources hold the configs in a
//! [`Configs`] that looks again every [`RECHECK`] and parses again only
//! when the set of files, or one's size or modification time, changed.

use crate::model::haproxy::layout::{parse_cfg, CfgProxy};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// How often the configs are looked at again: a walk of /proc and a stat
/// per file, cheap next to a poll round, and soon enough after a reload.
pub const RECHECK: Duration = Duration::from_secs(5);

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

/// Every readable config of `groups`, parsed, each section marked with its
/// HAProxy's group. Unreadable files are skipped: they are a hint, not a requirement.
fn load_from(groups: &[Vec<PathBuf>]) -> Vec<CfgProxy> {
    let mut out = vec![];
    for (i, group) in groups.iter().enumerate().take(64) {
        for text in group.iter().filter_map(|f| std::fs::read_to_string(f).ok()) {
            out.extend(parse_cfg(&text).into_iter().map(|mut c| {
                c.file = i;
                c
            }));
        }
    }
    out
}

/// What tells one set of configs from another without reading them: each
/// file's path, and its size and modification time when it can be read.
type Stamp = Vec<(PathBuf, Option<(u64, SystemTime)>)>;

fn stamp(groups: &[Vec<PathBuf>]) -> Stamp {
    groups
        .iter()
        .flatten()
        .map(|f| {
            let meta = std::fs::metadata(f).ok();
            (
                f.clone(),
                meta.and_then(|m| Some((m.len(), m.modified().ok()?))),
            )
        })
        .collect()
}

/// The configs as last parsed, parsed again when they change.
pub struct Configs {
    find: fn() -> Vec<Vec<PathBuf>>,
    stamp: Stamp,
    parsed: Vec<CfgProxy>,
    checked: Instant,
}

impl Configs {
    /// The running HAProxys' configs and `/etc/haproxy/haproxy.cfg`.
    pub fn new() -> Configs {
        Configs::found_by(files)
    }

    /// The configs `find` names (a test's own files).
    pub fn found_by(find: fn() -> Vec<Vec<PathBuf>>) -> Configs {
        let groups = find();
        Configs {
            find,
            stamp: stamp(&groups),
            parsed: load_from(&groups),
            checked: Instant::now(),
        }
    }

    /// The configs now: looked at again when [`RECHECK`] has passed since
    /// the last look, parsed again only if they changed. The look reads
    /// /proc and the files on a blocking thread: a read of a process stuck
    /// in the kernel must not stall the runtime.
    pub async fn current(&mut self) -> &[CfgProxy] {
        if self.checked.elapsed() >= RECHECK {
            self.checked = Instant::now();
            let (find, old) = (self.find, self.stamp.clone());
            let looked = tokio::task::spawn_blocking(move || look(find, &old)).await;
            if let Ok(Some((stamp, parsed))) = looked {
                self.stamp = stamp;
                self.parsed = parsed;
            }
        }
        &self.parsed
    }

    /// Looks now, on this thread; whether the configs changed.
    pub fn recheck(&mut self) -> bool {
        self.checked = Instant::now();
        match look(self.find, &self.stamp) {
            Some((stamp, parsed)) => {
                self.stamp = stamp;
                self.parsed = parsed;
                true
            }
            None => false,
        }
    }

    /// The configs as last parsed, without looking again.
    pub fn parsed(&self) -> &[CfgProxy] {
        &self.parsed
    }
}

/// The configs `find` names now, parsed, if they differ from `old`.
fn look(find: fn() -> Vec<Vec<PathBuf>>, old: &Stamp) -> Option<(Stamp, Vec<CfgProxy>)> {
    let groups = find();
    let now = stamp(&groups);
    (now != *old).then(|| (now, load_from(&groups)))
}

impl Default for Configs {
    fn default() -> Self {
        Configs::new()
    }
}
