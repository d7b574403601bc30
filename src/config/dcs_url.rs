//! `--dcs-url etcd3://HOST:PORT[,HOST:PORT...]/NAMESPACE`.

use super::ConfigError;

#[derive(Debug, Clone, PartialEq)]
pub struct DcsUrl {
    pub hosts: Vec<String>,
    pub namespace: Option<String>,
}

pub fn parse(url: &str) -> Result<DcsUrl, ConfigError> {
    let err = |reason: &str| ConfigError::DcsUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(|| err("missing scheme"))?;
    match scheme {
        "etcd3" => {}
        "etcd" => return Err(err("the etcd v2 API is not supported; use etcd3://")),
        _ => return Err(err(&format!("unsupported DCS type {scheme:?}"))),
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
    for h in &hosts {
        super::resolve::check_host_port(h).map_err(|r| err(&r))?;
    }
    Ok(DcsUrl { hosts, namespace })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_and_namespace() {
        let u = parse("etcd3://127.0.0.1:2379,127.0.0.1:22379/pg").unwrap();
        assert_eq!(u.hosts, vec!["127.0.0.1:2379", "127.0.0.1:22379"]);
        assert_eq!(u.namespace.as_deref(), Some("pg"));
        assert_eq!(parse("etcd3://h:1").unwrap().namespace, None);
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in [
            "127.0.0.1:2379",
            "etcd://h:1/pg",
            "consul://h:1",
            "etcd3:///pg",
            "etcd3://h:notaport/pg",
        ] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(e.contains("expected etcd3://"), "{bad}: {e}");
        }
    }
}
