//! The interactive console. The only module that talks to the terminal.
//!
//! The UI task never does I/O against the cluster: sources run as their own
//! tasks and publish into the model; this loop waits for a key, a model
//! change, a resize or a once-a-second tick, renders a frame into a buffer
//! with the pure views, and writes to the terminal only when that frame
//! differs from the last one. An idle console therefore writes nothing.
//!
//! A key is looked up in the key registry (`keys`) for the mode the UI is
//! in and applied to the pure UI state (`ui`, `input`), which returns what
//! needs the world as an `effect`: this loop runs the operation, loads the
//! theme or ends.

pub mod app;
pub mod dialog;
pub mod effect;
mod input;
pub mod keys;
pub mod lag_history;
pub mod screen;
pub mod selection;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod view_cache;
pub mod views;

pub use app::App;
pub use effect::Effect;

use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::session::Session;
use crossterm::event::{Event, EventStream, MouseEventKind};
use futures::StreamExt;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use theme::Theme;

/// Picks the theme: `NO_COLOR` wins, then `--theme`/config, then dark.
pub fn pick_theme(choice: Option<&str>, no_color: bool) -> anyhow::Result<Theme> {
    if no_color {
        return Ok(Theme::mono());
    }
    let user_dir = dirs::config_dir().map(|d| d.join("pgtui").join("themes"));
    Ok(Theme::load(choice, user_dir.as_deref())?)
}

/// Whether `--theme`/config names a theme that loads (whatever `NO_COLOR`
/// says), so a typo is a usage error in every command.
pub fn check_theme(choice: Option<&str>) -> Result<(), theme::ThemeError> {
    let user_dir = dirs::config_dir().map(|d| d.join("pgtui").join("themes"));
    Theme::load(choice, user_dir.as_deref()).map(|_| ())
}

/// Runs the console until the user quits or the terminal goes away.
pub async fn run(config: Config, cluster: Option<String>) -> anyhow::Result<()> {
    let theme = pick_theme(config.theme.as_deref(), config.no_color)
        .map_err(|e| CliError::new(ExitCode::Usage, e.to_string()))?;
    let scope = crate::sources::Scope::all();
    let read_only = config.read_only.clone();
    let session = Arc::new(Session::start_console(config, scope, cluster.clone()));
    // Operations an earlier pgtui left unfinished are judged once the
    // cluster is known; the verdicts land in the events log.
    let s = session.clone();
    tokio::spawn(async move {
        if s.wait_first_data().await.is_ok() {
            if let Err(e) = crate::ops::reconcile::run(&s).await {
                s.model.update(|m| {
                    m.events.push(crate::model::events::Event::new(
                        SystemTime::now(),
                        None,
                        crate::model::events::EventKind::Problem {
                            text: e.to_string(),
                        },
                    ))
                });
            }
        }
    });
    let mut app = App::new(cluster, theme);
    app.ui.read_only = read_only;
    app.ui.by_hand = crate::ops::rest_call::ByHand::from_config(&session.config);
    // Before the terminal changes mode, so no signal finds it changed and
    // unhandled.
    let mut exits = Exits::new()?;
    let mut term = terminal::enter()?;
    let result = event_loop(&mut term, &mut app, &session, &mut exits).await;
    terminal::restore();
    if exits.terminal_gone || (result.is_err() && terminal::is_gone()) {
        // Nothing to tell and nowhere to tell it: ratatui's drop would print
        // "Failed to show the cursor" to a closed terminal.
        std::mem::forget(term);
        return Ok(());
    }
    result
}

/// Every way the console is told to end, besides its own keys.
struct Exits {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
    hangup: tokio::sync::oneshot::Receiver<()>,
    terminal_gone: bool,
}

impl Exits {
    fn new() -> std::io::Result<Exits> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Exits {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            quit: signal(SignalKind::quit())?,
            hangup: terminal::hangup(),
            terminal_gone: false,
        })
    }

    /// Resolves when one of them comes.
    async fn any(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
            _ = self.quit.recv() => {}
            _ = self.hup.recv() => self.terminal_gone = true,
            _ = &mut self.hangup => self.terminal_gone = true,
        }
    }
}

/// What a running operation reports back to the loop.
enum OpMsg {
    Progress(String),
    Done(Box<Result<crate::ops::execute::Report, String>>),
}

/// Runs a confirmed operation through the ops layer on its own task, so the
/// console keeps drawing while it is followed to its end state.
fn spawn_op(
    session: &Arc<Session>,
    op: crate::ops::Operation,
    expected: crate::ops::preflight::Expected,
    tx: tokio::sync::mpsc::UnboundedSender<OpMsg>,
) {
    let session = session.clone();
    tokio::spawn(async move {
        let _pinned = session.pin(op.cluster());
        let progress_tx = tx.clone();
        let mut progress = move |line: &str| {
            let _ = progress_tx.send(OpMsg::Progress(line.to_string()));
        };
        let opts = crate::ops::execute::Options {
            no_lock: false,
            dry_run: false,
            expect: Some(expected),
        };
        let r = crate::ops::execute::run(op, &session, opts, &mut progress)
            .await
            .map_err(|e| e.to_string());
        let _ = tx.send(OpMsg::Done(Box::new(r)));
    });
}

async fn event_loop(
    term: &mut terminal::Term,
    app: &mut App,
    session: &Arc<Session>,
    exits: &mut Exits,
) -> anyhow::Result<()> {
    let (op_tx, mut op_rx) = tokio::sync::mpsc::unbounded_channel::<OpMsg>();
    let mut input = EventStream::new();
    let mut changes = session.model.subscribe();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: Option<Buffer> = None;
    loop {
        let now = SystemTime::now();
        let size = term.size()?;
        let area = Rect::new(0, 0, size.width, size.height);
        let frame = session.model.read(|m| app.render(area, m, now));
        if last.as_ref() != Some(&frame) {
            term.draw(|f| {
                let out = f.buffer_mut();
                out.reset();
                out.merge(&frame);
            })?;
            last = Some(frame);
        }
        if app.quitting() {
            return Ok(());
        }
        let (focus, shown) = session.model.read(|m| app.demand(m, size.height, now));
        session.focus(focus.as_deref());
        session.on_screen(&shown);
        session.want_fleet(app.fleet_wanted());
        session.logs(app.logs_wanted());
        tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(Event::Key(k))) => session.model.read(|m| app.on_key(k, m, SystemTime::now())),
                Some(Ok(Event::Mouse(me))) if matches!(me.kind, MouseEventKind::Down(_)) => {
                    session.model.read(|m| app.on_click(area, me.row, m, SystemTime::now()));
                }
                Some(Ok(Event::Mouse(me))) => {
                    let a = match me.kind {
                        MouseEventKind::ScrollDown => Some(keys::Action::Down),
                        MouseEventKind::ScrollUp => Some(keys::Action::Up),
                        _ => None,
                    };
                    if let Some(a) = a {
                        session.model.read(|m| app.on_scroll(a, m, SystemTime::now()));
                    }
                }
                Some(Ok(Event::Resize(_, _))) => { term.autoresize()?; last = None; }
                Some(Ok(_)) => {}
                // The terminal is gone (closed pty, SSH disconnect): leave.
                Some(Err(_)) | None => {
                    exits.terminal_gone = true;
                    return Ok(());
                }
            },
            r = changes.changed() => {
                if r.is_err() { return Ok(()); }
                session.model.read(|m| app.on_model(m, SystemTime::now()));
            }
            Some(msg) = op_rx.recv() => {
                let d = app.ui.dialog.as_mut();
                match (msg, d) {
                    (OpMsg::Progress(l), Some(d)) => d.progress(l),
                    (OpMsg::Done(r), Some(d)) => d.finished(*r),
                    (OpMsg::Done(r), None) => {
                        app.ui.message = Some(match *r {
                            Ok(r) => format!("{}: {:?}: {}", r.operation.name(), r.outcome, r.message),
                            Err(e) => e,
                        })
                    }
                    (OpMsg::Progress(_), None) => {}
                }
            }
            _ = tick.tick() => {}
            _ = exits.any() => return Ok(()),
        }
        let effects = std::mem::take(&mut app.effects);
        for e in effects {
            match e {
                Effect::Quit => app.effects.push(Effect::Quit),
                Effect::Run(run) => {
                    let (op, expected) = *run;
                    spawn_op(session, op, expected, op_tx.clone());
                }
                Effect::LoadTheme(name) => match pick_theme(Some(&name), session.config.no_color) {
                    Ok(t) => app.theme = t,
                    Err(e) => app.ui.message = Some(e.to_string()),
                },
            }
        }
    }
}
