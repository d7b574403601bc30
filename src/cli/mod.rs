//! Non-interactive commands for runbooks: they read the same model the
//! console reads, rendered as a table, JSON or YAML.

#[macro_use]
pub mod out;

pub mod args;
pub mod audit;
pub mod commands;
pub mod list;
pub mod op_args;
pub mod ops;
pub mod render;
pub mod session;
