//! The key registry drives what the console says about keys: every key named
//! in a dialog, whatever its phase, is one the dialog's keymap binds; every
//! hint the registry has for dialogs is drawn; every binding of every mode
//! is drawn in the help.

#[path = "support/sample_cluster.rs"]
mod sample_cluster;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pgtui::model::Model;
use pgtui::tui::keys::{self, dialog::DIALOG, line::LINE, Key};
use pgtui::tui::theme::Theme;
use pgtui::tui::{views, App};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::time::SystemTime;

/// The recorded sample, in synchronous mode (so a failover to an
/// asynchronous replica asks for Ctrl-A).
fn model() -> Model {
    sample_cluster::sample_model(&[(
        "/pg/pg-test/config",
        r#"{"ttl":20,"synchronous_mode":true}"#,
    )])
}

fn press(app: &mut App, m: &Model, keys: &[KeyCode]) {
    for k in keys {
        app.on_key(KeyEvent::new(*k, KeyModifiers::NONE), m, SystemTime::now());
    }
}

fn text(buf: &Buffer) -> String {
    let a = buf.area;
    (a.y..a.y + a.height)
        .map(|y| {
            (a.x..a.x + a.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The open dialog alone, on an otherwise empty buffer.
fn dialog_frame(app: &App, m: &Model) -> String {
    let area = Rect::new(0, 0, 160, 48);
    let mut buf = Buffer::empty(area);
    let ctx = views::Ctx {
        model: m,
        ui: &app.ui,
        theme: &app.theme,
        now: SystemTime::now(),
        lag: &app.lag,
        views: &Default::default(),
    };
    views::dialog::render(
        area,
        &mut buf,
        &ctx,
        app.ui.dialog.as_ref().expect("a dialog"),
    );
    text(&buf)
}

/// Dialog frames in each phase: choosing a candidate, a name to type with
/// the Ctrl-A line, a simple confirm, running, and done.
fn frames() -> Vec<String> {
    use KeyCode::{Char, Down, Enter, Tab};
    let m = model();
    let mut out = vec![];
    for keys in [
        vec![Down, Char('S')],
        vec![Down, Char('F'), Char('p')],
        vec![Char('P')],
        // The restore dialog, its target being typed.
        vec![Char('T')],
    ] {
        let mut app = App::new(Some("pg-test".into()), Theme::mono());
        press(&mut app, &m, &keys);
        out.push(dialog_frame(&app, &m));
    }
    let mut app = App::new(Some("pg-test".into()), Theme::mono());
    press(&mut app, &m, &[Char('P'), Tab, Enter]);
    assert!(app.run_requested().is_some(), "pause confirmed");
    out.push(dialog_frame(&app, &m));
    let d = app.ui.dialog.as_mut().unwrap();
    d.progress("paused".into());
    d.finished(Err("lost the cluster".into()));
    out.push(dialog_frame(&app, &m));
    out
}

/// Where `label` stands as a word of its own in `text`.
fn written(text: &str, label: &str) -> bool {
    text.match_indices(label).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + label.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        !word(before) && !word(after)
    })
}

#[test]
fn every_key_a_dialog_names_is_bound_in_the_dialog() {
    let bound: Vec<String> = DIALOG
        .bindings
        .iter()
        .flat_map(|b| b.keys.iter().map(|k| k.label()))
        .collect();
    let frames = frames();
    for f in &frames {
        for k in Key::NAMED {
            let l = k.label();
            assert!(
                !written(f, &l) || bound.contains(&l),
                "{l} is not bound:\n{f}"
            );
        }
        for (i, _) in f.match_indices("Ctrl-") {
            let l: String = f[i..].chars().take(6).collect();
            assert!(bound.contains(&l), "{l} is not bound:\n{f}");
        }
    }
    for h in keys::dialog::HINTS {
        let t = h.text();
        assert!(
            frames.iter().any(|f| f.contains(&t)),
            "never drawn: {t}\n{}",
            frames.join("\n----\n")
        );
    }
    // The registry's Ctrl-A is the one the refusal names.
    assert!(frames.iter().any(|f| f.contains("(Ctrl-A in the console)")));
}

#[test]
fn the_help_draws_every_binding_of_every_mode() {
    let m = model();
    let mut app = App::new(Some("pg-test".into()), Theme::mono());
    press(&mut app, &m, &[KeyCode::Char('?')]);
    let shown = text(&app.render(Rect::new(0, 0, 160, 80), &m, SystemTime::now()));
    let start = |s: &str| s.chars().take(60).collect::<String>();
    let all = keys::BINDINGS
        .iter()
        .map(|b| b.help)
        .chain(DIALOG.bindings.iter().map(|b| b.help))
        .chain(LINE.bindings.iter().map(|b| b.help));
    for help in all {
        assert!(
            shown.contains(&start(help)),
            "{help} not in the help:\n{shown}"
        );
    }
    for heading in [DIALOG.heading, LINE.heading].into_iter().flatten() {
        assert!(shown.contains(heading), "{heading}");
    }
}
