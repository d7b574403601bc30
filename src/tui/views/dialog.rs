//! The confirmation dialog, drawn over the screen: resolved leader and
//! candidate, each candidate's scorecard, what will happen, the patronictl
//! equivalent, then Cancel (focused first) and the action button. Its hints
//! about keys come from the key registry (`keys::dialog`).

use super::cluster::block;
use super::common::lag_span;
use super::Ctx;
use crate::ops::Outcome;
use crate::tui::dialog::{current, Dialog, Focus, Phase};
use crate::tui::keys::dialog as keys;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

fn title(d: &Dialog) -> String {
    format!("{} {}", d.op.name(), d.cluster)
}

/// Rows `lines` take when wrapped at `width`.
fn rows(lines: &[Line], width: u16) -> u16 {
    let w = width.max(1) as usize;
    lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(w) as u16)
        .sum()
}

pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx, d: &Dialog) {
    // The bottom rows (name to type, refusal, buttons) are pinned so they
    // stay visible however much the body has to be cut on a small terminal.
    let mut bottom = vec![];
    let lines = match &d.phase {
        Phase::Confirm => {
            bottom = bottom_lines(ctx, d);
            confirm_lines(ctx, d)
        }
        Phase::Running(progress) => {
            let mut l = vec![Line::from(Span::styled(
                format!(
                    " {} running: following the cluster to a verified end state…",
                    d.op.name()
                ),
                ctx.theme.fg(ctx.theme.warn).add_modifier(Modifier::BOLD),
            ))];
            l.extend(progress.iter().map(|p| Line::from(format!("  … {p}"))));
            l
        }
        Phase::Done {
            outcome,
            message,
            lines,
        } => {
            let t = ctx.theme;
            let style = match outcome {
                Outcome::Verified | Outcome::Scheduled => t.fg(t.ok),
                Outcome::Unknown => t.fg(t.warn),
                _ => t.alarm(),
            };
            let mut l = vec![Line::from(Span::styled(
                format!(" {}: {}", outcome_word(*outcome), d.op.name()),
                style.add_modifier(Modifier::BOLD),
            ))];
            l.extend(lines.iter().map(|p| Line::from(format!("  … {p}"))));
            l.push(Line::from(format!(" {message}")));
            l.push(Line::from(Span::styled(
                format!(" {}", keys::CLOSE.text()),
                t.muted(),
            )));
            l
        }
    };
    let w = area.width.saturating_sub(4).min(96);
    let inner_w = w.saturating_sub(2);
    let (body_rows, bottom_rows) = (rows(&lines, inner_w), rows(&bottom, inner_w));
    let r = super::common::overlay(area, buf, ctx, w, body_rows + bottom_rows + 2);
    let name = title(d);
    let frame = block(ctx, &name, true);
    let inner = frame.inner(r);
    frame.render(r, buf);
    let [body, pinned] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(bottom_rows)]).areas(inner);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(body, buf);
    Paragraph::new(bottom)
        .wrap(Wrap { trim: false })
        .render(pinned, buf);
}

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Verified => "✓ VERIFIED",
        Outcome::Scheduled => "✓ SCHEDULED",
        Outcome::Refused => "✗ REFUSED",
        Outcome::Rejected => "✗ REJECTED by Patroni",
        Outcome::Failed => "✗ FAILED",
        Outcome::Unknown => "? UNKNOWN",
        Outcome::DryRun => "dry run",
    }
}

fn confirm_lines<'a>(ctx: &Ctx, d: &'a Dialog) -> Vec<Line<'a>> {
    let t = ctx.theme;
    let e = &d.expected;
    let mut l = vec![Line::from(vec![
        Span::raw(" leader "),
        Span::styled(
            e.leader.clone().unwrap_or_else(|| "NONE".into()),
            t.fg(t.leader).add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(
            "  TL {}  {}",
            e.timeline
                .map(|x| x.to_string())
                .unwrap_or_else(|| "?".into()),
            if e.paused { "⏸ paused" } else { "not paused" }
        )),
    ])];
    if let crate::ops::Operation::Backup { backup_type, .. } = &d.op {
        let mut spans = vec![Span::styled(
            format!(" backup type ({}) ", keys::CHOOSE.text()),
            t.header(),
        )];
        for k in [
            crate::model::backup::BackupKind::Full,
            crate::model::backup::BackupKind::Diff,
            crate::model::backup::BackupKind::Incr,
        ] {
            spans.push(Span::raw(" "));
            spans.push(if k == *backup_type {
                Span::styled(format!("▶ {}", k.label()), t.selected())
            } else {
                Span::raw(format!("  {}", k.label()))
            });
        }
        l.push(Line::from(spans));
    }
    if let crate::ops::Operation::Restore { .. } = &d.op {
        l.extend(restore_lines(ctx, d));
    }
    if !d.candidates.is_empty() {
        let view = current(ctx.model, d).map(|c| ctx.view(c));
        l.push(Line::from(Span::styled(
            format!(
                " candidate ({})      lag MB  TL  scorecard",
                keys::CHOOSE.text()
            ),
            t.header(),
        )));
        for (i, s) in d.candidates.iter().enumerate() {
            let m = view
                .as_ref()
                .and_then(|v| v.members.iter().find(|m| m.name == s.member));
            let failed: Vec<&str> = s.checks.iter().filter(|c| !c.ok).map(|c| c.rule).collect();
            let verdict = if failed.is_empty() {
                Span::styled(format!("✓ all {} checks", s.checks.len()), t.fg(t.ok))
            } else {
                Span::styled(format!("✗ {}", failed.join(", ")), t.alarm())
            };
            let mark = if i == d.pick { " ▶ " } else { "   " };
            let name_style = if i == d.pick {
                t.selected()
            } else {
                Style::default()
            };
            l.push(Line::from(vec![
                Span::raw(mark),
                Span::styled(format!("{:<28}", s.member), name_style),
                lag_span(
                    ctx,
                    m.and_then(|m| m.receive_lag_bytes.max(m.replay_lag_bytes)),
                ),
                Span::raw(format!(
                    "  {:>3}  ",
                    m.and_then(|m| m.timeline)
                        .map(|x| x.to_string())
                        .unwrap_or_else(|| "?".into())
                )),
                verdict,
            ]));
        }
    }
    l.push(Line::from(Span::styled(" what will happen:", t.header())));
    for p in &d.preflight.plan {
        l.push(Line::from(format!("   {p}")));
    }
    let restore = matches!(d.op, crate::ops::Operation::Restore { .. });
    for w in d
        .preflight
        .warnings
        .iter()
        .filter(|w| !(restore && is_loss(w)))
    {
        l.push(Line::from(Span::styled(format!("   ! {w}"), t.fg(t.warn))));
    }
    for r in &d.preflight.refusals {
        l.push(Line::from(Span::styled(
            format!("   ✗ refused: {r}"),
            t.alarm(),
        )));
    }
    if let crate::ops::Operation::Failover { allow_async, .. } = &d.op {
        if *allow_async
            || d.preflight
                .refused_for(crate::ops::refusal::RefusalKind::AsyncCandidate)
        {
            l.push(Line::from(Span::styled(
                format!(
                    " {}: {}",
                    keys::ALLOW_ASYNC.text(),
                    if *allow_async {
                        "ACCEPTED"
                    } else {
                        "not accepted"
                    }
                ),
                t.fg(t.warn),
            )));
        }
    }
    // A refusal offers no way round itself: the checks are the point.
    if d.preflight.refused() {
        return l;
    }
    l.push(Line::from(Span::styled(
        format!(" by hand: {}", d.patronictl),
        t.muted(),
    )));
    if let Some(c) = &d.curl {
        l.push(Line::from(Span::styled(
            format!("      or: {c}"),
            t.muted(),
        )));
    }
    l
}

/// The restore's target picker: the kinds, the typed value, the window it
/// must fall in.
fn restore_lines<'a>(ctx: &Ctx, d: &'a Dialog) -> Vec<Line<'a>> {
    let t = ctx.theme;
    let mut kinds = vec![Span::styled(" target ", t.header())];
    for (i, k) in crate::tui::dialog::TARGET_KINDS.iter().enumerate() {
        kinds.push(Span::raw(" "));
        kinds.push(if i == d.target_kind {
            Span::styled(format!("▶ {k}"), t.selected())
        } else {
            Span::raw(format!("  {k}"))
        });
    }
    let mut l = vec![Line::from(kinds)];
    if d.target_kind + 1 < crate::tui::dialog::TARGET_KINDS.len() {
        let mut value = vec![
            Span::raw("  value: "),
            Span::styled(
                d.target_text.clone(),
                t.fg(t.accent).add_modifier(Modifier::BOLD),
            ),
        ];
        if d.editing_target {
            value.push(Span::styled("█", t.fg(t.accent)));
            value.push(Span::styled(
                format!("  {}", keys::TARGET.text()),
                t.muted(),
            ));
        }
        l.push(Line::from(value));
    }
    let window = current(ctx.model, d)
        .and_then(|c| c.backups.as_ref())
        .and_then(|b| {
            let s = crate::model::backup::report::summarize(
                &b.value,
                &Default::default(),
                crate::model::backup::report::epoch_secs(ctx.now),
            );
            s.window.map(|w| {
                format!(
                    "  window: {} → {} (UTC){}",
                    crate::model::backup::report::utc(w.from),
                    w.to.map(crate::model::backup::report::utc)
                        .unwrap_or_else(|| "?".into()),
                    if w.holes.is_empty() {
                        String::new()
                    } else {
                        format!(", {} hole(s)", w.holes.len())
                    }
                )
            })
        })
        .unwrap_or_else(|| "  window: unknown (no backup report from the agent)".into());
    l.push(Line::from(Span::styled(window, t.muted())));
    // What is lost, before the steps: on a small terminal it must not be
    // the line that is cut.
    for w in d.preflight.warnings.iter().filter(|w| is_loss(w)) {
        l.push(Line::from(Span::styled(format!("  ! {w}"), t.fg(t.warn))));
    }
    l
}

fn is_loss(warning: &str) -> bool {
    warning.contains("is lost from the cluster")
}

fn bottom_lines<'a>(ctx: &Ctx, d: &'a Dialog) -> Vec<Line<'a>> {
    let t = ctx.theme;
    let mut l = vec![];
    if d.needs_typing() {
        l.push(Line::from(vec![
            Span::raw(format!(
                " type the cluster name ({}) to confirm: ",
                d.cluster
            )),
            Span::styled(d.typed.clone(), t.fg(t.accent).add_modifier(Modifier::BOLD)),
            Span::styled("█", t.fg(t.accent)),
        ]));
    }
    if let Some(r) = &d.refusal {
        l.push(Line::from(Span::styled(format!(" ✗ {r}"), t.alarm())));
    }
    let button = |label: String, focused: bool, enabled: bool| {
        let style = match (focused, enabled) {
            (true, _) => t.selected().add_modifier(Modifier::BOLD),
            (false, true) => Style::default(),
            (false, false) => t.muted(),
        };
        let text = if focused {
            format!("▶[ {label} ]◀")
        } else {
            format!(" [ {label} ] ")
        };
        Span::styled(text, style)
    };
    l.push(Line::from(vec![
        Span::raw("        "),
        button("Cancel".into(), d.focus == Focus::Cancel, true),
        Span::raw("    "),
        button(
            d.op.name().to_uppercase(),
            d.focus == Focus::Confirm,
            d.can_confirm(),
        ),
        Span::styled(format!("  {}", keys::BUTTONS.text()), t.muted()),
    ]));
    l
}
