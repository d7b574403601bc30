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
use crate::model::logs::{Level, LogSource, LogsWant};
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
    pub logs: LogsUi,
    /// `:cluster NAME` typed while only the focused cluster had been read:
    /// opened once the namespace is (see `App::on_model`), unless a key or
    /// a click comes first.
    pub jump: Option<String>,
}

/// Which logs of each node the logs screen shows, in the order `s` steps.
pub const LOG_SOURCE_SETS: [&[LogSource]; 5] = [
    &[LogSource::Patroni, LogSource::Postgres],
    &[LogSource::Patroni],
    &[LogSource::Postgres],
    &[LogSource::Pgbackrest],
    &[
        LogSource::Patroni,
        LogSource::Postgres,
        LogSource::Pgbackrest,
    ],
];

/// The logs screen's choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsUi {
    /// None: every member, merged on one time axis.
    pub member: Option<String>,
    /// Keep the newest line in view as lines come.
    pub follow: bool,
    /// The lowest level shown; None: every line, debug too.
    pub level: Option<Level>,
    /// Index into [`LOG_SOURCE_SETS`].
    pub sources: usize,
    /// Opened from an event: the logs are read from a little before it,
    /// and the cursor goes to the first line at or after it once read.
    pub anchor_ms: Option<i64>,
    pub anchor_pending: bool,
}

impl Default for LogsUi {
    fn default() -> Self {
        LogsUi {
            member: None,
            follow: true,
            level: Some(Level::Info),
            sources: 0,
            anchor_ms: None,
            anchor_pending: false,
        }
    }
}

/// How far before an event its logs are read.
pub const BEFORE_EVENT_MS: i64 = 120_000;

impl LogsUi {
    /// What the logs source is to read for this screen on `cluster`.
    pub fn want(&self, cluster: &str) -> LogsWant {
        LogsWant {
            cluster: cluster.to_string(),
            member: self.member.clone(),
            sources: LOG_SOURCE_SETS[self.sources % LOG_SOURCE_SETS.len()].to_vec(),
            since_ms: self.anchor_ms.map(|a| a - BEFORE_EVENT_MS),
            tail: 500,
            level: self.level,
        }
    }

    fn next_level(&mut self) {
        self.level = match self.level {
            Some(Level::Debug) | None => Some(Level::Info),
            Some(Level::Info) => Some(Level::Warning),
            Some(Level::Warning) => Some(Level::Error),
            Some(Level::Error) | Some(Level::Fatal) => None,
        };
    }
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
            logs: LogsUi::default(),
            jump: None,
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
        if self.screen == Screen::Logs
            && self.logs.follow
            && matches!(a, Action::Up | Action::PageUp | Action::Top)
        {
            self.logs.follow = false;
            self.selected = last;
        }
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
            // Opening logs at an event needs the model: see `open_logs_at`.
            Action::Open if self.screen == Screen::Events => {}
            Action::LogsMember => {}
            Action::LogsFollow if self.screen == Screen::Logs => {
                self.logs.follow = !self.logs.follow;
                self.selected = last;
            }
            Action::LogsLevel if self.screen == Screen::Logs => self.logs.next_level(),
            Action::LogsSource if self.screen == Screen::Logs => {
                self.logs.sources = (self.logs.sources + 1) % LOG_SOURCE_SETS.len();
            }
            Action::LogsFollow | Action::LogsLevel | Action::LogsSource => {
                self.message = Some(format!(
                    "that key acts on the logs screen: {}",
                    keys::TO_LOGS.text()
                ));
            }
            Action::Open => {
                if self.screen == Screen::Fleet {
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
        if self.screen == Screen::Logs && self.logs.follow {
            self.selected = last;
        }
        effect
    }

    /// Enter on an event: every member's logs of its cluster, read from a
    /// little before it, the cursor at its time once they are read.
    pub fn open_logs_at(&mut self, model: &Model) {
        let events = selection::visible_events(model, self);
        let Some(e) = events.get(self.selected) else {
            return;
        };
        let at =
            e.at.duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0);
        if let Some(c) = e.cluster.clone() {
            self.cluster = Some(c);
        }
        if self.cluster.is_none() {
            self.message =
                Some("that event names no cluster; open one first (:cluster NAME)".into());
            return;
        }
        self.logs = LogsUi {
            member: None,
            follow: false,
            anchor_ms: Some(at),
            anchor_pending: true,
            ..self.logs.clone()
        };
        self.go(Screen::Logs);
    }

    /// `m` on the logs screen: the next member with an agent, after the
    /// last one all merged again.
    pub fn next_log_member(&mut self, model: &Model) {
        if self.screen != Screen::Logs {
            self.message = Some(format!(
                "that key acts on the logs screen: {}",
                keys::TO_LOGS.text()
            ));
            return;
        }
        let members: Vec<String> = selection::cluster(model, self)
            .map(|c| c.agents.keys().cloned().collect())
            .unwrap_or_default();
        self.logs.member = match &self.logs.member {
            None => members.first().cloned(),
            Some(m) => members.iter().skip_while(|x| *x != m).nth(1).cloned(),
        };
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
                    self.jump = None;
                    self.cluster = Some(name.to_string());
                    self.go(Screen::Cluster);
                } else if model.fleet_pending && model.fleet_refused.is_some() {
                    // The namespace cannot be listed, but the role may read
                    // this cluster too: the etcd source follows the focus.
                    self.cluster = Some(name.to_string());
                    self.go(Screen::Cluster);
                } else if model.fleet_pending {
                    self.jump = Some(name.to_string());
                    self.message = Some(format!(
                        "reading every cluster in {} to find {name:?}…",
                        model.namespace
                    ));
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
                None => self.message = Some(format!("unknown command :{other} (try :fleet, :cluster NAME, :timeline, :services, :replication, :config, :events, :backups, :pools, :logs, :theme NAME, :q{})", if self.writable() { format!(", or an operation: {}", keys::SEE_HELP.text()) } else { String::new() })),
            },
        }
        None
    }
}
