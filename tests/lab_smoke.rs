//! Smoke test of the lab, end to end through the binary, the way test suites
//! use it: spawn `pgtui lab up --stdin-guard`, read the one-line LabInfo,
//! check the clusters with patronictl and the backups with pgbackrest, then
//! close stdin and check that everything is gone.
//!
//! A lab that cannot start fails this test loudly (it is never skipped):
//! the runner's error (component + log tail) is on the inherited stderr.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pgtui::lab::LabInfo;
use serde_json::Value;

/// Owns the runner; closing its stdin (also on panic) makes it tear down.
struct Runner {
    child: Child,
}

impl Runner {
    /// Closes stdin and waits for the runner to exit.
    fn finish(&mut self, within: Duration) -> std::process::ExitStatus {
        drop(self.child.stdin.take());
        let until = Instant::now() + within;
        loop {
            if let Some(st) = self.child.try_wait().expect("waiting for the lab runner") {
                return st;
            }
            if Instant::now() >= until {
                let _ = self.child.kill();
                panic!("lab runner did not exit within {within:?} after stdin was closed");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.finish(Duration::from_secs(120));
        }
    }
}

/// A command for lab tools: no proxy variables, and as `postgres` when root
/// (pgbackrest must not create root-owned files in the repo).
fn tool(program: &Path, as_lab_user: bool) -> Command {
    let mut cmd = Command::new(program);
    for v in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        cmd.env_remove(v);
    }
    if as_lab_user && nix::unistd::geteuid().is_root() {
        let u = nix::unistd::User::from_name("postgres")
            .unwrap()
            .expect("postgres user");
        cmd.uid(u.uid.as_raw())
            .gid(u.gid.as_raw())
            .current_dir("/")
            .env("HOME", u.dir);
    }
    cmd
}

fn json_of(cmd: &mut Command, what: &str) -> Value {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn patronictl_list(info: &LabInfo, cluster: &str) -> Vec<Value> {
    let mut cmd = tool(&info.patronictl, false);
    cmd.arg("-c")
        .arg(&info.patronictl_config)
        .args(["list", cluster, "-f", "json"]);
    json_of(&mut cmd, &format!("patronictl list {cluster}"))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Processes with the lab dir in their command line or working dir.
fn survivors(dir: &Path) -> Vec<String> {
    let needle = dir.display().to_string();
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = e.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) || pid == me {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok();
        if cmdline.contains(&needle) || cwd.is_some_and(|c| c.starts_with(dir)) {
            found.push(format!("{pid}: {cmdline}"));
        }
    }
    found
}

#[test]
fn lab_up_is_ready_and_tears_down() {
    let tmp = tempfile::Builder::new()
        .prefix("pgtui-lab-smoke-")
        .tempdir_in("/tmp")
        .unwrap();
    let dir = tmp.path().to_path_buf();
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_pgtui"))
        .args(["lab", "up", "--stdin-guard", "--index", "3", "--dir"])
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawning pgtui lab up");
    let mut runner = Runner { child };

    let mut line = String::new();
    BufReader::new(runner.child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("reading the ready line");
    if line.trim().is_empty() {
        let st = runner.finish(Duration::from_secs(120));
        panic!("lab did not start ({st}); its error is on stderr above");
    }
    eprintln!("lab ready after {:.1} s", started.elapsed().as_secs_f64());
    let info: LabInfo = serde_json::from_str(&line).expect("ready line is a LabInfo");
    assert_eq!(info.index, 3);
    assert_eq!(info.dir, dir);
    assert_eq!(info.namespace, "/pg/");
    assert_eq!(
        info.etcd_endpoints,
        ["127.0.3.1:2379", "127.0.3.1:22379", "127.0.3.1:32379"]
    );

    let test = patronictl_list(&info, "pg-test");
    let role = |m: &Value| m["Role"].as_str().unwrap_or("").to_string();
    let leaders = test.iter().filter(|m| role(m) == "Leader").count();
    let replicas: Vec<&Value> = test.iter().filter(|m| role(m) == "Replica").collect();
    assert_eq!(leaders, 1, "pg-test must have one leader: {test:?}");
    assert_eq!(
        replicas.len(),
        2,
        "pg-test must have two replicas: {test:?}"
    );
    for r in &replicas {
        assert!(
            matches!(r["State"].as_str(), Some("running" | "streaming")),
            "replica not streaming: {r}"
        );
    }
    let meta = patronictl_list(&info, "pg-meta");
    assert_eq!(
        meta.iter().filter(|m| role(m) == "Leader").count(),
        1,
        "pg-meta must have a leader: {meta:?}"
    );

    let conf = &info.pgbackrest_configs["pg-test-1"];
    let mut cmd = tool(Path::new("/usr/bin/pgbackrest"), true);
    cmd.arg(format!("--config={}", conf.display())).args([
        "--log-level-console=off",
        "--log-level-stderr=off",
        "--output=json",
        "info",
    ]);
    let backups = json_of(&mut cmd, "pgbackrest info");
    for stanza in ["pg-test", "pg-meta"] {
        let s = backups
            .as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == stanza))
            .unwrap_or_else(|| panic!("stanza {stanza} missing: {backups}"));
        let full = s["backup"]
            .as_array()
            .is_some_and(|b| b.iter().any(|b| b["type"] == "full"));
        assert!(full, "no full backup of {stanza}: {s}");
    }

    let st = runner.finish(Duration::from_secs(120));
    assert!(st.success(), "lab runner exited with {st}");
    assert!(
        !dir.exists(),
        "lab dir {} still exists after teardown",
        dir.display()
    );
    let left = survivors(&dir);
    assert!(left.is_empty(), "processes of the lab survived: {left:#?}");
}
