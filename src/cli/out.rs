//! The one way the CLI writes to a terminal or pipe: every line passes
//! [`crate::text::terminal_safe`], so nothing that slipped past escaping on
//! the way in (a server's error text, a path) can drive the operator's
//! terminal. JSON stays valid through it.
//!
//! `outln!`, `out!` and `errln!` stand in for `println!`, `print!` and
//! `eprintln!` inside `cli/`.

use std::borrow::Cow;

/// `s` made safe for stdout; colour sequences pass only when the table is
/// coloured.
pub fn stdout_safe(s: &str) -> Cow<'_, str> {
    crate::text::terminal_safe(s, crate::cli::render::colour_enabled())
}

/// `s` made safe for stderr, which pgtui never colours.
pub fn stderr_safe(s: &str) -> Cow<'_, str> {
    crate::text::terminal_safe(s, false)
}

macro_rules! outln {
    ($($t:tt)*) => { std::println!("{}", $crate::cli::out::stdout_safe(&format!($($t)*))) };
}

macro_rules! out {
    ($($t:tt)*) => { std::print!("{}", $crate::cli::out::stdout_safe(&format!($($t)*))) };
}

macro_rules! errln {
    ($($t:tt)*) => { std::eprintln!("{}", $crate::cli::out::stderr_safe(&format!($($t)*))) };
}
