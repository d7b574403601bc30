//! A key as the registry names it: how it is written in the help, the
//! footer and the hints, and which terminal key presses it stands for.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    /// Written as given (`Ctrl('A')` shows "Ctrl-A"); matches the letter in
    /// either case, as terminals send Ctrl with a letter without its case.
    Ctrl(char),
    Esc,
    Enter,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Backspace,
}

impl Key {
    /// Every key that is not a character, so a test can look for any of
    /// them written on screen.
    pub const NAMED: [Key; 13] = [
        Key::Esc,
        Key::Enter,
        Key::Tab,
        Key::BackTab,
        Key::Up,
        Key::Down,
        Key::Left,
        Key::Right,
        Key::PageUp,
        Key::PageDown,
        Key::Home,
        Key::End,
        Key::Backspace,
    ];

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
            Key::Left => "←".into(),
            Key::Right => "→".into(),
            Key::PageUp => "PgUp".into(),
            Key::PageDown => "PgDn".into(),
            Key::Home => "Home".into(),
            Key::End => "End".into(),
            Key::Backspace => "Backspace".into(),
        }
    }

    pub(super) fn matches(self, ev: &KeyEvent) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match (self, ev.code) {
            (Key::Char(c), KeyCode::Char(k)) => !ctrl && c == k,
            (Key::Ctrl(c), KeyCode::Char(k)) => ctrl && c.eq_ignore_ascii_case(&k),
            (Key::Esc, KeyCode::Esc) => true,
            (Key::Enter, KeyCode::Enter) => true,
            (Key::Tab, KeyCode::Tab) => true,
            (Key::BackTab, KeyCode::BackTab) => true,
            (Key::Up, KeyCode::Up) => true,
            (Key::Down, KeyCode::Down) => true,
            (Key::Left, KeyCode::Left) => true,
            (Key::Right, KeyCode::Right) => true,
            (Key::PageUp, KeyCode::PageUp) => true,
            (Key::PageDown, KeyCode::PageDown) => true,
            (Key::Home, KeyCode::Home) => true,
            (Key::End, KeyCode::End) => true,
            (Key::Backspace, KeyCode::Backspace) => true,
            _ => false,
        }
    }

    /// The press a terminal sends for this key.
    pub fn event(self) -> KeyEvent {
        let plain = |code| KeyEvent::new(code, KeyModifiers::NONE);
        match self {
            Key::Char(c) => plain(KeyCode::Char(c)),
            Key::Ctrl(c) => {
                KeyEvent::new(KeyCode::Char(c.to_ascii_lowercase()), KeyModifiers::CONTROL)
            }
            Key::Esc => plain(KeyCode::Esc),
            Key::Enter => plain(KeyCode::Enter),
            Key::Tab => plain(KeyCode::Tab),
            Key::BackTab => KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT),
            Key::Up => plain(KeyCode::Up),
            Key::Down => plain(KeyCode::Down),
            Key::Left => plain(KeyCode::Left),
            Key::Right => plain(KeyCode::Right),
            Key::PageUp => plain(KeyCode::PageUp),
            Key::PageDown => plain(KeyCode::PageDown),
            Key::Home => plain(KeyCode::Home),
            Key::End => plain(KeyCode::End),
            Key::Backspace => plain(KeyCode::Backspace),
        }
    }
}
