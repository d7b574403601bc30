//! Bearer-token auth and the request log.
//!
//! Every request is checked before any handler runs: a missing or wrong
//! token is 401 and nothing else happens. The token is compared in
//! constant time and never written anywhere; the log line has the method,
//! the path (not the query), the caller's address and the outcome.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The peer of a connection, set by the server for each connection.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub SocketAddr);

/// Whether `presented` (an `Authorization` header value) carries `token`.
pub fn authorized(presented: Option<&[u8]>, token: &str) -> bool {
    let Some(p) = presented.and_then(|h| h.strip_prefix(b"Bearer ")) else {
        return false;
    };
    // Lengths differ → not equal, and the comparison still touches every
    // byte of the shorter side only; the length of a 32+ byte token is no
    // secret worth hiding.
    p.ct_eq(token.as_bytes()).into()
}

pub async fn check(
    State(token): State<Arc<crate::config::Secret>>,
    req: Request,
    next: Next,
) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let path = crate::text::escape(req.uri().path()).into_owned();
    let caller = req
        .extensions()
        .get::<Caller>()
        .map(|c| c.0.to_string())
        .unwrap_or_else(|| "?".into());
    let ok = authorized(
        req.headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes()),
        token.expose(),
    );
    let resp = if ok {
        next.run(req).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            axum::Json(
                serde_json::json!({"error": "missing or wrong bearer token; nothing was run"}),
            ),
        )
            .into_response()
    };
    eprintln!(
        "pgtui agent: {method} {path} from {caller} -> {} ({} ms)",
        resp.status().as_u16(),
        started.elapsed().as_millis()
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::authorized;

    #[test]
    fn only_the_exact_bearer_token_passes() {
        let t = "0123456789abcdef0123";
        assert!(authorized(Some(b"Bearer 0123456789abcdef0123"), t));
        assert!(!authorized(Some(b"Bearer 0123456789abcdef012"), t));
        assert!(!authorized(Some(b"Bearer 0123456789abcdef01234"), t));
        assert!(!authorized(Some(b"bearer 0123456789abcdef0123"), t));
        assert!(!authorized(Some(b"0123456789abcdef0123"), t));
        assert!(!authorized(Some(b"Basic MDEyMzQ1Njc4OWFiY2RlZjAxMjM="), t));
        assert!(!authorized(None, t));
        assert!(!authorized(Some(b"Bearer "), t));
    }
}
