//! What the loop keeps besides the model: the UI state, the theme, the lag
//! history, and the effects the UI state returned that the loop has not yet
//! carried out.

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
use std::ops::{Deref, DerefMut};
use std::time::SystemTime;

pub struct App {
    pub ui: Outbox,
    pub theme: Theme,
    pub lag: LagHistory,
}

/// The UI state as the app holds it: the pure [`Ui`] (which it derefs to),
/// and the effects `Ui` returned, kept until the loop carries them out. Key
/// presses driven without a loop (the interaction tests) leave them here to
/// be read.
#[derive(Debug, Clone)]
pub struct Outbox {
    pub state: Ui,
    /// [`Effect::Quit`]: the loop ends after this frame.
    pub quit: bool,
    /// [`Effect::Run`]: the loop spawns it through the ops layer.
    pub run_request: Option<(Operation, Expected)>,
    /// [`Effect::LoadTheme`]: the loop loads it (file I/O).
    pub theme_request: Option<String>,
}

impl Outbox {
    fn keep(&mut self, effect: Option<Effect>) {
        match effect {
            None => {}
            Some(Effect::Quit) => self.quit = true,
            Some(Effect::Run(run)) => self.run_request = Some(*run),
            Some(Effect::LoadTheme(name)) => self.theme_request = Some(name),
        }
    }
}

impl Deref for Outbox {
    type Target = Ui;
    fn deref(&self) -> &Ui {
        &self.state
    }
}

impl DerefMut for Outbox {
    fn deref_mut(&mut self) -> &mut Ui {
        &mut self.state
    }
}

impl App {
    pub fn new(cluster: Option<String>, theme: Theme) -> Self {
        App {
            ui: Outbox {
                state: Ui::new(cluster),
                quit: false,
                run_request: None,
                theme_request: None,
            },
            theme,
            lag: LagHistory::default(),
        }
    }

    /// Samples lag for the sparklines.
    pub fn on_model(&mut self, model: &Model, now: SystemTime) {
        for c in model.clusters.values() {
            let v = crate::model::view::cluster_view(c);
            for m in &v.members {
                if let Some(l) = m.receive_lag_bytes.max(m.replay_lag_bytes) {
                    self.lag.record(&v.name, &m.name, now, l);
                }
            }
        }
    }

    pub fn on_key(&mut self, k: KeyEvent, model: &Model, now: SystemTime) {
        let effect = self.ui.state.on_key(k, model, now);
        self.ui.keep(effect);
    }

    /// A click at row `y` of the screen `area`: selects the table row there.
    pub fn on_click(&mut self, area: Rect, y: u16, model: &Model, now: SystemTime) {
        if let Some(i) = views::row_at(area, model, &self.ui, y, now) {
            self.ui.state.selected = i;
        }
    }

    /// The mouse wheel: moves the cursor as the keys of `a` do.
    pub fn on_scroll(&mut self, a: Action, model: &Model) {
        let rows = selection::rows(model, &self.ui);
        let effect = self.ui.state.apply(a, rows, model);
        self.ui.keep(effect);
    }

    pub fn render(&self, area: Rect, model: &Model, now: SystemTime) -> Buffer {
        let mut buf = Buffer::empty(area);
        let ctx = views::Ctx {
            model,
            ui: &self.ui,
            theme: &self.theme,
            now,
            lag: &self.lag,
        };
        views::render(area, &mut buf, &ctx);
        buf
    }
}
