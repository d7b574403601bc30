//! patroni.yml / patronictl.yaml (`config::patroni_file::PatroniFile::parse`).
//!
//! Input: the first byte says where a planted value goes (or nothing is
//! planted), the second picks its YAML shape, the rest is the file around
//! it. The planted value sits in a password place or in a place of another
//! type (a string where a map belongs, a list where a string belongs…).
//! Asserted:
//! - parsing answers within the bound (the nesting pre-scan keeps serde_yaml
//!   from quadratic time);
//! - an error names a line inside the file (as YAML counts lines: a lone
//!   `\r` breaks one) and never repeats the planted
//!   value (README: "A value of the wrong type is named by its field and the
//!   shape expected, not shown");
//! - a file that parses never shows a planted password in its `Debug` form
//!   (passwords are `Secret`s).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgtui::config::patroni_file::PatroniFile;
use pgtui::config::ConfigError;
use pgtui_fuzz::{bounded, without_canary, yaml_line_count, CANARY};
use std::path::Path;

/// Where the planted value goes: (YAML path, whether it is a password).
const PLACES: [(&[&str], bool); 16] = [
    (&["etcd3", "password"], true),
    (&["etcd", "password"], true),
    (&["ctl", "authentication", "password"], true),
    (&["restapi", "authentication", "password"], true),
    (
        &["postgresql", "authentication", "superuser", "password"],
        true,
    ),
    (&["ctl", "keyfile_password"], true),
    (&["restapi", "authentication"], false),
    (&["ctl", "authentication"], false),
    (&["postgresql", "authentication", "superuser"], false),
    (&["etcd3"], false),
    (&["etcd3", "hosts"], false),
    (&["etcd3", "username"], false),
    (&["ctl", "insecure"], false),
    (&["scope"], false),
    (&["restapi", "connect_address"], false),
    (&["ctl", "cacert"], false),
];

/// YAML shapes of the planted value (`@` is where it goes), each written
/// after `key:`; `INDENT` is the key's own indentation. Never as a map key:
/// messages may name keys (`unknown field`), which are not values.
const SHAPES: [&str; 13] = [
    " @",
    " \"@\"",
    " '@'",
    " [@]",
    " {a: @}",
    " !!binary @",
    " !custom @",
    " &anchor @",
    " |\n  INDENT@",
    " \"user:@\"",
    " 12@",
    "\n  INDENT- @",
    " \"\\e@\\x01\"",
];

fn planted(place: &[&str], shape: &str) -> String {
    let mut s = String::new();
    for (depth, key) in place.iter().enumerate() {
        s.push_str(&"  ".repeat(depth));
        s.push_str(key);
        s.push(':');
        if depth + 1 < place.len() {
            s.push('\n');
        }
    }
    let indent = "  ".repeat(place.len() - 1);
    s.push_str(&shape.replace('@', CANARY).replace("INDENT", &indent));
    s.push('\n');
    s
}

fuzz_target!(|data: &[u8]| {
    let [place, shape, rest @ ..] = data else {
        return;
    };
    let around = without_canary(&String::from_utf8_lossy(rest));
    let (text, secret) = match PLACES.get(*place as usize) {
        Some((path, secret)) => {
            let p = planted(path, SHAPES[*shape as usize % SHAPES.len()]);
            // The planted section first: the file's own text comes after it
            // (text before it could turn it into part of another value).
            (format!("{p}{around}"), *secret)
        }
        None => (around, false),
    };
    let path = Path::new("/etc/patroni/patroni.yml");
    match bounded("patroni.yml", || PatroniFile::parse(&text, path)) {
        Ok(f) => {
            if secret {
                let shown = format!("{f:?}");
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
                assert!(l >= 1 && l <= yaml_line_count(&text) + 1, "line {l}: {msg}");
            }
        }
    }
});
