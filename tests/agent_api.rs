//! `pgtui agent` as a process: its token rule, its request log, what it
//! says on a node without pgBackRest. It runs the real
//! pgbackrest (through a wrapper that records each run) against an empty
//! repo; no lab is needed for these.

mod common;

#[path = "support/agent_proc.rs"]
mod agent_proc;
use agent_proc::*;
use std::process::Command;

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
