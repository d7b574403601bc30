//! HAProxy's stats CSV (`model::haproxy::parse_stats_csv`, every body the
//! HAProxy source fetches) and haproxy.cfg (`layout::parse_cfg`, the local
//! configs read to find stats listeners and service ports).
//!
//! Input: the text (lossily UTF-8, as the HTTP client decodes a body).
//! Asserted for the CSV:
//! - every string of every parsed row holds no unsafe character, and
//!   neither does an error message;
//! - proxies have distinct, non-empty names; FRONTEND and BACKEND rows sit
//!   in their slots, every other row is a server;
//! - each row's status is `ServerStatus::parse` of its trimmed raw status,
//!   `backup` only on a server with `bck` = 1, and its line number lies
//!   inside the body, after the header;
//! - routing goes only to serving servers of that proxy.
//! For the cfg: every section has a name, and the lookups built on the
//! sections (service ports, kinds, stats candidates) answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgtui::model::haproxy::layout::{parse_cfg, service_kind, service_port, stats_candidates};
use pgtui::model::haproxy::{parse_stats_csv, ServerStatus, StatsEntry};
use pgtui_fuzz::{assert_safe, assert_safe_ser, bounded};

fn row(e: &StatsEntry, lines: usize) {
    assert_eq!(
        e.status,
        ServerStatus::parse(&e.status_raw),
        "status of {e:?}"
    );
    assert_eq!(e.status_raw.trim(), e.status_raw, "untrimmed status");
    assert!(!e.name.is_empty(), "a row without svname");
    assert!(
        e.line >= 2 && e.line <= lines,
        "line {} of {lines}: {e:?}",
        e.line
    );
    if e.backup {
        assert_eq!(e.bck, Some(1), "backup without bck=1");
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Lines as an editor counts them; a record may start on the line after
    // the last break.
    let lines = text.split('\n').count();
    match bounded("stats CSV", || parse_stats_csv(&text)) {
        Ok(proxies) => {
            assert_safe_ser("a parsed proxy", &proxies);
            for (i, p) in proxies.iter().enumerate() {
                assert!(!p.name.is_empty(), "a proxy without a name");
                assert!(
                    proxies[..i].iter().all(|q| q.name != p.name),
                    "proxy {:?} listed twice",
                    p.name
                );
                if let Some(f) = &p.frontend {
                    assert_eq!(f.name, "FRONTEND");
                    row(f, lines);
                }
                if let Some(b) = &p.backend {
                    assert_eq!(b.name, "BACKEND");
                    assert!(!b.backup, "a BACKEND row marked backup");
                    row(b, lines);
                }
                for s in &p.servers {
                    assert!(s.name != "FRONTEND" && s.name != "BACKEND");
                    row(s, lines);
                }
                for r in p.routing() {
                    assert!(r.status.serves(), "routes to {r:?}");
                    assert!(p.servers.iter().any(|s| std::ptr::eq(s, r)));
                }
            }
        }
        Err(e) => assert_safe("a stats CSV error", &e.to_string()),
    }

    let cfgs = bounded("haproxy.cfg", || parse_cfg(&text));
    for c in &cfgs {
        assert!(!c.name.is_empty(), "a section without a name");
        let _ = service_port("pg-test", &c.name, "10.0.0.1", &cfgs);
        let _ = service_kind("pg-test", &c.name, &cfgs);
    }
    let candidates = stats_candidates("10.0.0.1", &cfgs);
    assert!(candidates.contains(&"http://10.0.0.1:9101/stats;csv".to_string()));
    assert!(candidates.contains(&"http://10.0.0.1:7000/;csv".to_string()));
});
