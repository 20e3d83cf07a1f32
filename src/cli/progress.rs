//! A one-line progress display on stderr for long commands (verify, clean, refetch).
//!
//! It is shown only when asked for (a terminal, no `--json`), redrawn at most every 100 ms so
//! that printing never slows the work, clipped to the terminal's width (a line that wrapped
//! could not be erased, and would leave debris), and erased when the work is done.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A progress line on stderr. It is shown through `&self`, so that the progress callbacks of
/// work on several threads (`Fn`, not `FnMut`) can share it.
pub struct ProgressLine {
    enabled: bool,
    /// When it was last drawn.
    last: Mutex<Option<Instant>>,
}

impl ProgressLine {
    /// A line that shows when `enabled`.
    pub fn new(enabled: bool) -> Self {
        ProgressLine {
            enabled,
            last: Mutex::new(None),
        }
    }

    /// Redraws the line with `text()` unless it was drawn less than 100 ms ago.
    pub fn show(&self, text: impl FnOnce() -> String) {
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if !self.enabled || last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) {
            return;
        }
        *last = Some(Instant::now());
        let width = crossterm::terminal::size().map_or(80, |(w, _)| usize::from(w));
        let line = clip(
            &crate::cache::fmt::for_terminal(&text()),
            width.saturating_sub(1),
        );
        eprint!("\r\x1b[2K{line}");
        let _ = std::io::stderr().flush();
    }

    /// Erases the line, if it was ever drawn.
    pub fn clear(&self) {
        if self.last.lock().is_ok_and(|last| last.is_some()) {
            eprint!("\r\x1b[2K");
        }
    }
}

/// `text` cut to at most `width` terminal columns.
fn clip(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut used = 0;
    text.chars()
        .take_while(|c| {
            used += c.width().unwrap_or(0);
            used <= width
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn a_progress_line_never_wraps() {
        assert_eq!(clip("verifying [####] 3/9 versions", 12), "verifying [#");
        assert_eq!(clip("模块", 3), "模");
        assert_eq!(clip("short", 80), "short");
    }
}
