//! Parse errors of config files, told without the values they quote.
//!
//! serde's type errors quote the offending value (`invalid type: string
//! "user:pass", expected struct Auth`), and in a config file that value is
//! often a password in the wrong shape: `authentication: "user:pass"` where
//! a map belongs, a URL with credentials where a list belongs. These
//! functions keep what helps (the field, the kind of value found, the shape
//! expected, the line) and drop the value itself.

/// serde's message (from serde_yaml or toml) with the value left out.
pub fn describe(raw: &str) -> String {
    for (marker, what) in [
        ("invalid type: ", "wrong type"),
        ("invalid value: ", "invalid value"),
    ] {
        if let Some(i) = raw.find(marker) {
            let field = &raw[..i];
            let rest = &raw[i + marker.len()..];
            let Some(j) = rest.rfind(", expected ") else {
                return format!("{field}{what}");
            };
            // Past the last ", expected ": text serde made from our own types
            // (and, from serde_yaml, " at line L column C"), never the value.
            let (expected, at) = split_location(&rest[j + ", expected ".len()..]);
            return format!(
                "{field}{what}: expected {}, found {}{at}",
                shape(expected),
                kind(&rest[..j])
            );
        }
    }
    if let Some(i) = raw.find("unknown variant ") {
        let expected = raw[i..]
            .rfind(", expected ")
            .map(|j| &raw[i + j..])
            .unwrap_or("");
        return format!("{}unknown value{expected}", &raw[..i]);
    }
    without_quoted(raw)
}

/// `… at line 2 column 19` split off the end, when it is there.
fn split_location(s: &str) -> (&str, &str) {
    match s.rfind(" at line ") {
        Some(k)
            if s[k + " at line ".len()..]
                .chars()
                .all(|c| c.is_ascii_digit() || c == ' ' || c.is_ascii_lowercase()) =>
        {
            (&s[..k], &s[k..])
        }
        _ => (s, ""),
    }
}

/// The kind of value serde found, from the start of its description
/// (`string "…"`, ``integer `5` ``, `map`...), without the value.
fn kind(unexpected: &str) -> &'static str {
    const KINDS: [(&str, &str); 11] = [
        ("string", "a string"),
        ("integer", "an integer"),
        ("floating point", "a number"),
        ("boolean", "a boolean"),
        ("character", "a character"),
        ("byte array", "bytes"),
        ("unit value", "nothing (null)"),
        ("sequence", "a list"),
        ("map", "a map"),
        ("Option value", "an optional value"),
        ("enum", "a tagged value"),
    ];
    KINDS
        .iter()
        .find(|(prefix, _)| unexpected.starts_with(prefix))
        .map(|(_, k)| *k)
        .unwrap_or("another kind of value")
}

/// serde's name for what a field takes, in the file's terms.
fn shape(expected: &str) -> String {
    match expected {
        "struct Auth" => "a map with username and password".into(),
        "u64" | "u32" | "i64" => "a whole number".into(),
        "u16" => "a whole number from 0 to 65535".into(),
        e if e.starts_with("struct ") => "a map".into(),
        e => without_quoted(e),
    }
}

/// Every double-quoted part of `s` (serde quotes values with Rust's string
/// escapes) replaced by `"…"`.
fn without_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '"' {
            continue;
        }
        out.push_str("…\"");
        let mut escaped = false;
        for c in chars.by_ref() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => break,
                _ => {}
            }
        }
    }
    out
}

/// The dotted name of the TOML key on the line at byte `offset` of
/// `text`, with its `[table]`: `sql.connect_timeout_ms`. `None` when that
/// line is not a plain `key = value` line (a continuation line may hold a
/// value with `=` in it, which is not a name to print).
pub fn toml_field(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = text[start..].lines().next().unwrap_or("");
    let key = line.split_once('=')?.0.trim();
    let bare = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-. ".contains(c))
    };
    if !bare(key) {
        return None;
    }
    let key = key.split('.').map(str::trim).collect::<Vec<_>>().join(".");
    let table = text[..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim())
        .filter(|t| bare(t));
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_errors_keep_the_field_and_shape_and_drop_the_value() {
        let m = describe(
            r#"restapi.authentication: invalid type: string "user:S3\"CRET, expected x", expected struct Auth at line 2 column 19"#,
        );
        assert_eq!(
            m,
            "restapi.authentication: wrong type: expected a map with username and password, found a string at line 2 column 19"
        );
        let m = describe("invalid value: integer `-5`, expected u64");
        assert_eq!(
            m,
            "invalid value: expected a whole number, found an integer"
        );
        assert_eq!(
            describe("etcd3: invalid type: floating point `1.5`, expected struct EtcdSection"),
            "etcd3: wrong type: expected a map, found a number"
        );
    }

    #[test]
    fn other_errors_lose_their_quoted_parts() {
        assert_eq!(
            describe(r#"unknown variant `S3CRET`, expected `a` or `b`"#),
            "unknown value, expected `a` or `b`"
        );
        assert_eq!(describe(r#"weird "S3\"CRET" here"#), r#"weird "…" here"#);
        assert_eq!(
            describe("mapping values are not allowed in this context at line 4 column 6"),
            "mapping values are not allowed in this context at line 4 column 6"
        );
    }

    #[test]
    fn toml_fields_are_named_only_from_key_lines() {
        let t = "theme = \"x\"\n[sql]\nconnect_timeout_ms = \"S3CRET\"\n[haproxy.pg-test]\nstats_urls = [\n  \"http://h/?a=S3CRET\",\n]\n";
        let at = |needle: &str| t.find(needle).unwrap();
        assert_eq!(toml_field(t, at("\"x\"")).as_deref(), Some("theme"));
        assert_eq!(
            toml_field(t, at("\"S3CRET\"")).as_deref(),
            Some("sql.connect_timeout_ms")
        );
        assert_eq!(
            toml_field(t, at("[\n")).as_deref(),
            Some("haproxy.pg-test.stats_urls")
        );
        assert_eq!(toml_field(t, at("\"http")), None);
    }
}
