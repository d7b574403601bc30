//! Whole-screen snapshots of every console screen at 80×24 and 160×48, from
//! models decoded from the real recorded samples, in the states a DBA gets
//! paged for. Plus cell-level colour checks where colour carries meaning,
//! and a monochrome check that nothing is lost without colour.

#[path = "support/screen_text.rs"]
mod screen_text;

use pgtui::dcs::parse_key;
use pgtui::model::rest::RestStatus;
use pgtui::model::{Model, SourceId, Sourced};
use pgtui::tui::screen::Screen;
use pgtui::tui::theme::Theme;
use pgtui::tui::App;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use screen_text::{find, find_from, text};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// The samples' capture time, 2026-11-21T21:16:58Z.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_295_818)
}

fn sample(rel: &str) -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/samples")
            .join(rel),
    )
    .unwrap()
}

fn put(m: &mut Model, key: &str, value: &str) {
    let p = parse_key("/pg/", key.as_bytes()).unwrap();
    m.cluster_mut(&p.cluster).dcs.apply(
        &p.kind,
        Some(value.as_bytes()),
        1,
        SourceId::Etcd,
        now() - Duration::from_secs(2),
    );
}

fn rest(m: &mut Model, member: &str, body: &str) {
    let st: RestStatus = serde_json::from_str(body).unwrap();
    m.cluster_mut("pg-test").rest.insert(
        member.into(),
        Sourced::new(st, SourceId::Rest, now() - Duration::from_secs(1)),
    );
}

/// The recorded steady state: etcd keys plus each member's /patroni.
fn normal() -> Model {
    let mut m = Model::new("/pg/");
    let text = sample("etcd-get-prefix-pg.txt");
    let lines: Vec<&str> = text.lines().collect();
    for kv in lines.chunks(2) {
        put(&mut m, kv[0], kv[1]);
    }
    rest(&mut m, "pg-test-1", &sample("patroni-leader-patroni.json"));
    rest(&mut m, "pg-test-2", &sample("patroni-replica-patroni.json"));
    rest(&mut m, "pg-test-3", &sample("patroni-replica-patroni.json"));
    m.source_mut(SourceId::Etcd)
        .ok(now() - Duration::from_secs(1));
    // A few events, derived by the real differ from a leader move.
    let before = pgtui::sources::events::Snapshot::of(&m, |_| true);
    let mut moved = m.clone();
    put(
        &mut moved,
        "/pg/pg-test/config",
        r#"{"ttl":20,"loop_wait":5,"postgresql":{"parameters":{"shared_buffers":"128MB"}}}"#,
    );
    let after = pgtui::sources::events::Snapshot::of(&moved, |_| true);
    m.events.extend(pgtui::sources::events::diff(
        &before,
        &after,
        now() - Duration::from_secs(30),
    ));
    m
}

fn paused() -> Model {
    let mut m = normal();
    let cfg = sample("etcd-get-prefix-pg.txt")
        .lines()
        .skip_while(|l| *l != "/pg/pg-test/config")
        .nth(1)
        .unwrap()
        .replace("{\"ttl\": 20,", "{\"pause\": true, \"ttl\": 20,");
    put(&mut m, "/pg/pg-test/config", &cfg);
    put(
        &mut m,
        "/pg/pg-test/failover",
        r#"{"leader":"pg-test-1","member":"pg-test-3","scheduled_at":"2026-11-21T22:15:24+00:00"}"#,
    );
    m
}

/// A member key written by someone hostile: a terminal title and a
/// clipboard write in its state and tags, a bidi override, a long tag.
fn hostile() -> Model {
    let mut m = normal();
    let value = serde_json::json!({
        "state": "run\u{1b}]0;PWNED\u{7}ning",
        "role": "replica",
        "conn_url": "postgres://10.10.10.99:5432/postgres",
        "api_url": "http://10.10.10.99:8008/patroni",
        "timeline": 13,
        "tags": {"note": "\u{1b}]52;c;cHduZWQ=\u{7}\u{9b}2J\u{202e}gnp.exe", "big": "x".repeat(5000)}
    });
    put(
        &mut m,
        "/pg/pg-test/members/evil\u{1b}[5m",
        &value.to_string(),
    );
    m
}

fn member_down() -> Model {
    let mut m = normal();
    put(
        &mut m,
        "/pg/pg-test/members/pg-test-3",
        r#"{"conn_url":"postgres://127.0.0.13:5432/postgres","api_url":"http://127.0.0.13:8008/patroni","state":"stopped","role":"replica","version":"3.0.2"}"#,
    );
    m.cluster_mut("pg-test").rest.remove("pg-test-3");
    m.cluster_mut("pg-test").rest_errors.insert(
        "pg-test-3".into(),
        (
            now(),
            "Patroni REST http://127.0.0.13:8008/patroni: cannot connect".into(),
        ),
    );
    m
}

fn stale_dcs() -> Model {
    let mut m = normal();
    m.source_mut(SourceId::Etcd).failed(
        now() - Duration::from_secs(42),
        "cannot reach etcd at http://127.0.0.1:2379: etcd stopped answering",
    );
    m
}

fn replay_lag() -> Model {
    let mut m = paused();
    rest(
        &mut m,
        "pg-test-1",
        &sample("states/replica-replay-paused-lag.leader-patroni.json"),
    );
    rest(
        &mut m,
        "pg-test-3",
        &sample("states/replica-replay-paused-lag.pg-test-3-patroni.json"),
    );
    m
}

fn abandoned_timeline() -> Model {
    let mut m = normal();
    put(
        &mut m,
        "/pg/pg-test/members/pg-test-3",
        r#"{"conn_url":"postgres://127.0.0.13:5432/postgres","api_url":"http://127.0.0.13:8008/patroni","state":"running","role":"replica","version":"3.0.2","xlog_location":738197504,"timeline":12}"#,
    );
    m
}

fn app(screen: Screen, theme: Theme) -> App {
    let mut a = App::new(Some("pg-test".into()), theme);
    a.ui.go(screen);
    a.on_model(&normal(), now());
    a
}

fn render(model: &Model, screen: Screen, w: u16, h: u16, theme: Theme) -> Buffer {
    app(screen, theme).render(Rect::new(0, 0, w, h), model, now())
}

fn dark() -> Theme {
    Theme::built_in("dark").unwrap()
}

#[test]
fn every_screen_at_both_sizes() {
    let m = normal();
    for screen in Screen::ALL {
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(
                format!("normal_{}_{w}x{h}", screen.title()),
                text(&render(&m, screen, w, h, dark()))
            );
        }
    }
}

#[test]
fn odd_states_at_both_sizes() {
    let cases: [(&str, Model, Screen); 8] = [
        ("hostile", hostile(), Screen::Cluster),
        ("hostile_fleet", hostile(), Screen::Fleet),
        ("paused", paused(), Screen::Cluster),
        ("member_down", member_down(), Screen::Cluster),
        ("stale_dcs", stale_dcs(), Screen::Cluster),
        ("replay_lag", replay_lag(), Screen::Cluster),
        ("abandoned_timeline", abandoned_timeline(), Screen::Cluster),
        (
            "abandoned_timeline_tl",
            abandoned_timeline(),
            Screen::Timeline,
        ),
    ];
    for (name, m, screen) in cases {
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(
                format!("{name}_{w}x{h}"),
                text(&render(&m, screen, w, h, dark()))
            );
        }
    }
}

#[test]
fn hostile_text_is_shown_escaped_and_never_raw() {
    for screen in [
        Screen::Cluster,
        Screen::Fleet,
        Screen::Replication,
        Screen::Events,
    ] {
        let buf = render(&hostile(), screen, 160, 48, dark());
        for cell in buf.content.iter() {
            assert!(
                !pgtui::text::has_unsafe(cell.symbol()),
                "{screen:?}: a cell holds {:?}",
                cell.symbol()
            );
        }
        if screen == Screen::Cluster {
            let t = text(&buf);
            assert!(t.contains("evil\\e[5m"), "{t}");
            assert!(t.contains("run\\e]0;PW"), "{t}");
            assert!(t.contains("held control characters"), "{t}");
        }
    }
}

#[test]
fn help_and_too_small() {
    let mut a = app(Screen::Cluster, dark());
    a.ui.help = true;
    insta::assert_snapshot!(
        "help_80x24",
        text(&a.render(Rect::new(0, 0, 80, 24), &normal(), now()))
    );
    let tiny = text(&render(&normal(), Screen::Cluster, 30, 8, dark()));
    assert!(tiny.contains("too small"), "{tiny}");
    // Degenerate sizes never panic.
    for (w, h) in [(0, 0), (1, 1), (59, 11), (60, 12), (1000, 3)] {
        render(&normal(), Screen::Cluster, w, h, dark());
    }
}

#[test]
fn colour_carries_meaning_where_it_should() {
    let t = dark();
    let buf = render(&member_down(), Screen::Cluster, 160, 48, t.clone());
    assert_eq!(buf[find(&buf, "★ Leader")].fg, t.leader);
    assert_eq!(buf[find(&buf, "! stopped")].fg, t.alarm);
    let (x, y) = find(&buf, "running");
    assert_eq!(buf[(x, y)].fg, t.ok);

    let buf = render(&stale_dcs(), Screen::Cluster, 160, 48, t.clone());
    assert_eq!(buf[find(&buf, "etcd UNREACHABLE")].bg, t.alarm);

    let buf = render(&replay_lag(), Screen::Cluster, 160, 48, t.clone());
    let (_, y) = find(&buf, "│  pg-test-3");
    let (x, y2) = find_from(&buf, "12 ", y);
    assert_eq!(
        y2,
        y,
        "replay lag of ~12 MB shown on pg-test-3's row:\n{}",
        text(&buf)
    );
    assert_eq!(buf[(x, y)].fg, t.warn, "a lagging replica is a warning");
}

#[test]
fn monochrome_loses_nothing() {
    for (m, needles) in [
        (member_down(), vec!["★ Leader", "! stopped", "Replica"]),
        (stale_dcs(), vec!["etcd UNREACHABLE", "STALE"]),
        (abandoned_timeline(), vec!["OLD TIMELINE", "! OLD TL"]),
        (paused(), vec!["PAUSED", "switchover at"]),
    ] {
        let buf = render(&m, Screen::Cluster, 160, 48, Theme::mono());
        let s = text(&buf);
        for n in needles {
            assert!(s.contains(n), "{n:?} missing without colour:\n{s}");
        }
        let coloured = buf
            .content
            .iter()
            .any(|c| c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset);
        assert!(!coloured, "mono theme drew colour");
    }
}

#[test]
fn every_built_in_theme_loads() {
    for name in Theme::names() {
        let t = Theme::built_in(name).unwrap();
        render(&normal(), Screen::Cluster, 80, 24, t);
    }
}

/// A dialog opened with key presses on the given model.
fn with_dialog(model: &Model, keys: &[crossterm::event::KeyCode]) -> App {
    let mut a = app(Screen::Cluster, dark());
    for k in keys {
        a.on_key(
            crossterm::event::KeyEvent::new(*k, crossterm::event::KeyModifiers::NONE),
            model,
            now(),
        );
    }
    a
}

#[test]
fn operation_dialogs_at_both_sizes() {
    use crossterm::event::KeyCode::{Char, Down, Tab};
    let cases: [(&str, Model, Vec<crossterm::event::KeyCode>); 3] = [
        ("switchover", normal(), vec![Down, Char('S')]),
        // pg-test-3 is down: its scorecard fails and the dialog says why.
        (
            "failover_typed",
            member_down(),
            vec![Down, Down, Char('F'), Char('p'), Char('g'), Tab],
        ),
        ("pause", normal(), vec![Char('P')]),
    ];
    for (name, m, keys) in cases {
        let a = with_dialog(&m, &keys);
        assert!(a.ui.dialog.is_some(), "{name}: {:?}", a.ui.message);
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(
                format!("dialog_{name}_{w}x{h}"),
                text(&a.render(Rect::new(0, 0, w, h), &m, now()))
            );
        }
    }
}

#[test]
fn dialog_colours_say_which_button_acts_and_which_check_fails() {
    use crossterm::event::KeyCode::{Char, Down};
    let m = member_down();
    let a = with_dialog(&m, &[Down, Down, Char('S')]);
    let buf = a.render(Rect::new(0, 0, 160, 48), &m, now());
    let t = dark();
    let (x, y) = find(&buf, "[ Cancel ]");
    assert_eq!(
        buf[(x + 2, y)].bg,
        t.selected().bg.unwrap(),
        "Cancel is focused"
    );
    let (x, y) = find(&buf, "✗ running");
    assert_eq!(
        buf[(x, y)].fg,
        t.alarm().fg.unwrap(),
        "a failed check is an alarm"
    );
}
