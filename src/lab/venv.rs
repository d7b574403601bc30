//! Creating a venv with Patroni 4.x from PyPI, for labs run with
//! [`PatroniFlavor::Venv`](super::PatroniFlavor::Venv).
//!
//! Patroni 4.1.5's metadata has the extras `etcd3` (pulls `python-etcd`) and
//! `psycopg2-binary` (a prebuilt driver, so no compiler or libpq headers are
//! needed). The venv must be readable by the `postgres` user when the lab
//! runs as root, so it is verified by running `patroni --version` as that
//! user; a venv under `/root` fails that check.

use std::path::{Path, PathBuf};

use super::error::LabError;
use super::prereq;
use super::spec::PatroniFlavor;

/// What `install_patroni4` installs.
pub const PATRONI4_REQUIREMENT: &str = "patroni[etcd3,psycopg2-binary]==4.1.5";
/// The Python the venv is made from (Debian's, with python3-venv).
pub const SYSTEM_PYTHON: &str = "/usr/bin/python3";

async fn run(component: &str, program: &Path, args: &[&str]) -> Result<(), LabError> {
    eprintln!(
        "pgtui lab: running {} {}",
        program.display(),
        args.join(" ")
    );
    let out = tokio::process::Command::new(program)
        .args(args)
        .output()
        .await
        .map_err(|e| LabError::Spawn {
            component: component.into(),
            program: program.to_path_buf(),
            source: e,
        })?;
    if out.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    Err(LabError::CommandFailed {
        component: component.into(),
        command: format!("{} {}", program.display(), args.join(" ")),
        status: super::proc::describe(out.status),
        log: PathBuf::from("(captured output)"),
        tail: lines[lines.len().saturating_sub(30)..].join("\n"),
    })
}

/// `python3 -m venv VENV && VENV/bin/pip install 'patroni[etcd3,psycopg2-binary]==4.1.5'`,
/// then checks the result runs as the lab user. Returns the Patroni version.
pub async fn install_patroni4(venv: &Path) -> Result<String, LabError> {
    let venv = if venv.is_absolute() {
        venv.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| LabError::io("reading current dir", ".", e))?
            .join(venv)
    };
    let v = venv.display().to_string();
    run(
        "python3 -m venv",
        SYSTEM_PYTHON.as_ref(),
        &["-m", "venv", &v],
    )
    .await?;
    let pip = venv.join("bin/pip");
    run(
        "pip install patroni",
        &pip,
        &[
            "install",
            "--disable-pip-version-check",
            PATRONI4_REQUIREMENT,
        ],
    )
    .await?;
    let run_as = prereq::run_as()?;
    prereq::patroni_version(&PatroniFlavor::Venv(venv), run_as.as_ref())
}
