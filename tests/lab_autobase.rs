//! The core lab suite against the hardened autobase-style lab (lab index 5):
//! Patroni 4.x from the venv of `.ci/setup` (or `PGTUI_PATRONI4_VENV`),
//! namespace `/service/`, etcd over TLS with authentication and Patroni's
//! etcd user confined to `/service/`, REST over https, `synchronous_mode`,
//! autobase's HAProxy services. The same checks as on the Pigsty labs: a
//! team that hardens its cluster must get the same console.

mod common;
#[macro_use]
mod lab_suite;

use common::SharedLab;
use std::sync::OnceLock;

static LAB: OnceLock<SharedLab> = OnceLock::new();

fn lab() -> &'static SharedLab {
    common::lab_styled(
        &LAB,
        5,
        common::patroni4_venv().to_str().unwrap(),
        "autobase",
    )
}

all_lab_suite_tests!();
restore_lab_tests!();
logs_and_vip_lab_tests!();
crate::hardened_lab_tests!();
