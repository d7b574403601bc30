//! What the loop keeps besides the model: the UI state, the theme, the lag
//! history, and the effects the UI state returned that the loop has not yet
//! carried out (key presses driven without a loop, as in the interaction
//! tests, leave them there to be read).

use super::effect::Effect;
use super::keys::Action;
use super::lag_history::LagHistory;
use super::selection;
use super::theme::Theme;
use super::ui::Ui;
use super::views;
use crate::model::Model;
use crate::ops::preflight::Expected;
use crate::ops::Operation;
use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::time::SystemTime;

pub struct App {
    pub ui: Ui,
    /// What `Ui` returned that the loop has not carried out yet, in order.
    pub effects: Vec<Effect>,
    pub theme: Theme,
    pub lag: LagHistory,
    views: super::view_cache::ViewCache,
}

impl App {
    pub fn new(cluster: Option<String>, theme: Theme) -> Self {
        App {
            ui: Ui::new(cluster),
            effects: Vec::new(),
            theme,
            lag: LagHistory::default(),
            views: Default::default(),
        }
    }

    /// Whether an [`Effect::Quit`] is waiting.
    pub fn quitting(&self) -> bool {
        self.effects.contains(&Effect::Quit)
    }

    /// The last confirmed operation waiting to run.
    pub fn run_requested(&self) -> Option<&(Operation, Expected)> {
        self.effects.iter().rev().find_map(|e| match e {
            Effect::Run(r) => Some(&**r),
            _ => None,
        })
    }

    /// The last theme waiting to load.
    pub fn theme_requested(&self) -> Option<&str> {
        self.effects.iter().rev().find_map(|e| match e {
            Effect::LoadTheme(n) => Some(n.as_str()),
            _ => None,
        })
    }

    /// Derives the fleet's rows into the UI state, so the keys move over
    /// the rows the view draws.
    /// The cursor stays on its cluster when the sort moves it (a health
    /// changed): Enter must open the cluster the DBA chose, not whichever
    /// took its row.
    fn refresh_fleet(&mut self, model: &Model, now: SystemTime) {
        self.views.sync(model);
        if self.ui.screen == super::screen::Screen::Fleet {
            let chosen = self
                .ui
                .fleet
                .rows
                .get(self.ui.selected)
                .map(|(n, _)| n.clone());
            self.ui.fleet = self.views.fleet(model, &self.ui.filter, now);
            if let Some(i) =
                chosen.and_then(|n| self.ui.fleet.rows.iter().position(|(m, _)| *m == n))
            {
                self.ui.selected = i;
            }
        }
    }

    /// The logs the screen shows now, for the logs source to read.
    pub fn logs_wanted(&self) -> Option<crate::model::logs::LogsWant> {
        if self.ui.screen != super::screen::Screen::Logs {
            return None;
        }
        self.ui.cluster.as_deref().map(|c| self.ui.logs.want(c))
    }

    /// Whether the screen needs every cluster of the namespace: the fleet
    /// screen, or a `:cluster` jump waiting for it.
    pub fn fleet_wanted(&self) -> bool {
        self.ui.screen == super::screen::Screen::Fleet || self.ui.jump.is_some()
    }

    /// What the console shows now, for the sources: the cluster in focus
    /// (the open one; on the fleet screen, the row under the cursor) and
    /// the fleet rows that fit on a screen of `height` lines.
    pub fn demand(
        &mut self,
        model: &Model,
        height: u16,
        now: SystemTime,
    ) -> (Option<String>, Vec<String>) {
        if self.ui.screen != super::screen::Screen::Fleet {
            return (self.ui.cluster.clone(), Vec::new());
        }
        self.refresh_fleet(model, now);
        let rows = &self.ui.fleet.rows;
        let height = height.max(1) as usize;
        let start = self.ui.selected.saturating_sub(height - 1);
        let shown = rows
            .iter()
            .skip(start)
            .take(height)
            .map(|(n, _)| n.clone())
            .collect();
        (rows.get(self.ui.selected).map(|(n, _)| n.clone()), shown)
    }

    /// Samples lag for the sparklines: of the clusters that have live
    /// data (a fleet's other clusters are DCS only, and no lag is sampled
    /// for them). Opens a waiting `:cluster` jump once the namespace is read.
    pub fn on_model(&mut self, model: &Model, now: SystemTime) {
        self.refresh_fleet(model, now);
        if !model.fleet_pending || model.fleet_refused.is_some() {
            if let Some(name) = self.ui.jump.take() {
                self.ui.message = None;
                let _ = self.ui.command(&format!("cluster {name}"), model, now);
            }
        }
        if self.ui.screen == super::screen::Screen::Logs {
            if self.ui.logs.anchor_pending {
                if let Some(row) = super::selection::log_anchor_row(model, &self.ui) {
                    self.ui.selected = row;
                    self.ui.logs.anchor_pending = false;
                }
            } else if self.ui.logs.follow {
                self.ui.selected = super::selection::rows(model, &self.ui).saturating_sub(1);
            }
        }
        for c in model
            .clusters
            .values()
            .filter(|c| !c.rest.is_empty() || !c.sql.is_empty())
        {
            let v = self.views.get(c);
            for m in &v.members {
                if let Some(l) = m.receive_lag_bytes.max(m.replay_lag_bytes) {
                    self.lag.record(&v.name, &m.name, now, l);
                }
            }
        }
    }

    pub fn on_key(&mut self, k: KeyEvent, model: &Model, now: SystemTime) {
        self.refresh_fleet(model, now);
        self.effects.extend(self.ui.on_key(k, model, now));
    }

    /// A click at row `y` of the screen `area`: selects the table row there.
    pub fn on_click(&mut self, area: Rect, y: u16, model: &Model, now: SystemTime) {
        self.refresh_fleet(model, now);
        self.ui.jump = None;
        if let Some(i) = views::row_at(area, model, &self.ui, y, now) {
            self.ui.selected = i;
        }
    }

    /// The mouse wheel: moves the cursor as the keys of `a` do.
    pub fn on_scroll(&mut self, a: Action, model: &Model, now: SystemTime) {
        self.refresh_fleet(model, now);
        let rows = selection::rows(model, &self.ui);
        self.effects.extend(self.ui.apply(a, rows));
    }

    pub fn render(&self, area: Rect, model: &Model, now: SystemTime) -> Buffer {
        let mut buf = Buffer::empty(area);
        self.views.sync(model);
        let ctx = views::Ctx {
            model,
            ui: &self.ui,
            theme: &self.theme,
            now,
            lag: &self.lag,
            views: &self.views,
        };
        views::render(area, &mut buf, &ctx);
        buf
    }
}
