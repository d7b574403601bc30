//! The one key registry. The keymap, the `?` help screen and the footer
//! hints are all generated from [`BINDINGS`], so they cannot disagree.

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
}

pub const BINDINGS: &[Binding] = &[
    Binding { keys: &[Key::Char('?')], action: Action::Help, hint: Some("help"), help: "show or hide this help" },
    Binding { keys: &[Key::Char(':')], action: Action::Command, hint: Some("command"), help: "command palette: :cluster NAME, :fleet, :timeline, :services, :replication, :config, :events, :theme NAME, :q" },
    Binding { keys: &[Key::Char('/')], action: Action::Filter, hint: Some("filter"), help: "filter the rows of the current table (Esc clears)" },
    Binding { keys: &[Key::Esc], action: Action::Back, hint: Some("back"), help: "close help or palette, clear the filter, or go back" },
    Binding { keys: &[Key::Char('q'), Key::Ctrl('c')], action: Action::Quit, hint: Some("quit"), help: "quit pgtui" },
    Binding { keys: &[Key::Char('j'), Key::Down], action: Action::Down, hint: None, help: "next row" },
    Binding { keys: &[Key::Char('k'), Key::Up], action: Action::Up, hint: None, help: "previous row" },
    Binding { keys: &[Key::Ctrl('d'), Key::PageDown], action: Action::PageDown, hint: None, help: "page down" },
    Binding { keys: &[Key::Ctrl('u'), Key::PageUp], action: Action::PageUp, hint: None, help: "page up" },
    Binding { keys: &[Key::Char('g'), Key::Home], action: Action::Top, hint: None, help: "first row" },
    Binding { keys: &[Key::Char('G'), Key::End], action: Action::Bottom, hint: None, help: "last row" },
    Binding { keys: &[Key::Enter], action: Action::Open, hint: Some("open"), help: "open the selected cluster (fleet)" },
    Binding { keys: &[Key::Tab], action: Action::FocusNext, hint: None, help: "move focus to the next panel" },
    Binding { keys: &[Key::BackTab], action: Action::FocusPrev, hint: None, help: "move focus to the previous panel" },
    Binding { keys: &[Key::Char('1')], action: Action::Go(Screen::Cluster), hint: Some("cluster"), help: "cluster: header, members, services, events" },
    Binding { keys: &[Key::Char('2')], action: Action::Go(Screen::Timeline), hint: Some("timeline"), help: "timeline history, abandoned timelines flagged" },
    Binding { keys: &[Key::Char('3')], action: Action::Go(Screen::Replication), hint: Some("repl"), help: "replication: pg_stat_replication, slots, WAL receiver" },
    Binding { keys: &[Key::Char('4')], action: Action::Go(Screen::Services), hint: Some("services"), help: "HAProxy services: backends, live routing probe" },
    Binding { keys: &[Key::Char('5')], action: Action::Go(Screen::Config), hint: Some("config"), help: "Patroni dynamic config, pending restarts" },
    Binding { keys: &[Key::Char('6')], action: Action::Go(Screen::Events), hint: Some("events"), help: "every change seen, timestamped" },
    Binding { keys: &[Key::Char('0')], action: Action::Go(Screen::Fleet), hint: Some("fleet"), help: "every cluster in the namespace" },
];

/// The action bound to a key press, if any.
pub fn lookup(ev: &KeyEvent) -> Option<Action> {
    BINDINGS
        .iter()
        .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.action)
}

/// `"1 cluster  2 timeline ..."` pieces for the footer.
pub fn footer_hints() -> Vec<(String, &'static str)> {
    BINDINGS
        .iter()
        .filter_map(|b| b.hint.map(|h| (b.keys[0].label(), h)))
        .collect()
}

/// Rows of the help screen: keys and what they do.
pub fn help_rows() -> Vec<(String, &'static str)> {
    BINDINGS
        .iter()
        .map(|b| {
            (
                b.keys
                    .iter()
                    .map(|k| k.label())
                    .collect::<Vec<_>>()
                    .join(" / "),
                b.help,
            )
        })
        .collect()
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
        assert_eq!(lookup(&ev(KeyCode::Char('j'))), lookup(&ev(KeyCode::Down)));
        assert_eq!(lookup(&ev(KeyCode::Char('k'))), Some(Action::Up));
        assert_eq!(
            lookup(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(lookup(&ev(KeyCode::Char('c'))), None);
    }
}
