//! pgtui: a terminal operations console for PostgreSQL HA clusters run by
//! Patroni and etcd.
//!
//! The crate is organised as sources → one model → views:
//! - [`sources`] run as independent tasks (etcd list+watch, Patroni REST,
//!   HAProxy stats, SQL probes, the service probe) and publish into the
//!   shared [`model`];
//! - [`session`] starts them for the clusters in scope and waits for first
//!   data, for the CLI, the console and the ops layer alike;
//! - [`dcs`] decodes Patroni's etcd keys, tolerating every malformed value;
//! - [`cli`] renders the model for runbooks (table/json/yaml);
//! - [`lab`] starts a real throwaway cluster for demos and tests.
//! - [`text`] makes text from outside safe to show;
//! - [`ops`] is the one layer that writes to a cluster;
//! - [`tui`] is the console, and the only module that imports a terminal UI
//!   library.
//!
//! ARCHITECTURE.md has the map.

pub mod agent;
pub mod cli;
pub mod config;
pub mod dcs;
pub mod exit;
pub mod lab;
pub mod model;
pub mod ops;
pub mod session;
pub mod sources;
pub mod text;
pub mod tui;
