//! `?`: the key registry as a table, drawn over the current screen.

use super::cluster::block;
use super::Ctx;
use crate::tui::keys;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Table, Widget};

pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let rows: Vec<Row> = keys::help_rows(ctx.ui.writable())
        .into_iter()
        .map(|(k, h)| Row::new(vec![Cell::from(k), Cell::from(h)]))
        .collect();
    let r = super::common::overlay(area, buf, ctx, 100, rows.len() as u16 + 3);
    let title = format!("help — {}", keys::HELP_CLOSES.text());
    Table::new(rows, [Constraint::Length(18), Constraint::Min(20)])
        .header(Row::new(vec!["Keys", "Action"]).style(ctx.theme.header()))
        .block(block(ctx, &title, true))
        .render(r, buf);
}
