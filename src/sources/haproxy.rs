//! HAProxy stats: `GET …/stats;csv` of every HAProxy in front of each cluster
//! in scope, every 2 s.
//!
//! Endpoints come from `[haproxy.<cluster>] stats_urls` in pgtui's settings;
//! without them, one HAProxy per member host is looked for: at the stats
//! listener a local HAProxy config declares, then Pigsty's `:9101/stats` and
//! autobase's and Percona's `:7000/`, keeping the first that answers. Each endpoint keeps its last good read;
//! a failure is recorded next to it (and in the source's health), so the
//! console shows the old routing as stale rather than as gone.

use super::Scope;
use crate::config::{Config, Secret};
use crate::model::haproxy::{parse_stats_csv, ParseError};
use crate::model::source::Round;
use crate::model::{ModelHandle, SourceId, Sourced};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

pub const POLL_INTERVAL: Duration = Duration::from_secs(2);
pub const TIMEOUT: Duration = Duration::from_millis(1500);

#[derive(Debug, thiserror::Error)]
pub enum HaproxyError {
    #[error("HAProxy stats at {url} need credentials: set [haproxy.{cluster}] user/password in pgtui's settings")]
    NeedsCredentials { url: String, cluster: String },
    #[error("HAProxy stats at {url} rejected the credentials (HTTP {status}): check [haproxy.{cluster}] user/password")]
    BadCredentials {
        url: String,
        cluster: String,
        status: u16,
    },
    #[error("HAProxy stats at {url}: cannot connect: {reason}; check that HAProxy runs there, or set [haproxy.{cluster}] stats_urls")]
    Unreachable {
        url: String,
        cluster: String,
        reason: String,
    },
    #[error("HAProxy stats at {url}: HTTP {status}; check [haproxy.{cluster}] stats_urls (they end in /stats;csv)")]
    Status {
        url: String,
        cluster: String,
        status: u16,
    },
    #[error("HAProxy stats at {url}: {source}")]
    Parse {
        url: String,
        #[source]
        source: ParseError,
    },
    #[error("HAProxy HTTP client setup failed: {0}")]
    Setup(String),
}

impl HaproxyError {
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            HaproxyError::NeedsCredentials { .. } | HaproxyError::BadCredentials { .. }
        )
    }
}

/// One stats endpoint to read.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub cluster: String,
    pub url: String,
    /// Other stats URLs to try on this host when `url` does not answer
    /// (discovery; empty for configured URLs).
    pub alternatives: Vec<String>,
    pub user: Option<String>,
    pub password: Option<Secret>,
}

/// The stats endpoints of every cluster in scope: configured ones, else one
/// per DCS member host on Pigsty's stats port.
pub fn targets(config: &Config, scope: &Scope, model: &ModelHandle) -> Vec<Target> {
    targets_with(config, scope, model, &[])
}

/// [`targets`], with the local HAProxy configs for discovery.
pub fn targets_with(
    config: &Config,
    scope: &Scope,
    model: &ModelHandle,
    cfgs: &[crate::model::haproxy::layout::CfgProxy],
) -> Vec<Target> {
    let member_hosts: Vec<(String, BTreeSet<String>)> = model.read(|m| {
        scope
            .picked(m, super::Lane::Full)
            .into_iter()
            .map(|c| {
                let hosts = c
                    .dcs
                    .members
                    .values()
                    .filter_map(|e| e.value.ok()?.host_port().0)
                    .collect();
                (c.name.clone(), hosts)
            })
            .collect()
    });
    let mut out = Vec::new();
    for (cluster, hosts) in member_hosts {
        match config
            .haproxy
            .get(&cluster)
            .filter(|h| !h.stats_urls.is_empty())
        {
            Some(h) => out.extend(h.stats_urls.iter().map(|u| Target {
                cluster: cluster.clone(),
                url: u.clone(),
                alternatives: vec![],
                user: h.user.clone(),
                password: h.password.clone(),
            })),
            None => {
                let creds = config.haproxy.get(&cluster);
                out.extend(hosts.iter().map(|h| {
                    let mut c = crate::model::haproxy::layout::stats_candidates(h, cfgs);
                    let url = c.remove(0);
                    Target {
                        cluster: cluster.clone(),
                        url,
                        alternatives: c,
                        user: creds.and_then(|c| c.user.clone()),
                        password: creds.and_then(|c| c.password.clone()),
                    }
                }))
            }
        }
    }
    out
}

pub fn client() -> Result<reqwest::Client, HaproxyError> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .no_proxy()
        .build()
        .map_err(|e| HaproxyError::Setup(e.to_string()))
}

/// Reads and parses one stats endpoint.
pub async fn fetch(
    http: &reqwest::Client,
    t: &Target,
) -> Result<Vec<crate::model::haproxy::Proxy>, HaproxyError> {
    let mut req = http.get(&t.url);
    if let Some(u) = &t.user {
        req = req.basic_auth(u, t.password.as_ref().map(Secret::expose));
    }
    let unreachable = |e: reqwest::Error| HaproxyError::Unreachable {
        url: t.url.clone(),
        cluster: t.cluster.clone(),
        reason: super::error_chain(&e),
    };
    let resp = req.send().await.map_err(unreachable)?;
    let status = resp.status().as_u16();
    match status {
        401 | 403 if t.user.is_none() => {
            return Err(HaproxyError::NeedsCredentials {
                url: t.url.clone(),
                cluster: t.cluster.clone(),
            })
        }
        401 | 403 => {
            return Err(HaproxyError::BadCredentials {
                url: t.url.clone(),
                cluster: t.cluster.clone(),
                status,
            })
        }
        200..=299 => {}
        _ => {
            return Err(HaproxyError::Status {
                url: t.url.clone(),
                cluster: t.cluster.clone(),
                status,
            })
        }
    }
    let body = resp.text().await.map_err(unreachable)?;
    parse_stats_csv(&body).map_err(|source| HaproxyError::Parse {
        url: t.url.clone(),
        source,
    })
}

/// `t.url`, else its alternatives in order: the first that answers, with
/// the URL that did. All failing: the first URL's error.
async fn fetch_any(
    http: &reqwest::Client,
    t: &Target,
) -> (
    String,
    Result<Vec<crate::model::haproxy::Proxy>, HaproxyError>,
) {
    let first = fetch(http, t).await;
    if first.is_ok() || t.alternatives.is_empty() {
        return (t.url.clone(), first);
    }
    for alt in &t.alternatives {
        let other = Target {
            url: alt.clone(),
            ..t.clone()
        };
        if let Ok(p) = fetch(http, &other).await {
            return (alt.clone(), Ok(p));
        }
    }
    (t.url.clone(), first)
}

/// One round over `targets`: publishes results, keeps old data on errors.
/// Returns the URL that answered for each target that discovered one.
pub async fn poll_once(
    http: &reqwest::Client,
    targets: &[Target],
    model: &ModelHandle,
    cfgs: &[crate::model::haproxy::layout::CfgProxy],
) -> Vec<(String, String)> {
    if targets.is_empty() {
        return vec![];
    }
    let results = futures::future::join_all(targets.iter().map(|t| fetch_any(http, t))).await;
    let found: Vec<(String, String)> = targets
        .iter()
        .zip(&results)
        .filter(|(t, (u, r))| !t.alternatives.is_empty() && r.is_ok() && *u != t.url)
        .map(|(t, (u, _))| (t.url.clone(), u.clone()))
        .collect();
    let now = SystemTime::now();
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (t, (u, _)) in targets.iter().zip(&results) {
        wanted
            .entry(t.cluster.clone())
            .or_default()
            .insert(u.clone());
    }
    model.update(|m| {
        let mut round = Round::default();
        for (t, (url, r)) in targets.iter().zip(results) {
            let h = &mut m.cluster_mut(&t.cluster).haproxy;
            match r {
                Ok(mut proxies) => {
                    crate::model::haproxy::layout::fill_server_addrs(&url, &mut proxies, cfgs);
                    round.answered();
                    h.endpoints
                        .insert(url.clone(), Sourced::new(proxies, SourceId::Haproxy, now));
                    h.errors.remove(&url);
                }
                Err(e) => {
                    let mut msg = e.to_string();
                    if !t.alternatives.is_empty() {
                        msg = format!(
                            "{msg} (also tried {}; or set [haproxy.{}] stats_urls)",
                            t.alternatives.join(", "),
                            t.cluster
                        );
                    }
                    h.errors.insert(url.clone(), (now, msg.clone()));
                    round.failed(msg, e.is_auth());
                }
            }
        }
        // Endpoints no longer configured or whose member left the DCS.
        for (cluster, urls) in &wanted {
            let h = &mut m.cluster_mut(cluster).haproxy;
            h.endpoints.retain(|u, _| urls.contains(u.as_str()));
            h.errors.retain(|u, _| urls.contains(u.as_str()));
        }
        let s = m.source_mut(SourceId::Haproxy);
        round.record(s, now);
    });
    found
}

/// The source task.
pub async fn run(config: Config, scope: Scope, model: ModelHandle) {
    let http = match client() {
        Ok(c) => c,
        Err(e) => {
            model.update(|m| {
                m.source_mut(SourceId::Haproxy)
                    .failed(SystemTime::now(), e.to_string())
            });
            return;
        }
    };
    let mut configs = super::haproxy_cfg::Configs::new();
    // Discovered stats URL per host (keyed by its first candidate), tried
    // first from then on; the other candidates stay as fallbacks.
    let mut chosen: BTreeMap<String, String> = BTreeMap::new();
    let mut rounds = super::rounds::Rounds::new(&model, POLL_INTERVAL);
    while rounds.next(&model, &scope, |_| false).await {
        let cfgs = configs.current().await;
        let mut t = targets_with(&config, &scope, &model, cfgs);
        for x in t.iter_mut().filter(|x| !x.alternatives.is_empty()) {
            if let Some(c) = chosen.get(&x.url) {
                let first = std::mem::replace(&mut x.url, c.clone());
                x.alternatives.retain(|a| a != c);
                x.alternatives.insert(0, first);
            }
        }
        for (first, found) in poll_once(&http, &t, &model, cfgs).await {
            let key = chosen
                .iter()
                .find(|(_, v)| **v == first)
                .map(|(k, _)| k.clone())
                .unwrap_or(first);
            chosen.insert(key, found);
        }
    }
}
