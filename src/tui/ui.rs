//! UI state and how actions change it. Pure: no I/O, no clock (`now` comes
//! in), and the model is only read. What needs the world (running an
//! operation, loading a theme, quitting) is returned as an [`Effect`] for
//! the app to carry out. Key presses reach these methods through the key
//! registry (`input.rs`).

use super::dialog::{Dialog, OpKind};
use super::effect::Effect;
use super::keys::{self, Action, PALETTE_OPS};
use super::screen::Screen;
use super::selection;
use crate::config::ReadOnly;
use crate::model::Model;
use std::time::SystemTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Filter(String),
    Command(String),
}

#[derive(Debug, Clone)]
pub struct Ui {
    pub screen: Screen,
    pub back: Vec<Screen>,
    pub cluster: Option<String>,
    pub selected: usize,
    pub focus: usize,
    pub mode: Mode,
    pub filter: String,
    pub help: bool,
    /// The details overlay (full error texts) is open.
    pub details: bool,
    pub message: Option<String>,
    /// Clusters operations may not touch; their keys and commands are gone.
    pub read_only: ReadOnly,
    /// What by-hand command lines need (config file, CA paths).
    pub by_hand: crate::ops::rest_call::ByHand,
    /// The open confirmation dialog, drawn over the screen.
    pub dialog: Option<Dialog>,
    /// The fleet's rows as last derived (sorted, filtered): the app fills it
    /// from its cache before each key, so keys and the view agree.
    pub fleet: std::rc::Rc<super::view_cache::Fleet>,
}

/// Panels per screen that Tab cycles through.
fn panels(screen: Screen) -> usize {
    match screen {
        Screen::Cluster => 3,
        Screen::Replication | Screen::Services => 2,
        _ => 1,
    }
}

impl Ui {
    pub fn new(cluster: Option<String>) -> Self {
        let screen = if cluster.is_some() {
            Screen::Cluster
        } else {
            Screen::Fleet
        };
        Ui {
            screen,
            back: vec![],
            cluster,
            selected: 0,
            focus: 0,
            mode: Mode::Normal,
            filter: String::new(),
            help: false,
            by_hand: Default::default(),
            details: false,
            message: None,
            read_only: ReadOnly::default(),
            dialog: None,
            fleet: Default::default(),
        }
    }

    /// Whether operations are offered: a cluster is open (not the fleet)
    /// and it is not read-only.
    pub fn writable(&self) -> bool {
        self.screen != Screen::Fleet
            && self
                .cluster
                .as_deref()
                .is_some_and(|c| !self.read_only.blocks(c))
    }

    /// Opens the dialog of `kind` for the current cluster. `member` is the
    /// palette's argument; without one, the selected member row.
    pub fn open_op(&mut self, kind: OpKind, member: Option<&str>, model: &Model, now: SystemTime) {
        self.open_op_at(kind, member, None, model, now)
    }

    /// As [`Ui::open_op`], scheduled at `at` (switchover and restart).
    pub fn open_op_at(
        &mut self,
        kind: OpKind,
        member: Option<&str>,
        at: Option<&str>,
        model: &Model,
        now: SystemTime,
    ) {
        let Some(c) = selection::cluster(model, self) else {
            self.message = Some("open a cluster first (:cluster NAME)".into());
            return;
        };
        // A restore's argument is its target, never the selected row.
        let selected = match kind {
            OpKind::Restore => None,
            _ => selection::selected_member(model, self),
        };
        match Dialog::open(kind, c, member.or(selected.as_deref()), at, now) {
            Ok(mut d) => {
                d.set_by_hand(self.by_hand.clone(), c, now);
                self.help = false;
                self.dialog = Some(d)
            }
            Err(e) => self.message = Some(e),
        }
    }

    pub fn go(&mut self, s: Screen) {
        if s != self.screen {
            self.back.push(self.screen);
            self.screen = s;
            self.selected = 0;
            self.focus = 0;
            self.filter.clear();
        }
    }

    /// Applies an action. `rows` is how many rows the focused table shows.
    #[must_use]
    pub fn apply(&mut self, a: Action, rows: usize) -> Option<Effect> {
        self.message = None;
        let page = 10;
        let last = rows.saturating_sub(1);
        let mut effect = None;
        match a {
            Action::Quit => effect = Some(Effect::Quit),
            Action::Help => {
                self.help = !self.help;
                self.details = false;
            }
            Action::Details => {
                self.details = !self.details;
                self.help = false;
            }
            Action::Back => {
                if self.details {
                    self.details = false;
                } else if self.help {
                    self.help = false;
                } else if !self.filter.is_empty() {
                    self.filter.clear();
                } else if let Some(s) = self.back.pop() {
                    self.screen = s;
                    self.selected = 0;
                }
            }
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(page),
            Action::PageDown => self.selected = (self.selected + page).min(last),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            Action::FocusNext => self.focus = (self.focus + 1) % panels(self.screen),
            Action::FocusPrev => {
                self.focus = (self.focus + panels(self.screen) - 1) % panels(self.screen)
            }
            Action::Filter => self.mode = Mode::Filter(self.filter.clone()),
            Action::Command => self.mode = Mode::Command(String::new()),
            Action::Go(s) => self.go(s),
            // Opening a dialog needs `now` for the preflight: see `open_op`.
            Action::Op(_) => {}
            Action::Open => {
                if self.screen == Screen::Events {
                    self.details = true;
                    self.help = false;
                } else if self.screen == Screen::Fleet {
                    if let Some((n, _)) = self.fleet.rows.get(self.selected) {
                        self.cluster = Some(n.clone());
                        self.go(Screen::Cluster);
                    }
                }
            }
            Action::FirstUnhealthy => {
                if self.screen == Screen::Fleet {
                    let rows = &self.fleet.rows;
                    let at = rows
                        .iter()
                        .position(|(_, h)| h.is_alarm())
                        .or_else(|| rows.iter().position(|(_, h)| h.rank() < 5));
                    match at {
                        Some(i) => self.selected = i,
                        None => self.message = Some("every cluster shown is healthy".into()),
                    }
                }
            }
        }
        self.selected = self.selected.min(last);
        effect
    }

    /// Runs a `:` command.
    #[must_use]
    pub fn command(&mut self, line: &str, model: &Model, now: SystemTime) -> Option<Effect> {
        let mut words = line.split_whitespace();
        let cmd = words.next()?;
        let arg = words.next();
        match (cmd, arg) {
            ("q" | "quit", _) => return Some(Effect::Quit),
            ("help" | "h", _) => self.help = true,
            ("cluster" | "c", Some(name)) => {
                if model.clusters.get(name).is_some_and(|c| !c.dcs.is_empty()) {
                    self.cluster = Some(name.to_string());
                    self.go(Screen::Cluster);
                } else {
                    self.message = Some(format!("no cluster {name:?} in {}", model.namespace));
                }
            }
            ("theme", Some(name)) => return Some(Effect::LoadTheme(name.to_string())),
            (op, arg) if PALETTE_OPS.iter().any(|o| o.name == op) => {
                let kind = PALETTE_OPS.iter().find(|o| o.name == op).expect("found").kind;
                // `:switchover [CANDIDATE] [at TIME]`, `:restart [MEMBER] [at TIME]`
                let rest: Vec<&str> = line.split_whitespace().skip(1).collect();
                let joined = rest.join(" ");
                let (arg, at) = match rest.as_slice() {
                    // `:restore lsn 0/5000028`: every word is the target.
                    _ if kind == crate::tui::dialog::OpKind::Restore => {
                        (Some(joined.as_str()).filter(|s| !s.is_empty()), None)
                    }
                    ["at", t, ..] => (None, Some(*t)),
                    [a, "at", t, ..] => (Some(*a), Some(*t)),
                    _ => (arg, None),
                };
                match self.cluster.as_deref().and_then(|c| self.read_only.reason(c)) {
                    Some(why) => self.message = Some(format!(":{op} is not available: {why}")),
                    None if self.screen == Screen::Fleet => {
                        self.message = Some(format!(":{op} acts on one cluster: {}", keys::OPEN_FIRST.text()))
                    }
                    None => self.open_op_at(kind, arg, at, model, now),
                }
            }
            (other, _) => match Screen::from_name(other) {
                Some(s) => self.go(s),
                None => self.message = Some(format!("unknown command :{other} (try :fleet, :cluster NAME, :timeline, :services, :replication, :config, :events, :theme NAME, :q{})", if self.writable() { format!(", or an operation: {}", keys::SEE_HELP.text()) } else { String::new() })),
            },
        }
        None
    }
}
