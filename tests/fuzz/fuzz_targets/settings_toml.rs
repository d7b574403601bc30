//! pgtui's settings file (`config::settings::Settings::parse`, TOML).
//!
//! Input: the first byte says where a planted value goes (or nothing is
//! planted), the second picks its TOML shape, the rest is the file after
//! it. Asserted:
//! - parsing answers within the bound, and computing the error's line and
//!   field never slices the text off a character boundary;
//! - an error names a line inside the file and never repeats the planted
//!   value (it stands for a password in the wrong place);
//! - a file that parses never shows a planted password in its `Debug` form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgtui::config::settings::Settings;
use pgtui::config::ConfigError;
use pgtui_fuzz::{bounded, line_count, without_canary, CANARY};
use std::path::Path;

/// (table, key, whether it is a password). An empty table is the top level.
const PLACES: [(&str, &str, bool); 14] = [
    ("sql", "password", true),
    ("haproxy.pg-test", "password", true),
    ("", "theme", false),
    ("", "read_only", false),
    ("etcd", "pgtui_prefix", false),
    ("rest", "timeout_ms", false),
    ("rest", "poll_interval_ms", false),
    ("sql", "user", false),
    ("sql", "connect_timeout_ms", false),
    ("haproxy.pg-test", "stats_urls", false),
    ("haproxy.pg-test", "user", false),
    ("haproxy.pg-test", "ports", false),
    ("clusters.pg-prod", "read_only", false),
    ("", "sql", false),
];

/// TOML shapes of the planted value; `@` is where it goes. Never as a key:
/// messages name unknown keys (`unknown field`), which are not values.
const SHAPES: [&str; 13] = [
    "\"@\"",
    "'@'",
    "\"\"\"\n@\"\"\"",
    "'''@'''",
    "[\"@\"]",
    "{ master = \"@\" }",
    "@",
    "\"@",
    "12@",
    "\"\\u001b@\"",
    "[[\"@\"], 1]",
    "1979-05-27T07:32:00@",
    "\"@\\q\"",
];

fuzz_target!(|data: &[u8]| {
    let [place, shape, rest @ ..] = data else {
        return;
    };
    let around = without_canary(&String::from_utf8_lossy(rest));
    let (text, secret) = match PLACES.get(*place as usize) {
        Some((table, key, secret)) => {
            let value = SHAPES[*shape as usize % SHAPES.len()].replace('@', CANARY);
            let head = if table.is_empty() {
                String::new()
            } else {
                format!("[{table}]\n")
            };
            (format!("{head}{key} = {value}\n{around}"), *secret)
        }
        None => (around, false),
    };
    let path = Path::new("/root/.config/pgtui/config.toml");
    match bounded("settings", || Settings::parse(&text, path)) {
        Ok(s) => {
            if secret {
                let shown = format!("{s:?}");
                assert!(!shown.contains(CANARY), "a password shows in {shown}");
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(
                !msg.contains(CANARY),
                "the error repeats the value: {msg}\n--- file:\n{text}"
            );
            if let ConfigError::Malformed { line: Some(l), .. } = e {
                assert!(l >= 1 && l <= line_count(&text) + 1, "line {l}: {msg}");
            }
        }
    }
});
