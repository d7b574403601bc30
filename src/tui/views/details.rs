//! `!`: the full text of what went wrong, wrapped, for messages the
//! banner, a table cell, the events list or a log line cut at the screen's
//! edge.

use super::cluster::block;
use super::common::{ago, clock};
use super::Ctx;
use crate::model::freshness::{dcs, Dcs};
use crate::model::SourceId;
use crate::tui::screen::Screen;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

/// The logs screen's part: the selected line whole, and each log's error.
fn log_lines(ctx: &Ctx) -> Vec<String> {
    let mut out = vec![];
    let lines = crate::tui::selection::visible_log_lines(ctx.model, ctx.ui);
    if let Some(x) = lines.get(ctx.ui.selected) {
        let file = ctx
            .model
            .logs
            .as_ref()
            .and_then(|l| l.tails.get(&(x.member.to_string(), x.source)))
            .and_then(|t| t.file.clone())
            .unwrap_or_default();
        let at = x.line.ts_ms.map_or("no time".to_string(), |ms| {
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
            format!("{} UTC", clock(t))
        });
        out.push(format!(
            "log line of {} ({} log {file}, byte {}), {at}:",
            x.member,
            x.source.name(),
            x.line.at
        ));
        out.push(x.line.text.clone());
        if let Some(n) = x.line.cut {
            out.push(format!(
                "(cut at 16 KiB of {n} bytes; the agent serves no more of one line)"
            ));
        }
        out.push(String::new());
    }
    if let Some(l) = &ctx.model.logs {
        for ((m, s), t) in &l.tails {
            if let Some(e) = &t.error {
                out.push(format!("{m} {} log: {e}", s.name()));
            }
        }
        if let Some(e) = &l.error {
            out.push(format!("logs: {e}"));
        }
    }
    out
}

/// The lines of the details overlay: pure, so tests can read them.
pub fn lines(ctx: &Ctx) -> Vec<String> {
    let m = ctx.model;
    let mut out = vec![];
    if ctx.ui.screen == Screen::Events {
        if let Some(e) = crate::tui::selection::visible_events(m, ctx.ui).get(ctx.ui.selected) {
            out.push(format!(
                "event at {} UTC ({} ago):",
                clock(e.at),
                ago(ctx.now, e.at)
            ));
            out.push(e.message.clone());
            out.push(String::new());
        }
    }
    if ctx.ui.screen == Screen::Logs {
        out.extend(log_lines(ctx));
    }
    match dcs(&m.source(SourceId::Etcd), ctx.now) {
        Dcs::Live => {
            out.push("etcd: live (the watch was confirmed within the last seconds)".into())
        }
        Dcs::Connecting => out.push("etcd: connecting".into()),
        Dcs::Stale { since, fault, why } => out.push(format!(
            "etcd: {} since {} UTC ({} ago): {why}",
            super::common::trouble(fault, m.source(SourceId::Etcd).down_since.is_some()),
            clock(since),
            ago(ctx.now, since)
        )),
    }
    if let Some(w) = &m.etcd_watching {
        out.push(format!("  watch follows {w}"));
    }
    for e in &m.etcd_endpoints {
        match (e.ok, &e.error) {
            (true, _) => out.push(format!("  {}: answers", e.endpoint)),
            (false, err) => out.push(format!(
                "  {}: {}{}",
                e.endpoint,
                e.fault.map(|f| f.label()).unwrap_or("not asked yet"),
                err.as_ref().map(|x| format!(": {x}")).unwrap_or_default()
            )),
        }
    }
    for id in [SourceId::Rest, SourceId::Haproxy, SourceId::Sql] {
        let h = m.source(id);
        if let Some((at, err)) = &h.last_error {
            let state = if h.down_since.is_some() {
                "failing"
            } else {
                "last error"
            };
            out.push(format!(
                "{} {state} at {} UTC: {err}",
                id.label(),
                clock(*at)
            ));
        }
    }
    if let (true, Some(why)) = (m.fleet_pending, &m.fleet_refused) {
        out.push(format!("the fleet cannot be read: {why}"));
    } else if m.fleet_pending {
        out.push(format!(
            "only this cluster's keys are read so far, not the rest of {}: keys there that name no cluster are not known yet",
            m.namespace
        ));
    }
    for k in &m.stray_keys {
        out.push(format!(
            "key {k} names no cluster (Patroni never writes one)"
        ));
    }
    if let Some(c) = ctx.ui.cluster.as_ref().and_then(|n| m.clusters.get(n)) {
        let v = ctx.view(c);
        for k in &v.unparseable_keys {
            out.push(format!("{} unparseable key {k}", c.name));
        }
        for f in &v.findings {
            out.push(format!("{}: {f}", c.name));
        }
        for (member, (at, err)) in &c.rest_errors {
            out.push(format!("{member} REST at {} UTC: {err}", clock(*at)));
        }
        if let Some(t) = &m.sql_transport {
            out.push(format!("SQL probes: {t}"));
            for (member, s) in &c.sql {
                let how = s.value.tls.as_deref().unwrap_or("plain TCP, not encrypted");
                out.push(format!("  {member}: {how}"));
            }
        }
    }
    out
}

pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let lines = lines(ctx);
    let w = area.width.saturating_sub(4);
    // Rows once wrapped (a little generous: words wrap before the edge).
    let inner = w.saturating_sub(2).max(1) as usize;
    let rows: usize = lines
        .iter()
        .map(|l| l.chars().count() * 11 / 10 / inner + 1)
        .sum();
    let h = (rows as u16 + 2).max(6);
    let text: Vec<Line> = lines
        .into_iter()
        .map(|l| Line::from(Span::raw(l)))
        .collect();
    let r = super::common::overlay(area, buf, ctx, w, h);
    let title = format!("details — {}", crate::tui::keys::DETAILS_CLOSES.text());
    Paragraph::new(text)
        .wrap(Wrap { trim: false })
        .block(block(ctx, &title, true))
        .render(r, buf);
}
