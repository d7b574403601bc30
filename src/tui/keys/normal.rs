//! The keys of the main screens (no dialog open, no line being typed), the
//! operations the `:` palette knows by name, and the hints the screens and
//! overlays draw about these keys.

use super::{Binding, Hint, Key, Part};
use crate::tui::dialog::OpKind;
use crate::tui::screen::Screen;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    FocusNext,
    FocusPrev,
    Filter,
    Command,
    Go(Screen),
    /// The fleet: the cursor to the first unhealthy cluster.
    FirstUnhealthy,
    /// Show the full text of errors and of the selected event.
    Details,
    /// Open an operation's confirmation dialog.
    Op(OpKind),
    /// Logs: follow the newest lines, or stop.
    LogsFollow,
    /// Logs: all members merged, or one member, the next.
    LogsMember,
    /// Logs: the lowest level shown.
    LogsLevel,
    /// Logs: which logs of each node.
    LogsSource,
}

pub const BINDINGS: &[Binding<Action>] = &[
    Binding { keys: &[Key::Char('?')], action: Action::Help, hint: Some("help"), help: "show or hide this help", writes: false },
    Binding { keys: &[Key::Char(':')], action: Action::Command, hint: Some("command"), help: "command palette: :cluster NAME, :fleet, :timeline, :services, :replication, :config, :events, :backups, :pools, :logs, :theme NAME, :q", writes: false },
    Binding { keys: &[Key::Char('/')], action: Action::Filter, hint: Some("filter"), help: "filter rows (Esc clears); fleet: by name and is:HEALTH", writes: false },
    Binding { keys: &[Key::Esc], action: Action::Back, hint: Some("back"), help: "close help or palette, clear the filter, or go back", writes: false },
    Binding { keys: &[Key::Char('q'), Key::Ctrl('c')], action: Action::Quit, hint: Some("quit"), help: "quit pgtui", writes: false },
    Binding { keys: &[Key::Char('j'), Key::Down], action: Action::Down, hint: None, help: "next row", writes: false },
    Binding { keys: &[Key::Char('k'), Key::Up], action: Action::Up, hint: None, help: "previous row", writes: false },
    Binding { keys: &[Key::Ctrl('d'), Key::PageDown], action: Action::PageDown, hint: None, help: "page down", writes: false },
    Binding { keys: &[Key::Ctrl('u'), Key::PageUp], action: Action::PageUp, hint: None, help: "page up", writes: false },
    Binding { keys: &[Key::Char('g'), Key::Home], action: Action::Top, hint: None, help: "first row", writes: false },
    Binding { keys: &[Key::Char('G'), Key::End], action: Action::Bottom, hint: None, help: "last row", writes: false },
    Binding { keys: &[Key::Enter], action: Action::Open, hint: None, help: "open the cluster (fleet); every member's logs at the event's time (events)", writes: false },
    Binding { keys: &[Key::Char('u')], action: Action::FirstUnhealthy, hint: None, help: "fleet: jump to the first unhealthy cluster", writes: false },
    Binding { keys: &[Key::Char('!')], action: Action::Details, hint: None, help: "full text of every error and of the selected event or log line; each etcd endpoint's health", writes: false },
    Binding { keys: &[Key::Char('S')], action: Action::Op(OpKind::Switchover), hint: Some("switchover"), help: "switchover to the selected replica: scorecard, confirm", writes: true },
    Binding { keys: &[Key::Char('F')], action: Action::Op(OpKind::Failover), hint: Some("failover"), help: "failover to the selected replica (type the cluster name)", writes: true },
    Binding { keys: &[Key::Char('R')], action: Action::Op(OpKind::Restart), hint: None, help: "restart PostgreSQL on the selected member", writes: true },
    Binding { keys: &[Key::Char('L')], action: Action::Op(OpKind::Reload), hint: None, help: "reload the configuration of the selected member", writes: true },
    Binding { keys: &[Key::Char('I')], action: Action::Op(OpKind::Reinit), hint: None, help: "reinit the selected replica from scratch (type the cluster name)", writes: true },
    Binding { keys: &[Key::Char('P')], action: Action::Op(OpKind::PauseResume), hint: None, help: "pause or resume automatic failover (maintenance mode)", writes: true },
    Binding { keys: &[Key::Char('B')], action: Action::Op(OpKind::Backup), hint: None, help: "take a pgBackRest backup in the leader's agent (↑/↓ full, diff, incr), with its progress", writes: true },
    Binding { keys: &[Key::Char('T')], action: Action::Op(OpKind::Restore), hint: None, help: "point-in-time restore in the leader's agent: pick the target (↑/↓ time, LSN, xid, name, latest backup), see the plan and what is lost, type the cluster name", writes: true },
    Binding { keys: &[Key::Char('X')], action: Action::Op(OpKind::CancelScheduled), hint: None, help: "cancel the scheduled switchover, or the selected member's scheduled restart", writes: true },
    Binding { keys: &[Key::Tab], action: Action::FocusNext, hint: None, help: "move focus to the next panel", writes: false },
    Binding { keys: &[Key::BackTab], action: Action::FocusPrev, hint: None, help: "move focus to the previous panel", writes: false },
    Binding { keys: &[Key::Char('1')], action: Action::Go(Screen::Cluster), hint: Some("cluster"), help: "cluster: header, members, services, events", writes: false },
    Binding { keys: &[Key::Char('2')], action: Action::Go(Screen::Timeline), hint: Some("timeline"), help: "timeline history, abandoned timelines flagged", writes: false },
    Binding { keys: &[Key::Char('3')], action: Action::Go(Screen::Replication), hint: Some("repl"), help: "replication: pg_stat_replication, slots, WAL receiver", writes: false },
    Binding { keys: &[Key::Char('4')], action: Action::Go(Screen::Services), hint: Some("services"), help: "HAProxy services: backends, live routing probe", writes: false },
    Binding { keys: &[Key::Char('5')], action: Action::Go(Screen::Config), hint: Some("config"), help: "Patroni dynamic config, pending restarts", writes: false },
    Binding { keys: &[Key::Char('6')], action: Action::Go(Screen::Events), hint: Some("events"), help: "every change seen, timestamped", writes: false },
    Binding { keys: &[Key::Char('7')], action: Action::Go(Screen::Backups), hint: Some("backups"), help: "backups: stanza, archiving, recoverable window and its holes, backup sets, jobs", writes: false },
    Binding { keys: &[Key::Char('8')], action: Action::Go(Screen::Pools), hint: Some("pools"), help: "pgbouncer pools: clients active and waiting, servers, longest wait, and what is wrong", writes: false },
    Binding { keys: &[Key::Char('9')], action: Action::Go(Screen::Logs), hint: Some("logs"), help: "logs: every member's Patroni and PostgreSQL log on one time axis", writes: false },
    Binding { keys: &[Key::Char('f')], action: Action::LogsFollow, hint: None, help: "logs: follow the newest lines, or stop", writes: false },
    Binding { keys: &[Key::Char('m')], action: Action::LogsMember, hint: None, help: "logs: one member at a time (the next), then all merged again", writes: false },
    Binding { keys: &[Key::Char('l')], action: Action::LogsLevel, hint: None, help: "logs: lowest level shown (info, warning, error, then debug too)", writes: false },
    Binding { keys: &[Key::Char('s')], action: Action::LogsSource, hint: None, help: "logs: which logs (patroni and postgres, patroni, postgres, pgbackrest, all three)", writes: false },
    Binding { keys: &[Key::Char('0')], action: Action::Go(Screen::Fleet), hint: Some("fleet"), help: "every cluster in the namespace", writes: false },
];

/// An operation the `:` palette knows by name: listed in the help only
/// when writable, like its key. (Not the CLI's `OpCommand`, which is a
/// subcommand with its flags.)
pub struct PaletteOp {
    pub name: &'static str,
    pub kind: OpKind,
    pub usage: &'static str,
}

pub const PALETTE_OPS: &[PaletteOp] = &[
    PaletteOp {
        name: "switchover",
        kind: OpKind::Switchover,
        usage: ":switchover [CANDIDATE] [at TIME]",
    },
    PaletteOp {
        name: "failover",
        kind: OpKind::Failover,
        usage: ":failover [CANDIDATE]",
    },
    PaletteOp {
        name: "restart",
        kind: OpKind::Restart,
        usage: ":restart [MEMBER] [at TIME]",
    },
    PaletteOp {
        name: "reload",
        kind: OpKind::Reload,
        usage: ":reload [MEMBER]",
    },
    PaletteOp {
        name: "reinit",
        kind: OpKind::Reinit,
        usage: ":reinit [MEMBER]",
    },
    PaletteOp {
        name: "pause",
        kind: OpKind::Pause,
        usage: ":pause / :resume",
    },
    PaletteOp {
        name: "resume",
        kind: OpKind::Resume,
        usage: "",
    },
    PaletteOp {
        name: "backup",
        kind: OpKind::Backup,
        usage: ":backup (full; ↑/↓ in the dialog for diff or incr)",
    },
    PaletteOp {
        name: "restore",
        kind: OpKind::Restore,
        usage: ":restore [TIME | lsn L | xid X | name N | immediate]",
    },
    PaletteOp {
        name: "cancel",
        kind: OpKind::CancelScheduled,
        usage: ":cancel [MEMBER] (scheduled switchover or restart)",
    },
];

/// The help overlay's title.
pub const HELP_CLOSES: Hint<Action> = Hint(&[
    Part::Key(Key::Esc, Action::Back),
    Part::Text(" or "),
    Part::Key(Key::Char('?'), Action::Help),
    Part::Text(" closes"),
]);

/// The details overlay's title.
pub const DETAILS_CLOSES: Hint<Action> = Hint(&[
    Part::Key(Key::Esc, Action::Back),
    Part::Text(" or "),
    Part::Key(Key::Char('!'), Action::Details),
    Part::Text(" closes"),
]);

/// On a terminal too small to draw on.
pub const QUITS: Hint<Action> = Hint(&[
    Part::Key(Key::Char('q'), Action::Quit),
    Part::Text(" quits"),
]);

/// A screen that needs a cluster, without one.
pub const TO_FLEET: Hint<Action> = Hint(&[
    Part::Text("press "),
    Part::Key(Key::Char('0'), Action::Go(Screen::Fleet)),
    Part::Text(" for the fleet"),
]);

/// The stale banner, whose reason is cut at the edge.
pub const FULL_TEXT: Hint<Action> = Hint(&[
    Part::Key(Key::Char('!'), Action::Details),
    Part::Text(" shows the full text"),
]);

/// A logs key pressed elsewhere.
pub const TO_LOGS: Hint<Action> = Hint(&[
    Part::Text("press "),
    Part::Key(Key::Char('9'), Action::Go(Screen::Logs)),
    Part::Text(" for the logs"),
]);

/// The logs screen with nothing to show through its choices.
pub const NO_LOG_LINE: Hint<Action> = Hint(&[
    Part::Text("no line matches ("),
    Part::Key(Key::Char('l'), Action::LogsLevel),
    Part::Text(" level, "),
    Part::Key(Key::Char('s'), Action::LogsSource),
    Part::Text(" logs, "),
    Part::Key(Key::Char('m'), Action::LogsMember),
    Part::Text(" member, "),
    Part::Key(Key::Char('/'), Action::Filter),
    Part::Text(" filter)"),
]);

/// A palette operation typed on the fleet.
pub const OPEN_FIRST: Hint<Action> = Hint(&[
    Part::Text("open it first ("),
    Part::Key(Key::Enter, Action::Open),
    Part::Text(" or :cluster NAME)"),
]);

/// An unknown command, where operations are offered.
pub const SEE_HELP: Hint<Action> =
    Hint(&[Part::Text("see "), Part::Key(Key::Char('?'), Action::Help)]);

/// Every hint about these keys, for the tests that hold them to the table.
pub const HINTS: &[&Hint<Action>] = &[
    &HELP_CLOSES,
    &DETAILS_CLOSES,
    &QUITS,
    &TO_FLEET,
    &TO_LOGS,
    &NO_LOG_LINE,
    &FULL_TEXT,
    &OPEN_FIRST,
    &SEE_HELP,
];
