//! The fleet screen at scale: worst health first, counts by health in the
//! title, `/` by name and by health, `u` to the first unhealthy cluster,
//! and clusters whose REST APIs do not answer shown as unconfirmed, never
//! as healthy. Each cluster is a copy of the recorded pg-test keys, changed
//! into the state it stands for.

#[path = "support/sample_cluster.rs"]
mod sample_cluster;
#[path = "support/screen_text.rs"]
mod screen_text;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pgtui::dcs::parse_key;
use pgtui::model::rest::RestStatus;
use pgtui::model::{Model, SourceId, Sourced};
use pgtui::tui::screen::Screen;
use pgtui::tui::theme::Theme;
use pgtui::tui::App;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use sample_cluster::{now, sample};
use screen_text::{column, text};
use std::time::Duration;

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

/// The recorded pg-test keys under another cluster name.
fn copy(m: &mut Model, name: &str) {
    let text = sample("etcd-get-prefix-pg.txt");
    let lines: Vec<&str> = text.lines().collect();
    for kv in lines.chunks(2) {
        if let Some(rest) = kv[0].strip_prefix("/pg/pg-test/") {
            put(m, &format!("/pg/{name}/{rest}"), kv[1]);
        }
    }
}

fn answered(m: &mut Model, cluster: &str, age: Duration) {
    let leader: RestStatus = serde_json::from_str(&sample("patroni-leader-patroni.json")).unwrap();
    let replica: RestStatus =
        serde_json::from_str(&sample("patroni-replica-patroni.json")).unwrap();
    let c = m.cluster_mut(cluster);
    for (member, st) in [
        ("pg-test-1", leader),
        ("pg-test-2", replica.clone()),
        ("pg-test-3", replica),
    ] {
        c.rest
            .insert(member.into(), Sourced::new(st, SourceId::Rest, now() - age));
    }
}

fn refused(m: &mut Model, cluster: &str) {
    let c = m.cluster_mut(cluster);
    for member in ["pg-test-1", "pg-test-2", "pg-test-3"] {
        c.rest_errors.insert(
            member.into(),
            (
                now() - Duration::from_secs(1),
                "Patroni REST http://127.0.0.1:1: cannot connect: connection refused".into(),
            ),
        );
    }
}

/// Six clusters, one per health.
fn fleet() -> Model {
    let mut m = Model::new("/pg/");
    for name in [
        "pg-alpha",
        "pg-bravo",
        "pg-charlie",
        "pg-delta",
        "pg-echo",
        "pg-fox",
    ] {
        copy(&mut m, name);
    }
    answered(&mut m, "pg-alpha", Duration::from_secs(1));
    // Every member key looks fine, and no API answers.
    refused(&mut m, "pg-bravo");
    answered(&mut m, "pg-charlie", Duration::from_secs(1));
    let stopped = sample("etcd-get-prefix-pg.txt")
        .lines()
        .skip_while(|l| *l != "/pg/pg-test/members/pg-test-3")
        .nth(1)
        .unwrap()
        .replace("\"state\": \"running\"", "\"state\": \"stopped\"")
        .replace("\"state\":\"running\"", "\"state\":\"stopped\"");
    put(&mut m, "/pg/pg-charlie/members/pg-test-3", &stopped);
    m.cluster_mut("pg-charlie").rest.remove("pg-test-3");
    answered(&mut m, "pg-delta", Duration::from_secs(1));
    m.cluster_mut("pg-delta").dcs.leader = None;
    // pg-echo: DCS only, never asked.
    answered(&mut m, "pg-fox", Duration::from_secs(1));
    let cfg = sample("etcd-get-prefix-pg.txt")
        .lines()
        .skip_while(|l| *l != "/pg/pg-test/config")
        .nth(1)
        .unwrap()
        .replace("{\"ttl\": 20,", "{\"pause\": true, \"ttl\": 20,");
    put(&mut m, "/pg/pg-fox/config", &cfg);
    m.source_mut(SourceId::Etcd)
        .ok(now() - Duration::from_secs(1));
    m
}

fn dark() -> Theme {
    Theme::built_in("dark").unwrap()
}

fn press(app: &mut App, m: &Model, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\x1b' => KeyCode::Esc,
            c => KeyCode::Char(c),
        };
        app.on_key(KeyEvent::new(code, KeyModifiers::NONE), m, now());
    }
}

/// The row of `cluster` on screen, and the column where `needle` starts
/// in it.
fn cell(buf: &Buffer, cluster: &str, needle: &str) -> (u16, u16) {
    let a = buf.area;
    for y in 0..a.height {
        let row: Vec<&str> = (0..a.width).map(|x| buf[(x, y)].symbol()).collect();
        let line = row.concat();
        if !line.contains(&format!(" {cluster} ")) {
            continue;
        }
        if let Some(x) = line.find(needle).and_then(|byte| column(&row, byte)) {
            return (x, y);
        }
    }
    panic!("{needle:?} not on {cluster}'s row:\n{}", text(buf));
}

fn fleet_app() -> App {
    let mut a = App::new(None, dark());
    a.ui.go(Screen::Fleet);
    a
}

#[test]
fn worst_first_with_counts_at_both_sizes() {
    let m = fleet();
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let buf = fleet_app().render(Rect::new(0, 0, w, h), &m, now());
        let shown = text(&buf);
        insta::assert_snapshot!(format!("fleet_health_{w}x{h}"), shown);
        let order: Vec<usize> = [
            "pg-delta",
            "pg-charlie",
            "pg-bravo",
            "pg-echo",
            "pg-fox",
            "pg-alpha",
        ]
        .iter()
        .map(|n| shown.find(&format!(" {n} ")).expect(n))
        .collect();
        assert!(
            order.windows(2).all(|p| p[0] < p[1]),
            "worst first, then by name:\n{shown}"
        );
        let counts = match w {
            80 => "6 clusters: !2 ?2 ⏸1 ✓1",
            _ => "6 clusters: 1 no-leader · 1 degraded · 2 unconfirmed · 1 paused · 1 healthy",
        };
        assert!(shown.contains(counts), "{shown}");
    }
}

#[test]
fn rest_unreachable_is_unconfirmed_never_healthy_and_coloured_so() {
    let t = dark();
    let m = fleet();
    let buf = fleet_app().render(Rect::new(0, 0, 160, 48), &m, now());
    assert_eq!(buf[cell(&buf, "pg-bravo", "? REST ✗ 3/3")].fg, t.stale);
    assert_eq!(buf[cell(&buf, "pg-echo", "? DCS only")].fg, t.stale);
    assert_eq!(buf[cell(&buf, "pg-echo", "dcs")].fg, t.stale);
    assert_eq!(buf[cell(&buf, "pg-delta", "! NO LEADER")].fg, t.alarm);
    assert_eq!(buf[cell(&buf, "pg-charlie", "! DEGRADED")].fg, t.alarm);
    assert_eq!(buf[cell(&buf, "pg-fox", "⏸ paused")].fg, t.warn);
    assert_eq!(buf[cell(&buf, "pg-alpha", "✓ healthy")].fg, t.ok);
    assert_eq!(buf[cell(&buf, "pg-alpha", "live")].fg, t.muted);

    // The cluster screen's header says it in words, not only its Age column.
    let mut a = App::new(Some("pg-bravo".into()), t.clone());
    a.ui.go(Screen::Cluster);
    let buf = a.render(Rect::new(0, 0, 160, 48), &m, now());
    let shown = text(&buf);
    assert!(
        shown.contains("? unconfirmed (REST unreachable 3/3)"),
        "{shown}"
    );
    assert!(!shown.contains("healthy"), "{shown}");
}

#[test]
fn a_fleet_row_asked_long_ago_is_no_longer_confirmed() {
    let mut m = fleet();
    // Focus elsewhere: pg-alpha is a fleet row, its answers count 45 s.
    m.focus = Some("pg-fox".into());
    answered(&mut m, "pg-alpha", Duration::from_secs(40));
    let buf = fleet_app().render(Rect::new(0, 0, 160, 48), &m, now());
    cell(&buf, "pg-alpha", "✓ healthy");
    answered(&mut m, "pg-alpha", Duration::from_secs(50));
    let buf = fleet_app().render(Rect::new(0, 0, 160, 48), &m, now());
    cell(&buf, "pg-alpha", "? DCS only");
    cell(&buf, "pg-alpha", "rest 50s");
}

#[test]
fn filter_by_name_and_health_and_jump_to_the_first_unhealthy() {
    let m = fleet();
    let mut a = fleet_app();
    press(&mut a, &m, "/is:unhealthy\n");
    let shown = text(&a.render(Rect::new(0, 0, 160, 48), &m, now()));
    assert!(shown.contains(" pg-delta ") && shown.contains(" pg-charlie "));
    assert!(!shown.contains(" pg-bravo ") && !shown.contains(" pg-alpha "));
    assert!(shown.contains("fleet (2 of 6 shown;"), "{shown}");

    press(&mut a, &m, "\x1b/is:unconfirmed ech\n");
    let shown = text(&a.render(Rect::new(0, 0, 160, 48), &m, now()));
    assert!(
        shown.contains(" pg-echo ") && !shown.contains(" pg-bravo "),
        "{shown}"
    );

    // From the last row, `u` goes to the first unhealthy one; Enter opens it.
    press(&mut a, &m, "\x1bGu\n");
    assert_eq!(a.ui.screen, Screen::Cluster);
    assert_eq!(a.ui.cluster.as_deref(), Some("pg-delta"));
}

#[test]
fn the_console_asks_for_the_cluster_in_focus_and_the_rows_on_screen() {
    let m = fleet();
    let mut a = fleet_app();
    press(&mut a, &m, "jj");
    let (focus, shown) = a.demand(&m, 4, now());
    assert_eq!(
        focus.as_deref(),
        Some("pg-bravo"),
        "the row under the cursor"
    );
    assert_eq!(shown, ["pg-delta", "pg-charlie", "pg-bravo", "pg-echo"]);
    press(&mut a, &m, "\n");
    let (focus, shown) = a.demand(&m, 4, now());
    assert_eq!(focus.as_deref(), Some("pg-bravo"), "the open cluster");
    assert!(shown.is_empty(), "no fleet rows off the fleet screen");
}

#[test]
fn a_fleet_not_read_yet_does_not_look_read() {
    // The console read its focused cluster first; the namespace is coming.
    let mut m = fleet();
    m.fleet_pending = true;
    let shown = text(&fleet_app().render(Rect::new(0, 0, 160, 48), &m, now()));
    assert!(
        shown.contains("fleet (reading the namespace from etcd…)"),
        "{shown}"
    );
    assert!(!shown.contains("6 clusters:"), "{shown}");

    // The details overlay says what is not known yet.
    let mut a = fleet_app();
    press(&mut a, &m, "!");
    let shown = text(&a.render(Rect::new(0, 0, 160, 48), &m, now()));
    assert!(
        shown.contains("only this cluster's keys are read so far"),
        "{shown}"
    );

    // A role confined to one cluster: refused, and said so.
    let mut refused = m.clone();
    refused.fleet_refused = Some("etcd at 127.0.0.1:2379: user one may not read /service/".into());
    let shown = text(&fleet_app().render(Rect::new(0, 0, 160, 48), &refused, now()));
    assert!(
        shown.contains("fleet (etcd refuses this user the namespace: only the open cluster can be shown; ! for the error)"),
        "{shown}"
    );
    let mut a = fleet_app();
    press(&mut a, &refused, "!");
    let shown = text(&a.render(Rect::new(0, 0, 160, 48), &refused, now()));
    assert!(
        shown.contains(
            "the fleet cannot be read: etcd at 127.0.0.1:2379: user one may not read /service/"
        ),
        "{shown}"
    );

    // etcd not answering: the fleet is not "being read".
    m.source_mut(pgtui::model::SourceId::Etcd)
        .failed(now(), "etcd at 127.0.0.1:2379: connection refused");
    let shown = text(&fleet_app().render(Rect::new(0, 0, 160, 48), &m, now()));
    assert!(
        shown.contains("fleet (not read: etcd is not answering; see the header)"),
        "{shown}"
    );
}

#[test]
fn the_cursor_stays_on_its_cluster_when_the_sort_moves_it() {
    let m = fleet();
    let mut a = fleet_app();
    // The last row: pg-alpha, healthy.
    press(&mut a, &m, "G");
    a.on_model(&m, now());
    assert_eq!(a.ui.fleet.rows[a.ui.selected].0, "pg-alpha");
    // pg-alpha loses its leader: it sorts first now, and the cursor follows.
    let mut worse = m.clone();
    worse.cluster_mut("pg-alpha").dcs.leader = None;
    a.on_model(&worse, now());
    assert_eq!(a.ui.fleet.rows[a.ui.selected].0, "pg-alpha");
    press(&mut a, &worse, "\n");
    assert_eq!(a.ui.cluster.as_deref(), Some("pg-alpha"));
}
