//! The `pgtui` binary: parse flags, resolve the configuration once, run one
//! command, and map failures to the documented exit codes.

use anyhow::Context;
use clap::{CommandFactory, Parser};
use pgtui::cli::args::{Cli, Command, DemoArgs, Format, GlobalArgs, ListArgs};
use pgtui::cli::code_for;
use pgtui::config::{self, Config, Inputs};
use pgtui::exit::ExitCode;

fn resolve(g: &GlobalArgs) -> Result<Config, config::ConfigError> {
    let inputs = Inputs {
        config_file: g.config_file.clone(),
        dcs_url: g.dcs_url.clone(),
        cluster: g.cluster.clone(),
        insecure: g.insecure,
        settings_file: g.settings.clone(),
        theme: g.theme.clone(),
        read_only: g.read_only,
        allow_stale: g.allow_stale,
    };
    let config = config::resolve(&inputs, &|k| std::env::var(k).ok())?;
    // Checked for every command, so `--theme bogus` is the same usage error
    // for `list` as for the console (which would only find out later).
    pgtui::tui::check_theme(config.theme.as_deref())
        .map_err(|e| config::ConfigError::Invalid(e.to_string()))?;
    pgtui::cli::render::set_no_color(config.no_color);
    Ok(config)
}

/// pgtui settings for a lab: its HAProxy stats credentials and SQL probes.
fn write_demo_settings(info: &pgtui::lab::LabInfo) -> anyhow::Result<std::path::PathBuf> {
    let mut toml = format!(
        "[sql]\nuser = {:?}\npassword = {:?}\n",
        info.superuser, info.superuser_password
    );
    if let Some(t) = &info.agent_token_file {
        toml.push_str(&format!(
            "\n[agent]\ntoken_file = {:?}\n",
            t.display().to_string()
        ));
    }
    if let Some(h) = info.haproxy.first() {
        let urls: Vec<String> = info
            .haproxy
            .iter()
            .map(|h| format!("{:?}", h.stats_url))
            .collect();
        toml.push_str(&format!(
            "\n[haproxy.pg-test]\nstats_urls = [{}]\nuser = {:?}\npassword = {:?}\n",
            urls.join(", "),
            h.stats_user,
            h.stats_password
        ));
    }
    let path = info.dir.join("pgtui.toml");
    std::fs::write(&path, toml).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

async fn demo(g: GlobalArgs, args: DemoArgs) -> anyhow::Result<()> {
    use pgtui::lab::{Lab, LabSpec, PatroniFlavor};
    let mut spec = LabSpec::new(args.index);
    spec.backups = !args.no_backups;
    if args.patroni != "debian" {
        spec.patroni = PatroniFlavor::Venv(args.patroni.clone().into());
    }
    eprintln!(
        "starting lab {} in {} (etcd, Patroni, PostgreSQL, HAProxy, pgbouncer, pgBackRest)…",
        args.index,
        spec.dir.display()
    );
    let lab = Lab::start(spec)
        .await
        .context("the demo lab did not start")?;
    eprintln!("lab ready; Ctrl-C stops it and removes its files");
    let mut g = g;
    g.config_file = Some(lab.info().patronictl_config.clone());
    g.settings = Some(write_demo_settings(lab.info())?);
    g.dcs_url = None;
    let watched = async {
        let config = resolve(&g)?;
        console_or_watch(config, Some("pg-test".to_string())).await
    };
    let result = watched.await;
    eprintln!("stopping the lab…");
    lab.stop().await.context("stopping the demo lab")?;
    result
}

/// The console on a terminal; the live list when output is piped.
async fn console_or_watch(config: Config, cluster: Option<String>) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        pgtui::tui::run(config, cluster).await
    } else {
        let args = ListArgs {
            clusters: cluster.into_iter().collect(),
            format: Format::Table,
            watch: true,
            rest: false,
        };
        pgtui::cli::list::run(config, args).await
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let g = cli.global;
    let Some(command) = cli.command else {
        let config = resolve(&g)?;
        let cluster = config.cluster.clone();
        return console_or_watch(config, cluster).await;
    };
    match command {
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "pgtui", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(())
        }
        Command::Lab(args) => pgtui::lab::cli::run(args).await,
        Command::Agent(args) => pgtui::agent::run(*args).await,
        Command::Op(cmd) => pgtui::cli::ops::run(resolve(&g)?, cmd).await,
        Command::Audit { last } => pgtui::cli::audit::run(resolve(&g), last).await,
        Command::Demo(args) => demo(g, args).await,
        Command::List(args) => pgtui::cli::list::run(resolve(&g)?, args).await,
        Command::Restore(args) => pgtui::cli::restore::run(resolve(&g)?, args).await,
        Command::Jobs(args) => pgtui::cli::jobs::run(resolve(&g)?, args).await,
        Command::Pools(args) => pgtui::cli::pools::run(resolve(&g)?, args).await,
        Command::Logs(args) => pgtui::cli::logs::run(resolve(&g)?, args).await,
        Command::Backups(args) => pgtui::cli::backups::run(resolve(&g)?, args).await,
        Command::History(args) => pgtui::cli::commands::history(resolve(&g)?, args).await,
        Command::Topology(args) => pgtui::cli::commands::topology(resolve(&g)?, args).await,
        Command::ShowConfig(args) => pgtui::cli::commands::show_config(resolve(&g)?, args).await,
        Command::Version(args) => pgtui::cli::commands::version(resolve(&g)?, args).await,
        Command::Dsn(args) => pgtui::cli::commands::dsn(resolve(&g)?, args).await,
    }
}

fn main() {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::Ok,
        Err(e) => {
            // Not eprintln!: it panics when stderr is a terminal that is gone.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "pgtui: {}",
                pgtui::text::terminal_safe(&format!("{e:#}"), false)
            );
            code_for(&e)
        }
    };
    // Sources may still be mid-request; do not wait for them.
    rt.shutdown_background();
    std::process::exit(code as i32);
}
