//! [`Lab`]: starting a whole lab in order, and stopping it.
//!
//! Start order: checks → lab dir and config files → (hardened: the private
//! CA and certificates) → etcd (wait healthy) → (hardened: etcd users, role,
//! `auth enable`) → the first Patroni of each cluster, the HAProxies and the
//! pgbouncers → the other members once pg-test's `initialize` key is
//! claimed → wait for both leaders → then, in parallel, pgBackRest stanzas
//! with full backups, and replicas streaming with HAProxy routing, then the
//! pgbouncers answering → `pgbackrest info` check → `LAB/lab.json`.
//! Any failure (or dropping the start future) tears down what was started.

use super::error::LabError;
use super::info::LabInfo;
use super::proc::{log_tail, RunAs, Supervisor};
use super::ready::{http_client, Deadline};
use super::secrets::Secrets;
use super::spec::{LabSpec, Layout, PgNode};
use std::sync::Arc;

use super::{
    agent, control, etcd, etcd_auth, haproxy, patroni, patroni_conf, pgbackrest, pgbouncer, prereq,
    tls, vip,
};

/// A running lab. Dropping it without [`Lab::stop`] kills it synchronously.
pub struct Lab {
    info: LabInfo,
    sup: Option<Arc<Supervisor>>,
    /// The control socket's task ([`super::control`]).
    control: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(h) = self.control.take() {
            h.abort();
        }
        if let Some(sup) = self.sup.take() {
            if let Err(e) = sup.teardown() {
                eprintln!("pgtui lab: teardown on drop: {e}");
            }
        }
    }
}

impl std::fmt::Debug for Lab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lab")
            .field("dir", &self.info.dir)
            .field("index", &self.info.index)
            .finish()
    }
}

fn write(path: &std::path::Path, text: &str) -> Result<(), LabError> {
    std::fs::write(path, text).map_err(|e| LabError::io("writing", path, e))
}

fn write_configs(
    layout: &Layout,
    s: &Secrets,
    prometheus: bool,
    run_as: Option<&RunAs>,
) -> Result<(), LabError> {
    for n in layout.nodes() {
        write(&n.patroni_yaml, &patroni_conf::node_yaml(layout, n, s)?)?;
        write(&n.pgbackrest_conf, &pgbackrest::config(layout, n))?;
    }
    for n in &layout.test_cluster().members {
        write(
            &layout.haproxy_cfg(&n.name),
            &haproxy::config(layout, n, s, prometheus),
        )?;
    }
    pgbouncer::write_configs(layout, s)?;
    vip::write_configs(layout)?;
    write(
        &layout.patronictl_yaml(),
        &patroni_conf::patronictl_yaml(layout, s)?,
    )?;
    agent::write_token(layout, &s.agent_token, None)?;
    if let Some(r) = run_as {
        prereq::chown_tree(&layout.dir.join("conf"), r)?;
    }
    Ok(())
}

impl Lab {
    /// Starts a lab and returns once it is fully ready (see the module doc).
    pub async fn start(spec: LabSpec) -> Result<Lab, LabError> {
        let layout = Layout::new(&spec);
        let deadline = Deadline::after(spec.deadline);
        prereq::check_binaries(&spec.patroni, spec.style)?;
        let run_as = prereq::run_as()?;
        prereq::check_ports(&layout)?;
        let patroni_version = prereq::patroni_version(&spec.patroni, run_as.as_ref())?;
        let prometheus = prereq::haproxy_has_prometheus();
        let secrets = Secrets::generate(spec.index)?;
        let data_dirs = layout.nodes().map(|n| n.data_dir.clone()).collect();
        let sup = Arc::new(Supervisor::new(
            run_as.clone(),
            layout.dir.clone(),
            data_dirs,
            layout.index,
        )?);
        eprintln!(
            "pgtui lab: checks done ({:.1} s)",
            deadline.started.elapsed().as_secs_f64()
        );
        let mut info = LabInfo::build(
            &layout,
            &secrets,
            spec.patroni.patronictl_bin(),
            patroni_version,
            prometheus,
        );
        let mut control_task = None;
        let up = async {
            prereq::prepare_dir(&layout, &sup)?;
            control_task = Some(control::serve(sup.clone(), &layout.dir)?);
            write_configs(&layout, &secrets, prometheus, run_as.as_ref())?;
            if !bring_up(&sup, &layout, &spec, &secrets, deadline).await? {
                info.vip = None;
            }
            let json = serde_json::to_string_pretty(&info).map_err(|e| LabError::Render {
                what: "lab.json".into(),
                detail: e.to_string(),
            })?;
            write(&layout.info_json(), &json)
        };
        let r = up.await;
        match r {
            Ok(()) => Ok(Lab {
                info,
                sup: Some(sup),
                control: control_task,
            }),
            Err(e) => {
                if let Some(h) = control_task {
                    h.abort();
                }
                if let Err(t) = teardown_async(sup).await {
                    eprintln!("pgtui lab: teardown after failed start: {t}");
                }
                Err(e)
            }
        }
    }

    /// What the lab looks like and how to reach it.
    pub fn info(&self) -> &LabInfo {
        &self.info
    }

    /// Stops everything in order and removes the lab dir.
    pub async fn stop(mut self) -> Result<(), LabError> {
        if let Some(h) = self.control.take() {
            h.abort();
        }
        match self.sup.take() {
            Some(sup) => teardown_async(sup).await,
            None => Ok(()),
        }
    }
}

async fn teardown_async(sup: Arc<Supervisor>) -> Result<(), LabError> {
    tokio::task::spawn_blocking(move || sup.teardown())
        .await
        .unwrap_or_else(|e| Err(LabError::Leftovers(format!("teardown task failed: {e}"))))
}

async fn bring_up(
    sup: &Supervisor,
    layout: &Layout,
    spec: &LabSpec,
    secrets: &Secrets,
    deadline: Deadline,
) -> Result<bool, LabError> {
    let progress = |what: &str| {
        eprintln!(
            "pgtui lab: {what} ({:.1} s)",
            deadline.started.elapsed().as_secs_f64()
        );
    };
    if layout.style.hardened() {
        tls::make(sup, layout).await?;
        progress("private CA and certificates made");
    }
    let http = http_client(layout.ca_file().as_deref())?;
    etcd::start(sup, layout, &secrets.cluster_token).await?;
    etcd::wait_healthy(sup, layout, &http, deadline).await?;
    progress("etcd healthy");
    if layout.style.hardened() {
        etcd_auth::enable(sup, layout, secrets).await?;
        progress("etcd authentication enabled");
    }
    // The first member of each cluster starts alone so it bootstraps and
    // leads (pg-test-1 leads, as in the reference lab); the others start as
    // soon as it has claimed the cluster's `initialize` key.
    let (test, meta) = (&layout.clusters[0], &layout.clusters[1]);
    let firsts: Vec<&PgNode> = layout.clusters.iter().map(|c| &c.members[0]).collect();
    let rest: Vec<&PgNode> = layout
        .clusters
        .iter()
        .flat_map(|c| c.members.iter().skip(1))
        .collect();
    patroni::start(sup, layout, &spec.patroni, &firsts).await?;
    haproxy::start(sup, layout).await?;
    pgbouncer::start(sup, layout).await?;
    patroni::wait_bootstrap_claimed(sup, layout, secrets, deadline, test).await?;
    patroni::start(sup, layout, &spec.patroni, &rest).await?;
    let (test_leader, meta_leader) = tokio::try_join!(
        patroni::wait_leader(sup, layout, &http, deadline, test),
        patroni::wait_leader(sup, layout, &http, deadline, meta),
    )?;
    progress(&format!(
        "leaders elected: {}, {}",
        test_leader.name, meta_leader.name
    ));

    let backups = async {
        if spec.backups {
            with_deadline(deadline, layout, &test_leader, async {
                tokio::try_join!(
                    pgbackrest::stanza_and_backup(sup, layout, &test_leader),
                    pgbackrest::stanza_and_backup(sup, layout, &meta_leader),
                )
            })
            .await?;
            progress("backups done");
        }
        Ok::<(), LabError>(())
    };
    let routing = async {
        patroni::wait_replicas(sup, layout, &http, deadline, test, &test_leader).await?;
        progress("replicas streaming");
        haproxy::wait_routing(sup, layout, &http, deadline, secrets, &test_leader.name).await?;
        progress("haproxy routing converged");
        pgbouncer::wait_ready(sup, layout, deadline).await?;
        progress("pgbouncers answering");
        Ok::<(), LabError>(())
    };
    tokio::try_join!(backups, routing)?;
    let vip_up = vip::setup(layout, &test_leader);
    agent::start(sup, layout).await?;
    agent::wait_ready(sup, layout, &http, &secrets.agent_token, deadline).await?;
    progress("agents answering");
    if spec.backups {
        let stanzas: Vec<String> = layout.clusters.iter().map(|c| c.name.clone()).collect();
        pgbackrest::verify(sup, layout, &test_leader, &stanzas).await?;
    }
    Ok(vip_up)
}

/// Bounds the backups by the lab deadline; a timeout names pgBackRest.
async fn with_deadline<T>(
    deadline: Deadline,
    layout: &Layout,
    leader: &PgNode,
    fut: impl std::future::Future<Output = Result<T, LabError>>,
) -> Result<T, LabError> {
    let at = tokio::time::Instant::from_std(deadline.at);
    match tokio::time::timeout_at(at, fut).await {
        Ok(r) => r,
        Err(_) => {
            let component = pgbackrest::component(&leader.cluster);
            let log = layout.log_file(&component);
            Err(LabError::Timeout {
                tail: log_tail(&log, 30),
                log,
                component,
                waiting_for: "stanza-create and a full backup".into(),
                last_state: "still running".into(),
                elapsed_secs: deadline.started.elapsed().as_secs_f32(),
            })
        }
    }
}
