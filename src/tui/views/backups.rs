//! Backups: the stanza, the backup lock and a running backup's progress,
//! archiving health, the recoverable window drawn as a bar with its holes,
//! the backup sets, and the agent's jobs.
//!
//! Everything comes from the cluster's node agent (`sources::agent`) and is
//! judged by `model::backup::report`, as `pgtui backups` judges it. The
//! data is only as fresh as the agent's last answer: its age is in the
//! title, and a failing agent turns the title red with the error, over the
//! last good data.

use super::cluster::block;
use super::common;
use super::Ctx;
use crate::model::agent::{JobState, StepState};
use crate::model::backup::report::{archiving_text, epoch_secs, utc, Summary};
use crate::model::backup::window::Window;
use crate::model::backup::BackupSet;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Widget, Wrap};

fn size(b: Option<u64>) -> String {
    match b {
        None => "-".into(),
        Some(b) if b >= 1 << 30 => format!("{:.1}G", b as f64 / (1u64 << 30) as f64),
        Some(b) => format!("{:.1}M", b as f64 / (1u64 << 20) as f64),
    }
}

/// The window as a bar `width` cells wide: `█` replayable, `░` a hole
/// (from the last segment before it to the first after, by repo times).
pub fn window_bar(w: &Window, width: usize) -> Vec<bool> {
    let mut cells = vec![true; width];
    let (from, to) = (w.from, w.to.unwrap_or(w.from));
    let span = (to - from).max(1) as f64;
    let col =
        |t: i64| (((t - from) as f64 / span) * width as f64).clamp(0.0, width as f64) as usize;
    for h in &w.holes {
        let a = h.after.map(col).unwrap_or(0);
        let b = h.before.map(col).unwrap_or(width).max(a + 1).min(width);
        for c in cells.iter_mut().take(b).skip(a) {
            *c = false;
        }
    }
    cells
}

fn header_lines<'a>(ctx: &Ctx, s: &'a Summary, now: i64) -> Vec<Line<'a>> {
    let t = ctx.theme;
    let mut lines = vec![];
    if let Some(st) = &s.stanza {
        let mut l = vec![
            Span::raw(format!("stanza {}  ", st.name)),
            if st.status.code == 0 {
                Span::styled(format!("✓ {}", st.status.message), t.fg(t.ok))
            } else {
                Span::styled(
                    format!("! {} (code {})", st.status.message, st.status.code),
                    t.alarm(),
                )
            },
            Span::styled(format!("  cipher {}", st.cipher), t.muted()),
        ];
        if st.backup_running {
            l.push(Span::styled(
                match st.progress {
                    Some(p) if p.size > 0 => format!(
                        "  ⟳ backup running {}% ({} of {})",
                        p.done * 100 / p.size,
                        size(Some(p.done)),
                        size(Some(p.size))
                    ),
                    _ => "  ⟳ backup running (lock held)".into(),
                },
                t.fg(t.warn),
            ));
        }
        lines.push(Line::from(l));
    }
    if let Some(a) = &s.archiving {
        let style = if a.is_red() { t.alarm() } else { t.fg(t.ok) };
        lines.push(Line::from(Span::styled(archiving_text(a), style)));
    }
    match &s.window {
        Some(w) => lines.push(Line::from(vec![
            Span::raw("window "),
            Span::styled(utc(w.from), t.fg(t.accent)),
            Span::raw(" .. "),
            Span::styled(
                w.to.map(utc)
                    .unwrap_or_else(|| "? (archiving unknown)".into()),
                t.fg(t.accent),
            ),
            Span::styled(
                format!(
                    "  from {}  {}",
                    w.base,
                    match w.holes.len() {
                        0 => "no holes".to_string(),
                        n => format!("{n} HOLE(S)"),
                    }
                ),
                if w.holes.is_empty() {
                    t.muted()
                } else {
                    t.alarm()
                },
            ),
        ])),
        None => lines.push(Line::from(Span::styled(
            "no recoverable window: no usable backup",
            t.alarm(),
        ))),
    }
    if let Some(last) = s.last_backup {
        lines.push(Line::from(Span::styled(
            format!(
                "last backup {} ago",
                common::human(std::time::Duration::from_secs((now - last).max(0) as u64))
            ),
            t.muted(),
        )));
    }
    lines
}

fn bar_line<'a>(ctx: &Ctx, w: &Window, width: usize) -> Line<'a> {
    let t = ctx.theme;
    let cells = window_bar(w, width);
    let mut spans: Vec<Span> = vec![];
    let mut run = String::new();
    let mut cur = None;
    for ok in cells {
        if cur.is_some_and(|c| c != ok) {
            let style: Style = if cur == Some(true) {
                t.fg(t.ok)
            } else {
                t.alarm()
            };
            spans.push(Span::styled(std::mem::take(&mut run), style));
        }
        cur = Some(ok);
        run.push(if ok { '█' } else { '░' });
    }
    if !run.is_empty() {
        let style = if cur == Some(true) {
            t.fg(t.ok)
        } else {
            t.alarm()
        };
        spans.push(Span::styled(run, style));
    }
    Line::from(spans)
}

fn row<'a>(ctx: &Ctx, b: &BackupSet) -> Row<'a> {
    let t = ctx.theme;
    Row::new(vec![
        Cell::from(b.label.clone()),
        Cell::from(b.kind.label()),
        Cell::from(utc(b.start)),
        Cell::from(format!("{} s", b.stop - b.start)),
        Cell::from(size(b.size)),
        Cell::from(size(b.delta)),
        Cell::from(size(b.repo_size.or(b.repo_size_map))),
        Cell::from(format!(
            "{}..{}",
            b.lsn_start.as_deref().unwrap_or("?"),
            b.lsn_stop.as_deref().unwrap_or("?")
        )),
        Cell::from(format!(
            "{}..{}",
            b.wal_start.as_deref().map(short_wal).unwrap_or("?"),
            b.wal_stop.as_deref().map(short_wal).unwrap_or("?")
        )),
        Cell::from(match b.error {
            Some(true) => Span::styled("ERROR", t.alarm()),
            Some(false) => Span::styled("ok", t.fg(t.ok)),
            None => Span::raw("-"),
        }),
        Cell::from(b.prior.clone().unwrap_or_default()),
    ])
}

/// The last 16 hex digits of a segment name (timeline dropped when 1).
fn short_wal(w: &str) -> &str {
    match w.get(..8) {
        Some("00000001") => &w[8..],
        _ => w,
    }
}

pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    let t = ctx.theme;
    let Some(c) = common::cluster_or_note(area, buf, ctx) else {
        return;
    };
    let now = epoch_secs(ctx.now);
    let summary = ctx.views.backups(ctx.model, &c.name, ctx.now);
    let jobs = c.jobs.as_slice();
    let (Some(s), Some(report)) = (summary.as_ref(), c.backups.as_ref()) else {
        let msg = match &c.backups_error {
            Some((at, e)) => format!(
                "no backup data for {} ({}): {e}",
                c.name,
                common::ago(ctx.now, *at)
            ),
            None if !ctx.model.own_keys_read => "reading pgtui's keys in etcd…".into(),
            None => "asking the node agent…".into(),
        };
        Paragraph::new(msg)
            .style(if c.backups_error.is_some() {
                t.alarm()
            } else {
                t.muted()
            })
            .wrap(Wrap { trim: true })
            .block(block(ctx, "backups", true))
            .render(area, buf);
        return;
    };
    let title = match &c.backups_error {
        Some((_, e)) => format!(
            "backups STALE: last read {} via {}; now: {e}",
            common::ago(ctx.now, report.at),
            report.value.member
        ),
        None => format!(
            "backups via the agent of {} (read {} ago)",
            report.value.member,
            common::ago(ctx.now, report.at)
        ),
    };
    let mut top = header_lines(ctx, s, now);
    let inner_w = area.width.saturating_sub(4) as usize;
    if let Some(w) = &s.window {
        top.push(bar_line(ctx, w, inner_w.max(10)));
    }
    for f in &s.findings {
        top.push(Line::from(Span::styled(
            format!("{} {}", if f.red { "!" } else { "·" }, f.text),
            if f.red { t.alarm() } else { t.muted() },
        )));
    }
    let job_lines: Vec<Line> = jobs
        .iter()
        .rev()
        .take(4)
        .map(|j| {
            let step = j
                .current_step()
                .map(|s| {
                    format!(
                        "{} {}",
                        s.name,
                        match s.state {
                            StepState::Running => "…",
                            StepState::Failed => "FAILED",
                            _ => "",
                        }
                    )
                })
                .unwrap_or_default();
            let style = match j.state {
                JobState::Running => t.fg(t.warn),
                JobState::Succeeded => t.fg(t.ok),
                JobState::Failed | JobState::Interrupted => t.alarm(),
            };
            Line::from(Span::styled(
                format!(
                    "job {} {} on {}: {} ({}) {}",
                    j.id,
                    j.kind.label(),
                    j.member,
                    j.state.label(),
                    utc(j.started),
                    step
                ),
                style,
            ))
        })
        .collect();
    let top_h = (top.len() as u16 + 2).min(area.height.saturating_sub(5));
    let jobs_h = if job_lines.is_empty() {
        0
    } else {
        job_lines.len() as u16 + 2
    };
    let [a, b, j] = Layout::vertical([
        Constraint::Length(top_h),
        Constraint::Min(3),
        Constraint::Length(jobs_h),
    ])
    .areas(area);
    let title_style = if c.backups_error.is_some() || s.is_red() {
        t.alarm()
    } else {
        t.fg(t.title)
    };
    Paragraph::new(top)
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.fg(t.border))
                .title(Span::styled(format!(" {title} "), title_style)),
        )
        .render(a, buf);
    let sets: &[BackupSet] = s
        .stanza
        .as_ref()
        .map(|s| s.backups.as_slice())
        .unwrap_or(&[]);
    // Narrow terminals keep what restores are chosen by: label, type,
    // stop time, sizes and the error flag.
    if b.width < 120 {
        let rows: Vec<Row> = sets
            .iter()
            .rev()
            .map(|s| {
                Row::new(vec![
                    Cell::from(s.label.clone()),
                    Cell::from(s.kind.label()),
                    Cell::from(utc(s.stop)),
                    Cell::from(size(s.size)),
                    Cell::from(size(s.repo_size.or(s.repo_size_map))),
                    Cell::from(match s.error {
                        Some(true) => Span::styled("ERROR", t.alarm()),
                        Some(false) => Span::styled("ok", t.fg(t.ok)),
                        None => Span::raw("-"),
                    }),
                ])
            })
            .collect();
        Table::new(
            rows,
            [
                Constraint::Min(16),
                Constraint::Length(4),
                Constraint::Length(20),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(5),
            ],
        )
        .header(Row::new(vec!["Label", "Type", "Stop", "Size", "Repo", "Err"]).style(t.header()))
        .block(block(ctx, &format!("backup sets ({})", sets.len()), true))
        .render(b, buf);
    } else {
        let rows: Vec<Row> = sets.iter().rev().map(|b| row(ctx, b)).collect();
        Table::new(
            rows,
            [
                Constraint::Length(25),
                Constraint::Length(4),
                Constraint::Length(20),
                Constraint::Length(6),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(21),
                Constraint::Length(35),
                Constraint::Length(5),
                Constraint::Min(10),
            ],
        )
        .header(
            Row::new(vec![
                "Label", "Type", "Start", "Took", "Size", "Delta", "Repo", "LSN", "WAL", "Err",
                "Prior",
            ])
            .style(t.header()),
        )
        .block(block(ctx, &format!("backup sets ({})", sets.len()), true))
        .render(b, buf);
    }
    if !job_lines.is_empty() {
        Paragraph::new(job_lines)
            .block(block(ctx, "jobs", false))
            .render(j, buf);
    }
}
