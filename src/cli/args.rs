//! The command line. One struct, documented with examples, from which clap
//! also generates shell completions and the man page.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXAMPLES: &str = "Examples:
  pgtui demo                                   start a throwaway local lab and watch it
  pgtui -c /etc/patroni/patroni.yml list       list the node's own cluster
  pgtui --dcs-url etcd3://127.0.0.1:2379/pg list -f json
  pgtui --cluster pg-test list --watch         print the cluster again on every change
  pgtui history pg-test
  pgtui dsn --role replica";

#[derive(Debug, Parser)]
#[command(name = "pgtui", version, about = "Operations console for PostgreSQL HA clusters run by Patroni and etcd", after_help = EXAMPLES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Patroni or patronictl YAML file (as `patronictl -c`).
    #[arg(
        short = 'c',
        long = "config-file",
        env = "PATRONICTL_CONFIG_FILE",
        global = true
    )]
    pub config_file: Option<PathBuf>,
    /// DCS address and namespace:
    /// etcd3://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]/NAMESPACE (the user
    /// and password are etcd's).
    // The env value may hold a password: --help must not show it.
    #[arg(long, env = "PGTUI_DCS_URL", hide_env_values = true, global = true)]
    pub dcs_url: Option<String>,
    /// Default cluster (Patroni `scope`).
    #[arg(long, env = "PGTUI_CLUSTER", global = true)]
    pub cluster: Option<String>,
    /// Accept any TLS certificate from the Patroni REST API.
    #[arg(short = 'k', long, env = "PGTUI_INSECURE", global = true)]
    pub insecure: bool,
    /// pgtui's own TOML settings (default: $XDG_CONFIG_HOME/pgtui/config.toml).
    #[arg(long, env = "PGTUI_SETTINGS", global = true)]
    pub settings: Option<PathBuf>,
    /// Colour theme.
    #[arg(long, env = "PGTUI_THEME", global = true)]
    pub theme: Option<String>,
    /// Refuse every operation that writes to a cluster.
    #[arg(long, env = "PGTUI_READ_ONLY", global = true)]
    pub read_only: bool,
    /// Exit 0 even when the answer printed is stale or partial (etcd could
    /// not confirm it); by default such an answer exits 12.
    #[arg(long, env = "PGTUI_ALLOW_STALE", global = true)]
    pub allow_stale: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq)]
pub enum Format {
    Table,
    Json,
    Yaml,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Members, roles, states, timelines and lag of one or more clusters.
    #[command(
        after_help = "Examples:\n  pgtui list\n  pgtui list pg-test pg-meta -f json\n  pgtui --cluster pg-test list --watch"
    )]
    List(ListArgs),
    /// Patroni's timeline history (TL, LSN, reason, timestamp, new leader).
    #[command(after_help = "Example:\n  pgtui history pg-test -f json")]
    History(OneClusterArgs),
    /// The replication tree: who streams from whom (`replicatefrom` tags).
    #[command(after_help = "Example:\n  pgtui topology pg-test")]
    Topology(OneClusterArgs),
    /// The cluster's dynamic configuration as stored in the DCS.
    #[command(after_help = "Example:\n  pgtui show-config pg-test")]
    ShowConfig(OneClusterArgs),
    /// pgtui's version, and each member's Patroni and PostgreSQL versions.
    #[command(after_help = "Example:\n  pgtui version pg-test")]
    Version(VersionArgs),
    /// A libpq connection string for the leader, a role, or a member.
    #[command(
        after_help = "Examples:\n  pgtui dsn pg-test\n  pgtui dsn pg-test --role replica\n  psql \"$(pgtui dsn pg-test --member pg-test-2) user=postgres\""
    )]
    Dsn(DsnArgs),
    /// Backup sets, archiving health and the recoverable window (with its
    /// holes), from the cluster's node agent.
    #[command(after_help = "Examples:\n  pgtui backups pg-test\n  pgtui backups pg-test -f json")]
    Backups(OneClusterArgs),
    /// Each member's pgbouncer: pools (clients active and waiting, servers
    /// active, idle and used, the longest wait), where each database
    /// connects, and what is wrong (clients waiting, a pool pointing at
    /// another host, paused, connections held from before a switchover).
    #[command(after_help = "Examples:\n  pgtui pools pg-test\n  pgtui pools pg-test -f json")]
    Pools(OneClusterArgs),
    /// The members' Patroni, PostgreSQL and pgBackRest logs, from their
    /// node agents, merged on one time axis (UTC).
    #[command(
        after_help = "Examples:\n  pgtui logs pg-test --since 10m\n  pgtui logs pg-test pg-test-2 --source postgres --level warning\n  pgtui logs pg-test --follow --grep 'leader'"
    )]
    Logs(crate::cli::logs::LogsArgs),
    /// The node agents' jobs (backups, restores) from etcd; `--follow`
    /// narrates one until it ends.
    #[command(after_help = "Examples:\n  pgtui jobs pg-test\n  pgtui jobs pg-test --follow")]
    Jobs(crate::cli::jobs::JobsArgs),
    /// Point-in-time restore, run as a job in the leader's agent: pause,
    /// stop, pgbackrest restore, promote, lead, rebuild the replicas,
    /// back up, verify (`--dry-run` prints the plan with every command).
    #[command(
        after_help = "Examples:\n  pgtui restore pg-test --to 2026-12-06T05:30:00+00:00 --dry-run\n  pgtui restore pg-test --immediate --set 20261206-050253F --dry-run -f json\n  pgtui restore pg-test --to 2026-12-06T05:30:00+00:00 --yes"
    )]
    Restore(crate::cli::restore::RestoreArgs),
    #[command(flatten)]
    Op(crate::cli::ops::OpCommand),
    /// The audit log of operations (one JSON line per start and end).
    Audit {
        /// How many records to show.
        #[arg(short = 'n', long, default_value_t = 20)]
        last: usize,
    },
    /// Start a throwaway local lab cluster and watch it; Ctrl-C stops and removes it.
    #[command(after_help = "Example:\n  pgtui demo\n  pgtui demo --patroni /opt/patroni4")]
    Demo(DemoArgs),
    /// Run the node agent beside Patroni (backups, archiving, pgBackRest jobs).
    #[command(
        after_help = "Example:\n  PGTUI_AGENT_TOKEN=$(cat /etc/pgtui/agent.token) pgtui agent -c /etc/patroni/patroni.yml"
    )]
    Agent(Box<crate::agent::AgentArgs>),
    /// Manage local lab clusters (used by `demo` and the test suite).
    Lab(crate::lab::cli::LabArgs),
    /// Print shell completions.
    #[command(after_help = "Example:\n  pgtui completions bash > /etc/bash_completion.d/pgtui")]
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff).
    #[command(after_help = "Example:\n  pgtui man > /usr/local/share/man/man1/pgtui.1")]
    Man,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Clusters to show (default: --cluster/scope, else every cluster in the namespace).
    pub clusters: Vec<String>,
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print again on every change seen by the etcd watch; Ctrl-C stops.
    #[arg(short = 'W', long)]
    pub watch: bool,
    /// Over the whole namespace, ask every member's Patroni REST API too
    /// (64 at a time, within 8 s). Without it the fleet is listed from etcd
    /// alone, as patronictl does; named clusters are always asked.
    #[arg(long)]
    pub rest: bool,
}

#[derive(Debug, Args)]
pub struct OneClusterArgs {
    /// Cluster (default: --cluster/scope).
    pub cluster: Option<String>,
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Cluster whose members to ask (default: --cluster/scope; none: pgtui only).
    pub cluster: Option<String>,
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq)]
pub enum DsnRole {
    Leader,
    Replica,
    Any,
}

#[derive(Debug, Args)]
pub struct DsnArgs {
    pub cluster: Option<String>,
    /// Pick a member by role (default: leader).
    #[arg(short, long, value_enum, conflicts_with = "member")]
    pub role: Option<DsnRole>,
    /// Pick a member by name.
    #[arg(short, long)]
    pub member: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Patroni to run: `debian` (the system package) or a venv path with Patroni 4.
    #[arg(long, default_value = "debian")]
    pub patroni: String,
    /// Lab index N: addresses 127.0.N.x, so labs can run side by side.
    #[arg(long, default_value_t = 0)]
    pub index: u8,
    /// Skip the pgBackRest stanza and full backup (faster start).
    #[arg(long)]
    pub no_backups: bool,
}
