//! Credentials go only where they must (issue 9).
//!
//! Anyone who can write a member key can name any address as its
//! `api_url`. With REST authentication on (this lab), a listener planted
//! that way must see pgtui's GETs without credentials, while the
//! operation's POST reaches the real leader with them (Patroni refuses it
//! otherwise, which the test shows too). A password in `--dcs-url` /
//! `PGTUI_DCS_URL` is etcd's password, and it is shown nowhere.

#[path = "../support/http_tap.rs"]
mod http_tap;

use crate::common::{bin, SharedLab};
use http_tap::HttpTap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::output_text as text;

/// pgtui with the lab's patronictl.yaml (when `config`), no settings file,
/// its own audit log and `env`.
fn pgtui(lab: &SharedLab, config: bool, env: &[(&str, String)], args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    if config {
        c.arg("-c").arg(&lab.info.patronictl_config);
    }
    c.args(args)
        .env("PGTUI_SETTINGS", "/dev/null")
        .env("PGTUI_AUDIT_LOG", audit_log(lab))
        .env_remove("PGTUI_CLUSTER")
        .env_remove("PGTUI_DCS_URL");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn audit_log(lab: &SharedLab) -> PathBuf {
    std::env::temp_dir().join(format!(
        "pgtui-credentials-audit-{}-{}.jsonl",
        lab.info.index,
        std::process::id()
    ))
}

/// A member key planted in pg-test, deleted however the test ends.
struct Planted<'a> {
    lab: &'a SharedLab,
    key: String,
}

impl<'a> Planted<'a> {
    fn member(lab: &'a SharedLab, name: &str, api_url: &str) -> Planted<'a> {
        let key = format!("{}pg-test/members/{name}", lab.info.namespace);
        let value = serde_json::json!({
            "conn_url": format!("postgres://{}/postgres", api_url.trim_start_matches("http://")),
            "api_url": format!("{api_url}/patroni"),
            "state": "running",
            "role": "replica",
            "version": "4.1.5",
        });
        let out = lab.etcdctl(&["put", &key, &value.to_string()]);
        assert!(out.status.success(), "planting {key}: {}", text(&out));
        Planted { lab, key }
    }
}

impl Drop for Planted<'_> {
    fn drop(&mut self) {
        let _ = self.lab.etcdctl(&["del", &self.key]);
    }
}

/// What pgtui sent the tap (Patroni's own requests, if any, name
/// themselves in their User-Agent; pgtui's do not).
fn from_pgtui(heads: Vec<String>) -> Vec<String> {
    heads
        .into_iter()
        .filter(|h| {
            !h.lines().any(|l| {
                let l = l.to_ascii_lowercase();
                l.starts_with("user-agent:") && l.contains("patroni")
            })
        })
        .collect()
}

/// Where each member's Patroni log ends now.
fn log_marks(lab: &SharedLab) -> Vec<(String, PathBuf, usize)> {
    lab.info.clusters[0]
        .members
        .iter()
        .map(|m| {
            let p = lab
                .info
                .dir
                .join("log")
                .join(format!("patroni-{}.log", m.name));
            let len = std::fs::metadata(&p).map(|m| m.len() as usize).unwrap_or(0);
            (m.name.clone(), p, len)
        })
        .collect()
}

/// The members whose Patroni logged a request line containing `needle`
/// since `marks`.
fn logged(marks: &[(String, PathBuf, usize)], needle: &str) -> Vec<String> {
    marks
        .iter()
        .filter(|(_, p, from)| {
            let bytes = std::fs::read(p).unwrap_or_default();
            String::from_utf8_lossy(&bytes[(*from).min(bytes.len())..])
                .lines()
                .any(|l| l.contains("API thread:") && l.contains(needle))
        })
        .map(|(n, _, _)| n.clone())
        .collect()
}

#[test]
fn rest_credentials_go_only_with_the_operation_to_its_member() {
    let lab = crate::lab();
    let _x = lab.lock();
    assert_eq!(lab.info.clusters[0].name, "pg-test");
    let (leader, _) = lab.settle();
    let candidate = lab.candidates()[0].clone();
    let tap = HttpTap::start(&format!("127.0.{}.99", lab.info.index));
    let planted = Planted::member(lab, "pg-test-tap", &tap.url());

    // Every read-only command, and the live list while it polls.
    for args in [
        &["list", "pg-test"][..],
        &["list", "pg-test", "-f", "json"],
        &["version", "pg-test"],
        &["topology", "pg-test"],
        &["history", "pg-test"],
        &["show-config", "pg-test"],
    ] {
        let out = pgtui(lab, true, &[], args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    let mut watch = pgtui(lab, true, &[], &["list", "pg-test", "--watch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(5));
    let _ = watch.kill();
    let _ = watch.wait();
    let reads = from_pgtui(tap.heads());
    assert!(
        reads.len() >= 3 && reads.iter().all(|h| h.starts_with("GET /patroni ")),
        "pgtui polls the planted member: {reads:?}"
    );
    assert_eq!(
        from_pgtui(tap.with_credentials()),
        Vec::<String>::new(),
        "credentials sent with a GET to an address a member key named"
    );

    // Patroni refuses an operation without the right credentials...
    let wrong = [("PATRONI_RESTAPI_PASSWORD", "not-the-password".to_string())];
    let out = pgtui(
        lab,
        true,
        &wrong,
        &["reload", "pg-test", &candidate, "--yes", "-f", "json"],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("401"),
        "{}",
        text(&out)
    );

    // ...so a switchover that is verified went to the leader with them.
    let marks = log_marks(lab);
    let out = pgtui(
        lab,
        true,
        &[],
        &[
            "switchover",
            "pg-test",
            "--candidate",
            &candidate,
            "--yes",
            "-f",
            "json",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["outcome"], "verified", "{report}");
    assert_eq!(
        logged(&marks, "\"POST /switchover"),
        std::slice::from_ref(&leader)
    );
    let after = from_pgtui(tap.heads());
    assert!(
        after.iter().all(|h| h.starts_with("GET ")),
        "only GETs reach the planted member: {after:?}"
    );
    assert_eq!(from_pgtui(tap.with_credentials()), Vec::<String>::new());

    let audit = std::fs::read_to_string(audit_log(lab)).unwrap_or_default();
    assert!(audit.contains(&candidate), "the audit log: {audit}");
    for secret in [
        &lab.info.rest_password,
        lab.info.etcd_password.as_ref().unwrap(),
    ] {
        assert!(
            !audit.contains(secret.as_str()),
            "a password in the audit log"
        );
    }
    drop(planted);
    lab.settle();
}

/// `etcd3://USER:PASSWORD@HOSTS/NAMESPACE` with the lab's CA.
fn url_env(lab: &SharedLab, password: &str) -> Vec<(&'static str, String)> {
    let user = lab.info.etcd_user.clone().expect("an etcd user");
    let mut env = vec![(
        "PGTUI_DCS_URL",
        format!(
            "etcd3://{user}:{password}@{}{}",
            lab.info.etcd_endpoints.join(","),
            lab.info.namespace.trim_end_matches('/')
        ),
    )];
    env.push(("PATRONI_ETCD3_PROTOCOL", lab.info.etcd_scheme.clone()));
    if let Some(ca) = &lab.info.ca_file {
        env.push(("PATRONI_ETCD3_CACERT", ca.display().to_string()));
    }
    env
}

#[test]
fn a_password_in_the_dcs_url_is_used_for_etcd_and_shown_nowhere() {
    let lab = crate::lab();
    let good = url_env(lab, lab.info.etcd_password.as_deref().unwrap());
    let out = pgtui(lab, false, &good, &["list", "pg-test", "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let seen = text(&out);
    assert!(seen.contains("\"pg-test\""), "{seen}");
    assert!(
        !seen.contains(lab.info.etcd_password.as_deref().unwrap()),
        "{seen}"
    );

    let canary = format!("cnryDcsUrl{}Zq", std::process::id());
    let wrong = url_env(lab, &canary);
    let out = pgtui(lab, false, &wrong, &["list", "pg-test"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "wrong etcd password: {}",
        text(&out)
    );
    for args in [
        &["list", "pg-test"][..],
        &["list", "pg-test", "-f", "json"],
        &["history", "pg-test"],
        &["reload", "pg-test", "pg-test-1", "--yes"],
        &["--help"],
        &["list", "--help"],
        &["switchover", "--help"],
    ] {
        let out = pgtui(lab, false, &wrong, args).output().unwrap();
        assert!(!text(&out).contains(&canary), "{args:?}: {}", text(&out));
    }
}
