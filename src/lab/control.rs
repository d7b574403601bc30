//! The running lab's control socket, `LAB/run/control.sock`: stop, kill or
//! start one of the lab's long-running children by its component name
//! (`patroni pg-test-1`, `agent pg-test-2`).
//!
//! On a real node a restore stops and starts Patroni with systemctl; in the
//! lab Patroni is a child of the runner, so the agents are given
//! `pgtui lab ctl --dir LAB stop 'patroni NODE'` instead, and tests use
//! `kill`/`start` to kill an agent mid-job and bring it back. One request
//! per connection: a line `stop|kill|start COMPONENT`, answered by a line
//! `ok …` or `error …`. The socket is the lab database user's, mode 0600.

use super::error::LabError;
use super::proc::Supervisor;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

pub(crate) fn socket(dir: &Path) -> PathBuf {
    dir.join("run/control.sock")
}

async fn answer(sup: &Supervisor, line: &str) -> Result<String, String> {
    let (verb, component) = line
        .trim()
        .split_once(' ')
        .ok_or("expected `stop|kill|start COMPONENT`")?;
    match verb {
        "stop" => {
            sup.stop_one(
                component,
                nix::sys::signal::Signal::SIGTERM,
                Duration::from_secs(60),
            )
            .await
        }
        "kill" => {
            sup.stop_one(
                component,
                nix::sys::signal::Signal::SIGKILL,
                Duration::from_secs(10),
            )
            .await
        }
        "start" => sup.start_again(component).await,
        other => Err(format!("unknown verb {other:?}: stop, kill or start")),
    }
}

/// Serves the socket until the returned task is aborted.
pub(crate) fn serve(
    sup: Arc<Supervisor>,
    dir: &Path,
) -> Result<tokio::task::JoinHandle<()>, LabError> {
    let path = socket(dir);
    let _ = std::fs::remove_file(&path);
    let listener =
        tokio::net::UnixListener::bind(&path).map_err(|e| LabError::io("binding", &path, e))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| LabError::io("chmod", &path, e))?;
        if let Some(r) = sup.run_as() {
            super::prereq::chown_tree(&path, r)?;
        }
    }
    Ok(tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let sup = sup.clone();
            tokio::spawn(async move {
                let (r, mut w) = conn.into_split();
                let mut line = String::new();
                if BufReader::new(r).read_line(&mut line).await.is_err() {
                    return;
                }
                let reply = match answer(&sup, &line).await {
                    Ok(m) => format!("ok {m}\n"),
                    Err(e) => format!("error {e}\n"),
                };
                eprintln!("pgtui lab: control: {} -> {}", line.trim(), reply.trim());
                let _ = w.write_all(reply.as_bytes()).await;
            });
        }
    }))
}

/// `pgtui lab ctl`: sends one request and prints the answer; an `error`
/// answer is an error.
pub fn request(dir: &Path, verb: &str, component: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, Write};
    let path = socket(dir);
    let mut s = std::os::unix::net::UnixStream::connect(&path).map_err(|e| {
        anyhow::anyhow!(
            "cannot reach the lab's control socket {}: {e}; is the lab running?",
            path.display()
        )
    })?;
    writeln!(s, "{verb} {component}")?;
    let mut line = String::new();
    std::io::BufReader::new(s).read_line(&mut line)?;
    match line.trim().split_once(' ') {
        Some(("ok", m)) => Ok(m.to_string()),
        Some(("error", m)) => anyhow::bail!("{m}"),
        _ => anyhow::bail!("the lab answered nothing (it may be tearing down)"),
    }
}
