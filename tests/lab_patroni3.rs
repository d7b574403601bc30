//! The core lab suite against Debian's Patroni 3.0 (lab index 1).

mod common;
#[macro_use]
mod lab_suite;

use common::SharedLab;
use std::sync::OnceLock;

static LAB: OnceLock<SharedLab> = OnceLock::new();

fn lab() -> &'static SharedLab {
    common::lab(&LAB, 1, "debian")
}

all_lab_suite_tests!();
restore_lab_tests!(pitr);
logs_and_vip_lab_tests!();

#[test]
fn etcd_credentials_without_auth_are_dropped_as_patronictl_does() {
    lab_suite::etcd_credentials_without_auth_are_dropped(lab());
}
