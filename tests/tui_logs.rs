//! The logs screen on real lines recorded across a lab switchover
//! (`tests/fixtures/logs/`: pg-test-1 hands over to pg-test-2): merged on
//! one axis, opened at the leader-change event with the cursor on its
//! time, one member's log unreadable and stale; snapshots at both sizes and
//! the colours that carry meaning.

#[path = "support/backup_model.rs"]
mod backup_model;
#[path = "support/sample_cluster.rs"]
mod sample_cluster;
#[path = "support/screen_text.rs"]
mod screen_text;

use pgtui::model::logs::{LineReader, LogChunk, LogLine, LogSource, LogsState};
use pgtui::model::Model;
use pgtui::tui::screen::Screen;
use pgtui::tui::theme::Theme;
use pgtui::tui::App;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use sample_cluster::now;
use screen_text::{find, text};
use std::time::Duration;

/// 17:54:53.150 UTC, when the watch saw pg-test-2 take the leader key.
const EVENT_MS: i64 = 1_796_579_693_150;

fn lines(name: &str) -> Vec<LogLine> {
    let raw = std::fs::read(format!("tests/fixtures/logs/{name}.log")).unwrap();
    let mut r = LineReader::default();
    let mut at = 0;
    raw.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let line = r.read(at, l);
            at += l.len() as u64 + 1;
            line
        })
        .collect()
}

fn app(anchor: bool) -> App {
    let mut app = App::new(Some("pg-test".into()), Theme::built_in("dark").unwrap());
    app.ui.screen = Screen::Logs;
    if anchor {
        app.ui.logs.follow = false;
        app.ui.logs.anchor_ms = Some(EVENT_MS);
        app.ui.logs.anchor_pending = true;
    }
    app
}

fn model(app: &App) -> Model {
    let mut m = backup_model::model(None);
    let mut l = LogsState::new(app.ui.logs.want("pg-test"));
    for member in ["pg-test-1", "pg-test-2"] {
        for source in [LogSource::Patroni, LogSource::Postgres] {
            let name = format!("{}-{member}", source.name());
            let lines = lines(&name);
            let chunk = LogChunk {
                source,
                file: format!("{name}.log"),
                size: 0,
                start: 0,
                end: lines.last().map_or(0, |l| l.at + l.text.len() as u64 + 1),
                rotated: false,
                partial: false,
                lines,
            };
            l.tails
                .entry((member.to_string(), source))
                .or_default()
                .push(chunk, now() - Duration::from_secs(1));
        }
    }
    let t = l
        .tails
        .get_mut(&("pg-test-2".to_string(), LogSource::Postgres))
        .unwrap();
    t.fetched_at = Some(now() - Duration::from_secs(30));
    t.error = Some("agent https://127.0.0.12:8010/v1/logs/postgres: cannot connect: connection refused; check that `pgtui agent` runs there".into());
    m.logs = Some(l);
    m
}

fn render(app: &mut App, m: &Model, w: u16, h: u16) -> Buffer {
    app.on_model(m, now());
    app.render(Rect::new(0, 0, w, h), m, now())
}

#[test]
fn logs_at_an_event_at_both_sizes() {
    let mut a = app(true);
    let m = model(&a);
    insta::assert_snapshot!("logs_at_event_160x48", text(&render(&mut a, &m, 160, 48)));
    let mut a = app(true);
    insta::assert_snapshot!("logs_at_event_80x24", text(&render(&mut a, &m, 80, 24)));
}

#[test]
fn the_cursor_sits_on_the_first_line_at_the_event() {
    let mut a = app(true);
    let m = model(&a);
    let buf = render(&mut a, &m, 160, 48);
    let (x, y) = find(&buf, "▶17:54:53.198");
    assert_eq!(
        buf[(x + 1, y)].bg,
        Theme::built_in("dark").unwrap().selected().bg.unwrap()
    );
    let theme = Theme::built_in("dark").unwrap();
    let (x, fy) = find(&buf, "FATAL:  the database system is shutting down");
    assert_eq!(buf[(x, fy)].fg, theme.alarm().fg.unwrap());
    let (x, wy) = find(&buf, "WARNING: Could not activate");
    assert_eq!(buf[(x, wy)].fg, theme.fg(theme.warn).fg.unwrap());
    // The promotion, on pg-test-2, is on screen below it.
    let (_, py) = find(&buf, "promoted self to leader by acquiring session lock");
    assert!(py > y && py - y < 6, "promotion at row {py}, event at {y}");
}

#[test]
fn following_shows_the_newest_line_and_colours_carry_the_level() {
    let mut a = app(false);
    let m = model(&a);
    let buf = render(&mut a, &m, 160, 48);
    let theme = Theme::built_in("dark").unwrap();
    // The newest recorded line is the last row.
    find(&buf, "· following ·");
    let (_, y) = find(&buf, "17:54:55.869");
    assert_eq!(
        y, 45,
        "the newest line is right above the table's border (row 46)"
    );
    let (x, y) = find(&buf, "! pg-test-2 postgres STALE 30s");
    assert_eq!(buf[(x, y)].fg, theme.fg(theme.warn).fg.unwrap());
    let (x, y) = find(&buf, "live ");
    assert_eq!(buf[(x, y)].fg, theme.fg(theme.ok).fg.unwrap());
}

#[test]
fn the_filter_level_and_member_choices_narrow_the_lines() {
    let mut a = app(false);
    let m = model(&a);
    a.ui.filter = "promoted self".into();
    let t = text(&render(&mut a, &m, 160, 48));
    assert!(t.contains("· 1 lines"), "{t}");
    // Another want (one member) is not what the model holds: nothing old
    // is shown as if it were that member's.
    a.ui.filter.clear();
    a.ui.logs.member = Some("pg-test-1".into());
    let t = text(&render(&mut a, &m, 160, 48));
    assert!(t.contains("· 0 lines"), "{t}");
}

#[test]
fn details_show_the_selected_line_whole_and_each_logs_error() {
    let mut a = app(true);
    let m = model(&a);
    render(&mut a, &m, 160, 48);
    a.ui.details = true;
    let t = text(&render(&mut a, &m, 160, 48));
    assert!(
        t.contains("log line of pg-test-2 (patroni log patroni-pg-test-2.log"),
        "{t}"
    );
    assert!(
        t.contains("[Errno 2] No such file or directory"),
        "the line is whole: {t}"
    );
    assert!(
        t.contains("pg-test-2 postgres log: agent https://127.0.0.12:8010"),
        "{t}"
    );
}
