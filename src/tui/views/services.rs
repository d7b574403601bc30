//! HAProxy services: for each service port on each node, its servers and
//! their check state; the live probe of who really answers; and every
//! disagreement with the DCS leader.

use super::cluster::block;
use super::common;
use super::Ctx;
use crate::model::haproxy::{cluster_findings, ServerStatus};
use crate::model::view::ClusterView;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Widget};

fn status_span(ctx: &Ctx, s: &ServerStatus, raw: &str) -> Span<'static> {
    let t = ctx.theme;
    let style = match s {
        ServerStatus::Up => t.fg(t.ok),
        ServerStatus::Down => t.alarm(),
        ServerStatus::Maint | ServerStatus::Drain => t.fg(t.warn),
        _ => t.fg(t.warn),
    };
    let mark = match s {
        ServerStatus::Up => "▲",
        ServerStatus::Down => "▼",
        _ => "◆",
    };
    Span::styled(format!("{mark} {raw}"), style)
}

fn findings_lines(ctx: &Ctx, v: &ClusterView) -> Vec<Line<'static>> {
    let Some(c) = crate::tui::selection::cluster(ctx.model, ctx.ui) else {
        return vec![];
    };
    let f = cluster_findings(v, &c.haproxy);
    if f.is_empty() {
        let msg = if c.haproxy.endpoints.is_empty() {
            " no HAProxy stats yet (set [haproxy.CLUSTER] stats_urls, default http://MEMBER:9101/stats;csv)"
        } else {
            " ✓ every service routes as the DCS says"
        };
        return vec![Line::from(Span::styled(
            msg,
            if c.haproxy.endpoints.is_empty() {
                ctx.theme.muted()
            } else {
                ctx.theme.fg(ctx.theme.ok)
            },
        ))];
    }
    f.into_iter()
        .map(|x| Line::from(Span::styled(format!(" ! {}", x.message), ctx.theme.alarm())))
        .collect()
}

/// The home screen's compact services panel: findings, then one line per
/// service with where it routes.
pub fn compact(area: Rect, buf: &mut Buffer, ctx: &Ctx, v: &ClusterView) {
    let mut lines = findings_lines(ctx, v);
    if let Some(c) = crate::tui::selection::cluster(ctx.model, ctx.ui) {
        for (url, proxies) in &c.haproxy.endpoints {
            let host = crate::model::haproxy::stats_host(url).unwrap_or_else(|| url.clone());
            for p in proxies.value.iter().filter(|p| p.name != "stats") {
                let to: Vec<String> = p.routing().iter().map(|s| s.name.clone()).collect();
                lines.push(Line::from(vec![
                    Span::styled(format!(" {host} "), ctx.theme.muted()),
                    Span::raw(format!(
                        "{} → {}",
                        p.name,
                        if to.is_empty() {
                            "NOBODY".into()
                        } else {
                            to.join(",")
                        }
                    )),
                ]));
            }
        }
    }
    Paragraph::new(lines)
        .block(block(ctx, "services", ctx.ui.focus == 1))
        .render(area, buf);
}

pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let t = ctx.theme;
    let Some(c) = common::cluster_or_note(area, buf, ctx) else {
        return;
    };
    let v = ctx.view(c);
    let mut findings = findings_lines(ctx, &v);
    // The VIP in front of the services, when the nodes report one.
    if let Some(vip) = common::vip_badge(ctx, c) {
        findings.insert(0, Line::from(vip));
    }
    let [top, servers, probes] = Layout::vertical([
        Constraint::Length(findings.len().min(4) as u16),
        Constraint::Percentage(65),
        Constraint::Min(4),
    ])
    .areas(area);
    Paragraph::new(findings).render(top, buf);

    let mut rows = vec![];
    for (url, proxies) in &c.haproxy.endpoints {
        let host = crate::model::haproxy::stats_host(url).unwrap_or_else(|| url.clone());
        for p in proxies.value.iter().filter(|p| p.name != "stats") {
            for s in &p.servers {
                rows.push(Row::new(vec![
                    Cell::from(host.clone()),
                    Cell::from(p.name.clone()),
                    Cell::from(format!(
                        "{}{}",
                        s.name,
                        if s.backup { " (backup)" } else { "" }
                    )),
                    Cell::from(status_span(ctx, &s.status, &s.status_raw)),
                    Cell::from(s.check_status.clone().unwrap_or_default()),
                    Cell::from(s.sessions.map(|x| x.to_string()).unwrap_or_default()),
                    // As a wall-clock time, which stays put between polls (an
                    // age would tick, and an idle console must not redraw).
                    Cell::from(
                        s.last_change_secs
                            .map(|x| common::clock(proxies.at - std::time::Duration::from_secs(x)))
                            .unwrap_or_default(),
                    ),
                ]));
            }
        }
    }
    for (url, (_, e)) in &c.haproxy.errors {
        rows.push(Row::new(vec![
            Cell::from(url.clone()),
            Cell::from(Span::styled(format!("! {e}"), t.alarm())),
        ]));
    }
    Table::new(
        rows,
        [
            Constraint::Length(12),
            Constraint::Length(20),
            Constraint::Length(20),
            Constraint::Length(12),
            Constraint::Length(8),
            Constraint::Length(5),
            Constraint::Length(9),
        ],
    )
    .header(
        Row::new(vec![
            "Node", "Service", "Server", "Status", "Check", "Sess", "Changed",
        ])
        .style(t.header()),
    )
    .block(block(ctx, "HAProxy backends", ctx.ui.focus == 0))
    .render(servers, buf);

    let mut prow = vec![];
    for (port, a) in &c.haproxy.probes {
        let expect_primary = matches!(
            port.kind,
            crate::model::haproxy::ServiceKind::Primary
                | crate::model::haproxy::ServiceKind::Default
        );
        let wrong = expect_primary
            && (a.value.in_recovery || a.value.member.as_deref() != v.leader.as_deref());
        let who = a
            .value
            .member
            .clone()
            .or(a.value.server_addr.clone())
            .unwrap_or("?".into());
        prow.push(Row::new(vec![
            Cell::from(format!("{}:{}", port.host, port.port)),
            Cell::from(port.service.clone()),
            Cell::from(if wrong {
                Span::styled(format!("! {who}"), t.alarm())
            } else {
                Span::raw(who)
            }),
            Cell::from(if a.value.in_recovery {
                "replica (in recovery)"
            } else {
                "primary"
            }),
            Cell::from(if a.value.elapsed_ms < 100 {
                "<100 ms".to_string()
            } else {
                format!("~{} ms", a.value.elapsed_ms / 100 * 100)
            }),
        ]));
    }
    for (port, (_, e)) in &c.haproxy.probe_errors {
        prow.push(Row::new(vec![
            Cell::from(format!("{}:{}", port.host, port.port)),
            Cell::from(port.service.clone()),
            Cell::from(Span::styled(format!("! {e}"), t.alarm())),
        ]));
    }
    let title = match &c.haproxy.probe_skipped {
        Some(why) => format!("live probe: off ({why})"),
        None => "live probe: who answers through each port".to_string(),
    };
    Table::new(
        prow,
        [
            Constraint::Length(18),
            Constraint::Length(10),
            Constraint::Length(16),
            Constraint::Length(22),
            Constraint::Length(8),
        ],
    )
    .header(Row::new(vec!["Port", "Service", "Answered", "Is", "Took"]).style(t.header()))
    .block(block(ctx, &title, ctx.ui.focus == 1))
    .render(probes, buf);
}
