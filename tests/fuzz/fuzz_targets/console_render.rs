//! A fuzzed namespace (DCS keys and values, members' `/patroni` bodies,
//! HAProxy stats, changes between two states) into the console's views,
//! `list`'s table and the JSON view.
//!
//! Input: text in the shape of `etcdctl get --prefix` (a key line, then its
//! value line), with directive lines:
//!   `%rest KEY`      the next line is the `/patroni` body of member KEY
//!   `%csv CLUSTER`   the lines up to `%end` are a stats CSV for CLUSTER
//!   `%next`          what follows changes the model; the change becomes events
//!   `%del KEY`       the key is deleted
//!   `%stale`         etcd stopped answering 42 s ago
//!   `%ui BYTES`      console actions (move, open, focus, details, help…)
//!   `%op K M`        open operation dialog K on member M (two bytes)
//!   `%cmd TEXT`      a `:` palette command
//!   `%size W H`      the terminal size
//! Everything goes through pgtui's own decoders, as the sources feed it.
//!
//! Asserted, on every screen (and the help, details and dialog overlays):
//! - no cell of the frame, drawn through ratatui's TestBackend as the
//!   console draws it (the first frame, after the actions, with each
//!   dialog), holds an unsafe character;
//! - no view draws one even before the console's last net
//!   (`views::no_controls`): each view is drawn on its own and its cells
//!   checked raw, so the net is never what keeps a control character off
//!   the screen for data from these sources;
//! - `list`'s table, banner and footer, and every string of the JSON view,
//!   hold none;
//! - each frame is drawn within the bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgtui::dcs::{parse_key, KeyKind};
use pgtui::model::haproxy::parse_stats_csv;
use pgtui::model::rest::RestStatus;
use pgtui::model::{Model, SourceId, Sourced};
use pgtui::sources::events::{diff, initial, Snapshot};
use pgtui::tui::dialog::OpKind;
use pgtui::tui::keys::Action;
use pgtui::tui::screen::Screen;
use pgtui::tui::selection;
use pgtui::tui::theme::Theme;
use pgtui::tui::view_cache::ViewCache;
use pgtui::tui::views::{self, Ctx};
use pgtui::tui::App;
use pgtui_fuzz::{assert_safe, assert_safe_ser, bounded, first_unsafe, now};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;
use ratatui::Terminal;
use std::time::Duration;

const NS: &str = "/pg/";

const OPS: [OpKind; 9] = [
    OpKind::Switchover,
    OpKind::Failover,
    OpKind::Restart,
    OpKind::Reload,
    OpKind::Reinit,
    OpKind::PauseResume,
    OpKind::Pause,
    OpKind::Resume,
    OpKind::CancelScheduled,
];

fn action(b: u8) -> Option<Action> {
    Some(match b % 20 {
        0 => Action::Up,
        1 => Action::Down,
        2 => Action::PageUp,
        3 => Action::PageDown,
        4 => Action::Top,
        5 => Action::Bottom,
        6 => Action::Open,
        7 => Action::FocusNext,
        8 => Action::FocusPrev,
        9 => Action::Details,
        10 => Action::Help,
        11 => Action::Back,
        n @ 12..=18 => Action::Go(Screen::ALL[(n - 12) as usize]),
        _ => return None,
    })
}

#[derive(Default)]
struct Input {
    model: Model,
    actions: Vec<u8>,
    ops: Vec<(u8, u8)>,
    commands: Vec<String>,
    size: Option<(u16, u16)>,
}

fn words(line: &[u8]) -> (&[u8], &[u8]) {
    match line.iter().position(|b| *b == b' ') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, &[]),
    }
}

fn build(data: &[u8]) -> Input {
    let mut inp = Input {
        model: Model::new(NS),
        ..Default::default()
    };
    let m = &mut inp.model;
    let at = now() - Duration::from_secs(2);
    let mut rev = 0i64;
    let mut snapshot: Option<Snapshot> = None;
    let mut csvs = 0;
    // etcd answered once; `%stale` says it stopped since.
    m.source_mut(SourceId::Etcd)
        .ok(now() - Duration::from_secs(60));
    let mut lines = data.split(|b| *b == b'\n');
    while let Some(line) = lines.next() {
        rev += 1;
        if let Some(directive) = line.strip_prefix(b"%") {
            let (word, arg) = words(directive);
            match word {
                b"rest" => {
                    let body = lines.next().unwrap_or_default();
                    if let Some(p) = parse_key(NS, arg) {
                        let KeyKind::Member(name) = p.kind else {
                            continue;
                        };
                        let c = m.cluster_mut(&p.cluster);
                        match pgtui::text::json_escaped::<RestStatus>(body) {
                            Ok(st) => {
                                c.rest.insert(name, Sourced::new(st, SourceId::Rest, at));
                            }
                            Err(e) => {
                                let e = pgtui::sources::rest::RestError::Decode {
                                    url: "http://127.0.0.11:8008/patroni".into(),
                                    reason: e.to_string(),
                                };
                                c.rest_errors.insert(name, (at, e.to_string()));
                            }
                        }
                    }
                }
                b"csv" => {
                    let mut text = Vec::new();
                    for l in lines.by_ref() {
                        if l == b"%end" {
                            break;
                        }
                        text.extend_from_slice(l);
                        text.push(b'\n');
                    }
                    csvs += 1;
                    let url = format!("http://10.10.10.1{csvs}:9101/stats;csv");
                    let cluster = pgtui::text::escape(&String::from_utf8_lossy(arg)).into_owned();
                    let h = &mut m.cluster_mut(&cluster).haproxy;
                    match parse_stats_csv(&String::from_utf8_lossy(&text)) {
                        Ok(p) => {
                            h.endpoints
                                .insert(url, Sourced::new(p, SourceId::Haproxy, at));
                        }
                        Err(e) => {
                            let e = pgtui::sources::haproxy::HaproxyError::Parse {
                                url: url.clone(),
                                source: e,
                            };
                            h.errors.insert(url, (at, e.to_string()));
                        }
                    }
                    m.source_mut(SourceId::Haproxy).ok(at);
                }
                b"next" => {
                    let s = Snapshot::of(m, |_| true);
                    if let Some(prev) = snapshot.replace(s.clone()) {
                        m.events.extend(diff(&prev, &s, at));
                    } else {
                        m.events.push(initial(&s, at));
                    }
                }
                b"del" => {
                    if let Some(p) = parse_key(NS, arg) {
                        m.cluster_mut(&p.cluster)
                            .dcs
                            .apply(&p.kind, None, rev, SourceId::Etcd, at);
                    }
                }
                b"stale" => m.source_mut(SourceId::Etcd).failed(
                    now() - Duration::from_secs(42),
                    "cannot reach etcd at http://127.0.0.1:2379: etcd stopped answering",
                ),
                b"ui" => inp.actions.extend_from_slice(arg),
                b"op" => inp.ops.push((
                    arg.first().copied().unwrap_or(0),
                    arg.get(1).copied().unwrap_or(0),
                )),
                b"cmd" => {
                    // Typed by the operator, not outside data.
                    let s: String = String::from_utf8_lossy(arg)
                        .chars()
                        .filter(|c| !pgtui::text::is_unsafe(*c))
                        .collect();
                    inp.commands.push(s);
                }
                b"size" => {
                    let s = String::from_utf8_lossy(arg);
                    let mut n = s.split(' ').map(|x| x.trim().parse::<u16>().ok());
                    if let (Some(Some(w)), Some(Some(h))) = (n.next(), n.next()) {
                        inp.size = Some((w.clamp(20, 250), h.clamp(6, 80)));
                    }
                }
                _ => {}
            }
            continue;
        }
        let value = lines.next();
        if let Some(p) = parse_key(NS, line) {
            m.cluster_mut(&p.cluster)
                .dcs
                .apply(&p.kind, value, rev, SourceId::Etcd, at);
        }
    }
    if let Some(prev) = snapshot {
        let s = Snapshot::of(m, |_| true);
        m.events.extend(diff(&prev, &s, at));
    }
    if m.source(SourceId::Etcd).down_since.is_none() {
        m.source_mut(SourceId::Etcd)
            .ok(now() - Duration::from_secs(1));
    }
    inp
}

fn check_buffer(what: &str, buf: &Buffer) {
    for (i, cell) in buf.content.iter().enumerate() {
        if let Some(c) = first_unsafe(cell.symbol()) {
            let w = buf.area.width.max(1) as usize;
            let row: String = buf.content[i - i % w..(i - i % w + w).min(buf.content.len())]
                .iter()
                .map(|c| c.symbol())
                .collect();
            panic!(
                "{what}: cell ({}, {}) holds {c:?}; the row: {row:?}",
                i % w,
                i / w
            );
        }
    }
}

/// What a view may be asked to draw, besides the current screen.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Screen,
    Chrome,
    Overlays,
}

/// Views on their own, before the console's net: the current screen's
/// body, or the header, footer and banner, or the overlays that are open.
fn check_views_raw(area: Rect, app: &App, m: &Model, part: Part, where_: &str) {
    let views = ViewCache::default();
    let ctx = Ctx {
        model: m,
        ui: &app.ui,
        theme: &app.theme,
        now: now(),
        lag: &app.lag,
        views: &views,
    };
    let draw = |name: &str, f: &dyn Fn(&mut Buffer)| {
        let mut buf = Buffer::empty(area);
        bounded(name, || f(&mut buf));
        check_buffer(&format!("{where_}: view {name}, before the net"), &buf);
    };
    match part {
        Part::Chrome => {
            draw("header", &|b| views::common::header(area, b, &ctx));
            draw("footer", &|b| views::common::footer(area, b, &ctx));
            if let Some(banner) = views::common::stale_banner(&ctx) {
                draw("stale banner", &|b| banner.clone().render(area, b));
            }
            if let Some(c) = app.ui.cluster.as_deref() {
                draw("compact events", &|b| {
                    views::events::compact(area, b, &ctx, c)
                });
                if let Some(v) = selection::selected_view(m, &app.ui) {
                    draw("compact services", &|b| {
                        views::services::compact(area, b, &ctx, &v)
                    });
                }
            }
        }
        Part::Screen => {
            let screen = app.ui.screen;
            draw(screen.title(), &|b| match screen {
                Screen::Cluster => views::cluster::render(area, b, &ctx),
                Screen::Timeline => views::timeline::render(area, b, &ctx),
                Screen::Replication => views::replication::render(area, b, &ctx),
                Screen::Services => views::services::render(area, b, &ctx),
                Screen::Config => views::config::render(area, b, &ctx),
                Screen::Events => views::events::render(area, b, &ctx),
                Screen::Fleet => views::fleet::render(area, b, &ctx),
            });
        }
        Part::Overlays => {
            if app.ui.help {
                draw("help", &|b| views::help::render(area, b, &ctx));
            }
            if app.ui.details {
                draw("details", &|b| views::details::render(area, b, &ctx));
                for l in views::details::lines(&ctx) {
                    assert_safe(&format!("{where_}: a details line"), &l);
                }
            }
            if let Some(d) = &app.ui.dialog {
                draw("dialog", &|b| views::dialog::render(area, b, &ctx, d));
            }
        }
    }
}

/// The whole frame as the console draws it, through a terminal backend.
fn check_frame(term: &mut Terminal<TestBackend>, app: &App, m: &Model, where_: &str) {
    bounded("a frame", || {
        term.draw(|f| {
            let buf = app.render(f.area(), m, now());
            *f.buffer_mut() = buf;
        })
        .expect("TestBackend draws")
    });
    check_buffer(&format!("{where_}: the frame"), term.backend().buffer());
}

fuzz_target!(|data: &[u8]| {
    let inp = bounded("decoding the input", || build(data));
    let m = &inp.model;

    for (name, c) in &m.clusters {
        let v = pgtui::model::view::cluster_view(c);
        assert_safe_ser("the JSON view", &v);
        let table = bounded("list's table", || {
            pgtui::cli::render::cluster_table(&v, false)
        });
        for line in table.lines() {
            assert_safe("a line of list's table", line);
        }
        assert_safe("list's banner", &pgtui::cli::render::banner(&v));
        for l in pgtui::cli::render::footer(&v) {
            assert_safe(&format!("list's footer for {name:?}"), &l);
        }
    }
    for e in m.events.iter() {
        assert_safe("an event", &e.message);
    }

    let (w, h) = inp.size.unwrap_or((80, 24));
    let area = Rect::new(0, 0, w, h);
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
    let mut app = App::new(m.clusters.keys().next().cloned(), Theme::mono());
    app.on_model(m, now());

    // The first frame the console would draw, whole; then every screen's
    // view on its own (drawing each whole frame again costs throughput and
    // adds nothing the views and the net do not already show).
    check_frame(&mut term, &app, m, "the first frame");
    check_views_raw(area, &app, m, Part::Chrome, "chrome");
    let first = app.ui.screen;
    for screen in Screen::ALL {
        app.ui.go(screen);
        check_views_raw(area, &app, m, Part::Screen, screen.title());
    }
    app.ui.go(first);
    app.ui.details = true;
    check_views_raw(area, &app, m, Part::Overlays, "details");
    app.ui.details = false;
    app.ui.help = true;
    check_views_raw(area, &app, m, Part::Overlays, "help");
    app.ui.help = false;

    if !inp.actions.is_empty() {
        for &b in inp.actions.iter().take(32) {
            if let Some(a) = action(b) {
                let rows = selection::rows(m, &app.ui);
                let _effect = app.ui.apply(a, rows, m);
            }
        }
        check_frame(&mut term, &app, m, "after actions");
        check_views_raw(area, &app, m, Part::Screen, "after actions");
        check_views_raw(area, &app, m, Part::Overlays, "after actions");
    }
    for cmd in inp.commands.iter().take(4) {
        let _effect = bounded("a palette command", || app.ui.command(cmd, m, now()));
        check_frame(&mut term, &app, m, "after a command");
        check_views_raw(area, &app, m, Part::Overlays, "after a command");
        app.ui.dialog = None;
    }
    for &(k, who) in inp.ops.iter().take(4) {
        app.ui.go(Screen::Cluster);
        let member = selection::selected_view(m, &app.ui).and_then(|v| {
            v.members
                .get(who as usize % v.members.len().max(1))
                .map(|x| x.name.clone())
        });
        app.ui
            .open_op(OPS[k as usize % OPS.len()], member.as_deref(), m, now());
        check_frame(&mut term, &app, m, "a dialog");
        check_views_raw(area, &app, m, Part::Overlays, "a dialog");
        app.ui.dialog = None;
    }
});
