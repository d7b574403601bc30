//! etcd v3 list + watch of Patroni's keys.
//!
//! List the prefix, then watch from the list's revision + 1, so no change is
//! missed between the two. When the watch is cancelled, compacted past our
//! revision, or the connection stops answering, re-list and re-watch with
//! backoff. A re-list replaces this source's data wholesale, so keys deleted
//! while we were away disappear too. While down, the source is marked stale;
//! the last data stays, but is never presented as current.

use super::Scope;
use crate::config::EtcdConfig;
use crate::dcs::parse_key;
use crate::model::{ModelHandle, SourceId};
use etcd_client::{Client, ConnectOptions, EventType, GetOptions, WatchOptions};
use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

/// How often an idle watch checks that etcd still answers. A SIGSTOPped etcd
/// keeps its TCP connections open and a watch on it just goes quiet.
const PROBE_EVERY: Duration = Duration::from_secs(1);
const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error)]
pub enum EtcdError {
    #[error("cannot reach etcd at {endpoints}: {reason}; check that etcd runs and the endpoints (--dcs-url, etcd3.hosts) are right")]
    Unreachable { endpoints: String, reason: String },
    #[error(
        "etcd at {endpoints} rejected the credentials: {reason}; check etcd3.username/password"
    )]
    Auth { endpoints: String, reason: String },
    #[error("etcd at {endpoints}: {reason}")]
    Other { endpoints: String, reason: String },
    #[error("cannot read TLS file {path}: {reason}")]
    TlsFile { path: String, reason: String },
}

impl EtcdError {
    pub fn is_auth(&self) -> bool {
        matches!(self, EtcdError::Auth { .. })
    }

    fn classify(cfg: &EtcdConfig, e: etcd_client::Error) -> Self {
        let endpoints = cfg.endpoints.join(",");
        let reason = e.to_string();
        let lower = reason.to_lowercase();
        if lower.contains("authentication failed")
            || lower.contains("invalid auth token")
            || lower.contains("user name is empty")
            || lower.contains("permission denied")
        {
            EtcdError::Auth { endpoints, reason }
        } else if lower.contains("transport")
            || lower.contains("connect")
            || lower.contains("unavailable")
            || lower.contains("deadline")
            || lower.contains("timed out")
        {
            EtcdError::Unreachable { endpoints, reason }
        } else {
            EtcdError::Other { endpoints, reason }
        }
    }
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, EtcdError> {
    std::fs::read(path).map_err(|e| EtcdError::TlsFile {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Connects with the configured credentials and TLS.
pub async fn connect(cfg: &EtcdConfig) -> Result<Client, EtcdError> {
    let mut opts = ConnectOptions::new()
        .with_connect_timeout(REQUEST_TIMEOUT)
        .with_timeout(REQUEST_TIMEOUT)
        .with_keep_alive(Duration::from_secs(2), Duration::from_secs(2));
    if let (Some(u), Some(p)) = (&cfg.username, &cfg.password) {
        opts = opts.with_user(u.clone(), p.expose().to_string());
    }
    if let Some(tls) = &cfg.tls {
        let mut t = etcd_client::TlsOptions::new();
        if let Some(ca) = &tls.cacert {
            t = t.ca_certificate(etcd_client::Certificate::from_pem(read_file(ca)?));
        }
        if let (Some(c), Some(k)) = (&tls.cert, &tls.key) {
            t = t.identity(etcd_client::Identity::from_pem(
                read_file(c)?,
                read_file(k)?,
            ));
        }
        opts = opts.with_tls(t);
    }
    let connect = Client::connect(cfg.endpoints.clone(), Some(opts));
    match tokio::time::timeout(REQUEST_TIMEOUT, connect).await {
        Ok(r) => r.map_err(|e| EtcdError::classify(cfg, e)),
        Err(_) => Err(EtcdError::Unreachable {
            endpoints: cfg.endpoints.join(","),
            reason: "connection timed out".into(),
        }),
    }
}

/// One consistent read of the prefix: its revision and key/values.
pub async fn list(
    client: &mut Client,
    cfg: &EtcdConfig,
    prefix: &str,
) -> Result<(i64, Vec<(Vec<u8>, Vec<u8>, i64)>), EtcdError> {
    let get = client.get(prefix, Some(GetOptions::new().with_prefix()));
    let resp = match tokio::time::timeout(REQUEST_TIMEOUT, get).await {
        Ok(r) => r.map_err(|e| EtcdError::classify(cfg, e))?,
        Err(_) => {
            return Err(EtcdError::Unreachable {
                endpoints: cfg.endpoints.join(","),
                reason: "list timed out".into(),
            })
        }
    };
    let rev = resp.header().map(|h| h.revision()).unwrap_or(0);
    Ok((
        rev,
        resp.kvs()
            .iter()
            .map(|kv| (kv.key().to_vec(), kv.value().to_vec(), kv.mod_revision()))
            .collect(),
    ))
}

/// Keys (only) under a prefix.
pub async fn list_keys(
    client: &mut Client,
    cfg: &EtcdConfig,
    prefix: &str,
) -> Result<Vec<Vec<u8>>, EtcdError> {
    let get = client.get(
        prefix,
        Some(GetOptions::new().with_prefix().with_keys_only()),
    );
    match tokio::time::timeout(REQUEST_TIMEOUT, get).await {
        Ok(r) => Ok(r
            .map_err(|e| EtcdError::classify(cfg, e))?
            .kvs()
            .iter()
            .map(|kv| kv.key().to_vec())
            .collect()),
        Err(_) => Err(EtcdError::Unreachable {
            endpoints: cfg.endpoints.join(","),
            reason: "list timed out".into(),
        }),
    }
}

/// Replaces everything this source knows under `prefix` with a fresh list.
pub fn apply_list(
    model: &ModelHandle,
    scope: &Scope,
    kvs: &[(Vec<u8>, Vec<u8>, i64)],
    at: SystemTime,
) {
    model.update(|m| {
        let ns = m.namespace.clone();
        for c in m.clusters.values_mut() {
            if scope.includes(&c.name) {
                c.dcs = Default::default();
            }
        }
        let mut seen = BTreeSet::new();
        for (k, v, rev) in kvs {
            if let Some(p) = parse_key(&ns, k) {
                if scope.includes(&p.cluster) {
                    seen.insert(p.cluster.clone());
                    m.cluster_mut(&p.cluster)
                        .dcs
                        .apply(&p.kind, Some(v), *rev, SourceId::Etcd, at);
                }
            }
        }
        // A cluster whose keys are all gone, and that no other source knows
        // of, is gone.
        m.clusters
            .retain(|name, c| seen.contains(name) || !c.rest.is_empty() || !c.dcs.is_empty());
        m.source_mut(SourceId::Etcd).ok(at);
    });
}

async fn backoff(attempt: &mut u32) {
    let ms = (250u64 << (*attempt).min(5)).min(5000);
    *attempt += 1;
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

fn failed(model: &ModelHandle, e: &EtcdError) {
    let now = SystemTime::now();
    let msg = e.to_string();
    model.update(|m| {
        let s = m.source_mut(SourceId::Etcd);
        s.failed(now, msg);
        s.auth_failed = e.is_auth();
    });
}

/// How a watch ended.
enum WatchEnd {
    /// Compacted past our revision, or cancelled: only a fresh list will do.
    Relist,
    /// The connection failed; resuming from the last revision may still work.
    Lost(EtcdError),
}

/// The source task: runs until aborted.
///
/// After a lost connection it first tries to resume the watch from the last
/// revision it saw (cheap for a large fleet); etcd answers with a compaction
/// notice if that history is gone, and only then does it re-list.
pub async fn run(cfg: EtcdConfig, namespace: String, scope: Scope, model: ModelHandle) {
    let prefix = scope.prefix(&namespace);
    let mut attempt = 0u32;
    let mut resume: Option<i64> = None;
    loop {
        let mut client = match connect(&cfg).await {
            Ok(c) => c,
            Err(e) => {
                failed(&model, &e);
                backoff(&mut attempt).await;
                continue;
            }
        };
        let mut rev = match resume.take() {
            Some(rev) => rev,
            None => match list(&mut client, &cfg, &prefix).await {
                Ok((rev, kvs)) => {
                    apply_list(&model, &scope, &kvs, SystemTime::now());
                    rev
                }
                Err(e) => {
                    failed(&model, &e);
                    backoff(&mut attempt).await;
                    continue;
                }
            },
        };
        match watch(
            &mut client,
            &cfg,
            &namespace,
            &prefix,
            &scope,
            &mut rev,
            &model,
            &mut attempt,
        )
        .await
        {
            WatchEnd::Relist => {
                model.update(|m| m.source_mut(SourceId::Etcd).resyncs += 1);
            }
            WatchEnd::Lost(e) => {
                failed(&model, &e);
                resume = Some(rev);
                backoff(&mut attempt).await;
            }
        }
    }
}

fn unreachable_err(cfg: &EtcdConfig, reason: &str) -> EtcdError {
    EtcdError::Unreachable {
        endpoints: cfg.endpoints.join(","),
        reason: reason.into(),
    }
}

/// Follows changes after `rev`, advancing it as responses arrive.
#[allow(clippy::too_many_arguments)]
async fn watch(
    client: &mut Client,
    cfg: &EtcdConfig,
    namespace: &str,
    prefix: &str,
    scope: &Scope,
    rev: &mut i64,
    model: &ModelHandle,
    attempt: &mut u32,
) -> WatchEnd {
    let opts = WatchOptions::new()
        .with_prefix()
        .with_start_revision(*rev + 1)
        .with_progress_notify();
    let (_watcher, mut stream) =
        match tokio::time::timeout(REQUEST_TIMEOUT, client.watch(prefix, Some(opts))).await {
            Ok(Ok(w)) => w,
            Ok(Err(e)) => return WatchEnd::Lost(EtcdError::classify(cfg, e)),
            Err(_) => return WatchEnd::Lost(unreachable_err(cfg, "watch timed out")),
        };
    let mut probe = tokio::time::interval(PROBE_EVERY);
    probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            msg = stream.message() => {
                let resp = match msg {
                    Ok(Some(r)) => r,
                    Ok(None) => return WatchEnd::Lost(unreachable_err(cfg, "watch stream closed")),
                    Err(e) => return WatchEnd::Lost(EtcdError::classify(cfg, e)),
                };
                if resp.compact_revision() > 0 || resp.canceled() {
                    return WatchEnd::Relist;
                }
                *attempt = 0;
                let now = SystemTime::now();
                model.update(|m| {
                    for ev in resp.events() {
                        let Some(kv) = ev.kv() else { continue };
                        *rev = (*rev).max(kv.mod_revision());
                        let Some(p) = parse_key(namespace, kv.key()) else { continue };
                        if !scope.includes(&p.cluster) { continue; }
                        let value = match ev.event_type() {
                            EventType::Put => Some(kv.value()),
                            EventType::Delete => None,
                        };
                        m.cluster_mut(&p.cluster).dcs.apply(&p.kind, value, kv.mod_revision(), SourceId::Etcd, now);
                    }
                    m.clusters.retain(|_, c| !c.dcs.is_empty() || !c.rest.is_empty());
                    m.source_mut(SourceId::Etcd).ok(now);
                });
            }
            _ = probe.tick() => {
                // A SIGSTOPped etcd keeps its connections open and a watch on
                // it just goes quiet: only a request with a deadline tells.
                // The probe reads pgtui's operation locks, so the console
                // shows who is operating on a cluster within a second.
                let get = client.get(crate::model::lock::prefix(namespace), Some(GetOptions::new().with_prefix()));
                match tokio::time::timeout(PROBE_TIMEOUT, get).await {
                    Ok(Ok(resp)) => {
                        let now = SystemTime::now();
                        let kvs: Vec<(Vec<u8>, Vec<u8>)> = resp.kvs().iter().map(|kv| (kv.key().to_vec(), kv.value().to_vec())).collect();
                        let locks = crate::model::lock::parse(namespace, &kvs);
                        if model.read(|m| m.locks != locks) {
                            model.update(|m| { m.locks = locks; m.source_mut(SourceId::Etcd).last_ok = Some(now); });
                        } else {
                            model.update_quiet(|m| m.source_mut(SourceId::Etcd).last_ok = Some(now));
                        }
                    }
                    Ok(Err(e)) => return WatchEnd::Lost(EtcdError::classify(cfg, e)),
                    Err(_) => return WatchEnd::Lost(unreachable_err(cfg, "etcd stopped answering")),
                }
            }
        }
    }
}
