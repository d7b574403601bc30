//! Driving the console's state with key presses (no terminal): the palette,
//! the filter, navigation and the help toggle, on a model from the samples.

#[path = "support/sample_cluster.rs"]
mod sample_cluster;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pgtui::model::{Model, SourceId};
use pgtui::tui::screen::Screen;
use pgtui::tui::theme::Theme;
use pgtui::tui::ui::Mode;
use pgtui::tui::App;
use std::time::SystemTime;

fn model() -> Model {
    sample_cluster::sample_model(&[])
}

fn press(app: &mut App, m: &Model, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\x1b' => KeyCode::Esc,
            c => KeyCode::Char(c),
        };
        let code = match c {
            '\t' => KeyCode::Tab,
            '\x08' => KeyCode::Backspace,
            _ => code,
        };
        app.on_key(
            KeyEvent::new(code, KeyModifiers::NONE),
            m,
            SystemTime::now(),
        );
    }
}

#[test]
fn palette_fleet_and_open() {
    let m = model();
    let mut app = App::new(None, Theme::mono());
    assert_eq!(app.ui.screen, Screen::Fleet, "no cluster given: the fleet");
    press(&mut app, &m, "j\n");
    assert_eq!(
        (app.ui.screen, app.ui.cluster.as_deref()),
        (Screen::Cluster, Some("pg-test"))
    );
    press(&mut app, &m, ":fleet\n");
    assert_eq!(app.ui.screen, Screen::Fleet);
    press(&mut app, &m, ":cluster pg-meta\n");
    assert_eq!(app.ui.cluster.as_deref(), Some("pg-meta"));
    press(&mut app, &m, ":cluster nope\n");
    assert!(app
        .ui
        .message
        .as_deref()
        .unwrap()
        .contains("no cluster \"nope\""));
    press(&mut app, &m, ":bogus\n");
    assert!(app
        .ui
        .message
        .as_deref()
        .unwrap()
        .contains("unknown command"));
    press(&mut app, &m, ":theme light\n");
    assert_eq!(app.theme_requested(), Some("light"));
}

#[test]
fn filter_narrows_rows_and_esc_clears() {
    let m = model();
    let mut app = App::new(Some("pg-test".into()), Theme::mono());
    assert_eq!(pgtui::tui::views::rows(&m, &app.ui), 3);
    press(&mut app, &m, "/test-3");
    assert!(matches!(app.ui.mode, Mode::Filter(_)));
    assert_eq!(pgtui::tui::views::rows(&m, &app.ui), 1, "live while typing");
    press(&mut app, &m, "\n");
    assert_eq!(app.ui.mode, Mode::Normal);
    assert_eq!(pgtui::tui::views::rows(&m, &app.ui), 1);
    press(&mut app, &m, "\x1b");
    assert_eq!(pgtui::tui::views::rows(&m, &app.ui), 3);
}

#[test]
fn navigation_is_bounded_and_esc_goes_back() {
    let m = model();
    let mut app = App::new(Some("pg-test".into()), Theme::mono());
    press(&mut app, &m, "jjjjjjj");
    assert_eq!(app.ui.selected, 2, "bounded by the member count");
    press(&mut app, &m, "gG");
    assert_eq!(app.ui.selected, 2);
    press(&mut app, &m, "k");
    assert_eq!(app.ui.selected, 1);
    press(&mut app, &m, "2");
    assert_eq!(app.ui.screen, Screen::Timeline);
    press(&mut app, &m, "?");
    assert!(app.ui.help);
    press(&mut app, &m, "\x1b");
    assert!(
        !app.ui.help && app.ui.screen == Screen::Timeline,
        "Esc closes help first"
    );
    press(&mut app, &m, "\x1b");
    assert_eq!(app.ui.screen, Screen::Cluster);
    press(&mut app, &m, "q");
    assert!(app.quitting());
}

#[test]
fn a_click_selects_the_row_under_it() {
    let m = model();
    let app = App::new(Some("pg-test".into()), Theme::mono());
    let area = ratatui::layout::Rect::new(0, 0, 160, 48);
    // Header 2 lines, block border, table header: the first member is on row 4.
    assert_eq!(
        pgtui::tui::views::row_at(area, &m, &app.ui, 4, SystemTime::now()),
        Some(0)
    );
    assert_eq!(
        pgtui::tui::views::row_at(area, &m, &app.ui, 6, SystemTime::now()),
        Some(2)
    );
    assert_eq!(
        pgtui::tui::views::row_at(area, &m, &app.ui, 7, SystemTime::now()),
        None,
        "below the last member"
    );
    assert_eq!(
        pgtui::tui::views::row_at(area, &m, &app.ui, 1, SystemTime::now()),
        None,
        "the header"
    );
    // And the rendered frame agrees: row 4 holds pg-test-1.
    let buf = app.render(area, &m, SystemTime::now());
    let line: String = (0..160).map(|x| buf[(x, 4)].symbol()).collect();
    assert!(line.contains("pg-test-1"), "{line}");
}

#[test]
fn a_user_theme_overrides_only_what_it_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mine.toml"),
        "base = \"light\"\nalarm = \"#ff00ff\"\n",
    )
    .unwrap();
    let t = Theme::load(Some("mine"), Some(dir.path())).unwrap();
    let light = Theme::built_in("light").unwrap();
    assert_eq!(t.alarm, ratatui::style::Color::Rgb(255, 0, 255));
    assert_eq!(
        (t.leader, t.ok, t.warn),
        (light.leader, light.ok, light.warn)
    );
    std::fs::write(dir.path().join("bad.toml"), "alarm = \"not-a-colour\"\n").unwrap();
    let e = Theme::load(Some("bad"), Some(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.toml") && e.contains("alarm"), "{e}");
    assert!(Theme::load(Some("nope"), Some(dir.path()))
        .unwrap_err()
        .to_string()
        .contains("unknown theme"));
}

/// The sample model with a REST answer from every member, so the scorecard
/// can pass (the DCS alone cannot prove the REST API is reachable).
fn reachable_model() -> Model {
    let mut m = model();
    let c = m.cluster_mut("pg-test");
    let names: Vec<String> = c.dcs.members.keys().cloned().collect();
    for n in names {
        c.rest.insert(
            n,
            pgtui::model::Sourced::new(
                pgtui::model::rest::RestStatus::default(),
                SourceId::Rest,
                SystemTime::now(),
            ),
        );
    }
    m
}

fn dialog(app: &App) -> &pgtui::tui::dialog::Dialog {
    app.ui.dialog.as_ref().expect("a dialog is open")
}

#[test]
fn switchover_dialog_opens_on_cancel_and_enter_closes_without_acting() {
    let m = reachable_model();
    let mut app = App::new(Some("pg-test".into()), Theme::mono());
    press(&mut app, &m, "jS");
    let d = dialog(&app);
    assert_eq!(d.focus, pgtui::tui::dialog::Focus::Cancel);
    assert!(d.candidates.len() >= 2, "{:?}", d.candidates);
    assert!(!d.preflight.refused(), "{:?}", d.preflight);
    press(&mut app, &m, "\n");
    assert!(app.ui.dialog.is_none() && app.run_requested().is_none());
    // Tab to the action button, Enter: the app is asked to run it.
    press(&mut app, &m, "S\t\n");
    let (op, expected) = app.run_requested().cloned().expect("confirmed");
    assert_eq!(op.name(), "switchover");
    assert_eq!(expected.leader.as_deref(), Some("pg-test-1"));
}

#[test]
fn failover_needs_the_cluster_name_typed_exactly() {
    let m = reachable_model();
    let mut app = App::new(Some("pg-test".into()), Theme::mono());
    press(&mut app, &m, "jF");
    press(&mut app, &m, "pg-tset\t\n");
    let d = dialog(&app);
    assert!(
        app.run_requested().is_none(),
        "a mistyped name sends nothing"
    );
    assert!(d
        .refusal
        .as_deref()
        .unwrap()
        .contains("type the cluster name"));
    // Letters typed into the name are not keys: 'q' did not quit.
    press(&mut app, &m, "\x08\x08\x08stq");
    assert!(!app.quitting());
    press(&mut app, &m, "\x08\x08\x08\x08\x08\x08\x08pg-test\n");
    assert!(app.run_requested().is_some(), "{:?}", dialog(&app).refusal);
}

#[test]
fn a_cluster_that_changed_since_opening_is_refused_with_the_new_state() {
    let mut m = reachable_model();
    let mut app = App::new(Some("pg-test".into()), Theme::mono());
    press(&mut app, &m, "jS\t");
    // The leader moves before the DBA confirms.
    let c = m.cluster_mut("pg-test");
    let kind = pgtui::dcs::parse_key("/pg/", b"/pg/pg-test/leader")
        .unwrap()
        .kind;
    c.dcs.apply(
        &kind,
        Some(b"pg-test-3"),
        99,
        SourceId::Etcd,
        SystemTime::now(),
    );
    press(&mut app, &m, "\n");
    let d = dialog(&app);
    assert!(app.run_requested().is_none());
    let r = d.refusal.as_deref().unwrap();
    assert!(r.contains("the leader was pg-test-1, now pg-test-3"), "{r}");
}

#[test]
fn read_only_removes_operations_instead_of_prompting() {
    let m = reachable_model();
    let mut app = App::new(Some("pg-test".into()), Theme::mono());
    app.ui.read_only.clusters.insert("pg-test".into());
    press(&mut app, &m, "jSFRLIPX");
    assert!(app.ui.dialog.is_none(), "no dialog in read-only");
    press(&mut app, &m, ":switchover pg-test-2\n");
    assert!(app.ui.dialog.is_none());
    let msg = app.ui.message.clone().unwrap();
    assert!(
        msg.contains("not available") && msg.contains("read-only"),
        "{msg}"
    );
    // The help and footer say nothing of operations.
    let area = ratatui::layout::Rect::new(0, 0, 160, 48);
    press(&mut app, &m, "?");
    let buf = app.render(area, &m, SystemTime::now());
    let text: String = (0..48)
        .flat_map(|y| (0..160).map(move |x| (x, y)))
        .map(|p| buf[p].symbol().to_string())
        .collect();
    assert!(
        !text.contains("switchover") && !text.contains("failover"),
        "{text}"
    );
    // Another cluster is not read-only: its operations are there.
    press(&mut app, &m, "\x1b:cluster pg-meta\n");
    assert!(app.ui.writable());
}

#[test]
fn the_palette_schedules_a_switchover_and_insists_on_a_timezone() {
    let m = reachable_model();
    let mut app = App::new(Some("pg-test".into()), Theme::mono());
    press(
        &mut app,
        &m,
        ":switchover pg-test-3 at 2099-01-01T03:00:00+01:00\n",
    );
    let d = dialog(&app);
    assert!(
        d.preflight
            .plan
            .iter()
            .any(|p| p == "at 2099-01-01T02:00:00+00:00 (UTC)"),
        "resolved to UTC before confirming: {:?}",
        d.preflight
    );
    assert!(
        matches!(&d.op, pgtui::ops::Operation::Switchover { candidate: Some(c), scheduled_at: Some(_), .. } if c == "pg-test-3")
    );
    press(&mut app, &m, "\x1b:switchover at 2099-01-01T03:00:00\n");
    let d = dialog(&app);
    assert!(
        d.preflight
            .refusals
            .iter()
            .any(|r| r.contains("not a time with a timezone")),
        "{:?}",
        d.preflight
    );
    press(&mut app, &m, "\t\n");
    assert!(app.run_requested().is_none(), "refused: nothing runs");
    press(&mut app, &m, "\x1b:pause at 2099-01-01T03:00:00+00:00\n");
    assert!(app.ui.dialog.is_none());
    assert!(app
        .ui
        .message
        .as_deref()
        .unwrap()
        .contains("only a switchover or a restart"));
}

#[test]
fn an_async_failover_in_synchronous_mode_needs_ctrl_a() {
    let mut m = reachable_model();
    let c = m.cluster_mut("pg-test");
    let kind = pgtui::dcs::parse_key("/pg/", b"/pg/pg-test/config")
        .unwrap()
        .kind;
    c.dcs.apply(
        &kind,
        Some(br#"{"ttl":20,"synchronous_mode":true}"#),
        98,
        SourceId::Etcd,
        SystemTime::now(),
    );
    let mut app = App::new(Some("pg-test".into()), Theme::mono());
    press(&mut app, &m, "jF");
    let d = dialog(&app);
    assert!(
        d.preflight.refusals.iter().any(|r| r.contains("Ctrl-A")),
        "{:?}",
        d.preflight
    );
    app.on_key(
        KeyEvent::new(KeyCode::Char('a'), KeyModifiers::CONTROL),
        &m,
        SystemTime::now(),
    );
    let d = dialog(&app);
    assert!(!d.preflight.refused(), "{:?}", d.preflight);
    assert!(d
        .preflight
        .warnings
        .iter()
        .any(|w| w.contains("acknowledged")));
    assert_eq!(d.typed, "", "Ctrl-A is not typed into the name");
    press(&mut app, &m, "pg-test\t\n");
    let (op, _) = app.run_requested().cloned().expect("runs");
    assert!(matches!(
        op,
        pgtui::ops::Operation::Failover {
            allow_async: true,
            ..
        }
    ));
}

#[test]
fn bang_shows_the_full_text_of_a_cut_error_and_each_etcd_endpoint() {
    let mut m = model();
    let now = SystemTime::now();
    let long = format!(
        "etcd at 127.0.0.1:2379,127.0.0.1:22379 did not answer within 1.5 s (read /pg/*): {}END-OF-MESSAGE",
        "x".repeat(200)
    );
    m.source_mut(SourceId::Etcd)
        .ok(now - std::time::Duration::from_secs(60));
    m.source_mut(SourceId::Etcd)
        .failed(now - std::time::Duration::from_secs(30), long);
    m.etcd_endpoints = vec![pgtui::dcs::EndpointHealth {
        endpoint: "127.0.0.1:22379".into(),
        ok: false,
        checked: Some(now),
        fault: Some(pgtui::dcs::Fault::Timeout),
        error: Some("no answer".into()),
        ..Default::default()
    }];
    let mut app = App::new(Some("pg-test".into()), Theme::mono());
    let area = ratatui::layout::Rect::new(0, 0, 100, 40);
    let screen = |app: &App| -> String {
        let buf = app.render(area, &m, now);
        (0..40)
            .map(|y| (0..100).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let before = screen(&app);
    assert!(
        before.contains("etcd NOT ANSWERING") || before.contains("etcd UNREACHABLE"),
        "{before}"
    );
    assert!(
        !before.contains("END-OF-MESSAGE"),
        "the banner is cut at the edge"
    );
    press(&mut app, &m, "!");
    let after = screen(&app);
    let flat: String = after.split_whitespace().collect();
    assert!(
        flat.contains("END-OF-MESSAGE"),
        "the full text, wrapped:\n{after}"
    );
    assert!(after.contains("127.0.0.1:22379: NOT ANSWERING"), "{after}");
    press(&mut app, &m, "\x1b");
    assert!(!screen(&app).contains("END-OF-MESSAGE"));
}

/// A console opened on one cluster has read only that cluster's keys:
/// `:cluster OTHER` cannot say "no such cluster" yet. It asks for the
/// fleet, says it is reading, and opens OTHER once the namespace is read;
/// a name still unknown then is said to be unknown.
#[test]
fn cluster_jump_waits_for_the_namespace() {
    let full = model();
    let mut narrow = full.clone();
    narrow.clusters.retain(|n, _| n == "pg-test");
    narrow.fleet_pending = true;
    let mut app = App::new(Some("pg-test".into()), Theme::mono());
    assert!(!app.fleet_wanted(), "one cluster shown: no fleet wanted");

    press(&mut app, &narrow, ":cluster pg-meta\n");
    assert_eq!(app.ui.cluster.as_deref(), Some("pg-test"), "not opened yet");
    assert!(app.fleet_wanted(), "the jump wants the namespace");
    let msg = app.ui.message.clone().unwrap();
    assert!(
        msg.contains("reading every cluster") && msg.contains("pg-meta"),
        "{msg}"
    );

    // Still reading: nothing moves.
    app.on_model(&narrow, SystemTime::now());
    assert_eq!(app.ui.cluster.as_deref(), Some("pg-test"));

    app.on_model(&full, SystemTime::now());
    assert_eq!(
        (app.ui.screen, app.ui.cluster.as_deref()),
        (Screen::Cluster, Some("pg-meta"))
    );
    assert!(!app.fleet_wanted());
    assert_eq!(app.ui.message, None);

    press(&mut app, &narrow, ":cluster nope\n");
    app.on_model(&full, SystemTime::now());
    assert_eq!(app.ui.cluster.as_deref(), Some("pg-meta"));
    assert!(app
        .ui
        .message
        .as_deref()
        .unwrap()
        .contains("no cluster \"nope\""));

    // A key pressed while the jump waits cancels it: the screen stays.
    press(&mut app, &narrow, ":cluster pg-test\n");
    press(&mut app, &narrow, ":cluster pg-meta\n");
    assert!(app.fleet_wanted());
    press(&mut app, &narrow, "2");
    assert!(!app.fleet_wanted(), "the key cancelled the jump");
    app.on_model(&full, SystemTime::now());
    assert_eq!(
        (app.ui.screen, app.ui.cluster.as_deref()),
        (Screen::Timeline, Some("pg-test"))
    );

    // etcd refused the namespace (a role confined to some clusters): no
    // waiting for a read that will not come; the cluster is opened, and the
    // etcd source follows the focus to it.
    let mut refused = narrow.clone();
    refused.fleet_refused = Some("etcd at 127.0.0.1:2379: user one may not read /pg/".into());
    press(&mut app, &refused, ":cluster pg-meta\n");
    assert_eq!(
        (app.ui.screen, app.ui.cluster.as_deref()),
        (Screen::Cluster, Some("pg-meta"))
    );
    press(&mut app, &narrow, ":cluster pg-test\n");
    press(&mut app, &narrow, ":cluster pg-meta\n");
    assert!(app.fleet_wanted(), "waiting");
    app.on_model(&refused, SystemTime::now());
    assert_eq!(
        app.ui.cluster.as_deref(),
        Some("pg-meta"),
        "refused: opened"
    );
    assert!(!app.fleet_wanted());

    // The fleet screen wants the namespace too.
    press(&mut app, &full, "0");
    assert_eq!(app.ui.screen, Screen::Fleet);
    assert!(app.fleet_wanted());
}
