//! A session: the configuration resolved, sources running, and the first
//! complete picture awaited (etcd listed, every member asked over REST once).
//!
//! It is a layer of its own, between the sources and the ops layer, because
//! the console, the runbook commands and the operations all start the same
//! sources over the same model; it prints nothing (the CLI and the console
//! say what it found, each in their own way).

use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::model::view::{cluster_view, ClusterView};
use crate::model::{Model, ModelHandle, SourceId};
use crate::sources::{self, Scope};
use std::time::Duration;

pub struct Session {
    pub config: Config,
    /// The one etcd client of the session: sources and operations share its
    /// endpoint health and the endpoint that answered last.
    pub etcd: crate::dcs::Etcd,
    pub model: ModelHandle,
    pub scope: Scope,
    _running: sources::Running,
}

/// A cluster held in full view; see [`Session::pin`].
pub struct Pinned {
    model: ModelHandle,
    cluster: String,
}

impl Drop for Pinned {
    fn drop(&mut self) {
        self.model.update(|m| {
            if let Some(n) = m.pinned.get_mut(&self.cluster) {
                *n -= 1;
                if *n == 0 {
                    m.pinned.remove(&self.cluster);
                }
            }
        });
    }
}

/// What a command's answer is made of: it waits for that and no more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Needs {
    /// Only etcd's keys (history, show-config).
    Dcs,
    /// etcd and each member's REST state (roles, versions).
    Rest,
    /// Also the SQL probes' lag figures, when credentials are configured.
    RestAndSql,
    /// etcd, REST (roles) and every member's pgbouncer, when read at all.
    Pools,
}

/// How long a one-shot command waits for its first complete picture.
const FIRST_DATA_DEADLINE: Duration = Duration::from_secs(8);

impl Session {
    /// A session for a command: every source but the events log and the
    /// pgbouncers (a command that does not print pools would only open
    /// connections to every member's :6432 that nobody reads).
    pub fn start(config: Config, scope: Scope) -> Self {
        Session::spawn(config, scope, false, false, None)
    }

    /// A session for `pgtui pools`: a command's sources and the pgbouncers.
    pub fn start_pools(config: Config, scope: Scope) -> Self {
        Session::spawn(config, scope, false, true, None)
    }

    /// A session for the console: with the events log and the pgbouncers,
    /// `focus` in full view from the start (and read first).
    pub fn start_console(config: Config, scope: Scope, focus: Option<String>) -> Self {
        Session::spawn(config, scope, true, true, focus)
    }

    fn spawn(
        mut config: Config,
        scope: Scope,
        events: bool,
        pools: bool,
        focus: Option<String>,
    ) -> Self {
        if !pools {
            config.pgbouncer = None;
        }
        let mut first = Model::new(&config.namespace);
        first.focus = focus;
        let model = ModelHandle::new(first);
        let etcd = crate::dcs::Etcd::new(&config.etcd);
        let running = sources::spawn_all(&config, &etcd, scope.clone(), &model, events);
        Session {
            config,
            etcd,
            model,
            scope,
            _running: running,
        }
    }

    /// Moves the console's focus: in a fleet session the polling sources
    /// ask this cluster every second from now on (and at once, if they
    /// never asked it), and the previous one only as a fleet row.
    pub fn focus(&self, cluster: Option<&str>) {
        if self.model.read(|m| m.focus.as_deref() != cluster) {
            self.model.update(|m| m.focus = cluster.map(str::to_string));
        }
    }

    /// The screen needs the whole namespace from now on: a console opened
    /// on one cluster has read only that cluster's keys so far (see
    /// `sources::etcd`). Once wanted, always wanted.
    pub fn want_fleet(&self, wanted: bool) {
        if wanted && self.model.read(|m| !m.fleet_wanted) {
            self.model.update(|m| m.fleet_wanted = true);
        }
    }

    /// Keeps `cluster` in full view until the guard drops: an operation's
    /// executor follows it on live data even if the console moves on.
    pub fn pin(&self, cluster: &str) -> Pinned {
        self.model
            .update(|m| *m.pinned.entry(cluster.to_string()).or_default() += 1);
        Pinned {
            model: self.model.clone(),
            cluster: cluster.to_string(),
        }
    }

    /// The logs to read now (the logs source reads only while some are
    /// wanted); a different want starts afresh, None stops reading.
    pub fn logs(&self, want: Option<crate::model::logs::LogsWant>) {
        let same = self
            .model
            .read(|m| m.logs.as_ref().map(|l| &l.want) == want.as_ref());
        if !same {
            self.model
                .update(|m| m.logs = want.map(crate::model::logs::LogsState::new));
        }
    }

    /// The fleet rows on screen now, asked at the fleet's slow pace.
    pub fn on_screen(&self, rows: &[String]) {
        let same = self.model.read(|m| {
            m.on_screen.len() == rows.len() && rows.iter().all(|r| m.on_screen.contains(r))
        });
        if !same {
            self.model
                .update(|m| m.on_screen = rows.iter().cloned().collect());
        }
    }

    /// Waits for everything a console shows: etcd, then one REST (and SQL,
    /// when configured) round over every member that can be asked.
    pub async fn wait_first_data(&self) -> Result<(), CliError> {
        self.wait_for(Needs::RestAndSql).await
    }

    /// Waits until etcd has answered (or failed) and, as far as `needs` asks,
    /// every member that can be asked has answered or failed over REST and
    /// SQL once; at most [`FIRST_DATA_DEADLINE`]. A member whose key names
    /// no API or address is not waited for: nothing will ever ask it.
    pub async fn wait_for(&self, needs: Needs) -> Result<(), CliError> {
        let mut changes = self.model.subscribe();
        let wait = async {
            loop {
                if self.model.read(|m| self.missing(m, needs).is_empty()) {
                    return;
                }
                if changes.changed().await.is_err() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(FIRST_DATA_DEADLINE, wait).await;
        match self.check_dcs() {
            // Down or frozen: a member's REST API may still tell something.
            Err(e) if matches!(e.code, ExitCode::Unreachable | ExitCode::Timeout) => {
                self.rest_fallback().await.map_err(|_| e)
            }
            other => other,
        }
    }

    /// What `needs` still lacks: empty once the answer can be given.
    fn missing(&self, m: &Model, needs: Needs) -> Vec<String> {
        let etcd = m.source(SourceId::Etcd);
        if etcd.last_ok.is_none() {
            return match etcd.last_error {
                Some(_) => vec![],
                None => vec![format!("etcd at {}", self.config.etcd.endpoints.join(","))],
            };
        }
        let sql = needs == Needs::RestAndSql && self.config.sql.is_some();
        let mut out = Vec::new();
        for c in m.clusters.values().filter(|c| self.scope.includes(&c.name)) {
            if needs >= Needs::Rest && self.scope.rest(m, &c.name) && c.rest_pending() {
                out.push(format!("Patroni REST of {}", c.name));
            }
            if sql && self.scope.full(m, &c.name) && c.sql_pending() {
                out.push(format!("SQL probes of {}", c.name));
            }
            let pools = needs == Needs::Pools && self.config.pgbouncer.is_some();
            if pools && self.scope.full(m, &c.name) && c.pgbouncer_pending() {
                out.push(format!("pgbouncers of {}", c.name));
            }
        }
        out
    }

    /// What an answer given now lacks: what did not arrive in time, and
    /// each member the SQL probes could not read (their figures then come
    /// from REST). The CLI says these on stderr.
    pub fn shortfalls(&self, needs: Needs) -> Vec<String> {
        self.model.read(|m| {
            let mut out: Vec<String> = self
                .missing(m, needs)
                .into_iter()
                .map(|w| {
                    format!("no answer within {FIRST_DATA_DEADLINE:?} from {w}; shown without it")
                })
                .collect();
            if needs == Needs::RestAndSql && self.config.sql.is_some() {
                for c in m.clusters.values().filter(|c| self.scope.includes(&c.name)) {
                    for (member, (_, e)) in &c.sql_errors {
                        if c.dcs.members.contains_key(member) {
                            out.push(format!(
                                "{}/{member}: {e}; its figures come from Patroni REST",
                                c.name
                            ));
                        }
                    }
                }
            }
            out
        })
    }

    /// etcd is down: read the default cluster from the local node's REST API
    /// (a patroni.yml names it in `restapi.connect_address`).
    async fn rest_fallback(&self) -> Result<(), ()> {
        let (Some(api), Some(cluster)) = (&self.config.local_rest_url, &self.config.cluster) else {
            return Err(());
        };
        let http = sources::rest::client(&self.config.rest).map_err(|_| ())?;
        sources::rest_fallback::fill_from_rest(&http, &self.config.rest, api, cluster, &self.model)
            .await
            .map_err(|_| ())
    }

    /// Maps a DCS that never answered to the right exit code.
    pub fn check_dcs(&self) -> Result<(), CliError> {
        let (etcd, rest_only) = self.model.read(|m| {
            (
                m.source(SourceId::Etcd),
                m.clusters.values().any(|c| !c.dcs.is_empty()),
            )
        });
        if etcd.last_ok.is_some() || rest_only {
            return Ok(());
        }
        let msg = etcd.last_error.map(|(_, e)| e).unwrap_or_else(|| {
            format!(
                "no answer from etcd at {} within {FIRST_DATA_DEADLINE:?}",
                self.config.etcd.endpoints.join(",")
            )
        });
        let code = etcd
            .fault
            .map(ExitCode::for_fault)
            .unwrap_or(ExitCode::Unreachable);
        Err(CliError::new(code, msg))
    }

    /// Fails with "cluster not found" (naming the clusters that do exist)
    /// when a requested cluster has no keys. The session may watch one
    /// cluster only, so the namespace is listed (keys only) to name the rest.
    pub async fn ensure_exist(&self, names: &[String]) -> Result<(), CliError> {
        let missing = self.model.read(|m| {
            names
                .iter()
                .find(|n| m.clusters.get(*n).is_none_or(|c| c.dcs.is_empty()))
                .cloned()
        });
        let Some(name) = missing else { return Ok(()) };
        let known = sources::etcd::list_keys(&self.etcd, &self.config.namespace)
            .await
            .unwrap_or_default();
        let mut clusters: Vec<String> = known
            .iter()
            .filter(|k| !k.starts_with(self.config.pgtui_prefix.as_bytes()))
            .filter_map(|k| crate::dcs::parse_key(&self.config.namespace, k))
            .map(|p| p.cluster)
            .collect();
        clusters.dedup();
        let hint = if clusters.is_empty() {
            "no clusters there at all; check the namespace (--dcs-url .../NAMESPACE or `namespace:`)".to_string()
        } else {
            format!("known clusters: {}", clusters.join(", "))
        };
        Err(CliError::new(
            ExitCode::ClusterNotFound,
            format!(
                "cluster {name:?} not found in namespace {} at {}: {hint}",
                self.config.namespace,
                self.config.etcd.endpoints.join(",")
            ),
        ))
    }

    /// [`Session::views`] with each cluster's freshness at `now`.
    pub fn views_with_freshness(
        &self,
        names: &[String],
        now: std::time::SystemTime,
    ) -> Result<Vec<(ClusterView, crate::model::freshness::ClusterFreshness)>, CliError> {
        let views = self.views(names)?;
        Ok(self.model.read(|m| {
            views
                .into_iter()
                .map(|v| {
                    let f = m
                        .clusters
                        .get(&v.name)
                        .map(|c| crate::model::freshness::cluster(m, c, &v, now))
                        .expect("a view's cluster is in the model");
                    (v, f)
                })
                .collect()
        }))
    }

    /// Views of the requested clusters; a named cluster that does not exist
    /// is an error naming the clusters that do.
    pub fn views(&self, names: &[String]) -> Result<Vec<ClusterView>, CliError> {
        self.model.read(|m| {
            let mut out = Vec::new();
            for n in names {
                match m.clusters.get(n).filter(|c| !c.dcs.is_empty()) {
                    Some(c) => out.push(cluster_view(c)),
                    None => return Err(not_found(m, n, &self.config)),
                }
            }
            if names.is_empty() {
                out.extend(
                    m.clusters
                        .values()
                        .filter(|c| !c.dcs.is_empty())
                        .map(|c| cluster_view(c)),
                );
            }
            Ok(out)
        })
    }
}

pub fn not_found(m: &Model, name: &str, config: &Config) -> CliError {
    let known: Vec<&str> = m
        .clusters
        .iter()
        .filter(|(_, c)| !c.dcs.is_empty())
        .map(|(n, _)| n.as_str())
        .collect();
    let hint = if known.is_empty() {
        "no clusters there at all; check the namespace (--dcs-url .../NAMESPACE or `namespace:`)"
            .to_string()
    } else {
        format!("known clusters: {}", known.join(", "))
    };
    CliError::new(
        ExitCode::ClusterNotFound,
        format!(
            "cluster {name:?} not found in namespace {} at {}: {hint}",
            config.namespace,
            config.etcd.endpoints.join(",")
        ),
    )
}

/// The clusters a command is about: the ones named, else the default one,
/// else (empty) all of them.
pub fn target_clusters(named: &[String], config: &Config) -> Vec<String> {
    if !named.is_empty() {
        return named.to_vec();
    }
    config.cluster.clone().into_iter().collect()
}

pub fn scope_for(names: &[String]) -> Scope {
    if names.is_empty() {
        Scope::all()
    } else {
        Scope::only(names.to_vec())
    }
}

/// The one cluster a single-cluster command is about.
pub fn one_cluster(arg: &Option<String>, config: &Config) -> Result<String, CliError> {
    arg.clone()
        .or_else(|| config.cluster.clone())
        .ok_or_else(|| {
            CliError::new(
                ExitCode::Usage,
                "no cluster given: name one, or pass --cluster, or set `scope:` in the config file",
            )
        })
}
