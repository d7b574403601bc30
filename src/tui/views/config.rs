//! Patroni's dynamic configuration, with members waiting for a restart and
//! the parameters that need it highlighted.

use super::cluster::block;
use super::common;
use super::Ctx;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let t = ctx.theme;
    let Some(c) = common::cluster_or_note(area, buf, ctx) else {
        return;
    };
    let v = ctx.view(c);
    // Patroni 4 explains pending restarts per member: {param: {old, new}}.
    let mut pending: Vec<String> = vec![];
    for m in v.members.iter().filter(|m| m.pending_restart) {
        let reasons = c
            .rest
            .get(&m.name)
            .and_then(|r| r.value.extra.get("pending_restart_reason"))
            .and_then(|x| x.as_object())
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        pending.push(format!(
            "{}{}",
            m.name,
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", reasons.join(", "))
            }
        ));
    }
    let params: Vec<String> = v
        .members
        .iter()
        .filter_map(|m| {
            c.rest
                .get(&m.name)?
                .value
                .extra
                .get("pending_restart_reason")?
                .as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>())
        })
        .flatten()
        .collect();
    let [top, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let head = if pending.is_empty() {
        Line::from(Span::styled(
            " ✓ no member is waiting for a restart",
            t.fg(t.ok),
        ))
    } else {
        Line::from(Span::styled(
            format!(" ⟳ pending restart: {}", pending.join("; ")),
            t.fg(t.warn),
        ))
    };
    Paragraph::new(head).render(top, buf);
    let yaml = match c.dcs.config.as_ref().map(|e| &e.value) {
        Some(crate::dcs::Decoded::Ok(cfg)) => {
            serde_yaml::to_string(cfg.value()).unwrap_or_default()
        }
        Some(crate::dcs::Decoded::Unparseable { raw, error }) => {
            format!("! config unparseable: {error}\nraw: {raw}")
        }
        None => "(no config key)".into(),
    };
    let lines: Vec<Line> = yaml
        .lines()
        .skip(ctx.ui.selected)
        .map(|l| {
            let key = l.trim_start().split(':').next().unwrap_or("");
            if params.iter().any(|p| p == key) {
                Line::from(Span::styled(
                    format!("{l}   ⟳ pending restart"),
                    t.fg(t.warn),
                ))
            } else {
                Line::from(l.to_string())
            }
        })
        .collect();
    Paragraph::new(lines)
        .block(block(ctx, "dynamic configuration (DCS /config)", true))
        .render(body, buf);
}
