//! The core lab suite against Patroni 4.x from PyPI (lab index 2; the venv
//! from `.ci/setup`, or `PGTUI_PATRONI4_VENV`).

mod common;
#[macro_use]
mod lab_suite;

use common::SharedLab;
use std::sync::OnceLock;

static LAB: OnceLock<SharedLab> = OnceLock::new();

fn lab() -> &'static SharedLab {
    common::lab(&LAB, 2, common::patroni4_venv().to_str().unwrap())
}

all_lab_suite_tests!();

#[test]
fn etcd_credentials_without_auth_are_dropped_as_patronictl_does() {
    lab_suite::etcd_credentials_without_auth_are_dropped(lab());
}
