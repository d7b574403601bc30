//! Decoding one DCS value. Total: every input yields a value or an
//! [`Decoded::Unparseable`] marker holding the raw bytes and the reason.

use super::keys::KeyKind;
use super::types::{Failover, HistoryEntry, MemberData, Status, SyncState};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A decoded value, or the raw bytes that did not decode and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Decoded<T> {
    Ok(T),
    Unparseable { raw: String, error: String },
}

impl<T> Decoded<T> {
    pub fn ok(&self) -> Option<&T> {
        match self {
            Decoded::Ok(v) => Some(v),
            Decoded::Unparseable { .. } => None,
        }
    }

    pub fn error(&self) -> Option<&str> {
        match self {
            Decoded::Ok(_) => None,
            Decoded::Unparseable { error, .. } => Some(error),
        }
    }
}

/// A decoded value of any key kind.
#[derive(Debug, Clone, PartialEq)]
pub enum DcsValue {
    Config(Decoded<Value>),
    Leader(Decoded<String>),
    Member(Box<Decoded<MemberData>>),
    History(Decoded<Vec<HistoryEntry>>),
    Status(Decoded<Status>),
    OptimeLeader(Decoded<u64>),
    Sync(Decoded<SyncState>),
    Failover(Decoded<Failover>),
    Failsafe(Decoded<BTreeMap<String, Value>>),
    Initialize(Decoded<String>),
    Other(Decoded<String>),
}

/// Raw bytes made printable: invalid UTF-8 is shown with escapes, and very
/// long values are cut so a hostile key cannot flood a terminal.
pub fn printable_raw(bytes: &[u8]) -> String {
    const MAX: usize = 4096;
    let shown = &bytes[..bytes.len().min(MAX)];
    let mut s = String::new();
    for chunk in shown.utf8_chunks() {
        s.push_str(chunk.valid());
        for b in chunk.invalid() {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    if bytes.len() > MAX {
        s.push_str(&format!("… ({} bytes in all)", bytes.len()));
    }
    s
}

fn unparseable<T>(bytes: &[u8], error: impl Into<String>) -> Decoded<T> {
    Decoded::Unparseable {
        raw: printable_raw(bytes),
        error: error.into(),
    }
}

fn json<T: DeserializeOwned>(bytes: &[u8]) -> Decoded<T> {
    // serde_json refuses nesting deeper than 128 levels instead of recursing
    // without bound, so deep or hostile values end up here as errors.
    match serde_json::from_slice::<T>(bytes) {
        Ok(v) => Decoded::Ok(v),
        Err(e) => unparseable(bytes, format!("invalid JSON for this key: {e}")),
    }
}

fn text(bytes: &[u8]) -> Result<&str, Decoded<String>> {
    std::str::from_utf8(bytes).map_err(|e| unparseable(bytes, format!("not UTF-8: {e}")))
}

fn plain_string(bytes: &[u8]) -> Decoded<String> {
    match text(bytes) {
        Ok(s) if s.trim().is_empty() => unparseable(bytes, "empty value"),
        Ok(s) => Decoded::Ok(s.trim().to_string()),
        Err(d) => d,
    }
}

fn json_object<T: DeserializeOwned>(bytes: &[u8]) -> Decoded<T> {
    // Patroni always writes objects for these keys; an array or a scalar that
    // happens to fit a struct with all-optional fields must not pass.
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(_)) => json(bytes),
        Ok(other) => unparseable(
            bytes,
            format!("expected a JSON object, found {}", kind_name(&other)),
        ),
        Err(e) => unparseable(bytes, format!("invalid JSON for this key: {e}")),
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Decodes the value of a key of the given kind.
pub fn decode_value(kind: &KeyKind, bytes: &[u8]) -> DcsValue {
    match kind {
        KeyKind::Config => DcsValue::Config(json_object(bytes)),
        KeyKind::Leader => DcsValue::Leader(plain_string(bytes)),
        KeyKind::Member(_) => DcsValue::Member(Box::new(json_object(bytes))),
        KeyKind::History => DcsValue::History(json(bytes)),
        KeyKind::Status => DcsValue::Status(json_object(bytes)),
        KeyKind::OptimeLeader => DcsValue::OptimeLeader(match text(bytes) {
            Ok(s) => s
                .trim()
                .parse()
                .map(Decoded::Ok)
                .unwrap_or_else(|e| unparseable(bytes, format!("not an LSN: {e}"))),
            Err(Decoded::Unparseable { raw, error }) => Decoded::Unparseable { raw, error },
            Err(Decoded::Ok(_)) => unreachable!("text() only errs with Unparseable"),
        }),
        KeyKind::Sync => DcsValue::Sync(json_object(bytes)),
        // An empty object means "no failover pending".
        KeyKind::Failover => DcsValue::Failover(if bytes.is_empty() {
            Decoded::Ok(Failover::default())
        } else {
            json_object(bytes)
        }),
        KeyKind::Failsafe => DcsValue::Failsafe(json_object(bytes)),
        KeyKind::Initialize => DcsValue::Initialize(plain_string(bytes)),
        KeyKind::Other(_) => DcsValue::Other(match text(bytes) {
            Ok(s) => Decoded::Ok(s.to_string()),
            Err(d) => d,
        }),
    }
}
