//! Real parts for `tests/robust.rs`: the binary with a clean environment, a
//! one-member etcd and a PostgreSQL started in a tempdir on loopback, and a
//! tmux server of our own. Each is stopped when dropped, also when a test
//! fails.

#![allow(dead_code)]

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Every scratch process listens here (lab 10's range, above its hosts).
pub const IP: &str = "127.0.10.201";

/// The binary under test: `PGTUI_ROBUST_BIN`, else this build's.
pub fn bin() -> PathBuf {
    std::env::var_os("PGTUI_ROBUST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_pgtui")))
}

/// A port on [`IP`] that nothing listens on (the kernel just gave it out).
pub fn closed_port() -> u16 {
    TcpListener::bind((IP, 0))
        .expect("bind on 127.0.10.201")
        .local_addr()
        .unwrap()
        .port()
}

/// Environment variables pgtui reads that must not leak in from the caller.
fn scrub(cmd: &mut Command, home: &Path) {
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().to_string();
        if k.starts_with("PGTUI_") || k.starts_with("PATRONI") || k == "NO_COLOR" {
            cmd.env_remove(&k);
        }
    }
    cmd.env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("HOME", home);
}

/// Runs the binary with `args` and extra `env`, killed after `limit`:
/// (exit code, stdout, stderr, elapsed); the code is `None` when killed.
pub fn pgtui(
    args: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> (Option<i32>, String, String, Duration) {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(bin());
    scrub(&mut cmd, home.path());
    cmd.args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("run pgtui");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = started.elapsed();
    (code, out_t.join().unwrap(), err_t.join().unwrap(), took)
}

/// Whether `pid` is gone (or a zombie) within `limit`.
pub fn wait_gone(pid: u32, limit: Duration) -> bool {
    let end = Instant::now() + limit;
    loop {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s[s.rfind(')')? + 2..].chars().next());
        if matches!(state, None | Some('Z') | Some('X')) {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A one-member etcd from the Debian package, in a tempdir.
pub struct ScratchEtcd {
    child: Child,
    pub endpoint: String,
    dir: tempfile::TempDir,
}

impl ScratchEtcd {
    pub fn start() -> ScratchEtcd {
        let dir = tempfile::tempdir().unwrap();
        let (client, peer) = (closed_port(), closed_port());
        let c = format!("http://{IP}:{client}");
        let p = format!("http://{IP}:{peer}");
        let log = std::fs::File::create(dir.path().join("etcd.log")).unwrap();
        let child = Command::new("etcd")
            .arg("--name=scratch")
            .arg(format!("--data-dir={}", dir.path().join("data").display()))
            .arg(format!("--listen-client-urls={c}"))
            .arg(format!("--advertise-client-urls={c}"))
            .arg(format!("--listen-peer-urls={p}"))
            .arg(format!("--initial-advertise-peer-urls={p}"))
            .arg(format!("--initial-cluster=scratch={p}"))
            .args(["--logger=zap", "--log-outputs=stderr"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("etcd (apt-get install etcd-server)");
        let e = ScratchEtcd {
            child,
            endpoint: format!("{IP}:{client}"),
            dir,
        };
        let healthy = wait_until(Duration::from_secs(20), || {
            e.etcdctl(&["endpoint", "health"]).status.success()
        });
        assert!(
            healthy,
            "scratch etcd never became healthy: {}",
            std::fs::read_to_string(e.dir.path().join("etcd.log")).unwrap_or_default()
        );
        e
    }

    pub fn etcdctl(&self, args: &[&str]) -> std::process::Output {
        Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={}", self.endpoint))
            .args(args)
            .output()
            .expect("etcdctl")
    }

    pub fn put(&self, key: &str, value: &str) {
        let out = self.etcdctl(&["put", key, value]);
        assert!(out.status.success(), "etcdctl put {key}: {out:?}");
    }

    pub fn dcs_url(&self, namespace: &str) -> String {
        format!("etcd3://{}{namespace}", self.endpoint)
    }
}

impl Drop for ScratchEtcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A PostgreSQL 15 that asks for a password (scram), run as `postgres`.
pub struct ScratchPg {
    pub port: u16,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

fn as_postgres(tool: &str, args: &[&str]) -> std::process::Output {
    Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(format!("/usr/lib/postgresql/15/bin/{tool}"))
        .args(args)
        .output()
        .expect("runuser")
}

impl ScratchPg {
    pub fn start(password: &str) -> ScratchPg {
        let dir = tempfile::tempdir().unwrap();
        let chown = |p: &Path| {
            nix::unistd::chown(
                p,
                Some(nix::unistd::Uid::from_raw(uid("postgres"))),
                None::<nix::unistd::Gid>,
            )
            .unwrap()
        };
        chown(dir.path());
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, password).unwrap();
        chown(&pwfile);
        let data = dir.path().join("data");
        let out = as_postgres(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                &format!("--pwfile={}", pwfile.display()),
            ],
        );
        assert!(out.status.success(), "initdb: {out:?}");
        let port = closed_port();
        let opts = format!(
            "-c listen_addresses={IP} -p {port} -c unix_socket_directories={} -c fsync=off",
            dir.path().display()
        );
        let log = dir.path().join("pg.log");
        let out = as_postgres(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-o",
                &opts,
                "-w",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {out:?}\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        ScratchPg {
            port,
            data,
            _dir: dir,
        }
    }
}

fn uid(name: &str) -> u32 {
    nix::unistd::User::from_name(name)
        .unwrap()
        .expect("a postgres user")
        .uid
        .as_raw()
}

impl Drop for ScratchPg {
    fn drop(&mut self) {
        let _ = as_postgres(
            "pg_ctl",
            &["-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"],
        );
    }
}

/// The console in a pane of a tmux server of its own. A shell runs it and
/// stays after it, printing `pgtui exited N`, so the pane's modes are read
/// after every byte the console wrote has been processed (a dead pane may
/// not get them all).
pub struct Pane {
    socket: String,
    home: tempfile::TempDir,
    pid: std::cell::Cell<Option<u32>>,
}

impl Pane {
    pub fn console(dcs_url: &str, flags: &str, w: u16, h: u16) -> Pane {
        let home = tempfile::tempdir().unwrap();
        // The server's socket lives (and goes) with the tempdir.
        let socket = home.path().join("tmux.sock").display().to_string();
        let h_ = home.path().display();
        let cmd = format!(
            "env -u NO_COLOR PGTUI_SETTINGS=/dev/null XDG_CONFIG_HOME={h_}/config \
             XDG_STATE_HOME={h_}/state HOME={h_} {} --dcs-url {dcs_url} {flags}; \
             echo \"pgtui exited $?\"; exec sleep 600",
            bin().display()
        );
        let ok = Command::new("tmux")
            .args(["-S", &socket, "-f", "/dev/null"])
            .args(["new-session", "-d", "-s", "robust", "-x"])
            .arg(w.to_string())
            .arg("-y")
            .arg(h.to_string())
            .arg(&cmd)
            .status()
            .expect("tmux (apt-get install tmux)");
        assert!(ok.success(), "tmux new-session failed");
        Pane {
            socket,
            home,
            pid: Default::default(),
        }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-S", &self.socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    /// A tmux format for the pane (`#{alternate_on}`…).
    pub fn display(&self, format: &str) -> String {
        self.tmux(&["display", "-p", "-t", "robust", format])
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "robust"])
    }

    /// The console's pid: the pane shell's child.
    pub fn pid(&self) -> u32 {
        if let Some(p) = self.pid.get() {
            return p;
        }
        let shell: u32 = self.display("#{pane_pid}").parse().expect("a pane pid");
        let mut pid = None;
        wait_until(Duration::from_secs(5), || {
            let kids = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"));
            pid = kids
                .ok()
                .and_then(|k| k.split_whitespace().next()?.parse().ok());
            pid.is_some()
        });
        let pid = pid.expect("the pane's shell started pgtui");
        self.pid.set(Some(pid));
        pid
    }

    /// The console's exit code, once the shell has printed it.
    pub fn exit_code(&self, limit: Duration) -> Option<i32> {
        let mut code = None;
        wait_until(limit, || {
            code = self
                .screen()
                .lines()
                .find_map(|l| l.trim().strip_prefix("pgtui exited ")?.parse().ok());
            code.is_some()
        });
        code
    }

    pub fn wait(&self, limit: Duration, f: impl Fn(&Pane) -> bool) -> bool {
        wait_until(limit, || f(self))
    }

    pub fn wait_screen(&self, limit: Duration, f: impl Fn(&str) -> bool) -> Option<String> {
        let mut seen = None;
        wait_until(limit, || {
            let s = self.screen();
            let ok = f(&s);
            seen = ok.then_some(s);
            ok
        });
        seen
    }

    /// Whether the console has exited within `limit`.
    pub fn wait_exited(&self, limit: Duration) -> bool {
        wait_gone(self.pid(), limit)
    }

    /// Closes the pty's master side: tmux forgets the pane and sends no
    /// signal (a second session keeps the server, which would send SIGHUP
    /// on its way out, running).
    pub fn close_pty(&self) {
        self.tmux(&["new-session", "-d", "-s", "keep", "sleep 600"]);
        self.tmux(&["kill-session", "-t", "robust"]);
    }

    pub fn kill_server(&self) {
        self.tmux(&["kill-server"]);
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let pid = self.pid.get();
        self.kill_server();
        // A console that ignored its closed pty must not outlive the test.
        if let Some(p) = pid.filter(|p| !wait_gone(*p, Duration::from_secs(2))) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(p as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = &self.home;
    }
}
