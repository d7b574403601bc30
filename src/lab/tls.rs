//! The private CA of a hardened lab and the certificates it signs.
//!
//! Teams that run etcd and Patroni REST over TLS mostly do it with a private
//! CA, and a tool that only works with publicly trusted certificates fails
//! them, so the hardened lab makes one at start: `LAB/tls/ca.crt` (and its
//! key), one certificate for the etcd members (SAN `IP:127.0.N.1`), and one
//! per Patroni member (SAN its own address). Clients verify against the CA,
//! never with verification off.
//!
//! Keys are EC P-256 (fast to make, accepted by Go, Python, rustls and
//! HAProxy alike). The openssl CLI runs as the lab user through the
//! supervisor's task runner, so the files belong to the user that reads them
//! and a failure is reported with the tail of `LAB/log/tls.log`. The
//! extensions come from our own config file, never the system's
//! `openssl.cnf`: rustls rejects a leaf without SAN or a CA without
//! `basicConstraints=CA:TRUE`.

use std::path::Path;

use super::error::LabError;
use super::prereq::OPENSSL;
use super::proc::Supervisor;
use super::spec::Layout;

const COMPONENT: &str = "tls";
const DAYS: &str = "30";

/// Our openssl config: an empty subject template and the CA's extensions.
const CNF: &str = "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = pgtui lab\n\
[ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n\
subjectKeyIdentifier = hash\n";

fn leaf_ext(ip: &str) -> String {
    format!(
        "basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n\
         extendedKeyUsage = serverAuth,clientAuth\nsubjectAltName = IP:{ip}\n\
         authorityKeyIdentifier = keyid\n"
    )
}

fn write(path: &Path, text: &str) -> Result<(), LabError> {
    std::fs::write(path, text).map_err(|e| LabError::io("writing", path, e))
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Arguments that make a fresh EC P-256 key (unencrypted) and a request or
/// self-signed certificate with subject `cn`.
fn new_key_args(cnf: &Path, key: &Path, cn: &str) -> Vec<String> {
    [
        "req",
        "-new",
        "-config",
        &s(cnf),
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        &s(key),
        "-subj",
        &format!("/CN={cn}"),
    ]
    .iter()
    .map(|a| a.to_string())
    .collect()
}

/// Makes the CA and every certificate; returns nothing until all exist.
pub(crate) async fn make(sup: &Supervisor, layout: &Layout) -> Result<(), LabError> {
    let dir = layout.tls_dir();
    let log = layout.log_file(COMPONENT);
    let cnf = dir.join("openssl.cnf");
    write(&cnf, CNF)?;
    let ca_crt = dir.join("ca.crt");
    let ca_key = dir.join("ca.key");
    let mut args = new_key_args(&cnf, &ca_key, &format!("pgtui lab {} CA", layout.index));
    args.extend(["-x509", "-extensions", "ca", "-days", DAYS, "-out"].map(String::from));
    args.push(s(&ca_crt));
    sup.run_task(COMPONENT, OPENSSL.as_ref(), &args, &[], &log)
        .await?;

    let mut leaves: Vec<(String, String)> = vec![("etcd".into(), layout.etcd[0].host.clone())];
    leaves.extend(layout.nodes().map(|n| (n.name.clone(), n.host.clone())));
    let jobs = leaves.iter().enumerate().map(|(i, (name, ip))| {
        let (crt, key) = layout.cert_pair(name);
        let csr = dir.join(format!("{name}.csr"));
        let ext = dir.join(format!("{name}.ext"));
        let (cnf, ca_crt, ca_key, log) = (&cnf, &ca_crt, &ca_key, &log);
        async move {
            write(&ext, &leaf_ext(ip))?;
            let mut req = new_key_args(cnf, &key, name);
            req.extend(["-out".to_string(), s(&csr)]);
            sup.run_task(COMPONENT, OPENSSL.as_ref(), &req, &[], log)
                .await?;
            let sign: Vec<String> = [
                "x509",
                "-req",
                "-in",
                &s(&csr),
                "-CA",
                &s(ca_crt),
                "-CAkey",
                &s(ca_key),
                "-set_serial",
                &(i + 2).to_string(),
                "-days",
                DAYS,
                "-extfile",
                &s(&ext),
                "-out",
                &s(&crt),
            ]
            .iter()
            .map(|a| a.to_string())
            .collect();
            sup.run_task(COMPONENT, OPENSSL.as_ref(), &sign, &[], log)
                .await?;
            // PostgreSQL refuses a key that group or others can read.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| LabError::io("restricting", &key, e))
        }
    });
    futures::future::try_join_all(jobs).await?;
    Ok(())
}
