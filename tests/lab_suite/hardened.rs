//! Proofs on the hardened (autobase-style) lab: etcd with TLS, auth, and a
//! Patroni role confined to `/service/`. Each failure of etcd gets its own
//! message and exit code; one frozen etcd member is not etcd down; pgtui's
//! own keys work under the confined role and leave Patroni and patronictl
//! alone.

#![allow(dead_code)]

use super::tmux::Tmux;
use crate::common::SharedLab;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::output_text as text;

/// pgtui with the lab's patronictl.yaml and extra environment.
fn pgtui_env(lab: &SharedLab, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(crate::common::bin());
    c.arg("-c")
        .arg(&lab.info.patronictl_config)
        .args(args)
        .env("PGTUI_SETTINGS", "/dev/null")
        .env_remove("PGTUI_CLUSTER");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run pgtui")
}

fn no_dumps(o: &Output) {
    let err = String::from_utf8_lossy(&o.stderr);
    for bad in [
        "MetadataMap",
        "metadata:",
        "Status {",
        "grpc request error",
        "content-type",
    ] {
        assert!(
            !err.contains(bad),
            "a Debug dump or gRPC metadata in: {err}"
        );
    }
}

fn etcdctl_ok(lab: &SharedLab, args: &[&str]) {
    let out = lab.etcdctl(args);
    assert!(out.status.success(), "etcdctl {args:?}: {}", text(&out));
}

fn signal(pids: &[i32], sig: Signal) {
    for p in pids {
        let _ = kill(Pid::from_raw(*p), sig);
    }
}

/// Wrong password, a role that may not read the namespace, nothing
/// listening, and a frozen etcd: four messages, four exit codes.
pub fn etcd_failures_each_have_their_own_message_and_code(lab: &SharedLab) {
    let list = ["list", "pg-test"];
    let wrong = pgtui_env(
        lab,
        &[("PATRONI_ETCD3_PASSWORD", "not-the-password")],
        &list,
    );
    assert_eq!(wrong.status.code(), Some(5), "{}", text(&wrong));
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("rejected the credentials"),
        "{}",
        text(&wrong)
    );
    no_dumps(&wrong);
    assert!(!String::from_utf8_lossy(&wrong.stderr).contains("not-the-password"));

    // A user whose role may read only another prefix.
    let _ = lab.etcdctl(&["user", "delete", "pgtui-noread"]);
    let _ = lab.etcdctl(&["role", "delete", "pgtui-noread"]);
    etcdctl_ok(lab, &["role", "add", "pgtui-noread"]);
    etcdctl_ok(
        lab,
        &[
            "role",
            "grant-permission",
            "pgtui-noread",
            "--prefix=true",
            "read",
            "/elsewhere/",
        ],
    );
    etcdctl_ok(
        lab,
        &[
            "user",
            "add",
            "pgtui-noread:noread-pw",
            "--interactive=false",
        ],
    );
    etcdctl_ok(lab, &["user", "grant-role", "pgtui-noread", "pgtui-noread"]);
    let denied = pgtui_env(
        lab,
        &[
            ("PATRONI_ETCD3_USERNAME", "pgtui-noread"),
            ("PATRONI_ETCD3_PASSWORD", "noread-pw"),
        ],
        &list,
    );
    assert_eq!(denied.status.code(), Some(10), "{}", text(&denied));
    let err = String::from_utf8_lossy(&denied.stderr);
    assert!(
        err.contains("may not read /service/")
            && err.contains("grant-permission ROLE --prefix=true read /service/"),
        "the refusal names the range and the grant: {err}"
    );
    no_dumps(&denied);

    // Nothing listens there (on the lab's own address).
    let host = lab.info.etcd_endpoints[0]
        .rsplit_once(':')
        .unwrap()
        .0
        .to_string();
    let down = pgtui_env(lab, &[("PATRONI_ETCD3_HOSTS", &format!("{host}:1"))], &list);
    assert_eq!(down.status.code(), Some(4), "{}", text(&down));
    assert!(
        String::from_utf8_lossy(&down.stderr).contains("cannot reach etcd"),
        "{}",
        text(&down)
    );
    no_dumps(&down);

    // Every member frozen: connected, no answer. With a node's patroni.yml
    // pgtui falls back to that node's REST API, and says the answer is stale.
    let _x = lab.lock();
    let node_yaml = lab.info.dir.join("conf/patroni-pg-test-1.yml");
    let pids = lab.etcd_pids();
    let node = |args: &[&str]| {
        Command::new(crate::common::bin())
            .arg("-c")
            .arg(&node_yaml)
            .args(args)
            .env("PGTUI_SETTINGS", "/dev/null")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // `list --watch` says when it goes stale and when it is live again.
    let mut watch = Command::new(crate::common::bin())
        .arg("-c")
        .arg(&lab.info.patronictl_config)
        .args(["list", "pg-test", "-f", "json", "--watch"])
        .env("PGTUI_SETTINGS", "/dev/null")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    let out = watch.stdout.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for l in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&l) {
                let _ = tx.send(v["clusters"][0]["stale"].clone());
            }
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("first line of list --watch");
    assert_eq!(first, Value::Bool(false), "list --watch starts live");
    let seen = |want: bool, within: Duration| {
        let end = Instant::now() + within;
        while Instant::now() < end {
            if let Ok(v) = rx.recv_timeout(Duration::from_millis(200)) {
                if v == Value::Bool(want) {
                    return true;
                }
            }
        }
        false
    };
    // All at once, so etcd stays frozen for as short a time as may be.
    signal(&pids, Signal::SIGSTOP);
    let frozen = std::thread::spawn({
        let cfg = lab.info.patronictl_config.clone();
        move || {
            Command::new(crate::common::bin())
                .arg("-c")
                .arg(cfg)
                .args(["list", "pg-test"])
                .env("PGTUI_SETTINGS", "/dev/null")
                .output()
                .unwrap()
        }
    });
    let (f, h, c) = (
        node(&["list", "-f", "json"]),
        node(&["history"]),
        node(&["show-config"]),
    );
    let (fallback, history, config) = (
        f.wait_with_output().unwrap(),
        h.wait_with_output().unwrap(),
        c.wait_with_output().unwrap(),
    );
    let frozen = frozen.join().unwrap();
    let went_stale = seen(true, Duration::from_secs(2));
    signal(&pids, Signal::SIGCONT);
    let came_back = seen(false, Duration::from_secs(30));
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(
        went_stale,
        "list --watch printed no line with \"stale\": true while etcd was frozen"
    );
    assert!(
        came_back,
        "list --watch printed no line with \"stale\": false after etcd resumed"
    );
    assert_eq!(frozen.status.code(), Some(11), "{}", text(&frozen));
    assert!(
        String::from_utf8_lossy(&frozen.stderr).contains("did not answer"),
        "{}",
        text(&frozen)
    );
    no_dumps(&frozen);
    assert_eq!(fallback.status.code(), Some(12), "{}", text(&fallback));
    let v: Value = serde_json::from_slice(&fallback.stdout).expect("fallback JSON");
    assert_eq!(v["clusters"][0]["stale"], Value::Bool(true), "{v}");
    assert_eq!(
        v["clusters"][0]["sources"]["etcd"]["live"],
        Value::Bool(false),
        "{v}"
    );
    for (what, o) in [("history", &history), ("show-config", &config)] {
        assert!(!o.status.success(), "{what} with etcd frozen: {}", text(o));
        assert!(
            o.stdout.is_empty() || String::from_utf8_lossy(&o.stdout).trim().is_empty(),
            "{what} printed an answer: {}",
            text(o)
        );
    }
    lab.settle();
}

/// One frozen etcd member (the one pgtui talks to first, then each other)
/// is not etcd down: the console stays live and names the sick member, and
/// `list` keeps answering.
pub fn one_frozen_etcd_member_is_not_etcd_down(lab: &SharedLab) {
    let _x = lab.lock();
    lab.settle();
    let t = Tmux::start(lab, 160, 48);
    let live = t.wait_screen(Duration::from_secs(15), |s| s.contains("etcd ● live 3/3"));
    assert!(
        live.is_some(),
        "console not live on 3/3 endpoints:\n{}",
        t.screen()
    );
    for ep in lab.info.etcd_endpoints.clone() {
        let pid = lab.etcd_pid(&ep);
        signal(&[pid], Signal::SIGSTOP);
        let named = t.wait_screen(Duration::from_secs(8), |s| {
            s.contains(&format!("{ep} NOT ANSWERING")) && s.contains("etcd ● live 2/3")
        });
        let mut codes = vec![];
        let started = Instant::now();
        for _ in 0..20 {
            let o = lab.pgtui(&["list", "pg-test"]);
            codes.push((
                o.status.code(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            ));
        }
        let took = started.elapsed();
        let screen = t.screen();
        signal(&[pid], Signal::SIGCONT);
        assert!(
            named.is_some(),
            "{ep} frozen: the console does not name it, or is not live:\n{screen}"
        );
        assert!(
            !screen.contains("⚠ etcd"),
            "{ep} frozen: a stale banner for one sick member:\n{screen}"
        );
        let failed: Vec<_> = codes.iter().filter(|(c, _)| *c != Some(0)).collect();
        assert!(
            failed.is_empty(),
            "{ep} frozen: {} of 20 runs of list failed: {failed:?}",
            failed.len()
        );
        eprintln!("{ep} frozen: 20 runs of list in {took:?}, all exit 0");
        let back = t.wait_screen(Duration::from_secs(10), |s| s.contains("etcd ● live 3/3"));
        assert!(
            back.is_some(),
            "{ep} thawed: the console never showed 3/3 again:\n{}",
            t.screen()
        );
    }
}

/// pgtui's keys live where Patroni's confined credential may write them,
/// and neither patronictl nor Patroni's HA loop notices them.
pub fn pgtui_keys_leave_patroni_and_patronictl_alone(lab: &SharedLab) {
    let _x = lab.lock();
    lab.settle();
    let prefix = format!("{}.pgtui/", lab.info.namespace);
    let before = lab.patronictl(&["list", "pg-test", "-f", "json"]);
    // Written as Patroni's own etcd user: the confined role allows it.
    let user = format!(
        "--user={}:{}",
        lab.info.etcd_user.clone().unwrap_or_default(),
        lab.info.etcd_password.clone().unwrap_or_default()
    );
    let leader_log = lab
        .info
        .dir
        .join(format!("log/patroni-{}.log", lab.leader_key()));
    let lines = |p: &std::path::Path| {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("no action"))
            .count()
    };
    std::thread::sleep(Duration::from_secs(6));
    let quiet_before = lines(&leader_log);
    std::thread::sleep(Duration::from_secs(10));
    let quiet = lines(&leader_log) - quiet_before;
    let t0 = lines(&leader_log);
    let started = Instant::now();
    let mut n = 0;
    while started.elapsed() < Duration::from_secs(10) {
        let mut cmd = Command::new("etcdctl");
        cmd.env("ETCDCTL_API", "3")
            .arg(format!(
                "--endpoints={}://{}",
                lab.info.etcd_scheme, lab.info.etcd_endpoints[0]
            ))
            .arg(&user);
        if let Some(ca) = &lab.info.ca_file {
            cmd.arg(format!("--cacert={}", ca.display()));
        }
        let out = cmd
            .args(["put", &format!("{prefix}probe/k{}", n % 5), "x"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the confined user may write {prefix}: {}",
            text(&out)
        );
        n += 1;
    }
    let busy = lines(&leader_log) - t0;
    let after = lab.patronictl(&["list", "pg-test", "-f", "json"]);
    etcdctl_ok(lab, &["del", "--prefix", &format!("{prefix}probe/")]);
    // Patroni logs one "no action" line per HA loop (loop_wait 5 s): the
    // writes must not have woken it more often than a quiet 10 s did.
    assert!(busy <= quiet + 1, "{n} writes under {prefix} woke Patroni's HA loop: {busy} loops in 10 s vs {quiet} when quiet");
    let rows = |o: &Output| -> Vec<(String, String)> {
        let v: Value = serde_json::from_slice(&o.stdout).expect("patronictl JSON");
        let mut r: Vec<(String, String)> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["Member"].as_str().unwrap().to_string(),
                    m["Role"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        r.sort();
        r
    };
    assert_eq!(rows(&before), rows(&after), "patronictl list changed");
    assert!(!String::from_utf8_lossy(&after.stdout).contains(".pgtui"));
    // And pgtui's fleet view does not take its own keys for a cluster.
    let fleet = Command::new(crate::common::bin())
        .args(["--dcs-url", &lab.dcs_url(), "list", "-f", "json"])
        .envs(lab.dcs_env())
        .env("PGTUI_SETTINGS", "/dev/null")
        .output()
        .unwrap();
    assert!(fleet.status.success(), "{}", text(&fleet));
    assert!(
        !String::from_utf8_lossy(&fleet.stdout).contains(".pgtui"),
        "{}",
        text(&fleet)
    );
}

/// The hardened flavour's own tests, for `lab_autobase.rs`.
#[macro_export]
macro_rules! hardened_lab_tests {
    () => {
        $crate::lab_suite_tests! {
            hardened_etcd_failures_each_have_their_own_message_and_code => lab_suite::hardened::etcd_failures_each_have_their_own_message_and_code,
            hardened_one_frozen_etcd_member_is_not_etcd_down => lab_suite::hardened::one_frozen_etcd_member_is_not_etcd_down,
            hardened_pgtui_keys_leave_patroni_and_patronictl_alone => lab_suite::hardened::pgtui_keys_leave_patroni_and_patronictl_alone,
            hardened_haproxy_layout_is_found_without_settings => lab_suite::hardened::haproxy_layout_is_found_without_settings,
            hardened_sql_probes_speak_tls_as_sslmode_says => lab_suite::sql_tls::sql_probes_speak_tls_as_sslmode_says,
        }
    };
}

/// With no pgtui settings for HAProxy, the console finds autobase's stats
/// on :7000 and probes its services on their own ports (5000…), not
/// Pigsty's.
pub fn haproxy_layout_is_found_without_settings(lab: &SharedLab) {
    use pgtui::config::{resolve, Inputs, Secret, SqlConfig};
    use pgtui::model::haproxy::ServiceKind;
    use pgtui::model::{Model, ModelHandle};
    let _x = lab.lock();
    let (leader, _) = lab.settle();
    let mut config = resolve(
        &Inputs {
            config_file: Some(lab.info.patronictl_config.clone()),
            settings_file: Some("/dev/null".into()),
            cluster: Some("pg-test".into()),
            ..Default::default()
        },
        &|_| None,
    )
    .expect("resolve the lab's patronictl.yaml");
    assert!(
        config.haproxy.is_empty(),
        "no HAProxy settings in this test"
    );
    config.sql = Some(SqlConfig {
        user: lab.info.superuser.clone(),
        password: Some(Secret::new(lab.info.superuser_password.clone())),
        dbname: "postgres".into(),
        connect_timeout: Duration::from_secs(3),
        poll_interval: Duration::from_secs(2),
        tls: Default::default(),
    });
    let want_ports: std::collections::BTreeSet<u16> =
        lab.info.haproxy[0].services.values().copied().collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(async {
        let model = ModelHandle::new(Model::new(&config.namespace));
        let etcd = pgtui::dcs::Etcd::new(&config.etcd);
        let _running = pgtui::sources::spawn_all(
            &config,
            &etcd,
            pgtui::sources::Scope::only(vec!["pg-test".into()]),
            &model,
            false,
        );
        let end = Instant::now() + Duration::from_secs(40);
        loop {
            let r = model.read(|m| -> Result<(), String> {
                let h = &m.clusters.get("pg-test").ok_or("no cluster")?.haproxy;
                let urls: Vec<&String> = h.endpoints.keys().collect();
                if urls.len() != lab.info.haproxy.len()
                    || !urls.iter().all(|u| u.contains(":7000/"))
                {
                    return Err(format!("stats endpoints {urls:?}, errors {:?}", h.errors));
                }
                for hx in &lab.info.haproxy {
                    let ports: std::collections::BTreeSet<u16> = h
                        .probes
                        .keys()
                        .filter(|sp| sp.host == hx.host)
                        .map(|sp| sp.port)
                        .collect();
                    if ports != want_ports {
                        return Err(format!(
                            "{}: probed ports {ports:?}, want {want_ports:?}; errors {:?}",
                            hx.host, h.probe_errors
                        ));
                    }
                    let primary = h
                        .probes
                        .iter()
                        .find(|(sp, _)| sp.host == hx.host && sp.kind == ServiceKind::Primary)
                        .ok_or("no primary service")?;
                    if primary.0.port != 5000
                        || primary.1.value.member.as_deref() != Some(leader.as_str())
                    {
                        return Err(format!(
                            "{:?} answered {:?}; leader {leader}",
                            primary.0, primary.1.value
                        ));
                    }
                }
                Ok(())
            });
            match r {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() > end => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    });
    if let Err(e) = result {
        panic!("autobase's HAProxy layout was not found without settings: {e}");
    }
}
