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

/// Writes, ignoring a closed pipe or terminal (`| head`, a dropped SSH
/// session), where `println!` would panic.
pub fn write(to: &mut dyn std::io::Write, s: &str) {
    let _ = to.write_all(s.as_bytes()).and_then(|_| to.flush());
}

macro_rules! outln {
    ($($t:tt)*) => {
        $crate::cli::out::write(
            &mut std::io::stdout(),
            &format!("{}\n", $crate::cli::out::stdout_safe(&format!($($t)*))),
        )
    };
}

macro_rules! out {
    ($($t:tt)*) => {
        $crate::cli::out::write(
            &mut std::io::stdout(),
            &$crate::cli::out::stdout_safe(&format!($($t)*)),
        )
    };
}

macro_rules! errln {
    ($($t:tt)*) => {
        $crate::cli::out::write(
            &mut std::io::stderr(),
            &format!("{}\n", $crate::cli::out::stderr_safe(&format!($($t)*))),
        )
    };
}
