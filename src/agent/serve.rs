//! Serving the API over plain TCP or rustls, one task per connection, until
//! SIGINT or SIGTERM.

use super::auth::{self, Caller};
use super::settings::AgentSettings;
use anyhow::Context;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use tokio::net::TcpListener;

fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow::anyhow!("agent certificate {}: {e}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| anyhow::anyhow!("agent key {}: {e}", key.display()))?;
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS protocol versions")?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .context("the agent's certificate and key do not match")?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(cfg)))
}

pub async fn serve(settings: AgentSettings) -> anyhow::Result<()> {
    let tls = match &settings.tls {
        Some((c, k)) => Some(tls_acceptor(c, k)?),
        None => None,
    };
    let listener = TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let token = Arc::new(settings.token.clone());
    let scheme = if tls.is_some() { "https" } else { "http" };
    eprintln!(
        "pgtui agent {}: {} of {} on {scheme}://{}; pgBackRest stanza {}",
        env!("CARGO_PKG_VERSION"),
        settings.member,
        settings.cluster,
        settings.listen,
        settings.stanza.as_deref().unwrap_or("(not configured)")
    );
    let settings = Arc::new(settings);
    let reg = crate::model::agent::AgentReg {
        member: settings.member.clone(),
        cluster: settings.cluster.clone(),
        url: format!("{scheme}://{}", settings.listen),
        version: env!("CARGO_PKG_VERSION").into(),
        api: super::API.into(),
        stanza: settings.stanza.clone(),
        pgbackrest_version: super::pgbackrest::version(&settings).await,
        started: super::api::now(),
    };
    let registration = super::register::Registration::default();
    let registering = tokio::spawn(super::register::run(
        settings.clone(),
        reg,
        registration.clone(),
    ));
    let jobs = super::jobs::Jobs::new(settings.clone());
    jobs.recover().await;
    let app = super::api::router(super::api::AgentState {
        settings: settings.clone(),
        jobs,
    })
    .layer(axum::middleware::from_fn_with_state(token, auth::check));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => { eprintln!("pgtui agent: accept failed: {e}"); continue; }
            },
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
        };
        let svc = TowerToHyperService::new(app.clone().layer(axum::Extension(Caller(peer))));
        let tls = tls.clone();
        tokio::spawn(async move {
            let builder = hyper::server::conn::http1::Builder::new();
            let _ = match tls {
                Some(acc) => match acc.accept(stream).await {
                    Ok(s) => builder.serve_connection(TokioIo::new(s), svc).await,
                    Err(e) => {
                        eprintln!("pgtui agent: TLS handshake with {peer} failed: {e}");
                        return;
                    }
                },
                None => builder.serve_connection(TokioIo::new(stream), svc).await,
            };
        });
    }
    eprintln!("pgtui agent: stopping");
    registering.abort();
    registration.revoke().await;
    Ok(())
}
