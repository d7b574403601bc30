//! Hostile member keys in a real lab: escapes (OSC title and clipboard
//! writes, blink, 8-bit CSI, a bidi override), a 1 MB tag, a key that is not
//! UTF-8, a key Patroni never writes, an unreadable member. Whoever may
//! write a member key may write these; none of it may drive the operator's
//! terminal, and all of it must be flagged, not dropped.
//!
//! The keys go into a cluster of their own, `pg-evil`, beside the lab's real
//! ones: planted into pg-test's own scope, they stopped that cluster's
//! Patroni 4.1.5 members from keeping their keys (pg-test lost its leader
//! within the minute), which would break every other test sharing the lab.

use crate::common::SharedLab;
use crate::tmux::Tmux;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::process::Command;
use std::time::Duration;

const BIG: usize = 1_000_000;
const EVIL: &str = "pg-evil";

/// The sequences planted; none may leave pgtui raw.
const RAW: [&[u8]; 5] = [
    b"\x1b]0;PWNED",
    b"\x1b]52;",
    b"\x1b[5m",
    b"\xc2\x9b2J",
    "\u{202e}".as_bytes(),
];

fn key(lab: &SharedLab, tail: &[u8]) -> OsString {
    let mut k = format!("{}{EVIL}/", lab.info.namespace).into_bytes();
    k.extend_from_slice(tail);
    OsString::from_vec(k)
}

/// etcdctl as root, with arguments that need not be UTF-8 and, for `put`,
/// the value on stdin (a 1 MB argument is over the kernel's limit).
fn etcdctl(lab: &SharedLab, args: &[&OsStr], stdin: Option<&str>) -> std::process::Output {
    let mut cmd = lab.etcdctl_cmd(&lab.info.etcd_endpoints);
    cmd.args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("run etcdctl");
    if let Some(v) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(v.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("run etcdctl")
}

/// Plants the keys; removes them when dropped, however the test ends.
struct Planted<'a> {
    lab: &'a SharedLab,
    keys: Vec<OsString>,
}

impl<'a> Planted<'a> {
    fn new(lab: &'a SharedLab) -> Self {
        let evil = serde_json::json!({
            "state": "run\u{1b}]0;PWNED\u{7}ning",
            "role": "replica",
            "conn_url": "postgres://127.0.0.1:1/postgres",
            "api_url": "http://127.0.0.1:1/patroni",
            "timeline": 1,
            "tags": {
                "note": "\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[5mblink\u{9b}2J\u{202e}gnp.exe",
                "big": "x".repeat(BIG),
            }
        })
        .to_string();
        let plain =
            r#"{"state":"running","role":"replica","api_url":"http://127.0.0.1:1/patroni"}"#;
        let keys: Vec<(Vec<u8>, String)> = vec![
            (b"members/evil\x1b]0;PWNED\x07".to_vec(), evil),
            (b"members/bad\xff".to_vec(), plain.to_string()),
            (b"members//x".to_vec(), plain.to_string()),
            (b"members/garbage".to_vec(), "{not json".to_string()),
            (b"leader".to_vec(), "nobody".to_string()),
        ];
        let mut p = Planted { lab, keys: vec![] };
        for (tail, value) in keys {
            let k = key(lab, &tail);
            let out = etcdctl(lab, &[OsStr::new("put"), &k], Some(&value));
            assert!(
                out.status.success(),
                "planting {:?}: {}",
                k,
                String::from_utf8_lossy(&out.stderr)
            );
            p.keys.push(k);
        }
        p
    }
}

impl Drop for Planted<'_> {
    fn drop(&mut self) {
        for k in &self.keys {
            let _ = etcdctl(self.lab, &[OsStr::new("del"), k], None);
        }
    }
}

fn assert_no_raw(what: &str, bytes: &[u8]) {
    for seq in RAW {
        assert!(
            !bytes.windows(seq.len()).any(|w| w == seq),
            "{what} holds the raw sequence {:?}",
            String::from_utf8_lossy(seq)
        );
    }
}

#[test]
fn hostile_member_keys_never_reach_the_terminal_raw() {
    let lab = crate::lab();
    // Other tests may count the lab's clusters; pg-evil exists only while
    // this holds the lab.
    let _x = lab.lock();
    let _planted = Planted::new(lab);

    // The table: escaped, flagged, cut.
    let out = lab.pgtui(&["--allow-stale", "list", EVIL]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert_no_raw("list's table", &out.stdout);
    assert!(
        !out.stdout.contains(&0x1b),
        "no colour to a pipe, so no ESC at all"
    );
    assert!(
        table.contains("run\\e]0;PWNED\\aning"),
        "the escaped state:\n{}",
        &table[..table.len().min(3000)]
    );
    assert!(table.contains("evil\\e]0;PWNED\\a"), "{table}");
    assert!(table.contains("bad\\xff"), "{table}");
    assert!(
        table.contains("…(+"),
        "the 1 MB tag is cut: {}",
        table.len()
    );
    assert!(
        out.stdout.len() < 20_000,
        "the table is {} bytes",
        out.stdout.len()
    );
    for flag in [
        "members/evil\\e]0;PWNED\\a: state, tags.note held control characters",
        "the member name held control characters",
        "key members//x: not a key Patroni writes",
        "tag big is 1000000 characters; shown cut",
        "the leader key names nobody, which has no member key",
    ] {
        assert!(table.contains(flag), "flag {flag:?} missing:\n{table}");
    }
    let garbage = table
        .lines()
        .find(|l| l.contains("| garbage"))
        .unwrap_or_else(|| panic!("no garbage row:\n{table}"));
    assert!(garbage.contains("Unknown"), "{garbage}");

    // JSON: valid, the whole value, no raw C1 or bidi either.
    let out = lab.pgtui(&["--allow-stale", "list", EVIL, "-f", "json"]);
    assert_no_raw("list's JSON", &out.stdout);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("list -f json parses");
    let c = &v["clusters"][0];
    let members = c["members"].as_array().expect("members");
    let evil = members
        .iter()
        .find(|m| m["name"].as_str().is_some_and(|n| n.starts_with("evil")))
        .expect("the evil member is listed");
    assert_eq!(evil["tags"]["big"].as_str().map(str::len), Some(BIG));
    assert_eq!(evil["state"], "run\\e]0;PWNED\\aning");
    let garbage = members.iter().find(|m| m["name"] == "garbage").unwrap();
    assert_eq!(garbage["role"], "unknown");
    assert!(
        c["findings"].as_array().is_some_and(|f| f.len() >= 4),
        "{}",
        c["findings"]
    );

    let out = lab.pgtui(&["--allow-stale", "topology", EVIL]);
    assert_no_raw("topology", &out.stdout);
    assert!(String::from_utf8_lossy(&out.stdout).contains("evil\\e]0;PWNED\\a"));

    // The console: record every byte it writes to its pty.
    let t = Tmux::start_on(lab, EVIL, 160, 48, "", "");
    let log = std::env::temp_dir().join(format!("pgtui-hostile-pty-{}", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let ok = Command::new("tmux")
        .args(["pipe-pane", "-o", "-t", &t.session])
        .arg(format!("cat >> {}", log.display()))
        .status()
        .unwrap();
    assert!(ok.success());
    let screen = t.wait_screen(Duration::from_secs(20), |s| s.contains("evil\\e]0;PWNED"));
    // `!` opens the details, which list the flags in full.
    t.keys("!");
    let details = t.wait_screen(Duration::from_secs(5), |s| {
        s.contains("held control characters")
    });
    t.keys("Escape");
    t.keys("0");
    // The unreadable member outranks the odd data in the health column.
    let fleet = t.wait_screen(Duration::from_secs(5), |s| {
        s.lines().any(|l| {
            l.contains("pg-evil ") && (l.contains("! UNPARSEABLE") || l.contains("! ODD DATA"))
        })
    });
    let fleet_screen = t.screen();
    std::thread::sleep(Duration::from_millis(500));
    let title = Command::new("tmux")
        .args(["display", "-p", "-t", &t.session, "#{pane_title}"])
        .output()
        .unwrap();
    drop(t);
    let bytes = std::fs::read(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let screen = screen.unwrap_or_else(|| panic!("the console never showed the escaped member"));
    assert!(
        details.is_some(),
        "the details overlay did not list the flags"
    );
    assert!(
        fleet.is_some(),
        "the fleet row of pg-evil is not flagged:\n{fleet_screen}"
    );
    assert!(
        bytes.len() > 1000,
        "pipe-pane recorded {} bytes",
        bytes.len()
    );
    assert_no_raw("the console's pty output", &bytes);
    assert!(
        !String::from_utf8_lossy(&title.stdout).contains("PWNED"),
        "the pane was retitled"
    );
    let mut lines = screen.lines();
    let (top, second) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
    assert!(
        top.trim_start().starts_with("pgtui") && top.contains("etcd"),
        "the header did not survive: {top:?}\n{screen}"
    );
    assert!(
        second.trim_start().starts_with(EVIL) && second.contains(" leader nobody"),
        "the cluster line did not survive: {second:?}\n{screen}"
    );
}
