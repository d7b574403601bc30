//! Views: pure functions of (model, UI state, theme, now) → a buffer.
//!
//! Nothing here reads a clock, a file or the network; `now` is passed in, so
//! the same inputs always draw the same screen (and snapshot tests can pin
//! them). Roles, states and alarms are always spelled out in text or symbols
//! as well as coloured, so `NO_COLOR` loses nothing.

pub mod backups;
pub mod cluster;
pub mod common;
pub mod config;
pub mod details;
pub mod dialog;
pub mod events;
pub mod fleet;
pub mod help;
pub mod logs;
pub mod pools;
pub mod replication;
pub mod services;
pub mod timeline;

use super::lag_history::LagHistory;
use super::screen::Screen;
use super::theme::Theme;
use super::ui::Ui;
use crate::model::Model;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Widget, Wrap};
use std::time::SystemTime;

/// Everything a view may look at.
pub struct Ctx<'a> {
    pub model: &'a Model,
    pub ui: &'a Ui,
    pub theme: &'a Theme,
    pub now: SystemTime,
    pub lag: &'a LagHistory,
    /// Cluster views derived once per model change ([`Ctx::view`]).
    pub views: &'a super::view_cache::ViewCache,
}

impl Ctx<'_> {
    /// The derived view of `c`, from the cache.
    pub fn view(
        &self,
        c: &crate::model::ClusterState,
    ) -> std::rc::Rc<crate::model::view::ClusterView> {
        self.views.get(c)
    }
}

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

/// Draws the whole screen. Whatever a view drew, no cell leaves here
/// holding a character a terminal would obey ([`no_controls`]).
pub fn render(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    draw(area, buf, ctx);
    no_controls(buf);
}

/// The last net before the terminal. Text from outside is escaped where it
/// enters pgtui (`crate::text`), but a view that formats some other string
/// (a server's error text) must not be able to retitle or clear the
/// operator's terminal: ratatui writes zero-width characters such as ESC
/// into the previous cell, raw. Such characters are dropped, and a cell that
/// held nothing else shows `�`.
pub fn no_controls(buf: &mut Buffer) {
    for cell in buf.content.iter_mut() {
        let sym = cell.symbol();
        if crate::text::has_unsafe(sym) {
            let kept: String = sym
                .chars()
                .filter(|c| !crate::text::is_unsafe(*c))
                .collect();
            cell.set_symbol(if kept.is_empty() { "\u{fffd}" } else { &kept });
        }
    }
}

fn draw(area: Rect, buf: &mut Buffer, ctx: &Ctx) {
    buf.set_style(area, ctx.theme.base());
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "terminal too small: {}×{}\nneed at least {MIN_WIDTH}×{MIN_HEIGHT}\n({})",
            area.width,
            area.height,
            super::keys::QUITS.text()
        );
        Paragraph::new(msg)
            .wrap(Wrap { trim: true })
            .render(area, buf);
        return;
    }
    let banner = common::stale_banner(ctx);
    let [header, banner_area, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(if banner.is_some() { 1 } else { 0 }),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    common::header(header, buf, ctx);
    if let Some(b) = banner {
        b.render(banner_area, buf);
    }
    match ctx.ui.screen {
        Screen::Cluster => cluster::render(body, buf, ctx),
        Screen::Timeline => timeline::render(body, buf, ctx),
        Screen::Replication => replication::render(body, buf, ctx),
        Screen::Services => services::render(body, buf, ctx),
        Screen::Config => config::render(body, buf, ctx),
        Screen::Events => events::render(body, buf, ctx),
        Screen::Backups => backups::render(body, buf, ctx),
        Screen::Pools => pools::render(body, buf, ctx),
        Screen::Logs => logs::render(body, buf, ctx),
        Screen::Fleet => fleet::render(body, buf, ctx),
    }
    common::footer(footer, buf, ctx);
    if ctx.ui.help {
        help::render(body, buf, ctx);
    }
    if ctx.ui.details {
        details::render(body, buf, ctx);
    }
    if let Some(d) = &ctx.ui.dialog {
        dialog::render(body, buf, ctx, d);
    }
}

/// The table row under a mouse click at (`x`, `y`), for the screens whose
/// body is one table (the same layout `render` uses).
pub fn row_at(area: Rect, model: &Model, ui: &Ui, y: u16, now: SystemTime) -> Option<usize> {
    if !matches!(ui.screen, Screen::Fleet | Screen::Cluster | Screen::Events) || ui.help {
        return None;
    }
    let banner = common::banner_shown(model, now) as u16;
    // header (2) + banner + block border (1) + table header (1)
    let first = area.y + 2 + banner + 2;
    let row = y.checked_sub(first)? as usize;
    let start = if ui.screen == Screen::Fleet {
        let height = area.height.saturating_sub(2 + banner + 1 + 3).max(1) as usize;
        ui.selected.saturating_sub(height - 1)
    } else {
        0
    };
    let idx = start + row;
    (idx < rows(model, ui)).then_some(idx)
}

/// How many rows the focused table has: the views size their tables by it,
/// and so do the keys that move the cursor.
pub use super::selection::rows;
