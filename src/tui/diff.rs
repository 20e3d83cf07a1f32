//! The diff pane: Enter on a file in a version's file view shows how it differs from its entry
//! in the version's zip (the same diff as `modlens diff`), scrollable, with `n`/`N` to jump
//! between changes; Esc goes back to the file view. Part of [`App`]'s update; the diff is made
//! on a pool and arrives as one message.

use crossterm::event::KeyEvent;

use super::app::App;
use super::keymap::{DIFF_KEYS, DiffAction, mode_action};
use super::state::{DiffMode, Mode};
use crate::cache::fmt::size;
use crate::verify::diff::Detail;

/// What a line of the diff pane is, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffLine {
    /// A hunk header (`@@`): where `n` and `N` stop.
    Hunk,
    /// A line the tree added.
    Added,
    /// A line the tree removed.
    Removed,
    /// Context, or a sentence about the file.
    Plain,
}

impl App {
    /// The lines the diff pane shows for the file of `at`, each with its kind.
    pub fn diff_lines(&self, at: &DiffMode) -> Vec<(String, DiffLine)> {
        let plain = |text: String| vec![(text, DiffLine::Plain)];
        let Some((key, file, diff)) = self
            .diff
            .as_ref()
            .filter(|(k, f, _)| *k == at.key && *f == at.file)
        else {
            return plain("comparing with the zip…".into());
        };
        let diffs = match diff {
            Ok(diffs) => diffs,
            Err(why) => return plain(format!("cannot compare {key}/{file}: {why}")),
        };
        let Some(d) = diffs.first() else {
            return plain("the file is what the zip holds".into());
        };
        match &d.detail {
            Detail::Text {
                lines, truncated, ..
            } => {
                let mut out: Vec<(String, DiffLine)> = lines
                    .iter()
                    .map(|l| {
                        let kind = match l.chars().next() {
                            Some('@') => DiffLine::Hunk,
                            Some('+') => DiffLine::Added,
                            Some('-') => DiffLine::Removed,
                            _ => DiffLine::Plain,
                        };
                        (l.clone(), kind)
                    })
                    .collect();
                if *truncated {
                    out.push(("… (more changes not shown)".into(), DiffLine::Plain));
                }
                out
            }
            Detail::Binary {
                authentic_bytes,
                cached_bytes,
                first_difference,
            } => vec![(
                format!(
                    "binary: {authentic_bytes} bytes in the zip, {cached_bytes} in the tree; they \
                     differ from byte {first_difference} on"
                ),
                DiffLine::Hunk,
            )],
            Detail::Extra {
                bytes,
                head,
                binary,
                truncated,
            } => {
                let mut out = vec![(
                    format!(
                        "only in the tree ({}){}",
                        size(*bytes),
                        if *binary { ", binary" } else { ":" }
                    ),
                    DiffLine::Hunk,
                )];
                out.extend(head.iter().map(|l| (format!("+{l}"), DiffLine::Added)));
                if *truncated {
                    out.push(("… (the rest not shown)".into(), DiffLine::Plain));
                }
                out
            }
            Detail::Missing { bytes } => vec![(
                format!("only in the zip ({}): the tree lacks it", size(*bytes)),
                DiffLine::Hunk,
            )],
            Detail::Unreadable { why } => plain(format!("cannot be compared: {why}")),
        }
    }

    /// A key in the diff pane.
    pub(super) fn diff_key(&mut self, key: KeyEvent, mut at: DiffMode) {
        let lines = self.diff_lines(&at);
        let page = self.list_height().max(1);
        let last = lines.len().saturating_sub(1);
        let hunks: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, (_, kind))| *kind == DiffLine::Hunk)
            .map(|(i, _)| i)
            .collect();
        at.scroll = match mode_action(DIFF_KEYS, key) {
            Some(DiffAction::Down) => (at.scroll + 1).min(last),
            Some(DiffAction::Up) => at.scroll.saturating_sub(1),
            Some(DiffAction::PageDown) => (at.scroll + page).min(last),
            Some(DiffAction::PageUp) => at.scroll.saturating_sub(page),
            Some(DiffAction::NextChange) => match hunks.iter().find(|&&h| h > at.scroll) {
                Some(&h) => h,
                None => {
                    self.status = Some("no change further down".into());
                    at.scroll
                }
            },
            Some(DiffAction::PreviousChange) => {
                match hunks.iter().rev().find(|&&h| h < at.scroll) {
                    Some(&h) => h,
                    None => {
                        self.status = Some("no change further up".into());
                        at.scroll
                    }
                }
            }
            Some(DiffAction::Back) => {
                let (dir, selected) = at.back;
                self.mode = Mode::Files(at.key, dir, selected);
                self.diff = None;
                return;
            }
            None => at.scroll,
        };
        self.mode = Mode::Diff(at);
    }
}
