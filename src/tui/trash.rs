//! The trash view: `T` lists what `clean --trash` and the delete dialog's `t` moved aside,
//! newest first; `R` puts the marked entries (or the selected one) back, each verified as
//! `modlens trash restore` does, and `D` removes them for good, as `modlens trash empty` does.
//! Both ask first and run as jobs. Part of [`App`]'s update; no I/O happens here: the list
//! arrives as one message.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::app::App;
use super::msg::{Action, Effect};
use super::state::{Mode, OpKind, PendingOp};
use crate::cache::trash::TrashEntry;
use crate::ops::jobs::JobSpec;

impl App {
    /// `T`: shows or leaves the trash view, reading the trash each time it opens.
    pub(super) fn toggle_trash_view(&mut self) -> Vec<Effect> {
        self.trash.on = !self.trash.on;
        if !self.trash.on {
            self.status = Some("module cache".into());
            return Vec::new();
        }
        self.load_trash()
    }

    /// Reads the trash again (on opening, after a job).
    pub(super) fn load_trash(&mut self) -> Vec<Effect> {
        self.trash.loading = true;
        vec![Effect::LoadTrash]
    }

    /// The trash's entries arrived.
    pub(super) fn trash_event(&mut self, entries: Result<Vec<TrashEntry>, String>) {
        self.trash.loading = false;
        let mut entries = entries;
        if let Ok(list) = &mut entries {
            list.sort_by(|a, b| b.trashed_at().cmp(&a.trashed_at()).then(a.id.cmp(&b.id)));
            let ids: BTreeSet<&String> = list.iter().map(|e| &e.id).collect();
            self.trash.marks.retain(|m| ids.contains(m));
            self.trash.cursor = self.trash.cursor.min(list.len().saturating_sub(1));
        }
        self.trash.entries = Some(entries);
    }

    /// The rows of the view (empty until it is read).
    pub fn trash_entries(&self) -> &[TrashEntry] {
        match &self.trash.entries {
            Some(Ok(list)) => list,
            _ => &[],
        }
    }

    /// A key in the trash view.
    pub(super) fn trash_act(&mut self, action: Action) -> Vec<Effect> {
        let rows = self.trash_entries().len();
        let last = rows.saturating_sub(1);
        let cursor = self.trash.cursor;
        let page = self.list_height().max(1);
        if !crate::tui::view_keys::TRASH_VIEW.answers(action) {
            self.status = Some(
                "in the trash: R restores, D empties for good, Space marks, T or Esc goes back"
                    .into(),
            );
            return Vec::new();
        }
        match action {
            Action::Up => self.trash.cursor = cursor.saturating_sub(1),
            Action::Down => self.trash.cursor = (cursor + 1).min(last),
            Action::PageUp => self.trash.cursor = cursor.saturating_sub(page),
            Action::PageDown => self.trash.cursor = (cursor + page).min(last),
            Action::Top => self.trash.cursor = 0,
            Action::Bottom => self.trash.cursor = last,
            Action::ToggleMark => {
                if let Some(id) = self.trash_entries().get(cursor).map(|e| e.id.clone())
                    && !self.trash.marks.remove(&id)
                {
                    self.trash.marks.insert(id);
                }
                self.trash.cursor = (cursor + 1).min(last);
            }
            Action::MarkAllVisible => {
                let ids: Vec<String> = self.trash_entries().iter().map(|e| e.id.clone()).collect();
                self.trash.marks.extend(ids);
            }
            Action::ClearMarks => self.trash.marks.clear(),
            Action::RefetchMarked => self.ask_trash(OpKind::RestoreTrash),
            Action::DeleteMarked => self.ask_trash(OpKind::EmptyTrash),
            Action::VerifyAgain | Action::Rescan => return self.load_trash(),
            Action::ToggleTrashView | Action::Back => return self.toggle_trash_view(),
            Action::ToggleHelp => self.mode = Mode::Help,
            Action::ShowJobs => self.mode = Mode::Jobs(0),
            Action::Quit => return self.act_quit(),
            _ => {}
        }
        Vec::new()
    }

    /// The marked entries (or the selected one) that no job holds, and how many a job holds.
    fn chosen_trash(&self) -> (Vec<&TrashEntry>, usize) {
        let all = self.trash_entries();
        let chosen: Vec<&TrashEntry> = if self.trash.marks.is_empty() {
            all.get(self.trash.cursor).into_iter().collect()
        } else {
            all.iter()
                .filter(|e| self.trash.marks.contains(&e.id))
                .collect()
        };
        let (free, busy): (Vec<&TrashEntry>, Vec<&TrashEntry>) = chosen
            .into_iter()
            .partition(|e| !self.busy_paths.contains(&e.rel_dir()));
        (free, busy.len())
    }

    fn ask_trash(&mut self, kind: OpKind) {
        let (chosen, busy) = self.chosen_trash();
        let left_out = (busy > 0).then(|| {
            format!(
                "Left out: {} a running job still holds.",
                crate::cache::fmt::count(busy as u64, "entry")
            )
        });
        if chosen.is_empty() {
            self.status = Some(match left_out {
                Some(why) => format!("nothing to do. {why}"),
                None => "the trash is empty".into(),
            });
            return;
        }
        self.mode = Mode::Confirm(PendingOp {
            kind,
            keys: Vec::new(),
            paths: chosen.iter().map(|e| e.rel_dir()).collect(),
            bytes: chosen.iter().map(|e| e.usage.disk).sum(),
            downloads: Vec::new(),
            left_out,
            lines: Vec::new(),
        });
    }

    /// The job a confirmed restore or empty starts.
    pub(super) fn trash_spec(&self, op: &PendingOp) -> JobSpec {
        let entries: Vec<TrashEntry> = self
            .trash_entries()
            .iter()
            .filter(|e| op.paths.contains(&e.rel_dir()))
            .cloned()
            .collect();
        match op.kind {
            OpKind::RestoreTrash => JobSpec::Restore {
                entries,
                expect: Arc::clone(&self.config.expect),
                go: self.config.go.clone(),
            },
            _ => JobSpec::EmptyTrash { entries },
        }
    }
}
