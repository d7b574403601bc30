//! `pgtui list`: the cluster at a glance, once or on every change.

use super::args::{Format, ListArgs};
use super::render;
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::model::freshness::ClusterFreshness;
use crate::model::view::ClusterView;
use crate::model::SourceId;
use crate::session::{scope_for, target_clusters, Needs, Session};
use serde::Serialize;
use std::io::Write;
use std::time::{Duration, SystemTime};

/// One cluster in the JSON/YAML document: its view, and how fresh it is.
#[derive(Serialize)]
pub struct Listed<'a> {
    #[serde(flatten)]
    pub view: &'a ClusterView,
    #[serde(flatten)]
    pub freshness: &'a ClusterFreshness,
}

/// The JSON/YAML document: `{"clusters": [...]}` (README: "JSON contract").
#[derive(Serialize)]
pub struct ListDoc<'a> {
    pub clusters: Vec<Listed<'a>>,
}

pub fn render(
    views: &[(ClusterView, ClusterFreshness)],
    format: Format,
    stale: Option<String>,
    colour: bool,
) -> String {
    let doc = || ListDoc {
        clusters: views
            .iter()
            .map(|(view, freshness)| Listed { view, freshness })
            .collect(),
    };
    match format {
        Format::Json => serde_json::to_string(&doc()).expect("views serialise"),
        Format::Yaml => serde_yaml::to_string(&doc()).expect("views serialise"),
        Format::Table => {
            let mut parts: Vec<String> = views
                .iter()
                .map(|(v, _)| render::cluster_table(v, colour))
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
    let scope = match (names.is_empty(), args.rest) {
        (true, true) => crate::sources::Scope::all_with_rest(),
        _ => scope_for(&names),
    };
    let session = Session::start(config, scope);
    crate::cli::wait_for_answer(&session, Needs::RestAndSql).await?;
    session.ensure_exist(&names).await?;
    let colour = render::colour_enabled();
    // The text, what the answer lacks (`None` when it is current), and the
    // text with every age blanked: `--watch` prints again when that
    // changes, not each time a source's age ticks up.
    let frame = |s: &Session| -> anyhow::Result<(String, Option<String>, String)> {
        let now = SystemTime::now();
        let mut views = s.views_with_freshness(&names, now)?;
        let stale = s
            .model
            .read(|m| render::staleness(&m.source(SourceId::Etcd), now));
        let lacking = lacking(&views, stale.as_deref());
        let text = render(&views, args.format, stale.clone(), colour);
        for (_, f) in views.iter_mut() {
            for r in f.sources.values_mut() {
                r.age_ms = r.age_ms.map(|_| 0);
            }
        }
        let stale_key = stale.map(|s| s.split(" for ").next().unwrap_or("").to_string());
        let key = render(&views, args.format, stale_key, colour);
        Ok((text, lacking, key))
    };
    let (first, lacks, first_key) = frame(&session)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", super::out::stdout_safe(&first))?;
    out.flush()?;
    drop(out);
    for k in session.model.read(|m| m.stray_keys.clone()) {
        errln!("pgtui: key {k} names no cluster (Patroni never writes one); it is left alone");
    }
    if !args.watch {
        return match lacks {
            Some(why) if !session.config.allow_stale => Err(CliError::new(
                ExitCode::Stale,
                format!("the answer above is not current: {why}; pass --allow-stale to accept it"),
            )
            .into()),
            _ => Ok(()),
        };
    }

    let mut last = first_key;
    let mut last_lacks = lacks.clone();
    if let Some(why) = &lacks {
        errln!("pgtui: STALE: {why}");
    }
    let mut changes = session.model.subscribe();
    // Staleness comes with time as well as with changes: re-judge every
    // second even when nothing changed.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let went_stale_at = std::cell::Cell::new(lacks.as_ref().map(|_| SystemTime::now()));
    loop {
        tokio::select! {
            r = changes.changed() => { if r.is_err() { return Ok(()); } }
            _ = tick.tick() => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
        // Coalesce a burst (a switchover touches several keys at once).
        tokio::time::sleep(Duration::from_millis(30)).await;
        changes.borrow_and_update();
        let (text, lacks, key) = match frame(&session) {
            Ok(t) => t,
            // A cluster that vanished mid-watch is worth a line, not an exit.
            Err(e) => (format!("! {e}"), None, format!("! {e}")),
        };
        if lacks.is_some() != last_lacks.is_some() {
            match &lacks {
                Some(why) => {
                    went_stale_at.set(Some(SystemTime::now()));
                    errln!("pgtui: {} STALE: {why}", humantime_now());
                }
                None => {
                    let for_s = went_stale_at
                        .get()
                        .and_then(|t| t.elapsed().ok())
                        .map(|d| format!(" after {} s", d.as_secs()))
                        .unwrap_or_default();
                    errln!(
                        "pgtui: {} live again{for_s}: etcd confirms the state shown",
                        humantime_now()
                    );
                }
            }
            last_lacks = lacks.clone();
        }
        if key != last {
            let mut out = std::io::stdout().lock();
            if args.format == Format::Table {
                writeln!(out, "\n--- {}", humantime_now())?;
            }
            // A closed pipe (`| head`) ends the watch quietly.
            if writeln!(out, "{}", super::out::stdout_safe(&text))
                .and_then(|_| out.flush())
                .is_err()
            {
                return Ok(());
            }
            last = key;
        }
    }
}

/// Why the answer is not current, or `None` when it is.
fn lacking(views: &[(ClusterView, ClusterFreshness)], stale: Option<&str>) -> Option<String> {
    let mut why: Vec<String> = views
        .iter()
        .filter(|(_, f)| f.stale || f.partial)
        .map(|(v, f)| {
            let what = match (f.stale, f.partial) {
                (true, true) => "stale and partial",
                (true, false) => "stale",
                _ => "partial",
            };
            format!("{} is {what}", v.name)
        })
        .collect();
    if why.is_empty() {
        return None;
    }
    if let Some(s) = stale {
        why.push(s.trim().trim_start_matches("! ").to_string());
    }
    Some(why.join("; "))
}

fn humantime_now() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    format!("{h:02}:{m:02}:{s:02} UTC")
}
