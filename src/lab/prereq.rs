//! Checks done before anything is started, so failures are cheap and clear:
//! installed programs (with the exact `apt-get` line), the `postgres` user
//! when running as root, free ports, a usable lab dir, and the Patroni
//! version and HAProxy features actually present.

use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use super::error::LabError;
use super::proc::{RunAs, Supervisor};
use super::spec::{addr, LabStyle, Layout, PatroniFlavor};

pub(crate) const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
pub(crate) const ETCD: &str = "/usr/bin/etcd";
pub(crate) const ETCDCTL: &str = "/usr/bin/etcdctl";
pub(crate) const HAPROXY: &str = "/usr/sbin/haproxy";
pub(crate) const PGBACKREST: &str = "/usr/bin/pgbackrest";
pub(crate) const OPENSSL: &str = "/usr/bin/openssl";

/// Fails with the `apt-get` line naming only the missing packages.
pub(crate) fn check_binaries(flavor: &PatroniFlavor, style: LabStyle) -> Result<(), LabError> {
    let mut wanted: Vec<(PathBuf, &str)> = vec![
        (ETCD.into(), "etcd-server"),
        (ETCDCTL.into(), "etcd-client"),
        (HAPROXY.into(), "haproxy"),
        (super::pgbouncer::BIN.into(), "pgbouncer"),
        (PGBACKREST.into(), "pgbackrest"),
        (Path::new(PG_BIN).join("postgres"), "postgresql-15"),
        (Path::new(PG_BIN).join("initdb"), "postgresql-15"),
    ];
    if style.hardened() {
        wanted.push((OPENSSL.into(), "openssl"));
    }
    if *flavor == PatroniFlavor::Debian {
        wanted.push((flavor.patroni_bin(), "patroni"));
        wanted.push((flavor.patronictl_bin(), "patroni"));
    }
    let missing: Vec<&(PathBuf, &str)> = wanted.iter().filter(|(p, _)| !p.is_file()).collect();
    if !missing.is_empty() {
        let mut pkgs: Vec<&str> = Vec::new();
        for order in [
            "etcd-server",
            "etcd-client",
            "patroni",
            "haproxy",
            "pgbouncer",
            "pgbackrest",
            "postgresql-15",
            "openssl",
        ] {
            if missing.iter().any(|(_, p)| *p == order) {
                pkgs.push(order);
            }
        }
        return Err(LabError::MissingPackages {
            missing: missing
                .iter()
                .map(|(p, _)| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            install_line: format!("apt-get install -y {}", pkgs.join(" ")),
        });
    }
    if let PatroniFlavor::Venv(v) = flavor {
        for b in [flavor.patroni_bin(), flavor.patronictl_bin()] {
            if !b.is_file() {
                return Err(LabError::BadVenv {
                    venv: v.clone(),
                    detail: format!("{} does not exist", b.display()),
                });
            }
        }
    }
    Ok(())
}

/// When root: the `postgres` user everything runs as. Otherwise `None`.
pub(crate) fn run_as() -> Result<Option<RunAs>, LabError> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    match nix::unistd::User::from_name("postgres") {
        Ok(Some(u)) => Ok(Some(RunAs {
            uid: u.uid.as_raw(),
            gid: u.gid.as_raw(),
            user: u.name,
            home: u.dir,
        })),
        _ => Err(LabError::NoPostgresUser),
    }
}

/// Every address the lab listens on must be free.
pub(crate) fn check_ports(layout: &Layout) -> Result<(), LabError> {
    let p = &layout.ports;
    let mut wanted: Vec<(String, String)> = Vec::new();
    for e in &layout.etcd {
        wanted.push((e.name.clone(), e.endpoint()));
        wanted.push((e.name.clone(), addr(&e.host, e.peer_port)));
    }
    for n in layout.nodes() {
        wanted.push((format!("postgres {}", n.name), addr(&n.host, p.postgres)));
        wanted.push((format!("patroni {}", n.name), addr(&n.host, p.rest)));
    }
    let mut haproxy_ports: Vec<u16> = layout
        .style
        .services(super::spec::TEST_CLUSTER, p)
        .iter()
        .map(|s| s.port)
        .collect();
    haproxy_ports.push(layout.stats_port());
    for n in &layout.test_cluster().members {
        for &port in &haproxy_ports {
            wanted.push((format!("haproxy {}", n.name), addr(&n.host, port)));
        }
        wanted.push((
            super::pgbouncer::component(n),
            addr(&n.host, super::pgbouncer::PORT),
        ));
    }
    for (component, a) in wanted {
        if let Err(e) = TcpListener::bind(&a) {
            return Err(LabError::PortInUse {
                component,
                addr: a,
                detail: e.to_string(),
            });
        }
    }
    Ok(())
}

/// Creates the lab dir tree owned by the lab user. A stale lab dir (holding
/// our marker, its processes gone) is wiped first; any other non-empty dir
/// is refused.
pub(crate) fn prepare_dir(layout: &Layout, sup: &Supervisor) -> Result<(), LabError> {
    let dir = &layout.dir;
    if dir.exists() {
        let non_empty = std::fs::read_dir(dir)
            .map_err(|e| LabError::io("reading lab dir", dir, e))?
            .next()
            .is_some();
        if non_empty {
            let stale =
                layout.marker().exists() && super::teardown::processes_using(dir).is_empty();
            if !stale {
                return Err(LabError::DirInUse { dir: dir.clone() });
            }
            std::fs::remove_dir_all(dir)
                .map_err(|e| LabError::io("removing stale lab dir", dir, e))?;
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| LabError::io("creating lab dir", dir, e))?;
    sup.owns_dir.store(true, Ordering::SeqCst);
    std::fs::write(
        layout.marker(),
        "pgtui lab dir: removed by `pgtui lab` teardown\n",
    )
    .map_err(|e| LabError::io("writing", layout.marker(), e))?;
    for d in layout.dirs() {
        std::fs::create_dir_all(&d).map_err(|e| LabError::io("creating", &d, e))?;
        set_mode(&d, 0o700)?;
    }
    if let Some(r) = sup.run_as() {
        chown_tree(dir, r)?;
        let ok = std::process::Command::new("/usr/bin/test")
            .args([
                "-w".as_ref(),
                dir.as_os_str(),
                "-a".as_ref(),
                "-x".as_ref(),
                dir.as_os_str(),
            ])
            .uid(r.uid)
            .gid(r.gid)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            return Err(LabError::DirNotAccessible {
                dir: dir.clone(),
                user: r.user.clone(),
            });
        }
    }
    Ok(())
}

fn set_mode(p: &Path, mode: u32) -> Result<(), LabError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
        .map_err(|e| LabError::io("chmod", p, e))
}

/// `chown -R` to the lab user.
pub(crate) fn chown_tree(p: &Path, r: &RunAs) -> Result<(), LabError> {
    let owner = (
        Some(nix::unistd::Uid::from_raw(r.uid)),
        Some(nix::unistd::Gid::from_raw(r.gid)),
    );
    nix::unistd::chown(p, owner.0, owner.1)
        .map_err(|e| LabError::io("chown", p, std::io::Error::from(e)))?;
    if p.is_dir() && !p.is_symlink() {
        for e in std::fs::read_dir(p)
            .map_err(|e| LabError::io("reading", p, e))?
            .flatten()
        {
            chown_tree(&e.path(), r)?;
        }
    }
    Ok(())
}

/// Runs `program args` (as the lab user) and returns stdout, or a message.
fn output_as(program: &Path, args: &[&str], run_as: Option<&RunAs>) -> Result<String, String> {
    let mut cmd = std::process::Command::new(program);
    cmd.args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LC_ALL", "C.UTF-8");
    if let Some(r) = run_as {
        cmd.uid(r.uid)
            .gid(r.gid)
            .env("HOME", &r.home)
            .current_dir("/");
    }
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "{} {} failed: {}{}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `patroni --version` run as the lab user (which also proves a venv is
/// readable by it); returns e.g. `3.0.2`.
pub(crate) fn patroni_version(
    flavor: &PatroniFlavor,
    run_as: Option<&RunAs>,
) -> Result<String, LabError> {
    let bin = flavor.patroni_bin();
    match output_as(&bin, &["--version"], run_as) {
        Ok(out) => Ok(out
            .split_whitespace()
            .last()
            .unwrap_or("unknown")
            .to_string()),
        Err(detail) => Err(match flavor {
            PatroniFlavor::Venv(v) => LabError::BadVenv {
                venv: v.clone(),
                detail: format!(
                    "{detail} (as user {}; a venv under /root is not readable by postgres)",
                    run_as.map(|r| r.user.as_str()).unwrap_or("current")
                ),
            },
            PatroniFlavor::Debian => LabError::Verify {
                component: "patroni".into(),
                detail,
            },
        }),
    }
}

/// Whether this HAProxy build has the Prometheus exporter service.
pub(crate) fn haproxy_has_prometheus() -> bool {
    output_as(Path::new(HAPROXY), &["-vv"], None)
        .map(|o| o.contains("prometheus-exporter"))
        .unwrap_or(false)
}
