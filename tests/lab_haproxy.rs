//! The HAProxy source and the service-port probe, run in-process against a
//! real lab (index 4): HAProxy's stats must show pg-test-primary routing only
//! to the leader patronictl names, and connecting through :5433 / :5434 must
//! land on that leader (not in recovery) / on a replica (in recovery). Each
//! server's hop is known (primary and replica through the member's
//! pgbouncer, default and offline direct), and the leader's pgbouncer
//! stopped is a finding and a failed probe, though HAProxy shows it UP.

mod common;

use common::SharedLab;
use pgtui::config::settings::HaproxySettings;
use pgtui::config::{resolve, Config, Inputs, Secret, SqlConfig};
use pgtui::model::haproxy::hop::{hop, Hop, PoolerState};
use pgtui::model::haproxy::{cluster_findings, FindingKind, ServiceKind};
use pgtui::model::view::cluster_view;
use pgtui::model::{Model, ModelHandle, SourceId};
use pgtui::sources::haproxy::{client, fetch, targets, HaproxyError, Target};
use pgtui::sources::service_probe::NO_CREDENTIALS;
use pgtui::sources::{spawn_all, Scope};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static LAB: OnceLock<SharedLab> = OnceLock::new();
const CLUSTER: &str = "pg-test";

fn lab() -> &'static SharedLab {
    common::lab(&LAB, 4, "debian")
}

/// The leader according to patronictl (the independent witness).
fn patronictl_leader(lab: &SharedLab) -> String {
    let out = lab.patronictl(&["list", CLUSTER, "-f", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let leaders: Vec<_> = rows
        .iter()
        .filter(|r| r["Role"] == "Leader")
        .map(|r| r["Member"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(leaders.len(), 1, "patronictl list: {rows:?}");
    leaders[0].clone()
}

fn config(lab: &SharedLab, with_stats_urls: bool) -> Config {
    let info = &lab.info;
    let mut c = resolve(
        &Inputs {
            config_file: Some(info.patronictl_config.clone()),
            settings_file: Some("/dev/null".into()),
            cluster: Some(CLUSTER.into()),
            ..Default::default()
        },
        &|_| None,
    )
    .expect("resolve the lab's patronictl config");
    let h = &info.haproxy[0];
    let ports = [
        ("primary", h.ports.primary),
        ("replica", h.ports.replica),
        ("default", h.ports.default),
        ("offline", h.ports.offline),
    ];
    c.haproxy.insert(
        CLUSTER.into(),
        HaproxySettings {
            stats_urls: if with_stats_urls {
                info.haproxy.iter().map(|h| h.stats_url.clone()).collect()
            } else {
                vec![]
            },
            user: Some(h.stats_user.clone()),
            password: Some(Secret::new(h.stats_password.clone())),
            ports: Some(ports.iter().map(|(k, v)| (k.to_string(), *v)).collect()),
        },
    );
    c.sql = Some(SqlConfig {
        user: info.superuser.clone(),
        password: Some(Secret::new(info.superuser_password.clone())),
        dbname: "postgres".into(),
        connect_timeout: Duration::from_secs(3),
        poll_interval: Duration::from_secs(2),
        tls: Default::default(),
    });
    c.pgbouncer =
        pgtui::config::pgbouncer::pgbouncer_config(&Default::default(), c.sql.as_ref(), &|_| None)
            .unwrap();
    c
}

/// Every HAProxy finding of `c` now.
fn findings_now(
    m: &pgtui::model::Model,
    c: &pgtui::model::ClusterState,
) -> Vec<pgtui::model::haproxy::Finding> {
    cluster_findings(
        &cluster_view(c),
        c,
        m.pgbouncer_port,
        std::time::SystemTime::now(),
    )
}

/// Polls `f` on the model until it returns `Ok`, or panics with its last `Err`.
async fn eventually<T>(what: &str, mut f: impl FnMut() -> Result<T, String>) -> T {
    let end = Instant::now() + Duration::from_secs(40);
    loop {
        match f() {
            Ok(v) => return v,
            Err(e) if Instant::now() > end => panic!("{what}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

#[test]
fn stats_and_service_ports_agree_with_the_leader() {
    let lab = lab();
    let leader = patronictl_leader(lab);
    let member_host = |name: &str| {
        lab.info
            .clusters
            .iter()
            .flat_map(|c| &c.members)
            .find(|m| m.name == name)
            .unwrap()
            .host
            .clone()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = config(lab, true);
        let model = ModelHandle::new(Model::new(&config.namespace));
        let _running = spawn_all(
            &config,
            &pgtui::dcs::Etcd::new(&config.etcd),
            Scope::only(vec![CLUSTER.into()]),
            &model,
            false,
        );

        // Every HAProxy's stats: pg-test-primary routes to the leader only.
        let urls: BTreeSet<String> = lab
            .info
            .haproxy
            .iter()
            .map(|h| h.stats_url.clone())
            .collect();
        eventually(
            "HAProxy stats route pg-test-primary to the leader only",
            || {
                model.read(|m| {
                    let c = m.clusters.get(CLUSTER).ok_or("no cluster yet")?;
                    let got: BTreeSet<_> = c.haproxy.endpoints.keys().cloned().collect();
                    if got != urls {
                        return Err(format!("endpoints {got:?}, errors {:?}", c.haproxy.errors));
                    }
                    for (url, s) in &c.haproxy.endpoints {
                        let p = s
                            .value
                            .iter()
                            .find(|p| p.name == "pg-test-primary")
                            .ok_or("no pg-test-primary")?;
                        let routes: Vec<_> = p.routing().iter().map(|s| s.name.clone()).collect();
                        if routes != [leader.clone()] {
                            return Err(format!(
                                "{url}: pg-test-primary routes to {routes:?}, leader {leader}"
                            ));
                        }
                    }
                    let findings = findings_now(m, c);
                    if !findings.is_empty() {
                        return Err(format!("findings: {findings:#?}"));
                    }
                    Ok(())
                })
            },
        )
        .await;
        assert!(model.read(|m| !m.source(SourceId::Haproxy).is_stale()));

        // Through every node's :5433 the leader answers; through :5434 a replica.
        let hosts: BTreeSet<String> = lab.info.haproxy.iter().map(|h| h.host.clone()).collect();
        eventually("service probes reach the right members", || {
            model.read(|m| {
                let h = &m.clusters[CLUSTER].haproxy;
                for host in &hosts {
                    for kind in [ServiceKind::Primary, ServiceKind::Replica] {
                        let (sp, a) = h
                            .probes
                            .iter()
                            .find(|(sp, _)| &sp.host == host && sp.kind == kind)
                            .ok_or_else(|| {
                                format!(
                                    "no {kind:?} answer from {host}; errors {:?}",
                                    h.probe_errors
                                )
                            })?;
                        let a = &a.value;
                        let ok = match kind {
                            ServiceKind::Primary => {
                                a.member.as_deref() == Some(leader.as_str())
                                    && a.server_addr.as_deref()
                                        == Some(member_host(&leader).as_str())
                                    && !a.in_recovery
                            }
                            _ => {
                                a.member.is_some()
                                    && a.member.as_deref() != Some(leader.as_str())
                                    && a.in_recovery
                            }
                        };
                        if !ok {
                            return Err(format!("{sp:?} answered {a:?}; leader {leader}"));
                        }
                    }
                }
                Ok(())
            })
        })
        .await;

        // Each server's hop, from the HAProxy configs' addresses (the stats
        // leave them empty) and each pgbouncer's own word: the pooled
        // services through the member's pgbouncer, pooling beside it; the
        // others straight to PostgreSQL.
        let pooled = lab.info.haproxy[0].pooled.clone();
        assert_eq!(pooled, ["pg-test-primary", "pg-test-replica"]);
        eventually("every server's hop is known", || {
            model.read(|m| {
                let c = &m.clusters[CLUSTER];
                let v = cluster_view(c);
                for (url, s) in &c.haproxy.endpoints {
                    for p in s.value.iter().filter(|p| p.name != "stats") {
                        for srv in &p.servers {
                            let h = hop(&v, c, m.pgbouncer_port, srv, std::time::SystemTime::now());
                            let ok = match &h {
                                Some(Hop::Pooler {
                                    member,
                                    pools_to,
                                    state: PoolerState::Up,
                                    port: 6432,
                                }) => {
                                    pooled.contains(&p.name)
                                        && *member == srv.name
                                        && *pools_to == [srv.name.clone()]
                                }
                                Some(Hop::Direct { member }) => {
                                    !pooled.contains(&p.name) && *member == srv.name
                                }
                                _ => false,
                            };
                            if !ok {
                                return Err(format!("{url} {} {}: {h:?}", p.name, srv.name));
                            }
                        }
                    }
                }
                Ok(())
            })
        })
        .await;

        // The leader's pgbouncer stops. HAProxy still shows the leader UP
        // (its check asks Patroni), but the primary service now refuses
        // clients: pgtui says so from every HAProxy, and the probe of each
        // primary port fails while the direct default ports still answer.
        struct Restart<'a>(&'a SharedLab, String);
        impl Drop for Restart<'_> {
            fn drop(&mut self) {
                self.0.ctl("start", &self.1);
            }
        }
        let pooler = format!("pgbouncer {leader}");
        lab.ctl("stop", &pooler);
        let restart = Restart(lab, pooler);
        eventually(
            "the stopped pgbouncer is a finding and the probe fails",
            || {
                model.read(|m| {
                    let c = &m.clusters[CLUSTER];
                    let f = findings_now(m, c);
                    let refused: BTreeSet<&str> = f
                        .iter()
                        .filter(|f| {
                            f.kind == FindingKind::PoolerRefuses
                                && f.service == "pg-test-primary"
                                && f.server.as_deref() == Some(leader.as_str())
                        })
                        .map(|f| f.endpoint.as_str())
                        .collect();
                    if refused.len() != urls.len() {
                        return Err(format!("findings {f:#?}"));
                    }
                    let still_up = c.haproxy.endpoints.values().all(|s| {
                        s.value.iter().any(|p| {
                            p.name == "pg-test-primary"
                                && p.routing().iter().any(|s| s.name == leader)
                        })
                    });
                    if !still_up {
                        return Err("HAProxy no longer routes to the leader".into());
                    }
                    let h = &c.haproxy;
                    let failed =
                        |k: ServiceKind| h.probe_errors.keys().filter(|sp| sp.kind == k).count();
                    if failed(ServiceKind::Primary) != hosts.len()
                        || failed(ServiceKind::Default) != 0
                    {
                        return Err(format!("probe errors {:?}", h.probe_errors));
                    }
                    Ok(())
                })
            },
        )
        .await;
        drop(restart);
        eventually(
            "pgbouncer back: no finding, the primary ports answer",
            || {
                model.read(|m| {
                    let c = &m.clusters[CLUSTER];
                    let f = findings_now(m, c);
                    if !f.is_empty() || !c.haproxy.probe_errors.is_empty() {
                        return Err(format!("{f:#?} {:?}", c.haproxy.probe_errors));
                    }
                    Ok(())
                })
            },
        )
        .await;
    });
}

#[test]
fn default_layout_and_missing_credentials() {
    let lab = lab();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Without stats_urls: one Pigsty-style URL per DCS member host.
        // Without SQL credentials the probe says why it does not run.
        let mut config = config(lab, false);
        config.sql = None;
        let model = ModelHandle::new(Model::new(&config.namespace));
        let _running = spawn_all(&config, &pgtui::dcs::Etcd::new(&config.etcd), Scope::only(vec![CLUSTER.into()]), &model, false);
        let scope = Scope::only(vec![CLUSTER.into()]);
        let want: BTreeSet<String> = lab.info.haproxy.iter().map(|h| h.stats_url.clone()).collect();
        let got = eventually("default stats URLs from the DCS members", || {
            let t: BTreeSet<String> = targets(&config, &scope, &model).into_iter().map(|t| t.url).collect();
            if t.len() == want.len() { Ok(t) } else { Err(format!("{t:?}")) }
        })
        .await;
        assert_eq!(got, want);
        eventually("the probe says it has no SQL credentials", || {
            model.read(|m| match m.clusters.get(CLUSTER).and_then(|c| c.haproxy.probe_skipped.clone()) {
                Some(s) if s == NO_CREDENTIALS && s.starts_with("no SQL credentials") => Ok(()),
                other => Err(format!("{other:?}")),
            })
        })
        .await;

        // The lab's stats need credentials: without them the error says so.
        let t = Target { cluster: CLUSTER.into(), url: lab.info.haproxy[0].stats_url.clone(), alternatives: vec![], user: None, password: None };
        let e = fetch(&client().unwrap(), &t).await.unwrap_err();
        assert!(matches!(e, HaproxyError::NeedsCredentials { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!("HAProxy stats at {} need credentials: set [haproxy.pg-test] user/password in pgtui's settings", t.url)
        );
        let t = Target { user: Some("admin".into()), password: Some(Secret::new("wrong")), ..t };
        let e = fetch(&client().unwrap(), &t).await.unwrap_err();
        assert!(matches!(e, HaproxyError::BadCredentials { status: 401, .. }), "{e:?}");
    });
}
