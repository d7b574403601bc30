//! Every member's logs on one time axis (or one member's): Patroni's and
//! PostgreSQL's by default, from the node agents, newest at the bottom.
//!
//! Above the lines, each log says how its last read went: `live`, `STALE
//! Ns` when its agent stopped answering (its lines stay, they happened), or
//! the error. Opened from an event, the cursor sits on the first line at
//! the event's time and that line is marked, so the minute around a
//! failover reads in one place.

use super::cluster::block;
use super::common;
use super::Ctx;
use crate::model::logs::{Level, LogsState, MergedLine};
use crate::tui::selection::visible_log_lines;
use crate::tui::ui::LOG_SOURCE_SETS;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, TableState, Widget};
use std::time::Duration;

/// A log read longer ago than this is stale (the source asks every second).
const LIVE_FOR: Duration = Duration::from_secs(5);

fn level_style(ctx: &Ctx, l: Option<Level>) -> Style {
    let t = ctx.theme;
    match l {
        Some(Level::Fatal) | Some(Level::Error) => t.alarm(),
        Some(Level::Warning) => t.fg(t.warn),
        Some(Level::Debug) => t.muted(),
        _ => t.base(),
    }
}

/// `HH:MM:SS.mmm` UTC.
fn clock_ms(ms: Option<i64>) -> String {
    let Some(ms) = ms else {
        return "--:--:--.---".into();
    };
    let s = ms.div_euclid(1000);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        s.div_euclid(3600).rem_euclid(24),
        s.div_euclid(60).rem_euclid(60),
        s.rem_euclid(60),
        ms.rem_euclid(1000)
    )
}

/// One line per log: how its last read went.
fn status_lines(ctx: &Ctx, l: Option<&LogsState>) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let Some(l) = l else {
        return vec![Line::from(Span::styled(" reading…", t.muted()))];
    };
    if let Some(e) = &l.error {
        return vec![Line::from(Span::styled(format!(" ! {e}"), t.alarm()))];
    }
    if l.tails.is_empty() {
        return vec![Line::from(Span::styled(" reading…", t.muted()))];
    }
    let mut ok = vec![];
    let mut bad = vec![];
    for ((member, source), tail) in &l.tails {
        let name = format!("{member} {}", source.name());
        let age = tail
            .fetched_at
            .map(|a| ctx.now.duration_since(a).unwrap_or_default());
        match (&tail.error, age) {
            (None, Some(a)) if a <= LIVE_FOR => ok.push(name),
            (None, None) => bad.push(Line::from(Span::styled(
                format!(" {name}: reading…"),
                t.muted(),
            ))),
            (err, age) => {
                let when = age.map_or("never read".to_string(), |a| {
                    format!("STALE {} (lines kept)", common::human(a))
                });
                let why = err.as_deref().map_or(String::new(), |e| format!(": {e}"));
                bad.push(Line::from(Span::styled(
                    format!(" ! {name} {when}{why}"),
                    t.fg(t.warn),
                )));
            }
        }
    }
    let mut out = vec![];
    if !ok.is_empty() {
        out.push(Line::from(vec![
            Span::styled(" live ", t.fg(t.ok)),
            Span::styled(ok.join(" · "), t.muted()),
        ]));
    }
    out.extend(bad);
    if let Some(((m, s), t2)) = l
        .tails
        .iter()
        .find(|(_, t)| t.partial && l.want.since_ms.is_some())
    {
        out.push(Line::from(Span::styled(
            format!(
                " ~ {m} {}: {} reaches back less far than asked (the agent reads its last 8 MiB)",
                s.name(),
                t2.file.as_deref().unwrap_or("the file")
            ),
            t.fg(t.warn),
        )));
    }
    out
}

fn title(ctx: &Ctx, shown: usize) -> String {
    let ui = &ctx.ui.logs;
    let who = ui
        .member
        .clone()
        .unwrap_or_else(|| "all members, merged".into());
    let sources: Vec<&str> = LOG_SOURCE_SETS[ui.sources % LOG_SOURCE_SETS.len()]
        .iter()
        .map(|s| s.name())
        .collect();
    let level = ui
        .level
        .map_or("every level".to_string(), |l| format!("≥ {}", l.name()));
    let follow = if ui.follow {
        "following"
    } else {
        "not following"
    };
    let filter = if ctx.ui.filter.is_empty() {
        String::new()
    } else {
        format!(" · /{}", ctx.ui.filter)
    };
    format!(
        "logs · {who} · {} · {level} · {follow} · {shown} lines{filter}",
        sources.join("+")
    )
}

fn row<'a>(ctx: &Ctx, x: &MergedLine<'a>, anchor: bool) -> Row<'a> {
    let t = ctx.theme;
    let style = level_style(ctx, x.line.level);
    let mark = if anchor { "▶" } else { " " };
    let mut text = crate::model::logs::message(&x.line.text).to_string();
    if let Some(n) = x.line.cut {
        text.push_str(&format!(" … (cut: {n} bytes)"));
    }
    Row::new(vec![
        Cell::from(Span::styled(
            format!("{mark}{}", clock_ms(x.line.ts_ms)),
            t.muted(),
        )),
        Cell::from(Span::styled(x.member.to_string(), t.fg(t.accent))),
        Cell::from(Span::styled(x.source.name(), t.muted())),
        Cell::from(Span::styled(x.line.level.map_or("-", Level::name), style)),
        Cell::from(Span::styled(text, style)),
    ])
}

pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let Some(c) = common::cluster_or_note(area, buf, ctx) else {
        return;
    };
    let logs = ctx
        .model
        .logs
        .as_ref()
        .filter(|l| l.want == ctx.ui.logs.want(&c.name));
    let status = status_lines(ctx, logs);
    let [top, body] = Layout::vertical([
        Constraint::Length(status.len().clamp(1, 5) as u16),
        Constraint::Min(3),
    ])
    .areas(area);
    Paragraph::new(status).render(top, buf);
    let lines = visible_log_lines(ctx.model, ctx.ui);
    let height = body.height.saturating_sub(3).max(1) as usize;
    let selected = ctx.ui.selected.min(lines.len().saturating_sub(1));
    // Following, the newest line is at the bottom; otherwise the cursor's
    // line is in the middle, with what came before and after it.
    let start = if ctx.ui.logs.follow {
        selected.saturating_sub(height - 1)
    } else {
        selected
            .saturating_sub(height / 2)
            .min(lines.len().saturating_sub(height))
    };
    let anchor_row = ctx.ui.logs.anchor_ms.and_then(|a| {
        lines
            .iter()
            .position(|x| x.line.ts_ms.is_some_and(|t| t >= a))
    });
    let rows: Vec<Row> = lines
        .iter()
        .enumerate()
        .skip(start)
        .take(height)
        .map(|(i, x)| row(ctx, x, Some(i) == anchor_row))
        .collect();
    let narrow = body.width < 120;
    let widths = [
        Constraint::Length(13),
        Constraint::Length(if narrow { 10 } else { 14 }),
        Constraint::Length(if narrow { 0 } else { 10 }),
        Constraint::Length(7),
        Constraint::Min(20),
    ];
    let t = ctx.theme;
    let empty = lines.is_empty();
    let heading = title(ctx, lines.len());
    let table = Table::new(rows, widths)
        .header(Row::new(vec!["UTC", "Member", "Log", "Level", "Line"]).style(t.header()))
        .row_highlight_style(t.selected())
        .block(block(ctx, &heading, true));
    let mut state = TableState::default().with_selected((!empty).then_some(selected - start));
    StatefulWidget::render(table, body, buf, &mut state);
    if empty && logs.is_some_and(|l| !l.tails.is_empty()) {
        let inner = Rect {
            x: body.x + 2,
            y: body.y + 2,
            width: body.width.saturating_sub(4),
            height: 1,
        };
        Paragraph::new(Span::styled(
            crate::tui::keys::NO_LOG_LINE.text(),
            t.muted(),
        ))
        .render(inner, buf);
    }
}
