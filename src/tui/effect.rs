//! What the UI state asks of the app. [`Ui`](super::ui::Ui) is pure: no
//! I/O, no clock, no terminal. Whatever a key press needs beyond a change of
//! UI state comes back from it as an [`Effect`], and the app carries it out,
//! since the app owns the tasks, the files and the terminal.

use crate::ops::preflight::Expected;
use crate::ops::Operation;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// End the console.
    Quit,
    /// Run this confirmed operation, against what the user saw.
    Run(Box<(Operation, Expected)>),
    /// Load the theme of this name (`:theme NAME`).
    LoadTheme(String),
}
