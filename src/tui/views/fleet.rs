//! Every cluster in the namespace, with a health summary; Enter opens one.

use super::cluster::block;
use super::common;
use super::Ctx;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, StatefulWidget, Table, TableState};

/// The Paused column, dropped on narrow terminals (the Health column says
/// `⏸ paused` too).
const PAUSED: usize = 7;

pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let t = ctx.theme;
    let narrow = area.width < 110;
    let stale = !common::dcs_live(ctx);
    let names = crate::tui::selection::visible_clusters(ctx.model, &ctx.ui.filter);
    // Only the rows that fit are built: a fleet of thousands must not cost a
    // cluster view per cluster per frame.
    let height = area.height.saturating_sub(3).max(1) as usize;
    let start = ctx.ui.selected.saturating_sub(height - 1);
    let rows: Vec<Row> = names
        .iter()
        .skip(start)
        .take(height)
        .map(|n| {
            let v = ctx.view(&ctx.model.clusters[n]);
            let replicas: Vec<_> = v.members.iter().filter(|m| !m.role.leads()).collect();
            let streaming = replicas
                .iter()
                .filter(|m| common::state_ok(&m.state))
                .count();
            let max_lag = replicas
                .iter()
                .filter_map(|m| m.receive_lag_bytes.max(m.replay_lag_bytes))
                .max();
            let (health, style) = if stale {
                // Nothing is "healthy" that etcd cannot confirm.
                ("? unconfirmed", t.fg(t.stale))
            } else if v.leader.is_none() {
                ("! NO LEADER", t.alarm())
            } else if !v.unparseable_keys.is_empty() {
                ("! UNPARSEABLE", t.alarm())
            } else if !v.findings.is_empty() {
                ("! ODD DATA", t.alarm())
            } else if streaming < replicas.len() {
                ("! DEGRADED", t.alarm())
            } else if v.paused {
                ("⏸ paused", t.fg(t.warn))
            } else {
                ("✓ healthy", t.fg(t.ok))
            };
            let mut cells = vec![
                Cell::from(v.name.clone()),
                Cell::from(Span::styled(health, style)),
                Cell::from(v.leader.clone().unwrap_or_else(|| "-".into())),
                Cell::from(v.timeline.map(|x| x.to_string()).unwrap_or_default()),
                Cell::from(format!("{}", v.members.len())),
                Cell::from(format!("{streaming}/{}", replicas.len())),
                Cell::from(common::lag_span(ctx, max_lag)),
                Cell::from(if v.paused { "yes" } else { "" }),
                Cell::from(fleet_backup(ctx, &ctx.model.clusters[n])),
                Cell::from(if stale {
                    Span::styled("STALE", t.fg(t.stale))
                } else {
                    Span::styled("live", t.muted())
                }),
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
        &[10, 13, 11, 3, 4, 5, 6, 8, 5]
    } else {
        &[14, 15, 14, 4, 7, 9, 8, 6, 12, 6]
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
    let title = format!("fleet ({} clusters)", names.len());
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
