//! The backups screen, the cluster header's backup badge and the fleet's
//! backup column: snapshots at 80×24 and 160×48 from the recorded cluster
//! plus the recorded `pgbackrest info` (2.45) as its agent reports it, and
//! cell colours where colour means something (a hole in the window, a
//! cluster without a usable backup).

#[path = "support/backup_model.rs"]
mod backup_model;
#[path = "support/sample_cluster.rs"]
mod sample_cluster;
#[path = "support/screen_text.rs"]
mod screen_text;

use backup_model::{model, report};
use pgtui::model::Model;
use pgtui::tui::screen::Screen;
use pgtui::tui::theme::Theme;
use pgtui::tui::App;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use sample_cluster::now;
use screen_text::{find, text};
use std::time::Duration;

fn render(m: &Model, screen: Screen, w: u16, h: u16) -> Buffer {
    let mut app = App::new(Some("pg-test".into()), Theme::built_in("dark").unwrap());
    app.ui.screen = screen;
    app.render(Rect::new(0, 0, w, h), m, now())
}

#[test]
fn backups_screen_states_at_both_sizes() {
    let hole = ["0000000D0000000000000028"];
    let cases = [
        (
            "backups_ok",
            model(Some(report("pgbackrest-info.json", &[]))),
        ),
        (
            "backups_hole",
            model(Some(report("pgbackrest-info.json", &hole))),
        ),
        (
            "backups_missing_stanza",
            model(Some(report("info-missing-stanza.json", &[]))),
        ),
        (
            "backups_running",
            model(Some(report("info-backup-running.json", &[]))),
        ),
        ("backups_no_answer", {
            let mut m = model(None);
            m.cluster_mut("pg-test").backups_error = Some((
                now() - Duration::from_secs(4),
                "agent http://127.0.0.11:8010/v1/backups: token rejected (HTTP 401); use the token the agents were started with".into(),
            ));
            m
        }),
        ("backups_stale", {
            let mut m = model(Some(report("pgbackrest-info.json", &[])));
            m.cluster_mut("pg-test").backups_error = Some((
                now(),
                "agent http://127.0.0.11:8010/v1/backups: cannot connect: connection refused"
                    .into(),
            ));
            m
        }),
    ];
    for (name, m) in cases {
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(
                format!("{name}_{w}x{h}"),
                text(&render(&m, Screen::Backups, w, h))
            );
        }
    }
}

#[test]
fn a_hole_is_red_in_the_window_bar_and_named() {
    let m = model(Some(report(
        "pgbackrest-info.json",
        &["0000000D0000000000000028"],
    )));
    let buf = render(&m, Screen::Backups, 160, 48);
    let t = text(&buf);
    assert!(t.contains("1 HOLE(S)"), "{t}");
    assert!(
        t.contains("WAL hole on timeline 13: 1 segment(s) missing from 0000000D0000000000000028"),
        "{t}"
    );
    let alarm = Theme::built_in("dark").unwrap().alarm;
    let (x, y) = find(&buf, "░");
    assert_eq!(
        buf[(x, y)].fg,
        alarm,
        "the hole is drawn in the alarm colour"
    );
    let (x, y) = find(&buf, "█");
    assert_ne!(buf[(x, y)].fg, alarm, "replayable WAL is not");
    // Without the hole, the bar has no hole cell at all.
    let whole = text(&render(
        &model(Some(report("pgbackrest-info.json", &[]))),
        Screen::Backups,
        160,
        48,
    ));
    assert!(!whole.contains('░'), "{whole}");
}

#[test]
fn no_usable_backup_is_red_in_the_header_and_the_fleet() {
    let m = model(Some(report("info-missing-stanza.json", &[])));
    let alarm = Theme::built_in("dark").unwrap().alarm;
    let buf = render(&m, Screen::Cluster, 160, 48);
    let (x, y) = find(&buf, "! NO BACKUP");
    assert_eq!(buf[(x + 2, y)].fg, alarm);
    let mut fleet = App::new(None, Theme::built_in("dark").unwrap());
    fleet.ui.screen = Screen::Fleet;
    let buf = fleet.render(Rect::new(0, 0, 160, 48), &m, now());
    let (x, y) = find(&buf, "! NONE");
    assert_eq!(buf[(x, y)].fg, alarm);
    // A good one is green, with its age.
    let ok = model(Some(report("pgbackrest-info.json", &[])));
    let buf = render(&ok, Screen::Cluster, 160, 48);
    let (x, y) = find(&buf, "backup 15s ago · archiving ok");
    assert_eq!(buf[(x, y)].fg, Theme::built_in("dark").unwrap().ok);
}

fn press(a: &mut App, m: &Model, keys: &[crossterm::event::KeyCode]) {
    for k in keys {
        a.on_key(
            crossterm::event::KeyEvent::new(*k, crossterm::event::KeyModifiers::NONE),
            m,
            now(),
        );
    }
}

fn typed(s: &str) -> Vec<crossterm::event::KeyCode> {
    s.chars().map(crossterm::event::KeyCode::Char).collect()
}

/// The restore dialog: `T` opens it on the time target being typed, with
/// the window it must fall in; the plan names the set and what is lost;
/// focus starts on Cancel; a time past the window is refused in red; a
/// mistyped cluster name sends nothing.
#[test]
fn restore_dialog_picks_a_target_inside_the_window_and_needs_the_name() {
    use crossterm::event::KeyCode::{Backspace, Down, Enter, Tab, Up};
    let m = model(Some(report("pgbackrest-info.json", &[])));
    let mut a = App::new(Some("pg-test".into()), Theme::built_in("dark").unwrap());
    a.ui.screen = Screen::Backups;
    press(&mut a, &m, &[crossterm::event::KeyCode::Char('T')]);
    let d = a.ui.dialog.as_ref().expect("T opens the restore dialog");
    assert!(d.editing_target, "the time is typed first");
    assert_eq!(d.focus, pgtui::tui::dialog::Focus::Cancel);
    press(&mut a, &m, &typed("2026-11-21T21:14:00+00:00"));
    press(&mut a, &m, &[Enter]);
    let d = a.ui.dialog.as_ref().unwrap();
    assert!(!d.editing_target, "Enter moves on to the name");
    assert!(!d.preflight.refused(), "{:?}", d.preflight.refusals);
    for (w, h) in [(80, 24), (160, 48)] {
        insta::assert_snapshot!(
            format!("restore_dialog_time_{w}x{h}"),
            text(&a.render(Rect::new(0, 0, w, h), &m, now()))
        );
    }
    // A mistyped name, Confirm focused, Enter: refused, nothing to run.
    press(&mut a, &m, &typed("pg-tset"));
    press(&mut a, &m, &[Tab, Enter]);
    assert!(a.effects.is_empty(), "a mistyped name sent something");
    let d = a.ui.dialog.as_ref().unwrap();
    assert!(d
        .refusal
        .as_ref()
        .unwrap()
        .to_string()
        .contains("type the cluster name"));
    // Back to the target: ↓ to lsn then ↑ to time again, and a time past
    // the window: refused, in red.
    press(&mut a, &m, &[Down, Up]);
    let n = a.ui.dialog.as_ref().unwrap().target_text.len();
    press(&mut a, &m, &vec![Backspace; n]);
    press(&mut a, &m, &typed("2026-11-22T21:14:00+00:00"));
    let d = a.ui.dialog.as_ref().unwrap();
    assert!(d.preflight.refused());
    assert!(
        d.preflight.why().contains("past the last archived WAL"),
        "{}",
        d.preflight.why()
    );
    let buf = a.render(Rect::new(0, 0, 160, 48), &m, now());
    let (x, y) = find(&buf, "✗ refused");
    assert_eq!(
        buf[(x, y)].fg,
        Theme::built_in("dark").unwrap().alarm().fg.unwrap(),
        "a refusal is drawn in the alarm colour"
    );
    // Latest backup needs no value.
    press(&mut a, &m, &[Down, Down, Down, Down]);
    let d = a.ui.dialog.as_ref().unwrap();
    assert_eq!(
        pgtui::tui::dialog::TARGET_KINDS[d.target_kind],
        "latest backup"
    );
    assert!(!d.editing_target);
    assert!(!d.preflight.refused(), "{:?}", d.preflight.refusals);
}
