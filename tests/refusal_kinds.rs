//! Each refusal carries the kind its callers act on: "not found" for a
//! member the cluster does not have, Ctrl-A for an asynchronous failover
//! candidate, a closed dialog for a cluster that changed. The kind, not the
//! words, says which.

use pgtui::ops::preflight::preflight;
use pgtui::ops::refusal::RefusalKind;
use pgtui::ops::Operation;
use pgtui::tui::dialog::{Dialog, DialogKey, OpKind};

#[path = "support/sample_cluster.rs"]
mod sample_cluster;
use sample_cluster::{cluster, now, set};

fn kinds(op: &Operation, c: &pgtui::model::ClusterState) -> Vec<RefusalKind> {
    preflight(op, c, now())
        .refusals
        .iter()
        .map(|r| r.kind)
        .collect()
}

#[test]
fn a_member_the_cluster_does_not_have_is_not_found() {
    let c = cluster(|_| {});
    let reload = Operation::Reload {
        cluster: "pg-test".into(),
        member: "pg-test-9".into(),
    };
    assert_eq!(kinds(&reload, &c), [RefusalKind::NotAMember]);
    let failover = Operation::Failover {
        cluster: "pg-test".into(),
        candidate: "pg-test-9".into(),
        allow_async: false,
    };
    assert_eq!(kinds(&failover, &c), [RefusalKind::NotAMember]);
}

#[test]
fn an_asynchronous_failover_candidate_is_the_one_refusal_ctrl_a_lifts() {
    let c = cluster(|k| {
        set(
            k,
            "/pg/pg-test/config",
            r#"{"ttl":20,"synchronous_mode":true}"#,
        )
    });
    let failover = |allow_async| Operation::Failover {
        cluster: "pg-test".into(),
        candidate: "pg-test-3".into(),
        allow_async,
    };
    let pf = preflight(&failover(false), &c, now());
    assert!(pf.refused_for(RefusalKind::AsyncCandidate), "{:?}", pf);
    assert!(!preflight(&failover(true), &c, now()).refused());
    // A switchover is refused by the same rule, with no way round it.
    let switchover = Operation::Switchover {
        cluster: "pg-test".into(),
        leader: None,
        candidate: Some("pg-test-3".into()),
        scheduled_at: None,
    };
    assert_eq!(kinds(&switchover, &c), [RefusalKind::Rule]);
}

#[test]
fn the_other_rules_are_rules() {
    let c = cluster(|_| {});
    let reinit_leader = Operation::Reinit {
        cluster: "pg-test".into(),
        member: "pg-test-1".into(),
        from_leader: false,
    };
    assert_eq!(kinds(&reinit_leader, &c), [RefusalKind::Rule]);
    assert_eq!(
        kinds(
            &Operation::CancelSwitchover {
                cluster: "pg-test".into()
            },
            &c
        ),
        [RefusalKind::Rule]
    );
}

#[test]
fn a_dialog_whose_cluster_changed_refuses_for_good_a_mistyped_name_does_not() {
    let c = cluster(|_| {});
    let mut d = Dialog::open(OpKind::Failover, &c, Some("pg-test-2"), None, now()).unwrap();
    d.key(DialogKey::SwitchFocus, Some(&c), now());
    d.key(DialogKey::Enter, Some(&c), now());
    assert_eq!(
        d.refusal.as_ref().map(|r| r.kind),
        Some(RefusalKind::Unconfirmed)
    );
    for ch in "pg-test".chars() {
        d.key(DialogKey::Char(ch), Some(&c), now());
    }
    let moved = cluster(|k| set(k, "/pg/pg-test/leader", "pg-test-3"));
    d.key(DialogKey::Enter, Some(&moved), now());
    let r = d.refusal.clone().expect("refused");
    assert_eq!(r.kind, RefusalKind::Changed, "{r}");
    // Final: the choice no longer moves, and Enter does not run it.
    let pick = d.pick;
    d.key(DialogKey::Down, Some(&moved), now());
    d.key(DialogKey::Enter, Some(&c), now());
    assert_eq!(d.pick, pick);
    assert_eq!(d.refusal, Some(r));
}
