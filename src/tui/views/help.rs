//! `?`: the key registry as a table, drawn over the current screen.

use super::cluster::block;
use super::Ctx;
use crate::tui::keys;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Clear, Row, Table, Widget};

pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let rows: Vec<Row> = keys::help_rows(ctx.ui.writable())
        .into_iter()
        .map(|(k, h)| Row::new(vec![Cell::from(k), Cell::from(h)]))
        .collect();
    let w = area.width.min(100);
    let h = area.height.min(rows.len() as u16 + 3);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    Clear.render(r, buf);
    buf.set_style(r, ctx.theme.base());
    Table::new(rows, [Constraint::Length(18), Constraint::Min(20)])
        .header(Row::new(vec!["Keys", "Action"]).style(ctx.theme.header()))
        .block(block(ctx, "help — Esc or ? closes", true))
        .render(r, buf);
}
