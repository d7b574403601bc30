//! The node agent (`pgtui agent`) beside every Patroni of the lab, so the
//! console shows backups at once.
//!
//! Each agent runs the same pgtui binary as the lab, as the lab's database
//! user, with the node's patroni.yml and the node's pgBackRest config (as
//! Patroni gets it), listening on the node's address, port 8010: https with
//! the node's certificate in a hardened lab. They share one token, in
//! `LAB/conf/agent.token` (mode 0600), which `lab.json` names. Readiness:
//! every agent answers `GET /v1/status` with that token.

use super::error::LabError;
use super::proc::{Kind, Supervisor};
use super::ready::{until, Deadline, NotYet};
use super::spec::{addr, Layout, PgNode};

pub(crate) const PORT: u16 = 8010;

pub(crate) fn component(node: &PgNode) -> String {
    format!("agent {}", node.name)
}

pub(crate) fn token_file(layout: &Layout) -> std::path::PathBuf {
    layout.dir.join("conf/agent.token")
}

pub(crate) fn url(layout: &Layout, node: &PgNode) -> String {
    format!("{}://{}", layout.style.scheme(), addr(&node.host, PORT))
}

/// Writes the token file, readable by the lab's database user only.
pub(crate) fn write_token(
    layout: &Layout,
    token: &str,
    run_as: Option<&super::proc::RunAs>,
) -> Result<(), LabError> {
    use std::os::unix::fs::PermissionsExt;
    let p = token_file(layout);
    std::fs::write(&p, token).map_err(|e| LabError::io("writing", &p, e))?;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| LabError::io("chmod", &p, e))?;
    if let Some(r) = run_as {
        super::prereq::chown_tree(&p, r)?;
    }
    Ok(())
}

/// The lab's stand-in for `systemctl stop|start patroni` on a node.
fn ctl(exe: &std::path::Path, layout: &Layout, verb: &str, n: &PgNode) -> String {
    format!(
        "{} lab ctl --dir {} {verb} '{}'",
        exe.display(),
        layout.dir.display(),
        super::patroni::component(n)
    )
}

pub(crate) async fn start(sup: &Supervisor, layout: &Layout) -> Result<(), LabError> {
    let exe = std::env::current_exe().map_err(|e| LabError::io("finding", "pgtui itself", e))?;
    for n in layout.nodes() {
        let c = component(n);
        let mut args = vec![
            "agent".to_string(),
            "-c".into(),
            n.patroni_yaml.display().to_string(),
            "--listen".into(),
            addr(&n.host, PORT),
            "--token-file".into(),
            token_file(layout).display().to_string(),
            "--pgbackrest".into(),
            super::prereq::PGBACKREST.to_string(),
            "--patroni-stop".into(),
            ctl(&exe, layout, "stop", n),
            "--patroni-start".into(),
            ctl(&exe, layout, "start", n),
            // The lab sends Patroni's stderr to LAB/log/patroni-NAME.log,
            // as a unit's `StandardOutput=append:` would.
            "--patroni-log-dir".into(),
            layout.log_dir().display().to_string(),
            "--patroni-log-file".into(),
            layout
                .log_file(&super::patroni::component(n))
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ];
        let (vm, ka) = super::vip::config_paths(layout, n);
        args.extend([
            "--vip-manager-config".into(),
            vm.display().to_string(),
            "--keepalived-config".into(),
            ka.display().to_string(),
        ]);
        if layout.style.hardened() {
            let (cert, key) = layout.cert_pair(&n.name);
            args.extend([
                "--cert".into(),
                cert.display().to_string(),
                "--key".into(),
                key.display().to_string(),
            ]);
        }
        let env = super::pgbackrest::node_env(layout, n);
        sup.spawn(&c, Kind::Agent, &exe, &args, &env, &layout.log_file(&c))
            .await?;
    }
    Ok(())
}

/// Every agent answers `GET /v1/status` with the token.
pub(crate) async fn wait_ready(
    sup: &Supervisor,
    layout: &Layout,
    http: &reqwest::Client,
    token: &str,
    deadline: Deadline,
) -> Result<(), LabError> {
    for n in layout.nodes() {
        let u = format!("{}/v1/status", url(layout, n));
        until(sup, layout, deadline, "starting the agents", || async {
            let not_yet = |state: String| NotYet {
                component: component(n),
                waiting_for: format!("{u} answering 200"),
                state,
            };
            match http.get(&u).bearer_auth(token).send().await {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(not_yet(format!("HTTP {}", r.status()))),
                Err(e) => Err(not_yet(e.to_string())),
            }
        })
        .await?;
    }
    Ok(())
}
