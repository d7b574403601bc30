//! Patroni's timeline history, as a drawn timeline and as a table, with
//! members on an abandoned timeline flagged loudly.

use super::cluster::block;
use super::common;
use super::Ctx;
use crate::model::sql::format_lsn;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, TableState, Widget};

pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let t = ctx.theme;
    let Some(c) = common::cluster_or_note(area, buf, ctx) else {
        return;
    };
    let v = ctx.view(c);
    let history = c.dcs.history.as_ref().map(|e| e.value.clone());
    let [drawn, alarms, table_area] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(2),
        Constraint::Min(3),
    ])
    .areas(area);

    let entries = match history {
        Some(crate::dcs::Decoded::Ok(h)) => h,
        Some(crate::dcs::Decoded::Unparseable { error, raw }) => {
            Paragraph::new(format!(" ! history key unparseable: {error}\n raw: {raw}"))
                .style(t.alarm())
                .render(area, buf);
            return;
        }
        None => vec![],
    };
    // Drawn: the last few switches, newest right, current timeline last.
    let current = v
        .timeline
        .unwrap_or(entries.last().map(|e| e.timeline + 1).unwrap_or(1));
    let room = (drawn.width as usize).saturating_sub(4) / 12;
    let mut spans = vec![Span::raw(" ")];
    for e in entries
        .iter()
        .skip(entries.len().saturating_sub(room.saturating_sub(1)))
    {
        spans.push(Span::styled(format!("TL{}", e.timeline), t.muted()));
        spans.push(Span::styled("──●── ", t.fg(t.border)));
    }
    spans.push(Span::styled(
        format!("TL{current} (now)"),
        t.fg(t.leader).add_modifier(Modifier::BOLD),
    ));
    let leaders: Vec<Span> = entries
        .iter()
        .rev()
        .take(3)
        .map(|e| {
            Span::styled(
                format!(
                    " TL{}→{}: {} ",
                    e.timeline,
                    e.timeline + 1,
                    e.new_leader.as_deref().unwrap_or("?")
                ),
                t.muted(),
            )
        })
        .collect();
    Paragraph::new(vec![Line::from(spans), Line::from(leaders)])
        .block(block(ctx, "timeline", false))
        .render(drawn, buf);

    let bad = common::abandoned(&v);
    let line = if bad.is_empty() {
        Line::from(Span::styled(
            format!(" ✓ every member is on timeline {current}"),
            t.fg(t.ok),
        ))
    } else {
        let names: Vec<String> = bad
            .iter()
            .map(|m| {
                format!(
                    "{} (TL {}, {}, lag {} MB)",
                    m.name,
                    m.timeline.unwrap_or(0),
                    m.state,
                    m.lag_mb.map(|l| l.to_string()).unwrap_or("?".into())
                )
            })
            .collect();
        Line::from(Span::styled(format!(" ! ABANDONED TIMELINE: {} — not following the current leader on TL {current}; reinit them", names.join(", ")), t.alarm()))
    };
    Paragraph::new(line).render(alarms, buf);

    let rows: Vec<Row> = entries
        .iter()
        .rev()
        .map(|e| {
            Row::new(vec![
                Cell::from(e.timeline.to_string()),
                Cell::from(format_lsn(e.lsn)),
                Cell::from(e.reason.clone()),
                Cell::from(e.timestamp.clone().unwrap_or_default()),
                Cell::from(e.new_leader.clone().unwrap_or_default()),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(4),
            Constraint::Length(12),
            Constraint::Min(20),
            Constraint::Length(33),
            Constraint::Length(14),
        ],
    )
    .header(Row::new(vec!["TL", "LSN", "Reason", "Timestamp", "New leader"]).style(t.header()))
    .row_highlight_style(t.selected())
    .block(block(ctx, "history (newest first)", true));
    let mut state = TableState::default().with_selected(Some(ctx.ui.selected));
    StatefulWidget::render(table, table_area, buf, &mut state);
}
