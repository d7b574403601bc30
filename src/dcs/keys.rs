//! Key paths: `/<namespace>/<cluster>/<kind>[/<member>]`.

/// What a key under a cluster's prefix holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyKind {
    Config,
    Leader,
    Member(String),
    History,
    Status,
    /// `optime/leader`, written by Patroni before 2.x-style `status`.
    OptimeLeader,
    Sync,
    Failover,
    Failsafe,
    Initialize,
    /// Anything else under the cluster (kept so nothing is silently dropped).
    Other(String),
}

impl KeyKind {
    /// The key's path under its cluster, as Patroni names it.
    pub fn tail(&self) -> String {
        match self {
            KeyKind::Config => "config".into(),
            KeyKind::Leader => "leader".into(),
            KeyKind::Member(n) => format!("members/{n}"),
            KeyKind::History => "history".into(),
            KeyKind::Status => "status".into(),
            KeyKind::OptimeLeader => "optime/leader".into(),
            KeyKind::Sync => "sync".into(),
            KeyKind::Failover => "failover".into(),
            KeyKind::Failsafe => "failsafe".into(),
            KeyKind::Initialize => "initialize".into(),
            KeyKind::Other(k) => k.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedKey {
    pub cluster: String,
    pub kind: KeyKind,
}

/// Patroni normalises the namespace to `/name/`; so do we, so `pg`, `/pg` and
/// `/pg/` all address the same keys.
pub fn normalize_namespace(ns: &str) -> String {
    let trimmed = ns.trim_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        format!("/{trimmed}/")
    }
}

/// Parses a key relative to `namespace` (already normalised). Returns `None`
/// for keys outside the namespace or without a cluster component.
///
/// Bytes that are not UTF-8 and characters a terminal would obey are kept as
/// escapes (`\xff`, `\e`), so such a key still lands in its cluster and is
/// flagged there instead of vanishing; the same bytes always give the same
/// name, so a later delete finds it.
pub fn parse_key(namespace: &str, key: &[u8]) -> Option<ParsedKey> {
    let rest = key.strip_prefix(namespace.as_bytes())?;
    let rest = match std::str::from_utf8(rest) {
        Ok(s) => crate::text::escape(s),
        Err(_) => std::borrow::Cow::Owned(crate::text::printable_bytes(rest, usize::MAX)),
    };
    let (cluster, tail) = rest.split_once('/')?;
    if cluster.is_empty() {
        return None;
    }
    let kind = match tail {
        "config" => KeyKind::Config,
        "leader" => KeyKind::Leader,
        "history" => KeyKind::History,
        "status" => KeyKind::Status,
        "optime/leader" => KeyKind::OptimeLeader,
        "sync" => KeyKind::Sync,
        "failover" => KeyKind::Failover,
        "failsafe" => KeyKind::Failsafe,
        "initialize" => KeyKind::Initialize,
        other => match other.strip_prefix("members/") {
            Some(name) if !name.is_empty() && !name.contains('/') => {
                KeyKind::Member(name.to_string())
            }
            _ => KeyKind::Other(other.to_string()),
        },
    };
    Some(ParsedKey {
        cluster: cluster.to_string(),
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_normalise() {
        assert_eq!(normalize_namespace("pg"), "/pg/");
        assert_eq!(normalize_namespace("/pg"), "/pg/");
        assert_eq!(normalize_namespace("/pg/"), "/pg/");
        assert_eq!(normalize_namespace("/service/"), "/service/");
    }

    #[test]
    fn keys_parse() {
        let k = parse_key("/pg/", b"/pg/pg-test/members/pg-test-1").unwrap();
        assert_eq!(k.cluster, "pg-test");
        assert_eq!(k.kind, KeyKind::Member("pg-test-1".into()));
        assert_eq!(
            parse_key("/pg/", b"/pg/pg-test/optime/leader")
                .unwrap()
                .kind,
            KeyKind::OptimeLeader
        );
        assert_eq!(
            parse_key("/pg/", b"/pg/pg-test/weird/x").unwrap().kind,
            KeyKind::Other("weird/x".into())
        );
        assert!(parse_key("/pg/", b"/other/pg-test/leader").is_none());
        assert!(parse_key("/pg/", b"/pg/pg-test").is_none());
        assert_eq!(
            parse_key("/pg/", b"/pg/pg-test/members/a\xff\x1b")
                .unwrap()
                .kind,
            KeyKind::Member("a\\xff\\e".into())
        );
    }
}
