//! Entering and leaving the terminal's raw/alternate-screen mode, so that
//! every way out gives a DBA's SSH session back usable: quitting, SIGINT,
//! SIGTERM, SIGHUP, SIGQUIT (caught by the event loop, see `super::run`), a
//! panic (the hook below) and a closed pty ([`hangup`]).

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{stdout, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Set from `enter` until the first `restore`.
static ENTERED: AtomicBool = AtomicBool::new(false);

pub fn restore() {
    if !ENTERED.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
}

pub fn enter() -> std::io::Result<Term> {
    let previous = std::panic::take_hook();
    // A panic on any thread ends the console: a source task that died
    // would otherwise leave it drawing on a terminal given back already.
    std::panic::set_hook(Box::new(move |info| {
        let console = ENTERED.load(Ordering::SeqCst);
        restore();
        previous(info);
        if console {
            std::process::exit(101);
        }
    }));
    ENTERED.store(true, Ordering::SeqCst);
    enable_raw_mode()?;
    execute!(
        stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        cursor::Hide
    )?;
    let mut t = Terminal::new(CrosstermBackend::new(stdout()))?;
    t.clear()?;
    Ok(t)
}

/// Whether stdin or stdout has hung up, asked without waiting: an I/O error
/// from the terminal may come a moment before [`hangup`] says why.
pub fn is_gone() -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let (input, output) = (std::io::stdin(), stdout());
    let mut fds = [
        PollFd::new(input.as_fd(), PollFlags::empty()),
        PollFd::new(output.as_fd(), PollFlags::empty()),
    ];
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
}

/// Resolves when the terminal is gone (the pty's other side closed, an SSH
/// session dropped). crossterm does not say so: its reader retries a
/// read that returns EOF for ever. A thread blocks in poll(2) asking for no
/// event at all, which returns only on POLLHUP/POLLERR/POLLNVAL, so it never
/// wakes for input.
pub fn hangup() -> tokio::sync::oneshot::Receiver<()> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let (input, output) = (std::io::stdin(), stdout());
        let mut fds = [
            PollFd::new(input.as_fd(), PollFlags::empty()),
            PollFd::new(output.as_fd(), PollFlags::empty()),
        ];
        loop {
            match poll(&mut fds, PollTimeout::NONE) {
                Err(nix::errno::Errno::EINTR) => continue,
                Ok(0) => continue,
                // Either fd hung up, or poll itself cannot watch them.
                _ => break,
            }
        }
        let _ = tx.send(());
    });
    rx
}
