//! The recorded pg-test cluster with the recorded `pgbackrest info` (2.45)
//! as its leader's agent reports it: the fixture of the backups screen and
//! restore-plan tests.
#![allow(dead_code)]

use super::sample_cluster::{cluster, now};
use pgtui::model::agent::AgentReg;
use pgtui::model::backup::info::parse_info;
use pgtui::model::backup::report::BackupReport;
use pgtui::model::backup::{Archiver, WalFile};
use pgtui::model::{Model, SourceId, Sourced};
use std::time::Duration;

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/pgbackrest/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The segments the recorded history implies (timelines 8 to 13 from the
/// first backup's start to the archive's max), a minute apart, less `drop`.
pub fn wal(drop: &[&str]) -> Vec<WalFile> {
    let runs: [(u32, u64, u64); 6] = [
        (8, 0x1B, 0x1F),
        (9, 0x1F, 0x1F),
        (10, 0x1F, 0x20),
        (11, 0x20, 0x21),
        (12, 0x21, 0x21),
        (13, 0x21, 0x2B),
    ];
    let mut out = vec![];
    for (tl, a, b) in runs {
        for seg in a..=b {
            let name = format!("{tl:08X}{:08X}{:08X}", seg >> 8, seg & 0xFF);
            if drop.contains(&name.as_str()) {
                continue;
            }
            out.push(WalFile {
                name: format!("{name}-0123456789abcdef0123456789abcdef01234567.lz4"),
                time: Some(1_795_294_867 + (seg - 0x1B) as i64 * 55 + tl as i64),
            });
        }
    }
    out
}

pub fn report(info: &str, drop: &[&str]) -> BackupReport {
    BackupReport {
        configured: true,
        member: "pg-test-1".into(),
        stanza: Some("pg-test".into()),
        fetched_at: 1_795_295_815,
        stanzas: Some(parse_info(&fixture(info)).unwrap()),
        archiver: Some(Archiver {
            archived_count: 40,
            last_archived_wal: Some("0000000D000000000000002B".into()),
            last_archived_time: Some(1_795_295_805),
            ..Default::default()
        }),
        archive_timeout: Some(60),
        wal_segment_size: Some(16 << 20),
        wal: Some(wal(drop)),
        ..Default::default()
    }
}

pub fn model(r: Option<BackupReport>) -> Model {
    let mut m = Model::new("/pg/");
    m.clusters
        .insert("pg-test".into(), Box::new(cluster(|_| {})));
    m.source_mut(SourceId::Etcd)
        .ok(now() - Duration::from_secs(1));
    m.own_keys_read = true;
    for n in ["pg-test-1", "pg-test-2"] {
        m.cluster_mut("pg-test").agents.insert(
            n.into(),
            AgentReg {
                member: n.into(),
                cluster: "pg-test".into(),
                url: "http://127.0.0.11:8010".into(),
                version: "0.1.0".into(),
                api: "v1".into(),
                stanza: Some("pg-test".into()),
                pgbackrest_version: Some("2.45".into()),
                started: 0,
            },
        );
    }
    if let Some(r) = r {
        m.cluster_mut("pg-test").backups = Some(Box::new(Sourced::new(
            r,
            SourceId::Agent,
            now() - Duration::from_secs(3),
        )));
    }
    m
}
