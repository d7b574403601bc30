//! `--dcs-url etcd3://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]/NAMESPACE`.
//!
//! Errors describe the part that is wrong by position and never repeat
//! the URL, which may carry a password (see [`super::userinfo`]).

use super::userinfo::{self, UrlCredentials};
use super::ConfigError;

#[derive(Debug, Clone, PartialEq)]
pub struct DcsUrl {
    pub hosts: Vec<String>,
    pub namespace: Option<String>,
    /// The etcd user (and password) written before the hosts.
    pub credentials: Option<UrlCredentials>,
}

pub fn parse(url: &str) -> Result<DcsUrl, ConfigError> {
    let err = |reason: &str| ConfigError::DcsUrl {
        reason: reason.to_string(),
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(err("missing scheme"));
    };
    match scheme {
        "etcd3" => {}
        "etcd" => return Err(err("the etcd v2 API is not supported; use etcd3://")),
        _ => return Err(err("unsupported DCS type: pgtui speaks etcd v3 only")),
    }
    let (credentials, rest) = userinfo::split(rest);
    if credentials.as_ref().is_some_and(|c| c.username.is_empty()) {
        return Err(err("the user before @ is empty"));
    }
    let (hosts, namespace) = match rest.split_once('/') {
        Some((h, ns)) => (
            h,
            (!ns.trim_matches('/').is_empty()).then(|| ns.to_string()),
        ),
        None => (rest, None),
    };
    let hosts: Vec<String> = hosts
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_string)
        .collect();
    if hosts.is_empty() {
        return Err(err("no host given"));
    }
    for (i, h) in hosts.iter().enumerate() {
        super::resolve::check_host_port(h).map_err(|r| err(&format!("endpoint {} {r}", i + 1)))?;
    }
    Ok(DcsUrl {
        hosts,
        namespace,
        credentials,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_and_namespace() {
        let u = parse("etcd3://127.0.0.1:2379,127.0.0.1:22379/pg").unwrap();
        assert_eq!(u.hosts, vec!["127.0.0.1:2379", "127.0.0.1:22379"]);
        assert_eq!(u.namespace.as_deref(), Some("pg"));
        assert_eq!(u.credentials, None);
        assert_eq!(parse("etcd3://h:1").unwrap().namespace, None);
    }

    #[test]
    fn takes_credentials_before_the_hosts() {
        let u = parse("etcd3://root:S3/CR@T@127.0.0.1:2379,[::1]:2379/pg").unwrap();
        let c = u.credentials.unwrap();
        assert_eq!(c.username, "root");
        assert_eq!(c.password.unwrap().expose(), "S3/CR@T");
        assert_eq!(u.hosts, vec!["127.0.0.1:2379", "[::1]:2379"]);
        assert_eq!(u.namespace.as_deref(), Some("pg"));
    }

    #[test]
    fn rejects_bad_urls_without_repeating_them() {
        for bad in [
            "127.0.0.1:2379",
            "etcd://h:1/pg",
            "consul://h:1",
            "etcd3:///pg",
            "etcd3://h:notaport/pg",
            "etcd3//root:S3CRET@h:1/pg",
            "etcd3://root:S3CRET@h/pg",
            "etcd3://root:S3CRET:h:1/pg",
            "etcd3://:S3CRET@h:1/pg",
            "etcd3:S3CRET://h:1/pg",
        ] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(e.contains("expected etcd3://"), "{bad}: {e}");
            assert!(!e.contains("S3CRET"), "{bad}: {e}");
            assert!(!e.contains("notaport"), "{bad}: {e}");
        }
    }
}
