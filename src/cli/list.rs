//! `pgtui list`: the cluster at a glance, once or on every change.

use super::args::{Format, ListArgs};
use super::render;
use super::session::{scope_for, target_clusters, Session};
use crate::config::Config;
use crate::model::view::ClusterView;
use crate::model::SourceId;
use serde::Serialize;
use std::io::Write;
use std::time::{Duration, SystemTime};

/// The JSON/YAML document: `{"clusters": [...]}` (README: "JSON contract").
#[derive(Serialize)]
pub struct ListDoc<'a> {
    pub clusters: &'a [ClusterView],
}

pub fn render(
    views: &[ClusterView],
    format: Format,
    stale: Option<String>,
    colour: bool,
) -> String {
    match format {
        Format::Json => {
            serde_json::to_string(&ListDoc { clusters: views }).expect("views serialise")
        }
        Format::Yaml => {
            serde_yaml::to_string(&ListDoc { clusters: views }).expect("views serialise")
        }
        Format::Table => {
            let mut parts: Vec<String> = views
                .iter()
                .map(|v| render::cluster_table(v, colour))
                .collect();
            if let Some(s) = stale {
                parts.insert(0, s);
            }
            if views.is_empty() {
                parts.push("no clusters found".into());
            }
            parts.join("\n\n")
        }
    }
}

pub async fn run(config: Config, args: ListArgs) -> anyhow::Result<()> {
    let names = target_clusters(&args.clusters, &config);
    let session = Session::start(config, scope_for(&names));
    session.wait_first_data().await?;
    session.ensure_exist(&names).await?;
    let colour = render::colour_enabled();
    let frame = |s: &Session| -> anyhow::Result<String> {
        let views = s.views(&names)?;
        let stale = s
            .model
            .read(|m| render::staleness(&m.source(SourceId::Etcd), SystemTime::now()));
        Ok(render(&views, args.format, stale, colour))
    };
    let first = frame(&session)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{first}")?;
    out.flush()?;
    drop(out);
    if !args.watch {
        return Ok(());
    }

    let mut last = first;
    let mut changes = session.model.subscribe();
    loop {
        tokio::select! {
            r = changes.changed() => { if r.is_err() { return Ok(()); } }
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
        // Coalesce a burst (a switchover touches several keys at once).
        tokio::time::sleep(Duration::from_millis(30)).await;
        changes.borrow_and_update();
        let text = match frame(&session) {
            Ok(t) => t,
            // A cluster that vanished mid-watch is worth a line, not an exit.
            Err(e) => format!("! {e}"),
        };
        if text != last {
            let mut out = std::io::stdout().lock();
            if args.format == Format::Table {
                writeln!(out, "\n--- {}", humantime_now())?;
            }
            // A closed pipe (`| head`) ends the watch quietly.
            if writeln!(out, "{text}").and_then(|_| out.flush()).is_err() {
                return Ok(());
            }
            last = text;
        }
    }
}

fn humantime_now() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    format!("{h:02}:{m:02}:{s:02} UTC")
}
