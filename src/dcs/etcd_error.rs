//! What went wrong talking to etcd, classified by gRPC status code and I/O
//! error kind, never by message text.
//!
//! Four failures look alike from far away and need different fixes at 3 a.m.:
//! wrong credentials, a role that lacks a key range, an etcd that is down,
//! and one that accepts connections but never answers (frozen, partitioned).
//! Each has its own [`Fault`], message, exit code and banner. Messages carry
//! etcd's own short reason (the gRPC status *message*), never the status's
//! Debug form with its metadata map, and never a password.

use serde::Serialize;
use std::time::Duration;

/// The kind of an etcd failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// etcd rejected the user name or password (or the token expired and
    /// re-authenticating failed).
    Unauthenticated,
    /// The credentials are good but the user's roles lack the key range.
    PermissionDenied,
    /// Nothing answers: connection refused, no route, etcd stopped.
    Unavailable,
    /// Connected, but no answer in time: a frozen or partitioned member.
    Timeout,
    /// The TLS handshake failed (CA, certificate, or http vs https).
    Tls,
    /// Anything else etcd said (a malformed request, a server error).
    Other,
}

impl Fault {
    /// Short words for banners and table cells.
    pub fn label(self) -> &'static str {
        match self {
            Fault::Unauthenticated => "CREDENTIALS REJECTED",
            Fault::PermissionDenied => "PERMISSION DENIED",
            Fault::Unavailable => "UNREACHABLE",
            Fault::Timeout => "NOT ANSWERING",
            Fault::Tls => "TLS FAILED",
            Fault::Other => "ERROR",
        }
    }

    /// Another endpoint may do better: the fault is the member's, not the
    /// cluster's or the credential's.
    pub fn try_next_endpoint(self) -> bool {
        matches!(self, Fault::Unavailable | Fault::Timeout | Fault::Tls)
    }
}

/// What pgtui was doing, so a refusal can name the key range and the grant
/// that fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub verb: &'static str,
    pub key: String,
    pub prefix: bool,
    pub write: bool,
}

impl Access {
    pub fn read_prefix(key: impl Into<String>) -> Self {
        Access {
            verb: "read",
            key: key.into(),
            prefix: true,
            write: false,
        }
    }
    pub fn read_key(key: impl Into<String>) -> Self {
        Access {
            verb: "read",
            key: key.into(),
            prefix: false,
            write: false,
        }
    }
    pub fn watch_prefix(key: impl Into<String>) -> Self {
        Access {
            verb: "watch",
            key: key.into(),
            prefix: true,
            write: false,
        }
    }
    pub fn write_key(key: impl Into<String>) -> Self {
        Access {
            verb: "write",
            key: key.into(),
            prefix: false,
            write: true,
        }
    }
    /// Cluster-level calls (status, leases) that touch no key.
    pub fn call(verb: &'static str) -> Self {
        Access {
            verb,
            key: String::new(),
            prefix: false,
            write: false,
        }
    }

    fn describe(&self) -> String {
        match (self.key.is_empty(), self.prefix) {
            (true, _) => self.verb.to_string(),
            (false, true) => format!("{} {}*", self.verb, self.key),
            (false, false) => format!("{} {}", self.verb, self.key),
        }
    }

    /// The `etcdctl` line that grants what this access needs.
    pub fn grant_line(&self) -> Option<String> {
        if self.key.is_empty() {
            return None;
        }
        let perm = if self.write { "readwrite" } else { "read" };
        let prefix = if self.prefix { " --prefix=true" } else { "" };
        Some(format!(
            "etcdctl --user root role grant-permission ROLE{prefix} {perm} {}",
            self.key
        ))
    }
}

/// One failed etcd request.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.message())]
pub struct EtcdError {
    pub fault: Fault,
    /// The endpoint(s) that failed, `host:port[,host:port]`.
    pub endpoints: String,
    pub access: Access,
    /// etcd's own reason, or the I/O error, without metadata.
    pub detail: String,
    pub user: Option<String>,
    pub timeout: Option<Duration>,
}

impl EtcdError {
    pub fn new(
        fault: Fault,
        endpoints: impl Into<String>,
        access: &Access,
        detail: impl Into<String>,
    ) -> Self {
        EtcdError {
            fault,
            endpoints: endpoints.into(),
            access: access.clone(),
            detail: detail.into(),
            user: None,
            timeout: None,
        }
    }

    pub fn is_auth(&self) -> bool {
        self.fault == Fault::Unauthenticated
    }

    /// What failed, against what, and what to do.
    pub fn message(&self) -> String {
        let what = self.access.describe();
        let ep = &self.endpoints;
        let user = self.user.as_deref().unwrap_or("(none)");
        match self.fault {
            Fault::Unauthenticated => format!(
                "etcd at {ep} rejected the credentials of user {user} ({what}): {}; check etcd3.username and etcd3.password (or PATRONI_ETCD3_USERNAME/PASSWORD)",
                self.detail
            ),
            Fault::PermissionDenied => {
                let fix = self
                    .access
                    .grant_line()
                    .map(|g| format!("; grant it with `{g}` (ROLE: a role of {user}; `etcdctl user get {user}` lists them)"))
                    .unwrap_or_default();
                format!(
                    "etcd at {ep}: user {user} may not {what} ({}){fix}",
                    self.detail
                )
            }
            Fault::Unavailable => format!(
                "cannot reach etcd at {ep} ({what}): {}; check that etcd runs and the endpoints (--dcs-url, etcd3.hosts) are right",
                self.detail
            ),
            Fault::Timeout => format!(
                "etcd at {ep} did not answer{} ({what}): {}; it accepts connections but is frozen, overloaded or cut off from its quorum: check `etcdctl endpoint status` on each member",
                self.timeout
                    .map(|t| format!(" within {:.1} s", t.as_secs_f64()))
                    .unwrap_or_default(),
                self.detail
            ),
            Fault::Tls => format!(
                "TLS with etcd at {ep} failed ({what}): {}; check etcd3.cacert/cert/key and that the endpoints are https",
                self.detail
            ),
            Fault::Other => format!("etcd at {ep} ({what}): {}", self.detail),
        }
    }
}

/// Classifies an `etcd_client` error. `invalid_argument_is_auth` is true
/// where etcd answers a credentials problem with InvalidArgument: the
/// Authenticate call made at connect time (a bad password), and any request
/// made without credentials to an etcd with auth on ("user name is empty").
pub fn classify(e: &etcd_client::Error, invalid_argument_is_auth: bool) -> (Fault, String) {
    use tonic::Code;
    match e {
        etcd_client::Error::GRpcStatus(s) => {
            let detail = s.message().to_string();
            let fault = match s.code() {
                Code::Unauthenticated => Fault::Unauthenticated,
                Code::InvalidArgument if invalid_argument_is_auth => Fault::Unauthenticated,
                Code::PermissionDenied => Fault::PermissionDenied,
                Code::Unavailable => {
                    transport_fault(std::error::Error::source(s)).unwrap_or(Fault::Unavailable)
                }
                Code::DeadlineExceeded | Code::Cancelled => Fault::Timeout,
                _ => Fault::Other,
            };
            (fault, detail)
        }
        etcd_client::Error::TransportError(t) => {
            let fault = transport_fault(Some(t)).unwrap_or(Fault::Unavailable);
            (fault, chain(t))
        }
        etcd_client::Error::IoError(io) => (io_fault(io), io.to_string()),
        other => (Fault::Other, other.to_string()),
    }
}

/// Whether the server told us auth is off (patronictl then carries on
/// without credentials, and so do we).
pub fn auth_not_enabled(e: &etcd_client::Error) -> bool {
    matches!(e, etcd_client::Error::GRpcStatus(s) if s.code() == tonic::Code::FailedPrecondition)
}

/// The I/O error kind deepest in a chain decides refused vs timed out vs TLS.
fn transport_fault(e: Option<&(dyn std::error::Error + 'static)>) -> Option<Fault> {
    let mut cur = e;
    let mut found = None;
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            found = Some(io_fault(io));
        }
        cur = err.source();
    }
    found
}

fn io_fault(io: &std::io::Error) -> Fault {
    use std::io::ErrorKind::*;
    match io.kind() {
        TimedOut => Fault::Timeout,
        InvalidData => Fault::Tls,
        _ => Fault::Unavailable,
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(inner) = src {
        let s = inner.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        src = inner.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: tonic::Code, msg: &str) -> etcd_client::Error {
        let mut s = tonic::Status::new(code, msg);
        s.metadata_mut()
            .insert("content-type", "application/grpc".parse().unwrap());
        etcd_client::Error::GRpcStatus(s)
    }

    #[test]
    fn codes_decide_the_fault() {
        let cases = [
            (tonic::Code::Unauthenticated, false, Fault::Unauthenticated),
            (tonic::Code::InvalidArgument, true, Fault::Unauthenticated),
            (tonic::Code::InvalidArgument, false, Fault::Other),
            (
                tonic::Code::PermissionDenied,
                false,
                Fault::PermissionDenied,
            ),
            (tonic::Code::Unavailable, false, Fault::Unavailable),
            (tonic::Code::DeadlineExceeded, false, Fault::Timeout),
        ];
        for (code, authenticating, want) in cases {
            let (f, detail) = classify(&status(code, "etcdserver: x"), authenticating);
            assert_eq!(f, want, "{code:?}");
            assert_eq!(detail, "etcdserver: x");
        }
    }

    #[test]
    fn messages_carry_no_metadata_and_name_the_grant() {
        let (fault, detail) = classify(
            &status(
                tonic::Code::PermissionDenied,
                "etcdserver: permission denied",
            ),
            false,
        );
        let mut e = EtcdError::new(
            fault,
            "127.0.0.1:2379",
            &Access::write_key("/service/.pgtui/locks/pg-test"),
            detail,
        );
        e.user = Some("patroni".into());
        let m = e.to_string();
        assert!(
            !m.contains("MetadataMap") && !m.contains("content-type"),
            "{m}"
        );
        assert!(
            m.contains("etcdctl --user root role grant-permission ROLE readwrite /service/.pgtui/locks/pg-test"),
            "{m}"
        );
        assert!(m.contains("user patroni"), "{m}");
    }

    #[test]
    fn auth_disabled_is_recognised_by_code() {
        assert!(auth_not_enabled(&status(
            tonic::Code::FailedPrecondition,
            "etcdserver: authentication is not enabled"
        )));
        assert!(!auth_not_enabled(&status(tonic::Code::Unavailable, "x")));
    }
}
