//! Patroni REST: `GET /patroni` of every known member, on an interval.
//!
//! Members are discovered from the DCS (`api_url` in `members/<name>`). The
//! endpoint answers from the member's local state even when etcd is down,
//! which keeps per-member facts live during a DCS outage. `/cluster` and
//! `/history` do not (they hang for seconds when etcd is unreachable), so they
//! are only used by one-shot fallbacks with short timeouts.
//!
//! Every request here is a GET, and none carries the REST credentials:
//! Patroni asks for them only on its unsafe (writing) endpoints, and a
//! member's `api_url` is whatever anyone who can write its DCS key put
//! there. Only the ops layer sends them ([`crate::ops::rest_call::send`]).

use super::Scope;
use crate::config::RestConfig;
use crate::model::rest::RestStatus;
use crate::model::source::Round;
use crate::model::{ModelHandle, SourceId, Sourced};
use std::time::{Duration, SystemTime};

#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error("Patroni REST {url}: cannot connect: {reason}; check that Patroni runs there")]
    Unreachable { url: String, reason: String },
    #[error("Patroni REST {url}: authentication failed (HTTP {status}); check ctl.authentication / restapi.authentication")]
    Auth { url: String, status: u16 },
    #[error("Patroni REST {url}: HTTP {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("Patroni REST {url}: unexpected response: {reason}")]
    Decode { url: String, reason: String },
    #[error("Patroni REST client setup failed: {0}; check the ctl/restapi TLS files")]
    Setup(String),
}

/// Builds the HTTP client once, with auth-independent settings (TLS, timeout).
/// It follows no redirect: Patroni sends none, and following one would
/// carry an operation's request (and its credentials) to another address.
pub fn client(cfg: &RestConfig) -> Result<reqwest::Client, RestError> {
    let mut b = reqwest::Client::builder()
        .timeout(cfg.timeout)
        .connect_timeout(cfg.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    if let Some(ca) = &cfg.tls.cacert {
        let pem = crate::config::file::read_bytes(ca)
            .map_err(|e| RestError::Setup(format!("{}: {e}", ca.display())))?;
        let cert = reqwest::Certificate::from_pem(&pem)
            .map_err(|e| RestError::Setup(format!("{}: {e}", ca.display())))?;
        b = b.add_root_certificate(cert);
    }
    if let (Some(c), Some(k)) = (&cfg.tls.cert, &cfg.tls.key) {
        let mut pem = crate::config::file::read_bytes(c)
            .map_err(|e| RestError::Setup(format!("{}: {e}", c.display())))?;
        pem.extend(
            crate::config::file::read_bytes(k)
                .map_err(|e| RestError::Setup(format!("{}: {e}", k.display())))?,
        );
        let id = reqwest::Identity::from_pem(&pem)
            .map_err(|e| RestError::Setup(format!("client certificate: {e}")))?;
        b = b.identity(id);
    }
    if cfg.insecure {
        b = b.danger_accept_invalid_certs(true);
    }
    b.build().map_err(|e| RestError::Setup(e.to_string()))
}

/// `http://host:8008/patroni` → `http://host:8008`.
pub fn base_url(api_url: &str) -> String {
    api_url
        .trim_end_matches('/')
        .trim_end_matches("/patroni")
        .to_string()
}

/// GETs `base + path` (without credentials, see the module docs) within
/// `timeout` and decodes JSON.
pub async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    timeout: Duration,
    base: &str,
    path: &str,
) -> Result<T, RestError> {
    let target = format!("{base}{path}");
    // The address comes from the DCS; it is shown without any userinfo.
    let url = crate::config::userinfo::redact(&target);
    let resp = http
        .get(&target)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| RestError::Unreachable {
            url: url.clone(),
            reason: super::error_chain(&e),
        })?;
    let status = resp.status().as_u16();
    if status == 401 || status == 403 {
        return Err(RestError::Auth { url, status });
    }
    let body = resp.bytes().await.map_err(|e| RestError::Unreachable {
        url: url.clone(),
        reason: super::error_chain(&e),
    })?;
    // Health endpoints answer 503 with a valid body; /patroni answers 200.
    if !(200..300).contains(&status) && status != 503 {
        return Err(RestError::Status {
            url,
            status,
            body: crate::dcs::decode::printable_raw(&body[..body.len().min(200)]),
        });
    }
    crate::text::json_escaped(&body).map_err(|e| RestError::Decode {
        url,
        reason: e.to_string(),
    })
}

/// Requests in flight at once: a fleet round is thousands of members, and
/// a console must not open thousands of sockets at once.
pub const PARALLEL: usize = 64;
/// How often the fleet rows on screen (not in focus) are asked.
pub const GLANCE_EVERY: Duration = Duration::from_secs(15);

/// One polling round over every member of the clusters in `lane`.
pub async fn poll_once(
    http: &reqwest::Client,
    cfg: &RestConfig,
    scope: &Scope,
    lane: super::Lane,
    model: &ModelHandle,
) {
    use futures::StreamExt;
    let targets: Vec<(String, String, String)> = model.read(|m| {
        scope
            .picked(m, lane)
            .into_iter()
            .flat_map(|c| {
                c.rest_targets()
                    .map(|(name, api)| (c.name.clone(), name.clone(), base_url(api)))
            })
            .collect()
    });
    if targets.is_empty() {
        return;
    }
    // Built first, then streamed: a stream over a borrowing closure is not
    // `Send` (a known limit of the compiler's higher-ranked inference).
    let asks: Vec<_> = targets
        .iter()
        .map(|(_, _, base)| get_json::<RestStatus>(http, cfg.timeout, base, "/patroni"))
        .collect();
    let results: Vec<_> = futures::stream::iter(asks)
        .buffered(PARALLEL)
        .collect()
        .await;
    let now = SystemTime::now();
    model.update(|m| {
        let mut round = Round::default();
        for ((cluster, member, _), r) in targets.iter().zip(results) {
            let c = m.cluster_mut(cluster);
            match r {
                Ok(st) => {
                    round.answered();
                    c.rest
                        .insert(member.clone(), Sourced::new(st, SourceId::Rest, now));
                    c.rest_errors.remove(member);
                }
                Err(e) => {
                    let msg = e.to_string();
                    c.rest_errors.insert(member.clone(), (now, msg.clone()));
                    round.failed(msg, matches!(e, RestError::Auth { .. }));
                }
            }
        }
        let s = m.source_mut(SourceId::Rest);
        round.record(s, now);
    });
}

/// The source task: the clusters in full view every `poll_interval`, and
/// right away when the DCS brings a member not polled yet (or the focus
/// moves to a cluster never asked); beside it, the fleet rows on screen
/// every [`GLANCE_EVERY`], and at once when a row first shows.
pub async fn run(cfg: RestConfig, scope: Scope, model: ModelHandle) {
    let http = match client(&cfg) {
        Ok(c) => c,
        Err(e) => {
            model.update(|m| {
                m.source_mut(SourceId::Rest)
                    .failed(SystemTime::now(), e.to_string())
            });
            return;
        }
    };
    let slow = GLANCE_EVERY.max(cfg.poll_interval);
    futures::join!(
        lane(
            &http,
            &cfg,
            &scope,
            super::Lane::Rest,
            cfg.poll_interval,
            &model
        ),
        lane(&http, &cfg, &scope, super::Lane::Glance, slow, &model)
    );
}

/// One lane's rounds: every `every`, and at once for a member not asked.
async fn lane(
    http: &reqwest::Client,
    cfg: &RestConfig,
    scope: &Scope,
    lane: super::Lane,
    every: Duration,
    model: &ModelHandle,
) {
    let mut rounds = super::rounds::Rounds::new(model, every);
    let due = |m: &crate::model::Model| scope.picked(m, lane).iter().any(|c| c.rest_pending());
    while rounds.next_when(model, due).await {
        poll_once(http, cfg, scope, lane, model).await;
    }
}
