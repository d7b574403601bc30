//! Hostile input against a real lab (issue 9): what anyone who can write a
//! member key, or a careless colleague with a config file, can throw at
//! pgtui. Runs on the hardened (autobase) lab style: etcd with TLS and a
//! confined role, REST with authentication.
//!
//! The lab index is 6; `PGTUI_TEST_LAB_INDEX` overrides it so that two
//! checkouts can run this binary side by side.

mod common;
mod hostile;
#[allow(dead_code)]
#[path = "lab_suite/tmux.rs"]
mod tmux;

use common::SharedLab;
use std::sync::OnceLock;

static LAB: OnceLock<SharedLab> = OnceLock::new();

fn lab() -> &'static SharedLab {
    let index = std::env::var("PGTUI_TEST_LAB_INDEX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    common::lab_styled(
        &LAB,
        index,
        common::patroni4_venv().to_str().unwrap(),
        "autobase",
    )
}
