//! The HAProxy stats parser and the routing-vs-DCS finder, on the recorded
//! stats of the reference cluster (steady state and a switchover, 0.5 s
//! apart) and on malformed input. Every recorded row is cross-checked
//! against a naive split of the same line (the witness).

use pgtui::model::haproxy::{
    classify_service, find_disagreements, parse_stats_csv, FindingKind, ParseError, Proxy,
    ServerStatus, ServiceKind, MAX_STATS_BYTES,
};
use pgtui::model::view::{ClusterView, MemberView};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn sample(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/samples")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn header() -> String {
    sample("haproxy-pg-test-1-stats.csv")
        .lines()
        .next()
        .unwrap()
        .to_string()
}

/// (pxname, svname, status) of every data line, by splitting on commas.
fn witness(csv: &str) -> Vec<(String, String, String)> {
    let cols: Vec<&str> = csv
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let st = cols.iter().position(|c| *c == "status").unwrap();
    csv.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].into(), f[1].into(), f[st].into())
        })
        .collect()
}

fn flatten(proxies: &[Proxy]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for p in proxies {
        let rows = p.frontend.iter().chain(&p.servers).chain(p.backend.iter());
        for e in rows {
            out.push((p.name.clone(), e.name.clone(), e.status_raw.clone()));
        }
    }
    out
}

fn proxy<'a>(ps: &'a [Proxy], name: &str) -> &'a Proxy {
    ps.iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no proxy {name}"))
}

fn routing(p: &Proxy) -> Vec<String> {
    p.routing().iter().map(|s| s.name.clone()).collect()
}

fn member(name: &str, host: &str, state: &str) -> MemberView {
    MemberView {
        name: name.into(),
        host: Some(host.into()),
        port: Some(5432),
        api_url: None,
        role: "replica".into(),
        state: state.into(),
        timeline: Some(13),
        lag_mb: None,
        receive_lag_bytes: None,
        replay_lag_bytes: None,
        pending_restart: false,
        scheduled_restart: None,
        tags: Default::default(),
        unparseable: None,
        lag_source: None,
        data_at: None,
        raw: None,
    }
}

/// pg-test as the DCS sees it: `leader`, members 1..3 with `states`.
fn view(leader: Option<&str>, states: [&str; 3]) -> ClusterView {
    ClusterView {
        name: "pg-test".into(),
        system_id: None,
        leader: leader.map(str::to_string),
        timeline: Some(13),
        paused: false,
        scheduled_switchover: None,
        members: (1..=3)
            .map(|i| {
                member(
                    &format!("pg-test-{i}"),
                    &format!("127.0.0.1{i}"),
                    states[i - 1],
                )
            })
            .collect(),
        unparseable_keys: vec![],
        findings: vec![],
    }
}

const RUNNING: [&str; 3] = ["running"; 3];

#[test]
fn recorded_stats_parse_row_for_row() {
    for n in 1..=3 {
        let csv = sample(&format!("haproxy-pg-test-{n}-stats.csv"));
        let ps = parse_stats_csv(&csv).unwrap();
        let names: Vec<_> = ps.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "stats",
                "pg-test-primary",
                "pg-test-replica",
                "pg-test-default",
                "pg-test-offline"
            ]
        );
        let mut got = flatten(&ps);
        let mut want = witness(&csv);
        got.sort();
        want.sort();
        assert_eq!(got, want, "node {n}");

        let primary = proxy(&ps, "pg-test-primary");
        assert_eq!(routing(primary), ["pg-test-1"]);
        assert_eq!(
            primary.frontend.as_ref().unwrap().status,
            ServerStatus::Open
        );
        assert_eq!(primary.backend.as_ref().unwrap().status, ServerStatus::Up);
        let p2 = &primary.servers[1];
        assert_eq!(
            (p2.name.as_str(), &p2.status),
            ("pg-test-2", &ServerStatus::Down)
        );
        assert_eq!(p2.check_status.as_deref(), Some("L7STS"));
        assert_eq!(p2.check_code, Some(503));
        assert!(!p2.backup);

        // Replica service: pg-test-1 and -3 are backups, so only -2 gets traffic.
        let replica = proxy(&ps, "pg-test-replica");
        let backups: Vec<_> = replica
            .servers
            .iter()
            .filter(|s| s.backup)
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(backups, ["pg-test-1", "pg-test-3"]);
        assert_eq!(routing(replica), ["pg-test-2"]);
        assert_eq!(replica.servers[2].weight, Some(50));
        assert_eq!(replica.backend.as_ref().unwrap().bck, Some(2));
    }
    // Exact numbers of node 1's pg-test-1 row in pg-test-primary.
    let ps = parse_stats_csv(&sample("haproxy-pg-test-1-stats.csv")).unwrap();
    let s = &proxy(&ps, "pg-test-primary").servers[0];
    assert_eq!(s.status, ServerStatus::Up);
    assert_eq!(s.check_status.as_deref(), Some("L7OK"));
    assert_eq!((s.check_code, s.check_duration_ms), (Some(200), Some(3)));
    assert_eq!(
        (s.last_change_secs, s.weight, s.sessions),
        (Some(207), Some(100), Some(0))
    );
    assert_eq!(s.check_desc.as_deref(), Some("Layer7 check passed"));
    assert_eq!(
        proxy(&ps, "stats").frontend.as_ref().unwrap().sessions,
        Some(1)
    );
}

#[test]
fn admin_socket_show_stat_parses_too() {
    let csv = sample("haproxy-pg-test-1-show-stat-socket.csv");
    let ps = parse_stats_csv(&csv).unwrap();
    let mut got = flatten(&ps);
    let mut want = witness(&csv);
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

/// The switchover file: snapshots without header, separated by `# t=` lines.
fn snapshots() -> Vec<(String, Vec<Proxy>)> {
    let text = sample("states/haproxy-pg-test-1-stats-during-switchover.csv");
    let mut out = Vec::new();
    for chunk in text.split("# t=").filter(|c| !c.trim().is_empty()) {
        let (label, rows) = chunk.split_once('\n').unwrap();
        let csv = format!("{}\n{rows}", header());
        let ps = parse_stats_csv(&csv).unwrap_or_else(|e| panic!("snapshot {label}: {e}"));
        let mut got = flatten(&ps);
        let mut want = witness(&csv);
        got.sort();
        want.sort();
        assert_eq!(got, want, "snapshot {label}");
        out.push((label.to_string(), ps));
    }
    out
}

#[test]
fn switchover_snapshots_show_the_transitions_as_recorded() {
    let snaps = snapshots();
    assert_eq!(snaps.len(), 50);
    let mut seen = BTreeSet::new();
    for (_, ps) in &snaps {
        for p in ps {
            for s in &p.servers {
                if let ServerStatus::Transitional { going_up, step, of } = s.status {
                    seen.insert((s.status_raw.clone(), going_up, step, of));
                }
            }
        }
    }
    let want: BTreeSet<_> = [
        ("UP 1/3", false, 1, 3),
        ("UP 2/3", false, 2, 3),
        ("DOWN 1/3", true, 1, 3),
        ("DOWN 2/3", true, 2, 3),
    ]
    .into_iter()
    .map(|(r, u, s, o)| (r.to_string(), u, s, o))
    .collect();
    assert_eq!(seen, want);

    // pg-test-1 → pg-test-2: old leader only, then nobody (BACKEND DOWN), then the new one.
    let primary_routes: Vec<Vec<String>> = snaps
        .iter()
        .map(|(_, ps)| routing(proxy(ps, "pg-test-primary")))
        .collect();
    assert_eq!(primary_routes.first().unwrap(), &["pg-test-1"]);
    assert_eq!(primary_routes.last().unwrap(), &["pg-test-2"]);
    let down: Vec<_> = snaps
        .iter()
        .filter(|(_, ps)| {
            proxy(ps, "pg-test-primary")
                .backend
                .as_ref()
                .unwrap()
                .status
                == ServerStatus::Down
        })
        .collect();
    assert_eq!(down.len(), 9);
    for (label, ps) in &down {
        assert!(routing(proxy(ps, "pg-test-primary")).is_empty(), "{label}");
    }
    // "UP n/m" still serves: the first snapshot with UP 2/3 routes to pg-test-1.
    let going_down = primary_routes
        .iter()
        .zip(&snaps)
        .find(|(_, (_, ps))| proxy(ps, "pg-test-primary").servers[0].status_raw == "UP 2/3")
        .unwrap();
    assert_eq!(going_down.0, &["pg-test-1"]);
}

#[test]
fn finder_is_quiet_on_the_healthy_recorded_state() {
    for n in 1..=3 {
        let url = format!("http://127.0.0.1{n}:9101/stats;csv");
        let ps = parse_stats_csv(&sample(&format!("haproxy-pg-test-{n}-stats.csv"))).unwrap();
        let f = find_disagreements(&view(Some("pg-test-1"), RUNNING), &url, &ps);
        assert!(f.is_empty(), "{f:#?}");
    }
}

#[test]
fn finder_flags_primary_routing_to_a_replica() {
    let url = "http://127.0.0.11:9101/stats;csv";
    let ps = parse_stats_csv(&sample("haproxy-pg-test-1-stats.csv")).unwrap();
    // The DCS moved the leader to pg-test-2; HAProxy still routes to pg-test-1.
    let f = find_disagreements(&view(Some("pg-test-2"), RUNNING), url, &ps);
    let got: Vec<_> = f
        .iter()
        .map(|f| (f.kind.clone(), f.service.as_str(), f.server.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (
                FindingKind::RoutesToNonLeader,
                "pg-test-primary",
                Some("pg-test-1")
            ),
            (
                FindingKind::RoutesToNonLeader,
                "pg-test-default",
                Some("pg-test-1")
            ),
        ]
    );
    assert!(
        f[0].message
            .contains("pg-test-primary at http://127.0.0.11:9101/stats;csv routes to pg-test-1"),
        "{}",
        f[0].message
    );
    assert!(
        f[0].message.contains("the DCS leader is pg-test-2"),
        "{}",
        f[0].message
    );
}

#[test]
fn finder_flags_routing_to_none_and_stopped_or_unknown_servers() {
    let snaps = snapshots();
    let (_, ps) = snaps
        .iter()
        .find(|(_, ps)| routing(proxy(ps, "pg-test-primary")).is_empty())
        .unwrap();
    let f = find_disagreements(&view(Some("pg-test-2"), RUNNING), "u", ps);
    assert!(
        f.iter()
            .any(|f| f.kind == FindingKind::RoutesToNone && f.service == "pg-test-primary"),
        "{f:#?}"
    );

    // pg-test-3 stopped in the DCS while HAProxy still sends it replica/offline traffic.
    let ps = parse_stats_csv(&sample("haproxy-pg-test-1-stats.csv")).unwrap();
    let f = find_disagreements(
        &view(Some("pg-test-1"), ["running", "running", "stopped"]),
        "u",
        &ps,
    );
    let stopped: Vec<_> = f
        .iter()
        .map(|f| (f.kind.clone(), f.service.as_str(), f.server.as_deref()))
        .collect();
    assert_eq!(
        stopped,
        [
            (
                FindingKind::ServesButNotRunning,
                "pg-test-replica",
                Some("pg-test-3")
            ),
            (
                FindingKind::ServesButNotRunning,
                "pg-test-offline",
                Some("pg-test-3")
            ),
        ]
    );
    assert!(
        f[0].message.contains("is stopped in the DCS"),
        "{}",
        f[0].message
    );

    // A server that is no member at all.
    let mut v = view(Some("pg-test-1"), RUNNING);
    v.members.retain(|m| m.name != "pg-test-2");
    let f = find_disagreements(&v, "u", &ps);
    assert!(f.iter().any(|f| f.server.as_deref() == Some("pg-test-2")
        && f.message.contains("not a member")), "{f:#?}");
}

#[test]
fn finder_flags_a_replica_service_without_servers() {
    let csv: String = sample("haproxy-pg-test-1-stats.csv")
        .lines()
        .map(|l| {
            if l.starts_with("pg-test-replica,pg-test") {
                l.replace(",UP,", ",DOWN,")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let ps = parse_stats_csv(&csv).unwrap();
    let f = find_disagreements(&view(Some("pg-test-1"), RUNNING), "u", &ps);
    let kinds: Vec<_> = f
        .iter()
        .map(|f| (f.kind.clone(), f.service.as_str()))
        .collect();
    assert_eq!(kinds, [(FindingKind::NoReplicaServer, "pg-test-replica")]);
}

#[test]
fn statuses_parse_into_the_enum() {
    use ServerStatus::*;
    for (raw, want) in [
        ("UP", Up),
        ("DOWN", Down),
        ("OPEN", Open),
        ("MAINT", Maint),
        ("MAINT (via pg-test-primary/pg-test-1)", Maint),
        ("MAINT (resolution)", Maint),
        ("DRAIN", Drain),
        ("DRAIN (agent)", Drain),
        ("NOLB", NoLb),
        ("no check", NoCheck),
        (
            "UP 1/3",
            Transitional {
                going_up: false,
                step: 1,
                of: 3,
            },
        ),
        (
            "DOWN 2/3",
            Transitional {
                going_up: true,
                step: 2,
                of: 3,
            },
        ),
        ("UP x/3", Other("UP x/3".into())),
        ("SOMETHING", Other("SOMETHING".into())),
    ] {
        assert_eq!(ServerStatus::parse(raw), want, "{raw}");
    }
    // MAINT and no check on a synthetic primary service: no check serves, MAINT does not.
    let csv = format!(
        "# pxname,svname,scur,status,weight,act,bck,\n\
         pg-test-primary,pg-test-1,0,MAINT,100,1,0,\n\
         pg-test-primary,pg-test-2,3,no check,100,1,0,\n\
         pg-test-primary,BACKEND,3,UP,100,1,0,\n{}",
        ""
    );
    let ps = parse_stats_csv(&csv).unwrap();
    assert_eq!(routing(&ps[0]), ["pg-test-2"]);
    assert_eq!(ps[0].servers[1].sessions, Some(3));
}

#[test]
fn services_are_classified_by_name() {
    use ServiceKind::*;
    for (name, want) in [
        ("pg-test-primary", Primary),
        ("pg-test-replica", Replica),
        ("pg-test-default", Default),
        ("pg-test-offline", Offline),
        ("master", Primary),
        ("replicas", Replica),
        ("replicas_sync", ReplicaSync),
        ("replicas_async", ReplicaAsync),
        ("stats", Stats),
        ("pg-meta-primary", Other),
        ("postgres-custom", Other),
    ] {
        assert_eq!(classify_service("pg-test", name), want, "{name}");
    }
}

#[test]
fn malformed_input_is_an_error_naming_the_line() {
    let h = "# pxname,svname,scur,status,weight,act,bck,";
    assert_eq!(parse_stats_csv(""), Err(ParseError::Empty));
    assert_eq!(parse_stats_csv(" \n\n"), Err(ParseError::Empty));
    let e = parse_stats_csv("hello, world\nmore garbage").unwrap_err();
    assert_eq!(
        e,
        ParseError::NoHeader {
            line: 1,
            found: "hello, world".into()
        }
    );
    assert!(e.to_string().contains("/stats;csv"), "{e}");
    // The 401 page of a stats endpoint without credentials.
    let body = sample("haproxy-stats-no-auth.http.txt");
    let body = body
        .split_once("\n\n")
        .or(body.split_once("\r\n\r\n"))
        .unwrap()
        .1;
    assert!(matches!(
        parse_stats_csv(body),
        Err(ParseError::NoHeader { line: 1, .. })
    ));
    assert_eq!(
        parse_stats_csv("# pxname,svname,scur\nx,y,1\n"),
        Err(ParseError::MissingColumn { column: "status" })
    );
    let e = parse_stats_csv(&format!("{h}\npx,FRONTEND,0,OPEN,,,,\npx,s1,0,UP,100\n")).unwrap_err();
    assert_eq!(
        e,
        ParseError::ColumnCount {
            line: 3,
            expected: 7,
            found: 5
        }
    );
    assert!(e.to_string().contains("line 3"), "{e}");
    let e = parse_stats_csv(&format!("{h}\n\npx,s1,lots,UP,100,1,0,\n")).unwrap_err();
    assert_eq!(
        e,
        ParseError::BadNumber {
            line: 3,
            column: "scur".into(),
            value: "lots".into()
        }
    );
    let e = parse_stats_csv(&format!("{h}\npx,\"s1,0,UP,100,1,0,\n")).unwrap_err();
    assert!(
        matches!(
            e,
            ParseError::ColumnCount { line: 2, .. } | ParseError::Csv { line: 2, .. }
        ),
        "{e:?}"
    );
    // Comment lines (like the `# t=` snapshot markers) count as lines.
    let e = parse_stats_csv(&format!(
        "{h}\npx,s1,0,UP,100,1,0,\n# t=+1s\n\npx,s2,0,UP,1\n"
    ))
    .unwrap_err();
    assert_eq!(
        e,
        ParseError::ColumnCount {
            line: 5,
            expected: 7,
            found: 5
        }
    );
    // Too large: refused before any parsing.
    let huge = "x".repeat(MAX_STATS_BYTES + 1);
    assert!(matches!(
        parse_stats_csv(&huge),
        Err(ParseError::TooLarge { .. })
    ));
    // Binary junk and a single enormous line: errors, never panics.
    let junk: String = (0..200_000u32)
        .map(|i| char::from_u32(i % 0xD7FF).unwrap_or('?'))
        .collect();
    assert!(parse_stats_csv(&junk).is_err());
    assert!(parse_stats_csv(&format!("{h}\n{}", ",".repeat(1_000_000))).is_err());
}

#[test]
fn large_valid_bodies_and_crlf_parse() {
    let h = "# pxname,svname,scur,status,weight,act,bck,";
    let mut csv = String::from(h);
    for i in 0..50_000 {
        csv.push_str(&format!("\r\npx{},srv{i},0,UP,100,1,0,", i % 100));
    }
    let ps = parse_stats_csv(&csv).unwrap();
    assert_eq!(ps.len(), 100);
    assert_eq!(ps.iter().map(|p| p.servers.len()).sum::<usize>(), 50_000);
    assert_eq!(ps[0].servers[0].line, 2);
    assert_eq!(ps[99].servers.last().unwrap().line, 50_001);
}

/// Where `reloaded_configs_are_read_again` keeps its config.
static RELOAD_DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

fn reload_files() -> Vec<Vec<PathBuf>> {
    let dir = RELOAD_DIR.get().expect("set by the test");
    let mut group: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    group.sort();
    vec![group]
}

/// A console stays open while HAProxy is reconfigured: the configs it
/// holds follow the files (a server moved, a service added, a file gone),
/// and are not parsed again while nothing changed.
#[test]
fn reloaded_configs_are_read_again() {
    use pgtui::sources::haproxy_cfg::Configs;
    let dir = std::env::temp_dir().join(format!("pgtui-cfg-reload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    RELOAD_DIR.set(dir.clone()).unwrap();
    let _cleanup = RemoveDir(dir.clone());
    let primary = |server: &str| {
        format!(
            "listen pg-test-primary\n    bind *:5433\n    option httpchk\n    http-check send meth OPTIONS uri /primary\n    server pg-test-1 {server} check port 8008\n"
        )
    };
    std::fs::write(dir.join("pg-test.cfg"), primary("10.10.10.11:6432")).unwrap();
    let mut c = Configs::found_by(reload_files);
    let servers = |c: &mut Configs| -> Vec<(String, Vec<(String, String)>)> {
        c.recheck();
        c.parsed()
            .iter()
            .map(|p| (p.name.clone(), p.servers.clone()))
            .collect()
    };
    let one = |addr: &str| {
        vec![(
            "pg-test-primary".to_string(),
            vec![("pg-test-1".to_string(), addr.to_string())],
        )]
    };
    assert_eq!(servers(&mut c), one("10.10.10.11:6432"));
    assert!(!c.recheck(), "nothing changed: not parsed again");

    // The server moves (same length, so only the time tells; set a minute
    // on, whatever the filesystem's time granularity).
    let f = dir.join("pg-test.cfg");
    let was = std::fs::metadata(&f).unwrap().modified().unwrap();
    std::fs::write(&f, primary("10.10.10.12:6432")).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&f)
        .unwrap()
        .set_modified(was + std::time::Duration::from_secs(60))
        .unwrap();
    assert!(c.recheck(), "a rewritten file is read again");
    assert_eq!(servers(&mut c), one("10.10.10.12:6432"));

    // A service added in a file of its own, then the first file gone.
    std::fs::write(
        dir.join("pg-test-replica.cfg"),
        "listen pg-test-replica\n    bind *:5434\n    server pg-test-2 10.10.10.12:6432 check port 8008\n",
    )
    .unwrap();
    let mut names: Vec<String> = servers(&mut c).into_iter().map(|(n, _)| n).collect();
    names.sort();
    assert_eq!(names, ["pg-test-primary", "pg-test-replica"]);
    std::fs::remove_file(dir.join("pg-test.cfg")).unwrap();
    let names: Vec<String> = servers(&mut c).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["pg-test-replica"]);
}

/// Removes a test's directory, whatever happened to the test.
struct RemoveDir(PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
