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

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Decoded<U> {
        match self {
            Decoded::Ok(v) => Decoded::Ok(f(v)),
            Decoded::Unparseable { raw, error } => Decoded::Unparseable { raw, error },
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

/// Raw bytes made printable: invalid UTF-8 and control characters are shown
/// as escapes, and very long values are cut so a hostile key cannot flood a
/// terminal.
pub fn printable_raw(bytes: &[u8]) -> String {
    crate::text::printable_bytes(bytes, 4096)
}

fn unparseable<T>(bytes: &[u8], error: impl Into<String>) -> Decoded<T> {
    Decoded::Unparseable {
        raw: printable_raw(bytes),
        error: crate::text::escape(&error.into()).into_owned(),
    }
}

/// Fields whose text held characters a terminal would obey, escaped on the
/// way in (see [`crate::text`]): dotted JSON paths, or `value` for a plain
/// string key.
pub type Escaped = Vec<String>;

fn json<T: DeserializeOwned>(bytes: &[u8], object: bool) -> (Decoded<T>, Escaped) {
    // serde_json refuses nesting deeper than 128 levels instead of recursing
    // without bound, so deep or hostile values end up here as errors.
    let mut v = match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => v,
        Err(e) => {
            return (
                unparseable(bytes, format!("invalid JSON for this key: {e}")),
                Vec::new(),
            )
        }
    };
    // Patroni always writes objects for these keys; an array or a scalar that
    // happens to fit a struct with all-optional fields must not pass.
    if object && !v.is_object() {
        let found = kind_name(&v);
        return (
            unparseable(bytes, format!("expected a JSON object, found {found}")),
            Vec::new(),
        );
    }
    let escaped = crate::text::escape_json(&mut v);
    match serde_json::from_value::<T>(v) {
        Ok(v) => (Decoded::Ok(v), escaped),
        Err(e) => (
            unparseable(bytes, format!("invalid JSON for this key: {e}")),
            escaped,
        ),
    }
}

fn text(bytes: &[u8]) -> Result<&str, Decoded<String>> {
    std::str::from_utf8(bytes).map_err(|e| unparseable(bytes, format!("not UTF-8: {e}")))
}

fn string(bytes: &[u8], trim: bool) -> (Decoded<String>, Escaped) {
    match text(bytes) {
        Ok(s) if trim && s.trim().is_empty() => (unparseable(bytes, "empty value"), Vec::new()),
        Ok(s) => {
            let s = if trim { s.trim() } else { s };
            let e = crate::text::escape(s);
            let flagged = if e.len() != s.len() {
                vec!["value".to_string()]
            } else {
                Vec::new()
            };
            (Decoded::Ok(e.into_owned()), flagged)
        }
        Err(d) => (d, Vec::new()),
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
    decode_flagged(kind, bytes).0
}

/// Decodes the value of a key of the given kind, with every string made safe
/// to show, and says which fields had to be escaped.
pub fn decode_flagged(kind: &KeyKind, bytes: &[u8]) -> (DcsValue, Escaped) {
    fn wrap<T>(
        f: impl FnOnce(Decoded<T>) -> DcsValue,
        (d, e): (Decoded<T>, Escaped),
    ) -> (DcsValue, Escaped) {
        (f(d), e)
    }
    match kind {
        KeyKind::Config => wrap(DcsValue::Config, json(bytes, true)),
        KeyKind::Leader => wrap(DcsValue::Leader, string(bytes, true)),
        KeyKind::Member(_) => wrap(|d| DcsValue::Member(Box::new(d)), json(bytes, true)),
        KeyKind::History => wrap(DcsValue::History, json(bytes, false)),
        KeyKind::Status => wrap(DcsValue::Status, json(bytes, true)),
        KeyKind::OptimeLeader => (
            DcsValue::OptimeLeader(match text(bytes) {
                Ok(s) => s
                    .trim()
                    .parse()
                    .map(Decoded::Ok)
                    .unwrap_or_else(|e| unparseable(bytes, format!("not an LSN: {e}"))),
                Err(Decoded::Unparseable { raw, error }) => Decoded::Unparseable { raw, error },
                Err(Decoded::Ok(_)) => unreachable!("text() only errs with Unparseable"),
            }),
            Vec::new(),
        ),
        KeyKind::Sync => wrap(DcsValue::Sync, json(bytes, true)),
        // An empty object means "no failover pending".
        KeyKind::Failover if bytes.is_empty() => (
            DcsValue::Failover(Decoded::Ok(Failover::default())),
            Vec::new(),
        ),
        KeyKind::Failover => wrap(DcsValue::Failover, json(bytes, true)),
        KeyKind::Failsafe => wrap(DcsValue::Failsafe, json(bytes, true)),
        KeyKind::Initialize => wrap(DcsValue::Initialize, string(bytes, true)),
        KeyKind::Other(_) => wrap(DcsValue::Other, string(bytes, false)),
    }
}
