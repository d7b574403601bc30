//! Text renderings of cluster views, shaped like patronictl's so a DBA's eye
//! (and grep) finds things where it expects them.

use crate::model::view::{ClusterView, MemberView, SHOWN_CHARS};
use crate::model::SourceHealth;
use comfy_table::{presets, Cell, CellAlignment, Color, ContentArrangement, Table};
use std::time::SystemTime;

static NO_COLOR: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Takes `NO_COLOR` from the resolved configuration, once per process;
/// before that (a library caller), colour follows the terminal alone.
pub fn set_no_color(no_color: bool) {
    let _ = NO_COLOR.set(no_color);
}

/// Whether to colour: a terminal, and `NO_COLOR` unset.
pub fn colour_enabled() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && !NO_COLOR.get().copied().unwrap_or(false)
}

/// Text from outside as a cell shows it: escaped, and cut with a marker
/// past [`SHOWN_CHARS`] (`-f json` has the whole value).
pub fn shown(s: &str) -> String {
    crate::text::clip(&crate::text::escape(s), SHOWN_CHARS).into_owned()
}

fn table(colour: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::ASCII_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    if colour {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}

pub fn role_label(r: &str) -> String {
    // patronictl's form: `sync_standby` → `Sync Standby`.
    r.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn mb(bytes: Option<u64>) -> String {
    bytes
        .map(|b| format!("{}", crate::model::lag::bytes_to_mb(b)))
        .unwrap_or_default()
}

fn tags(m: &MemberView) -> String {
    let all = m
        .tags
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}: {}",
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    shown(&all)
}

fn host(m: &MemberView, show_port: bool) -> String {
    match (&m.host, m.port) {
        (Some(h), Some(p)) if show_port => format!("{h}:{p}"),
        (Some(h), _) => h.clone(),
        _ => String::new(),
    }
}

/// The banner above a cluster's table.
pub fn banner(v: &ClusterView) -> String {
    let mut s = format!("Cluster: {}", v.name);
    if let Some(id) = &v.system_id {
        s.push_str(&format!(" ({id})"));
    }
    s.push_str(&format!(
        "  leader: {}",
        v.leader.as_deref().unwrap_or("NONE")
    ));
    if let Some(tl) = v.timeline {
        s.push_str(&format!("  TL: {tl}"));
    }
    if v.paused {
        s.push_str("  PAUSED");
    }
    s
}

/// Lines under the table: maintenance mode, scheduled switchover, problems.
pub fn footer(v: &ClusterView) -> Vec<String> {
    let mut out = Vec::new();
    if v.paused {
        out.push(" Maintenance mode: on".to_string());
    }
    if let Some(s) = &v.scheduled_switchover {
        out.push(format!(" Switchover scheduled at: {}", s.at));
        out.push(format!(
            "{:>24}: {}",
            "from",
            s.from.as_deref().unwrap_or("")
        ));
        out.push(format!(
            "{:>24}: {}",
            "to",
            s.to.as_deref().unwrap_or("(any)")
        ));
    }
    for k in &v.unparseable_keys {
        out.push(format!(" ! unparseable DCS key {k}"));
    }
    for f in &v.findings {
        out.push(format!(" ! {}", shown(f)));
    }
    for m in &v.members {
        if let Some(raw) = &m.raw {
            out.push(format!(" ! raw value of members/{}: {raw}", m.name));
        }
    }
    out
}

/// A warning when etcd's data is not confirmed current: what is shown is
/// the last known state.
pub fn staleness(etcd: &SourceHealth, now: SystemTime) -> Option<String> {
    use crate::model::freshness::{dcs, Dcs};
    let Dcs::Stale { since, fault, why } = dcs(etcd, now) else {
        return None;
    };
    let secs = now.duration_since(since).unwrap_or_default().as_secs();
    let what = fault.map(|f| f.label()).unwrap_or("NOT CONFIRMED");
    Some(format!(
        " ! STALE: etcd {what} for {secs}s; showing the last known state. {why}"
    ))
}

/// One cluster as a table, with banner and footer.
pub fn cluster_table(v: &ClusterView, colour: bool) -> String {
    let show_port = v.members.iter().any(|m| m.port.is_some_and(|p| p != 5432))
        || v.members.iter().enumerate().any(|(i, m)| {
            v.members[..i]
                .iter()
                .any(|o| o.host.is_some() && o.host == m.host)
        });
    let extended = v
        .members
        .iter()
        .any(|m| m.pending_restart || m.scheduled_restart.is_some() || !m.tags.is_empty());
    let mut t = table(colour);
    let mut header = vec![
        "Member",
        "Host",
        "Role",
        "State",
        "TL",
        "Lag in MB",
        "Receive lag MB",
        "Replay lag MB",
    ];
    if extended {
        header.extend(["Pending restart", "Scheduled restart", "Tags"]);
    }
    t.set_header(header);
    for m in &v.members {
        let mut role_cell = Cell::new(shown(&role_label(m.role.as_str())));
        let mut state_cell = Cell::new(shown(m.state.as_str()));
        if colour {
            if m.role.leads() {
                role_cell = role_cell.fg(Color::Green);
            }
            if m.unparseable.is_some() || !m.state.is_up() {
                state_cell = state_cell.fg(Color::Red);
            }
        }
        let mut lag_cell = Cell::new(m.lag_mb.map(|l| l.to_string()).unwrap_or_default())
            .set_alignment(CellAlignment::Right);
        if colour && m.lag_mb.is_some_and(|l| l > 0) {
            lag_cell = lag_cell.fg(Color::Yellow);
        }
        let mut row = vec![
            Cell::new(shown(&m.name)),
            Cell::new(shown(&host(m, show_port))),
            role_cell,
            state_cell,
            Cell::new(m.timeline.map(|t| t.to_string()).unwrap_or_default())
                .set_alignment(CellAlignment::Right),
            lag_cell,
            Cell::new(mb(m.receive_lag_bytes)).set_alignment(CellAlignment::Right),
            Cell::new(mb(m.replay_lag_bytes)).set_alignment(CellAlignment::Right),
        ];
        if extended {
            row.push(Cell::new(if m.pending_restart { "*" } else { "" }));
            row.push(Cell::new(shown(
                m.scheduled_restart.as_deref().unwrap_or(""),
            )));
            row.push(Cell::new(tags(m)));
        }
        t.add_row(row);
    }
    let mut out = shown(&banner(v));
    out.push('\n');
    out.push_str(&t.to_string());
    for line in footer(v) {
        out.push('\n');
        out.push_str(&line);
    }
    out
}

/// A generic table from a header and rows.
pub fn simple_table(header: &[&str], rows: Vec<Vec<String>>, right: &[usize]) -> String {
    let mut t = table(false);
    t.set_header(header.to_vec());
    for r in rows {
        t.add_row(r.into_iter().enumerate().map(|(i, c)| {
            let cell = Cell::new(shown(&c));
            if right.contains(&i) {
                cell.set_alignment(CellAlignment::Right)
            } else {
                cell
            }
        }));
    }
    t.to_string()
}
