//! What the fuzz targets share: the checks they assert.
//!
//! "Safe" here is pgtui's own definition ([`pgtui::text::is_unsafe`]): no
//! C0/C1 control, DEL, bidi override or line separator. Text from outside is
//! escaped where it enters pgtui, so every string a parser hands on must
//! already be safe, not only what finally reaches the terminal.

use std::time::{Duration, Instant};

/// Far above any real parse of a fuzz-sized input (microseconds to a few
/// milliseconds, even under the sanitizer): catches hangs and quadratic
/// blow-ups, not slowness. libFuzzer's own `-timeout` backs it up.
pub const BOUND: Duration = Duration::from_secs(2);

/// Runs `f`, failing if it takes longer than [`BOUND`].
pub fn bounded<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    let took = t.elapsed();
    assert!(took < BOUND, "{what} took {took:?}");
    out
}

/// The first unsafe character of `s`, if any.
pub fn first_unsafe(s: &str) -> Option<char> {
    s.chars().find(|c| pgtui::text::is_unsafe(*c))
}

/// Panics if `s` holds a character a terminal would obey.
pub fn assert_safe(what: &str, s: &str) {
    if let Some(c) = first_unsafe(s) {
        panic!("{what} holds {c:?}: {s:?}");
    }
}

/// Panics if any string of `v` (object keys included) is unsafe.
pub fn assert_safe_json(what: &str, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => assert_safe(what, s),
        Value::Array(a) => a.iter().for_each(|x| assert_safe_json(what, x)),
        Value::Object(o) => o.iter().for_each(|(k, x)| {
            assert_safe(what, k);
            assert_safe_json(what, x)
        }),
        _ => {}
    }
}

/// Panics if any string of `v`, as it serialises, is unsafe.
pub fn assert_safe_ser<T: serde::Serialize>(what: &str, v: &T) {
    let v = serde_json::to_value(v).expect("pgtui's own types serialise");
    assert_safe_json(what, &v);
}

/// Whether any string of the JSON value (keys included) is unsafe.
pub fn json_has_unsafe(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::String(s) => first_unsafe(s).is_some(),
        Value::Array(a) => a.iter().any(json_has_unsafe),
        Value::Object(o) => o
            .iter()
            .any(|(k, x)| first_unsafe(k).is_some() || json_has_unsafe(x)),
        _ => false,
    }
}

/// How many strings of the JSON value (keys included) are unsafe: what
/// `pgtui::text::escape_json` must report.
pub fn unsafe_strings(v: &serde_json::Value) -> usize {
    use serde_json::Value;
    match v {
        Value::String(s) => usize::from(first_unsafe(s).is_some()),
        Value::Array(a) => a.iter().map(unsafe_strings).sum(),
        Value::Object(o) => o
            .iter()
            .map(|(k, x)| usize::from(first_unsafe(k).is_some()) + unsafe_strings(x))
            .sum(),
        _ => 0,
    }
}

/// The capture time of the recorded samples, 2026-11-21T21:16:58Z, so a
/// frame does not depend on the clock.
pub fn now() -> std::time::SystemTime {
    std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_295_818)
}

/// A value planted in a configuration file; no message about the file may
/// repeat it (it stands for a password in the wrong place).
pub const CANARY: &str = "Zq9canary";

/// `s` with every occurrence of [`CANARY`] gone (also those that removing
/// one would create).
pub fn without_canary(s: &str) -> String {
    let mut s = s.to_string();
    while s.contains(CANARY) {
        s = s.replace(CANARY, "_");
    }
    s
}

/// How many lines `text` has, counting a last one without a line break.
pub fn line_count(text: &str) -> usize {
    text.split('\n').count()
}

/// Whether two JSON values are equal, floats within a few units in the
/// last place: serde_json (without its `float_roundtrip` feature) may read
/// a float it wrote itself back one ulp off, which is not pgtui's doing.
pub fn same_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => {
                    x == y || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs())
                }
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, a)| y.get(k).is_some_and(|b| same_json(a, b)))
        }
        _ => a == b,
    }
}

/// [`same_json`] of two values as they serialise.
pub fn same_ser<T: serde::Serialize>(a: &T, b: &T) -> bool {
    same_json(
        &serde_json::to_value(a).expect("serialises"),
        &serde_json::to_value(b).expect("serialises"),
    )
}

/// How many lines YAML counts in `text`: it breaks lines at `\r\n`, `\r`,
/// `\n` (and NEL, LS, PS).
pub fn yaml_line_count(text: &str) -> usize {
    let mut n = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                n += 1;
            }
            '\n' | '\u{85}' | '\u{2028}' | '\u{2029}' => n += 1,
            _ => {}
        }
    }
    n
}
