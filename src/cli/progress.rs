//! A one-line progress display on stderr for long commands (verify, clean, refetch).
//!
//! It is shown only when asked for (a terminal, no `--json`), redrawn at most every 100 ms so
//! that printing never slows the work, and erased when the work is done.

use std::io::Write;
use std::time::{Duration, Instant};

/// A progress line on stderr.
pub struct ProgressLine {
    enabled: bool,
    last: Option<Instant>,
}

impl ProgressLine {
    /// A line that shows when `enabled`.
    pub fn new(enabled: bool) -> Self {
        ProgressLine {
            enabled,
            last: None,
        }
    }

    /// Redraws the line with `text()` unless it was drawn less than 100 ms ago.
    pub fn show(&mut self, text: impl FnOnce() -> String) {
        if !self.enabled
            || self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(Instant::now());
        eprint!("\r\x1b[2K{}", crate::cache::fmt::for_terminal(&text()));
        let _ = std::io::stderr().flush();
    }

    /// Erases the line, if it was ever drawn.
    pub fn clear(&self) {
        if self.last.is_some() {
            eprint!("\r\x1b[2K");
        }
    }
}
