//! `pgtui agent` as a child process on a free loopback port, for the
//! tests that need no lab (`agent_api`, `agent_logs`).

#![allow(dead_code)]

use super::common;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "agent-test-token-5b8f0c2e9d71a4";

pub struct Agent {
    pub child: Child,
    pub url: String,
    pub log: PathBuf,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn patroni_yml(dir: &Path, archive_command: Option<&str>) -> PathBuf {
    let mut y = String::from(
        "scope: pg-x\nname: pg-x-1\nnamespace: /service/\nrestapi:\n  listen: 127.0.0.1:8008\n  connect_address: 127.0.0.1:8008\npostgresql:\n  data_dir: /nonexistent/data\n  listen: 127.0.0.1:1\n  parameters:\n    unix_socket_directories: /nonexistent\n",
    );
    if let Some(c) = archive_command {
        y.push_str(&format!("bootstrap:\n  dcs:\n    postgresql:\n      parameters:\n        archive_command: \"{c}\"\n"));
    }
    let p = dir.join(if archive_command.is_some() {
        "patroni.yml"
    } else {
        "bare.yml"
    });
    std::fs::write(&p, y).unwrap();
    p
}

/// A pgbackrest that notes each run in `runs`, then runs the real one.
pub fn wrapper(dir: &Path) -> PathBuf {
    let p = dir.join("pgbackrest-wrapper");
    let runs = dir.join("runs");
    std::fs::write(
        &p,
        format!(
            "#!/bin/sh\necho \"$@\" >> {}\nexec pgbackrest \"$@\"\n",
            runs.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

pub fn start(dir: &Path, yml: &Path, extra: &[&str]) -> Agent {
    let port = free_port();
    let log = dir.join(format!("agent-{port}.log"));
    let child = Command::new(common::bin())
        .args(["agent", "-c"])
        .arg(yml)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--pgbackrest"])
        .arg(wrapper(dir))
        .args(extra)
        .env("PGTUI_AGENT_TOKEN", TOKEN)
        .env("PGBACKREST_REPO1_PATH", dir.join("repo"))
        .env("PGBACKREST_LOCK_PATH", dir.join("lock"))
        .env("PGBACKREST_LOG_PATH", dir.join("pblog"))
        .env("PGBACKREST_CONFIG", "/dev/null")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the agent did not listen: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let scheme = if extra.contains(&"--cert") {
        "https"
    } else {
        "http"
    };
    Agent {
        child,
        url: format!("{scheme}://127.0.0.1:{port}"),
        log,
    }
}

/// The pgbackrest runs, less the `version` the agent asks once at start
/// for its registration.
pub fn runs(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("runs"))
        .unwrap_or_default()
        .lines()
        .filter(|l| *l != "version")
        .map(|l| format!("{l}\n"))
        .collect()
}

pub async fn call(
    c: &reqwest::Client,
    m: reqwest::Method,
    url: String,
    auth: Option<&str>,
) -> (u16, String) {
    let mut r = c.request(m, url);
    if let Some(a) = auth {
        r = r.header("Authorization", a);
    }
    let resp = r.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}
