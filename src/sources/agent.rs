//! The node agents: each cluster's backups, from the agent beside its leader.
//!
//! Agents are found in etcd (the etcd source reads their registrations with
//! pgtui's other keys). Each round asks one agent per cluster in scope for
//! `GET /v1/backups`: the leader's, because `pg_stat_archiver` means
//! something only there; another member's when the leader has none, with
//! the archiving health then marked as unknown. A focused session polls
//! every `agent.poll_interval`; the whole fleet every minute, four clusters
//! at a time, since each answer costs its node a `pgbackrest info`.
//!
//! The bearer token goes only to an agent's registered URL. A failure keeps
//! the last report and records why, per cluster and for the source.

use super::{Lane, Scope};
use crate::config::AgentClientConfig;
use crate::model::agent::AgentReg;
use crate::model::backup::report::BackupReport;
use crate::model::source::Round;
use crate::model::{Model, ModelHandle, SourceId, Sourced};
use futures::StreamExt;
use std::time::{Duration, SystemTime};

const FLEET_EVERY: Duration = Duration::from_secs(60);
const FLEET_CONCURRENCY: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("no pgtui agent is registered for {cluster}; start `pgtui agent` beside Patroni on its nodes")]
    NoAgent { cluster: String },
    #[error("the agent of {member} registered an unreadable entry ({what}); restart that agent")]
    BadRegistration { member: String, what: String },
    #[error("no agent token: set PGTUI_AGENT_TOKEN or [agent] token_file in the settings")]
    NoToken,
    #[error("agent {url}: cannot connect: {reason}; check that `pgtui agent` runs there")]
    Unreachable { url: String, reason: String },
    #[error("agent {url}: token rejected (HTTP 401); use the token the agents were started with")]
    Unauthorized { url: String },
    #[error("agent {url}: HTTP {status}: {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    #[error("agent {url}: unexpected answer: {reason}")]
    Decode { url: String, reason: String },
    #[error("agent client setup failed: {0}; check [agent] cacert")]
    Setup(String),
}

impl AgentError {
    pub fn is_auth(&self) -> bool {
        matches!(self, AgentError::Unauthorized { .. } | AgentError::NoToken)
    }
}

/// The HTTP client for agents: the configured CA, no proxy, no redirects.
pub fn client(cfg: &AgentClientConfig) -> Result<reqwest::Client, AgentError> {
    let mut b = reqwest::Client::builder()
        .timeout(cfg.timeout)
        .connect_timeout(cfg.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    if let Some(ca) = &cfg.cacert {
        let pem = crate::config::file::read_bytes(ca)
            .map_err(|e| AgentError::Setup(format!("{}: {e}", ca.display())))?;
        let cert = reqwest::Certificate::from_pem(&pem)
            .map_err(|e| AgentError::Setup(format!("{}: {e}", ca.display())))?;
        b = b.add_root_certificate(cert);
    }
    b.build().map_err(|e| AgentError::Setup(e.to_string()))
}

/// Sends one request to the agent at `base` (its registered URL) with the
/// bearer token and decodes its JSON answer. Shared by this source and the
/// ops layer's jobs.
pub async fn call<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    cfg: &AgentClientConfig,
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<&serde_json::Value>,
    timeout: Duration,
) -> Result<T, AgentError> {
    let token = cfg.token.as_ref().ok_or(AgentError::NoToken)?;
    let url = crate::config::userinfo::redact(&format!("{base}{path}"));
    let mut req = http
        .request(method, format!("{base}{path}"))
        .timeout(timeout)
        .bearer_auth(token.expose());
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = req.send().await.map_err(|e| AgentError::Unreachable {
        url: url.clone(),
        reason: super::error_chain(&e),
    })?;
    let status = resp.status().as_u16();
    if status == 401 {
        return Err(AgentError::Unauthorized { url });
    }
    let body = resp.bytes().await.map_err(|e| AgentError::Unreachable {
        url: url.clone(),
        reason: super::error_chain(&e),
    })?;
    if !(200..300).contains(&status) {
        let message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
            .unwrap_or_else(|| crate::dcs::decode::printable_raw(&body[..body.len().min(300)]));
        return Err(AgentError::Status {
            url,
            status,
            message: crate::text::escape(&message).into_owned(),
        });
    }
    crate::text::json_escaped(&body).map_err(|e| AgentError::Decode {
        url,
        reason: e.to_string(),
    })
}

/// The agent to ask for `cluster`: the leader's, else any registered one,
/// and whether it is the leader's.
pub fn pick(m: &Model, cluster: &str) -> Option<(AgentReg, bool)> {
    let c = m.clusters.get(cluster)?;
    let agents = &c.agents;
    let leader = c.dcs.leader.as_ref().and_then(|l| l.value.ok().cloned());
    if let Some(a) = leader.as_ref().and_then(|l| agents.get(l)) {
        return Some((a.clone(), true));
    }
    agents
        .values()
        .find(|a| !a.url.is_empty())
        .or(agents.values().next())
        .map(|a| (a.clone(), false))
}

async fn ask(
    http: &reqwest::Client,
    cfg: &AgentClientConfig,
    cluster: &str,
    target: Option<(AgentReg, bool)>,
) -> Result<BackupReport, AgentError> {
    let Some((reg, is_leader)) = target else {
        return Err(AgentError::NoAgent {
            cluster: cluster.to_string(),
        });
    };
    // An unreadable registration keeps its member and says why in `version`.
    if reg.url.is_empty() {
        return Err(AgentError::BadRegistration {
            member: reg.member.clone(),
            what: reg.version.clone(),
        });
    }
    let mut r: BackupReport = call(
        http,
        cfg,
        &reg.url,
        reqwest::Method::GET,
        "/v1/backups",
        None,
        cfg.timeout.max(Duration::from_secs(30)),
    )
    .await?;
    r.member = reg.member.clone();
    if !is_leader {
        r.archiver = None;
        r.archiver_error = Some(format!(
            "the leader has no agent; archiving health is read on the leader only (asked {})",
            reg.member
        ));
    }
    Ok(r)
}

/// One round over the clusters in `lane`.
async fn round(
    http: &reqwest::Client,
    cfg: &AgentClientConfig,
    scope: &Scope,
    lane: Lane,
    model: &ModelHandle,
) {
    let targets: Vec<(String, Option<(AgentReg, bool)>)> = model.read(|m| {
        scope
            .picked(m, lane)
            .into_iter()
            .map(|c| (c.name.clone(), pick(m, &c.name)))
            .collect()
    });
    if targets.is_empty() {
        return;
    }
    let results: Vec<(String, Result<BackupReport, AgentError>)> =
        futures::stream::iter(targets.into_iter().map(|(c, t)| async move {
            let r = ask(http, cfg, &c, t).await;
            (c, r)
        }))
        .buffer_unordered(FLEET_CONCURRENCY)
        .collect()
        .await;
    let now = SystemTime::now();
    model.update(|m| {
        let mut round = Round::default();
        for (cluster, r) in results {
            let c = m.cluster_mut(&cluster);
            match r {
                Ok(report) => {
                    round.answered();
                    c.backups = Some(Box::new(Sourced::new(report, SourceId::Agent, now)));
                    c.backups_error = None;
                }
                Err(e) => {
                    let msg = e.to_string();
                    c.backups_error = Some((now, msg.clone()));
                    // A cluster without agents, or a pgtui given no token,
                    // is a fact to show, not an outage of the source.
                    if !matches!(e, AgentError::NoAgent { .. } | AgentError::NoToken) {
                        round.failed(msg, e.is_auth());
                    }
                }
            }
        }
        round.record(m.source_mut(SourceId::Agent), now);
    });
}

/// Whether a cluster in `lane` has not been asked since pgtui's keys were
/// read: then a round runs at once.
fn pending(m: &Model, scope: &Scope, lane: Lane) -> bool {
    m.own_keys_read
        && scope
            .picked(m, lane)
            .iter()
            .any(|c| c.backups.is_none() && c.backups_error.is_none() && c.dcs.leader.is_some())
}

/// One lane's rounds: every `every`, and at once for a cluster not asked.
async fn lane(
    http: &reqwest::Client,
    cfg: &AgentClientConfig,
    scope: &Scope,
    lane: Lane,
    every: Duration,
    model: &ModelHandle,
) {
    let mut rounds = super::rounds::Rounds::new(model, every);
    while rounds.next_when(model, |m| pending(m, scope, lane)).await {
        if model.read(|m| m.own_keys_read) {
            round(http, cfg, scope, lane, model).await;
        }
    }
}

/// The clusters in full view every `poll_interval`; the fleet rows on
/// screen every [`FLEET_EVERY`].
pub async fn run(cfg: AgentClientConfig, scope: Scope, model: ModelHandle) {
    let http = match client(&cfg) {
        Ok(c) => c,
        Err(e) => {
            model.update(|m| {
                m.source_mut(SourceId::Agent)
                    .failed(SystemTime::now(), e.to_string())
            });
            return;
        }
    };
    let slow = FLEET_EVERY.max(cfg.poll_interval);
    futures::join!(
        lane(&http, &cfg, &scope, Lane::Full, cfg.poll_interval, &model),
        lane(&http, &cfg, &scope, Lane::Glance, slow, &model)
    );
}
