//! The lab: a real, throwaway PostgreSQL HA cluster on this machine.
//!
//! pgtui is an ops console for Patroni + etcd clusters with HAProxy in front
//! and pgBackRest behind; demos and tests need the real thing, not mocks. A
//! lab with index `N` runs, under one directory and on `127.0.N.x`:
//! - etcd 3.4, three members (`127.0.N.1:2379/22379/32379`);
//! - Patroni cluster `pg-test` (pg-test-1..3 on `.11/.12/.13`) and `pg-meta`
//!   (pg-meta-1 on `.10`), namespace `/pg/`, PostgreSQL 15 on :5432, REST :8008;
//! - one HAProxy per pg-test node (:5433 primary, :5434 replica, :5436
//!   default, :5438 offline, stats :9101);
//! - one pgbouncer per pg-test node (:6432, Pigsty's layout: see the
//!   `pgbouncer` module);
//! - a pgBackRest repo with stanzas `pg-test` and `pg-meta` and a full backup;
//! - a node agent (`pgtui agent`) beside every Patroni, on :8010;
//! - a control socket (`LAB/run/control.sock`, `pgtui lab ctl`) that stops,
//!   kills or starts one component, for the agents' restores and for tests.
//!
//! Everything is a child of the runner and is stopped (in order) by
//! [`Lab::stop`], by dropping the [`Lab`], or by the kernel if the runner dies.
//! The shape matches the reference lab whose outputs are recorded under
//! `/work/shared/samples`. That is the default Pigsty style; the hardened
//! autobase style (namespace `/service/`, etcd over TLS with auth, Patroni
//! REST over https, `synchronous_mode`, autobase's HAProxy :5000-5003 and
//! :7000) is described in the `style` module.

mod agent;
pub mod cli;
mod control;
mod error;
mod etcd;
mod etcd_auth;
pub mod fleet;
mod haproxy;
mod info;
mod lifecycle;
mod patroni;
mod patroni_conf;
mod pgbackrest;
mod pgbouncer;
mod prereq;
mod proc;
mod ready;
mod secrets;
mod spec;
mod style;
mod teardown;
mod tls;
mod venv;
mod vip;

pub use error::LabError;
pub use info::{LabCluster, LabHaproxy, LabHaproxyPorts, LabInfo, LabMember};
pub use lifecycle::Lab;
pub use spec::{LabPorts, LabSpec, PatroniFlavor};
pub use style::LabStyle;
pub use venv::{install_patroni4, PATRONI4_REQUIREMENT};
