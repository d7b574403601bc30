//! The keys of an open confirmation dialog, and the hints the dialog draws.
//!
//! While the dialog wants the cluster name typed (failover, reinit), a
//! letter is part of the name, never a command: `j`/`k` then type, and only
//! the arrows choose a candidate (see [`Keymap::lookup`]).

use super::{Binding, Hint, Key, Keymap, Part};
use crate::tui::dialog::DialogKey;

/// What a key does while a dialog is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InDialog {
    /// Leaves pgtui, dialog or not.
    Quit,
    /// Passed to the dialog.
    Pass(DialogKey),
}

use InDialog::Pass;

pub const DIALOG: Keymap<InDialog> = Keymap {
    heading: Some("in a confirmation dialog:"),
    bindings: &[
        Binding {
            keys: &[Key::Esc],
            action: Pass(DialogKey::Esc),
            hint: None,
            help: "cancel: close without acting (once it has run: close)",
            writes: false,
        },
        Binding {
            keys: &[Key::Enter],
            action: Pass(DialogKey::Enter),
            hint: None,
            help: "press the focused button, Cancel at first (once it has run: close)",
            writes: false,
        },
        Binding {
            keys: &[Key::Tab, Key::BackTab],
            action: Pass(DialogKey::SwitchFocus),
            hint: None,
            help: "move between Cancel and the action's button",
            writes: false,
        },
        Binding {
            keys: &[Key::Left, Key::Right],
            action: Pass(DialogKey::SwitchFocus),
            hint: None,
            help: "the same",
            writes: false,
        },
        Binding {
            keys: &[Key::Up, Key::Char('k')],
            action: Pass(DialogKey::Up),
            hint: None,
            help: "previous candidate, backup type or restore target kind (k only when nothing is to be typed)",
            writes: false,
        },
        Binding {
            keys: &[Key::Down, Key::Char('j')],
            action: Pass(DialogKey::Down),
            hint: None,
            help: "next candidate (j likewise)",
            writes: false,
        },
        Binding {
            keys: &[Key::Backspace],
            action: Pass(DialogKey::Backspace),
            hint: None,
            help: "delete the last letter of the typed name",
            writes: false,
        },
        Binding {
            keys: &[Key::Ctrl('A')],
            action: Pass(DialogKey::AllowAsync),
            hint: None,
            help: "accept an asynchronous failover candidate in synchronous mode (--allow-async)",
            writes: false,
        },
        Binding {
            keys: &[Key::Ctrl('c')],
            action: InDialog::Quit,
            hint: None,
            help: "quit pgtui",
            writes: false,
        },
    ],
    typing: Some("typed into the restore target while it is edited (Enter or Tab ends it), else into the cluster name (failover, reinit, restore)"),
};

/// The candidates' heading.
pub const CHOOSE: Hint<InDialog> = Hint(&[
    Part::Key(Key::Up, Pass(DialogKey::Up)),
    Part::Text("/"),
    Part::Key(Key::Down, Pass(DialogKey::Down)),
    Part::Text(" to choose"),
]);

/// Shown when a failover would promote an asynchronous replica.
pub const ALLOW_ASYNC: Hint<InDialog> = Hint(&[
    Part::Key(Key::Ctrl('A'), Pass(DialogKey::AllowAsync)),
    Part::Text(": accept an asynchronous candidate (committed transactions may be lost)"),
]);

/// Beside the buttons.
pub const BUTTONS: Hint<InDialog> = Hint(&[
    Part::Key(Key::Tab, Pass(DialogKey::SwitchFocus)),
    Part::Text("/"),
    Part::Key(Key::Left, Pass(DialogKey::SwitchFocus)),
    Part::Key(Key::Right, Pass(DialogKey::SwitchFocus)),
    Part::Text(" move · "),
    Part::Key(Key::Esc, Pass(DialogKey::Esc)),
    Part::Text(" cancels"),
]);

/// Under the restore target being typed.
pub const TARGET: Hint<InDialog> = Hint(&[
    Part::Key(Key::Up, Pass(DialogKey::Up)),
    Part::Text("/"),
    Part::Key(Key::Down, Pass(DialogKey::Down)),
    Part::Text(" kind · "),
    Part::Key(Key::Enter, Pass(DialogKey::Enter)),
    Part::Text(" on to the name"),
]);

/// Once the operation has run.
pub const CLOSE: Hint<InDialog> = Hint(&[
    Part::Key(Key::Esc, Pass(DialogKey::Esc)),
    Part::Text(" or "),
    Part::Key(Key::Enter, Pass(DialogKey::Enter)),
    Part::Text(" closes"),
]);

/// Every hint a dialog draws, for the tests that hold them to the table.
pub const HINTS: &[&Hint<InDialog>] = &[&CHOOSE, &ALLOW_ASYNC, &BUTTONS, &TARGET, &CLOSE];
