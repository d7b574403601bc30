//! The core lab suite against Debian's Patroni 3.0 (lab index 1).

mod common;
mod lab_suite;

use common::SharedLab;
use std::sync::OnceLock;

static LAB: OnceLock<SharedLab> = OnceLock::new();

fn lab() -> &'static SharedLab {
    common::lab(&LAB, 1, "debian")
}

#[test]
fn list_json_agrees_with_patronictl() {
    lab_suite::list_json_agrees_with_patronictl(lab());
}

#[test]
fn list_without_a_cluster_shows_the_fleet() {
    lab_suite::list_without_a_cluster_shows_the_fleet(lab());
}

#[test]
fn exit_codes_are_distinct() {
    lab_suite::exit_codes_are_distinct(lab());
}

#[test]
fn history_topology_version_dsn() {
    lab_suite::history_topology_version_dsn(lab());
}

#[test]
fn watch_prints_the_new_leader_after_a_switchover() {
    lab_suite::watch_prints_the_new_leader_after_a_switchover(lab());
}

#[test]
fn watch_relists_after_compaction_and_matches_etcd() {
    lab_suite::watch_compaction::watch_relists_after_compaction(lab());
}

#[test]
fn replay_lag_is_shown_when_replay_is_paused() {
    lab_suite::replay_lag_is_shown_when_replay_is_paused(lab());
}

#[test]
fn console_follows_switchover_and_etcd_outage() {
    lab_suite::console_e2e::console_follows_switchover_and_etcd_outage(lab());
}
