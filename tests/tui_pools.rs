//! The pools screen: snapshots at 80×24 and 160×48 of the recorded cluster
//! with the recorded pgbouncer answers (a saturated pool, a client waiting
//! 2.99 s) on pg-test-1, pg-test-2's pgbouncer unreachable and none on
//! pg-test-3; the colours of what they mean.

#[path = "support/backup_model.rs"]
mod backup_model;
#[path = "support/pgbouncer_tables.rs"]
mod pgbouncer_tables;
#[path = "support/sample_cluster.rs"]
mod sample_cluster;
#[path = "support/screen_text.rs"]
mod screen_text;

use pgtui::model::{Model, SourceId, Sourced};
use pgtui::tui::screen::Screen;
use pgtui::tui::theme::Theme;
use pgtui::tui::App;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use sample_cluster::now;
use screen_text::{find, text};
use std::time::Duration;

fn model() -> Model {
    let mut m = backup_model::model(None);
    let mut p = pgbouncer_tables::recorded();
    // Recorded on another lab: its pools connect to the sample's pg-test-1.
    for d in p.databases.iter_mut().filter(|d| d.host.is_some()) {
        d.host = Some("127.0.0.11".into());
    }
    let c = m.cluster_mut("pg-test");
    c.pgbouncer.insert(
        "pg-test-1".into(),
        Sourced::new(p, SourceId::Pgbouncer, now() - Duration::from_secs(1)),
    );
    c.pgbouncer_errors.insert(
        "pg-test-2".into(),
        (
            now() - Duration::from_secs(2),
            "SQL connect to 127.0.0.12:6432 timed out after 2000 ms".into(),
        ),
    );
    c.pgbouncer_absent.insert("pg-test-3".into());
    m
}

fn render(m: &Model, w: u16, h: u16) -> Buffer {
    let mut app = App::new(Some("pg-test".into()), Theme::built_in("dark").unwrap());
    app.ui.screen = Screen::Pools;
    app.render(Rect::new(0, 0, w, h), m, now())
}

#[test]
fn pools_screen_at_both_sizes() {
    let m = model();
    insta::assert_snapshot!("pools_80x24", text(&render(&m, 80, 24)));
    insta::assert_snapshot!("pools_160x48", text(&render(&m, 160, 48)));
}

#[test]
fn waiting_clients_and_an_unreachable_pgbouncer_are_in_the_alarm_colour() {
    let m = model();
    let buf = render(&m, 160, 48);
    let theme = Theme::built_in("dark").unwrap();
    let alarm = theme.alarm().fg;
    let (x, y) = find(&buf, "! 1");
    assert_eq!(
        buf[(x, y)].fg,
        alarm.unwrap(),
        "the waiting count of pgtui_sat"
    );
    let (x, y) = find(&buf, "pg-test-2: pgbouncer not read");
    assert_eq!(buf[(x, y)].fg, alarm.unwrap());
    let (x, y) = find(&buf, "client(s) of pgtui_sat/postgres waiting");
    assert_eq!(buf[(x, y)].fg, alarm.unwrap());
    // No pgbouncer is not an alarm.
    let (x, y) = find(&buf, "no pgbouncer");
    assert_ne!(buf[(x, y)].fg, alarm.unwrap());
    // Under the alarm threshold the same wait is a warning.
    let mut m = model();
    m.pgbouncer_wait_alarm = Some(Duration::from_secs(10));
    let buf = render(&m, 160, 48);
    let (x, y) = find(&buf, "~ 1");
    assert_eq!(buf[(x, y)].fg, theme.fg(theme.warn).fg.unwrap());
}

#[test]
fn old_pools_read_as_stale_not_live() {
    let mut m = model();
    let c = m.cluster_mut("pg-test");
    c.pgbouncer.get_mut("pg-test-1").unwrap().at = now() - Duration::from_secs(40);
    let buf = render(&m, 160, 48);
    find(&buf, "STALE 40s");
}
