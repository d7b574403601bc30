//! Every change the watch observed, newest first.

use super::cluster::block;
use super::Ctx;
use crate::model::events::{Event, Severity};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, StatefulWidget, Table, TableState, Widget};

fn row<'a>(ctx: &Ctx, e: &Event) -> Row<'a> {
    let t = ctx.theme;
    let (mark, style) = match e.severity {
        Severity::Alarm => ("!", t.alarm()),
        Severity::Warn => ("▲", t.fg(t.warn)),
        Severity::Info => (" ", t.base()),
    };
    Row::new(vec![
        Cell::from(Span::styled(super::common::clock(e.at), t.muted())),
        Cell::from(Span::styled(format!("{mark} {}", e.message), style)),
    ])
}

pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let events = crate::tui::selection::visible_events(ctx.model, ctx.ui);
    let rows: Vec<Row> = events.iter().map(|e| row(ctx, e)).collect();
    let title = format!("events ({}), newest first", events.len());
    let table = Table::new(rows, [Constraint::Length(9), Constraint::Min(20)])
        .header(Row::new(vec!["UTC", "What happened"]).style(ctx.theme.header()))
        .row_highlight_style(ctx.theme.selected())
        .block(block(ctx, &title, true));
    let mut state = TableState::default().with_selected(Some(ctx.ui.selected));
    StatefulWidget::render(table, area, buf, &mut state);
}

/// The home screen's recent-events panel.
pub fn compact(area: Rect, buf: &mut Buffer, ctx: &Ctx, cluster: &str) {
    let rows: Vec<Row> = ctx
        .model
        .events
        .iter()
        .rev()
        .filter(|e| e.cluster.as_deref().is_none_or(|c| c == cluster))
        .take(area.height as usize)
        .map(|e| row(ctx, e))
        .collect();
    let table = Table::new(rows, [Constraint::Length(9), Constraint::Min(10)]).block(block(
        ctx,
        "recent events",
        ctx.ui.focus == 2,
    ));
    Widget::render(table, area, buf);
}
