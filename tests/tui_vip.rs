//! The VIP in the cluster header and on the services screen, from the
//! members' VIP reports: on the leader in the ok colour; left behind on the
//! old leader, or held by no node, in the alarm colour with the words; an
//! old answer makes it unknown, never confirmed.

#[path = "support/backup_model.rs"]
mod backup_model;
#[path = "support/sample_cluster.rs"]
mod sample_cluster;
#[path = "support/screen_text.rs"]
mod screen_text;

use pgtui::model::vip::VipReport;
use pgtui::model::{Model, SourceId, Sourced};
use pgtui::tui::screen::Screen;
use pgtui::tui::theme::Theme;
use pgtui::tui::App;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use sample_cluster::now;
use screen_text::{find, text};
use std::time::Duration;

/// Each member's vip-manager report, the VIP on `holder`, read `age` ago.
fn model(holder: Option<&str>, age: Duration) -> Model {
    let mut m = backup_model::model(None);
    let c = m.cluster_mut("pg-test");
    for n in ["pg-test-1", "pg-test-2", "pg-test-3"] {
        let r = VipReport {
            configured: true,
            manager: Some("vip-manager".into()),
            ip: Some("127.0.0.100".into()),
            interface: Some(format!("vip-{n}")),
            trigger_key: Some("/pg/pg-test/leader".into()),
            trigger_value: Some(n.into()),
            held: holder == Some(n),
            ..Default::default()
        };
        c.vip
            .insert(n.into(), Sourced::new(r, SourceId::Vip, now() - age));
    }
    m
}

fn render(m: &Model, screen: Screen) -> Buffer {
    let mut app = App::new(Some("pg-test".into()), Theme::built_in("dark").unwrap());
    app.ui.screen = screen;
    app.render(Rect::new(0, 0, 200, 48), m, now())
}

#[test]
fn on_the_leader_it_reads_ok_and_left_behind_it_is_an_alarm() {
    let theme = Theme::built_in("dark").unwrap();
    let leader = text(&render(&model(None, Duration::ZERO), Screen::Cluster))
        .lines()
        .nth(1)
        .and_then(|l| l.split("leader ").nth(1))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    let other = if leader == "pg-test-1" {
        "pg-test-2"
    } else {
        "pg-test-1"
    };

    let buf = render(
        &model(Some(&leader), Duration::from_secs(1)),
        Screen::Cluster,
    );
    let (x, y) = find(&buf, &format!("VIP 127.0.0.100 on {leader}"));
    assert_eq!(buf[(x, y)].fg, theme.fg(theme.ok).fg.unwrap());

    let buf = render(&model(Some(other), Duration::from_secs(1)), Screen::Cluster);
    let (x, y) = find(
        &buf,
        &format!("! VIP 127.0.0.100 on {other}, not on the leader {leader}: it did not follow"),
    );
    assert_eq!(buf[(x, y)].fg, theme.alarm().fg.unwrap());

    let buf = render(&model(None, Duration::from_secs(1)), Screen::Services);
    let (x, y) = find(&buf, "! VIP 127.0.0.100 held by no node");
    assert_eq!(buf[(x, y)].fg, theme.alarm().fg.unwrap());
}

#[test]
fn an_old_answer_is_unknown_not_confirmed() {
    let buf = render(
        &model(Some("pg-test-1"), Duration::from_secs(30)),
        Screen::Cluster,
    );
    let t = text(&buf);
    assert!(
        t.contains("VIP 127.0.0.100 unknown: pg-test-1: its agent's answer is 30 s old"),
        "{t}"
    );
    assert!(!t.contains("VIP 127.0.0.100 on"), "{t}");
}

/// keepalived's VIP on pg-test-2 (not the leader: keepalived floats it over
/// the HAProxy nodes), with pg-test-2's recorded HAProxy stats read `age`
/// ago, after `edit` of the CSV.
fn keepalived(age: Duration, edit: impl Fn(String) -> String) -> Model {
    let mut m = backup_model::model(None);
    let csv = edit(sample_cluster::sample("haproxy-pg-test-2-stats.csv"));
    let c = m.cluster_mut("pg-test");
    for n in ["pg-test-1", "pg-test-2", "pg-test-3"] {
        let r = VipReport {
            configured: true,
            manager: Some("keepalived".into()),
            ip: Some("127.0.0.100".into()),
            interface: Some(format!("vip-{n}")),
            held: n == "pg-test-2",
            ..Default::default()
        };
        c.vip
            .insert(n.into(), Sourced::new(r, SourceId::Vip, now()));
    }
    c.haproxy.endpoints.insert(
        "http://127.0.0.12:9101/stats;csv".into(),
        Sourced::new(
            pgtui::model::haproxy::parse_stats_csv(&csv).unwrap(),
            SourceId::Haproxy,
            now() - age,
        ),
    );
    m
}

#[test]
fn keepalived_is_right_only_while_the_holders_haproxy_routes_to_the_leader() {
    let theme = Theme::built_in("dark").unwrap();
    let buf = render(&keepalived(Duration::from_secs(1), |s| s), Screen::Cluster);
    let (x, y) = find(&buf, "VIP 127.0.0.100 on pg-test-2");
    assert_eq!(buf[(x, y)].fg, theme.fg(theme.ok).fg.unwrap());

    // pg-test-2's HAProxy routes the primary service to pg-test-3 instead:
    // clients of the VIP land on a replica.
    let swap = |s: String| {
        s.lines()
            .map(|l| {
                if l.starts_with("pg-test-primary,pg-test-1,") {
                    l.replacen(",UP,", ",DOWN,", 1)
                } else if l.starts_with("pg-test-primary,pg-test-3,") {
                    l.replacen(",DOWN,", ",UP,", 1)
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let buf = render(&keepalived(Duration::from_secs(1), swap), Screen::Services);
    let (x, y) = find(
        &buf,
        "! VIP 127.0.0.100 on pg-test-2, whose HAProxy routes pg-test-primary to pg-test-3, not to the leader pg-test-1",
    );
    assert_eq!(buf[(x, y)].fg, theme.alarm().fg.unwrap());

    // Just after a leader change HAProxy is still converging: unknown, not
    // an alarm, for as long as its checks may take.
    let mut m = keepalived(Duration::from_secs(1), swap);
    m.cluster_mut("pg-test")
        .dcs
        .former_leaders
        .push(("pg-test-3".into(), now() - Duration::from_secs(5)));
    let t = text(&render(&m, Screen::Cluster));
    assert!(
        t.contains("VIP 127.0.0.100 unknown: the leader changed 5 s ago and the HAProxy of pg-test-2 is still converging"),
        "{t}"
    );

    // Its HAProxy not read lately: unknown, not confirmed.
    let t = text(&render(
        &keepalived(Duration::from_secs(30), |s| s),
        Screen::Cluster,
    ));
    assert!(
        t.contains("VIP 127.0.0.100 unknown: the HAProxy of pg-test-2, which holds it, was not read just now"),
        "{t}"
    );
}
