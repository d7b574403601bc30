//! The one write request of an operation, and Patroni's answer made readable.

use crate::config::RestConfig;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub body: Option<serde_json::Value>,
}

impl Request {
    /// The same request as a `curl` line (credentials elided), for doing it
    /// by hand.
    pub fn as_curl(&self) -> String {
        let body = self
            .body
            .as_ref()
            .map(|b| format!(" -H 'Content-Type: application/json' -d '{b}'"))
            .unwrap_or_default();
        format!(
            "curl -s -u USER:PASSWORD -X {} {}{body}",
            self.method, self.url
        )
    }
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Reply {
    Answered {
        status: u16,
        body: String,
    },
    /// No answer in time: the request may or may not have been acted on.
    TimedOut {
        after_ms: u64,
    },
    /// Never reached Patroni (refused connection, DNS...): nothing happened.
    NotSent {
        reason: String,
    },
}

/// What a Patroni status means, in a DBA's words.
pub fn explain(status: u16, body: &str) -> String {
    let body = body.trim();
    let hint = match status {
        401 => "authentication needed or wrong: check ctl.authentication / restapi.authentication",
        403 => "access denied by Patroni's allowlist or client-certificate rules",
        412 => "Patroni refused the preconditions (leader name does not match, or no candidate is possible)",
        422 => "the scheduled time is invalid or in the past",
        503 if body.contains("unknown") => "Patroni does not know whether it happened",
        503 => "Patroni could not do it now (it may be the leader, or the DCS is unreachable)",
        _ => "",
    };
    if hint.is_empty() {
        format!("HTTP {status}: {body}")
    } else {
        format!("HTTP {status}: {body} ({hint})")
    }
}

pub async fn send(http: &reqwest::Client, cfg: &RestConfig, req: &Request) -> Reply {
    let method =
        reqwest::Method::from_bytes(req.method.as_bytes()).unwrap_or(reqwest::Method::POST);
    let mut rb = http.request(method, &req.url);
    if let (Some(u), Some(p)) = (&cfg.username, &cfg.password) {
        rb = rb.basic_auth(u, Some(p.expose()));
    }
    if let Some(b) = &req.body {
        rb = rb.json(b);
    }
    let started = std::time::Instant::now();
    match rb.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap_or_default();
            Reply::Answered { status, body }
        }
        Err(e) if e.is_timeout() => Reply::TimedOut {
            after_ms: started.elapsed().as_millis() as u64,
        },
        Err(e) if e.is_connect() => Reply::NotSent {
            reason: e.to_string(),
        },
        // Sent, but the connection broke before an answer: treat as unknown.
        Err(_) => Reply::TimedOut {
            after_ms: started.elapsed().as_millis() as u64,
        },
    }
}
