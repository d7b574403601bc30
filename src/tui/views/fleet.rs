//! Every cluster in the namespace, worst health first, with counts by
//! health in the title; Enter opens one. `/` filters by name and by health
//! (`is:degraded`, `is:unhealthy`, `is:unconfirmed`...).

use super::cluster::block;
use super::common;
use super::Ctx;
use crate::model::health::Health;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, StatefulWidget, Table, TableState};

/// The Paused column, dropped on narrow terminals (the Health column says
/// `⏸ paused` too).
const PAUSED: usize = 7;

/// How a health verdict is coloured: a proven problem in the alarm
/// colour, an unconfirmed one in the stale colour.
pub fn health_style(ctx: &Ctx, h: &Health) -> ratatui::style::Style {
    let t = ctx.theme;
    match h {
        h if h.is_alarm() => t.alarm(),
        Health::Unconfirmed(_) => t.fg(t.stale),
        Health::Paused => t.fg(t.warn),
        _ => t.fg(t.ok),
    }
}

/// How fresh a row's member data is: `live` when every member's REST API
/// answered recently, else the age of the newest answer, else `dcs` (the
/// row was never asked: DCS data only).
fn data_span(ctx: &Ctx, c: &crate::model::ClusterState, stale: bool) -> Span<'static> {
    let t = ctx.theme;
    if stale {
        return Span::styled("STALE", t.fg(t.stale));
    }
    let live_for = crate::model::freshness::rest_live_for(ctx.model, &c.name);
    let n = crate::model::health::rest_count(c, live_for, ctx.now);
    if n.members > 0 && n.answered == n.members {
        return Span::styled("live", t.muted());
    }
    match c.rest.values().map(|r| r.at).max() {
        Some(at) => {
            let age = ctx.now.duration_since(at).unwrap_or_default();
            Span::styled(format!("rest {}", common::human(age)), t.fg(t.stale))
        }
        None => Span::styled("dcs", t.fg(t.stale)),
    }
}

pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let t = ctx.theme;
    let narrow = area.width < 110;
    let stale = !common::dcs_live(ctx);
    let fleet = ctx.views.fleet(ctx.model, &ctx.ui.filter, ctx.now);
    // Only the rows that fit are built: a fleet of thousands must not cost a
    // cluster view per cluster per frame (the verdicts are cached).
    let height = area.height.saturating_sub(3).max(1) as usize;
    let start = ctx.ui.selected.saturating_sub(height - 1);
    let rows: Vec<Row> = fleet
        .rows
        .iter()
        .skip(start)
        .take(height)
        .map(|(n, health)| {
            let c = &ctx.model.clusters[n];
            let v = ctx.view(c);
            let replicas: Vec<_> = v.members.iter().filter(|m| !m.role.leads()).collect();
            let streaming = replicas
                .iter()
                .filter(|m| common::state_ok(&m.state))
                .count();
            let max_lag = replicas
                .iter()
                .filter_map(|m| m.receive_lag_bytes.max(m.replay_lag_bytes))
                .max();
            let mut cells = vec![
                Cell::from(v.name.clone()),
                Cell::from(Span::styled(health.short(), health_style(ctx, health))),
                Cell::from(v.leader.clone().unwrap_or_else(|| "-".into())),
                Cell::from(v.timeline.map(|x| x.to_string()).unwrap_or_default()),
                Cell::from(format!("{}", v.members.len())),
                Cell::from(format!("{streaming}/{}", replicas.len())),
                Cell::from(common::lag_span(ctx, max_lag)),
                Cell::from(if v.paused { "yes" } else { "" }),
                Cell::from(fleet_backup(ctx, c)),
                Cell::from(data_span(ctx, c, stale)),
            ];
            if narrow {
                cells.remove(PAUSED);
            }
            Row::new(cells)
        })
        .collect();
    // Every width the constraints ask for fits, with the slack in the
    // cluster column alone: an over-constrained table is laid out
    // differently from run to run.
    let sizes: &[u16] = if narrow {
        &[10, 13, 11, 3, 4, 5, 6, 8, 8]
    } else {
        &[14, 15, 14, 4, 7, 9, 8, 6, 12, 9]
    };
    let widths: Vec<Constraint> = sizes
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i == 0 {
                Constraint::Min(*w)
            } else {
                Constraint::Length(*w)
            }
        })
        .collect();
    let total: usize = fleet.counts.values().map(|(_, n)| n).sum();
    let counts = if narrow {
        // Grouped by symbol: every alarm together, then the rest.
        let mut groups: Vec<(&str, usize)> = Vec::new();
        for (h, n) in fleet.counts.values() {
            let sym = match h {
                h if h.is_alarm() => "!",
                Health::Unconfirmed(_) => "?",
                Health::Paused => "⏸",
                _ => "✓",
            };
            match groups.last_mut() {
                Some((s, total)) if *s == sym => *total += n,
                _ => groups.push((sym, *n)),
            }
        }
        groups
            .iter()
            .map(|(s, n)| format!("{s}{n}"))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        fleet
            .counts
            .values()
            .map(|(h, n)| format!("{n} {}", h.word()))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let etcd = ctx.model.source(crate::model::SourceId::Etcd);
    let title = if let (true, Some(_)) = (ctx.model.fleet_pending, &ctx.model.fleet_refused) {
        "fleet (etcd refuses this user the namespace: only the open cluster can be shown; ! for the error)".to_string()
    } else if ctx.model.fleet_pending && etcd.down_since.is_some() {
        "fleet (not read: etcd is not answering; see the header)".to_string()
    } else if ctx.model.fleet_pending {
        "fleet (reading the namespace from etcd…)".to_string()
    } else if fleet.rows.len() == total {
        format!("fleet ({total} clusters: {counts})")
    } else {
        format!("fleet ({} of {total} shown; {counts})", fleet.rows.len())
    };
    let mut header = vec![
        "Cluster",
        "Health",
        "Leader",
        "TL",
        "Members",
        "Streaming",
        "Max lag",
        "Paused",
        "Backup",
        "Data",
    ];
    if narrow {
        header.remove(PAUSED);
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.header()))
        .row_highlight_style(t.selected())
        .highlight_symbol("▶ ")
        .block(block(ctx, &title, true));
    let mut state = TableState::default().with_selected(Some(ctx.ui.selected - start));
    StatefulWidget::render(table, area, buf, &mut state);
}

/// The fleet's backup column: the last backup's age, red without one or
/// with archiving failing, `-` where no agent has answered.
fn fleet_backup(ctx: &Ctx, c: &crate::model::ClusterState) -> Span<'static> {
    let t = ctx.theme;
    let s = ctx.views.backups(ctx.model, &c.name, ctx.now);
    let Some(s) = s.as_ref() else {
        return Span::styled("-", t.muted());
    };
    if !s.configured {
        return Span::styled("none", t.muted());
    }
    let now = crate::model::backup::report::epoch_secs(ctx.now);
    match (s.last_backup, s.is_red()) {
        (None, _) => Span::styled("! NONE", t.alarm()),
        (Some(at), red) => {
            let age = common::human(std::time::Duration::from_secs((now - at).max(0) as u64));
            if red {
                Span::styled(format!("! {age}"), t.alarm())
            } else {
                Span::styled(age, t.fg(t.ok))
            }
        }
    }
}
