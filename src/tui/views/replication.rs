//! Replication detail: `pg_stat_replication` per standby from the leader,
//! slots, and each replica's WAL receiver. Without SQL credentials, the REST
//! positions are shown and the screen says how to enable the probes.

use super::cluster::block;
use super::common;
use super::Ctx;
use crate::model::sql::format_lsn;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Cell, Row, Table, Widget};

fn lsn(v: Option<u64>) -> String {
    v.map(format_lsn).unwrap_or_else(|| "-".into())
}

fn ms(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.0} ms"))
        .unwrap_or_else(|| "-".into())
}

pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let t = ctx.theme;
    let Some(c) = common::cluster_or_note(area, buf, ctx) else {
        return;
    };
    let v = ctx.view(c);
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let leader_sql = v.leader.as_deref().and_then(|l| c.sql.get(l));
    match leader_sql {
        Some(s) => {
            let rows: Vec<Row> = s
                .value
                .replication
                .iter()
                .map(|r| {
                    let behind = |p: Option<u64>| {
                        common::lag_span(
                            ctx,
                            s.value.current_lsn.zip(p).map(|(a, b)| a.saturating_sub(b)),
                        )
                    };
                    Row::new(vec![
                        Cell::from(r.application_name.clone()),
                        Cell::from(r.state.clone().unwrap_or_default()),
                        Cell::from(r.sync_state.clone().unwrap_or_default()),
                        Cell::from(lsn(r.sent_lsn)),
                        Cell::from(lsn(r.write_lsn)),
                        Cell::from(lsn(r.flush_lsn)),
                        Cell::from(lsn(r.replay_lsn)),
                        Cell::from(behind(r.flush_lsn)),
                        Cell::from(behind(r.replay_lsn)),
                        Cell::from(ms(r.replay_lag_ms)),
                    ])
                })
                .collect();
            let title = format!(
                "pg_stat_replication on {} (current {})",
                v.leader.as_deref().unwrap_or("?"),
                lsn(s.value.current_lsn)
            );
            Table::new(
                rows,
                [
                    Constraint::Min(12),
                    Constraint::Length(10),
                    Constraint::Length(6),
                    Constraint::Length(11),
                    Constraint::Length(11),
                    Constraint::Length(11),
                    Constraint::Length(11),
                    Constraint::Length(8),
                    Constraint::Length(9),
                    Constraint::Length(9),
                ],
            )
            .header(
                Row::new(vec![
                    "Standby",
                    "State",
                    "Sync",
                    "Sent",
                    "Write",
                    "Flush",
                    "Replay",
                    "Flush MB",
                    "Replay MB",
                    "Replay lag",
                ])
                .style(t.header()),
            )
            .block(block(ctx, &title, ctx.ui.focus == 0))
            .render(top, buf);
        }
        None => {
            // REST positions are still worth showing.
            let rows: Vec<Row> = v
                .members
                .iter()
                .filter_map(|m| {
                    let r = c.rest.get(&m.name)?;
                    Some(Row::new(vec![
                        Cell::from(m.name.clone()),
                        Cell::from(lsn(r.value.xlog.location)),
                        Cell::from(lsn(r.value.xlog.received_location)),
                        Cell::from(lsn(r.value.xlog.replayed_location)),
                        Cell::from(if r.value.xlog.paused { "PAUSED" } else { "" }),
                        Cell::from(common::lag_span(ctx, m.replay_lag_bytes)),
                    ]))
                })
                .collect();
            let title = "positions from Patroni REST (SQL probes off: set [sql] user/password in config.toml, or PGTUI_SQL_USER/PGTUI_SQL_PASSWORD)";
            Table::new(
                rows,
                [
                    Constraint::Min(12),
                    Constraint::Length(12),
                    Constraint::Length(12),
                    Constraint::Length(12),
                    Constraint::Length(8),
                    Constraint::Length(10),
                ],
            )
            .header(
                Row::new(vec![
                    "Member",
                    "Current",
                    "Received",
                    "Replayed",
                    "Replay",
                    "Replay MB",
                ])
                .style(t.header()),
            )
            .block(block(ctx, title, ctx.ui.focus == 0))
            .render(top, buf);
        }
    }
    let [slots, recv] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(bottom);
    let slot_rows: Vec<Row> = leader_sql
        .map(|s| {
            s.value
                .slots
                .iter()
                .map(|x| {
                    Row::new(vec![
                        Cell::from(x.slot_name.clone()),
                        Cell::from(x.slot_type.clone().unwrap_or_default()),
                        Cell::from(if x.active { "active" } else { "! inactive" }),
                        Cell::from(lsn(x.restart_lsn)),
                    ])
                })
                .collect()
        })
        .unwrap_or_default();
    Table::new(
        slot_rows,
        [
            Constraint::Min(10),
            Constraint::Length(9),
            Constraint::Length(10),
            Constraint::Length(11),
        ],
    )
    .header(Row::new(vec!["Slot", "Type", "Active", "Restart LSN"]).style(t.header()))
    .block(block(ctx, "replication slots", ctx.ui.focus == 1))
    .render(slots, buf);
    let recv_rows: Vec<Row> = v
        .members
        .iter()
        .filter_map(|m| {
            let w = c.sql.get(&m.name)?.value.wal_receiver.clone()?;
            Some(Row::new(vec![
                Cell::from(m.name.clone()),
                Cell::from(w.status.unwrap_or_default()),
                Cell::from(format!(
                    "{}:{}",
                    w.sender_host.unwrap_or_default(),
                    w.sender_port.unwrap_or(0)
                )),
                Cell::from(w.received_tli.map(|x| x.to_string()).unwrap_or_default()),
                Cell::from(lsn(w.flushed_lsn)),
            ]))
        })
        .collect();
    Table::new(
        recv_rows,
        [
            Constraint::Min(10),
            Constraint::Length(10),
            Constraint::Length(18),
            Constraint::Length(4),
            Constraint::Length(11),
        ],
    )
    .header(Row::new(vec!["Replica", "Receiver", "Upstream", "TL", "Flushed"]).style(t.header()))
    .block(block(ctx, "WAL receivers", false))
    .render(recv, buf);
}
