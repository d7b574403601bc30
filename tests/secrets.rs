//! Credentials go only where they must, and no secret is ever echoed
//! (issue 9), without a lab: listeners on 127.0.0.1 stand in for Patroni
//! members, and etcd is a port nothing listens on.
//!
//! The canary test gives a distinct password in every place and shape pgtui
//! reads one from (patroni.yml sections, the settings file, URLs, the
//! environment, the right shape and the wrong one) and runs the real binary
//! through its error paths and every `--help`: no canary may appear in
//! stdout, stderr or the audit log.

#[path = "support/http_tap.rs"]
mod http_tap;

use http_tap::HttpTap;
use pgtui::config::{RestConfig, Secret, TlsFiles};
use pgtui::dcs::KeyKind;
use pgtui::model::{Model, ModelHandle, SourceId};
use pgtui::ops::rest_call::{send, Request};
use std::path::{Path, PathBuf};
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
    let scope = pgtui::sources::Scope::all_with_rest();
    let lane = pgtui::sources::Lane::Rest;
    pgtui::sources::rest::poll_once(&http, &cfg, &scope, lane, &model).await;
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

/// One place a password can be given, and the shape it is given in.
struct Case {
    name: &'static str,
    yml: Option<String>,
    toml: Option<String>,
    env: Vec<(&'static str, String)>,
}

fn canary(name: &str) -> String {
    format!(
        "cnry{}{}Zq",
        name.replace(['-', '.', '_'], ""),
        std::process::id()
    )
}

fn cases(etcd: &str) -> Vec<Case> {
    let yml = |name: &'static str, body: String| Case {
        name,
        yml: Some(format!("scope: pg-x\n{body}")),
        toml: None,
        env: vec![],
    };
    let toml = |name: &'static str, body: String| Case {
        name,
        yml: None,
        toml: Some(body),
        env: vec![],
    };
    let env = |name: &'static str, k: &'static str, v: String| Case {
        name,
        yml: None,
        toml: None,
        env: vec![(k, v)],
    };
    let c = canary;
    let hosts = format!("etcd3:\n  hosts: {etcd}\n");
    vec![
        // The right shapes.
        yml("ctl-auth", format!("{hosts}ctl:\n  authentication:\n    username: u\n    password: {}\n  keyfile_password: {}\n", c("ctl-auth"), c("ctl-auth"))),
        yml("restapi-auth", format!("{hosts}restapi:\n  authentication:\n    username: u\n    password: {}\n", c("restapi-auth"))),
        yml("etcd3-password", format!("{hosts}  username: root\n  password: {}\n", c("etcd3-password"))),
        yml("etcd-password", format!("etcd:\n  host: {etcd}\n  username: root\n  password: {}\n", c("etcd-password"))),
        yml("pg-superuser", format!("{hosts}postgresql:\n  authentication:\n    superuser:\n      username: postgres\n      password: {}\n", c("pg-superuser"))),
        // The wrong shapes.
        yml("restapi-auth-string", format!("{hosts}restapi:\n  authentication: \"u:{}\"\n", c("restapi-auth-string"))),
        yml("ctl-auth-string", format!("{hosts}ctl:\n  authentication: u:{}\n", c("ctl-auth-string"))),
        yml("ctl-auth-number", format!("{hosts}ctl:\n  authentication: 9{}\n", std::process::id())),
        yml("etcd3-string", format!("etcd3: \"https://root:{}@{etcd}\"\n", c("etcd3-string"))),
        yml("etcd3-password-list", format!("{hosts}  username: root\n  password: [{}]\n", c("etcd3-password-list"))),
        yml("etcd3-password-map", format!("{hosts}  username: root\n  password: {{p: {}}}\n", c("etcd3-password-map"))),
        yml("etcd3-url", format!("etcd3:\n  url: https://root:{}@{etcd}\n", c("etcd3-url"))),
        yml("etcd3-hosts-userinfo", format!("etcd3:\n  hosts: [\"root:{}@{etcd}\"]\n", c("etcd3-hosts-userinfo"))),
        yml("etcd3-host-userinfo", format!("etcd3:\n  host: root:{}@{etcd}\n", c("etcd3-host-userinfo"))),
        yml("etcd3-bad-port", format!("etcd3:\n  hosts: 127.0.0.1:{}\n", c("etcd3-bad-port"))),
        yml("superuser-string", format!("{hosts}postgresql:\n  authentication:\n    superuser: postgres:{}\n", c("superuser-string"))),
        yml("pg-auth-string", format!("{hosts}postgresql:\n  authentication: {}\n", c("pg-auth-string"))),
        yml("insecure-string", format!("{hosts}ctl:\n  insecure: {}\n", c("insecure-string"))),
        yml("yaml-syntax", format!("{hosts}ctl:\n  authentication:\n    password: \"{}\\q\"\n", c("yaml-syntax"))),
        // pgtui's settings file.
        toml("sql-password", format!("[sql]\nuser = \"m\"\npassword = \"{}\"\n", c("sql-password"))),
        toml("haproxy-password", format!("[haproxy.pg-x]\nstats_urls = [\"http://127.0.0.1:{}/\"]\nuser = \"a\"\npassword = \"{}\"\n", dead_port(), c("haproxy-password"))),
        toml("sql-password-list", format!("[sql]\nuser = \"m\"\npassword = [\"{}\"]\n", c("sql-password-list"))),
        toml("sql-timeout-string", format!("[sql]\nconnect_timeout_ms = \"{}\"\n", c("sql-timeout-string"))),
        toml("sql-password-bare", format!("[sql]\npassword = {}\n", c("sql-password-bare"))),
        toml("sql-string", format!("sql = \"{}\"\n", c("sql-string"))),
        toml("stats-url-userinfo", format!("[haproxy.pg-x]\nstats_urls = [\"http://a:{}@127.0.0.1:9/\"]\n", c("stats-url-userinfo"))),
        toml("stats-urls-string", format!("[haproxy.pg-x]\nstats_urls = \"http://a:{}@127.0.0.1:9/\"\n", c("stats-urls-string"))),
        toml("theme-map", format!("theme = {{ p = \"{}\" }}\n", c("theme-map"))),
        // The environment.
        env("dcs-url", "PGTUI_DCS_URL", format!("etcd3://root:{}@{etcd}/pg", c("dcs-url"))),
        env("dcs-url-user-only", "PGTUI_DCS_URL", format!("etcd3://{}@{etcd}/pg", c("dcs-url-user-only"))),
        env("dcs-url-no-port", "PGTUI_DCS_URL", format!("etcd3://root:{}@127.0.0.1/pg", c("dcs-url-no-port"))),
        env("dcs-url-no-scheme", "PGTUI_DCS_URL", format!("etcd3//root:{}@{etcd}/pg", c("dcs-url-no-scheme"))),
        env("dcs-url-no-at", "PGTUI_DCS_URL", format!("etcd3://root:{}:{etcd}/pg", c("dcs-url-no-at"))),
        env("dcs-url-consul", "PGTUI_DCS_URL", format!("consul://root:{}@{etcd}/pg", c("dcs-url-consul"))),
        env("etcd3-hosts-env", "PATRONI_ETCD3_HOSTS", format!("root:{}@{etcd}", c("etcd3-hosts-env"))),
        Case {
            name: "etcd3-password-env",
            yml: None,
            toml: None,
            env: vec![
                ("PATRONI_ETCD3_USERNAME", "root".into()),
                ("PATRONI_ETCD3_PASSWORD", c("etcd3-password-env")),
            ],
        },
        Case {
            name: "restapi-password-env",
            yml: None,
            toml: None,
            env: vec![
                ("PATRONI_RESTAPI_USERNAME", "u".into()),
                ("PATRONI_RESTAPI_PASSWORD", c("restapi-password-env")),
            ],
        },
        Case {
            name: "sql-password-env",
            yml: None,
            toml: None,
            env: vec![
                ("PGTUI_SQL_USER", "m".into()),
                ("PGTUI_SQL_PASSWORD", c("sql-password-env")),
            ],
        },
    ]
}

/// Every subcommand's `--help`, and the commands that reach etcd (down).
fn runs() -> Vec<Vec<&'static str>> {
    let mut v: Vec<Vec<&str>> = [
        "list",
        "history",
        "topology",
        "show-config",
        "version",
        "dsn",
        "switchover",
        "failover",
        "restart",
        "reload",
        "reinit",
        "pause",
        "resume",
        "flush",
        "audit",
        "demo",
        "lab",
        "completions",
        "man",
    ]
    .iter()
    .map(|c| vec![*c, "--help"])
    .collect();
    v.extend([
        vec!["--help"],
        vec!["man"],
        vec!["list"],
        vec!["list", "pg-x", "-f", "json"],
        vec!["history", "pg-x"],
        vec!["version", "pg-x"],
        vec![
            "switchover",
            "pg-x",
            "--candidate",
            "m2",
            "--yes",
            "-f",
            "json",
        ],
        vec!["reload", "pg-x", "m1", "--yes", "--dry-run"],
        vec!["audit"],
    ]);
    v
}

#[test]
fn canary_passwords_appear_in_no_output() {
    let etcd = format!("127.0.0.1:{}", dead_port());
    let home = tempfile::tempdir().unwrap();
    let all = cases(&etcd);
    let canaries: Vec<String> = all
        .iter()
        .map(|c| canary(c.name))
        .chain([format!("9{}", std::process::id())])
        .collect();
    let mut leaks = Vec::new();
    let mut exits = Vec::new();
    for case in &all {
        let mut env = case.env.clone();
        let mut args: Vec<String> = vec![];
        match &case.yml {
            Some(y) => {
                let p = home.path().join(format!("{}.yml", case.name));
                std::fs::write(&p, y).unwrap();
                args.extend(["-c".into(), p.display().to_string()]);
            }
            None if !env
                .iter()
                .any(|(k, _)| k.contains("ETCD3_HOSTS") || *k == "PGTUI_DCS_URL") =>
            {
                env.push(("PATRONI_ETCD3_HOSTS", etcd.clone()));
            }
            None => {}
        }
        let settings = match &case.toml {
            Some(t) => {
                let p = home.path().join(format!("{}.toml", case.name));
                std::fs::write(&p, t).unwrap();
                p
            }
            None => PathBuf::from("/dev/null"),
        };
        env.push(("PGTUI_SETTINGS", settings.display().to_string()));
        for run in runs() {
            let argv: Vec<&str> = args
                .iter()
                .map(String::as_str)
                .chain(run.iter().copied())
                .collect();
            let out = pgtui(home.path(), &argv, &env);
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            for c in canaries.iter().filter(|c| text.contains(c.as_str())) {
                leaks.push(format!("{} / {run:?}: {c} in:\n{text}", case.name));
            }
            if run.len() == 1 && run[0] == "list" {
                exits.push((case.name, out.status.code(), text));
            }
        }
    }
    let audit = std::fs::read_to_string(home.path().join("audit.jsonl")).unwrap_or_default();
    leaks.extend(
        canaries
            .iter()
            .filter(|c| audit.contains(c.as_str()))
            .map(|c| format!("audit log: {c}")),
    );
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n\n")
    );
    // Every case reached an error path of its own: a wrong shape or a URL
    // with credentials is a usage error (2), the rest find etcd down (4).
    for (name, code, text) in &exits {
        assert!(
            matches!(code, Some(2) | Some(4)),
            "{name}: exit {code:?}: {text}"
        );
        assert!(
            !text.contains("{ ") && !text.contains("Some("),
            "{name}: a Debug dump: {text}"
        );
    }
}
