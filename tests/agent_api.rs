//! `pgtui agent` as a process: its token rule, its request log, what it
//! says on a node without pgBackRest. It runs the real
//! pgbackrest (through a wrapper that records each run) against an empty
//! repo; no lab is needed for these.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "agent-test-token-5b8f0c2e9d71a4";

struct Agent {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn patroni_yml(dir: &Path, archive_command: Option<&str>) -> PathBuf {
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
fn wrapper(dir: &Path) -> PathBuf {
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

fn start(dir: &Path, yml: &Path, extra: &[&str]) -> Agent {
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
fn runs(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("runs"))
        .unwrap_or_default()
        .lines()
        .filter(|l| *l != "version")
        .map(|l| format!("{l}\n"))
        .collect()
}

async fn call(
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

#[tokio::test]
async fn token_gates_every_endpoint_and_never_leaks() {
    let dir = tempfile::tempdir().unwrap();
    let yml = patroni_yml(dir.path(), Some("pgbackrest --stanza=pg-x archive-push %p"));
    let agent = start(dir.path(), &yml, &[]);
    let c = reqwest::Client::new();
    let mut bodies = String::new();
    for (m, path) in [
        (reqwest::Method::GET, "/v1/backups"),
        (reqwest::Method::POST, "/v1/check"),
        (reqwest::Method::GET, "/v1/status"),
    ] {
        for auth in [
            None,
            Some("Bearer wrong-token-0000000000"),
            Some(&format!("Bearer {TOKEN}x")[..]),
            Some(&format!("Basic {TOKEN}")[..]),
            Some(TOKEN),
        ] {
            let (code, body) = call(&c, m.clone(), format!("{}{path}", agent.url), auth).await;
            assert_eq!(code, 401, "{m} {path} with {auth:?}: {body}");
            bodies.push_str(&body);
        }
    }
    assert_eq!(runs(dir.path()), "", "a refused request ran pgbackrest");

    let ok = format!("Bearer {TOKEN}");
    let (code, body) = call(
        &c,
        reqwest::Method::GET,
        format!("{}/v1/status", agent.url),
        Some(&ok),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (
            v["member"].as_str(),
            v["cluster"].as_str(),
            v["stanza"].as_str()
        ),
        (Some("pg-x-1"), Some("pg-x"), Some("pg-x"))
    );
    assert!(
        v["pgbackrest_version"].as_str().unwrap().starts_with("2."),
        "{v}"
    );
    bodies.push_str(&body);

    let (code, body) = call(
        &c,
        reqwest::Method::GET,
        format!("{}/v1/backups", agent.url),
        Some(&ok),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["stanzas"][0]["status"]["code"], 1,
        "an empty repo: missing stanza path: {v}"
    );
    assert_eq!(
        v["raw"][0]["name"], "pg-x",
        "the raw info is passed through: {v}"
    );
    assert!(
        v["archiver_error"]
            .as_str()
            .unwrap()
            .contains("PostgreSQL at /nonexistent:1"),
        "{v}"
    );
    assert!(
        runs(dir.path()).contains("--stanza=pg-x --log-level-console=off"),
        "{}",
        runs(dir.path())
    );
    bodies.push_str(&body);

    let (code, body) = call(
        &c,
        reqwest::Method::GET,
        format!("{}/v2/nothing", agent.url),
        Some(&ok),
    )
    .await;
    assert_eq!(code, 404, "{body}");

    let log = std::fs::read_to_string(&agent.log).unwrap();
    assert!(
        log.contains("GET /v1/backups from 127.0.0.1:"),
        "every request is logged: {log}"
    );
    assert!(
        log.contains("-> 401") && log.contains("-> 200") && log.contains("-> 404"),
        "{log}"
    );
    for (what, text) in [
        ("the agent's log", &log),
        ("the answers", &bodies),
        ("the pgbackrest command lines", &runs(dir.path())),
    ] {
        assert!(
            !text.contains(TOKEN),
            "the token leaked into {what}: {text}"
        );
    }
}

#[tokio::test]
async fn a_node_without_pgbackrest_says_so_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let yml = patroni_yml(dir.path(), None);
    let agent = start(dir.path(), &yml, &[]);
    let c = reqwest::Client::new();
    let (code, body) = call(
        &c,
        reqwest::Method::GET,
        format!("{}/v1/backups", agent.url),
        Some(&format!("Bearer {TOKEN}")),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["configured"], false, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("pgBackRest is not configured on this node"),
        "{v}"
    );
    assert_eq!(runs(dir.path()), "");
}

#[test]
fn refuses_to_run_open_or_with_a_short_token() {
    let dir = tempfile::tempdir().unwrap();
    let yml = patroni_yml(dir.path(), None);
    let out = Command::new(common::bin())
        .args(["agent", "-c"])
        .arg(&yml)
        .env_remove("PGTUI_AGENT_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no token: pass --token-file FILE or set PGTUI_AGENT_TOKEN"),
        "{err}"
    );
    let out = Command::new(common::bin())
        .args(["agent", "-c"])
        .arg(&yml)
        .env("PGTUI_AGENT_TOKEN", "short")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("shorter than 16"),
        "{}",
        common::output_text(&out)
    );
    let out = Command::new(common::bin())
        .args(["agent", "-c", "/nonexistent/patroni.yml"])
        .env("PGTUI_AGENT_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("/nonexistent/patroni.yml"),
        "{}",
        common::output_text(&out)
    );
}
