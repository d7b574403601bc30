//! `pgtui lab ...`: the command-line glue of the lab.
//!
//! `pgtui lab up` starts a lab, prints its [`LabInfo`](super::LabInfo) as one
//! JSON line on stdout once everything is ready, and keeps running until
//! SIGINT/SIGTERM/SIGHUP (or, with `--stdin-guard`, until stdin reaches EOF),
//! then tears down and exits 0. The stdin guard is how test suites own a lab:
//! the test keeps the pipe open, and when it dies for any reason the pipe
//! closes and the runner cleans up. A stop request during start aborts the
//! start and tears down what was started.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tokio::signal::unix::{signal, SignalKind};

use super::error::LabError;
use super::lifecycle::Lab;
use super::spec::{LabSpec, LabStyle, PatroniFlavor};
use super::venv::{install_patroni4, PATRONI4_REQUIREMENT};

/// `pgtui lab`: run a throwaway HA cluster on this machine.
#[derive(Debug, clap::Args)]
pub struct LabArgs {
    #[command(subcommand)]
    pub command: LabCommand,
}

/// Lab subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum LabCommand {
    /// Start a lab, print its info as one JSON line when ready, run until stopped.
    Up(UpArgs),
    /// Stop, kill or start one component of a running lab (`patroni
    /// pg-test-1`, `agent pg-test-2`) through its control socket.
    Ctl {
        /// The lab dir.
        #[arg(long)]
        dir: PathBuf,
        /// stop (SIGTERM to it alone), kill (SIGKILL) or start (again).
        #[arg(value_parser = ["stop", "kill", "start"])]
        verb: String,
        /// Component name, as in the lab's log file names.
        component: String,
    },
    /// Copy the lab's first cluster COUNT times into its etcd (members
    /// pointed at 127.0.0.1:1, where nothing listens): a fleet for scale
    /// tests and benchmarks.
    Fleet {
        /// The lab dir.
        #[arg(long)]
        dir: PathBuf,
        /// How many clusters to add.
        #[arg(long)]
        clusters: usize,
        /// Their names: PREFIX00000, PREFIX00001, ...
        #[arg(long, default_value = "fleet-")]
        prefix: String,
    },
    /// Create a venv with Patroni 4.1.5 from PyPI (for `up --patroni VENV`).
    InstallPatroni4 {
        /// Directory of the venv (must be readable by `postgres`, so not under /root).
        #[arg(long)]
        venv: PathBuf,
    },
}

/// Options of `pgtui lab up`.
#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// Lab index N: addresses 127.0.N.x.
    #[arg(long, default_value_t = 0)]
    pub index: u8,
    /// Lab dir (default /tmp/pgtui-lab-N); removed on teardown.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// `debian` or the path of a venv made by `install-patroni4`.
    #[arg(long, default_value = "debian", value_parser = parse_flavor)]
    pub patroni: PatroniFlavor,
    /// Cluster layout: `pigsty` (namespace /pg/, plain etcd) or `autobase`
    /// (namespace /service/, etcd over TLS with auth, REST over https,
    /// synchronous_mode, HAProxy :5000-5003 and stats :7000).
    #[arg(long, default_value = "pigsty")]
    pub style: LabStyle,
    /// Skip pgBackRest stanzas and backups.
    #[arg(long)]
    pub no_backups: bool,
    /// Overall readiness deadline in seconds.
    #[arg(long, default_value_t = 180)]
    pub deadline_secs: u64,
    /// Tear down when stdin reaches EOF (for test suites holding a pipe).
    #[arg(long)]
    pub stdin_guard: bool,
}

fn parse_flavor(s: &str) -> Result<PatroniFlavor, String> {
    match s {
        "debian" => Ok(PatroniFlavor::Debian),
        "" => Err("expected `debian` or a venv path".into()),
        path => Ok(PatroniFlavor::Venv(
            std::path::absolute(path).map_err(|e| format!("bad venv path {path}: {e}"))?,
        )),
    }
}

/// Entry point of `pgtui lab`.
pub async fn run(args: LabArgs) -> anyhow::Result<()> {
    match args.command {
        LabCommand::Up(a) => up(a).await,
        LabCommand::Ctl {
            dir,
            verb,
            component,
        } => {
            let said = super::control::request(&dir, &verb, &component)?;
            println!("{said}");
            Ok(())
        }
        LabCommand::Fleet {
            dir,
            clusters,
            prefix,
        } => {
            let keys = super::fleet::load(&dir, clusters, &prefix).await?;
            println!(
                "{clusters} clusters ({keys} keys) added to the lab in {}",
                dir.display()
            );
            Ok(())
        }
        LabCommand::InstallPatroni4 { venv } => {
            let version = install_patroni4(&venv).await.with_context(|| {
                format!("installing {PATRONI4_REQUIREMENT} into {}", venv.display())
            })?;
            println!(
                "patroni {version} ready in {}; start a lab with: pgtui lab up --patroni {}",
                venv.display(),
                venv.display()
            );
            Ok(())
        }
    }
}

/// Resolves when stdin reaches EOF (read on a plain thread so a blocked read
/// never holds up runtime shutdown); never resolves without the guard.
async fn stdin_eof(guard: bool) {
    if !guard {
        return std::future::pending().await;
    }
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        let mut stdin = std::io::stdin();
        loop {
            match std::io::Read::read(&mut stdin, &mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let _ = tx.send(());
    });
    let _ = rx.await;
}

async fn up(a: UpArgs) -> anyhow::Result<()> {
    let mut spec = LabSpec::new(a.index);
    if let Some(d) = a.dir {
        spec.dir = std::path::absolute(&d).with_context(|| format!("bad --dir {}", d.display()))?;
    }
    spec.patroni = a.patroni;
    spec.style = a.style;
    spec.backups = !a.no_backups;
    spec.deadline = Duration::from_secs(a.deadline_secs);

    let mut sigint = signal(SignalKind::interrupt()).context("installing SIGINT handler")?;
    let mut sigterm = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    let mut sighup = signal(SignalKind::hangup()).context("installing SIGHUP handler")?;
    let stop = async {
        tokio::select! {
            _ = sigint.recv() => "SIGINT",
            _ = sigterm.recv() => "SIGTERM",
            _ = sighup.recv() => "SIGHUP",
            _ = stdin_eof(a.stdin_guard) => "stdin EOF",
        }
    };
    tokio::pin!(stop);

    let started = std::time::Instant::now();
    eprintln!(
        "pgtui lab: starting lab {} ({} style) in {}",
        spec.index,
        spec.style,
        spec.dir.display()
    );
    let lab = tokio::select! {
        r = Lab::start(spec) => r?,
        why = &mut stop => return Err(LabError::Interrupted(why.to_string()).into()),
    };
    eprintln!(
        "pgtui lab: ready after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let line = serde_json::to_string(lab.info()).context("serialising lab info")?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
    let why = stop.await;
    eprintln!("pgtui lab: {why}: tearing down");
    lab.stop().await?;
    eprintln!("pgtui lab: torn down");
    Ok(())
}
