//! The one write request of an operation, and Patroni's answer made readable.
//!
//! [`send`] is the only place pgtui hands Patroni's REST credentials to
//! anyone. It gets its request from [`super::request::request_for`], which
//! addresses a member of the cluster being operated on, as the linearizable
//! read before the preflight names it, and it attaches them only to
//! Patroni's unsafe methods: every GET goes out without them.

use crate::config::RestConfig;
use serde::Serialize;

/// The HTTP methods pgtui sends Patroni. Only the unsafe ones carry REST
/// credentials ([`Method::is_safe`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Reads nothing but changes nothing: sent without credentials.
    pub fn is_safe(self) -> bool {
        matches!(self, Method::Get)
    }

    fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A method written in code (`"POST".into()`). A word that is none of
/// pgtui's methods is a mistake in that code, so it panics.
impl From<&str> for Method {
    fn from(s: &str) -> Method {
        match s {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            other => panic!("{other:?} is not an HTTP method pgtui sends"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub body: Option<serde_json::Value>,
}

/// What a command done by hand needs to reach the same cluster: the
/// config file for patronictl, the CA and client certificate for curl.
/// Paths only; never a password.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ByHand {
    pub config_file: Option<std::path::PathBuf>,
    pub rest_user: Option<String>,
    pub cacert: Option<std::path::PathBuf>,
    pub cert: Option<std::path::PathBuf>,
    pub key: Option<std::path::PathBuf>,
    pub insecure: bool,
}

impl ByHand {
    pub fn from_config(c: &crate::config::Config) -> Self {
        ByHand {
            config_file: c.config_file.clone(),
            rest_user: c.rest.username.clone(),
            cacert: c.rest.tls.cacert.clone(),
            cert: c.rest.tls.cert.clone(),
            key: c.rest.tls.key.clone(),
            insecure: c.rest.insecure,
        }
    }

    /// `patronictl -c FILE` (or plain `patronictl` with no file).
    pub fn patronictl(&self) -> String {
        match &self.config_file {
            Some(f) => format!("patronictl -c {}", f.display()),
            None => "patronictl".into(),
        }
    }
}

impl Request {
    /// The same request as a `curl` line (the password elided), for doing
    /// it by hand.
    pub fn as_curl(&self, by_hand: &ByHand) -> String {
        let body = self
            .body
            .as_ref()
            .map(|b| format!(" -H 'Content-Type: application/json' -d '{b}'"))
            .unwrap_or_default();
        let mut tls = String::new();
        if by_hand.insecure {
            tls.push_str(" -k");
        } else if let Some(ca) = &by_hand.cacert {
            tls.push_str(&format!(" --cacert {}", ca.display()));
        }
        if let Some(c) = &by_hand.cert {
            tls.push_str(&format!(" --cert {}", c.display()));
        }
        if let Some(k) = &by_hand.key {
            tls.push_str(&format!(" --key {}", k.display()));
        }
        let user = by_hand
            .rest_user
            .as_ref()
            .map(|u| format!(" -u {u}:PASSWORD"))
            .unwrap_or_default();
        format!("curl -s{tls}{user} -X {} {}{body}", self.method, self.url)
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
    let unsafe_method = !req.method.is_safe();
    let mut rb = http.request(req.method.to_reqwest(), &req.url);
    if let (true, Some(u), Some(p)) = (unsafe_method, &cfg.username, &cfg.password) {
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
            reason: crate::config::userinfo::redact(&e.to_string()),
        },
        // Sent, but the connection broke before an answer: treat as unknown.
        Err(_) => Reply::TimedOut {
            after_ms: started.elapsed().as_millis() as u64,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand_lines_carry_the_config_and_the_ca() {
        let b = ByHand {
            config_file: Some("/etc/patroni/patronictl.yml".into()),
            rest_user: Some("admin".into()),
            cacert: Some("/etc/patroni/ca.crt".into()),
            ..Default::default()
        };
        assert_eq!(b.patronictl(), "patronictl -c /etc/patroni/patronictl.yml");
        let r = Request {
            method: Method::Post,
            url: "https://10.0.0.1:8008/switchover".into(),
            body: None,
        };
        assert_eq!(
            r.as_curl(&b),
            "curl -s --cacert /etc/patroni/ca.crt -u admin:PASSWORD -X POST https://10.0.0.1:8008/switchover"
        );
        assert!(
            !r.as_curl(&ByHand::default()).contains("-u "),
            "no user, no -u"
        );
    }

    #[test]
    fn methods_print_as_http_writes_them_and_only_get_is_safe() {
        let all = [Method::Get, Method::Post, Method::Patch, Method::Delete];
        let words: Vec<String> = all.iter().map(|m| m.to_string()).collect();
        assert_eq!(words, ["GET", "POST", "PATCH", "DELETE"]);
        assert_eq!(
            serde_json::to_string(&all).unwrap(),
            r#"["GET","POST","PATCH","DELETE"]"#
        );
        for m in all {
            assert_eq!(Method::from(m.as_str()), m);
            assert_eq!(m.to_reqwest().as_str(), m.as_str());
            assert_eq!(m.is_safe(), m == Method::Get);
        }
    }

    #[test]
    #[should_panic(expected = "not an HTTP method pgtui sends")]
    fn a_method_pgtui_never_sends_is_a_mistake() {
        let _ = Method::from("post");
    }
}
