//! pgbouncer pools: per member, per database and user, clients active and
//! waiting, servers active, idle and used, the longest wait, the pool's
//! size and mode; above them, every flag of `model::pgbouncer_flags` (the
//! rule `pgtui pools` prints), alarms first.
//!
//! A member whose pgbouncer could not be read keeps its last pools, marked
//! with their age; one where nothing listens says "no pgbouncer".

use super::cluster::block;
use super::common;
use super::Ctx;
use crate::model::pgbouncer::ADMIN_DB;
use crate::model::pgbouncer_flags::{flags, PoolFlag, WAIT_ALARM};
use crate::model::Sourced;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Widget};
use std::time::Duration;

/// Older than this, a member's pools are shown as stale.
const LIVE_FOR: Duration = Duration::from_secs(6);

fn flag_lines(ctx: &Ctx, f: &[PoolFlag], any: bool) -> Vec<Line<'static>> {
    let t = ctx.theme;
    if f.is_empty() {
        let (msg, style) = if any {
            (" ✓ no pgbouncer problem seen", t.fg(t.ok))
        } else {
            (
                " no pgbouncer read yet ([pgbouncer] port, user and password in the settings; default :6432 with the SQL login)",
                t.muted(),
            )
        };
        return vec![Line::from(Span::styled(msg, style))];
    }
    let mut sorted: Vec<&PoolFlag> = f.iter().collect();
    sorted.sort_by_key(|f| !f.is_alarm());
    sorted
        .into_iter()
        .map(|f| {
            let (mark, style) = if f.is_alarm() {
                ("!", t.alarm())
            } else {
                ("~", t.fg(t.warn))
            };
            Line::from(Span::styled(format!(" {mark} {f}"), style))
        })
        .collect()
}

fn age_cell<T>(ctx: &Ctx, s: &Sourced<T>) -> Cell<'static> {
    let t = ctx.theme;
    let age = s.age(ctx.now);
    if age <= LIVE_FOR {
        Cell::from(Span::styled("live", t.fg(t.ok)))
    } else {
        Cell::from(Span::styled(
            format!("STALE {}", common::human(age)),
            t.fg(t.warn),
        ))
    }
}

pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let t = ctx.theme;
    let Some(c) = common::cluster_or_note(area, buf, ctx) else {
        return;
    };
    let v = ctx.view(c);
    let alarm = ctx.model.pgbouncer_wait_alarm.unwrap_or(WAIT_ALARM);
    let found = flags(c, alarm);
    let any = !c.pgbouncer.is_empty() || !c.pgbouncer_errors.is_empty();
    let lines = flag_lines(ctx, &found, any);
    let [top, body] = Layout::vertical([
        Constraint::Length(lines.len().clamp(1, 6) as u16),
        Constraint::Min(3),
    ])
    .areas(area);
    Paragraph::new(lines).render(top, buf);

    // Narrow: member, pool, clients, servers active, wait and size only.
    let keep: &[usize] = if body.width >= 120 {
        &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    } else {
        &[0, 2, 3, 4, 5, 8, 9]
    };
    let pick = |cells: Vec<Cell<'static>>| -> Row<'static> {
        let mut cells: Vec<Option<Cell>> = cells.into_iter().map(Some).collect();
        Row::new(
            keep.iter()
                .filter_map(|&i| cells.get_mut(i).and_then(Option::take)),
        )
    };
    let mut rows = vec![];
    for m in &v.members {
        let role = common::role_span(ctx, &m.role);
        let read = c.pgbouncer.get(&m.name);
        let err = c.pgbouncer_errors.get(&m.name);
        let note = |text: String, style| {
            pick(vec![
                Cell::from(m.name.clone()),
                Cell::from(role.clone()),
                Cell::from(Span::styled(text, style)),
            ])
        };
        let Some(s) = read else {
            rows.push(match err {
                Some(_) => note("✗ unreachable".into(), t.alarm()),
                None if c.pgbouncer_absent.contains(&m.name) => {
                    note("no pgbouncer".into(), t.muted())
                }
                None => note("…".into(), t.muted()),
            });
            continue;
        };
        let p = &s.value;
        let pools: Vec<_> = p.pools.iter().filter(|p| p.database != ADMIN_DB).collect();
        if pools.is_empty() {
            rows.push(note("(no pools yet)".into(), t.muted()));
        }
        for pool in pools {
            let size = p.database(&pool.database).and_then(|d| d.pool_size);
            let waiting = if pool.cl_waiting == 0 {
                Span::raw("0")
            } else if pool.maxwait_secs >= alarm.as_secs_f64() {
                Span::styled(format!("! {}", pool.cl_waiting), t.alarm())
            } else {
                Span::styled(format!("~ {}", pool.cl_waiting), t.fg(t.warn))
            };
            let full = size.is_some_and(|n| n > 0 && pool.sv_active >= n);
            rows.push(pick(vec![
                Cell::from(m.name.clone()),
                Cell::from(role.clone()),
                Cell::from(format!("{}/{}", pool.database, pool.user)),
                Cell::from(pool.cl_active.to_string()),
                Cell::from(waiting),
                Cell::from(if full {
                    Span::styled(format!("{} full", pool.sv_active), t.fg(t.warn))
                } else {
                    Span::raw(pool.sv_active.to_string())
                }),
                Cell::from(pool.sv_idle.to_string()),
                Cell::from(pool.sv_used.to_string()),
                Cell::from(format!("{:.1}s", pool.maxwait_secs)),
                Cell::from(size.map_or("-".into(), |n| n.to_string())),
                Cell::from(pool.pool_mode.clone().unwrap_or_default()),
                age_cell(ctx, s),
            ]));
        }
    }
    let title = match c.pgbouncer.values().next() {
        Some(s) => format!(
            "pgbouncer pools ({}; max_client_conn {})",
            s.value.version.as_deref().unwrap_or("version unknown"),
            s.value
                .max_client_conn
                .map_or("?".into(), |n| n.to_string())
        ),
        None => "pgbouncer pools".to_string(),
    };
    const WIDTHS: [u16; 12] = [12, 14, 20, 6, 7, 7, 7, 7, 8, 5, 11, 10];
    const HEADER: [&str; 12] = [
        "Member", "Role", "Pool", "Cl act", "Cl wait", "Sv act", "Sv idle", "Sv used", "Maxwait",
        "Size", "Mode", "Read",
    ];
    Table::new(rows, keep.iter().map(|&i| Constraint::Length(WIDTHS[i])))
        .header(Row::new(keep.iter().map(|&i| HEADER[i])).style(t.header()))
        .block(block(ctx, &title, true))
        .render(body, buf);
}
