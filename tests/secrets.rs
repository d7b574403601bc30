//! Credentials go only where they must (issue 9), without a lab:
//! listeners on 127.0.0.1 stand in for Patroni members, and etcd is a port
//! nothing listens on.

#[path = "support/http_tap.rs"]
mod http_tap;

use http_tap::HttpTap;
use pgtui::config::{RestConfig, Secret, TlsFiles};
use pgtui::dcs::KeyKind;
use pgtui::model::{Model, ModelHandle, SourceId};
use pgtui::ops::rest_call::{send, Request};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

fn rest_config(password: &str) -> RestConfig {
    RestConfig {
        username: Some("admin".into()),
        password: Some(Secret::new(password)),
        tls: TlsFiles::default(),
        insecure: false,
        timeout: Duration::from_secs(2),
        poll_interval: Duration::from_secs(2),
    }
}

/// A port on 127.0.0.1 that nothing listens on (bound, then let go).
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn polling_a_member_sends_no_credentials_and_an_operation_does() {
    let tap = HttpTap::start("127.0.0.1");
    let cfg = rest_config("poll-secret");
    let model = ModelHandle::new(Model::new("/service/"));
    let member = serde_json::json!({
        "api_url": format!("{}/patroni", tap.url()),
        "conn_url": "postgres://127.0.0.1:5432/postgres",
        "state": "running", "role": "replica",
    });
    model.update(|m| {
        m.cluster_mut("pg-x").dcs.apply(
            &KeyKind::Member("evil".into()),
            Some(member.to_string().as_bytes()),
            1,
            SourceId::Etcd,
            SystemTime::now(),
        )
    });
    let http = pgtui::sources::rest::client(&cfg).unwrap();
    pgtui::sources::rest::poll_once(&http, &cfg, &pgtui::sources::Scope::all(), &model).await;
    let heads = tap.heads();
    assert!(
        heads.iter().any(|h| h.starts_with("GET /patroni ")),
        "the member was polled: {heads:?}"
    );
    assert_eq!(
        tap.with_credentials(),
        Vec::<String>::new(),
        "a GET with credentials"
    );

    // The operation's request is the one place they go.
    let req = Request {
        method: "POST".into(),
        url: format!("{}/reload", tap.url()),
        body: None,
    };
    send(&http, &cfg, &req).await;
    let authorized = tap.with_credentials();
    assert_eq!(authorized.len(), 1, "{:?}", tap.heads());
    assert!(authorized[0].starts_with("POST /reload "), "{authorized:?}");
}

/// pgtui with a clean home (no files of this machine's user) and `env`.
fn pgtui(home: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pgtui"));
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("PGTUI_AUDIT_LOG", home.join("audit.jsonl"));
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run pgtui")
}

#[test]
fn the_rest_fallback_sends_no_credentials() {
    let home = tempfile::tempdir().unwrap();
    let tap = HttpTap::start("127.0.0.1");
    let yml = home.path().join("patroni.yml");
    std::fs::write(
        &yml,
        format!(
            "scope: pg-x\netcd3:\n  hosts: 127.0.0.1:{}\nrestapi:\n  connect_address: {}\n  authentication:\n    username: admin\n    password: fallback-secret\n",
            dead_port(),
            tap.addr
        ),
    )
    .unwrap();
    let out = pgtui(
        home.path(),
        &["-c", yml.to_str().unwrap(), "list"],
        &[("PGTUI_SETTINGS", "/dev/null".into())],
    );
    assert!(
        !tap.heads().is_empty(),
        "etcd down: pgtui asks the local member ({})",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(tap.with_credentials(), Vec::<String>::new());
}
