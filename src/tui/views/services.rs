//! HAProxy services: for each service port on each node, its servers, the
//! hop each takes (straight to PostgreSQL, or through the member's
//! pgbouncer) and their check state; the live probe of who really answers
//! and through what; and every disagreement with the DCS leader or fault
//! of a pooler on the way.

use super::cluster::block;
use super::common;
use super::Ctx;
use crate::model::cluster::ClusterState;
use crate::model::haproxy::hop::{hop, Hop, PoolerState};
use crate::model::haproxy::{cluster_findings, member_of, ServerStatus, StatsEntry};
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

/// The hop a server row takes to PostgreSQL, coloured by what pgtui knows
/// of the pgbouncer on the way (see [`crate::model::haproxy::hop`]).
fn via_span(ctx: &Ctx, v: &ClusterView, c: &ClusterState, s: &StatsEntry) -> Span<'static> {
    let t = ctx.theme;
    match hop(v, c, ctx.model.pgbouncer_port, s, ctx.now) {
        None => Span::styled("?", t.muted()),
        Some(Hop::Direct { .. }) => Span::styled("direct", t.muted()),
        Some(Hop::Unknown { port, .. }) => Span::styled(format!(":{port} ?"), t.fg(t.warn)),
        Some(Hop::Pooler {
            port,
            state,
            pools_to,
            member,
        }) => {
            let elsewhere =
                !crate::model::haproxy::hop::elsewhere(v, &member, &pools_to).is_empty();
            let (mark, style) = match &state {
                PoolerState::Refused => ("! refused", t.alarm()),
                PoolerState::Paused(_) => ("! paused", t.alarm()),
                // The arrow names where it pools instead.
                _ if elsewhere => ("!", t.alarm()),
                PoolerState::Unread(_) | PoolerState::NotWatched => ("? unread", t.fg(t.warn)),
                PoolerState::Up => ("", t.fg(t.ok)),
            };
            let to = if pools_to.is_empty() {
                String::new()
            } else {
                format!(" → {}", pools_to.join(","))
            };
            // The mark first: a narrow terminal keeps it.
            let text = if mark.is_empty() {
                format!("pgbouncer :{port}{to}")
            } else {
                format!("{mark} pgbouncer :{port}{to}")
            };
            Span::styled(text, style)
        }
    }
}

/// The hop of the server that `member` answered through on `host`'s
/// `service`, as HAProxy's stats list it.
fn probe_via(
    ctx: &Ctx,
    v: &ClusterView,
    c: &ClusterState,
    host: &str,
    service: &str,
    member: Option<&str>,
) -> Span<'static> {
    let server = c
        .haproxy
        .endpoints
        .iter()
        .filter(|(url, _)| crate::model::haproxy::stats_host(url).as_deref() == Some(host))
        .flat_map(|(_, s)| s.value.iter())
        .filter(|p| p.name == service)
        .find_map(|p| match member {
            Some(_) => p.servers.iter().find(|s| member_of(v, s) == member),
            // No answer to go by: where HAProxy routes new clients now.
            None => p.routing().first().copied(),
        });
    match server {
        Some(s) => via_span(ctx, v, c, s),
        None => Span::styled("?", ctx.theme.muted()),
    }
}

fn findings_lines(ctx: &Ctx, v: &ClusterView) -> Vec<Line<'static>> {
    let Some(c) = crate::tui::selection::cluster(ctx.model, ctx.ui) else {
        return vec![];
    };
    let f = cluster_findings(v, c, ctx.model.pgbouncer_port, ctx.now);
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
    // A fault of a pooler reads the same from every HAProxy in front of
    // it: said once, with how many HAProxys route there.
    let mut seen: Vec<(String, usize)> = vec![];
    for x in f {
        match seen.iter_mut().find(|(m, _)| *m == x.message) {
            Some((_, n)) => *n += 1,
            None => seen.push((x.message, 1)),
        }
    }
    seen.into_iter()
        .map(|(m, n)| {
            let from = if n > 1 {
                format!(" (from {n} HAProxys)")
            } else {
                String::new()
            };
            Line::from(Span::styled(format!(" ! {m}{from}"), ctx.theme.alarm()))
        })
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
                    Cell::from(via_span(ctx, &v, c, s)),
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
            Constraint::Length(18),
            Constraint::Length(16),
            Constraint::Length(36),
            Constraint::Length(12),
            Constraint::Length(8),
            Constraint::Length(5),
            Constraint::Length(9),
        ],
    )
    .header(
        Row::new(vec![
            "Node", "Service", "Server", "Via", "Status", "Check", "Sess", "Changed",
        ])
        .style(t.header()),
    )
    .block(block(ctx, "HAProxy backends", ctx.ui.focus == 0))
    .render(servers, buf);

    let mut prow = vec![];
    // A port whose last probe failed shows the failure, not the answer
    // before it: that answer is no longer true.
    for (port, (_, e)) in &c.haproxy.probe_errors {
        // Where HAProxy routes now, not where the last answer came from.
        prow.push(Row::new(vec![
            Cell::from(format!("{}:{}", port.host, port.port)),
            Cell::from(port.service.clone()),
            Cell::from(Span::styled("! failed", t.alarm())),
            Cell::from(probe_via(ctx, &v, c, &port.host, &port.service, None)),
            Cell::from(""),
            Cell::from(Span::styled(e.clone(), t.alarm())),
        ]));
    }
    for (port, a) in &c.haproxy.probes {
        if c.haproxy.probe_errors.contains_key(port) {
            continue;
        }
        let expect_primary = matches!(
            port.kind,
            crate::model::haproxy::ServiceKind::Primary
                | crate::model::haproxy::ServiceKind::Default
        );
        // Through a pooler on a Unix socket the server has no address to
        // give: who answered is then unknown, and only recovery says wrong.
        let wrong = expect_primary
            && (a.value.in_recovery
                || a.value.member.is_some() && a.value.member.as_deref() != v.leader.as_deref());
        let who = a
            .value
            .member
            .clone()
            .or(a.value.server_addr.clone())
            .unwrap_or("(socket)".into());
        prow.push(Row::new(vec![
            Cell::from(format!("{}:{}", port.host, port.port)),
            Cell::from(port.service.clone()),
            Cell::from(if wrong {
                Span::styled(format!("! {who}"), t.alarm())
            } else {
                Span::raw(who)
            }),
            Cell::from(probe_via(
                ctx,
                &v,
                c,
                &port.host,
                &port.service,
                a.value.member.as_deref(),
            )),
            Cell::from(if a.value.elapsed_ms < 100 {
                "<100 ms".to_string()
            } else {
                format!("~{} ms", a.value.elapsed_ms / 100 * 100)
            }),
            Cell::from(if a.value.in_recovery {
                "replica (in recovery)"
            } else {
                "primary"
            }),
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
            Constraint::Length(16),
            Constraint::Length(10),
            Constraint::Length(28),
            Constraint::Length(8),
            Constraint::Min(22),
        ],
    )
    .header(Row::new(vec!["Port", "Service", "Answered", "Via", "Took", "Is"]).style(t.header()))
    .block(block(ctx, &title, ctx.ui.focus == 1))
    .render(probes, buf);
}
