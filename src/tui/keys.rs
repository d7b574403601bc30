//! The one key registry. The keymap, the `?` help screen and the footer
//! hints are all generated from [`BINDINGS`], so they cannot disagree.

use super::dialog::OpKind;
use super::screen::Screen;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
    /// Show the full text of errors and of the selected event.
    Details,
    /// Open an operation's confirmation dialog.
    Op(OpKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Esc,
    Enter,
    Tab,
    BackTab,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
}

impl Key {
    pub fn label(self) -> String {
        match self {
            Key::Char(' ') => "Space".into(),
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{c}"),
            Key::Esc => "Esc".into(),
            Key::Enter => "Enter".into(),
            Key::Tab => "Tab".into(),
            Key::BackTab => "Shift-Tab".into(),
            Key::Up => "↑".into(),
            Key::Down => "↓".into(),
            Key::PageUp => "PgUp".into(),
            Key::PageDown => "PgDn".into(),
            Key::Home => "Home".into(),
            Key::End => "End".into(),
        }
    }

    fn matches(self, ev: &KeyEvent) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match (self, ev.code) {
            (Key::Char(c), KeyCode::Char(k)) => !ctrl && c == k,
            (Key::Ctrl(c), KeyCode::Char(k)) => ctrl && c == k.to_ascii_lowercase(),
            (Key::Esc, KeyCode::Esc) => true,
            (Key::Enter, KeyCode::Enter) => true,
            (Key::Tab, KeyCode::Tab) => true,
            (Key::BackTab, KeyCode::BackTab) => true,
            (Key::Up, KeyCode::Up) => true,
            (Key::Down, KeyCode::Down) => true,
            (Key::PageUp, KeyCode::PageUp) => true,
            (Key::PageDown, KeyCode::PageDown) => true,
            (Key::Home, KeyCode::Home) => true,
            (Key::End, KeyCode::End) => true,
            _ => false,
        }
    }
}

pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    /// Short label for the footer; `None` keeps it out of the footer.
    pub hint: Option<&'static str>,
    pub help: &'static str,
    /// Writes to a cluster: absent (not merely refused) when read-only.
    pub writes: bool,
}

pub const BINDINGS: &[Binding] = &[
    Binding { keys: &[Key::Char('?')], action: Action::Help, hint: Some("help"), help: "show or hide this help", writes: false },
    Binding { keys: &[Key::Char(':')], action: Action::Command, hint: Some("command"), help: "command palette: :cluster NAME, :fleet, :timeline, :services, :replication, :config, :events, :theme NAME, :q", writes: false },
    Binding { keys: &[Key::Char('/')], action: Action::Filter, hint: Some("filter"), help: "filter the rows of the current table (Esc clears)", writes: false },
    Binding { keys: &[Key::Esc], action: Action::Back, hint: Some("back"), help: "close help or palette, clear the filter, or go back", writes: false },
    Binding { keys: &[Key::Char('q'), Key::Ctrl('c')], action: Action::Quit, hint: Some("quit"), help: "quit pgtui", writes: false },
    Binding { keys: &[Key::Char('j'), Key::Down], action: Action::Down, hint: None, help: "next row", writes: false },
    Binding { keys: &[Key::Char('k'), Key::Up], action: Action::Up, hint: None, help: "previous row", writes: false },
    Binding { keys: &[Key::Ctrl('d'), Key::PageDown], action: Action::PageDown, hint: None, help: "page down", writes: false },
    Binding { keys: &[Key::Ctrl('u'), Key::PageUp], action: Action::PageUp, hint: None, help: "page up", writes: false },
    Binding { keys: &[Key::Char('g'), Key::Home], action: Action::Top, hint: None, help: "first row", writes: false },
    Binding { keys: &[Key::Char('G'), Key::End], action: Action::Bottom, hint: None, help: "last row", writes: false },
    Binding { keys: &[Key::Enter], action: Action::Open, hint: Some("open"), help: "open the cluster (fleet); full text of the event (events)", writes: false },
    Binding { keys: &[Key::Char('!')], action: Action::Details, hint: None, help: "full text of every error; each etcd endpoint's health", writes: false },
    Binding { keys: &[Key::Char('S')], action: Action::Op(OpKind::Switchover), hint: Some("switchover"), help: "switchover to the selected replica: scorecard, confirm", writes: true },
    Binding { keys: &[Key::Char('F')], action: Action::Op(OpKind::Failover), hint: Some("failover"), help: "failover to the selected replica (type the cluster name)", writes: true },
    Binding { keys: &[Key::Char('R')], action: Action::Op(OpKind::Restart), hint: None, help: "restart PostgreSQL on the selected member", writes: true },
    Binding { keys: &[Key::Char('L')], action: Action::Op(OpKind::Reload), hint: None, help: "reload the configuration of the selected member", writes: true },
    Binding { keys: &[Key::Char('I')], action: Action::Op(OpKind::Reinit), hint: None, help: "reinit the selected replica from scratch (type the cluster name)", writes: true },
    Binding { keys: &[Key::Char('P')], action: Action::Op(OpKind::PauseResume), hint: None, help: "pause or resume automatic failover (maintenance mode)", writes: true },
    Binding { keys: &[Key::Char('X')], action: Action::Op(OpKind::CancelScheduled), hint: None, help: "cancel the scheduled switchover, or the selected member's scheduled restart", writes: true },
    Binding { keys: &[Key::Tab], action: Action::FocusNext, hint: None, help: "move focus to the next panel", writes: false },
    Binding { keys: &[Key::BackTab], action: Action::FocusPrev, hint: None, help: "move focus to the previous panel", writes: false },
    Binding { keys: &[Key::Char('1')], action: Action::Go(Screen::Cluster), hint: Some("cluster"), help: "cluster: header, members, services, events", writes: false },
    Binding { keys: &[Key::Char('2')], action: Action::Go(Screen::Timeline), hint: Some("timeline"), help: "timeline history, abandoned timelines flagged", writes: false },
    Binding { keys: &[Key::Char('3')], action: Action::Go(Screen::Replication), hint: Some("repl"), help: "replication: pg_stat_replication, slots, WAL receiver", writes: false },
    Binding { keys: &[Key::Char('4')], action: Action::Go(Screen::Services), hint: Some("services"), help: "HAProxy services: backends, live routing probe", writes: false },
    Binding { keys: &[Key::Char('5')], action: Action::Go(Screen::Config), hint: Some("config"), help: "Patroni dynamic config, pending restarts", writes: false },
    Binding { keys: &[Key::Char('6')], action: Action::Go(Screen::Events), hint: Some("events"), help: "every change seen, timestamped", writes: false },
    Binding { keys: &[Key::Char('0')], action: Action::Go(Screen::Fleet), hint: Some("fleet"), help: "every cluster in the namespace", writes: false },
];

/// Operations in the `:` palette: listed in the help only when writable,
/// like their keys.
pub struct OpCommand {
    pub name: &'static str,
    pub kind: OpKind,
    pub usage: &'static str,
}

pub const OP_COMMANDS: &[OpCommand] = &[
    OpCommand {
        name: "switchover",
        kind: OpKind::Switchover,
        usage: ":switchover [CANDIDATE] [at TIME]",
    },
    OpCommand {
        name: "failover",
        kind: OpKind::Failover,
        usage: ":failover [CANDIDATE]",
    },
    OpCommand {
        name: "restart",
        kind: OpKind::Restart,
        usage: ":restart [MEMBER] [at TIME]",
    },
    OpCommand {
        name: "reload",
        kind: OpKind::Reload,
        usage: ":reload [MEMBER]",
    },
    OpCommand {
        name: "reinit",
        kind: OpKind::Reinit,
        usage: ":reinit [MEMBER]",
    },
    OpCommand {
        name: "pause",
        kind: OpKind::Pause,
        usage: ":pause / :resume",
    },
    OpCommand {
        name: "resume",
        kind: OpKind::Resume,
        usage: "",
    },
    OpCommand {
        name: "cancel",
        kind: OpKind::CancelScheduled,
        usage: ":cancel [MEMBER] (scheduled switchover or restart)",
    },
];

/// The bindings in force: without write access the operations are gone.
fn active(writable: bool) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| writable || !b.writes)
}

/// The action bound to a key press, if any.
pub fn lookup(ev: &KeyEvent, writable: bool) -> Option<Action> {
    active(writable)
        .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.action)
}

/// `"1 cluster  2 timeline ..."` pieces for the footer.
pub fn footer_hints(writable: bool) -> Vec<(String, &'static str)> {
    active(writable)
        .filter_map(|b| b.hint.map(|h| (b.keys[0].label(), h)))
        .collect()
}

/// Rows of the help screen: keys and what they do.
pub fn help_rows(writable: bool) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = active(writable)
        .map(|b| {
            (
                b.keys
                    .iter()
                    .map(|k| k.label())
                    .collect::<Vec<_>>()
                    .join(" / "),
                b.help.to_string(),
            )
        })
        .collect();
    if writable {
        let usage: Vec<&str> = OP_COMMANDS
            .iter()
            .map(|o| o.usage)
            .filter(|u| !u.is_empty())
            .collect();
        rows.push((
            ":op".into(),
            format!("operations by name: {}", usage.join(", ")),
        ));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = Vec::new();
        for b in BINDINGS {
            for k in b.keys {
                assert!(!seen.contains(k), "{k:?} bound twice");
                seen.push(*k);
            }
        }
    }

    #[test]
    fn vim_keys_and_arrows_agree() {
        let ev = |c| KeyEvent::new(c, KeyModifiers::NONE);
        assert_eq!(
            lookup(&ev(KeyCode::Char('j')), true),
            lookup(&ev(KeyCode::Down), true)
        );
        assert_eq!(lookup(&ev(KeyCode::Char('k')), true), Some(Action::Up));
        assert_eq!(
            lookup(
                &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
                true
            ),
            Some(Action::Quit)
        );
        assert_eq!(lookup(&ev(KeyCode::Char('c')), true), None);
    }

    #[test]
    fn read_only_removes_every_writing_key_from_keymap_help_and_footer() {
        let ev = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        for b in BINDINGS.iter().filter(|b| b.writes) {
            for k in b.keys {
                let Key::Char(c) = k else { panic!("{k:?}") };
                assert_eq!(lookup(&ev(*c), true), Some(b.action));
                assert_eq!(lookup(&ev(*c), false), None, "{c} still bound read-only");
            }
            assert!(help_rows(true).iter().any(|(_, h)| h == b.help));
            assert!(!help_rows(false).iter().any(|(_, h)| h == b.help));
        }
        assert!(footer_hints(true).iter().any(|(_, h)| *h == "switchover"));
        assert!(!footer_hints(false).iter().any(|(_, h)| *h == "switchover"));
        assert!(!help_rows(false).iter().any(|(k, _)| k == ":op"));
    }
}
