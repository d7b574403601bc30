//! Which members a restart acts on, and in which order: patronictl's
//! `--role` meanings, a pending-restart filter, replicas before the leader.

use crate::model::view::{cluster_view, MemberView};
use crate::model::{ClusterState, Role};
use serde::Serialize;

/// `--role` of a restart, with patronictl's meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RoleFilter {
    /// The leader-key holder, whatever its kind.
    Leader,
    /// The leader, unless it is a standby leader.
    Primary,
    /// The leader of a standby cluster.
    StandbyLeader,
    /// Every member but the leader.
    Replica,
    Any,
}

/// The members a restart acts on: the named ones (or all), filtered by
/// role and, for an immediate `--pending` restart, by a pending restart.
/// Replicas come first and the leader last, so a rolling restart keeps the
/// primary up as long as it can. An empty list means nothing to do.
pub fn restart_targets(
    c: &ClusterState,
    named: &[String],
    role: RoleFilter,
    pending_only: bool,
    scheduled: bool,
) -> Result<Vec<String>, String> {
    let v = cluster_view(c);
    for n in named {
        if !v.members.iter().any(|m| &m.name == n) {
            return Err(format!(
                "{n} is not a member of {} (members: {})",
                v.name,
                v.members
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let mut out: Vec<&MemberView> = v
        .members
        .iter()
        .filter(|m| named.is_empty() || named.contains(&m.name))
        .filter(|m| match role {
            RoleFilter::Any => true,
            RoleFilter::Leader => m.role.leads(),
            RoleFilter::Primary => m.role == Role::Leader,
            RoleFilter::StandbyLeader => m.role == Role::StandbyLeader,
            RoleFilter::Replica => !m.role.leads(),
        })
        .filter(|m| scheduled || !pending_only || m.pending_restart)
        .collect();
    out.sort_by_key(|m| (m.role.leads(), m.name.clone()));
    Ok(out.into_iter().map(|m| m.name.clone()).collect())
}
