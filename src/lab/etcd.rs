//! The lab's three-member etcd 3.4 cluster (the DCS of both Patroni clusters).
//!
//! etcd 3.4 gotchas: the default logger is the deprecated `capnslog` (it warns
//! at start), so `--logger zap --log-outputs stderr` is passed; the v3 API is
//! always on and the gRPC gateway Patroni's `etcd3` DCS talks to is served on
//! the client URLs; there is no `--unsafe-no-fsync` in 3.4.
//! Readiness is `GET /health` answering `{"health":"true"}` on every member,
//! which etcd only says once the member has a leader (a real quorum).
//!
//! A hardened lab serves the client URLs over https with the lab CA's
//! `etcd` certificate (peers stay on http: only clients are in scope), and
//! turns authentication on right after health (see `etcd_auth`), so the
//! lab's own gRPC reads log in as `root`.

use super::error::LabError;
use super::prereq::ETCD;
use super::proc::{Kind, Supervisor};
use super::ready::{until, Deadline, NotYet};
use super::secrets::Secrets;
use super::spec::Layout;

fn args(layout: &Layout, i: usize, token: &str) -> Vec<String> {
    let me = &layout.etcd[i];
    let initial_cluster = layout
        .etcd
        .iter()
        .map(|e| format!("{}={}", e.name, e.peer_url()))
        .collect::<Vec<_>>()
        .join(",");
    let client_url = me.client_url(layout.style);
    let mut args: Vec<String> = [
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
    .collect();
    if layout.style.hardened() {
        let (crt, key) = layout.cert_pair("etcd");
        args.push(format!("--cert-file={}", crt.display()));
        args.push(format!("--key-file={}", key.display()));
    }
    args
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
            let url = format!("{}/health", e.client_url(layout.style));
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

/// Whether `key` exists, asked over etcd's gRPC API with a short timeout
/// (over TLS and as `root` in a hardened lab, whose auth is on by then).
pub(crate) async fn key_exists(layout: &Layout, s: &Secrets, key: &str) -> Result<bool, String> {
    let endpoints = layout.etcd_urls();
    let fail = |e: etcd_client::Error| format!("{}: {e}", endpoints.join(","));
    let mut opts = etcd_client::ConnectOptions::new()
        .with_connect_timeout(std::time::Duration::from_secs(2))
        .with_timeout(std::time::Duration::from_secs(2));
    if let Some(ca) = layout.ca_file() {
        let pem = std::fs::read(&ca).map_err(|e| format!("{}: {e}", ca.display()))?;
        opts = opts
            .with_tls(
                etcd_client::TlsOptions::new()
                    .ca_certificate(etcd_client::Certificate::from_pem(pem)),
            )
            .with_user(s.etcd_root_user.clone(), s.etcd_root_password.clone());
    }
    let mut client = etcd_client::Client::connect(&endpoints, Some(opts))
        .await
        .map_err(fail)?;
    let resp = client
        .get(key, Some(etcd_client::GetOptions::new().with_count_only()))
        .await
        .map_err(fail)?;
    Ok(resp.count() > 0)
}
