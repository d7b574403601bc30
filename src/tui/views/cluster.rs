//! The home screen: members of one cluster, with compact services and recent
//! events underneath.

use super::common::{self, lag_span, role_span, state_span};
use super::Ctx;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Paragraph, Row, StatefulWidget, Table, TableState, Widget,
};

const SPARK: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A text sparkline scaled to the series' own maximum (flat when all zero).
pub fn sparkline(values: &[u64], width: usize) -> String {
    let tail = &values[values.len().saturating_sub(width)..];
    let max = tail.iter().copied().max().unwrap_or(0);
    tail.iter()
        .map(|v| SPARK[(v.saturating_mul(7)).checked_div(max).unwrap_or(0) as usize])
        .collect()
}

pub fn block<'a>(ctx: &Ctx, title: &'a str, focused: bool) -> Block<'a> {
    let t = ctx.theme;
    let style = if focused {
        t.fg(t.accent)
    } else {
        t.fg(t.border)
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(
            format!(" {title} "),
            t.fg(t.title).add_modifier(Modifier::BOLD),
        ))
}

pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let Some(c) = common::cluster_or_note(area, buf, ctx) else {
        return;
    };
    let v = ctx.view(c);
    // The members table takes what it needs; services and events get the rest.
    let want = v.members.len() as u16 + 4;
    let [top, bottom] = if area.height >= 20 {
        Layout::vertical([
            Constraint::Length(want.max(6).min(area.height - 8)),
            Constraint::Min(8),
        ])
        .areas(area)
    } else {
        Layout::vertical([Constraint::Min(5), Constraint::Length(0)]).areas(area)
    };
    let t = ctx.theme;
    let wide = area.width >= 120;
    let stale = !common::dcs_live(ctx);
    let members = crate::tui::selection::filtered_members(&v, &ctx.ui.filter);
    let old = common::abandoned(&v);
    let rows: Vec<Row> = members
        .iter()
        .map(|m| {
            let (age, fresh) = common::member_age(ctx, c, m);
            let mut state = state_span(ctx, &m.state);
            if old.iter().any(|o| o.name == m.name) {
                state = ratatui::text::Span::styled(format!("! OLD TL {}", m.state), t.alarm());
            }
            let mut cells = vec![
                Cell::from(m.name.clone()),
                Cell::from(role_span(ctx, &m.role)),
                Cell::from(state),
                Cell::from(m.timeline.map(|x| x.to_string()).unwrap_or_default()),
                Cell::from(lag_span(ctx, m.receive_lag_bytes)),
                Cell::from(lag_span(ctx, m.replay_lag_bytes)),
            ];
            if wide {
                let series = ctx.lag.series(&v.name, &m.name);
                cells.push(Cell::from(Span::styled(
                    sparkline(&series, 20),
                    t.fg(t.accent),
                )));
                cells.push(Cell::from(
                    m.tags
                        .iter()
                        .map(|(k, v)| {
                            format!(
                                "{k}={}",
                                v.as_str().map(str::to_string).unwrap_or(v.to_string())
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                ));
                cells.push(Cell::from(m.scheduled_restart.clone().unwrap_or_default()));
            }
            cells.push(Cell::from(if m.pending_restart {
                Span::styled("⟳ yes", t.fg(t.warn))
            } else {
                Span::raw("")
            }));
            cells.push(Cell::from(Span::styled(
                age,
                if fresh { t.muted() } else { t.fg(t.stale) },
            )));
            let row = Row::new(cells);
            if (stale || !fresh) && !common::state_ok(&m.state) {
                row
            } else if stale {
                row.style(t.muted())
            } else {
                row
            }
        })
        .collect();
    let mut header = vec!["Member", "Role", "State", "TL", "Recv MB", "Rply MB"];
    let mut widths = vec![
        Constraint::Min(10),
        Constraint::Length(17),
        Constraint::Length(12),
        Constraint::Length(3),
        Constraint::Length(7),
        Constraint::Length(7),
    ];
    if wide {
        header.extend(["Lag (10 min)", "Tags", "Sched. restart"]);
        widths.extend([
            Constraint::Length(21),
            Constraint::Min(10),
            Constraint::Length(26),
        ]);
    }
    header.extend(["Pend.", "Age"]);
    widths.extend([Constraint::Length(5), Constraint::Length(5)]);
    let title = format!("members ({})", members.len());
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.header()))
        .row_highlight_style(t.selected())
        .highlight_symbol("▶ ")
        .block(block(ctx, &title, ctx.ui.focus == 0));
    let mut state = TableState::default().with_selected(Some(ctx.ui.selected));
    StatefulWidget::render(table, top, buf, &mut state);

    if bottom.height > 0 {
        let [svc, ev] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(bottom);
        super::services::compact(svc, buf, ctx, &v);
        super::events::compact(ev, buf, ctx, &v.name);
    }
    let mut problems: Vec<String> = v
        .unparseable_keys
        .iter()
        .map(|k| format!("unparseable: {k}"))
        .collect();
    problems.extend(v.findings.iter().cloned());
    if !problems.is_empty() && top.height > 3 {
        let line = Line::from(Span::styled(
            format!(" ! {} (! shows all)", problems.join("; ")),
            t.alarm(),
        ));
        let y = top.y + top.height - 2;
        Paragraph::new(line).render(
            Rect {
                x: top.x + 1,
                y,
                width: top.width.saturating_sub(2),
                height: 1,
            },
            buf,
        );
    }
}
