//! The diff pane: Enter on a file in a version's file view shows how it differs from its entry
//! in the version's zip (the same diff as `modlens diff`), scrollable, with `n`/`N` to jump
//! between changes; Esc goes back to the file view. Part of [`App`]'s update; the diff is made
//! on a pool and arrives as one message.

use crossterm::event::KeyEvent;

use super::app::App;
use super::keymap::{DIFF_KEYS, DiffAction, mode_action};
use super::msg::Effect;
use super::state::{DiffMode, Mode};
use crate::verify::diff::Shown;

impl App {
    /// The lines the diff pane shows for the file of `at`, each with its kind.
    pub fn diff_lines(&self, at: &DiffMode) -> Vec<(String, Shown)> {
        let plain = |text: String| vec![(text, Shown::Plain)];
        let Some((key, file, diff)) = self
            .diff
            .as_ref()
            .filter(|(k, f, _)| *k == at.key && *f == at.file)
        else {
            return plain(
                "comparing with the zip… (when the zip is not go's, go downloads an authentic \
                 copy to compare with; Esc stops it)"
                    .into(),
            );
        };
        let diff = match diff {
            Ok(diff) => diff,
            Err(why) => return plain(format!("cannot compare {key}/{file}: {why}")),
        };
        let (old, new) = diff.compared.sides();
        match diff.files.first() {
            Some(d) => d.shown(old, new),
            None => plain(format!("the {new}'s file is what the {old} holds")),
        }
    }

    /// What the diff pane of `at` compares, once its diff has arrived.
    pub fn diff_compared(&self, at: &DiffMode) -> Option<crate::ops::diff::Compared> {
        self.diff
            .as_ref()
            .filter(|(k, f, _)| *k == at.key && *f == at.file)
            .and_then(|(_, _, diff)| diff.as_ref().ok())
            .map(|diff| diff.compared)
    }

    /// A key in the diff pane.
    pub(super) fn diff_key(&mut self, key: KeyEvent, mut at: DiffMode) -> Vec<Effect> {
        let lines = self.diff_lines(&at);
        let page = self.list_height().max(1);
        let last = lines.len().saturating_sub(1);
        let hunks: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, (_, kind))| kind.starts_a_change())
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
                let waiting = self.diff_compared(&at).is_none();
                let (dir, selected) = at.back;
                self.mode = Mode::Files(at.key, dir, selected);
                self.diff = None;
                // A comparison still running (go downloading an authentic copy) stops.
                return if waiting {
                    vec![Effect::CancelDiff]
                } else {
                    Vec::new()
                };
            }
            None => at.scroll,
        };
        self.mode = Mode::Diff(at);
        Vec::new()
    }
}
