//! Confirmation dialogs for operations. Pure state: opening one computes the
//! preflight and scorecards from the model; keys move the choice and focus;
//! confirming only *asks* the app to run the operation (the app owns I/O).
//!
//! Safety rules, each on purpose:
//! - focus starts on Cancel, so a stray Enter never acts;
//! - failover and reinit need the cluster name typed exactly;
//! - what the user saw is kept as an [`Expected`]: if the model differs at
//!   confirm time the dialog refuses and shows the new state, and the ops
//!   layer checks it again against a linearizable etcd read.

use crate::model::view::cluster_view;
use crate::model::{ClusterState, Model};
use crate::ops::execute::Report;
use crate::ops::preflight::{
    changes, expectation, preflight, scorecards, Expected, Preflight, Scorecard,
};
use crate::ops::refusal::{Refusal, RefusalKind};
use crate::ops::request::{patronictl_equivalent, request_for};
use crate::ops::rest_call::ByHand;
use crate::ops::{Operation, Outcome};
use std::time::SystemTime;

/// The operations the console offers, before their parameters are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Switchover,
    Failover,
    Restart,
    Reload,
    Reinit,
    /// Pause when running, resume when paused (the `P` key).
    PauseResume,
    Pause,
    Resume,
    /// Cancel the scheduled switchover, else the selected member's
    /// scheduled restart.
    CancelScheduled,
    /// A pgBackRest backup in the leader's agent; ↑/↓ choose its type.
    Backup,
    /// A point-in-time restore in the leader's agent: ↑/↓ choose the kind
    /// of target, its value is typed, then the cluster name.
    Restore,
}

/// The restore dialog's kinds of target, in ↑/↓ order.
pub const TARGET_KINDS: [&str; 5] = ["time", "lsn", "xid", "name", "latest backup"];

/// `time 2026-…`, `lsn 0/5`, `immediate`, or a bare RFC 3339 time: the
/// palette's `:restore …` words as a kind (index into [`TARGET_KINDS`])
/// and a value.
pub fn parse_target_spec(spec: &str) -> (usize, String) {
    let spec = spec.trim();
    let (word, rest) = spec.split_once(' ').unwrap_or((spec, ""));
    match word {
        "" => (0, String::new()),
        "immediate" | "latest" => (4, String::new()),
        "time" => (0, rest.trim().to_string()),
        "lsn" => (1, rest.trim().to_string()),
        "xid" => (2, rest.trim().to_string()),
        "name" => (3, rest.trim().to_string()),
        _ => (0, spec.to_string()),
    }
}

fn target_of(kind: usize, text: &str) -> crate::model::backup::target::Target {
    use crate::model::backup::target::Target;
    let v = text.trim().to_string();
    match kind {
        0 => Target::Time(v),
        1 => Target::Lsn(v),
        2 => Target::Xid(v),
        3 => Target::Name(v),
        _ => Target::Immediate,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Cancel,
    Confirm,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Confirm,
    /// Sent to the ops layer; progress lines as they come.
    Running(Vec<String>),
    Done {
        outcome: Outcome,
        message: String,
        lines: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Dialog {
    pub op: Operation,
    pub cluster: String,
    /// Switchover and failover: every possible new leader, scored.
    pub candidates: Vec<Scorecard>,
    pub pick: usize,
    pub preflight: Preflight,
    pub expected: Expected,
    pub patronictl: String,
    /// The REST call, as `curl`, when the state says where it would go.
    pub curl: Option<String>,
    pub focus: Focus,
    pub typed: String,
    pub phase: Phase,
    /// Why the last confirm was refused (state changed, name mistyped).
    pub refusal: Option<Refusal>,
    /// What the by-hand lines need (config file, CA).
    pub by_hand: ByHand,
    /// Restore: the kind of target (index into [`TARGET_KINDS`]), its typed
    /// value, and whether keys go to that value (else to the name).
    pub target_kind: usize,
    pub target_text: String,
    pub editing_target: bool,
}

/// What a key did to the dialog. (The UI turns `Run` into its own
/// [`Effect`](crate::tui::effect::Effect) for the app.)
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Nothing,
    Close,
    /// Run this operation against what the user saw.
    Run(Box<(Operation, Expected)>),
}

/// What a dialog key means; the key registry maps terminal keys onto these
/// (`keys::dialog`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogKey {
    Esc,
    Enter,
    /// Tab, arrows left/right.
    SwitchFocus,
    Up,
    Down,
    Char(char),
    Backspace,
    /// Ctrl-A: accept promoting an asynchronous replica in synchronous
    /// mode (failover only; the CLI's `--allow-async`).
    AllowAsync,
}

impl Dialog {
    /// Builds the dialog for `kind` on `cluster`, acting on `member` (the
    /// selected row or a palette argument) where the operation needs one.
    pub fn open(
        kind: OpKind,
        c: &ClusterState,
        member: Option<&str>,
        at: Option<&str>,
        now: SystemTime,
    ) -> Result<Dialog, String> {
        if at.is_some() && !matches!(kind, OpKind::Switchover | OpKind::Restart) {
            return Err("only a switchover or a restart can be scheduled (… at TIME)".into());
        }
        let at = at.map(str::to_string);
        let v = cluster_view(c);
        let cluster = v.name.clone();
        let need_member = || -> Result<String, String> {
            member.map(str::to_string).ok_or_else(|| {
                "select a member first (cluster screen, j/k) or name it: :restart MEMBER"
                    .to_string()
            })
        };
        let candidates = match kind {
            OpKind::Switchover | OpKind::Failover => scorecards(c),
            _ => vec![],
        };
        // The selected member if it can be a candidate, else the first
        // eligible one: the dialog never preselects the leader.
        let pick = member
            .and_then(|m| candidates.iter().position(|s| s.member == m))
            .or_else(|| candidates.iter().position(Scorecard::eligible))
            .unwrap_or(0);
        let op = match kind {
            OpKind::Switchover | OpKind::Failover if candidates.is_empty() => {
                return Err(format!(
                    "{cluster} has no member besides the leader to promote"
                ))
            }
            OpKind::Switchover => Operation::Switchover {
                cluster: cluster.clone(),
                leader: v.leader.clone(),
                candidate: Some(candidates[pick].member.clone()),
                scheduled_at: at,
            },
            OpKind::Failover => Operation::Failover {
                cluster: cluster.clone(),
                candidate: candidates[pick].member.clone(),
                allow_async: false,
            },
            OpKind::Restart => Operation::Restart {
                cluster: cluster.clone(),
                member: need_member()?,
                pending_only: false,
                scheduled_at: at,
                timeout_secs: None,
            },
            OpKind::Reload => Operation::Reload {
                cluster: cluster.clone(),
                member: need_member()?,
            },
            OpKind::Reinit => Operation::Reinit {
                cluster: cluster.clone(),
                member: need_member()?,
                from_leader: false,
            },
            OpKind::PauseResume if v.paused => Operation::Resume {
                cluster: cluster.clone(),
            },
            OpKind::PauseResume | OpKind::Pause => Operation::Pause {
                cluster: cluster.clone(),
            },
            OpKind::Resume => Operation::Resume {
                cluster: cluster.clone(),
            },
            OpKind::Backup => Operation::Backup {
                cluster: cluster.clone(),
                backup_type: crate::model::backup::BackupKind::Full,
            },
            OpKind::Restore => {
                let (k, text) = parse_target_spec(member.unwrap_or(""));
                Operation::Restore {
                    cluster: cluster.clone(),
                    target: target_of(k, &text),
                    set: None,
                    backup_after: true,
                }
            }
            OpKind::CancelScheduled if v.scheduled_switchover.is_some() => {
                Operation::CancelSwitchover {
                    cluster: cluster.clone(),
                }
            }
            // No switchover scheduled: the selected member's restart.
            OpKind::CancelScheduled => match member
                .and_then(|n| v.members.iter().find(|m| m.name == n))
                .filter(|m| m.scheduled_restart.is_some())
            {
                Some(m) => Operation::CancelRestart {
                    cluster: cluster.clone(),
                    member: m.name.clone(),
                },
                None => {
                    return Err(format!(
                        "nothing scheduled to cancel: {cluster} has no scheduled switchover{}",
                        member
                            .map(|n| format!(" and {n} no scheduled restart"))
                            .unwrap_or_default()
                    ))
                }
            },
        };
        let mut d = Dialog {
            patronictl: String::new(),
            curl: None,
            preflight: Preflight::default(),
            expected: expectation(&op, c),
            op,
            cluster,
            candidates,
            pick,
            focus: Focus::Cancel,
            typed: String::new(),
            phase: Phase::Confirm,
            refusal: None,
            by_hand: ByHand::default(),
            target_kind: 0,
            target_text: String::new(),
            editing_target: false,
        };
        if kind == OpKind::Restore {
            let (k, text) = parse_target_spec(member.unwrap_or(""));
            d.editing_target = k != 4 && text.is_empty();
            d.target_kind = k;
            d.target_text = text;
        }
        d.refresh(c, now);
        Ok(d)
    }

    fn refresh(&mut self, c: &ClusterState, now: SystemTime) {
        self.preflight = preflight(&self.op, c, now);
        self.expected = expectation(&self.op, c);
        self.patronictl = patronictl_equivalent(&self.op, &self.by_hand);
        self.curl = request_for(&self.op, c).ok().map(|r| {
            if self.op.is_agent_job() {
                crate::ops::agent_job::as_curl_with(&r, self.by_hand.cacert.as_deref())
            } else {
                r.as_curl(&self.by_hand)
            }
        });
    }

    /// Uses `by_hand` (the session's config file and CA) for the
    /// patronictl and curl lines.
    pub fn set_by_hand(&mut self, by_hand: ByHand, c: &ClusterState, now: SystemTime) {
        self.by_hand = by_hand;
        self.refresh(c, now);
    }

    pub fn needs_typing(&self) -> bool {
        self.op.needs_typed_confirmation()
    }

    /// Confirm is possible: preflight passes and the name is typed.
    pub fn can_confirm(&self) -> bool {
        !self.preflight.refused() && (!self.needs_typing() || self.typed == self.cluster)
    }

    /// Restore: the target from the kind and the typed value.
    fn set_target(&mut self, c: &ClusterState, now: SystemTime) {
        if let Operation::Restore { target, .. } = &mut self.op {
            *target = target_of(self.target_kind, &self.target_text);
            self.refusal = None;
            self.refresh(c, now);
        }
    }

    /// Restore keys while its target is being chosen; `None` when the key
    /// is not the target's.
    fn target_key(
        &mut self,
        k: DialogKey,
        current: Option<&ClusterState>,
        now: SystemTime,
    ) -> Option<Reply> {
        if !matches!(self.op, Operation::Restore { .. }) {
            return None;
        }
        let n = TARGET_KINDS.len();
        match k {
            DialogKey::Up | DialogKey::Down => {
                self.target_kind = if k == DialogKey::Up {
                    (self.target_kind + n - 1) % n
                } else {
                    (self.target_kind + 1) % n
                };
                self.editing_target = self.target_kind != n - 1;
            }
            DialogKey::Char(ch) if self.editing_target => self.target_text.push(ch),
            DialogKey::Backspace if self.editing_target => {
                self.target_text.pop();
            }
            DialogKey::Enter | DialogKey::SwitchFocus if self.editing_target => {
                self.editing_target = false;
                return Some(Reply::Nothing);
            }
            _ => return None,
        }
        if let Some(c) = current {
            self.set_target(c, now);
        }
        Some(Reply::Nothing)
    }

    fn set_pick(&mut self, i: usize, c: &ClusterState, now: SystemTime) {
        if let Operation::Backup { backup_type, .. } = &mut self.op {
            use crate::model::backup::BackupKind::*;
            let kinds = [Full, Diff, Incr];
            *backup_type = kinds[i.min(kinds.len() - 1)];
            self.pick = i.min(kinds.len() - 1);
            self.refusal = None;
            self.refresh(c, now);
            return;
        }
        let Some(s) = self.candidates.get(i) else {
            return;
        };
        self.pick = i;
        let name = s.member.clone();
        match &mut self.op {
            Operation::Switchover { candidate, .. } => *candidate = Some(name),
            Operation::Failover { candidate, .. } => *candidate = name,
            _ => {}
        }
        self.refusal = None;
        self.refresh(c, now);
    }

    /// Applies a key. `current` is the cluster as the model has it now.
    pub fn key(&mut self, k: DialogKey, current: Option<&ClusterState>, now: SystemTime) -> Reply {
        match &self.phase {
            Phase::Running(_) => return Reply::Nothing,
            Phase::Done { .. } => {
                return match k {
                    DialogKey::Esc | DialogKey::Enter => Reply::Close,
                    _ => Reply::Nothing,
                }
            }
            Phase::Confirm => {}
        }
        if let Some(r) = self.target_key(k, current, now) {
            return r;
        }
        match k {
            DialogKey::Esc => return Reply::Close,
            DialogKey::SwitchFocus => {
                self.focus = match self.focus {
                    Focus::Cancel => Focus::Confirm,
                    Focus::Confirm => Focus::Cancel,
                }
            }
            DialogKey::AllowAsync => {
                if let (Operation::Failover { allow_async, .. }, Some(c)) = (&mut self.op, current)
                {
                    *allow_async = !*allow_async;
                    self.refusal = None;
                    self.refresh(c, now);
                }
            }
            DialogKey::Up | DialogKey::Down if self.refusal_is_final() => {}
            DialogKey::Up => {
                if let Some(c) = current {
                    self.set_pick(self.pick.saturating_sub(1), c, now)
                }
            }
            DialogKey::Down => {
                if let Some(c) = current {
                    self.set_pick(self.pick + 1, c, now)
                }
            }
            DialogKey::Char(ch) if self.needs_typing() => {
                self.typed.push(ch);
                self.refusal = None;
            }
            DialogKey::Char(_) => {}
            DialogKey::Backspace => {
                self.typed.pop();
            }
            DialogKey::Enter => return self.confirm(current, now),
        }
        Reply::Nothing
    }

    /// A state change is final for this dialog: close and look again.
    fn refusal_is_final(&self) -> bool {
        self.refusal
            .as_ref()
            .is_some_and(|r| r.kind == RefusalKind::Changed)
    }

    fn refuse(&mut self, kind: RefusalKind, message: String) {
        self.refusal = Some(Refusal::new(kind, message));
    }

    fn confirm(&mut self, current: Option<&ClusterState>, now: SystemTime) -> Reply {
        if self.focus == Focus::Cancel {
            return Reply::Close;
        }
        if self.refusal_is_final() {
            return Reply::Nothing;
        }
        // An agent job's plan rests on the agents' reports, which may have
        // come in since the dialog was drawn: a plan that changed is shown
        // again rather than acted on unseen.
        if let (true, Some(c)) = (self.op.is_agent_job(), current) {
            let fresh = preflight(&self.op, c, now);
            if fresh.refusals != self.preflight.refusals || fresh.plan != self.preflight.plan {
                self.preflight = fresh;
                self.patronictl = patronictl_equivalent(&self.op, &self.by_hand);
                self.refuse(
                    RefusalKind::Unconfirmed,
                    "the plan changed since it was drawn (new reports came in): read it again, then confirm; nothing was sent".into(),
                );
                return Reply::Nothing;
            }
        }
        if self.preflight.refused() {
            self.refuse(
                RefusalKind::Rule,
                format!("refused: {}", self.preflight.why()),
            );
            return Reply::Nothing;
        }
        if self.needs_typing() && self.typed != self.cluster {
            self.refuse(
                RefusalKind::Unconfirmed,
                format!(
                    "type the cluster name {:?} exactly to confirm; nothing was sent",
                    self.cluster
                ),
            );
            return Reply::Nothing;
        }
        let now_seen = match current {
            Some(c) => expectation(&self.op, c),
            None => {
                self.refuse(
                    RefusalKind::Changed,
                    format!(
                        "the cluster changed since this dialog opened: {} is gone from the model",
                        self.cluster
                    ),
                );
                return Reply::Nothing;
            }
        };
        let changed = changes(&self.expected, &now_seen);
        if !changed.is_empty() {
            self.refuse(RefusalKind::Changed, format!(
                "the cluster changed since this dialog opened: {}. Nothing was sent; Esc and look again",
                changed.join("; ")
            ));
            return Reply::Nothing;
        }
        self.phase = Phase::Running(vec![]);
        Reply::Run(Box::new((self.op.clone(), self.expected.clone())))
    }

    pub fn progress(&mut self, line: String) {
        if let Phase::Running(lines) = &mut self.phase {
            lines.push(line);
        }
    }

    pub fn finished(&mut self, result: Result<Report, String>) {
        let lines = match &mut self.phase {
            Phase::Running(l) => std::mem::take(l),
            _ => vec![],
        };
        self.phase = match result {
            Ok(r) => Phase::Done {
                outcome: r.outcome,
                message: r.message,
                lines,
            },
            Err(e) => Phase::Done {
                outcome: Outcome::Failed,
                message: e,
                lines,
            },
        };
    }
}

/// The cluster the dialog acts on, as the model has it now.
pub fn current<'m>(model: &'m Model, d: &Dialog) -> Option<&'m ClusterState> {
    model
        .clusters
        .get(&d.cluster)
        .map(|c| &**c)
        .filter(|c| !c.dcs.is_empty())
}

#[cfg(test)]
mod tests {
    use super::parse_target_spec;

    #[test]
    fn palette_restore_words_are_a_target() {
        assert_eq!(parse_target_spec(""), (0, String::new()));
        assert_eq!(parse_target_spec("immediate"), (4, String::new()));
        assert_eq!(parse_target_spec("lsn 0/5000028"), (1, "0/5000028".into()));
        assert_eq!(parse_target_spec("xid 728"), (2, "728".into()));
        assert_eq!(
            parse_target_spec("name before_upgrade"),
            (3, "before_upgrade".into())
        );
        assert_eq!(
            parse_target_spec("2026-12-06T08:30:05+00:00"),
            (0, "2026-12-06T08:30:05+00:00".into())
        );
    }
}
