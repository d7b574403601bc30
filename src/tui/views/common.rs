//! Pieces every screen shares: header, stale banner, footer, overlays, and
//! the styling of roles, states and lag.

use super::Ctx;
use crate::model::health::Health;
use crate::model::view::{ClusterView, MemberView};
use crate::model::{ClusterState, MemberState, Model, Role, SourceId};
use crate::tui::keys;
use crate::tui::selection;
use crate::tui::ui::Mode;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use std::time::{Duration, SystemTime};

/// The selected cluster, or a note in `area` saying there is none.
pub fn cluster_or_note<'m>(
    area: Rect,
    buf: &mut Buffer,
    ctx: &Ctx<'m>,
) -> Option<&'m ClusterState> {
    let c = selection::cluster(ctx.model, ctx.ui);
    if c.is_none() {
        Paragraph::new(format!(
            " no cluster selected: {}, or :cluster NAME",
            keys::TO_FLEET.text()
        ))
        .render(area, buf);
    }
    c
}

/// A `w`×`h` box centred in `area`, cleared and in the theme's base style,
/// for what is drawn over a screen (help, dialogs).
pub fn overlay(area: Rect, buf: &mut Buffer, ctx: &Ctx, w: u16, h: u16) -> Rect {
    let (w, h) = (w.min(area.width), h.min(area.height));
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    ratatui::widgets::Clear.render(r, buf);
    buf.set_style(r, ctx.theme.base());
    r
}

pub fn ago(now: SystemTime, then: SystemTime) -> String {
    let d = now.duration_since(then).unwrap_or_default();
    human(d)
}

pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s / 60) % 60),
    }
}

/// `HH:MM:SS` UTC of a time.
pub fn clock(t: SystemTime) -> String {
    let s = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    format!("{:02}:{:02}:{:02}", (s / 3600) % 24, (s / 60) % 60, s % 60)
}

/// Role as text with a symbol, so it reads without colour.
pub fn role_span(ctx: &Ctx, r: &Role) -> Span<'static> {
    let t = ctx.theme;
    match r {
        Role::Leader => Span::styled("★ Leader", t.fg(t.leader).add_modifier(Modifier::BOLD)),
        Role::StandbyLeader => Span::styled(
            "★ Standby Leader",
            t.fg(t.leader).add_modifier(Modifier::BOLD),
        ),
        Role::SyncStandby => Span::styled("◆ Sync Standby", t.fg(t.sync)),
        Role::QuorumStandby => Span::styled("◆ Quorum Standby", t.fg(t.sync)),
        _ => Span::styled("  Replica", t.fg(t.replica)),
    }
}

pub fn state_ok(state: &MemberState) -> bool {
    state.is_up()
}

pub fn state_span(ctx: &Ctx, state: &MemberState) -> Span<'static> {
    if state_ok(state) {
        Span::styled(state.to_string(), ctx.theme.fg(ctx.theme.ok))
    } else {
        Span::styled(format!("! {state}"), ctx.theme.alarm())
    }
}

/// Lag in MB; anything above 0 is a warning, above 16 MB (Patroni's usual
/// `maximum_lag_on_failover` is 1 MB; 16 MB is one WAL segment) an alarm.
pub fn lag_span(ctx: &Ctx, bytes: Option<u64>) -> Span<'static> {
    let t = ctx.theme;
    match bytes {
        None => Span::styled("-", t.muted()),
        Some(b) => {
            let mb = crate::model::lag::bytes_to_mb(b);
            let style = if b >= 16 * 1048576 {
                t.alarm()
            } else if mb > 0 {
                t.fg(t.warn)
            } else {
                t.fg(t.ok)
            };
            Span::styled(format!("{mb}"), style)
        }
    }
}

/// Members running on a timeline older than the leader's: after a restore
/// or a botched failover they can show `running` with lag 0.
pub fn abandoned(v: &ClusterView) -> Vec<&MemberView> {
    let Some(tl) = v.timeline else { return vec![] };
    v.members
        .iter()
        .filter(|m| !m.role.leads() && m.timeline.is_some_and(|t| t < tl))
        .collect()
}

/// Whether the DCS picture is confirmed current at `ctx.now`.
pub fn dcs_live(ctx: &Ctx) -> bool {
    crate::model::freshness::dcs(&ctx.model.source(SourceId::Etcd), ctx.now).is_live()
}

/// Whether the stale banner shows (the layout and mouse hit-testing agree).
pub fn banner_shown(model: &Model, now: SystemTime) -> bool {
    matches!(
        crate::model::freshness::dcs(&model.source(SourceId::Etcd), now),
        crate::model::freshness::Dcs::Stale { .. }
    )
}

/// What the banner calls etcd's trouble: the failure's kind when known.
pub fn trouble(fault: Option<crate::dcs::Fault>, failed: bool) -> &'static str {
    match (fault, failed) {
        (Some(f), _) => f.label(),
        (None, true) => "UNREACHABLE",
        (None, false) => "NOT CONFIRMED",
    }
}

/// The red line under the header when the DCS picture is not current.
pub fn stale_banner<'a>(ctx: &Ctx) -> Option<Paragraph<'a>> {
    let etcd = ctx.model.source(SourceId::Etcd);
    let crate::model::freshness::Dcs::Stale { since, fault, why } =
        crate::model::freshness::dcs(&etcd, ctx.now)
    else {
        return None;
    };
    let what = trouble(fault, etcd.down_since.is_some());
    let text = format!(" ⚠ etcd {what} since {} UTC ({} ago): showing last known state; members greyed cannot be confirmed. {}. {why}", clock(since), ago(ctx.now, since), keys::FULL_TEXT.text());
    Some(
        Paragraph::new(text).style(
            Style::default()
                .fg(ctx.theme.bg)
                .bg(ctx.theme.alarm)
                .add_modifier(Modifier::BOLD),
        ),
    )
}

fn versions(c: &ClusterState) -> String {
    let patroni: Vec<String> = c
        .rest
        .values()
        .filter_map(|r| r.value.patroni.as_ref()?.version.clone())
        .collect();
    let pg: Vec<String> = c
        .rest
        .values()
        .filter_map(|r| r.value.server_version)
        .map(crate::model::view::pg_version)
        .collect();
    let one = |mut v: Vec<String>| {
        v.sort();
        v.dedup();
        v.join("/")
    };
    match (patroni.is_empty(), pg.is_empty()) {
        (true, true) => String::new(),
        _ => format!("Patroni {}  PG {}", one(patroni), one(pg)),
    }
}

/// " (in 4m 10s)" until a scheduled instant, " (due)" after it; computed
/// from `now`, so the view stays a pure function.
pub fn countdown(now: SystemTime, at: &str) -> String {
    let Ok(at) = crate::ops::preflight::parse_time(at) else {
        return String::new();
    };
    let secs = (at - chrono::DateTime::<chrono::Utc>::from(now)).num_seconds();
    if secs >= 0 {
        format!(" (in {})", human(Duration::from_secs(secs as u64)))
    } else {
        " (due)".to_string()
    }
}

/// Two header lines: what and where, then the cluster summary.
pub fn header(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let t = ctx.theme;
    let etcd = ctx.model.source(SourceId::Etcd);
    let dcs = match crate::model::freshness::dcs(&etcd, ctx.now) {
        crate::model::freshness::Dcs::Stale { since, .. } => {
            Span::styled(format!("etcd STALE {}", ago(ctx.now, since)), t.alarm())
        }
        crate::model::freshness::Dcs::Live => Span::styled("etcd ● live", t.fg(t.ok)),
        crate::model::freshness::Dcs::Connecting => Span::styled("etcd connecting…", t.fg(t.warn)),
    };
    // etcd's own health: how many endpoints answer, and which do not.
    let eps = &ctx.model.etcd_endpoints;
    let sick: Vec<String> = eps
        .iter()
        .filter(|e| e.checked.is_some() && !e.ok)
        .map(|e| {
            format!(
                "{} {}",
                e.endpoint,
                e.fault.map(|f| f.label()).unwrap_or("?")
            )
        })
        .collect();
    let members = (!eps.is_empty()).then(|| {
        let up = eps.len() - sick.len();
        if sick.is_empty() {
            Span::styled(format!(" {up}/{}", eps.len()), t.fg(t.ok))
        } else {
            Span::styled(
                format!(" {up}/{} ⚠ {}", eps.len(), sick.join(", ")),
                t.fg(t.warn),
            )
        }
    });
    let mut l1 = vec![
        Span::styled(" pgtui ", t.header().add_modifier(Modifier::REVERSED)),
        Span::raw(" "),
        Span::styled(
            ctx.ui.screen.title().to_string(),
            t.fg(t.title).add_modifier(Modifier::BOLD),
        ),
        Span::raw("  "),
        Span::styled(ctx.model.namespace.clone(), t.muted()),
        Span::raw("  "),
        dcs,
    ];
    l1.extend(members);
    let mut l2 = vec![];
    if let Some(c) = selection::cluster(ctx.model, ctx.ui) {
        let v = ctx.view(c);
        l1.push(Span::raw("  "));
        l1.push(Span::styled(versions(c), t.muted()));
        l2.push(Span::styled(format!(" {} ", v.name), t.header()));
        l2.push(Span::styled(
            format!(" sysid {} ", v.system_id.as_deref().unwrap_or("?")),
            t.muted(),
        ));
        match &v.leader {
            Some(l) => l2.push(Span::styled(
                format!(" leader {l} "),
                t.fg(t.leader).add_modifier(Modifier::BOLD),
            )),
            None => l2.push(Span::styled(" ! NO LEADER ", t.alarm())),
        }
        l2.push(Span::raw(format!(
            " TL {} ",
            v.timeline.map(|x| x.to_string()).unwrap_or("?".into())
        )));
        // The fleet's verdict, in words: only what the rest of the header
        // does not already say (no leader, paused).
        let health = ctx.views.health(ctx.model, c, ctx.now).health;
        if !matches!(health, Health::Healthy | Health::Paused | Health::NoLeader) {
            l2.push(Span::styled(
                format!(
                    " {}{} ",
                    if health.is_alarm() { "! " } else { "? " },
                    health.label()
                ),
                super::fleet::health_style(ctx, &health),
            ));
        }
        l2.extend(backup_badge(ctx, c));
        l2.extend(vip_badge(ctx, c));
        if v.paused {
            l2.push(Span::styled(
                " ⏸ PAUSED (maintenance) ",
                t.fg(t.warn).add_modifier(Modifier::BOLD),
            ));
        }
        if let Some(s) = &v.scheduled_switchover {
            l2.push(Span::styled(
                format!(
                    " ⇄ switchover at {}{} → {} ",
                    s.at,
                    countdown(ctx.now, &s.at),
                    s.to.as_deref().unwrap_or("any")
                ),
                t.fg(t.warn),
            ));
        }
        for m in &v.members {
            if let Some(at) = &m.scheduled_restart {
                l2.push(Span::styled(
                    format!(" ↻ restart {} at {at}{} ", m.name, countdown(ctx.now, at)),
                    t.fg(t.warn),
                ));
            }
        }
        if let Some(h) = ctx.model.locks.get(&v.name) {
            l2.push(Span::styled(
                format!(
                    " LOCKED: {} by {}@{} since {} ",
                    h.operation, h.user, h.host, h.since
                ),
                t.fg(t.warn).add_modifier(Modifier::BOLD),
            ));
        }
        let bad = abandoned(&v);
        if !bad.is_empty() {
            l2.push(Span::styled(
                format!(
                    " ! OLD TIMELINE: {} ",
                    bad.iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                t.alarm(),
            ));
        }
    } else if let Some(name) = &ctx.ui.cluster {
        l2.push(Span::styled(
            format!(
                " cluster {name} not found (yet) in {} ",
                ctx.model.namespace
            ),
            t.fg(t.warn),
        ));
    } else {
        l2.push(Span::styled(
            format!(
                " {} clusters ",
                ctx.model
                    .clusters
                    .values()
                    .filter(|c| !c.dcs.is_empty())
                    .count()
            ),
            t.header(),
        ));
    }
    Paragraph::new(vec![Line::from(l1), Line::from(l2)]).render(area, buf);
}

/// The footer: the palette/filter line when editing, else key hints (from the
/// key registry) and the last message.
pub fn footer(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let t = ctx.theme;
    let line = match &ctx.ui.mode {
        Mode::Command(s) => Line::from(vec![
            Span::styled(":", t.fg(t.accent)),
            Span::raw(s.clone()),
            Span::styled("█", t.fg(t.accent)),
        ]),
        Mode::Filter(s) => Line::from(vec![
            Span::styled("/", t.fg(t.accent)),
            Span::raw(s.clone()),
            Span::styled("█", t.fg(t.accent)),
        ]),
        Mode::Normal => {
            let mut spans = vec![];
            if let Some(m) = &ctx.ui.message {
                spans.push(Span::styled(format!(" {m} "), t.fg(t.warn)));
            } else if !ctx.ui.filter.is_empty() {
                spans.push(Span::styled(
                    format!(" filter: {} ", ctx.ui.filter),
                    t.fg(t.accent),
                ));
            }
            for (k, h) in keys::footer_hints(ctx.ui.writable()) {
                spans.push(Span::styled(
                    format!(" {k}"),
                    t.fg(t.accent).add_modifier(Modifier::BOLD),
                ));
                spans.push(Span::styled(format!(" {h}"), t.muted()));
            }
            Line::from(spans)
        }
    };
    Paragraph::new(line).render(area, buf);
}

/// Whether a member's live data is fresh: the DCS answers and the member's
/// own REST/SQL data is recent.
pub fn member_age(ctx: &Ctx, c: &ClusterState, m: &MemberView) -> (String, bool) {
    let etcd_live = dcs_live(ctx);
    let newest = [
        c.rest.get(&m.name).map(|r| r.at),
        c.sql.get(&m.name).map(|s| s.at),
    ]
    .into_iter()
    .flatten()
    .max();
    match newest {
        Some(at)
            if etcd_live
                && ctx.now.duration_since(at).unwrap_or_default() < Duration::from_secs(10) =>
        {
            ("live".into(), true)
        }
        Some(at) => (ago(ctx.now, at), false),
        None if etcd_live => ("dcs".into(), true),
        None => ("?".into(), false),
    }
}

/// The VIP and where it is, when the nodes' agents report one: in the ok
/// colour on the right node, the alarm colour when it did not follow, is
/// held by no node or by two, amber while a member's answer is missing.
pub fn vip_badge(ctx: &Ctx, c: &ClusterState) -> Option<Span<'static>> {
    use crate::model::vip::VipVerdict;
    let t = ctx.theme;
    let v = crate::model::vip::of_cluster(c, &ctx.model.namespace, ctx.now);
    let style = match &v {
        VipVerdict::None => return None,
        VipVerdict::Ok { .. } => t.fg(t.ok),
        VipVerdict::Unknown { .. } => t.fg(t.warn),
        _ => t.alarm(),
    };
    let mark = if v.is_alarm() { "! " } else { "" };
    Some(Span::styled(format!(" {mark}{} ", v.describe()), style))
}

/// The last backup's age and archiving health, for the cluster header and
/// the fleet: red when there is no usable backup or archiving fails, `?`
/// when the agent's answer is old.
pub fn backup_badge(ctx: &Ctx, c: &ClusterState) -> Option<Span<'static>> {
    let t = ctx.theme;
    let s = ctx.views.backups(ctx.model, &c.name, ctx.now);
    let stale = c.backups_error.is_some();
    let Some(s) = s.as_ref() else {
        return stale.then(|| Span::styled(" backups unknown ", t.fg(t.stale)));
    };
    if !s.configured {
        return Some(Span::styled(" no pgBackRest ", t.muted()));
    }
    let mark = if stale { "?" } else { "" };
    let archiving = match &s.archiving {
        Some(a) if a.is_red() => "ARCHIVING FAILING",
        Some(_) => "archiving ok",
        None => "archiving ?",
    };
    let text = match s.last_backup {
        None => format!(" ! NO BACKUP{mark} · {archiving} "),
        Some(at) => {
            let now = crate::model::backup::report::epoch_secs(ctx.now);
            let age = human(Duration::from_secs((now - at).max(0) as u64));
            let bang = if s.is_red() { "! " } else { "" };
            format!(" {bang}backup {age} ago{mark} · {archiving} ")
        }
    };
    Some(Span::styled(
        text,
        if s.is_red() {
            t.alarm()
        } else if stale {
            t.fg(t.stale)
        } else {
            t.fg(t.ok)
        },
    ))
}
