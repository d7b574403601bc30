//! PostgreSQL's `X/Y` LSN text from the SQL probes' replies
//! (`model::sql::parse_lsn`, every `*_lsn::text` column) and its inverse
//! `format_lsn`. (The service probe reads typed columns only: it has no
//! parser of its own.)
//!
//! Input: the text, and its first 8 bytes as a position. Asserted:
//! - `format_lsn` of any position parses back to that position;
//! - a text that parses is two hex numbers of at most 32 bits around one
//!   `/` (after trimming), and formatting the result gives the same
//!   numbers back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgtui::model::sql::{format_lsn, parse_lsn};

fn hex32(s: &str) -> Option<u64> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, 16)
        .ok()
        .filter(|v| *v <= u32::MAX as u64)
}

fuzz_target!(|data: &[u8]| {
    let mut n = [0u8; 8];
    let k = data.len().min(8);
    n[..k].copy_from_slice(&data[..k]);
    let pos = u64::from_le_bytes(n);
    let text = format_lsn(pos);
    assert_eq!(parse_lsn(&text), Some(pos), "{text}");

    let s = String::from_utf8_lossy(data);
    let got = parse_lsn(&s);
    let want = s
        .trim()
        .split_once('/')
        .and_then(|(hi, lo)| Some((hex32(hi)? << 32) | hex32(lo)?));
    assert_eq!(got, want, "{s:?}");
    if let Some(v) = got {
        assert_eq!(parse_lsn(&format_lsn(v)), Some(v));
    }
});
