//! pgBackRest `info` parsing on real recordings and hand-made version
//! variants (see tests/fixtures/pgbackrest/README.md), and on garbage.

use pgtui::model::backup::info::{parse_info, timeline_of};
use pgtui::model::backup::{BackupKind, Progress, StatusKind};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/pgbackrest/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn real_info_two_fulls_and_an_incr() {
    let v = parse_info(&fixture("pgbackrest-info.json")).unwrap();
    assert_eq!(v.len(), 1);
    let s = &v[0];
    assert_eq!(s.name, "pg-test");
    assert_eq!(s.status.kind(), StatusKind::Ok);
    let kinds: Vec<_> = s.backups.iter().map(|b| b.kind).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == BackupKind::Full).count(),
        2,
        "{kinds:?}"
    );
    let incr = s
        .backups
        .iter()
        .find(|b| b.kind == BackupKind::Incr)
        .unwrap();
    assert!(incr.prior.is_some() && !incr.reference.is_empty());
    assert!(s
        .backups
        .iter()
        .all(|b| b.lsn_start.is_some() && b.repo_size.is_some() && b.error == Some(false)));
    assert!(s.system_id().unwrap() > 1 << 60);
    let all = parse_info(&fixture("pgbackrest-info-all-stanzas.json")).unwrap();
    let names: Vec<_> = all.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["pg-meta", "pg-test"]);
}

#[test]
fn running_missing_and_set() {
    let r = &parse_info(&fixture("info-backup-running.json")).unwrap()[0];
    assert!(r.backup_running);
    assert_eq!(r.progress, None, "2.45 reports no progress");
    let m = &parse_info(&fixture("info-missing-stanza.json")).unwrap()[0];
    assert_eq!(m.status.kind(), StatusKind::MissingStanzaPath);
    assert!(m.backups.is_empty() && m.archives.is_empty());
    assert!(m.last_backup().is_none());
    assert!(StatusKind::MissingStanzaPath
        .advice()
        .contains("stanza-create"));
    let set = &parse_info(&fixture("info-set.json")).unwrap()[0];
    assert!(!set.backups.is_empty());
}

#[test]
fn target_picks_the_newest_backup_stopped_before_it() {
    let s = &parse_info(&fixture("info-after-new-full.json")).unwrap()[0];
    let (a, b) = (&s.backups[0], &s.backups[1]);
    assert_eq!(s.backup_for_target(a.stop - 1), None);
    assert_eq!(s.backup_for_target(a.stop).unwrap().label, a.label);
    assert_eq!(s.backup_for_target(b.stop - 1).unwrap().label, a.label);
    assert_eq!(s.backup_for_target(b.stop + 3600).unwrap().label, b.label);
    assert_eq!(timeline_of(a), Some(1));
    assert_eq!(timeline_of(b), Some(3));
}

#[test]
fn version_variants_made_by_hand() {
    let s = &parse_info(&fixture("handmade-versions-multirepo.json")).unwrap()[0];
    let (old, block, bad) = (&s.backups[0], &s.backups[1], &s.backups[2]);
    assert_eq!(
        (
            old.lsn_start.as_deref(),
            old.error,
            old.backrest_version.as_str()
        ),
        (None, None, "2.37")
    );
    assert_eq!(
        (block.repo_size, block.repo_size_map, block.repo_delta_map),
        (None, Some(8192), Some(4096))
    );
    assert_eq!(bad.error, Some(true));
    assert_eq!(bad.repo_key, 2);
    assert_eq!(s.usable().count(), 2);
    assert_eq!(
        s.last_backup().unwrap().label,
        block.label,
        "a failed set is never the last backup"
    );
    assert_eq!(
        s.backup_for_target(bad.stop + 10).unwrap().label,
        block.label
    );
    assert_eq!(s.cipher, "mixed");
    assert_eq!(
        s.repos
            .iter()
            .map(|r| r.cipher.as_str())
            .collect::<Vec<_>>(),
        ["aes-256-cbc", "none"]
    );
    assert_eq!(s.status.kind(), StatusKind::DifferentAcrossRepos);
    assert_eq!(s.repos[1].status.kind(), StatusKind::NoValidBackups);
    assert_eq!(
        s.progress,
        Some(Progress {
            size: 3159000,
            done: 1200000
        })
    );
    let codes: Vec<_> = parse_info(&fixture("handmade-status-codes.json"))
        .unwrap()
        .iter()
        .map(|s| s.status.kind())
        .collect();
    assert_eq!(
        codes,
        [
            StatusKind::NoValidBackups,
            StatusKind::MissingStanzaData,
            StatusKind::DatabaseMismatch,
            StatusKind::BackupNotFound,
            StatusKind::Other
        ]
    );
}

#[test]
fn malformed_output_is_an_error_that_says_what() {
    let real = fixture("pgbackrest-info.json");
    let e = parse_info(&real[..real.len() / 2]).unwrap_err().to_string();
    assert!(e.starts_with("pgbackrest info output is not JSON"), "{e}");
    let e = parse_info(b"{}").unwrap_err().to_string();
    assert!(e.contains("not a list of stanzas"), "{e}");
    let e = parse_info(
        br#"[{"name":"x","backup":[{"label":"L","type":"full","timestamp":{"start":1}}]}]"#,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "pgbackrest info: stanza x, backup 1 (L): no timestamp.stop"
    );
    let e = parse_info(br#"[{"name":"x","backup":[{"label":"L","type":"weekly","timestamp":{"start":1,"stop":2}}]}]"#).unwrap_err().to_string();
    assert!(e.contains("type is weekly"), "{e}");
    assert!(parse_info(br#"[{"backup":[]}]"#)
        .unwrap_err()
        .to_string()
        .contains("stanza 1: no name"));
    assert!(parse_info(&[0xff, 0xfe]).is_err());
    let deep = "[".repeat(5000) + &"]".repeat(5000);
    assert!(parse_info(deep.as_bytes()).is_err());
    let huge = br#"[{"name":"x","db":[{"id":1,"system-id":1e400}]}]"#;
    let _ = parse_info(huge);
    let long = format!("{{\"x\":\"{}\"}}", "a".repeat(1_000_000));
    assert!(parse_info(long.as_bytes()).unwrap_err().to_string().len() < 200);
}

proptest! {
    #[test]
    fn never_panics_on_bytes(b in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_info(&b);
    }

    #[test]
    fn never_panics_on_mutated_real_output(pos in 0usize..2000, byte in any::<u8>(), cut in 0usize..2000) {
        let mut real = fixture("pgbackrest-info.json");
        let p = pos % real.len();
        real[p] = byte;
        real.truncate(real.len() - cut.min(real.len()));
        let _ = parse_info(&real);
    }
}
