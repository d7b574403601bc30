//! Owning the lab's processes.
//!
//! Every lab process is a direct child of the runner, so the runner alone
//! decides their lifetime:
//! - each child gets its own process group, away from the terminal's, so a
//!   Ctrl-C reaches only the runner, which then stops things in order;
//! - each child has `PR_SET_PDEATHSIG = SIGTERM` (set after the uid change,
//!   which would clear it), so if the runner dies the children get SIGTERM
//!   (Patroni then stops its PostgreSQL cleanly);
//! - PDEATHSIG fires when the *thread* that forked exits, so all spawns go
//!   through one dedicated spawner thread that outlives every child, whatever
//!   runtime the caller uses;
//! - when the runner is root, children run as the `postgres` user with a
//!   clean environment, and their stdout/stderr go to `LAB/log/<component>.log`.

use std::collections::VecDeque;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use super::error::LabError;

/// The unprivileged user lab processes run as when the runner is root.
#[derive(Debug, Clone)]
pub(crate) struct RunAs {
    pub uid: u32,
    pub gid: u32,
    pub user: String,
    pub home: PathBuf,
}

/// What a child is, which decides the order of teardown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Etcd,
    Patroni,
    Haproxy,
    /// The pgbouncers beside each PostgreSQL.
    Pooler,
    /// The node agents (`pgtui agent`).
    Agent,
    /// A one-shot command (pgbackrest) the runner waits for.
    Task,
}

pub(super) struct Proc {
    pub id: u64,
    pub component: String,
    pub kind: Kind,
    pub child: Child,
    pub log: PathBuf,
    pub spec: Spec,
}

/// How a child was started, so the control socket can start it again.
#[derive(Clone)]
pub(super) struct Spec {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

type SpawnReq = (Command, oneshot::Sender<std::io::Result<Child>>);

/// The thread all children are forked from (see the module doc).
struct Spawner {
    tx: mpsc::Sender<SpawnReq>,
}

impl Spawner {
    fn start() -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<SpawnReq>();
        std::thread::Builder::new()
            .name("pgtui-lab-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })?;
        Ok(Spawner { tx })
    }
}

/// Owner of all lab processes; its `Drop` tears the lab down.
pub(crate) struct Supervisor {
    pub(super) procs: Mutex<Vec<Proc>>,
    /// Children stopped through the control socket, to start again.
    pub(super) stopped: Mutex<Vec<(String, Kind, Spec, PathBuf)>>,
    next_id: AtomicU64,
    /// Dropped (ending the spawner thread) only after every child is gone.
    spawner: Mutex<Option<Spawner>>,
    pub(super) run_as: Option<RunAs>,
    pub(super) dir: PathBuf,
    pub(super) data_dirs: Vec<PathBuf>,
    /// The lab's index: its VIP interfaces are removed at teardown.
    pub(super) index: u8,
    /// Set once the lab dir was prepared by us: only then may teardown remove it.
    pub(super) owns_dir: AtomicBool,
    pub(super) torn_down: AtomicBool,
}

/// Environment every child gets (after `env_clear`).
fn base_env(run_as: Option<&RunAs>) -> Vec<(String, String)> {
    let (user, home) = match run_as {
        Some(r) => (r.user.clone(), r.home.display().to_string()),
        None => (
            std::env::var("USER").unwrap_or_else(|_| "nobody".into()),
            std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()),
        ),
    };
    vec![
        (
            "PATH".into(),
            "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin".into(),
        ),
        ("HOME".into(), home),
        ("USER".into(), user.clone()),
        ("LOGNAME".into(), user),
        ("LANG".into(), "C.UTF-8".into()),
        ("LC_ALL".into(), "C.UTF-8".into()),
    ]
}

/// Last `n` lines of a log file, or a note why there are none.
pub(crate) fn log_tail(path: &Path, n: usize) -> String {
    let Ok(f) = std::fs::File::open(path) else {
        return format!("(no log file {})", path.display());
    };
    let mut last: VecDeque<String> = VecDeque::with_capacity(n);
    for line in BufReader::new(f).split(b'\n').map_while(Result::ok) {
        if last.len() == n {
            last.pop_front();
        }
        last.push_back(String::from_utf8_lossy(&line).into_owned());
    }
    if last.is_empty() {
        return "(log is empty)".into();
    }
    last.into_iter().collect::<Vec<_>>().join("\n")
}

pub(crate) fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => status.to_string(),
    }
}

impl Supervisor {
    pub fn new(
        run_as: Option<RunAs>,
        dir: PathBuf,
        data_dirs: Vec<PathBuf>,
        index: u8,
    ) -> Result<Self, LabError> {
        let spawner = Spawner::start().map_err(|e| LabError::Spawn {
            component: "lab spawner thread".into(),
            program: PathBuf::from("(thread)"),
            source: e,
        })?;
        Ok(Supervisor {
            procs: Mutex::new(Vec::new()),
            stopped: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            spawner: Mutex::new(Some(spawner)),
            run_as,
            dir,
            data_dirs,
            index,
            owns_dir: AtomicBool::new(false),
            torn_down: AtomicBool::new(false),
        })
    }

    /// Builds the command for a lab child (user, env, group, pdeathsig, log).
    fn command(
        &self,
        program: &Path,
        args: &[String],
        env: &[(String, String)],
        log: &Path,
    ) -> Result<Command, LabError> {
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| LabError::io("opening log file", log, e))?;
        let err = out
            .try_clone()
            .map_err(|e| LabError::io("duplicating log file", log, e))?;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .envs(base_env(self.run_as.as_ref()))
            .envs(env.iter().cloned())
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        if let Some(r) = &self.run_as {
            cmd.uid(r.uid).gid(r.gid);
        }
        let runner = nix::unistd::getpid();
        // SAFETY: the closure only makes async-signal-safe syscalls (prctl, getppid).
        unsafe {
            cmd.pre_exec(move || {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM)
                    .map_err(std::io::Error::from)?;
                if nix::unistd::getppid() != runner {
                    return Err(std::io::Error::other("lab runner exited before exec"));
                }
                Ok(())
            });
        }
        Ok(cmd)
    }

    /// Starts a child owned by the lab; returns its id.
    pub async fn spawn(
        &self,
        component: &str,
        kind: Kind,
        program: &Path,
        args: &[String],
        env: &[(String, String)],
        log: &Path,
    ) -> Result<u64, LabError> {
        let cmd = self.command(program, args, env, log)?;
        let (tx, rx) = oneshot::channel();
        let sent = match self.spawner.lock().unwrap().as_ref() {
            Some(s) => s.tx.send((cmd, tx)).is_ok(),
            None => false,
        };
        let spawn_err = |e: std::io::Error| LabError::Spawn {
            component: component.to_string(),
            program: program.to_path_buf(),
            source: e,
        };
        if !sent {
            return Err(spawn_err(std::io::Error::other("lab is already torn down")));
        }
        let child = rx
            .await
            .map_err(|_| spawn_err(std::io::Error::other("spawner thread is gone")))?
            .map_err(spawn_err)?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.procs.lock().unwrap().push(Proc {
            id,
            component: component.to_string(),
            kind,
            child,
            log: log.to_path_buf(),
            spec: Spec {
                program: program.to_path_buf(),
                args: args.to_vec(),
                env: env.to_vec(),
            },
        });
        Ok(id)
    }

    /// Runs a one-shot command as a lab child and waits for it to succeed.
    pub async fn run_task(
        &self,
        component: &str,
        program: &Path,
        args: &[String],
        env: &[(String, String)],
        log: &Path,
    ) -> Result<(), LabError> {
        let id = self
            .spawn(component, Kind::Task, program, args, env, log)
            .await?;
        loop {
            let done = {
                let mut procs = self.procs.lock().unwrap();
                let Some(i) = procs.iter().position(|p| p.id == id) else {
                    return Err(LabError::Interrupted(format!(
                        "teardown while {component} ran"
                    )));
                };
                match procs[i].child.try_wait() {
                    Ok(Some(st)) => {
                        procs.remove(i);
                        Some(st)
                    }
                    Ok(None) => None,
                    Err(e) => return Err(LabError::io("waiting for", program, e)),
                }
            };
            if let Some(st) = done {
                if st.success() {
                    return Ok(());
                }
                return Err(LabError::CommandFailed {
                    component: component.to_string(),
                    command: format!("{} {}", program.display(), args.join(" ")),
                    status: describe(st),
                    log: log.to_path_buf(),
                    tail: log_tail(log, 30),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Fails if a long-running child (etcd, Patroni, HAProxy) has exited.
    pub fn check_alive(&self, phase: &str) -> Result<(), LabError> {
        let mut procs = self.procs.lock().unwrap();
        for p in procs.iter_mut().filter(|p| p.kind != Kind::Task) {
            if let Ok(Some(st)) = p.child.try_wait() {
                return Err(LabError::Exited {
                    component: p.component.clone(),
                    status: describe(st),
                    phase: phase.to_string(),
                    log: p.log.clone(),
                    tail: log_tail(&p.log, 30),
                });
            }
        }
        Ok(())
    }

    /// Stops one long-running child with `sig` (to its pid only, as systemd's
    /// `KillMode=process` does for Patroni) and keeps how to start it again.
    pub async fn stop_one(
        &self,
        component: &str,
        sig: nix::sys::signal::Signal,
        grace: Duration,
    ) -> Result<String, String> {
        let pid = {
            let procs = self.procs.lock().unwrap();
            let p = procs
                .iter()
                .find(|p| p.component == component && p.kind != Kind::Task)
                .ok_or_else(|| format!("no running lab component {component:?}"))?;
            p.child.id() as i32
        };
        let t0 = std::time::Instant::now();
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig)
            .map_err(|e| format!("signalling {component} (pid {pid}): {e}"))?;
        loop {
            {
                let mut procs = self.procs.lock().unwrap();
                if let Some(i) = procs.iter().position(|p| p.component == component) {
                    if let Ok(Some(st)) = procs[i].child.try_wait() {
                        let p = procs.remove(i);
                        self.stopped
                            .lock()
                            .unwrap()
                            .push((p.component, p.kind, p.spec, p.log));
                        return Ok(format!(
                            "{component} stopped ({}) in {:.1} s",
                            describe(st),
                            t0.elapsed().as_secs_f64()
                        ));
                    }
                }
            }
            if t0.elapsed() > grace {
                return Err(format!(
                    "{component} (pid {pid}) still runs {} s after {sig}",
                    grace.as_secs()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Starts again a child stopped through [`Supervisor::stop_one`].
    pub async fn start_again(&self, component: &str) -> Result<String, String> {
        let found = {
            let mut stopped = self.stopped.lock().unwrap();
            let i = stopped
                .iter()
                .position(|(c, ..)| c == component)
                .ok_or_else(|| {
                    format!("{component:?} was not stopped through the control socket")
                })?;
            stopped.remove(i)
        };
        let (c, kind, spec, log) = found;
        match self
            .spawn(&c, kind, &spec.program, &spec.args, &spec.env, &log)
            .await
        {
            Ok(_) => Ok(format!("{c} started")),
            Err(e) => {
                self.stopped.lock().unwrap().push((c, kind, spec, log));
                Err(e.to_string())
            }
        }
    }

    /// Ends the spawner thread; called by teardown once every child is gone.
    pub(super) fn stop_spawner(&self) {
        self.spawner.lock().unwrap().take();
    }

    pub(super) fn run_as(&self) -> Option<&RunAs> {
        self.run_as.as_ref()
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        if !self.torn_down.load(Ordering::SeqCst) {
            if let Err(e) = self.teardown() {
                eprintln!("pgtui lab: teardown on drop: {e}");
            }
        }
    }
}
