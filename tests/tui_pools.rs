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

/// The recorded model plus the recorded Pigsty stats of pg-test-1's
/// HAProxy, whose server addresses (empty in the CSV, as without `stats
/// show-legends`) come from a lab HAProxy config: primary and replica
/// through each member's pgbouncer :6432, default and offline direct.
fn with_haproxy(mut m: Model) -> Model {
    use pgtui::model::haproxy::layout::{fill_server_addrs, parse_cfg};
    let csv = sample_cluster::sample("haproxy-pg-test-1-stats.csv");
    let mut proxies = pgtui::model::haproxy::parse_stats_csv(&csv).unwrap();
    let cfg = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/haproxy/pigsty-pooled.cfg"
    ))
    .unwrap();
    fill_server_addrs(
        "http://127.0.0.11:9101/stats;csv",
        &mut proxies,
        &parse_cfg(&cfg),
    );
    m.pgbouncer_port = Some(6432);
    m.cluster_mut("pg-test").haproxy.endpoints.insert(
        "http://127.0.0.11:9101/stats;csv".into(),
        Sourced::new(proxies, SourceId::Haproxy, now() - Duration::from_secs(1)),
    );
    m
}

/// pg-test-1's recorded pgbouncer databases, to edit.
fn pg_test_1_databases(m: &mut Model) -> &mut Vec<pgtui::model::pgbouncer::PoolDatabase> {
    let c = m.cluster_mut("pg-test");
    &mut c.pgbouncer.get_mut("pg-test-1").unwrap().value.databases
}

fn render_services(m: &Model, w: u16, h: u16) -> Buffer {
    let mut app = App::new(Some("pg-test".into()), Theme::built_in("dark").unwrap());
    app.ui.screen = Screen::Services;
    app.render(Rect::new(0, 0, w, h), m, now())
}

fn pooler_findings(m: &Model) -> Vec<(String, String)> {
    use pgtui::model::haproxy::{cluster_findings, FindingKind};
    let c = &m.clusters["pg-test"];
    let v = pgtui::model::view::cluster_view(c);
    cluster_findings(&v, c, m.pgbouncer_port, now())
        .into_iter()
        .filter(|f| {
            matches!(
                f.kind,
                FindingKind::PoolerRefuses
                    | FindingKind::PoolerPaused
                    | FindingKind::PoolerElsewhere
            )
        })
        .map(|f| (f.service, f.message))
        .collect()
}

#[test]
fn services_show_each_servers_hop_through_pgbouncer_or_direct() {
    let m = with_haproxy(model());
    insta::assert_snapshot!("services_hops_160x48", text(&render_services(&m, 160, 48)));
    insta::assert_snapshot!("services_hops_80x24", text(&render_services(&m, 80, 24)));
    let buf = render_services(&m, 160, 48);
    let theme = Theme::built_in("dark").unwrap();
    // pg-test-1's pgbouncer was read and pools beside it.
    let (x, y) = find(&buf, "pgbouncer :6432 → pg-test-1");
    assert_eq!(buf[(x, y)].fg, theme.fg(theme.ok).fg.unwrap());
    // pg-test-2's could not be read: not an alarm, not a pass.
    let (x, y) = find(&buf, "? unread pgbouncer :6432");
    assert_eq!(buf[(x, y)].fg, theme.fg(theme.warn).fg.unwrap());
    // Nothing listens on pg-test-3's :6432, which the replica service
    // lists (as a backup, so no finding while pg-test-2 serves).
    let (x, y) = find(&buf, "! refused pgbouncer :6432");
    assert_eq!(buf[(x, y)].fg, theme.alarm().fg.unwrap());
    find(&buf, "direct");
    assert_eq!(
        pooler_findings(&m),
        vec![],
        "no routing server's pooler is at fault"
    );
}

#[test]
fn a_refusing_paused_or_misdirected_pooler_on_the_route_is_a_finding() {
    // The leader's pgbouncer stops listening: the primary service (which
    // HAProxy still shows UP, as its check asks Patroni) refuses clients.
    let mut m = with_haproxy(model());
    m.cluster_mut("pg-test")
        .pgbouncer_refused
        .insert("pg-test-1".into());
    let f = pooler_findings(&m);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "pg-test-primary");
    assert!(
        f[0].1.contains("nothing listens") && f[0].1.contains("start pgbouncer on pg-test-1"),
        "{}",
        f[0].1
    );
    let buf = render_services(&m, 160, 48);
    let (x, y) = find(
        &buf,
        "! pg-test-primary routes to pg-test-1's pgbouncer :6432",
    );
    assert_eq!(
        buf[(x, y)].fg,
        Theme::built_in("dark").unwrap().alarm().fg.unwrap()
    );

    // Paused.
    let mut m = with_haproxy(model());
    let dbs = pg_test_1_databases(&mut m);
    dbs.iter_mut()
        .find(|d| d.name == "postgres")
        .unwrap()
        .paused = true;
    let f = pooler_findings(&m);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].1.contains("postgres paused") && f[0].1.contains("RESUME"),
        "{}",
        f[0].1
    );

    // Pooling to another member: the primary service lands there.
    let mut m = with_haproxy(model());
    let dbs = pg_test_1_databases(&mut m);
    for d in dbs.iter_mut().filter(|d| d.host.is_some()) {
        d.host = Some("127.0.0.12".into());
    }
    let f = pooler_findings(&m);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].1
            .contains("which pools to pg-test-2, not to pg-test-1"),
        "{}",
        f[0].1
    );
    let buf = render_services(&m, 160, 48);
    find(&buf, "! pgbouncer :6432 → pg-test-2");

    // Without server addresses (no config to read) the hop is unknown, and
    // nothing is claimed about it.
    let mut m = model();
    let csv = sample_cluster::sample("haproxy-pg-test-1-stats.csv");
    m.cluster_mut("pg-test").haproxy.endpoints.insert(
        "u".into(),
        Sourced::new(
            pgtui::model::haproxy::parse_stats_csv(&csv).unwrap(),
            SourceId::Haproxy,
            now(),
        ),
    );
    m.cluster_mut("pg-test")
        .pgbouncer_refused
        .insert("pg-test-1".into());
    assert_eq!(pooler_findings(&m), vec![]);
    let t = text(&render_services(&m, 160, 48));
    let row = t
        .lines()
        .find(|l| l.contains("pg-test-primary    pg-test-1"))
        .unwrap_or_else(|| panic!("{t}"));
    assert!(
        row.contains("pg-test-1        ?   ") && !row.contains("direct"),
        "{row}"
    );
}

#[test]
fn a_socket_or_local_pool_is_beside_its_member_and_an_old_read_proves_nothing() {
    // Pigsty's pgbouncer pools over the Unix socket: that is its own
    // member, not "elsewhere".
    for local in ["/var/run/postgresql", "localhost", "127.0.0.1"] {
        let mut m = with_haproxy(model());
        let dbs = pg_test_1_databases(&mut m);
        for d in dbs.iter_mut().filter(|d| d.host.is_some()) {
            d.host = Some(local.into());
        }
        assert_eq!(pooler_findings(&m), vec![], "{local}");
        find(&render_services(&m, 160, 48), "pgbouncer :6432 → pg-test-1");
    }
    // A pool of another cluster's host is shown, not alarmed.
    let mut m = with_haproxy(model());
    let dbs = pg_test_1_databases(&mut m);
    dbs.iter_mut().find(|d| d.name == "pgtui_sat").unwrap().host = Some("10.9.9.9".into());
    assert_eq!(pooler_findings(&m), vec![]);
    find(
        &render_services(&m, 160, 48),
        "pgbouncer :6432 → 10.9.9.9:5432,",
    );

    // A pgbouncer last read 40 s ago says nothing of now: unread, no
    // finding even though that old read had a paused database.
    let mut m = with_haproxy(model());
    let e = m
        .cluster_mut("pg-test")
        .pgbouncer
        .get_mut("pg-test-1")
        .unwrap();
    e.at = now() - Duration::from_secs(40);
    e.value
        .databases
        .iter_mut()
        .find(|d| d.name == "postgres")
        .unwrap()
        .paused = true;
    assert_eq!(pooler_findings(&m), vec![]);
    let buf = render_services(&m, 160, 48);
    let (x, y) = find(&buf, "? unread pgbouncer :6432 → pg-test-1");
    let theme = Theme::built_in("dark").unwrap();
    assert_eq!(buf[(x, y)].fg, theme.fg(theme.warn).fg.unwrap());

    // An address on another host than the member's is no pgbouncer of it.
    let mut m = with_haproxy(model());
    for s in m.cluster_mut("pg-test").haproxy.endpoints.values_mut() {
        for p in s.value.iter_mut() {
            for srv in p.servers.iter_mut().filter(|s| s.name == "pg-test-1") {
                srv.addr = Some("10.9.9.9:6432".into());
            }
        }
    }
    m.cluster_mut("pg-test")
        .pgbouncer_refused
        .insert("pg-test-1".into());
    assert_eq!(pooler_findings(&m), vec![]);
    find(&render_services(&m, 160, 48), ":6432 ?");
}
