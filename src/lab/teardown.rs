//! Tearing a lab down, in an order that keeps PostgreSQL safe.
//!
//! Order: one-shot tasks, then Patroni (SIGTERM makes it stop its PostgreSQL
//! cleanly), then HAProxy, then etcd (Patroni needs etcd while stopping);
//! whatever outlives its grace period gets SIGKILL on its process group.
//! PostgreSQL runs in its own session under Patroni, so a killed Patroni can
//! orphan a postmaster: those are found through `postmaster.pid` and killed.
//! Finally the lab dir is removed and `/proc` is scanned for survivors.
//!
//! It is synchronous so that `Drop` can use it, and idempotent: running it
//! again on a torn-down lab does nothing.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

use super::error::LabError;
use super::proc::{Kind, Supervisor};

const POLL: Duration = Duration::from_millis(100);

impl Supervisor {
    /// Stops everything, removes the lab dir (if we created it) and checks
    /// that no process of the lab survives.
    pub(crate) fn teardown(&self) -> Result<(), LabError> {
        self.stop_kind(Kind::Task, Signal::SIGTERM, Duration::from_secs(10));
        self.stop_kind(Kind::Agent, Signal::SIGTERM, Duration::from_secs(10));
        self.stop_kind(Kind::Patroni, Signal::SIGTERM, Duration::from_secs(45));
        self.stop_kind(Kind::Haproxy, Signal::SIGTERM, Duration::from_secs(10));
        self.stop_kind(Kind::Pooler, Signal::SIGTERM, Duration::from_secs(10));
        self.stop_kind(Kind::Etcd, Signal::SIGTERM, Duration::from_secs(15));
        for d in &self.data_dirs {
            kill_postmaster(d);
        }
        super::vip::teardown(self.index);
        self.stop_spawner();
        self.torn_down.store(true, Ordering::SeqCst);
        if self.owns_dir.load(Ordering::SeqCst) && self.dir.exists() {
            // A dying process may still write a file; retry a few times.
            let mut last = None;
            for _ in 0..10 {
                match std::fs::remove_dir_all(&self.dir) {
                    Ok(()) => {
                        last = None;
                        break;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        last = None;
                        break;
                    }
                    Err(e) => last = Some(e),
                }
                std::thread::sleep(POLL);
            }
            if let Some(e) = last {
                return Err(LabError::io("removing lab dir", &self.dir, e));
            }
        }
        let left = processes_using(&self.dir);
        if !left.is_empty() {
            return Err(LabError::Leftovers(left.join("; ")));
        }
        Ok(())
    }

    /// Stops every child of `kind` (see [`Supervisor::stop_where`]). etcd
    /// members are stopped one at a time: a member stopping while it leads
    /// hands leadership over first, which times out (~7 s) if all members
    /// are stopping at once.
    fn stop_kind(&self, kind: Kind, sig: Signal, grace: Duration) {
        let t0 = Instant::now();
        let names: Vec<String> = {
            let procs = self.procs.lock().unwrap();
            procs
                .iter()
                .filter(|p| p.kind == kind)
                .map(|p| p.component.clone())
                .collect()
        };
        if names.is_empty() {
            return;
        }
        if kind == Kind::Etcd {
            for n in &names {
                self.stop_where(|p| p.component == *n, sig, grace);
            }
        } else {
            self.stop_where(|p| p.kind == kind, sig, grace);
        }
        eprintln!(
            "pgtui lab: stopped {} in {:.1} s",
            names.join(", "),
            t0.elapsed().as_secs_f64()
        );
    }

    /// Sends `sig` to every live child matching `pick`, waits up to `grace`
    /// for them to exit, then SIGKILLs their process groups; reaps them all.
    fn stop_where(&self, pick: impl Fn(&super::proc::Proc) -> bool, sig: Signal, grace: Duration) {
        let mut procs = self.procs.lock().unwrap();
        for p in procs.iter_mut().filter(|p| pick(p)) {
            if let Ok(None) = p.child.try_wait() {
                let _ = kill(Pid::from_raw(p.child.id() as i32), sig);
            }
        }
        let until = Instant::now() + grace;
        loop {
            let mut alive = 0;
            for p in procs.iter_mut().filter(|p| pick(p)) {
                if let Ok(None) = p.child.try_wait() {
                    alive += 1;
                }
            }
            if alive == 0 || Instant::now() >= until {
                break;
            }
            std::thread::sleep(POLL);
        }
        for p in procs.iter_mut().filter(|p| pick(p)) {
            if let Ok(None) = p.child.try_wait() {
                eprintln!(
                    "pgtui lab: {} did not stop within {grace:?}; killing it",
                    p.component
                );
                let _ = killpg(Pid::from_raw(p.child.id() as i32), Signal::SIGKILL);
                let _ = p.child.wait();
            }
        }
        procs.retain(|p| !pick(p));
    }
}

/// Reads the pid from `DATA/postmaster.pid` if that process still runs in `data`.
fn live_postmaster(data: &Path) -> Option<Pid> {
    let text = std::fs::read_to_string(data.join("postmaster.pid")).ok()?;
    let pid: i32 = text.lines().next()?.trim().parse().ok()?;
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok()?;
    (cwd == data).then(|| Pid::from_raw(pid))
}

/// Kills a postmaster that outlived its Patroni: immediate shutdown, then SIGKILL.
fn kill_postmaster(data: &Path) {
    let Some(pid) = live_postmaster(data) else {
        return;
    };
    eprintln!(
        "pgtui lab: postmaster {pid} of {} outlived Patroni; stopping it",
        data.display()
    );
    let _ = kill(pid, Signal::SIGQUIT);
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until && live_postmaster(data).is_some() {
        std::thread::sleep(POLL);
    }
    if live_postmaster(data).is_some() {
        let _ = kill(pid, Signal::SIGKILL);
        // Its backends notice the postmaster's death by themselves.
    }
}

/// Processes whose command line or working dir is inside `dir`, as
/// `pid (command)` strings. The runner itself is excluded.
pub(crate) fn processes_using(dir: &Path) -> Vec<String> {
    let me = std::process::id().to_string();
    let needle = dir.display().to_string();
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) || name == me {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{name}/cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        let cwd: Option<PathBuf> = std::fs::read_link(format!("/proc/{name}/cwd")).ok();
        let in_cmd = cmdline.split(' ').any(|w| {
            w == needle
                || w.starts_with(&format!("{needle}/"))
                || w.contains(&format!("={needle}/"))
        });
        let in_cwd = cwd.as_deref().is_some_and(|c| c.starts_with(dir));
        if in_cmd || in_cwd {
            found.push(format!("{name} ({})", cmdline.trim()));
        }
    }
    found
}
