//! The virtual IP: what each node's agent says of it, and the one rule
//! that judges a cluster's VIP from those answers.
//!
//! Two managers float a VIP in the stacks pgtui serves. vip-manager
//! (Pigsty) watches the leader key and binds the address on the node whose
//! member holds it: so exactly one node should hold it, that node should
//! lead, and its trigger key should be this cluster's leader key (a
//! copy-pasted config watching another cluster's key is a classic). keepalived
//! (Percona, autobase) floats it over the HAProxy nodes by VRRP: exactly one
//! node should hold it, and that node's HAProxy should route the primary
//! service to the leader (where pgtui reads it). Either way a VIP held by no node, or by two, is the
//! outage a DBA is paged for.

use serde::{Deserialize, Serialize};

/// What one node's agent reports (`GET /v1/vip`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VipReport {
    /// A VIP manager's config was found on the node.
    pub configured: bool,
    /// `vip-manager` or `keepalived`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// The config file read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// vip-manager: the DCS key it watches and the value that binds here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_value: Option<String>,
    /// The address is on the node's interface now.
    pub held: bool,
    /// The interface it is on, when held (may differ from the configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_on: Option<String>,
    /// Why the config could not be read, when it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The VIP of a cluster, judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VipVerdict {
    /// No node reported a VIP config (or none was asked yet).
    None,
    /// Held by exactly one node, and it is right.
    Ok { ip: String, holder: String },
    /// Held by no node.
    Missing { ip: String },
    /// Held by several nodes at once.
    Several { ip: String, holders: Vec<String> },
    /// vip-manager: held by a node that does not lead.
    NotOnLeader {
        ip: String,
        holder: String,
        leader: Option<String>,
    },
    /// vip-manager: a node's config watches another key than this
    /// cluster's leader key, or binds on a value that is not its member.
    Misconfigured { member: String, why: String },
    /// keepalived: held by one node, whose HAProxy does not route the
    /// primary service to the leader, so clients of the VIP write nowhere
    /// or to a replica.
    HaproxyElsewhere {
        ip: String,
        holder: String,
        service: String,
        routes: Vec<String>,
        leader: Option<String>,
    },
    /// Some member's answer is missing or old: no verdict over stale data.
    Unknown { ip: String, why: String },
}

impl VipVerdict {
    pub fn is_alarm(&self) -> bool {
        matches!(
            self,
            VipVerdict::Missing { .. }
                | VipVerdict::Several { .. }
                | VipVerdict::NotOnLeader { .. }
                | VipVerdict::Misconfigured { .. }
                | VipVerdict::HaproxyElsewhere { .. }
        )
    }

    /// The words the header, `list` and events use.
    pub fn describe(&self) -> String {
        match self {
            VipVerdict::None => "no VIP".into(),
            VipVerdict::Ok { ip, holder } => format!("VIP {ip} on {holder}"),
            VipVerdict::Missing { ip } => format!("VIP {ip} held by no node"),
            VipVerdict::Several { ip, holders } => {
                format!(
                    "VIP {ip} held by {} nodes at once: {}",
                    holders.len(),
                    holders.join(", ")
                )
            }
            VipVerdict::NotOnLeader { ip, holder, leader } => format!(
                "VIP {ip} on {holder}, not on the leader {}: it did not follow",
                leader.as_deref().unwrap_or("(none)")
            ),
            VipVerdict::Misconfigured { member, why } => format!("VIP config of {member}: {why}"),
            VipVerdict::HaproxyElsewhere {
                ip,
                holder,
                service,
                routes,
                leader,
            } => format!(
                "VIP {ip} on {holder}, whose HAProxy routes {service} to {}, not to the leader {}",
                if routes.is_empty() {
                    "no server".to_string()
                } else {
                    routes.join(",")
                },
                leader.as_deref().unwrap_or("(none)")
            ),
            VipVerdict::Unknown { ip, why } => format!("VIP {ip} unknown: {why}"),
        }
    }
}

/// One member's input to [`judge`]: its report, or why there is none.
pub struct MemberVip<'a> {
    pub member: &'a str,
    pub report: Result<&'a VipReport, &'a str>,
}

/// The rule. `leader_key` is the cluster's leader key path
/// (`/service/pg-test/leader`), `leader` its holder now.
pub fn judge(members: &[MemberVip], leader: Option<&str>, leader_key: &str) -> VipVerdict {
    let configured: Vec<(&str, &VipReport)> = members
        .iter()
        .filter_map(|m| m.report.ok().map(|r| (m.member, r)))
        .filter(|(_, r)| r.configured)
        .collect();
    let Some((_, first)) = configured.first() else {
        return VipVerdict::None;
    };
    let ip = first.ip.clone().unwrap_or_default();
    if let Some(m) = members.iter().find(|m| m.report.is_err()) {
        return VipVerdict::Unknown {
            ip,
            why: format!("{}: {}", m.member, m.report.err().unwrap_or_default()),
        };
    }
    for (member, r) in &configured {
        if let Some(e) = &r.error {
            return VipVerdict::Misconfigured {
                member: member.to_string(),
                why: e.clone(),
            };
        }
        if r.manager.as_deref() != Some("vip-manager") {
            continue;
        }
        if let Some(k) = r.trigger_key.as_deref().filter(|k| *k != leader_key) {
            return VipVerdict::Misconfigured {
                member: member.to_string(),
                why: format!("trigger-key {k} is not this cluster's leader key {leader_key}"),
            };
        }
        if let Some(v) = r.trigger_value.as_deref().filter(|v| v != member) {
            return VipVerdict::Misconfigured {
                member: member.to_string(),
                why: format!(
                    "trigger-value {v} is not the member's name {member}: it would never bind here"
                ),
            };
        }
    }
    let holders: Vec<&str> = configured
        .iter()
        .filter(|(_, r)| r.held)
        .map(|(m, _)| *m)
        .collect();
    match holders.as_slice() {
        [] => VipVerdict::Missing { ip },
        [one] => {
            let follows_leader = configured
                .iter()
                .any(|(_, r)| r.manager.as_deref() == Some("vip-manager"));
            if follows_leader && Some(*one) != leader {
                VipVerdict::NotOnLeader {
                    ip,
                    holder: one.to_string(),
                    leader: leader.map(str::to_string),
                }
            } else {
                VipVerdict::Ok {
                    ip,
                    holder: one.to_string(),
                }
            }
        }
        many => VipVerdict::Several {
            ip,
            holders: many.iter().map(|s| s.to_string()).collect(),
        },
    }
}

/// How long after a leader change HAProxy may still route to the old
/// leader before keepalived's VIP is judged by it (its checks, rise and
/// fall take seconds); the same grace a switchover gives the VIP.
pub const HAPROXY_CONVERGES_IN: std::time::Duration = std::time::Duration::from_secs(15);

/// A member's VIP report older than this is no ground for a verdict.
pub const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// The VIP of `c` now: its members' reports (each answered within
/// [`FRESH_FOR`], else unknown) judged against its leader key in
/// `namespace`.
pub fn of_cluster(
    c: &super::ClusterState,
    namespace: &str,
    now: std::time::SystemTime,
) -> VipVerdict {
    if c.vip.values().all(|r| !r.value.configured) {
        return VipVerdict::None;
    }
    let stale: Vec<(String, String)> = c
        .vip
        .iter()
        .filter(|(_, r)| r.age(now) > FRESH_FOR)
        .map(|(m, r)| {
            (
                m.clone(),
                format!("its agent's answer is {} s old", r.age(now).as_secs()),
            )
        })
        .collect();
    let ip = c
        .vip
        .values()
        .find_map(|r| r.value.ip.clone())
        .unwrap_or_default();
    let failed = c.vip_errors.iter().next();
    if let Some((m, why)) = stale.first() {
        return VipVerdict::Unknown {
            ip,
            why: format!("{m}: {why}"),
        };
    }
    if let Some((m, (_, e))) = failed {
        return VipVerdict::Unknown {
            ip,
            why: format!("{m}: {e}"),
        };
    }
    let members: Vec<MemberVip> = c
        .vip
        .iter()
        .map(|(m, r)| MemberVip {
            member: m,
            report: Ok(&r.value),
        })
        .collect();
    let leader = c.dcs.leader.as_ref().and_then(|l| l.value.ok());
    let key = format!("{namespace}{}/leader", c.name);
    let verdict = judge(&members, leader.map(String::as_str), &key);
    let keepalived = c
        .vip
        .values()
        .any(|r| r.value.manager.as_deref() == Some("keepalived"));
    match verdict {
        VipVerdict::Ok { ip, holder } if keepalived => {
            holder_haproxy(c, &ip, &holder, leader.map(String::as_str), now)
                .unwrap_or(VipVerdict::Ok { ip, holder })
        }
        v => v,
    }
}

/// keepalived floats the VIP over the HAProxy nodes, so the VIP is right
/// only if the holder's HAProxy routes the primary service to the leader.
/// `None` when pgtui reads no HAProxy on the holder (nothing to say).
fn holder_haproxy(
    c: &super::ClusterState,
    ip: &str,
    holder: &str,
    leader: Option<&str>,
    now: std::time::SystemTime,
) -> Option<VipVerdict> {
    use super::haproxy::{classify_service, stats_host, ServiceKind};
    let host = c.dcs.members.get(holder)?.value.ok()?.host_port().0?;
    let (url, stats) = c
        .haproxy
        .endpoints
        .iter()
        .find(|(url, _)| stats_host(url).as_deref() == Some(host.as_str()))?;
    if stats.age(now) > FRESH_FOR || c.haproxy.errors.contains_key(url) {
        return Some(VipVerdict::Unknown {
            ip: ip.to_string(),
            why: format!("the HAProxy of {holder}, which holds it, was not read just now"),
        });
    }
    let primary = stats
        .value
        .iter()
        .find(|p| classify_service(&c.name, &p.name) == ServiceKind::Primary)?;
    let view = super::view::cluster_view(c);
    let routes: Vec<String> = primary
        .routing()
        .iter()
        .map(|s| {
            super::haproxy::member_of(&view, s)
                .unwrap_or(&s.name)
                .to_string()
        })
        .collect();
    if leader.is_some_and(|l| routes == [l]) {
        return None;
    }
    // HAProxy learns of a new leader by its own checks, seconds after the
    // leader key moved: no verdict until it has had the time.
    if let Some(ago) = c
        .dcs
        .former_leaders
        .last()
        .and_then(|(_, at)| now.duration_since(*at).ok())
        .filter(|ago| *ago < HAPROXY_CONVERGES_IN)
    {
        return Some(VipVerdict::Unknown {
            ip: ip.to_string(),
            why: format!(
                "the leader changed {} s ago and the HAProxy of {holder} is still converging",
                ago.as_secs()
            ),
        });
    }
    Some(VipVerdict::HaproxyElsewhere {
        ip: ip.to_string(),
        holder: holder.to_string(),
        service: primary.name.clone(),
        routes,
        leader: leader.map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(member: &str, held: bool) -> VipReport {
        VipReport {
            configured: true,
            manager: Some("vip-manager".into()),
            ip: Some("127.0.1.100".into()),
            interface: Some("lo".into()),
            trigger_key: Some("/service/pg-test/leader".into()),
            trigger_value: Some(member.into()),
            held,
            ..Default::default()
        }
    }

    fn judge_of(r: &[(&str, VipReport)], leader: &str) -> VipVerdict {
        let m: Vec<MemberVip> = r
            .iter()
            .map(|(n, r)| MemberVip {
                member: n,
                report: Ok(r),
            })
            .collect();
        judge(&m, Some(leader), "/service/pg-test/leader")
    }

    #[test]
    fn one_holder_on_the_leader_is_ok_and_everything_else_is_said() {
        let a = [
            ("pg-test-1", vm("pg-test-1", true)),
            ("pg-test-2", vm("pg-test-2", false)),
        ];
        assert!(matches!(judge_of(&a, "pg-test-1"), VipVerdict::Ok { .. }));
        let v = judge_of(&a, "pg-test-2");
        assert!(v.is_alarm());
        assert_eq!(
            v.describe(),
            "VIP 127.0.1.100 on pg-test-1, not on the leader pg-test-2: it did not follow"
        );
        let none = [
            ("pg-test-1", vm("pg-test-1", false)),
            ("pg-test-2", vm("pg-test-2", false)),
        ];
        assert_eq!(
            judge_of(&none, "pg-test-1").describe(),
            "VIP 127.0.1.100 held by no node"
        );
        let two = [
            ("pg-test-1", vm("pg-test-1", true)),
            ("pg-test-2", vm("pg-test-2", true)),
        ];
        assert!(matches!(
            judge_of(&two, "pg-test-1"),
            VipVerdict::Several { .. }
        ));
    }

    #[test]
    fn a_config_watching_another_key_or_value_is_misconfigured() {
        let mut r = vm("pg-test-1", true);
        r.trigger_key = Some("/service/pg-meta/leader".into());
        let v = judge_of(&[("pg-test-1", r)], "pg-test-1");
        assert!(
            v.describe().contains("is not this cluster's leader key"),
            "{v:?}"
        );
        let r = vm("pg-test-9", true);
        let v = judge_of(&[("pg-test-1", r)], "pg-test-1");
        assert!(v.describe().contains("would never bind here"), "{v:?}");
    }

    #[test]
    fn keepalived_needs_one_holder_not_the_leader_and_a_silent_member_is_unknown() {
        let ka = |held| VipReport {
            configured: true,
            manager: Some("keepalived".into()),
            ip: Some("127.0.1.100".into()),
            held,
            ..Default::default()
        };
        let v = judge_of(
            &[("pg-test-1", ka(false)), ("pg-test-2", ka(true))],
            "pg-test-1",
        );
        assert!(matches!(v, VipVerdict::Ok { ref holder, .. } if holder == "pg-test-2"));
        let r = ka(true);
        let m = [
            MemberVip {
                member: "pg-test-1",
                report: Ok(&r),
            },
            MemberVip {
                member: "pg-test-2",
                report: Err("agent unreachable"),
            },
        ];
        let v = judge(&m, Some("pg-test-1"), "/service/pg-test/leader");
        assert!(
            matches!(v, VipVerdict::Unknown { .. }) && !v.is_alarm(),
            "{v:?}"
        );
        let off = VipReport::default();
        assert_eq!(
            judge_of(&[("pg-test-1", off)], "pg-test-1"),
            VipVerdict::None
        );
    }
}
