//! `GET /v1/vip`: the node's VIP config (vip-manager's or keepalived's)
//! and whether the node holds the address now.
//!
//! The config is read on every request, so an edited config shows at once.
//! vip-manager's is YAML (`ip`, `netmask`, `interface`, `trigger-key`,
//! `trigger-value`: Pigsty's `/etc/default/vip-manager.yml`) or the older
//! `VIP_*=` environment file of Debian's package. keepalived's is read for
//! `virtual_ipaddress` blocks (the first address, its `dev`, else the
//! instance's `interface`). Whether the address is held is asked of the
//! kernel (getifaddrs), not of the manager: a manager that crashed
//! after binding is exactly what this must not believe.

use crate::model::vip::VipReport;
use std::path::Path;

/// vip-manager's settings from its config text.
pub fn parse_vip_manager(text: &str) -> Result<VipReport, String> {
    let mut r = VipReport {
        configured: true,
        manager: Some("vip-manager".into()),
        ..Default::default()
    };
    let yaml = serde_yaml::from_str::<serde_yaml::Value>(text).ok();
    let get = |k: &str| -> Option<String> {
        let v = yaml.as_ref()?.get(k)?;
        match v {
            serde_yaml::Value::String(s) => Some(s.clone()),
            serde_yaml::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    if get("ip").is_some() {
        r.ip = get("ip");
        r.interface = get("interface");
        r.trigger_key = get("trigger-key").or_else(|| get("key"));
        r.trigger_value = get("trigger-value").or_else(|| get("nodename"));
    } else {
        for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches(['"', '\'']).to_string();
            match k.trim() {
                "VIP_IP" => r.ip = Some(v),
                "VIP_IFACE" => r.interface = Some(v),
                "VIP_KEY" | "VIP_TRIGGER_KEY" => r.trigger_key = Some(v),
                "VIP_HOST" | "VIP_TRIGGER_VALUE" => r.trigger_value = Some(v),
                _ => {}
            }
        }
    }
    match r.ip.as_deref() {
        None => Err("no `ip` in it".into()),
        Some(ip) if ip.parse::<std::net::IpAddr>().is_err() => {
            Err(format!("`ip` {ip:?} is not an IP address"))
        }
        Some(_) => Ok(r),
    }
}

/// keepalived's first `virtual_ipaddress` from its config text.
pub fn parse_keepalived(text: &str) -> Result<VipReport, String> {
    let mut interface = None;
    let mut in_vip = false;
    for raw in text.lines() {
        let line = raw.split(['#', '!']).next().unwrap_or("").trim();
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["interface", i, ..] => interface = Some(i.to_string()),
            ["virtual_ipaddress", "{", ..] | ["virtual_ipaddress"] => in_vip = true,
            ["}", ..] if in_vip => in_vip = false,
            [addr, rest @ ..] if in_vip && *addr != "{" => {
                let ip = addr.split('/').next().unwrap_or(addr);
                if ip.parse::<std::net::IpAddr>().is_err() {
                    return Err(format!("virtual_ipaddress {addr:?} is not an address"));
                }
                let dev = rest
                    .windows(2)
                    .find(|w| w[0] == "dev")
                    .map(|w| w[1].to_string())
                    .or(interface.clone());
                return Ok(VipReport {
                    configured: true,
                    manager: Some("keepalived".into()),
                    ip: Some(ip.to_string()),
                    interface: dev,
                    ..Default::default()
                });
            }
            _ => {}
        }
    }
    Err("no address in a virtual_ipaddress block".into())
}

/// The interface holding `ip` now, if any: the configured one only, when
/// the config names it (a manager binds there; the same address on another
/// interface is not its doing).
pub fn holder_interface(ip: &str, only: Option<&str>) -> Result<Option<String>, String> {
    let want: std::net::IpAddr = ip
        .parse()
        .map_err(|_| format!("{ip:?} is not an IP address"))?;
    let addrs =
        nix::ifaddrs::getifaddrs().map_err(|e| format!("listing the node's addresses: {e}"))?;
    for a in addrs {
        let Some(addr) = a.address else { continue };
        let got: Option<std::net::IpAddr> = addr
            .as_sockaddr_in()
            .map(|s| std::net::IpAddr::V4(s.ip()))
            .or_else(|| addr.as_sockaddr_in6().map(|s| std::net::IpAddr::V6(s.ip())));
        if got == Some(want) && only.is_none_or(|i| i == a.interface_name) {
            return Ok(Some(a.interface_name));
        }
    }
    Ok(None)
}

/// What `GET /v1/vip` answers: vip-manager's config if there is one, else
/// keepalived's, else `configured: false`.
pub fn report(vip_manager: &Path, keepalived: &Path) -> VipReport {
    let (path, parsed) = if vip_manager.exists() {
        (
            vip_manager,
            std::fs::read_to_string(vip_manager)
                .map_err(|e| e.to_string())
                .and_then(|t| parse_vip_manager(&t)),
        )
    } else if keepalived.exists() {
        (
            keepalived,
            std::fs::read_to_string(keepalived)
                .map_err(|e| e.to_string())
                .and_then(|t| parse_keepalived(&t)),
        )
    } else {
        return VipReport::default();
    };
    let mut r = match parsed {
        Ok(r) => r,
        Err(e) => VipReport {
            configured: true,
            error: Some(format!("{}: {e}", path.display())),
            ..Default::default()
        },
    };
    r.config = Some(path.display().to_string());
    if let Some(ip) = r.ip.clone() {
        match holder_interface(&ip, r.interface.as_deref()) {
            Ok(on) => {
                r.held = on.is_some();
                r.held_on = on;
            }
            Err(e) => r.error = Some(e),
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vip_manager_yaml_and_env_files() {
        let y = "ip: 10.10.10.3\nnetmask: 24\ninterface: eth0\ntrigger-key: /pg/pg-test/leader\ntrigger-value: pg-test-1\ndcs-type: etcd\n";
        let r = parse_vip_manager(y).unwrap();
        assert_eq!(r.ip.as_deref(), Some("10.10.10.3"));
        assert_eq!(r.trigger_key.as_deref(), Some("/pg/pg-test/leader"));
        assert_eq!(r.trigger_value.as_deref(), Some("pg-test-1"));
        let env = "# The keys below are mandatory\nVIP_IP=\"10.1.2.3\"\nVIP_MASK=24\nVIP_IFACE=\"eth0\"\nVIP_KEY=\"/service/batman/leader\"\nVIP_HOST=\"serverX\"\n";
        let r = parse_vip_manager(env).unwrap();
        assert_eq!(
            (r.ip.as_deref(), r.interface.as_deref()),
            (Some("10.1.2.3"), Some("eth0"))
        );
        assert_eq!(r.trigger_value.as_deref(), Some("serverX"));
        assert!(parse_vip_manager("ip: not-an-ip\n")
            .unwrap_err()
            .contains("not an IP"));
        assert!(parse_vip_manager("# nothing\n").is_err());
    }

    #[test]
    fn keepalived_first_virtual_address_and_its_device() {
        let c = "global_defs {\n  router_id pg1\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth1\n  virtual_router_id 51\n  virtual_ipaddress {\n    10.0.0.50/24 dev eth0 label eth0:vip # the writer\n  }\n}\n";
        let r = parse_keepalived(c).unwrap();
        assert_eq!(
            (r.ip.as_deref(), r.interface.as_deref()),
            (Some("10.0.0.50"), Some("eth0"))
        );
        let c = "vrrp_instance VI_1 {\n  interface eth1\n  virtual_ipaddress {\n    10.0.0.51\n  }\n}\n";
        assert_eq!(
            parse_keepalived(c).unwrap().interface.as_deref(),
            Some("eth1")
        );
        assert!(parse_keepalived("vrrp_instance X {\n}\n").is_err());
    }

    #[test]
    fn the_kernel_says_who_holds_an_address() {
        assert_eq!(
            holder_interface("127.0.0.1", None).unwrap().as_deref(),
            Some("lo")
        );
        assert_eq!(
            holder_interface("127.0.0.1", Some("lo"))
                .unwrap()
                .as_deref(),
            Some("lo")
        );
        assert_eq!(
            holder_interface("127.0.0.1", Some("pgtui-none")).unwrap(),
            None
        );
        assert_eq!(holder_interface("127.0.77.77", None).unwrap(), None);
        assert!(holder_interface("nope", None).is_err());
    }
}
