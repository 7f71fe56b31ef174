//! Entering and leaving the terminal's studio mode, and restoring it on
//! every way out: normal quit, error return, and panic.

use std::io::{self, Stdout};
use std::sync::mpsc::Sender;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use super::Incoming;

pub struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
    mouse: bool,
    active: bool,
}

/// Puts the terminal back as it was; safe to call more than once.
fn restore(mouse: bool) {
    let mut stdout = io::stdout();
    if mouse {
        let _ = execute!(stdout, DisableMouseCapture);
    }
    let _ = execute!(
        stdout,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
}

impl TerminalGuard {
    pub fn enter(mouse: bool) -> io::Result<TerminalGuard> {
        // A panic anywhere must not leave the user's shell in raw mode on
        // the alternate screen: restore first, then report as usual.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // Workers catch their engine panics and show them on the row;
            // printing here would scribble over the screen.
            let thread = std::thread::current();
            if thread
                .name()
                .is_some_and(|name| super::workers::GUARDED_THREADS.contains(&name))
            {
                return;
            }
            restore(true);
            previous(info);
        }));
        enable_raw_mode()?;
        let mut stdout = io::stdout();
        execute!(stdout, EnterAlternateScreen, EnableBracketedPaste)?;
        if mouse {
            execute!(stdout, EnableMouseCapture)?;
        }
        let terminal = Terminal::new(CrosstermBackend::new(stdout))?;
        Ok(TerminalGuard {
            terminal,
            mouse,
            active: true,
        })
    }

    pub fn set_mouse(&mut self, on: bool) {
        let result = if on {
            execute!(io::stdout(), EnableMouseCapture)
        } else {
            execute!(io::stdout(), DisableMouseCapture)
        };
        if result.is_ok() {
            self.mouse = on;
        }
    }

    pub fn leave(&mut self) -> anyhow::Result<()> {
        if self.active {
            restore(self.mouse);
            self.active = false;
        }
        Ok(())
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = self.leave();
    }
}

/// Reads terminal events on their own thread, so the loop can wait on one
/// channel for keys and worker results alike.
pub fn spawn_input_thread(sender: Sender<Incoming>) {
    std::thread::Builder::new()
        .name("promptstudio-input".into())
        .spawn(move || loop {
            // Everything one read brought (a paste without bracketed paste
            // comes in one), so pasted keys can be told from typed ones.
            let mut events = Vec::new();
            let read = crossterm::event::read().and_then(|first| {
                events.push(first);
                while crossterm::event::poll(std::time::Duration::ZERO)? {
                    events.push(crossterm::event::read()?);
                }
                Ok(())
            });
            for message in super::burst::coalesce(events) {
                if sender.send(message).is_err() {
                    return;
                }
            }
            if let Err(error) = read {
                let _ = sender.send(Incoming::InputFailed(error.to_string()));
                return;
            }
        })
        .map(|_| ())
        .unwrap_or_else(|error| eprintln!("cannot start the input thread: {error}"));
}
