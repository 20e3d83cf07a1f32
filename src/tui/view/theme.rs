//! Colours and symbols, readable on dark and light backgrounds, and none under `NO_COLOR`.
//!
//! Only the eight basic ANSI colours are used, as foregrounds, so the terminal's own palette
//! keeps them legible on either background; selection uses reverse video, not a fill colour.

use ratatui::style::{Color, Modifier, Style};

use crate::tui::app::Integrity;

/// The styles of one run.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// Colours on, unless `no_color`.
    pub fn new(no_color: bool) -> Theme {
        Theme { color: !no_color }
    }

    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// Problem rows and marks.
    pub fn problem(self) -> Style {
        self.fg(Color::Red)
    }

    /// Partial rows and warnings.
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }

    /// Verified marks.
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    /// Less important text.
    pub fn dim(self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    /// Headings and module rows.
    pub fn heading(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// Marked rows.
    pub fn marked(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// The selected row.
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Keys in the footer and help.
    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// The mark and style of an integrity state.
    pub fn integrity(self, i: Integrity, tick: u64) -> (&'static str, Style) {
        const SPIN: [&str; 4] = ["◐", "◓", "◑", "◒"];
        match i {
            Integrity::Unverified => ("·", self.dim()),
            Integrity::Hashing => (SPIN[(tick % 4) as usize], self.warn()),
            Integrity::Ok => ("✓", self.ok()),
            Integrity::Partial => ("◌", self.warn()),
            Integrity::Problem => ("✗", self.problem().add_modifier(Modifier::BOLD)),
            Integrity::Skipped => ("-", self.dim()),
        }
    }
}
