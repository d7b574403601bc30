//! Sources: independent tasks that read a cluster and publish into the model.
//!
//! Each source owns its connections, retries with backoff, and records its own
//! health in the model. A failing source never clears data another source (or
//! its own earlier success) provided; it marks itself down so views can show
//! that data as stale.

pub mod agent;
pub mod etcd;
pub mod etcd_health;
pub mod etcd_list;
pub mod etcd_pages;
pub mod events;
pub mod haproxy;
pub mod haproxy_cfg;
pub mod logs;
pub mod pg_connect;
pub mod pg_tls;
pub mod pgbouncer;
pub mod rest;
pub mod rest_fallback;
pub mod rounds;
pub mod scope;
pub mod service_probe;
pub mod sql;
pub mod vip;

pub use scope::{Lane, Scope};

use crate::config::Config;
use crate::model::ModelHandle;
use tokio::task::JoinHandle;

/// An error with its causes, `outer: inner: innermost` (reqwest's own
/// message hides why a connection failed), with any URL's `user:password@`
/// replaced by `***@`.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s = format!("{s}: {inner}");
        src = inner.source();
    }
    crate::config::userinfo::redact(&s)
}

/// The running source tasks; dropping this aborts them.
pub struct Running {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts every source that the configuration enables; the events log
/// only when `events` (the console shows it; a one-shot command would pay
/// for a derived copy of every cluster and never show it).
pub fn spawn_all(
    config: &Config,
    etcd: &crate::dcs::Etcd,
    scope: Scope,
    model: &ModelHandle,
    events: bool,
) -> Running {
    let keys = etcd::Keys {
        namespace: config.namespace.clone(),
        pgtui_prefix: config.pgtui_prefix.clone(),
        scope: scope.clone(),
    };
    let mut tasks = vec![
        tokio::spawn(etcd::run(etcd.clone(), keys, model.clone())),
        tokio::spawn(etcd_health::run(
            etcd.clone(),
            config.pgtui_prefix.clone(),
            model.clone(),
        )),
    ];
    tasks.push(tokio::spawn(rest::run(
        config.rest.clone(),
        scope.clone(),
        model.clone(),
    )));
    tasks.push(tokio::spawn(agent::run(
        config.agent.clone(),
        scope.clone(),
        model.clone(),
    )));
    tasks.push(tokio::spawn(logs::run(config.agent.clone(), model.clone())));
    tasks.push(tokio::spawn(vip::run(
        config.agent.clone(),
        scope.clone(),
        model.clone(),
    )));
    if events {
        tasks.push(tokio::spawn(events::run(scope.clone(), model.clone())));
    }
    tasks.push(tokio::spawn(haproxy::run(
        config.clone(),
        scope.clone(),
        model.clone(),
    )));
    tasks.push(tokio::spawn(service_probe::run(
        config.clone(),
        scope.clone(),
        model.clone(),
    )));
    if let Some(p) = &config.pgbouncer {
        tasks.push(tokio::spawn(pgbouncer::run(
            p.clone(),
            scope.clone(),
            model.clone(),
        )));
    }
    if let Some(sql) = &config.sql {
        tasks.push(tokio::spawn(sql::run(sql.clone(), scope, model.clone())));
    }
    Running { tasks }
}
