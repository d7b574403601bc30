//! The agent's log endpoints against real files: what they serve, how they
//! follow, and a refusal for each way of reaching past the log
//! directories (a path, `..`, a symlink out, a FIFO, a directory, another
//! source's file, a huge line). No lab is needed.

#[path = "support/agent_proc.rs"]
mod agent_proc;
mod common;
use agent_proc::*;

use serde_json::Value;
use std::path::Path;

/// A node: Patroni logging to `plog/patroni.log`, PostgreSQL to
/// `data/log/` with `current_logfiles`, no pgBackRest.
fn node(dir: &Path) -> std::path::PathBuf {
    let plog = dir.join("plog");
    let data = dir.join("data");
    std::fs::create_dir_all(&plog).unwrap();
    std::fs::create_dir_all(data.join("log")).unwrap();
    std::fs::write(
        plog.join("patroni.log"),
        "2026-12-06 17:23:11,027 INFO: Lock owner: None; I am pg-x-1\n\
         2026-12-06 17:23:12,500 WARNING: Request failed to pg-x-2\n\
         2026-12-06 17:23:13,000 INFO: promoted self to leader by acquiring session lock\n",
    )
    .unwrap();
    std::fs::write(
        plog.join("patroni.log.1"),
        "2026-12-05 10:00:00,000 INFO: old\n",
    )
    .unwrap();
    std::fs::write(plog.join("secret.txt"), "not a log\n").unwrap();
    std::fs::write(
        data.join("log/postgresql-Sun.log"),
        "2026-12-06 17:26:26.804 UTC [20474] ERROR:  relation \"t\" does not exist\n\
         2026-12-06 17:26:26.804 UTC [20474] STATEMENT:  select * from t\n",
    )
    .unwrap();
    std::fs::write(data.join("log/postgresql-Sat.log"), "older\n").unwrap();
    std::fs::write(
        data.join("current_logfiles"),
        "stderr log/postgresql-Sun.log\n",
    )
    .unwrap();
    let yml = dir.join("patroni.yml");
    std::fs::write(
        &yml,
        format!(
            "scope: pg-x\nname: pg-x-1\nrestapi:\n  connect_address: 127.0.0.1:8008\nlog:\n  dir: {}\npostgresql:\n  data_dir: {}\n  listen: 127.0.0.1:1\n",
            plog.display(),
            data.display()
        ),
    )
    .unwrap();
    yml
}

async fn get(agent: &Agent, path: &str) -> (u16, Value) {
    let (code, body) = call(
        &reqwest::Client::new(),
        reqwest::Method::GET,
        format!("{}{path}", agent.url),
        Some(&format!("Bearer {TOKEN}")),
    )
    .await;
    let v = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
    (code, v)
}

fn texts(v: &Value) -> Vec<String> {
    v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn serves_tails_follows_and_lists_each_source() {
    let dir = tempfile::tempdir().unwrap();
    let yml = node(dir.path());
    let agent = start(dir.path(), &yml, &[]);

    let (code, v) = get(&agent, "/v1/logs").await;
    assert_eq!(code, 200, "{v}");
    let src = |n: &str| {
        v["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["source"] == n)
            .unwrap()
            .clone()
    };
    let names = |s: &Value| {
        let mut n: Vec<String> = s["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(
        names(&src("patroni")),
        ["patroni.log", "patroni.log.1"],
        "secret.txt is not Patroni's"
    );
    assert_eq!(src("postgres")["current"], "postgresql-Sun.log");
    assert_eq!(src("pgbackrest")["configured"], false);
    assert!(src("pgbackrest")["error"]
        .as_str()
        .unwrap()
        .contains("not configured"));

    let (code, v) = get(&agent, "/v1/logs/patroni?tail=2").await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(texts(&v).len(), 2);
    assert!(texts(&v)[1].ends_with("promoted self to leader by acquiring session lock"));
    assert_eq!(v["lines"][0]["level"], "warning");
    assert!(v["lines"][1]["ts_ms"].as_i64().is_some());

    let (_, v) = get(&agent, "/v1/logs/postgres").await;
    assert_eq!(v["file"], "postgresql-Sun.log");
    assert_eq!(
        v["lines"][1]["level"], "error",
        "STATEMENT goes with its ERROR"
    );
    let ts = v["lines"][0]["ts_ms"].as_i64().unwrap();
    assert_eq!(ts % 1000, 804);

    // Following: nothing new, then one appended line, then a truncation.
    let (_, v) = get(&agent, "/v1/logs/patroni").await;
    let end = v["end"].as_u64().unwrap();
    let (_, v) = get(&agent, &format!("/v1/logs/patroni?from={end}")).await;
    assert_eq!(texts(&v).len(), 0);
    let log = dir.path().join("plog/patroni.log");
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    use std::io::Write;
    f.write_all(b"2026-12-06 17:23:14,000 INFO: no action. I am (pg-x-1), the leader with the lock\n2026-12-06 17:23:15,000 INFO: half a li").unwrap();
    let (_, v) = get(&agent, &format!("/v1/logs/patroni?from={end}")).await;
    assert_eq!(texts(&v).len(), 1, "a line still being written waits: {v}");
    let end2 = v["end"].as_u64().unwrap();
    std::fs::write(&log, "2026-12-06 17:30:00,000 INFO: rotated\n").unwrap();
    let (_, v) = get(&agent, &format!("/v1/logs/patroni?from={end2}")).await;
    assert_eq!(v["rotated"], true);
    assert_eq!(texts(&v), ["2026-12-06 17:30:00,000 INFO: rotated"]);

    // since: from a time on.
    let (_, v) = get(&agent, "/v1/logs/patroni?file=patroni.log.1&since=0").await;
    assert_eq!(texts(&v), ["2026-12-05 10:00:00,000 INFO: old"]);
}

#[tokio::test]
async fn refuses_every_way_out_of_the_log_directories() {
    let dir = tempfile::tempdir().unwrap();
    let yml = node(dir.path());
    let pglog = dir.path().join("data/log");
    std::os::unix::fs::symlink("/etc/passwd", pglog.join("evil.log")).unwrap();
    std::os::unix::fs::symlink("/etc", pglog.join("etc")).unwrap();
    std::os::unix::fs::symlink(pglog.join("postgresql-Sat.log"), pglog.join("inside.log")).unwrap();
    std::fs::create_dir(pglog.join("subdir")).unwrap();
    nix::unistd::mkfifo(&pglog.join("fifo.log"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    let agent = start(dir.path(), &yml, &[]);

    for (path, code, words) in [
        (
            "/v1/logs/postgres?file=../../patroni.yml",
            400,
            "not a plain file name",
        ),
        (
            "/v1/logs/postgres?file=%2Fetc%2Fpasswd",
            400,
            "not a plain file name",
        ),
        ("/v1/logs/postgres?file=..", 400, "not a plain file name"),
        ("/v1/logs/postgres?file=a%00b", 400, "not a plain file name"),
        ("/v1/logs/postgres?file=evil.log", 403, "resolves outside"),
        ("/v1/logs/postgres?file=etc", 403, "resolves outside"),
        ("/v1/logs/postgres?file=fifo.log", 403, "not a regular file"),
        ("/v1/logs/postgres?file=subdir", 403, "not a regular file"),
        (
            "/v1/logs/postgres?file=missing.log",
            404,
            "no postgres log file missing.log",
        ),
        (
            "/v1/logs/patroni?file=secret.txt",
            400,
            "not one of the patroni log files",
        ),
        (
            "/v1/logs/patroni?file=patroni.log.x",
            400,
            "not one of the patroni log files",
        ),
        ("/v1/logs/pgbackrest", 409, "not configured"),
        ("/v1/logs/..%2F..%2Fetc", 404, "no log source"),
        ("/v1/logs/patroni?tail=-1", 400, "bad query"),
    ] {
        let (got, v) = get(&agent, path).await;
        let msg = v["error"].as_str().unwrap_or_default();
        assert_eq!(got, code, "{path}: {v}");
        assert!(msg.contains(words), "{path}: {msg}");
        assert!(!msg.contains("root:"), "{path} leaked a file: {msg}");
    }
    // The listing names neither the symlinks out nor the FIFO.
    let (_, v) = get(&agent, "/v1/logs").await;
    let listed = v["sources"].to_string();
    assert!(listed.contains("inside.log"), "{listed}");
    for hidden in ["evil.log", "\"etc\"", "fifo.log", "subdir"] {
        assert!(!listed.contains(hidden), "{hidden} listed: {listed}");
    }
    // A symlink that stays inside is a file like any other.
    let (code, v) = get(&agent, "/v1/logs/postgres?file=inside.log").await;
    assert_eq!((code, texts(&v)), (200, vec!["older".to_string()]));
}

#[tokio::test]
async fn a_huge_line_is_cut_and_the_lines_after_it_still_come() {
    let dir = tempfile::tempdir().unwrap();
    let yml = node(dir.path());
    let log = dir.path().join("plog/patroni.log");
    let huge = "x".repeat(3 * 1024 * 1024);
    std::fs::write(
        &log,
        format!("2026-12-06 17:00:00,000 INFO: before\n2026-12-06 17:00:01,000 ERROR: {huge}\n2026-12-06 17:00:02,000 INFO: after\n"),
    )
    .unwrap();
    let agent = start(dir.path(), &yml, &[]);

    // Following from the start: the window ends inside the huge line.
    let mut from = 0;
    let mut seen = vec![];
    for _ in 0..6 {
        let (code, v) = get(&agent, &format!("/v1/logs/patroni?from={from}")).await;
        assert_eq!(code, 200, "{v}");
        for l in v["lines"].as_array().unwrap() {
            let t = l["text"].as_str().unwrap();
            assert!(
                t.len() <= 16 * 1024,
                "a line of {} bytes was served",
                t.len()
            );
            seen.push((t.chars().take(40).collect::<String>(), l["cut"].as_u64()));
        }
        from = v["end"].as_u64().unwrap();
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0].0, "2026-12-06 17:00:00,000 INFO: before");
    assert!(seen[1].0.starts_with("2026-12-06 17:00:01,000 ERROR: xxx"));
    assert!(seen[1].1.is_some(), "the huge line is marked cut");
    assert_eq!(seen[2].0, "2026-12-06 17:00:02,000 INFO: after");

    // A tail lands inside the huge line and skips to the next whole one.
    let (_, v) = get(&agent, "/v1/logs/patroni?tail=10").await;
    assert_eq!(texts(&v), ["2026-12-06 17:00:02,000 INFO: after"]);
    assert_eq!(v["partial"], true);
}
