//! A DCS value of every key kind into `decode_flagged`, the decoder the
//! etcd watch and the REST fallback both feed.
//!
//! Input: the first byte picks the key kind, the rest is the value.
//! Asserted, beyond returning:
//! - the result, `Unparseable` markers included, holds no unsafe character;
//! - the escaped-fields report is non-empty exactly when some string of the
//!   value (a JSON key or value, or the plain text) held an unsafe one;
//! - plain-text kinds give exactly the (trimmed) text, escaped; `optime/leader`
//!   is a number exactly when the text parses as one;
//! - a value that decodes, written back as JSON, decodes to itself (floats
//!   within a few ulps, see `same_json`) with nothing left to escape;
//! - with nothing to escape, the decoder agrees with serde's own typed parse.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgtui::dcs::decode::{decode_flagged, DcsValue};
use pgtui::dcs::{Decoded, KeyKind};
use pgtui_fuzz::{assert_safe, assert_safe_ser, bounded, json_has_unsafe, same_ser};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::fmt::Debug;

const KINDS: [fn() -> KeyKind; 11] = [
    || KeyKind::Config,
    || KeyKind::Leader,
    || KeyKind::Member("pg-test-1".into()),
    || KeyKind::History,
    || KeyKind::Status,
    || KeyKind::OptimeLeader,
    || KeyKind::Sync,
    || KeyKind::Failover,
    || KeyKind::Failsafe,
    || KeyKind::Initialize,
    || KeyKind::Other("x/y".into()),
];

/// Printed raw bytes are cut at 4096 input bytes; each byte becomes at most
/// four characters (`\xff`), plus the "…(N bytes in all)" note.
const MAX_RAW: usize = 4096 * 4 + 64;

fn check_decoded<T: Serialize>(what: &str, d: &Decoded<T>) {
    assert_safe_ser(what, d);
    if let Decoded::Unparseable { raw, error } = d {
        assert!(!error.is_empty(), "{what}: an Unparseable without a reason");
        assert!(raw.len() <= MAX_RAW, "{what}: raw kept {} bytes", raw.len());
    }
}

/// For the JSON kinds: what the escaped-fields report must say, and that
/// an Ok value goes round again unchanged.
fn check_json<T>(
    what: &str,
    bytes: &[u8],
    object: bool,
    d: &Decoded<T>,
    escaped: &[String],
    again: impl Fn(&[u8]) -> (Option<T>, bool),
) where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    check_decoded(what, d);
    let parsed: Option<Value> = serde_json::from_slice(bytes).ok();
    match &parsed {
        None => {
            assert!(d.ok().is_none(), "{what}: decoded from invalid JSON");
            assert!(escaped.is_empty(), "{what}: escaped fields of invalid JSON");
        }
        Some(v) if object && !v.is_object() => {
            assert!(d.ok().is_none(), "{what}: accepted a non-object: {v}");
            assert!(
                escaped.is_empty(),
                "{what}: escaped fields of a refused value"
            );
        }
        Some(v) => {
            assert_eq!(
                escaped.is_empty(),
                !json_has_unsafe(v),
                "{what}: report {escaped:?} for {v}"
            );
            if !json_has_unsafe(v) {
                // Nothing to escape: exactly what serde makes of it.
                if let Ok(direct) = serde_json::from_slice::<T>(bytes) {
                    assert_eq!(d.ok(), Some(&direct), "{what}: differs from serde's parse");
                }
            }
        }
    }
    if let Some(t) = d.ok() {
        let back = serde_json::to_vec(t).expect("serialises");
        let (t2, flagged) = again(&back);
        let t2 = t2.unwrap_or_else(|| panic!("{what}: refused when written back: {t:?}"));
        assert!(
            same_ser(&t2, t),
            "{what}: not stable when written back: {t:?} then {t2:?}"
        );
        assert!(!flagged, "{what}: escaped text escaped again");
    }
}

fn check_text(what: &str, bytes: &[u8], trim: bool, d: &Decoded<String>, escaped: &[String]) {
    check_decoded(what, d);
    let Ok(s) = std::str::from_utf8(bytes) else {
        assert!(d.ok().is_none(), "{what}: decoded from invalid UTF-8");
        return;
    };
    let s = if trim { s.trim() } else { s };
    if trim && s.is_empty() {
        assert!(d.ok().is_none(), "{what}: an empty value decoded");
        return;
    }
    let v = d
        .ok()
        .unwrap_or_else(|| panic!("{what}: UTF-8 text refused: {d:?}"));
    assert_eq!(v, &pgtui::text::escape(s), "{what}: not the escaped text");
    assert_eq!(
        escaped.is_empty(),
        !pgtui::text::has_unsafe(s),
        "{what}: report {escaped:?}"
    );
    if trim {
        assert_eq!(v.trim(), v, "{what}: untrimmed");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, bytes)) = data.split_first() else {
        return;
    };
    let kind = KINDS[sel as usize % KINDS.len()]();
    let (value, escaped) = bounded("decode_flagged", || decode_flagged(&kind, bytes));
    assert_eq!(
        (value.clone(), escaped.clone()),
        decode_flagged(&kind, bytes),
        "not deterministic"
    );
    for e in &escaped {
        assert_safe("an escaped-field path", e);
    }
    // Decodes `b` as the same kind again: (the value, whether anything was
    // escaped).
    macro_rules! again {
        ($variant:path) => {
            |b: &[u8]| match decode_flagged(&kind, b) {
                ($variant(d), e) => (d.ok().cloned(), !e.is_empty()),
                (other, _) => panic!("kind changed: {other:?}"),
            }
        };
    }
    match &value {
        DcsValue::Config(d) => {
            check_json("config", bytes, true, d, &escaped, again!(DcsValue::Config))
        }
        DcsValue::Member(d) => {
            check_json(
                "member",
                bytes,
                true,
                d,
                &escaped,
                |b| match decode_flagged(&kind, b) {
                    (DcsValue::Member(d), e) => (d.ok().cloned(), !e.is_empty()),
                    (other, _) => panic!("kind changed: {other:?}"),
                },
            )
        }
        DcsValue::History(d) => {
            check_decoded("history", d);
            let parsed: Option<Value> = serde_json::from_slice(bytes).ok();
            match &parsed {
                None => assert!(d.ok().is_none() && escaped.is_empty()),
                Some(v) => assert_eq!(
                    escaped.is_empty(),
                    !json_has_unsafe(v),
                    "history: {escaped:?}"
                ),
            }
            // History is written as arrays ([tl, lsn, reason, ts, leader]),
            // not as the struct serialises.
            if let Some(h) = d.ok() {
                let arrays: Vec<Value> = h
                    .iter()
                    .map(|e| {
                        serde_json::json!([e.timeline, e.lsn, e.reason, e.timestamp, e.new_leader])
                    })
                    .collect();
                let back = serde_json::to_vec(&arrays).unwrap();
                match decode_flagged(&kind, &back) {
                    (DcsValue::History(d2), e2) => {
                        let h2 = d2.ok().expect("history: refused when written back");
                        assert!(same_ser(h2, h), "history: not stable: {h:?} then {h2:?}");
                        assert!(e2.is_empty(), "history: escaped twice");
                    }
                    other => panic!("kind changed: {other:?}"),
                }
            }
        }
        DcsValue::Status(d) => {
            check_json("status", bytes, true, d, &escaped, again!(DcsValue::Status))
        }
        DcsValue::Sync(d) => check_json("sync", bytes, true, d, &escaped, again!(DcsValue::Sync)),
        DcsValue::Failover(d) if bytes.is_empty() => {
            assert!(
                d.ok().is_some_and(|f| f.is_empty()),
                "empty failover: {d:?}"
            );
        }
        DcsValue::Failover(d) => check_json(
            "failover",
            bytes,
            true,
            d,
            &escaped,
            again!(DcsValue::Failover),
        ),
        DcsValue::Failsafe(d) => check_json(
            "failsafe",
            bytes,
            true,
            d,
            &escaped,
            again!(DcsValue::Failsafe),
        ),
        DcsValue::Leader(d) => check_text("leader", bytes, true, d, &escaped),
        DcsValue::Initialize(d) => check_text("initialize", bytes, true, d, &escaped),
        DcsValue::Other(d) => check_text("other", bytes, false, d, &escaped),
        DcsValue::OptimeLeader(d) => {
            check_decoded("optime/leader", d);
            assert!(escaped.is_empty());
            let want = std::str::from_utf8(bytes)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok());
            assert_eq!(d.ok().copied(), want, "optime/leader");
        }
    }
});
