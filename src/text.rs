//! Making text from outside safe to show.
//!
//! Everything pgtui prints comes from places it does not control: anyone who
//! may write a member key in etcd may put an escape sequence in it, and a
//! terminal obeys escape sequences (retitle, clear, blink, OSC 52 clipboard
//! writes). So every string from outside is escaped where it enters pgtui
//! ([`escape`]), and each output path has a last net that lets no control
//! character through ([`terminal_safe`]). The escaped form is
//! readable (`\e]0;…\a`) so a DBA sees that something is there, and the model
//! flags the value so the screen says so.
//!
//! Unsafe means: C0 controls (tab and newline included: one value, one
//! line), DEL, C1 controls (U+0080–U+009F, which some terminals obey as
//! 8-bit CSI/OSC), and the bidi controls that reorder what is shown
//! (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069), plus the line and
//! paragraph separators U+2028/U+2029.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must never reach a terminal raw.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// Whether `s` holds any character that [`escape`] would change.
pub fn has_unsafe(s: &str) -> bool {
    s.chars().any(is_unsafe)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\u{1b}' => out.push_str("\\e"),
        '\u{07}' => out.push_str("\\a"),
        '\u{08}' => out.push_str("\\b"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `s` with every unsafe character written as a visible escape: `\e` for
/// ESC, `\a` for BEL, `\x7f`, `\u{9b}`, `\u{202e}`. Borrowed when `s` is
/// already safe, which is nearly always.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !has_unsafe(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`escape`] for multi-line text that is parsed line by line (HAProxy's
/// CSV): line breaks stay, everything else unsafe is escaped.
pub fn escape_keep_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && c != '\r' && is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c != '\n' && c != '\r' && is_unsafe(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Deserialises JSON from outside with every string in it escaped first.
pub fn json_escaped<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    let mut v: serde_json::Value = serde_json::from_slice(bytes)?;
    escape_json(&mut v);
    serde_json::from_value(v)
}

/// Escapes `s` in place; returns whether anything changed.
pub fn escape_in_place(s: &mut String) -> bool {
    match escape(s) {
        Cow::Borrowed(_) => false,
        Cow::Owned(e) => {
            *s = e;
            true
        }
    }
}

/// Escapes every string of a JSON value, object keys included; returns the
/// dotted paths of the strings that changed (`tags.note`, `[2]`), so the
/// caller can say which fields held control characters.
pub fn escape_json(v: &mut serde_json::Value) -> Vec<String> {
    fn walk(v: &mut serde_json::Value, path: &mut String, found: &mut Vec<String>) {
        use serde_json::Value;
        match v {
            // Not a match guard: a guard cannot borrow `s` mutably.
            #[allow(clippy::collapsible_match)]
            Value::String(s) => {
                if escape_in_place(s) {
                    found.push(path.clone());
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter_mut().enumerate() {
                    let len = path.len();
                    let _ = write!(path, "[{i}]");
                    walk(x, path, found);
                    path.truncate(len);
                }
            }
            Value::Object(o) => {
                if o.keys().any(|k| has_unsafe(k)) {
                    let old = std::mem::take(o);
                    for (k, x) in old {
                        let e = escape(&k).into_owned();
                        if e != k {
                            found.push(join(path, &e));
                        }
                        o.insert(e, x);
                    }
                }
                for (k, x) in o.iter_mut() {
                    let len = path.len();
                    *path = join(path, k);
                    walk(x, path, found);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
    fn join(path: &str, k: &str) -> String {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    }
    let mut found = Vec::new();
    walk(v, &mut String::new(), &mut found);
    found
}

/// `s` cut to at most `max` characters for display, with a visible marker
/// saying how much is not shown. The whole value stays in the model (and in
/// `-f json`); only what is printed is cut.
pub fn clip(s: &str, max: usize) -> Cow<'_, str> {
    let Some((cut, _)) = s.char_indices().nth(max) else {
        return Cow::Borrowed(s);
    };
    let rest = s[cut..].chars().count();
    Cow::Owned(format!("{}…(+{rest} chars)", &s[..cut]))
}

/// The last net before a terminal, for text and JSON alike: every unsafe
/// character except newlines is written as a JSON-style `\u001b` escape,
/// which keeps JSON valid (outside its strings JSON is ASCII, and inside
/// them serde already escapes C0). With `sgr`, colour sequences
/// (`ESC [ digits/; m`) pass, as pgtui's own table colouring writes them;
/// data reaching here was escaped on the way in, so an SGR here is ours.
pub fn terminal_safe(s: &str, sgr: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\n' || !is_unsafe(c) {
            out.push(c);
            continue;
        }
        if sgr && c == '\u{1b}' {
            if let Some(len) = sgr_len(&s[i..]) {
                out.push_str(&s[i..i + len]);
                while chars.peek().is_some_and(|(j, _)| *j < i + len) {
                    chars.next();
                }
                continue;
            }
        }
        let mut buf = [0u16; 2];
        for u in c.encode_utf16(&mut buf) {
            let _ = write!(out, "\\u{u:04x}");
        }
    }
    Cow::Owned(out)
}

/// Length of an SGR sequence at the start of `s`, if there is one.
fn sgr_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() < 3 || b[0] != 0x1b || b[1] != b'[' {
        return None;
    }
    let body = b[2..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b';')
        .count();
    (b.get(2 + body) == Some(&b'm')).then_some(3 + body)
}

/// Raw bytes made printable: invalid UTF-8 as `\xNN`, unsafe characters
/// escaped, and cut after `max` bytes with a note of the full length.
pub fn printable_bytes(bytes: &[u8], max: usize) -> String {
    let shown = &bytes[..bytes.len().min(max)];
    let mut s = String::new();
    for chunk in shown.utf8_chunks() {
        s.push_str(&escape(chunk.valid()));
        for b in chunk.invalid() {
            let _ = write!(s, "\\x{b:02x}");
        }
    }
    if bytes.len() > max {
        let _ = write!(s, "…({} bytes in all)", bytes.len());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_obeys() {
        assert_eq!(
            escape("run\u{1b}]0;PWNED\u{7}ning"),
            "run\\e]0;PWNED\\aning"
        );
        assert_eq!(escape("a\u{9b}2Jb"), "a\\u{9b}2Jb");
        assert_eq!(escape("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(escape("a\tb\nc\u{7f}"), "a\\tb\\nc\\x7f");
        assert!(matches!(escape("pg-test-1 ✓ é"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escaping_reports_paths() {
        let mut v =
            serde_json::json!({"state": "ok", "tags": {"n\u{1b}": "x", "m": ["a", "\u{7}"]}});
        let found = escape_json(&mut v);
        assert_eq!(found, vec!["tags.n\\e", "tags.m[1]"]);
        assert_eq!(v["tags"]["n\\e"], "x");
    }

    #[test]
    fn clips_with_a_marker() {
        assert_eq!(clip("abcdef", 3), "abc…(+3 chars)");
        assert_eq!(clip("abc", 3), "abc");
    }

    #[test]
    fn terminal_net_keeps_newlines_and_our_colours() {
        assert_eq!(
            terminal_safe("a\n\u{1b}[1;31mb\u{1b}[0m", true),
            "a\n\u{1b}[1;31mb\u{1b}[0m"
        );
        assert_eq!(terminal_safe("\u{1b}]0;x\u{7}", true), "\\u001b]0;x\\u0007");
        assert_eq!(terminal_safe("\u{1b}[5m", false), "\\u001b[5m");
    }

    #[test]
    fn the_net_keeps_json_valid() {
        let raw =
            serde_json::to_string_pretty(&serde_json::json!({"s": "a\u{9b}b\u{202e}c\u{1b}"}))
                .unwrap();
        let safe = terminal_safe(&raw, false);
        assert!(!safe.chars().any(|c| c != '\n' && is_unsafe(c)));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["s"], "a\u{9b}b\u{202e}c\u{1b}");
    }
}
