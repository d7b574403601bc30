//! The lab's three-member etcd 3.4 cluster (the DCS of both Patroni clusters).
//!
//! etcd 3.4 gotchas: the default logger is the deprecated `capnslog` (it warns
//! at start), so `--logger zap --log-outputs stderr` is passed; the v3 API is
//! always on and the gRPC gateway Patroni's `etcd3` DCS talks to is served on
//! the client URLs; there is no `--unsafe-no-fsync` in 3.4.
//! Readiness is `GET /health` answering `{"health":"true"}` on every member,
//! which etcd only says once the member has a leader (a real quorum).

use super::error::LabError;
use super::prereq::ETCD;
use super::proc::{Kind, Supervisor};
use super::ready::{until, Deadline, NotYet};
use super::spec::Layout;

fn args(layout: &Layout, i: usize, token: &str) -> Vec<String> {
    let me = &layout.etcd[i];
    let initial_cluster = layout
        .etcd
        .iter()
        .map(|e| format!("{}={}", e.name, e.peer_url()))
        .collect::<Vec<_>>()
        .join(",");
    let client_url = format!("http://{}", me.endpoint());
    [
        ("--name", me.name.clone()),
        ("--data-dir", me.data_dir.display().to_string()),
        ("--listen-client-urls", client_url.clone()),
        ("--advertise-client-urls", client_url),
        ("--listen-peer-urls", me.peer_url()),
        ("--initial-advertise-peer-urls", me.peer_url()),
        ("--initial-cluster", initial_cluster),
        ("--initial-cluster-token", token.to_string()),
        ("--initial-cluster-state", "new".to_string()),
        ("--logger", "zap".to_string()),
        ("--log-outputs", "stderr".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| format!("{k}={v}"))
    .collect()
}

/// Starts the three members.
pub(crate) async fn start(sup: &Supervisor, layout: &Layout, token: &str) -> Result<(), LabError> {
    for (i, e) in layout.etcd.iter().enumerate() {
        let log = layout.log_file(&e.name);
        sup.spawn(
            &e.name,
            Kind::Etcd,
            ETCD.as_ref(),
            &args(layout, i, token),
            &[],
            &log,
        )
        .await?;
    }
    Ok(())
}

/// Waits until every member reports itself healthy.
pub(crate) async fn wait_healthy(
    sup: &Supervisor,
    layout: &Layout,
    http: &reqwest::Client,
    deadline: Deadline,
) -> Result<(), LabError> {
    until(sup, layout, deadline, "starting etcd", || async {
        for e in &layout.etcd {
            let url = format!("http://{}/health", e.endpoint());
            let not_yet = |state: String| NotYet {
                component: e.name.clone(),
                waiting_for: format!("{url} to report health true"),
                state,
            };
            let body: serde_json::Value = match http.get(&url).send().await {
                Ok(r) => r
                    .json()
                    .await
                    .map_err(|err| not_yet(format!("bad body: {err}")))?,
                Err(err) => return Err(not_yet(format!("no answer: {err}"))),
            };
            if body.get("health").and_then(|h| h.as_str()) != Some("true") {
                return Err(not_yet(body.to_string()));
            }
        }
        Ok(())
    })
    .await
}

/// Standard base64 (the etcd v3 JSON gateway wants keys base64-encoded).
fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Whether `key` exists, asked through etcd's v3 JSON gateway (`/v3/kv/range`).
pub(crate) async fn key_exists(
    http: &reqwest::Client,
    layout: &Layout,
    key: &str,
) -> Result<bool, String> {
    let mut last = String::new();
    for e in &layout.etcd {
        let url = format!("http://{}/v3/kv/range", e.endpoint());
        let body = serde_json::json!({ "key": base64(key.as_bytes()), "keys_only": true });
        match http.post(&url).json(&body).send().await {
            Ok(r) => match r.json::<serde_json::Value>().await {
                Ok(v) => return Ok(v["kvs"].as_array().is_some_and(|a| !a.is_empty())),
                Err(err) => last = format!("{url}: bad body ({err})"),
            },
            Err(err) => last = format!("{url}: no answer ({err})"),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(
            super::base64(b"/pg/pg-test/initialize"),
            "L3BnL3BnLXRlc3QvaW5pdGlhbGl6ZQ=="
        );
    }
}
