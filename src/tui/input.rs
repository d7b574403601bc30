//! How a key press reaches the UI state: it is looked up in the key
//! registry's table for the mode the UI is in (an open dialog, else a line
//! being typed, else the main screens) and never matched by hand here, so
//! the keys do what the help and the hints say they do.

use super::dialog::{self, DialogKey, Reply};
use super::effect::Effect;
use super::keys::dialog::{InDialog, DIALOG};
use super::keys::line::{LineKey, LINE};
use super::keys::{self, Action, Press};
use super::selection;
use super::ui::{Mode, Ui};
use crate::model::Model;
use crossterm::event::{KeyEvent, KeyEventKind};
use std::time::SystemTime;

impl Ui {
    /// Applies a key press, in whichever mode the UI is in.
    #[must_use]
    pub fn on_key(&mut self, k: KeyEvent, model: &Model, now: SystemTime) -> Option<Effect> {
        if k.kind == KeyEventKind::Release {
            return None;
        }
        // A key pressed while a `:cluster` jump waits says where to go
        // instead: the jump must not pull the screen away later.
        self.jump = None;
        if self.dialog.is_some() {
            return self.dialog_key(&k, model, now);
        }
        match self.mode {
            Mode::Normal => self.normal_key(&k, model, now),
            Mode::Command(_) | Mode::Filter(_) => self.line_key(&k, model, now),
        }
    }

    fn normal_key(&mut self, k: &KeyEvent, model: &Model, now: SystemTime) -> Option<Effect> {
        match keys::lookup(k, self.writable())? {
            Action::Open if self.screen == super::screen::Screen::Events => {
                self.message = None;
                self.open_logs_at(model);
                None
            }
            Action::LogsMember => {
                self.message = None;
                self.next_log_member(model);
                None
            }
            Action::Op(kind) => {
                self.message = None;
                self.open_op(kind, None, model, now);
                None
            }
            a => {
                let rows = selection::rows(model, self);
                self.apply(a, rows)
            }
        }
    }

    fn dialog_key(&mut self, k: &KeyEvent, model: &Model, now: SystemTime) -> Option<Effect> {
        let d = self.dialog.as_mut()?;
        let dk = match DIALOG.lookup(k, true, d.needs_typing())? {
            Press::Act(InDialog::Quit) => return Some(Effect::Quit),
            Press::Act(InDialog::Pass(dk)) => dk,
            Press::Type(c) => DialogKey::Char(c),
        };
        match d.key(dk, dialog::current(model, d), now) {
            Reply::Nothing => None,
            Reply::Close => {
                self.dialog = None;
                None
            }
            Reply::Run(run) => Some(Effect::Run(run)),
        }
    }

    /// A key while a `:` command or a `/` filter is typed. The filter
    /// applies as it is typed.
    fn line_key(&mut self, k: &KeyEvent, model: &Model, now: SystemTime) -> Option<Effect> {
        let filter = matches!(self.mode, Mode::Filter(_));
        let (Mode::Command(line) | Mode::Filter(line)) = &mut self.mode else {
            return None;
        };
        match LINE.lookup(k, true, true)? {
            Press::Act(LineKey::Leave) => {
                if filter {
                    self.filter.clear();
                }
                self.mode = Mode::Normal;
            }
            Press::Act(LineKey::Submit) => {
                let line = std::mem::take(line);
                self.mode = Mode::Normal;
                if !filter {
                    return self.command(&line, model, now);
                }
                self.filter = line;
            }
            Press::Act(LineKey::Erase) => {
                line.pop();
                if filter {
                    self.filter = line.clone();
                }
            }
            Press::Type(c) => {
                line.push(c);
                if filter {
                    self.filter = line.clone();
                    self.selected = 0;
                }
            }
        }
        None
    }
}
