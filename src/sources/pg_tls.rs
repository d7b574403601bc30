//! The rustls client the SQL probes and the service probe connect with.
//!
//! libpq's rules, built once per source task from [`SqlTls`]: with a CA the
//! server's chain is verified in every TLS mode, and its host name only in
//! `verify-full` (a service port reached through HAProxy answers with the
//! member's certificate, which names the member, not the proxy). Without a
//! CA, `prefer` and `require` encrypt without knowing who answers, which is
//! what libpq does too; `verify-ca` and `verify-full` refuse to start
//! without a CA (see `config::sql`).

use crate::config::{SqlTls, SslMode};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::Path;
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

/// What a TLS connection proves about the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// Signed by the CA and names the host it was reached at.
    Full,
    /// Signed by the CA; the name is not checked.
    Chain,
    /// Encrypted, but the certificate is not checked.
    Nothing,
}

/// A setup failure: which file, and why. Never the file's contents.
#[derive(Debug, thiserror::Error)]
pub enum PgTlsError {
    #[error("SQL TLS: cannot read {what} {path}: {reason}")]
    Read {
        what: &'static str,
        path: String,
        reason: String,
    },
    #[error("SQL TLS: {what} {path} holds no usable PEM {expected}")]
    Pem {
        what: &'static str,
        path: String,
        expected: &'static str,
    },
    #[error("SQL TLS: {0}")]
    Setup(String),
}

/// The connector, and what it checks, for messages and the console.
pub struct PgTls {
    pub connector: MakeRustlsConnect,
    pub mode: SslMode,
    pub verified: Verified,
}

impl PgTls {
    pub fn new(t: &SqlTls) -> Result<PgTls, PgTlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verified = match (&t.rootcert, t.insecure) {
            (_, true) | (None, false) => Verified::Nothing,
            (Some(_), false) if t.mode == SslMode::VerifyFull => Verified::Full,
            (Some(_), false) => Verified::Chain,
        };
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| PgTlsError::Setup(e.to_string()))?;
        let builder = match (verified, &t.rootcert) {
            (Verified::Full, Some(ca)) => builder.with_root_certificates(roots(ca)?),
            (_, ca) => {
                let chain = match (verified, ca) {
                    (Verified::Chain, Some(ca)) => Some(
                        WebPkiServerVerifier::builder_with_provider(
                            Arc::new(roots(ca)?),
                            provider.clone(),
                        )
                        .build()
                        .map_err(|e| PgTlsError::Setup(e.to_string()))?,
                    ),
                    _ => None,
                };
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(Lenient {
                        chain,
                        algorithms: provider.signature_verification_algorithms,
                    }))
            }
        };
        let config = match (&t.cert, &t.key) {
            (Some(c), Some(k)) => builder
                .with_client_auth_cert(certs(c, "client certificate")?, key(k)?)
                .map_err(|e| {
                    PgTlsError::Setup(format!("client certificate {}: {e}", c.display()))
                })?,
            _ => builder.with_no_client_auth(),
        };
        Ok(PgTls {
            connector: MakeRustlsConnect::new(config),
            mode: t.mode,
            verified,
        })
    }

    /// tokio-postgres's own mode: TLS is negotiated unless `disable`.
    pub fn wire_mode(&self) -> tokio_postgres::config::SslMode {
        match self.mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        }
    }
}

/// One line on what the SQL connections check, for the console and `list`.
pub fn describe(t: &SqlTls) -> String {
    let mode = format!("sslmode={} ({})", t.mode.as_str(), t.mode_from);
    if t.mode == SslMode::Disable {
        return format!("{mode}: plain TCP, nothing encrypted");
    }
    let check = match (&t.rootcert, t.insecure) {
        (_, true) => "certificates not checked (-k or ctl.insecure)".to_string(),
        (None, false) => "certificates not checked (no CA configured)".to_string(),
        (Some(ca), false) if t.mode == SslMode::VerifyFull => format!(
            "certificate and host name verified against {} ({})",
            ca.display(),
            t.rootcert_from
        ),
        (Some(ca), false) => format!(
            "certificate verified against {} ({}); host names not checked",
            ca.display(),
            t.rootcert_from
        ),
    };
    let fallback = if t.mode.needs_tls() {
        ""
    } else {
        "; plain TCP where the server offers no TLS"
    };
    format!("{mode}: {check}{fallback}")
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, PgTlsError> {
    crate::config::file::read_bytes(path).map_err(|e| PgTlsError::Read {
        what,
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

fn certs(path: &Path, what: &'static str) -> Result<Vec<CertificateDer<'static>>, PgTlsError> {
    let pem = read(path, what)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(PgTlsError::Pem {
            what,
            path: path.display().to_string(),
            expected: "certificate",
        });
    }
    Ok(certs)
}

fn roots(path: &Path) -> Result<RootCertStore, PgTlsError> {
    let mut store = RootCertStore::empty();
    let (added, _) = store.add_parsable_certificates(certs(path, "CA file")?);
    if added == 0 {
        return Err(PgTlsError::Pem {
            what: "CA file",
            path: path.display().to_string(),
            expected: "CA certificate",
        });
    }
    Ok(store)
}

fn key(path: &Path) -> Result<PrivateKeyDer<'static>, PgTlsError> {
    let pem = read(path, "client key")?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|_| PgTlsError::Pem {
        what: "client key",
        path: path.display().to_string(),
        expected: "private key",
    })
}

/// The certificate check of every mode but `verify-full` (which is rustls's
/// own): with a CA (`verify-ca`, and `prefer`/`require` with one), the chain
/// must lead to it, whatever name the certificate holds; without one, any
/// certificate is taken, as libpq takes it. The handshake's signatures are
/// checked either way.
#[derive(Debug)]
struct Lenient {
    chain: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The rustls error inside a connect error, if TLS is what failed. tokio-
/// postgres wraps it in an `io::Error`, whose `source()` skips the error it
/// wraps, so each link is also looked into.
pub fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(r) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(r);
        }
        cur = err.source();
    }
    None
}

/// A failed handshake in a DBA's words.
pub fn explain(e: &rustls::Error, host: &str, t: &SqlTls) -> String {
    let ca = t
        .rootcert
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "the configured CA".into());
    match e {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
            "the server's certificate is not signed by {ca} ({}); give the CA that signed it in [sql] sslrootcert or PGSSLROOTCERT",
            t.rootcert_from
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!(
            "the server's certificate does not name {host} (sslmode=verify-full from {}); connect by a name it holds, or use verify-ca",
            t.mode_from
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "the server's certificate has expired".into(),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        ) => "the server's certificate is not valid yet (check the clocks)".into(),
        other => format!("TLS handshake failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls(mode: SslMode, rootcert: Option<&str>) -> SqlTls {
        SqlTls {
            mode,
            mode_from: "[sql] sslmode",
            rootcert: rootcert.map(Into::into),
            rootcert_from: "[sql] sslrootcert",
            ..Default::default()
        }
    }

    #[test]
    fn a_ca_file_without_a_certificate_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("ca.crt");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let t = tls(SslMode::VerifyFull, empty.to_str());
        let e = PgTls::new(&t).err().expect("refused").to_string();
        assert!(e.contains("holds no usable PEM certificate"), "{e}");
        assert!(e.contains(empty.to_str().unwrap()), "{e}");
        let e = PgTls::new(&tls(SslMode::Prefer, Some("/nonexistent/ca.crt")))
            .err()
            .expect("refused")
            .to_string();
        assert!(
            e.starts_with("SQL TLS: cannot read CA file /nonexistent/ca.crt"),
            "{e}"
        );
    }

    #[test]
    fn without_a_ca_tls_encrypts_and_checks_nothing() {
        let t = PgTls::new(&tls(SslMode::Require, None)).unwrap();
        assert_eq!(t.verified, Verified::Nothing);
        assert_eq!(t.wire_mode(), tokio_postgres::config::SslMode::Require);
        let d = describe(&tls(SslMode::Prefer, None));
        assert!(d.contains("not checked (no CA configured)"), "{d}");
        assert!(
            d.contains("plain TCP where the server offers no TLS"),
            "{d}"
        );
    }

    #[test]
    fn describe_says_what_each_mode_verifies() {
        let full = describe(&tls(SslMode::VerifyFull, Some("/ca.crt")));
        assert!(
            full.contains("certificate and host name verified against /ca.crt"),
            "{full}"
        );
        assert!(!full.contains("plain TCP"), "{full}");
        let chain = describe(&tls(SslMode::Prefer, Some("/ca.crt")));
        assert!(chain.contains("host names not checked"), "{chain}");
        let off = describe(&tls(SslMode::Disable, Some("/ca.crt")));
        assert!(off.contains("plain TCP, nothing encrypted"), "{off}");
        let insecure = SqlTls {
            insecure: true,
            ..tls(SslMode::VerifyFull, Some("/ca.crt"))
        };
        assert!(describe(&insecure).contains("-k or ctl.insecure"));
    }
}
