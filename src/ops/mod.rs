//! The operations layer: the only code in pgtui that writes to a cluster.
//!
//! Every operation is a typed [`Operation`]. Before anything is sent, a
//! [`preflight`] (a pure function of the model) lists refusals and
//! warnings, mirroring Patroni's own server-side rules so the DBA learns why
//! before acting. The [`execute`] step sends one REST request, never resends
//! it, and follows the cluster until the end state is verified, reporting
//! UNKNOWN when it cannot tell. Each run is written to the [`audit`] log
//! before the request and again at the end. The CLI's `op` subcommands and
//! the console's dialogs call this layer, through [`context::Ctx`]; nothing
//! else writes.

pub mod agent_job;
pub mod audit;
pub mod context;
pub mod execute;
pub mod expected;
pub mod lock;
pub mod preflight;
pub mod reconcile;
pub mod refusal;
pub mod request;
pub mod rest_call;
pub mod restart_scope;
pub mod restore_plan;
pub mod scorecard;
pub mod verify;

use serde::{Deserialize, Serialize};

/// What to do, with every parameter explicit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// Planned switch of leadership; `scheduled_at` is RFC 3339 with a zone.
    Switchover {
        cluster: String,
        leader: Option<String>,
        candidate: Option<String>,
        scheduled_at: Option<String>,
    },
    /// Cancel a scheduled switchover.
    CancelSwitchover {
        cluster: String,
    },
    /// Promote `candidate` now, whatever the leader's state.
    Failover {
        cluster: String,
        candidate: String,
        allow_async: bool,
    },
    Restart {
        cluster: String,
        member: String,
        pending_only: bool,
        scheduled_at: Option<String>,
        timeout_secs: Option<u64>,
    },
    /// Cancel a scheduled restart of one member.
    CancelRestart {
        cluster: String,
        member: String,
    },
    Reload {
        cluster: String,
        member: String,
    },
    Reinit {
        cluster: String,
        member: String,
        from_leader: bool,
    },
    /// Patroni 4.1+: turn the cluster into a standby cluster following
    /// `host:port` and/or restoring WAL with `restore_command`.
    DemoteCluster {
        cluster: String,
        host: Option<String>,
        port: Option<u16>,
        restore_command: Option<String>,
        primary_slot_name: Option<String>,
    },
    /// Patroni 4.1+: turn a standby cluster into a primary cluster.
    PromoteCluster {
        cluster: String,
    },
    Pause {
        cluster: String,
    },
    Resume {
        cluster: String,
    },
    /// A pgBackRest backup, run as a job by the leader's node agent.
    Backup {
        cluster: String,
        backup_type: crate::model::backup::BackupKind,
    },
    /// A point-in-time restore, run as a job by the leader's node agent.
    Restore {
        cluster: String,
        target: crate::model::backup::target::Target,
        /// The backup set the caller named (`--set`); else the plan's.
        set: Option<String>,
        /// Take a new full backup once the cluster is rebuilt.
        backup_after: bool,
    },
}

impl Operation {
    pub fn cluster(&self) -> &str {
        match self {
            Operation::Switchover { cluster, .. }
            | Operation::CancelSwitchover { cluster }
            | Operation::Failover { cluster, .. }
            | Operation::Restart { cluster, .. }
            | Operation::CancelRestart { cluster, .. }
            | Operation::Reload { cluster, .. }
            | Operation::Reinit { cluster, .. }
            | Operation::DemoteCluster { cluster, .. }
            | Operation::PromoteCluster { cluster }
            | Operation::Pause { cluster }
            | Operation::Resume { cluster }
            | Operation::Backup { cluster, .. }
            | Operation::Restore { cluster, .. } => cluster,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Operation::Switchover { .. } => "switchover",
            Operation::CancelSwitchover { .. } => "cancel-switchover",
            Operation::Failover { .. } => "failover",
            Operation::Restart { .. } => "restart",
            Operation::CancelRestart { .. } => "cancel-restart",
            Operation::Reload { .. } => "reload",
            Operation::Reinit { .. } => "reinit",
            Operation::DemoteCluster { .. } => "demote-cluster",
            Operation::PromoteCluster { .. } => "promote-cluster",
            Operation::Pause { .. } => "pause",
            Operation::Resume { .. } => "resume",
            Operation::Backup { .. } => "backup",
            Operation::Restore { .. } => "restore",
        }
    }

    /// Operations that can lose the leader or data: typed confirmation.
    /// Runs as a job in a node agent (which takes the lock itself), not
    /// as one request to Patroni.
    pub fn is_agent_job(&self) -> bool {
        matches!(self, Operation::Backup { .. } | Operation::Restore { .. })
    }

    pub fn needs_typed_confirmation(&self) -> bool {
        matches!(
            self,
            Operation::Failover { .. }
                | Operation::Reinit { .. }
                | Operation::DemoteCluster { .. }
                | Operation::PromoteCluster { .. }
                | Operation::Restore { .. }
        )
    }
}

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The end state was observed.
    Verified,
    /// Accepted for later (scheduled switchover or restart).
    Scheduled,
    /// Preflight refused; nothing was sent.
    Refused,
    /// Patroni answered with an error; it did nothing.
    Rejected,
    /// Sent, but the end state was not reached.
    Failed,
    /// Sent, and whether it happened could not be told (timeout, 503
    /// "status unknown"); never resent automatically.
    Unknown,
    /// `--dry-run`: planned only.
    DryRun,
}
