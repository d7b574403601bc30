//! `--dcs-url` / `PGTUI_DCS_URL` (`config::dcs_url::parse`) and the URL
//! redaction every printed error goes through (`config::userinfo::redact`).
//!
//! Input: the first byte says where a planted value goes in the text (the
//! rest); the value stands for a password. Asserted:
//! - an error never repeats the planted value (nor any of the URL: its
//!   messages are fixed text);
//! - a URL that parses has hosts that are non-empty, trimmed, comma-free
//!   and pass the host:port check, a namespace with more than slashes, and a
//!   non-empty user when it has credentials; its `Debug` form shows the
//!   planted value only where it landed in a host, the namespace or the user;
//! - `redact` is idempotent, and hides a password written as
//!   `scheme://user:PASSWORD@host`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgtui::config::dcs_url::parse;
use pgtui::config::resolve::check_host_port;
use pgtui::config::userinfo::redact;
use pgtui_fuzz::{bounded, without_canary, CANARY};

fuzz_target!(|data: &[u8]| {
    let Some((&at, rest)) = data.split_first() else {
        return;
    };
    let text = without_canary(&String::from_utf8_lossy(rest));
    let mut cut = (at as usize).min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let url = format!("{}{CANARY}{}", &text[..cut], &text[cut..]);
    match bounded("dcs url", || parse(&url)) {
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains(CANARY), "{msg}");
        }
        Ok(u) => {
            assert!(!u.hosts.is_empty());
            for h in &u.hosts {
                assert!(
                    !h.is_empty() && h.trim() == h && !h.contains(','),
                    "host {h:?}"
                );
                assert!(check_host_port(h).is_ok(), "host {h:?}");
            }
            if let Some(ns) = &u.namespace {
                assert!(!ns.trim_matches('/').is_empty(), "namespace {ns:?}");
            }
            let mut visible = u.hosts.join(" ");
            visible.push_str(u.namespace.as_deref().unwrap_or(""));
            if let Some(c) = &u.credentials {
                assert!(!c.username.is_empty());
                visible.push_str(&c.username);
            }
            let shown = format!("{u:?}");
            assert_eq!(
                shown.matches(CANARY).count(),
                visible.matches(CANARY).count(),
                "{shown}"
            );
        }
    }

    let r = redact(&text);
    assert_eq!(redact(&r), r, "redact is not idempotent on {text:?}");
    // A well-formed userinfo: user and host from the input, without the
    // characters that end a URL's authority.
    let word = |s: &str| -> String {
        let w: String = s
            .chars()
            .filter(|c| !"/?#@)\"':".contains(*c) && !c.is_whitespace())
            .take(12)
            .collect();
        without_canary(&w)
    };
    let (u, h) = text.split_at(cut);
    let line = format!(
        "failed: http://{}:{CANARY}@{}:8008/patroni",
        word(u),
        word(h)
    );
    assert!(!redact(&line).contains(CANARY), "{}", redact(&line));
});
