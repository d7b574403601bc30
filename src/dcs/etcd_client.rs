//! An etcd client that uses every endpoint, one at a time.
//!
//! etcd-client balances requests over all endpoints of one channel. A member
//! that is SIGSTOPped (or cut off) keeps its TCP connections open, so the
//! balancer keeps sending it requests that hang until their deadline: one
//! sick member then looks like etcd down. Here each endpoint has its own
//! client; a request goes to the endpoint that answered last, is bounded by
//! a per-endpoint timeout, and moves on to the next endpoint when the fault
//! is the member's (refused, timed out). Faults that every member would
//! repeat (bad credentials, a missing permission) end the request at once.
//!
//! Two details follow patronictl: when etcd says authentication is not
//! enabled, the credentials are dropped and the request goes on without
//! them; and an expired auth token is renewed by connecting again.

use super::etcd_error::{auth_not_enabled, classify, Access, EtcdError, Fault};
use crate::config::EtcdConfig;
use etcd_client::{Client, ConnectOptions};
use serde::Serialize;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// How long one endpoint gets to connect, and then to answer one request.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);
pub const REQUEST_TIMEOUT: Duration = Duration::from_millis(1500);

/// How one endpoint did when last asked.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EndpointHealth {
    pub endpoint: String,
    pub ok: bool,
    #[serde(skip)]
    pub checked: Option<SystemTime>,
    #[serde(skip)]
    pub last_ok: Option<SystemTime>,
    pub fault: Option<Fault>,
    pub error: Option<String>,
}

struct Node {
    endpoint: String,
    client: tokio::sync::Mutex<Option<Client>>,
    health: Mutex<EndpointHealth>,
}

struct Inner {
    cfg: EtcdConfig,
    /// A TLS file that could not be read: every request fails with it.
    setup: Option<EtcdError>,
    tls: Option<etcd_client::TlsOptions>,
    nodes: Vec<Node>,
    preferred: AtomicUsize,
    /// The server said authentication is not enabled: go on without it.
    auth_off: AtomicBool,
}

/// A cheap-to-clone handle on every endpoint of one etcd cluster.
#[derive(Clone)]
pub struct Etcd {
    inner: Arc<Inner>,
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, EtcdError> {
    crate::config::file::read_bytes(path).map_err(|e| {
        EtcdError::new(
            Fault::Tls,
            path.display().to_string(),
            &Access::call("read a TLS file"),
            format!("cannot read {}: {e}", path.display()),
        )
    })
}

fn host_port(endpoint: &str) -> &str {
    endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"))
        .unwrap_or(endpoint)
}

impl Etcd {
    /// Reads the TLS files now (a file that cannot be read fails every
    /// request with a message naming it); connects lazily.
    pub fn new(cfg: &EtcdConfig) -> Etcd {
        let load = || -> Result<Option<etcd_client::TlsOptions>, EtcdError> {
            let Some(files) = &cfg.tls else {
                return Ok(None);
            };
            let mut t = etcd_client::TlsOptions::new();
            if let Some(ca) = &files.cacert {
                t = t.ca_certificate(etcd_client::Certificate::from_pem(read_file(ca)?));
            }
            if let (Some(c), Some(k)) = (&files.cert, &files.key) {
                t = t.identity(etcd_client::Identity::from_pem(
                    read_file(c)?,
                    read_file(k)?,
                ));
            }
            Ok(Some(t))
        };
        let (tls, setup) = match load() {
            Ok(t) => (t, None),
            Err(e) => (None, Some(e)),
        };
        let nodes = cfg
            .endpoints
            .iter()
            .map(|e| Node {
                endpoint: e.clone(),
                client: tokio::sync::Mutex::new(None),
                health: Mutex::new(EndpointHealth {
                    endpoint: host_port(e).to_string(),
                    ..Default::default()
                }),
            })
            .collect();
        Etcd {
            inner: Arc::new(Inner {
                cfg: cfg.clone(),
                setup,
                tls,
                nodes,
                preferred: AtomicUsize::new(0),
                auth_off: AtomicBool::new(false),
            }),
        }
    }

    pub fn endpoints(&self) -> String {
        self.inner
            .nodes
            .iter()
            .map(|n| host_port(&n.endpoint))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn endpoint(&self, i: usize) -> String {
        host_port(&self.inner.nodes[i].endpoint).to_string()
    }

    /// The configured etcd user, for messages.
    pub fn user(&self) -> Option<String> {
        self.inner.cfg.username.clone()
    }

    fn err(&self, i: usize, fault: Fault, access: &Access, detail: String) -> EtcdError {
        let mut e = EtcdError::new(fault, self.endpoint(i), access, detail);
        e.user = self.inner.cfg.username.clone();
        if fault == Fault::Timeout {
            e.timeout = Some(REQUEST_TIMEOUT);
        }
        e
    }

    fn options(&self, with_user: bool) -> ConnectOptions {
        // Our own timeout (CONNECT_TIMEOUT) must fire first, so a member
        // that accepts but never answers reads as a timeout, not refused.
        let mut o = ConnectOptions::new()
            .with_connect_timeout(CONNECT_TIMEOUT + Duration::from_millis(500))
            .with_keep_alive(Duration::from_secs(2), Duration::from_secs(2))
            .with_keep_alive_while_idle(true);
        if with_user {
            if let (Some(u), Some(p)) = (&self.inner.cfg.username, &self.inner.cfg.password) {
                o = o.with_user(u.clone(), p.expose().to_string());
            }
        }
        if let Some(t) = &self.inner.tls {
            o = o.with_tls(t.clone());
        }
        o
    }

    async fn connect_once(&self, i: usize, with_user: bool) -> Result<Client, etcd_client::Error> {
        let ep = self.inner.nodes[i].endpoint.clone();
        let fut = Client::connect([ep], Some(self.options(with_user)));
        match tokio::time::timeout(CONNECT_TIMEOUT, fut).await {
            Ok(r) => r,
            Err(_) => Err(etcd_client::Error::GRpcStatus(
                tonic::Status::deadline_exceeded("no answer while connecting"),
            )),
        }
    }

    /// The endpoint's client, connecting (and authenticating) if needed.
    pub async fn client(&self, i: usize, access: &Access) -> Result<Client, EtcdError> {
        if let Some(e) = &self.inner.setup {
            return Err(e.clone());
        }
        let node = &self.inner.nodes[i];
        let mut slot = node.client.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let with_user = !self.inner.auth_off.load(Ordering::Relaxed);
        let c = match self.connect_once(i, with_user).await {
            Ok(c) => c,
            Err(e) if with_user && auth_not_enabled(&e) => {
                self.inner.auth_off.store(true, Ordering::Relaxed);
                self.connect_once(i, false).await.map_err(|e| {
                    let (f, d) = classify(&e, false);
                    self.err(i, f, access, d)
                })?
            }
            Err(e) => {
                let (f, d) = classify(&e, with_user);
                return Err(self.err(i, f, access, d));
            }
        };
        *slot = Some(c.clone());
        Ok(c)
    }

    async fn forget(&self, i: usize) {
        *self.inner.nodes[i].client.lock().await = None;
    }

    fn mark(&self, i: usize, result: Result<(), &EtcdError>) {
        let now = SystemTime::now();
        let mut h = self.inner.nodes[i]
            .health
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        h.checked = Some(now);
        match result {
            Ok(()) => {
                h.ok = true;
                h.last_ok = Some(now);
                h.fault = None;
                h.error = None;
            }
            Err(e) => {
                h.ok = false;
                h.fault = Some(e.fault);
                h.error = Some(e.detail.clone());
            }
        }
    }

    /// Endpoints in the order to try them: the last one that answered, then
    /// the healthy ones, then the rest.
    fn order(&self, avoid: Option<usize>) -> Vec<usize> {
        let n = self.inner.nodes.len();
        let first = self.inner.preferred.load(Ordering::Relaxed) % n.max(1);
        let mut v: Vec<usize> = (0..n).map(|k| (first + k) % n).collect();
        let healthy = |i: &usize| {
            let h = self.inner.nodes[*i]
                .health
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            h.ok || h.checked.is_none()
        };
        v.sort_by_key(|i| (Some(*i) == avoid, !healthy(i)));
        v
    }

    /// Runs `f` on one endpoint after another until one answers. `f` gets a
    /// client of that endpoint; each attempt is bounded by `timeout`.
    pub async fn request<T, F, Fut>(
        &self,
        access: &Access,
        timeout: Duration,
        f: F,
    ) -> Result<T, EtcdError>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        self.request_avoiding(access, timeout, None, f)
            .await
            .map(|(t, _)| t)
    }

    /// Like [`Etcd::request`], trying `avoid` last; returns which endpoint
    /// answered.
    pub async fn request_avoiding<T, F, Fut>(
        &self,
        access: &Access,
        timeout: Duration,
        avoid: Option<usize>,
        f: F,
    ) -> Result<(T, usize), EtcdError>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        let mut failures: Vec<EtcdError> = Vec::new();
        for i in self.order(avoid) {
            match self.request_on(i, access, timeout, &f).await {
                Ok(t) => {
                    self.inner.preferred.store(i, Ordering::Relaxed);
                    return Ok((t, i));
                }
                Err(e) if e.fault.try_next_endpoint() => failures.push(e),
                Err(e) => return Err(e),
            }
        }
        Err(self.all_failed(access, failures))
    }

    /// One endpoint, with one retry after renewing an expired token.
    pub async fn request_on<T, F, Fut>(
        &self,
        i: usize,
        access: &Access,
        timeout: Duration,
        f: &F,
    ) -> Result<T, EtcdError>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        let mut renewed = false;
        loop {
            let client = match self.client(i, access).await {
                Ok(c) => c,
                Err(e) => {
                    self.mark(i, Err(&e));
                    return Err(e);
                }
            };
            let e = match tokio::time::timeout(timeout, f(client)).await {
                Ok(Ok(t)) => {
                    self.mark(i, Ok(()));
                    return Ok(t);
                }
                Ok(Err(e)) => {
                    // Without credentials, etcd with auth on answers
                    // InvalidArgument ("user name is empty").
                    let (fault, detail) = classify(&e, self.inner.cfg.username.is_none());
                    self.err(i, fault, access, detail)
                }
                Err(_) => {
                    let mut e = self.err(i, Fault::Timeout, access, "no answer".into());
                    e.timeout = Some(timeout);
                    e
                }
            };
            // A connection that failed or hung is rebuilt on the next try.
            if e.fault != Fault::PermissionDenied {
                self.forget(i).await;
            }
            let has_user =
                self.inner.cfg.username.is_some() && !self.inner.auth_off.load(Ordering::Relaxed);
            if e.fault == Fault::Unauthenticated && has_user && !renewed {
                renewed = true;
                continue;
            }
            if e.fault.try_next_endpoint() {
                self.mark(i, Err(&e));
            }
            return Err(e);
        }
    }

    fn all_failed(&self, access: &Access, failures: Vec<EtcdError>) -> EtcdError {
        let fault = if !failures.is_empty() && failures.iter().all(|e| e.fault == Fault::Timeout) {
            Fault::Timeout
        } else if failures.iter().any(|e| e.fault == Fault::Tls) {
            Fault::Tls
        } else {
            Fault::Unavailable
        };
        let detail = failures
            .iter()
            .map(|e| format!("{}: {}", e.endpoints, e.detail))
            .collect::<Vec<_>>()
            .join("; ");
        let mut e = EtcdError::new(fault, self.endpoints(), access, detail);
        e.user = self.inner.cfg.username.clone();
        e.timeout = (fault == Fault::Timeout).then_some(REQUEST_TIMEOUT);
        e
    }

    /// Asks every endpoint at once for a linearizable count of `key`'s
    /// prefix (a key the credential may read: with auth on, etcd 3.4.42+
    /// lets only root ask for a member's status); returns how each did.
    pub async fn probe_all(&self, key: &str) -> Vec<EndpointHealth> {
        let access = Access::read_prefix(key);
        let checks = (0..self.inner.nodes.len()).map(|i| {
            let (access, key) = (access.clone(), key.to_string());
            async move {
                let _ = self.ping(i, &access, &key).await;
                self.health(i)
            }
        });
        futures::future::join_all(checks).await
    }

    /// One cheap linearizable read on endpoint `i`.
    pub async fn ping(&self, i: usize, access: &Access, key: &str) -> Result<(), EtcdError> {
        let key = key.to_string();
        self.request_on(i, access, REQUEST_TIMEOUT, &|mut c: Client| {
            let k = key.clone();
            async move {
                c.get(
                    k,
                    Some(
                        etcd_client::GetOptions::new()
                            .with_prefix()
                            .with_count_only(),
                    ),
                )
                .await
            }
        })
        .await
        .map(|_| ())
    }

    pub fn health(&self, i: usize) -> EndpointHealth {
        self.inner.nodes[i]
            .health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
