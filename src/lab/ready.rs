//! Polling real readiness signals against one overall deadline.
//!
//! Every wait in the lab is a probe (an HTTP call, a stats CSV, a process
//! exit) retried every [`POLL`] until it succeeds or the lab's deadline
//! passes; never a fixed sleep. Each round also checks that no lab process
//! died, so a crash fails fast with that process's log instead of a timeout.
//! A failing probe says *which component* it is waiting on, so a timeout
//! names it and carries the tail of its log.

use std::future::Future;
use std::time::{Duration, Instant};

use super::error::LabError;
use super::proc::{log_tail, Supervisor};
use super::spec::Layout;

/// Delay between two probes.
pub(crate) const POLL: Duration = Duration::from_millis(250);

/// The lab's overall readiness deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub started: Instant,
    pub at: Instant,
}

impl Deadline {
    pub fn after(d: Duration) -> Self {
        let now = Instant::now();
        Deadline {
            started: now,
            at: now + d,
        }
    }
}

/// Why a probe is not satisfied yet.
#[derive(Debug, Clone)]
pub(crate) struct NotYet {
    /// Component to blame (its log is `LAB/log/<component>.log`).
    pub component: String,
    /// What is awaited, e.g. "leader of pg-test".
    pub waiting_for: String,
    /// Last observed state.
    pub state: String,
}

/// Retries `probe` until it succeeds, a lab process dies, or the deadline passes.
pub(crate) async fn until<T, F, Fut>(
    sup: &Supervisor,
    layout: &Layout,
    deadline: Deadline,
    phase: &str,
    mut probe: F,
) -> Result<T, LabError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, NotYet>>,
{
    loop {
        sup.check_alive(phase)?;
        match probe().await {
            Ok(v) => return Ok(v),
            Err(n) if Instant::now() >= deadline.at => {
                let log = layout.log_file(&n.component);
                return Err(LabError::Timeout {
                    tail: log_tail(&log, 30),
                    log,
                    component: n.component,
                    waiting_for: n.waiting_for,
                    last_state: n.state,
                    elapsed_secs: deadline.started.elapsed().as_secs_f32(),
                });
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// HTTP client for probes: never uses a proxy (lab traffic stays on
/// 127.0.0.0/8 even if `http_proxy` is set), gives up quickly per request,
/// and in a hardened lab trusts the lab's private CA (and only verifies,
/// never skips verification).
pub(crate) fn http_client(ca: Option<&std::path::Path>) -> Result<reqwest::Client, LabError> {
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(3));
    if let Some(ca) = ca {
        let pem = std::fs::read(ca).map_err(|e| LabError::io("reading", ca, e))?;
        let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| LabError::Verify {
            component: "tls".into(),
            detail: format!("the lab CA {} is not PEM: {e}", ca.display()),
        })?;
        b = b.add_root_certificate(cert);
    }
    b.build().map_err(|e| LabError::Verify {
        component: "tls".into(),
        detail: format!("building the probes' HTTP client: {e}"),
    })
}
