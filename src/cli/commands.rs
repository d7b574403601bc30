//! The smaller runbook commands: history, topology, show-config, version, dsn.

use super::args::{DsnArgs, DsnRole, Format, OneClusterArgs, VersionArgs};
use super::render::{role_label, simple_table};
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::model::view::{cluster_view, ClusterView};
use crate::model::ClusterState;
use crate::session::{not_found, one_cluster, Needs, Session};
use crate::sources::Scope;
use serde::Serialize;

pub(crate) async fn load(
    config: Config,
    cluster: &Option<String>,
    needs: Needs,
) -> anyhow::Result<(Session, String)> {
    let name = one_cluster(cluster, &config)?;
    let scope = Scope::only(vec![name.clone()]);
    let session = match needs {
        Needs::Pools => Session::start_pools(config, scope),
        _ => Session::start(config, scope),
    };
    crate::cli::wait_for_answer(&session, needs).await?;
    session.ensure_exist(std::slice::from_ref(&name)).await?;
    Ok((session, name))
}

pub(crate) fn with_cluster<R>(
    s: &Session,
    name: &str,
    f: impl FnOnce(&ClusterState) -> R,
) -> Result<R, CliError> {
    s.model.read(|m| {
        m.clusters
            .get(name)
            .map(|c| f(c))
            .ok_or_else(|| not_found(m, name, &s.config))
    })
}

/// Why `name`'s answer is not current (etcd did not confirm it, or part of
/// the cluster could not be read), or `None`.
fn not_current(s: &Session, name: &str) -> Option<String> {
    let now = std::time::SystemTime::now();
    s.model.read(|m| {
        let c = m.clusters.get(name)?;
        let v = crate::model::view::cluster_view(c);
        let f = crate::model::freshness::cluster(m, c, &v, now);
        if !f.stale && !f.partial {
            return None;
        }
        let etcd = f.sources.get("etcd").and_then(|e| e.error.clone());
        Some(
            [c.partial.clone(), etcd]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; "),
        )
        .map(|w| {
            if w.is_empty() {
                "etcd has not confirmed it".to_string()
            } else {
                w
            }
        })
    })
}

/// After printing: a stale or partial answer exits [`ExitCode::Stale`]
/// unless `--allow-stale`.
pub(crate) fn finish(s: &Session, name: &str) -> anyhow::Result<()> {
    match not_current(s, name) {
        Some(why) if !s.config.allow_stale => Err(CliError::new(
            ExitCode::Stale,
            format!("the answer above about {name} is not current: {why}; pass --allow-stale to accept it"),
        )
        .into()),
        _ => Ok(()),
    }
}

/// Before printing a key that only etcd has (history, config): while etcd
/// cannot confirm it, nothing is printed as if it were true.
fn require_key(s: &Session, name: &str, key: &str, known: bool) -> anyhow::Result<()> {
    let Some(why) = not_current(s, name) else {
        return Ok(());
    };
    if !known {
        return Err(CliError::new(
            ExitCode::Stale,
            format!("the {key} of {name} is not known: {why}"),
        )
        .into());
    }
    if !s.config.allow_stale {
        return Err(CliError::new(
            ExitCode::Stale,
            format!("the {key} of {name} cannot be confirmed: {why}; pass --allow-stale to print the last known copy"),
        )
        .into());
    }
    errln!("pgtui: STALE: the last known {key} of {name}, not confirmed now: {why}");
    Ok(())
}

pub(crate) fn emit<T: Serialize>(format: Format, value: &T, table: impl FnOnce() -> String) {
    match format {
        Format::Json => outln!("{}", serde_json::to_string(value).expect("serialisable")),
        Format::Yaml => out!("{}", serde_yaml::to_string(value).expect("serialisable")),
        Format::Table => outln!("{}", table()),
    }
}

pub async fn history(config: Config, args: OneClusterArgs) -> anyhow::Result<()> {
    let (s, name) = load(config, &args.cluster, Needs::Dcs).await?;
    let entries = with_cluster(&s, &name, |c| {
        c.dcs.history.as_ref().map(|e| e.value.clone())
    })?;
    require_key(&s, &name, "history", entries.is_some())?;
    let entries = match entries {
        None => vec![],
        Some(crate::dcs::Decoded::Ok(v)) => v,
        Some(crate::dcs::Decoded::Unparseable { raw, error }) => {
            return Err(CliError::new(
                ExitCode::Failure,
                format!("the history key of {name} is unparseable ({error}); raw value: {raw}"),
            )
            .into())
        }
    };
    emit(args.format, &entries, || {
        let rows = entries
            .iter()
            .map(|e| {
                vec![
                    e.timeline.to_string(),
                    e.lsn.to_string(),
                    e.reason.clone(),
                    e.timestamp.clone().unwrap_or_default(),
                    e.new_leader.clone().unwrap_or_default(),
                ]
            })
            .collect();
        simple_table(
            &["TL", "LSN", "Reason", "Timestamp", "New Leader"],
            rows,
            &[0, 1],
        )
    });
    Ok(())
}

/// Members in cascade order with their depth: the leader, then whoever
/// streams from it, then whoever streams from those (`replicatefrom`).
pub fn topology_order(v: &ClusterView) -> Vec<(usize, &crate::model::view::MemberView)> {
    let is_leader = |m: &&crate::model::view::MemberView| m.role.leads();
    let parent = |m: &crate::model::view::MemberView| -> Option<String> {
        if is_leader(&m) {
            return None;
        }
        let from = m
            .tags
            .get("replicatefrom")
            .and_then(|t| t.as_str())
            .map(str::to_string);
        match from {
            Some(p) if p != m.name && v.members.iter().any(|o| o.name == p && !is_leader(&o)) => {
                Some(p)
            }
            _ => v.leader.clone(),
        }
    };
    let mut out = Vec::new();
    let mut stack: Vec<(usize, &crate::model::view::MemberView)> = v
        .members
        .iter()
        .filter(|m| parent(m).is_none_or(|p| !v.members.iter().any(|o| o.name == p)))
        .map(|m| (0, m))
        .rev()
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    while let Some((depth, m)) = stack.pop() {
        if !seen.insert(m.name.clone()) {
            continue;
        }
        out.push((depth, m));
        for child in v
            .members
            .iter()
            .rev()
            .filter(|c| parent(c).as_deref() == Some(m.name.as_str()))
        {
            stack.push((depth + 1, child));
        }
    }
    // Members caught in a replicatefrom cycle are still listed.
    for m in &v.members {
        if !seen.contains(&m.name) {
            out.push((0, m));
        }
    }
    out
}

#[derive(Serialize)]
struct TopoRow<'a> {
    depth: usize,
    name: &'a str,
    role: &'a str,
    state: &'a str,
    host: Option<&'a str>,
    lag_mb: Option<u64>,
}

pub async fn topology(config: Config, args: OneClusterArgs) -> anyhow::Result<()> {
    let (s, name) = load(config, &args.cluster, Needs::Rest).await?;
    let v = with_cluster(&s, &name, cluster_view)?;
    let order = topology_order(&v);
    let rows: Vec<TopoRow> = order
        .iter()
        .map(|(d, m)| TopoRow {
            depth: *d,
            name: &m.name,
            role: m.role.as_str(),
            state: m.state.as_str(),
            host: m.host.as_deref(),
            lag_mb: m.lag_mb,
        })
        .collect();
    emit(args.format, &rows, || {
        let body = order
            .iter()
            .map(|(d, m)| {
                let prefix = if *d == 0 {
                    String::new()
                } else {
                    format!("{}+ ", " ".repeat((d - 1) * 2))
                };
                vec![
                    format!("{prefix}{}", m.name),
                    m.host.clone().unwrap_or_default(),
                    role_label(m.role.as_str()),
                    m.state.to_string(),
                    m.timeline.map(|t| t.to_string()).unwrap_or_default(),
                    m.lag_mb.map(|l| l.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        format!(
            "Cluster: {name}\n{}",
            simple_table(
                &["Member", "Host", "Role", "State", "TL", "Lag in MB"],
                body,
                &[4, 5]
            )
        )
    });
    finish(&s, &name)
}

pub async fn show_config(config: Config, args: OneClusterArgs) -> anyhow::Result<()> {
    let (s, name) = load(config, &args.cluster, Needs::Dcs).await?;
    let cfg = with_cluster(&s, &name, |c| {
        c.dcs.config.as_ref().map(|e| e.value.clone())
    })?;
    require_key(&s, &name, "dynamic configuration", cfg.is_some())?;
    let value = match cfg {
        Some(crate::dcs::Decoded::Ok(v)) => v.value().clone(),
        Some(crate::dcs::Decoded::Unparseable { raw, error }) => {
            return Err(CliError::new(
                ExitCode::Failure,
                format!("the config key of {name} is unparseable ({error}); raw value: {raw}"),
            )
            .into())
        }
        None => serde_json::json!({}),
    };
    match args.format {
        Format::Json => outln!("{}", serde_json::to_string(&value)?),
        _ => out!("{}", serde_yaml::to_string(&value)?),
    }
    Ok(())
}

#[derive(Serialize)]
struct MemberVersion {
    name: String,
    patroni: Option<String>,
    postgresql: Option<String>,
    error: Option<String>,
}

#[derive(Serialize)]
struct VersionDoc {
    pgtui: &'static str,
    members: Vec<MemberVersion>,
}

pub async fn version(config: Config, args: VersionArgs) -> anyhow::Result<()> {
    let pgtui = env!("CARGO_PKG_VERSION");
    let Some(name) = args.cluster.clone().or(config.cluster.clone()) else {
        emit(
            args.format,
            &VersionDoc {
                pgtui,
                members: vec![],
            },
            || format!("pgtui version {pgtui}"),
        );
        return Ok(());
    };
    let (s, name) = load(config, &Some(name), Needs::Rest).await?;
    let members = with_cluster(&s, &name, |c| {
        c.dcs
            .members
            .keys()
            .map(|n| {
                let rest = c.rest.get(n).map(|r| &r.value);
                MemberVersion {
                    name: n.clone(),
                    patroni: rest.and_then(|r| r.patroni.as_ref()?.version.clone()),
                    postgresql: rest
                        .and_then(|r| r.server_version)
                        .map(crate::model::view::pg_version),
                    error: if rest.is_none() {
                        c.rest_errors.get(n).map(|(_, e)| e.clone())
                    } else {
                        None
                    },
                }
            })
            .collect::<Vec<_>>()
    })?;
    let doc = VersionDoc { pgtui, members };
    emit(args.format, &doc, || {
        let mut out = format!("pgtui version {pgtui}\n");
        for m in &doc.members {
            match (&m.patroni, &m.postgresql, &m.error) {
                (Some(p), pg, _) => out.push_str(&format!(
                    "\n{}: Patroni {p} PostgreSQL {}",
                    m.name,
                    pg.as_deref().unwrap_or("?")
                )),
                (None, _, e) => out.push_str(&format!(
                    "\n{}: failed to get version: {}",
                    m.name,
                    e.as_deref().unwrap_or("no answer")
                )),
            }
        }
        out
    });
    finish(&s, &name)
}

/// The SQL probes' TLS settings as libpq keywords, so that `psql "$(pgtui
/// dsn)"` verifies the server as pgtui does.
fn dsn_tls(t: &crate::config::SqlTls) -> String {
    let mut out = String::new();
    if t.mode_from != "the default" {
        out.push_str(&format!(" sslmode={}", t.mode.as_str()));
    }
    if let (Some(ca), false) = (&t.rootcert, t.mode == crate::config::SslMode::Disable) {
        out.push_str(&format!(
            " sslrootcert={}",
            libpq_quote(&ca.display().to_string())
        ));
    }
    out
}

/// A libpq connection-string value: quoted when it holds a space, a quote
/// or a backslash, or is empty.
fn libpq_quote(v: &str) -> String {
    if !v.is_empty() && !v.contains([' ', '\'', '\\']) {
        return v.to_string();
    }
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

pub async fn dsn(config: Config, args: DsnArgs) -> anyhow::Result<()> {
    let (s, name) = load(config, &args.cluster, Needs::Rest).await?;
    let v = with_cluster(&s, &name, cluster_view)?;
    let running = |m: &&crate::model::view::MemberView| m.state.is_up();
    let pick = match (&args.member, args.role.unwrap_or(DsnRole::Leader)) {
        (Some(n), _) => v.members.iter().find(|m| &m.name == n).ok_or_else(|| {
            CliError::new(
                ExitCode::ClusterNotFound,
                format!("member {n:?} not found in cluster {name}"),
            )
        })?,
        (None, DsnRole::Leader) => v.members.iter().find(|m| m.role.leads()).ok_or_else(|| {
            CliError::new(
                ExitCode::Failure,
                format!("cluster {name} has no leader right now"),
            )
        })?,
        (None, DsnRole::Replica) => v
            .members
            .iter()
            .filter(|m| !m.role.leads())
            .filter(running)
            .min_by_key(|m| m.lag_mb.unwrap_or(u64::MAX))
            .ok_or_else(|| {
                CliError::new(
                    ExitCode::Failure,
                    format!("cluster {name} has no running replica"),
                )
            })?,
        (None, DsnRole::Any) => v.members.iter().find(running).ok_or_else(|| {
            CliError::new(
                ExitCode::Failure,
                format!("cluster {name} has no running member"),
            )
        })?,
    };
    let host = pick.host.clone().ok_or_else(|| {
        CliError::new(
            ExitCode::Failure,
            format!("member {} publishes no conn_url", pick.name),
        )
    })?;
    let tls = s
        .config
        .sql
        .as_ref()
        .map(|c| dsn_tls(&c.tls))
        .unwrap_or_default();
    outln!("host={host} port={}{tls}", pick.port.unwrap_or(5432));
    finish(&s, &name)
}
