//! Taking the terminal over and always giving it back, also when modlens panics.
//!
//! ratatui's own `init` restores the terminal on any panic in any thread. modlens contains the
//! panics of its worker threads (a version's verdict, a job's item, a module's scan), and the
//! explorer goes on after them, so the terminal is restored only when the UI thread itself
//! panics: [`install_panic_hook`] does that, and says what happened in one line.

use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};

/// Whether the explorer holds the terminal (raw mode, alternate screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// The explorer's terminal; dropping it gives the terminal back.
pub struct Held {
    /// The ratatui terminal to draw on.
    pub terminal: ratatui::DefaultTerminal,
}

impl Held {
    /// Raw mode, the alternate screen and mouse capture.
    pub fn take() -> std::io::Result<Held> {
        crossterm::terminal::enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
        let backend = ratatui::backend::CrosstermBackend::new(std::io::stdout());
        Ok(Held {
            terminal: ratatui::Terminal::new(backend)?,
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        give_back();
    }
}

/// Gives the terminal back, once, if the explorer holds it.
fn give_back() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = execute!(std::io::stdout(), DisableMouseCapture, LeaveAlternateScreen);
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// A panic hook for the whole program. A worker thread's panic (threads named `modlens-…`,
/// which `ops` starts) is caught where it happens and reported there, as that item's error or
/// verdict: the hook stays silent. Any other thread's panic ends the program: the terminal is
/// given back first, then one line says what failed and where.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        if thread.name().is_some_and(|n| n.starts_with("modlens-")) {
            return;
        }
        give_back();
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_owned());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        crate::cache::fmt::write_stderr(&format!(
            "modlens: internal error: {what}{place}; please report it\n"
        ));
    }));
}
