//! The file view inside a version: one directory at a time, largest first, entered and left as
//! in ncdu, gdu and dua. Part of [`App`]'s update; no I/O happens here (the tree's items come
//! from a scan message).

use crossterm::event::KeyEvent;

use super::keymap::{FILES_KEYS, FilesAction, mode_action};
use super::msg::Effect;
use super::state::{DiffMode, Mode};
use crate::cache::{ModuleKey, TreeItem};
use crate::tui::app::App;

/// The directory holding `rel` (`""` for the tree's top).
pub fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(up, _)| up)
}

impl App {
    /// The items directly inside `dir` of the open tree, largest first.
    pub fn files_in(&self, dir: &str) -> Vec<&TreeItem> {
        self.tree_items
            .as_ref()
            .map(|(_, items)| items.iter().filter(|i| parent(&i.rel) == dir).collect())
            .unwrap_or_default()
    }

    /// A key in the file view: move, enter a directory (l → Enter), go up (h ← Esc
    /// Backspace; from the top, back to the list), or leave (q).
    pub(super) fn files_key(
        &mut self,
        key: KeyEvent,
        open: ModuleKey,
        dir: String,
        selected: usize,
    ) -> Vec<Effect> {
        let shown = self.files_in(&dir);
        let count = shown.len();
        let page = self.list_height().max(1);
        let last = count.saturating_sub(1);
        let chosen = shown.get(selected).map(|i| (i.rel.clone(), i.is_dir));
        let selected = match mode_action(FILES_KEYS, key) {
            Some(FilesAction::Next) => (selected + 1).min(last),
            Some(FilesAction::Previous) => selected.saturating_sub(1),
            Some(FilesAction::PageDown) => (selected + page).min(last),
            Some(FilesAction::PageUp) => selected.saturating_sub(page),
            Some(FilesAction::First) => 0,
            Some(FilesAction::Last) => last,
            Some(FilesAction::Open) => match chosen {
                Some((rel, true)) => {
                    self.mode = Mode::Files(open, rel, 0);
                    return Vec::new();
                }
                Some((rel, false)) => {
                    self.diff = None;
                    self.mode = Mode::Diff(DiffMode {
                        key: open.clone(),
                        file: rel.clone(),
                        back: (dir, selected),
                        scroll: 0,
                    });
                    return vec![Effect::DiffFile(open, rel)];
                }
                None => selected,
            },
            Some(FilesAction::Up) if !dir.is_empty() => {
                let up = parent(&dir).to_owned();
                let back_to = self.files_in(&up).iter().position(|i| i.rel == dir);
                self.mode = Mode::Files(open, up, back_to.unwrap_or(0));
                return Vec::new();
            }
            Some(FilesAction::Up | FilesAction::Close) => {
                self.mode = Mode::Normal;
                self.tree_items = None;
                return Vec::new();
            }
            None => selected,
        };
        self.mode = Mode::Files(open, dir, selected);
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::parent;

    #[test]
    fn parents_of_relative_names() {
        assert_eq!(parent("a.go"), "");
        assert_eq!(parent("internal/x/x.go"), "internal/x");
        assert_eq!(parent("internal"), "");
    }
}
