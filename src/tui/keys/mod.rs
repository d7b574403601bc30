//! The one key registry. Every key the console answers to is a row of a
//! table here, one table per mode: the main screens ([`BINDINGS`]), an open
//! confirmation dialog ([`dialog::DIALOG`]) and a line being typed, the `:`
//! palette or the `/` filter ([`line::LINE`]). The app looks each press up
//! in the table of the mode it came in, and the `?` help, the footer and
//! every hint drawn about a key (dialog lines, overlay titles, notes) are
//! generated from the same rows.
//!
//! Why: a key matched by hand in the app loop is one the help does not
//! know, and a hint typed into a view goes stale when a binding changes.
//! Here the help lists exactly the rows, and a [`Hint`] names each of its
//! keys with the action it claims; the tests hold every hint to its table.

pub mod dialog;
mod key;
pub mod line;
mod normal;

pub use key::Key;
pub use normal::*;

// For the tests below, which take this module's names with `use super::*`.
#[cfg(test)]
use crossterm::event::KeyModifiers;
use crossterm::event::{KeyCode, KeyEvent};

pub struct Binding<A: 'static> {
    pub keys: &'static [Key],
    pub action: A,
    /// Short label for the footer; `None` keeps it out of the footer.
    pub hint: Option<&'static str>,
    pub help: &'static str,
    /// Writes to a cluster: absent (not merely refused) when read-only.
    pub writes: bool,
}

/// The bindings of one mode.
pub struct Keymap<A: 'static> {
    /// The help's heading for the mode; the main screens' keys have none.
    pub heading: Option<&'static str>,
    pub bindings: &'static [Binding<A>],
    /// Whether characters no binding takes are typed, and where to (the
    /// help's words).
    pub typing: Option<&'static str>,
}

/// What a press means in a mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press<A> {
    Act(A),
    /// A character typed into a name or a line.
    Type(char),
}

/// The main screens' keys as a [`Keymap`].
pub const NORMAL: Keymap<Action> = Keymap {
    heading: None,
    bindings: BINDINGS,
    typing: None,
};

impl<A: Copy> Keymap<A> {
    /// The bindings in force: without write access the operations are gone.
    fn active(&self, writable: bool) -> impl Iterator<Item = &'static Binding<A>> {
        self.bindings.iter().filter(move |b| writable || !b.writes)
    }

    /// What a press means. While `typing` (a name or a line), a plain
    /// character is text and never a command: bindings of [`Key::Char`]
    /// are skipped and the character comes back as [`Press::Type`].
    pub fn lookup(&self, ev: &KeyEvent, writable: bool, typing: bool) -> Option<Press<A>> {
        let bound = |k: &Key| !(typing && matches!(k, Key::Char(_))) && k.matches(ev);
        if let Some(b) = self.active(writable).find(|b| b.keys.iter().any(bound)) {
            return Some(Press::Act(b.action));
        }
        match ev.code {
            KeyCode::Char(c) if typing && self.typing.is_some() => Some(Press::Type(c)),
            _ => None,
        }
    }

    /// This mode's rows of the help: its heading, its keys, what typing does.
    fn help_rows(&self, writable: bool) -> Vec<(String, String)> {
        let heading = self.heading.map(|h| (String::new(), h.to_string()));
        let keys = self.active(writable).map(|b| {
            (
                b.keys
                    .iter()
                    .map(|k| k.label())
                    .collect::<Vec<_>>()
                    .join(" / "),
                b.help.to_string(),
            )
        });
        let typing = self
            .typing
            .map(|t| ("other keys".to_string(), t.to_string()));
        heading.into_iter().chain(keys).chain(typing).collect()
    }
}

/// A hint drawn on screen: words with keys in them. Each key carries the
/// action the hint says it has, so a test can check that the key's mode
/// binds it to that action.
pub struct Hint<A: 'static>(pub &'static [Part<A>]);

pub enum Part<A: 'static> {
    Key(Key, A),
    Text(&'static str),
}

impl<A> Hint<A> {
    pub fn text(&self) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Part::Key(k, _) => k.label(),
                Part::Text(t) => t.to_string(),
            })
            .collect()
    }

    /// The keys the hint names, with the action it claims for each.
    pub fn keys(&self) -> impl Iterator<Item = (Key, &A)> {
        self.0.iter().filter_map(|p| match p {
            Part::Key(k, a) => Some((*k, a)),
            Part::Text(_) => None,
        })
    }
}

/// The action bound to a key press on the main screens, if any.
pub fn lookup(ev: &KeyEvent, writable: bool) -> Option<Action> {
    match NORMAL.lookup(ev, writable, false)? {
        Press::Act(a) => Some(a),
        Press::Type(_) => None,
    }
}

/// `"1 cluster  2 timeline ..."` pieces for the footer.
pub fn footer_hints(writable: bool) -> Vec<(String, &'static str)> {
    NORMAL
        .active(writable)
        .filter_map(|b| b.hint.map(|h| (b.keys[0].label(), h)))
        .collect()
}

/// Rows of the help screen: keys and what they do, the main screens' first,
/// then a line's and, where operations are offered, a dialog's.
pub fn help_rows(writable: bool) -> Vec<(String, String)> {
    let mut rows = NORMAL.help_rows(writable);
    if writable {
        let usage: Vec<&str> = PALETTE_OPS
            .iter()
            .map(|o| o.usage)
            .filter(|u| !u.is_empty())
            .collect();
        rows.push((
            ":op".into(),
            format!("operations by name: {}", usage.join(", ")),
        ));
    }
    rows.extend(line::LINE.help_rows(writable));
    if writable {
        rows.extend(dialog::DIALOG.help_rows(writable));
    }
    rows
}

#[cfg(test)]
mod agreement_tests;

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
