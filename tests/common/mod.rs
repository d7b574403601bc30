//! Test harness: one real lab per test binary, started through the real
//! binary (`pgtui lab up --stdin-guard`), shared by the tests of that binary.
//!
//! The lab runner tears everything down when our stdin pipe closes, which
//! happens however this process ends (success, panic, abort, SIGKILL). A lab
//! that cannot start fails the test loudly with the runner's own error.
//!
//! The harness reads every fact that differs between lab styles (namespace,
//! etcd scheme, CA, etcd users, REST scheme) from the lab's [`LabInfo`], so
//! the same suite runs against the Pigsty lab and the hardened autobase one:
//! etcdctl here logs in as etcd's `root` (tests plant and inspect keys
//! anywhere), while pgtui gets what a team would give it, Patroni's limited
//! etcd user (see [`SharedLab::dcs_env`] and [`SharedLab::etcd_config`]).

#![allow(dead_code)]

use pgtui::config::{EtcdConfig, Secret, TlsFiles};
use pgtui::lab::LabInfo;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

pub struct SharedLab {
    pub info: LabInfo,
    _child: Mutex<Child>,
    _guard: Mutex<ChildStdin>,
    /// Tests that change the cluster (switchover, stopping etcd) hold this.
    pub exclusive: Mutex<()>,
}

/// A command's exit, stdout and stderr, for assertion messages.
pub fn output_text(o: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pgtui"))
}

/// Patroni 4's venv: `PGTUI_PATRONI4_VENV`, else `/opt/pgtui/patroni4`.
pub fn patroni4_venv() -> PathBuf {
    std::env::var_os("PGTUI_PATRONI4_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/pgtui/patroni4"))
}

/// Starts (once per process) the Pigsty-style lab with `index` and
/// `patroni` flavour.
pub fn lab(cell: &'static OnceLock<SharedLab>, index: u8, patroni: &str) -> &'static SharedLab {
    lab_styled(cell, index, patroni, "pigsty")
}

/// Starts (once per process) the lab with `index`, `patroni` flavour and
/// `style` (`pigsty` or `autobase`, see `pgtui lab up --style`).
pub fn lab_styled(
    cell: &'static OnceLock<SharedLab>,
    index: u8,
    patroni: &str,
    style: &str,
) -> &'static SharedLab {
    cell.get_or_init(|| start(index, patroni, style))
}

fn start(index: u8, patroni: &str, style: &str) -> SharedLab {
    if patroni != "debian" {
        let venv = PathBuf::from(patroni);
        if !venv.join("bin/patroni").exists() {
            let out = Command::new(bin())
                .args(["lab", "install-patroni4", "--venv"])
                .arg(&venv)
                .output()
                .expect("run pgtui lab install-patroni4");
            assert!(
                out.status.success(),
                "installing Patroni 4 into {} failed:\n{}",
                venv.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let dir = std::env::temp_dir().join(format!("pgtui-test-lab-{index}-{}", std::process::id()));
    // The runner's stderr goes to a file, not a pipe: the runner outlives this
    // process while it tears down, and must not lose its voice (or its life,
    // to a broken pipe) when we are gone.
    let log_path =
        std::env::temp_dir().join(format!("pgtui-test-lab-{index}-{}.log", std::process::id()));
    let log = std::fs::File::create(&log_path).expect("create lab runner log");
    let mut child = Command::new(bin())
        .args([
            "lab",
            "up",
            "--stdin-guard",
            "--index",
            &index.to_string(),
            "--patroni",
            patroni,
            "--style",
            style,
            "--dir",
        ])
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("spawn pgtui lab up");
    let guard = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let n = stdout.read_line(&mut line).unwrap_or(0);
    if n == 0 || !line.trim_start().starts_with('{') {
        let _ = child.wait();
        let err = std::fs::read_to_string(&log_path).unwrap_or_default();
        panic!(
            "the lab (index {index}, patroni {patroni}, style {style}) did not start:\n{line}\n{err}"
        );
    }
    let info: LabInfo = serde_json::from_str(line.trim()).expect("lab info JSON");
    // Keep draining the runner's output so it never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = stdout.read_to_end(&mut sink);
    });
    SharedLab {
        info,
        _child: Mutex::new(child),
        _guard: Mutex::new(guard),
        exclusive: Mutex::new(()),
    }
}

impl SharedLab {
    /// `pgtui lab ctl VERB COMPONENT`: stops, kills or starts one of the
    /// lab's children (`pgbouncer pg-test-1`, `agent pg-test-2`).
    pub fn ctl(&self, verb: &str, component: &str) {
        let out = Command::new(bin())
            .args(["lab", "ctl", "--dir"])
            .arg(&self.info.dir)
            .args([verb, component])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "lab ctl {verb} {component}: {}",
            output_text(&out)
        );
    }

    pub fn lock(&self) -> MutexGuard<'_, ()> {
        self.exclusive.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn dcs_url(&self) -> String {
        format!(
            "etcd3://{}{}",
            self.info.etcd_endpoints.join(","),
            self.info.namespace.trim_end_matches('/')
        )
    }

    /// Runs pgtui against this lab with the lab's patronictl config and
    /// the agents' token.
    pub fn pgtui(&self, args: &[&str]) -> std::process::Output {
        Command::new(bin())
            .arg("-c")
            .arg(&self.info.patronictl_config)
            .args(args)
            .env_remove("PGTUI_CLUSTER")
            .env("PGTUI_SETTINGS", "/dev/null")
            .env("PGTUI_AGENT_TOKEN", self.agent_token())
            .output()
            .expect("run pgtui")
    }

    /// `psql -c SQL` as the superuser on `host`:5432; panics with psql's
    /// words when it fails.
    pub fn psql(&self, host: &str, sql: &str) -> String {
        let out = Command::new("psql")
            .args(["-h", host, "-p", "5432", "-U", &self.info.superuser])
            .args(["-d", "postgres", "-XAtqc", sql])
            .env("PGPASSWORD", &self.info.superuser_password)
            .env("PGCONNECT_TIMEOUT", "5")
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql on {host}: {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `patronictl switchover` of pg-test from `from` to `to`; panics with
    /// patronictl's words when it fails.
    pub fn switchover(&self, from: &str, to: &str) {
        let out = self.patronictl(&[
            "switchover",
            "pg-test",
            "--leader",
            from,
            "--candidate",
            to,
            "--force",
        ]);
        assert!(
            out.status.success(),
            "patronictl switchover: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// pg-test's leader as patronictl names it now.
    pub fn leader(&self) -> String {
        let out = self.patronictl(&["list", "pg-test", "-f", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .find(|m| m["Role"] == "Leader")
            .and_then(|m| m["Member"].as_str())
            .expect("a leader")
            .to_string()
    }

    /// A pg-test member's address.
    pub fn host(&self, member: &str) -> String {
        self.info.clusters[0]
            .members
            .iter()
            .find(|m| m.name == member)
            .unwrap_or_else(|| panic!("no member {member}"))
            .host
            .clone()
    }

    /// The lab agents' bearer token.
    pub fn agent_token(&self) -> String {
        let p = self
            .info
            .agent_token_file
            .as_ref()
            .expect("the lab names its agent token file");
        std::fs::read_to_string(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .trim()
            .to_string()
    }

    pub fn patronictl(&self, args: &[&str]) -> std::process::Output {
        Command::new(&self.info.patronictl)
            .arg("-c")
            .arg(&self.info.patronictl_config)
            .args(args)
            .output()
            .expect("run patronictl")
    }

    /// The lab's patronictl.yaml without its `scope` (`LAB/fleet.yaml`):
    /// the whole namespace, as Patroni's confined etcd user, with the REST CA.
    pub fn fleet_config(&self) -> PathBuf {
        let text = std::fs::read_to_string(&self.info.patronictl_config).unwrap();
        let path = self.info.dir.join("fleet.yaml");
        let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("scope:")).collect();
        std::fs::write(&path, kept.join("\n")).unwrap();
        path
    }

    /// etcdctl against every member, as etcd's `root` when auth is on.
    pub fn etcdctl(&self, args: &[&str]) -> std::process::Output {
        self.etcdctl_at(&self.info.etcd_endpoints, args)
    }

    /// etcdctl against the given members (`host:port`), with the lab's
    /// scheme, CA and root login.
    pub fn etcdctl_at(&self, endpoints: &[String], args: &[&str]) -> std::process::Output {
        self.etcdctl_cmd(endpoints)
            .args(args)
            .output()
            .expect("run etcdctl")
    }

    /// etcdctl against the given members, ready for its arguments.
    pub fn etcdctl_cmd(&self, endpoints: &[String]) -> Command {
        let urls: Vec<String> = endpoints
            .iter()
            .map(|e| format!("{}://{e}", self.info.etcd_scheme))
            .collect();
        let mut cmd = Command::new("etcdctl");
        cmd.env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={}", urls.join(",")));
        if let Some(ca) = &self.info.ca_file {
            cmd.arg(format!("--cacert={}", ca.display()));
        }
        if let (Some(u), Some(p)) = (&self.info.etcd_root_user, &self.info.etcd_root_password) {
            cmd.arg(format!("--user={u}:{p}"));
        }
        cmd
    }

    /// What pgtui needs besides `--dcs-url` to reach this lab's etcd as a
    /// team would (Patroni's limited etcd user, the CA, https): the
    /// `PATRONI_ETCD3_*` variables pgtui reads. Empty for a plain-http lab.
    pub fn dcs_env(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if self.info.etcd_scheme != "http" {
            v.push((
                "PATRONI_ETCD3_PROTOCOL".into(),
                self.info.etcd_scheme.clone(),
            ));
        }
        if let Some(ca) = &self.info.ca_file {
            v.push(("PATRONI_ETCD3_CACERT".into(), ca.display().to_string()));
        }
        if let (Some(u), Some(p)) = (&self.info.etcd_user, &self.info.etcd_password) {
            v.push(("PATRONI_ETCD3_USERNAME".into(), u.clone()));
            v.push(("PATRONI_ETCD3_PASSWORD".into(), p.clone()));
        }
        v
    }

    /// pgtui's etcd settings for the given members (`host:port`), as pgtui
    /// resolves them from the lab's patronictl.yaml: Patroni's etcd user.
    pub fn etcd_config(&self, endpoints: &[String]) -> EtcdConfig {
        EtcdConfig {
            endpoints: endpoints
                .iter()
                .map(|e| format!("{}://{e}", self.info.etcd_scheme))
                .collect(),
            username: self.info.etcd_user.clone(),
            password: self.info.etcd_password.clone().map(Secret::new),
            tls: self.info.ca_file.clone().map(|ca| TlsFiles {
                cacert: Some(ca),
                cert: None,
                key: None,
            }),
        }
    }

    /// `curl -s` with the lab CA when the REST API is https.
    pub fn curl(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = Command::new("curl");
        if let Some(ca) = &self.info.ca_file {
            cmd.arg("--cacert").arg(ca);
        }
        cmd.args(args).output().expect("run curl")
    }

    /// Pid of the etcd member serving client endpoint `endpoint` (host:port),
    /// found through /proc (the lab passes `--listen-client-urls=SCHEME://EP`).
    pub fn etcd_pid(&self, endpoint: &str) -> i32 {
        let needle = format!(
            "--listen-client-urls={}://{endpoint}",
            self.info.etcd_scheme
        );
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            if cmd.split(|b| *b == 0).any(|a| a == needle.as_bytes()) {
                return pid;
            }
        }
        panic!("no etcd process serves {endpoint}");
    }

    /// pg-test's leader key as etcd has it now.
    pub fn leader_key(&self) -> String {
        let key = format!("{}pg-test/leader", self.info.namespace);
        let out = self.etcdctl(&["get", "--print-value-only", &key]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until patronictl sees pg-test's three members running (or
    /// streaming) on a timeline with zero lag; returns the leader and the
    /// other members, sorted.
    pub fn settle(&self) -> (String, Vec<String>) {
        let ok = wait_for(Duration::from_secs(90), || {
            let v: serde_json::Value =
                serde_json::from_slice(&self.patronictl(&["list", "pg-test", "-f", "json"]).stdout)
                    .ok()?;
            let rows = v.as_array()?;
            // Caught up: Patroni itself refuses a failover to a replica
            // beyond maximum_lag_on_failover.
            let lag = |m: &serde_json::Value| {
                ["Lag in MB", "Receive Lag", "Replay Lag"]
                    .iter()
                    .filter_map(|k| m.get(*k)?.as_i64())
                    .max()
                    .unwrap_or(0)
            };
            let healthy = rows.len() == 3
                && rows.iter().all(|m| {
                    matches!(m["State"].as_str(), Some("running" | "streaming"))
                        && m.get("TL").is_some()
                        && lag(m) == 0
                });
            // In synchronous mode, a switchover needs a sync standby: wait
            // until Patroni has named one again.
            let sync_ok = self.info.style != pgtui::lab::LabStyle::Autobase
                || rows.iter().any(|m| m["Role"] == "Sync Standby");
            let healthy = healthy && sync_ok;
            let leader = rows.iter().find(|m| m["Role"] == "Leader")?["Member"].as_str()?;
            let mut others: Vec<String> = rows
                .iter()
                .filter_map(|m| m["Member"].as_str().filter(|n| *n != leader))
                .map(String::from)
                .collect();
            others.sort();
            healthy.then(|| (leader.to_string(), others))
        });
        ok.expect("pg-test did not settle (3 members running, lag 0)")
    }

    /// pg-test's switchover candidates as patronictl lists them now: the
    /// synchronous standbys when the cluster runs in synchronous mode (the
    /// autobase lab: Patroni refuses any other target), else every member
    /// but the leader; by name.
    pub fn candidates(&self) -> Vec<String> {
        let out = self.patronictl(&["list", "pg-test", "-f", "json"]);
        let rows: Vec<serde_json::Value> =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                panic!(
                    "patronictl list: {e}: {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
        let named = |role: &dyn Fn(&str) -> bool| -> Vec<String> {
            let mut v: Vec<String> = rows
                .iter()
                .filter(|m| role(m["Role"].as_str().unwrap_or("")))
                .filter_map(|m| m["Member"].as_str().map(String::from))
                .collect();
            v.sort();
            v
        };
        let sync = named(&|r| r == "Sync Standby");
        if sync.is_empty() {
            named(&|r| r != "Leader")
        } else {
            sync
        }
    }

    /// Every etcd member's pid.
    pub fn etcd_pids(&self) -> Vec<i32> {
        self.info
            .etcd_endpoints
            .iter()
            .map(|e| self.etcd_pid(e))
            .collect()
    }
}

/// Polls `f` until it returns `Some` or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = std::time::Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if std::time::Instant::now() > end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
