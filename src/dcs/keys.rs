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
pub fn parse_key(namespace: &str, key: &[u8]) -> Option<ParsedKey> {
    let key = std::str::from_utf8(key).ok()?;
    let rest = key.strip_prefix(namespace)?;
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
        assert!(parse_key("/pg/", b"/pg/\xff/leader").is_none());
    }
}
