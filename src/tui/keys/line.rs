//! The keys while a line is typed: a `:` command or a `/` filter. Every
//! other character is part of the line, whatever modifier came with it.

use super::{Binding, Key, Keymap};

/// What a key does to the line being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKey {
    /// Leave the line; a filter left this way is cleared.
    Leave,
    /// Run the command, or keep the filter.
    Submit,
    /// Delete the last character.
    Erase,
}

pub const LINE: Keymap<LineKey> = Keymap {
    heading: Some("typing a command or a filter:"),
    bindings: &[
        Binding {
            keys: &[Key::Esc],
            action: LineKey::Leave,
            hint: None,
            help: "leave the line (a filter left so is cleared)",
            writes: false,
        },
        Binding {
            keys: &[Key::Enter],
            action: LineKey::Submit,
            hint: None,
            help: "run the command, or keep the filter",
            writes: false,
        },
        Binding {
            keys: &[Key::Backspace],
            action: LineKey::Erase,
            hint: None,
            help: "delete the last character",
            writes: false,
        },
    ],
    typing: Some("typed into the line"),
};
