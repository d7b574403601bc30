//! Where each HAProxy service listens, without pgtui settings.
//!
//! HAProxy's stats CSV names its proxies but not the ports they bind, nor
//! the Patroni endpoint they health-check. Those come from the HAProxy
//! config where it can be read ([`parse_cfg`]: `listen`/`frontend`/`backend` names,
//! `bind` ports, `option httpchk` / `http-check send` paths), else from the
//! layouts the reference stacks ship ([`known_port`]): Pigsty's
//! `<cluster>-primary` on 5433…, autobase's `master` on 5000…, Percona's
//! `primary`/`standbys` on 5000/5001.
//!
//! The stats CSV leaves each server's address empty unless `stats
//! show-legends` is on (Pigsty's and autobase's pages leave it off), so
//! [`fill_server_addrs`] takes it from the config's `server` lines: the
//! address says whether a server is PostgreSQL or the pgbouncer beside it.

use super::ServiceKind;

/// One `listen`, `frontend` or `backend` section of an HAProxy config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CfgProxy {
    pub name: String,
    /// `(address, port)` of each `bind`; `None` for `*` or empty.
    pub binds: Vec<(Option<String>, u16)>,
    /// The Patroni endpoint its health check asks (`/primary`, `/replica`…).
    pub check_path: Option<String>,
    /// `stats uri` when this section serves HAProxy's stats.
    pub stats_uri: Option<String>,
    /// `server NAME ADDRESS:PORT` lines: (name, address:port).
    pub servers: Vec<(String, String)>,
    /// Which HAProxy's config it came from (an index into the groups
    /// loaded: all the files one HAProxy reads), so one HAProxy's sections
    /// are not mixed with another's.
    pub file: usize,
}

fn bind_addr(tok: &str) -> Option<(Option<String>, u16)> {
    let (host, port) = tok.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = (!host.is_empty() && host != "*" && host != "0.0.0.0" && host != "::")
        .then(|| host.to_string());
    Some((host, port))
}

/// The sections of one HAProxy config text. Unknown lines are ignored; a
/// config pgtui cannot make sense of simply yields fewer sections.
pub fn parse_cfg(text: &str) -> Vec<CfgProxy> {
    let mut out: Vec<CfgProxy> = vec![];
    let mut cur: Option<CfgProxy> = None;
    for raw in text.lines() {
        let line = raw.split('#').next().unwrap_or("").trim();
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(first) = words.first() else { continue };
        let top = !raw.starts_with([' ', '\t']);
        if top {
            if let Some(p) = cur.take() {
                out.push(p);
            }
            if matches!(*first, "listen" | "frontend" | "backend") {
                let mut p = CfgProxy {
                    name: words.get(1).unwrap_or(&"").to_string(),
                    binds: vec![],
                    check_path: None,
                    stats_uri: None,
                    servers: vec![],
                    file: 0,
                };
                // `listen NAME ADDR:PORT` (old style).
                if let Some(b) = words.get(2).and_then(|w| bind_addr(w)) {
                    p.binds.push(b);
                }
                cur = Some(p);
            }
            continue;
        }
        let Some(p) = cur.as_mut() else { continue };
        match words.as_slice() {
            ["bind", addrs, ..] => {
                p.binds.extend(addrs.split(',').filter_map(bind_addr));
            }
            ["option", "httpchk", rest @ ..] => {
                if let Some(path) = rest.iter().find(|w| w.starts_with('/')) {
                    p.check_path = Some(path.to_string());
                }
            }
            ["http-check", "send", rest @ ..] => {
                if let Some(i) = rest.iter().position(|w| *w == "uri") {
                    p.check_path = rest.get(i + 1).map(|s| s.to_string());
                }
            }
            ["stats", "uri", uri, ..] => p.stats_uri = Some(uri.to_string()),
            ["server", name, addr, ..] if bind_addr(addr).is_some() => {
                p.servers.push((name.to_string(), addr.to_string()));
            }
            _ => {}
        }
    }
    if let Some(p) = cur.take() {
        out.push(p);
    }
    out.retain(|p| !p.name.is_empty());
    out
}

/// The role a Patroni health-check endpoint selects.
pub fn kind_from_check(path: &str) -> ServiceKind {
    let p = path.split('?').next().unwrap_or(path).trim_end_matches('/');
    match p {
        "/primary" | "/master" | "/leader" | "/read-write" => ServiceKind::Primary,
        "/replica" | "/read-only" | "/standby" => ServiceKind::Replica,
        "/sync" | "/synchronous" | "/read-only-sync" => ServiceKind::ReplicaSync,
        "/async" | "/asynchronous" | "/read-only-async" => ServiceKind::ReplicaAsync,
        _ => ServiceKind::Other,
    }
}

/// The port the reference stacks give a proxy of this name.
pub fn known_port(cluster: &str, proxy: &str) -> Option<u16> {
    let pigsty = proxy
        .strip_prefix(&format!("{cluster}-"))
        .and_then(|s| match s {
            "primary" => Some(5433),
            "replica" => Some(5434),
            "default" => Some(5436),
            "offline" => Some(5438),
            _ => None,
        });
    pigsty.or(match proxy {
        // autobase
        "master" => Some(5000),
        "replicas" => Some(5001),
        "replicas_sync" => Some(5002),
        "replicas_async" => Some(5003),
        // Percona's reference architecture
        "primary" => Some(5000),
        "standbys" => Some(5001),
        _ => None,
    })
}

/// Stats endpoints to try on a host with no configured `stats_urls`:
/// those the local configs declare, then Pigsty's and autobase's defaults.
pub fn stats_candidates(host: &str, cfgs: &[CfgProxy]) -> Vec<String> {
    let h = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let mut v: Vec<String> = cfgs
        .iter()
        .filter_map(|p| Some((p.stats_uri.as_ref()?, p.binds.first()?)))
        .map(|(uri, (_, port))| format!("http://{h}:{port}{};csv", uri.trim_end_matches(';')))
        .collect();
    for d in [
        format!("http://{h}:9101/stats;csv"),
        format!("http://{h}:7000/;csv"),
    ] {
        if !v.contains(&d) {
            v.push(d);
        }
    }
    v
}

/// The port of `proxy` on `host`: a local config's bind for that host (or
/// a wildcard bind), else the reference layouts' port.
pub fn service_port(cluster: &str, proxy: &str, host: &str, cfgs: &[CfgProxy]) -> Option<u16> {
    let binds: Vec<&(Option<String>, u16)> = cfgs
        .iter()
        .filter(|p| p.name == proxy)
        .flat_map(|p| p.binds.iter())
        .collect();
    binds
        .iter()
        .find(|(h, _)| h.as_deref() == Some(host))
        .or_else(|| binds.iter().find(|(h, _)| h.is_none()))
        .map(|(_, p)| *p)
        .or_else(|| known_port(cluster, proxy))
}

/// The role of `proxy`: by its name, else by its health check.
pub fn service_kind(cluster: &str, proxy: &str, cfgs: &[CfgProxy]) -> ServiceKind {
    match super::classify_service(cluster, proxy) {
        ServiceKind::Other => cfgs
            .iter()
            .find(|p| p.name == proxy)
            .and_then(|p| p.check_path.as_deref())
            .map(kind_from_check)
            .unwrap_or(ServiceKind::Other),
        k => k,
    }
}

/// The config group of the HAProxy whose stats page is `url`: the one
/// whose stats section binds that port on that host, else the one binding
/// it on every address (`*`). `None` when none does, or several equally.
fn file_of(url: &str, cfgs: &[CfgProxy]) -> Option<usize> {
    let u = url::Url::parse(url).ok()?;
    let host = super::stats_host(url)?;
    let port = u.port_or_known_default()?;
    let groups = |exact: bool| {
        let mut g: Vec<usize> = cfgs
            .iter()
            .filter(|c| c.stats_uri.is_some())
            .filter(|c| {
                c.binds.iter().any(|(h, p)| {
                    *p == port
                        && match h {
                            Some(h) => exact && *h == host,
                            None => !exact,
                        }
                })
            })
            .map(|c| c.file)
            .collect();
        g.sort();
        g.dedup();
        g
    };
    let exact = groups(true);
    let chosen = if exact.is_empty() {
        groups(false)
    } else {
        exact
    };
    match chosen.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// Gives each server row without an address the one its proxy's `server`
/// line names in the config of the HAProxy behind `url` (when this machine
/// has it and it declares that proxy), else in every config read. Configs
/// that disagree (two HAProxys with different addresses under one server
/// name) fill nothing: a guessed hop would be worse than an unknown one.
pub fn fill_server_addrs(url: &str, proxies: &mut [super::Proxy], cfgs: &[CfgProxy]) {
    let file = file_of(url, cfgs);
    for p in proxies.iter_mut() {
        let own = file.filter(|f| cfgs.iter().any(|c| c.name == p.name && c.file == *f));
        for s in p.servers.iter_mut().filter(|s| s.addr.is_none()) {
            let mut found = cfgs
                .iter()
                .filter(|c| c.name == p.name && own.is_none_or(|f| c.file == f))
                .flat_map(|c| c.servers.iter())
                .filter(|(n, _)| *n == s.name)
                .map(|(_, a)| a);
            let Some(first) = found.next() else { continue };
            if found.all(|a| a == first) {
                s.addr = Some(first.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTOBASE: &str = "global\n    maxconn 100\n\nlisten stats\n    mode http\n    bind *:7000\n    stats enable\n    stats uri /\n\nlisten master\n    bind 10.0.0.1:5000\n    option httpchk OPTIONS /primary\n    server n1 10.0.0.1:5432 check port 8008\n\nlisten replicas_sync\n  bind *:5002\n  http-check send meth OPTIONS uri /sync\n";

    #[test]
    fn reads_binds_checks_and_stats() {
        let c = parse_cfg(AUTOBASE);
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].stats_uri.as_deref(), Some("/"));
        assert_eq!(c[1].binds, vec![(Some("10.0.0.1".into()), 5000)]);
        assert_eq!(c[1].check_path.as_deref(), Some("/primary"));
        assert_eq!(
            kind_from_check(c[2].check_path.as_deref().unwrap()),
            ServiceKind::ReplicaSync
        );
        assert_eq!(
            stats_candidates("10.0.0.2", &c)[0],
            "http://10.0.0.2:7000/;csv"
        );
        assert_eq!(service_port("pg", "master", "10.0.0.1", &c), Some(5000));
        assert_eq!(
            service_port("pg", "replicas_sync", "10.0.0.9", &c),
            Some(5002)
        );
        assert_eq!(
            service_port("pg", "replicas_async", "10.0.0.9", &[]),
            Some(5003)
        );
        assert_eq!(
            service_port("pg-test", "pg-test-replica", "h", &[]),
            Some(5434)
        );
        assert_eq!(service_port("pg", "custom", "h", &[]), None);
        assert_eq!(c[1].servers, vec![("n1".into(), "10.0.0.1:5432".into())]);
    }

    #[test]
    fn server_addresses_come_from_the_config_unless_configs_disagree() {
        let csv = "# pxname,svname,status,bck,addr\nmaster,n1,UP,0,\nmaster,n2,UP,0,\n";
        let proxies = crate::model::haproxy::parse_stats_csv(csv).unwrap();
        let one = parse_cfg(AUTOBASE);
        let mut p = proxies.clone();
        fill_server_addrs("http://10.0.0.1:7000/;csv", &mut p, &one);
        assert_eq!(p[0].servers[0].addr.as_deref(), Some("10.0.0.1:5432"));
        assert_eq!(p[0].servers[1].addr, None, "n2 is in no config");
        // Two HAProxys on this machine, each binding its stats on its own
        // address, with different addresses under one server name.
        let own = |stats: &str, server: &str, file| {
            let text = AUTOBASE
                .replace("*:7000", stats)
                .replace("10.0.0.1:5432", server);
            parse_cfg(&text).into_iter().map(move |mut c| {
                c.file = file;
                c
            })
        };
        let two: Vec<CfgProxy> = own("10.0.0.1:7000", "10.0.0.1:5432", 0)
            .chain(own("10.0.9.1:7000", "10.0.9.1:6432", 1))
            .collect();
        let mut p = proxies.clone();
        fill_server_addrs("http://10.0.9.1:7000/;csv", &mut p, &two);
        assert_eq!(p[0].servers[0].addr.as_deref(), Some("10.0.9.1:6432"));
        // A stats page neither config binds: they disagree, so nothing.
        let mut p = proxies;
        fill_server_addrs("http://10.0.5.5:7000/;csv", &mut p, &two);
        assert_eq!(p[0].servers[0].addr, None, "two configs, two addresses");
    }

    #[test]
    fn pigstys_split_files_are_one_haproxy_and_an_exact_bind_beats_a_wildcard() {
        // Pigsty: `-f /etc/haproxy/`, the stats page in haproxy.cfg on every
        // address, each service in a file of its own (one group).
        let stats = "listen stats\n    bind *:9101\n    stats uri /stats\n";
        let svc = "listen pg-test-primary\n    bind *:5433\n    server pg-test-1 10.0.0.11:6432 check port 8008\n";
        let mut cfgs: Vec<CfgProxy> = parse_cfg(stats);
        cfgs.extend(parse_cfg(svc));
        // Another HAProxy on this machine, its stats on its own address.
        cfgs.extend(
            parse_cfg(&format!(
                "{}{}",
                stats.replace("*:9101", "10.0.9.1:9101"),
                svc.replace("10.0.0.11:6432", "10.0.9.11:5432")
            ))
            .into_iter()
            .map(|mut c| {
                c.file = 1;
                c
            }),
        );
        let csv = "# pxname,svname,status,bck,addr\npg-test-primary,pg-test-1,UP,0,\n";
        let proxies = crate::model::haproxy::parse_stats_csv(csv).unwrap();
        let mut p = proxies.clone();
        fill_server_addrs("http://10.0.0.11:9101/stats;csv", &mut p, &cfgs);
        assert_eq!(p[0].servers[0].addr.as_deref(), Some("10.0.0.11:6432"));
        let mut p = proxies;
        fill_server_addrs("http://10.0.9.1:9101/stats;csv", &mut p, &cfgs);
        assert_eq!(p[0].servers[0].addr.as_deref(), Some("10.0.9.11:5432"));
    }
}
