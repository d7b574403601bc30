//! The operation subcommands' arguments (clap), kept apart from what
//! runs them in `ops.rs`.

use super::args::Format;
use crate::ops::preflight::RoleFilter;
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct OpFlags {
    /// Do not ask for confirmation (required when not on a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Run the preflight and print the plan; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Act without pgtui's operation lock in etcd, for a credential that
    /// may not write pgtui's keys: nothing then stops a second pgtui acting
    /// on the same cluster at once. Still asks for confirmation (or --yes).
    #[arg(long)]
    pub no_lock: bool,
}

#[derive(Debug, Subcommand)]
pub enum OpCommand {
    /// Planned change of leader, now or at a time with a timezone.
    #[command(
        after_help = "Examples:\n  pgtui switchover pg-test --candidate pg-test-2 --yes\n  pgtui switchover pg-test --scheduled 2026-11-22T03:00:00+00:00"
    )]
    Switchover {
        cluster: Option<String>,
        #[arg(long)]
        leader: Option<String>,
        #[arg(long)]
        candidate: Option<String>,
        /// RFC 3339 with a timezone, e.g. 2026-11-22T03:00:00+00:00
        #[arg(long)]
        scheduled: Option<String>,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Promote a named candidate now (the leader may be down).
    #[command(after_help = "Example:\n  pgtui failover pg-test --candidate pg-test-2")]
    Failover {
        cluster: Option<String>,
        #[arg(long)]
        candidate: String,
        /// Accept promoting an asynchronous replica in synchronous mode.
        #[arg(long)]
        allow_async: bool,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Restart PostgreSQL on members, one at a time, replicas first and
    /// the leader last, each verified before the next.
    #[command(
        after_help = "Examples:\n  pgtui restart pg-test pg-test-2\n  pgtui restart pg-test --role replica\n  pgtui restart pg-test --pending\n  pgtui restart pg-test pg-test-3 --scheduled 2026-11-22T03:00:00+00:00"
    )]
    Restart {
        /// [CLUSTER] [MEMBER...]; no member: every member that matches --role
        target: Vec<String>,
        /// Which members: leader, primary, standby-leader, replica, any.
        #[arg(long, value_enum, default_value_t = RoleFilter::Any)]
        role: RoleFilter,
        /// Only members with a pending restart (immediate restarts).
        #[arg(long)]
        pending: bool,
        #[arg(long)]
        scheduled: Option<String>,
        /// Seconds PostgreSQL may take to start.
        #[arg(long)]
        timeout: Option<u64>,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Reload a member's configuration.
    Reload {
        #[arg(num_args = 1..=2, required = true)]
        target: Vec<String>,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Rebuild a replica's data directory.
    #[command(after_help = "Example:\n  pgtui reinit pg-test pg-test-3 --from-leader")]
    Reinit {
        #[arg(num_args = 1..=2, required = true)]
        target: Vec<String>,
        #[arg(long)]
        from_leader: bool,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Patroni 4.1+: make the cluster a standby cluster (its leader stops
    /// taking writes and follows another primary or the WAL archive).
    #[command(
        name = "demote-cluster",
        after_help = "Examples:\n  pgtui demote-cluster pg-test --host 10.0.0.5 --port 5432\n  pgtui demote-cluster pg-test --restore-command 'pgbackrest --stanza=pg-test archive-get %f \"%p\"'"
    )]
    DemoteCluster {
        cluster: Option<String>,
        /// The primary to follow.
        #[arg(long)]
        host: Option<String>,
        #[arg(long)]
        port: Option<u16>,
        /// Fetch WAL from an archive.
        #[arg(long)]
        restore_command: Option<String>,
        /// A replication slot on the primary to stream through.
        #[arg(long)]
        primary_slot_name: Option<String>,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Patroni 4.1+: make a standby cluster a primary cluster.
    #[command(
        name = "promote-cluster",
        after_help = "Example:\n  pgtui promote-cluster pg-test"
    )]
    PromoteCluster {
        cluster: Option<String>,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Maintenance mode on: no automatic failover.
    Pause {
        cluster: Option<String>,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Maintenance mode off.
    Resume {
        cluster: Option<String>,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Take a pgBackRest backup: a job in the leader's node agent, which
    /// holds the operation lock until the new set is verified.
    #[command(
        after_help = "Examples:\n  pgtui backup pg-test --type full\n  pgtui backup pg-test --type incr --yes -f json"
    )]
    Backup {
        cluster: Option<String>,
        /// full, diff or incr.
        #[arg(long = "type", value_enum, default_value_t = BackupType::Full)]
        backup_type: BackupType,
        #[command(flatten)]
        flags: OpFlags,
    },
    /// Cancel what is scheduled: `flush [CLUSTER] switchover`, or
    /// `flush [CLUSTER] [MEMBER...] restart`.
    #[command(
        after_help = "Examples:\n  pgtui flush pg-test switchover\n  pgtui flush pg-test restart\n  pgtui flush pg-test pg-test-2 restart"
    )]
    Flush {
        /// [CLUSTER] [MEMBER...] switchover|restart
        #[arg(num_args = 1.., required = true)]
        target: Vec<String>,
        #[command(flatten)]
        flags: OpFlags,
    },
}

/// `--type` of `pgtui backup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackupType {
    Full,
    Diff,
    Incr,
}

impl From<BackupType> for crate::model::backup::BackupKind {
    fn from(t: BackupType) -> Self {
        match t {
            BackupType::Full => crate::model::backup::BackupKind::Full,
            BackupType::Diff => crate::model::backup::BackupKind::Diff,
            BackupType::Incr => crate::model::backup::BackupKind::Incr,
        }
    }
}
