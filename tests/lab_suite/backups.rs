//! Node agents and backups against the lab: every member's agent registers
//! in etcd under pgtui's prefix with the lab's (in a hardened lab, confined)
//! credential; `pgtui backups` agrees with `pgbackrest info` run by hand; a
//! wrong token gets nothing and is not echoed; an archived segment moved
//! out of the repo shows as a hole where it was, and the window closes
//! again when it is back.

use crate::common::{output_text, wait_for, SharedLab};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// `pgbackrest info` as a DBA would run it on pg-test-1, writing no log
/// file (the lab's log directory belongs to the database user).
fn pgbackrest_info(lab: &SharedLab) -> Value {
    let conf = &lab.info.pgbackrest_configs["pg-test-1"];
    let out = Command::new("pgbackrest")
        .arg(format!("--config={}", conf.display()))
        .arg(format!(
            "--config-include-path={}",
            lab.info.dir.join("conf/pgbackrest-conf.d").display()
        ))
        .args([
            "--stanza=pg-test",
            "--log-level-file=off",
            "--log-level-console=off",
            "--output=json",
            "info",
        ])
        .output()
        .expect("run pgbackrest");
    assert!(out.status.success(), "{}", output_text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn backups_json(lab: &SharedLab) -> Value {
    let out = lab.pgtui(&["backups", "pg-test", "-f", "json"]);
    assert!(out.status.success(), "{}", output_text(&out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", output_text(&out)))
}

pub fn agents_register_and_backups_agree_with_pgbackrest(lab: &SharedLab) {
    let _g = lab.lock();
    // Registrations, read by etcd's root: one per member, with the lab's URL.
    let prefix = format!("{}.pgtui/agents/pg-test/", lab.info.namespace);
    let regs = wait_for(Duration::from_secs(20), || {
        let out = lab.etcdctl(&["get", "--prefix", &prefix, "--print-value-only"]);
        let v: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        (v.len() == 3).then_some(v)
    })
    .unwrap_or_else(|| panic!("three agents registered under {prefix}"));
    for r in &regs {
        let member = r["member"].as_str().unwrap();
        assert_eq!(r["url"].as_str(), Some(lab.info.agents[member].as_str()));
        assert_eq!(r["stanza"], "pg-test");
        assert!(r["pgbackrest_version"].as_str().is_some(), "{r}");
    }

    let ours = backups_json(lab);
    let theirs = pgbackrest_info(lab);
    let labels = |v: &Value, key: &str| -> Vec<String> {
        v.as_array()
            .unwrap_or(&vec![])
            .iter()
            .map(|b| b[key].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        labels(&ours["stanza"]["backups"], "label"),
        labels(&theirs[0]["backup"], "label"),
        "pgtui backups vs pgbackrest info:\n{ours}\n{theirs}"
    );
    assert_eq!(
        ours["stanza"]["status"]["code"],
        theirs[0]["status"]["code"]
    );
    assert_eq!(ours["red"], false, "{ours}");
    assert_eq!(ours["window"]["holes"].as_array().map(Vec::len), Some(0));
    assert!(ours["archiving"]["Ok"].is_object(), "{ours}");
    // The table names the same sets.
    let out = lab.pgtui(&["backups", "pg-test"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for l in labels(&theirs[0]["backup"], "label") {
        assert!(text.contains(&l), "{text}");
    }

    // A wrong token: exit 5, nothing shown, neither token echoed.
    let good = lab.agent_token();
    let wrong = "wrong-token-0123456789abcdef";
    let out = Command::new(crate::common::bin())
        .arg("-c")
        .arg(&lab.info.patronictl_config)
        .args(["backups", "pg-test", "-f", "json"])
        .env("PGTUI_SETTINGS", "/dev/null")
        .env("PGTUI_AGENT_TOKEN", wrong)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", output_text(&out));
    let all = output_text(&out);
    assert!(all.contains("token rejected (HTTP 401)"), "{all}");
    assert!(!all.contains(wrong) && !all.contains(&good), "{all}");
    // The agents logged the refusal, and never a token.
    for m in ["pg-test-1", "pg-test-2", "pg-test-3"] {
        let log = std::fs::read_to_string(lab.info.dir.join(format!("log/agent-{m}.log")))
            .unwrap_or_default();
        assert!(!log.contains(&good) && !log.contains(wrong), "{m}: {log}");
    }
}

/// The archived segment files of `name` (any compression suffix) in the repo.
fn segment_files(lab: &SharedLab, name: &str) -> Vec<PathBuf> {
    let dir = lab
        .info
        .dir
        .join("backup/archive/pg-test")
        .read_dir()
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .expect("an archive id directory")
        .join(&name[..16]);
    dir.read_dir()
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|f| f.to_str())
                        .is_some_and(|f| f.starts_with(name) && !f.contains(".backup"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// pg-test's leader once settled, and its address.
fn leader_host(lab: &SharedLab) -> (String, String) {
    let (leader, _) = lab.settle();
    let host = lab.info.clusters[0]
        .members
        .iter()
        .find(|m| m.name == leader)
        .unwrap()
        .host
        .clone();
    (leader, host)
}

pub fn a_missing_archived_segment_is_a_hole_in_the_window(lab: &SharedLab) {
    let _g = lab.lock();
    let (_, host) = leader_host(lab);
    // Two more segments past the last backup, archived.
    for _ in 0..2 {
        super::psql(
            lab,
            &host,
            "create table if not exists pgtui_hole(x int); insert into pgtui_hole values (1); select pg_switch_wal();",
        );
    }
    let before = wait_for(Duration::from_secs(30), || {
        let v = backups_json(lab);
        let max = v["stanza"]["archives"].as_array()?.last()?["max"]
            .as_str()?
            .to_string();
        let first = v["window"]["first"].clone();
        (v["window"]["holes"].as_array()?.is_empty() && first.is_object()).then_some((v, max))
    })
    .expect("archive advanced with no holes");
    let (v, max) = before;
    // The segment just before max: inside the window, not its last.
    let tl = &max[..8];
    let segno = u64::from_str_radix(&max[16..], 16).unwrap() - 1;
    let victim = format!("{tl}{}{segno:08X}", &max[8..16]);
    let files = segment_files(lab, &victim);
    assert_eq!(files.len(), 1, "{victim}: {files:?} ({v})");
    // Out of the archive altogether: any name left in it that starts with
    // the segment's would still count as the segment.
    let aside = lab.info.dir.join("pgtui-test-aside");
    std::fs::rename(&files[0], &aside).unwrap();
    let seen = wait_for(Duration::from_secs(40), || {
        let v = backups_json(lab);
        let holes = v["window"]["holes"].as_array()?.clone();
        (!holes.is_empty()).then_some((v, holes))
    });
    // Back before asserting, so a failure leaves the repo whole.
    std::fs::rename(&aside, &files[0]).unwrap();
    let (v, holes) = seen.unwrap_or_else(|| panic!("no hole shown for {victim}"));
    assert_eq!(holes.len(), 1, "{v}");
    assert_eq!(holes[0]["first"], victim.as_str(), "{v}");
    assert_eq!(holes[0]["last"], victim.as_str(), "{v}");
    assert_eq!(v["red"], true, "{v}");
    let closed = wait_for(Duration::from_secs(40), || {
        let v = backups_json(lab);
        v["window"]["holes"].as_array()?.is_empty().then_some(())
    });
    assert!(closed.is_some(), "the hole stayed after {victim} came back");
}

pub fn restore_dry_run_plans_from_the_lab_backups(lab: &SharedLab) {
    let _g = lab.lock();
    let (leader, host) = leader_host(lab);
    let t = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    super::psql(
        lab,
        &host,
        "create table if not exists pgtui_pitr(x int); insert into pgtui_pitr values (1); select pg_switch_wal();",
    );
    // Archived past T (the switch), seen through the agent.
    let at = chrono::DateTime::parse_from_rfc3339(&t)
        .unwrap()
        .timestamp();
    let v = wait_for(Duration::from_secs(30), || {
        let v = backups_json(lab);
        (v["window"]["to"].as_i64()? >= at).then_some(v)
    })
    .expect("the archive reached T");
    let newest = v["stanza"]["backups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["stop"].as_i64().unwrap() <= at)
        .max_by_key(|b| b["stop"].as_i64().unwrap())
        .unwrap()["label"]
        .as_str()
        .unwrap()
        .to_string();
    let out = lab.pgtui(&["restore", "pg-test", "--to", &t, "--dry-run", "-f", "json"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let p: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["outcome"], "dry_run", "{p}");
    assert_eq!(p["plan"]["set"], newest.as_str(), "{p}");
    assert_eq!(p["plan"]["node"], leader.as_str(), "{p}");
    let cmd = p["plan"]["command"].as_str().unwrap();
    assert!(
        cmd.contains("--delta --type=time '--target=")
            && cmd.contains(&format!("--set={newest}"))
            && cmd.contains("--target-action=promote restore"),
        "{cmd}"
    );
    // Not a dry run, without --yes and not on a terminal: refused, nothing
    // sent. Past the archive: refused.
    let out = lab.pgtui(&["restore", "pg-test", "--to", &t]);
    assert_eq!(out.status.code(), Some(6), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("pass --yes"),
        "{}",
        output_text(&out)
    );
    let out = lab.pgtui(&[
        "restore",
        "pg-test",
        "--to",
        "2099-01-01T00:00:00+00:00",
        "--dry-run",
    ]);
    assert_eq!(out.status.code(), Some(6), "{}", output_text(&out));
    assert!(output_text(&out).contains("past the last archived WAL"));
}
