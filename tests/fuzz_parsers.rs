//! Property tests: arbitrary bytes and structured garbage into every parser
//! of outside input, and into the renderers. Each must return (a value or an
//! error) without panicking, within a generous bound, and what it renders
//! must hold no character a terminal would obey.
//!
//! Covered: DCS keys and values of every kind (then the table and the
//! console drawn from them), Patroni REST bodies (`/patroni`, `/cluster`),
//! HAProxy's stats CSV and haproxy.cfg, patroni.yml and pgtui's TOML
//! settings, DCS URLs. pgBackRest JSON and the service probe's replies have
//! no parser of their own yet (the probe reads three typed columns).

/// The samples' capture time, 2026-11-21T21:16:58Z.
fn now() -> std::time::SystemTime {
    std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_295_818)
}

use pgtui::dcs::{decode_value, parse_key, KeyKind};
use pgtui::model::rest::RestStatus;
use pgtui::model::{Model, SourceId};
use pgtui::text::is_unsafe;
use pgtui::tui::screen::Screen;
use pgtui::tui::theme::Theme;
use pgtui::tui::App;
use proptest::prelude::*;
use ratatui::layout::Rect;
use std::path::Path;
use std::time::{Duration, Instant};

/// Far above any real parse (microseconds): this catches hangs and
/// quadratic blow-ups, it does not measure speed.
const BOUND: Duration = Duration::from_secs(2);

fn bounded<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    assert!(t.elapsed() < BOUND, "{what} took {:?}", t.elapsed());
    out
}

fn kinds() -> Vec<KeyKind> {
    vec![
        KeyKind::Config,
        KeyKind::Leader,
        KeyKind::Member("m".into()),
        KeyKind::History,
        KeyKind::Status,
        KeyKind::OptimeLeader,
        KeyKind::Sync,
        KeyKind::Failover,
        KeyKind::Failsafe,
        KeyKind::Initialize,
        KeyKind::Other("x".into()),
    ]
}

/// Text with a good share of the characters that matter here.
fn nasty_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => any::<char>(),
            2 => prop::sample::select(vec!['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\n', '\r', '\t', '\u{0}', '\u{7f}', '\u{2028}']),
            2 => prop::sample::select(vec!['{', '}', '"', ':', ',', '[', ']', '/', '\\', ' ', 'a', '1']),
        ],
        0..200,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// A member value that is JSON of Patroni's shape with hostile strings.
fn member_json() -> impl Strategy<Value = String> {
    (
        nasty_text(),
        nasty_text(),
        nasty_text(),
        any::<Option<u32>>(),
    )
        .prop_map(|(state, role, tag, tl)| {
            serde_json::json!({
                "state": state, "role": role, "timeline": tl,
                "conn_url": format!("postgres://{tag}:5432/postgres"),
                "api_url": format!("http://{tag}/patroni"),
                "tags": { tag.clone(): tag },
            })
            .to_string()
        })
}

fn no_unsafe(what: &str, s: &str) {
    if let Some(c) = s.chars().find(|c| *c != '\n' && is_unsafe(*c)) {
        panic!("{what} holds {c:?}:\n{s}");
    }
}

/// Every string in `v` (as serialised) is free of unsafe characters.
fn no_unsafe_in<T: serde::Serialize>(what: &str, v: &T) {
    fn walk(what: &str, v: &serde_json::Value) {
        match v {
            serde_json::Value::String(s) => {
                if let Some(c) = s.chars().find(|c| is_unsafe(*c)) {
                    panic!("{what} holds {c:?} in {s:?}");
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(what, x)),
            serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
                walk(what, &serde_json::Value::String(k.clone()));
                walk(what, x)
            }),
            _ => {}
        }
    }
    walk(what, &serde_json::to_value(v).unwrap());
}

fn model_from(keys: &[(Vec<u8>, Vec<u8>)]) -> Model {
    let mut m = Model::new("/pg/");
    for (k, v) in keys {
        if let Some(p) = parse_key("/pg/", k) {
            m.cluster_mut(&p.cluster)
                .dcs
                .apply(&p.kind, Some(v), 1, SourceId::Etcd, now());
        }
    }
    m
}

fn render_everything(m: &Model) {
    for (name, c) in &m.clusters {
        let v = pgtui::model::view::cluster_view(c);
        let table = bounded("cluster_table", || {
            pgtui::cli::render::cluster_table(&v, false)
        });
        no_unsafe("the table", &table);
        let json = serde_json::to_string(&v).unwrap();
        no_unsafe("the JSON", &pgtui::text::terminal_safe(&json, false));
        for screen in [
            Screen::Cluster,
            Screen::Fleet,
            Screen::Replication,
            Screen::Services,
        ] {
            let mut app = App::new(Some(name.clone()), Theme::mono());
            app.ui.go(screen);
            app.on_model(m, now());
            let buf = bounded("the console", || {
                app.render(Rect::new(0, 0, 100, 30), m, now())
            });
            for cell in buf.content.iter() {
                no_unsafe("a console cell", cell.symbol());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn dcs_values_of_every_kind(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        for k in kinds() {
            bounded("decode_value", || decode_value(&k, &bytes));
        }
    }

    #[test]
    fn dcs_keys(key in prop::collection::vec(any::<u8>(), 0..80)) {
        let mut k = b"/pg/".to_vec();
        k.extend_from_slice(&key);
        if let Some(p) = bounded("parse_key", || parse_key("/pg/", &k)) {
            no_unsafe("a cluster name", &p.cluster);
            no_unsafe("a key", &p.kind.tail());
        }
    }

    #[test]
    fn hostile_clusters_render_safely(
        name in nasty_text(),
        member in nasty_text(),
        value in member_json(),
        leader in nasty_text(),
        junk in prop::collection::vec(any::<u8>(), 0..100),
    ) {
        let c = if name.is_empty() || name.contains('/') { "pg-x".to_string() } else { name };
        let m = member.replace('/', "_");
        let keys = vec![
            (format!("/pg/{c}/members/{m}").into_bytes(), value.into_bytes()),
            (format!("/pg/{c}/members/junk").into_bytes(), junk.clone()),
            (format!("/pg/{c}/leader").into_bytes(), leader.into_bytes()),
            (format!("/pg/{c}/config").into_bytes(), junk),
        ];
        render_everything(&model_from(&keys));
    }

    #[test]
    fn rest_bodies(body in prop::collection::vec(any::<u8>(), 0..400), text in nasty_text()) {
        bounded("/patroni", || pgtui::text::json_escaped::<RestStatus>(&body).ok());
        bounded("/cluster", || pgtui::sources::rest_fallback::decode_cluster_body(&body).ok());
        let shaped = serde_json::json!({"state": text, "role": text, "patroni": {"version": text, "scope": text}}).to_string();
        if let Ok(st) = pgtui::text::json_escaped::<RestStatus>(shaped.as_bytes()) {
            no_unsafe_in("a REST status", &st);
        }
    }

    #[test]
    fn haproxy_csv_and_cfg(text in nasty_text(), lines in prop::collection::vec(nasty_text(), 0..6)) {
        let csv = format!("# pxname,svname,status,scur,check_desc\n{}", lines.join("\n"));
        for t in [&text, &csv] {
            if let Ok(proxies) = bounded("stats CSV", || pgtui::model::haproxy::parse_stats_csv(t)) {
                no_unsafe_in("a parsed proxy", &proxies);
            }
            bounded("haproxy.cfg", || pgtui::model::haproxy::layout::parse_cfg(t));
        }
    }

    #[test]
    fn config_files(text in nasty_text(), bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let p = Path::new("/fuzz/patroni.yml");
        let lossy = String::from_utf8_lossy(&bytes);
        for t in [text.as_str(), &lossy] {
            let _ = bounded("patroni.yml", || pgtui::config::patroni_file::PatroniFile::parse(t, p));
            let _ = bounded("settings", || pgtui::config::settings::Settings::parse(t, p));
            let _ = bounded("DCS URL", || pgtui::config::dcs_url::parse(t));
        }
    }
}

// Inputs found by the cargo-fuzz targets (tests/fuzz, README "Fuzzing"),
// kept here so the normal suite covers them.

/// `haproxy_stats`, minimised: a quoted field (here running to the end of
/// the body) kept its line break raw in the parsed row, past the escaping
/// of the whole body, which leaves line breaks for the CSV reader.
#[test]
fn fuzz_found_quoted_csv_field_with_a_line_break() {
    let found = "#pxname,svname,status,,,,,,check_desc\n\0,1,,,,,,,\"\0\n3";
    let proxies = pgtui::model::haproxy::parse_stats_csv(found).unwrap();
    no_unsafe_in("a parsed proxy", &proxies);
    assert_eq!(
        proxies[0].servers[0].check_desc.as_deref(),
        Some("\\x00\\n3")
    );
    let desc = "# pxname,svname,status,check_desc\npx,s1,UP,\"one\r\ntwo\u{1b}[2J\"\n";
    let proxies = pgtui::model::haproxy::parse_stats_csv(desc).unwrap();
    assert_eq!(
        proxies[0].servers[0].check_desc.as_deref(),
        Some("one\\r\\ntwo\\e[2J")
    );
}
