//! What keys do: the input modes, the actions of the keymap, marking rules, and asking before
//! a delete or repair. Part of [`App`]'s update; no I/O happens here.

use crossterm::event::KeyEvent;

use super::app::{App, Integrity, ScanState};
use super::keymap::{
    CONFIRM_KEYS, ConfirmAction, FILTER_KEYS, FilterAction, JOBS_KEYS, JobsAction, PROMPT_KEYS,
    PromptAction, QUIT_KEYS, QuitAction, action_for, mode_action, rule_for,
};
use super::line::{Edited, LineEdit};
use super::msg::{Action, Effect};
use super::rows::RowRef;
use super::state::{Mode, OpKind, PendingOp};
use crate::cache::ModuleKey;
use crate::cache::filter::Filter;
use crate::cache::sort::SortKey;
use crate::ops::jobs::JobId;

impl App {
    pub(super) fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        // Ctrl-C quits from every mode, as the help says, not only from the list: an overlay
        // (files, a diff waiting on go, the jobs, a dialog) closes on the way.
        let ctrl_c = key.code == crossterm::event::KeyCode::Char('c')
            && key
                .modifiers
                .contains(crossterm::event::KeyModifiers::CONTROL);
        if ctrl_c && self.mode != Mode::Normal {
            if self.mode == Mode::ConfirmQuit {
                return vec![Effect::Quit];
            }
            self.mode = Mode::Normal;
            return self.act_quit();
        }
        match self.mode.clone() {
            // A status says what the last key did, or what happened since: the next key
            // replaces it, so that none goes stale ("filter cleared" long after).
            Mode::Normal if rule_for(key).is_some() => {
                self.status = None;
                if let Some(kind) = rule_for(key) {
                    self.mark_by(kind);
                }
                Vec::new()
            }
            Mode::Normal => match action_for(key) {
                Some(action) if self.build.on => {
                    self.status = None;
                    self.build_act(action)
                }
                Some(action) if self.trash.on => {
                    self.status = None;
                    self.trash_act(action)
                }
                Some(action) => {
                    self.status = None;
                    self.act(action)
                }
                None => {
                    self.dirty = false;
                    Vec::new()
                }
            },
            Mode::Help => {
                self.mode = Mode::Normal;
                Vec::new()
            }
            Mode::Filter => {
                self.filter_key(key);
                Vec::new()
            }
            Mode::Prompt(rule, input) => {
                match mode_action(PROMPT_KEYS, key) {
                    Some(PromptAction::Mark) => {
                        self.mode = Mode::Normal;
                        let suggested = rule.question().map_or("0", |(_, n)| n);
                        let answer = if input.is_empty() { suggested } else { &input };
                        self.apply_rule(rule, answer);
                    }
                    Some(PromptAction::Cancel) => self.mode = Mode::Normal,
                    None => {
                        let mut line = LineEdit::new(&input);
                        let short = input.len() < 6;
                        line.key(key, |c| c.is_ascii_digit() && short);
                        self.mode = Mode::Prompt(rule, line.text);
                    }
                }
                Vec::new()
            }
            Mode::Confirm(op) => match mode_action(CONFIRM_KEYS, key) {
                Some(ConfirmAction::Yes) => {
                    self.mode = Mode::Normal;
                    self.start_op(op)
                }
                Some(ConfirmAction::ToTrash) if op.kind == OpKind::Delete => {
                    self.mode = Mode::Normal;
                    self.start_op(PendingOp {
                        kind: OpKind::Trash,
                        ..op
                    })
                }
                Some(ConfirmAction::No) => {
                    self.mode = Mode::Normal;
                    self.status = Some("cancelled".into());
                    Vec::new()
                }
                _ => Vec::new(),
            },
            Mode::Jobs(selected) => {
                let ids: Vec<JobId> = self.jobs.keys().rev().copied().collect();
                let last = ids.len().saturating_sub(1);
                match mode_action(JOBS_KEYS, key) {
                    Some(JobsAction::Next) => self.mode = Mode::Jobs((selected + 1).min(last)),
                    Some(JobsAction::Previous) => {
                        self.mode = Mode::Jobs(selected.saturating_sub(1));
                    }
                    Some(JobsAction::Cancel) => {
                        if let Some(id) = ids.get(selected)
                            && let Some(job) = self.jobs.get_mut(id)
                            && !job.finished
                        {
                            job.cancelling = true;
                            self.status = Some(format!("cancelling job {id}…"));
                            return vec![Effect::CancelJob(*id)];
                        }
                    }
                    Some(JobsAction::Close) => self.mode = Mode::Normal,
                    None => {}
                }
                Vec::new()
            }
            Mode::Files(open, dir, selected) => self.files_key(key, open, dir, selected),
            Mode::Diff(at) => self.diff_key(key, at),
            Mode::ConfirmQuit => match mode_action(QUIT_KEYS, key) {
                Some(QuitAction::Quit) => vec![Effect::Quit],
                Some(QuitAction::Stay) | None => {
                    self.mode = Mode::Normal;
                    Vec::new()
                }
            },
        }
    }

    fn filter_key(&mut self, key: KeyEvent) {
        match mode_action(FILTER_KEYS, key) {
            Some(FilterAction::Keep) => self.mode = Mode::Normal,
            Some(FilterAction::Clear) => {
                self.mode = Mode::Normal;
                self.filter_text.clear();
                self.filter = None;
                self.rebuild();
            }
            _ => {
                let mut line = LineEdit {
                    text: std::mem::take(&mut self.filter_text),
                    cursor: self.filter_cursor,
                };
                let edited = line.key(key, |c| !c.is_control());
                self.filter_text = line.text;
                self.filter_cursor = line.cursor;
                match edited {
                    Edited::Text => self.apply_filter_text(),
                    Edited::Cursor => self.dirty = true,
                    Edited::Ignored => {}
                }
            }
        }
    }

    /// Applies the filter being typed. The cursor stays on its row while that row matches,
    /// and goes to the first match otherwise (never to the last).
    fn apply_filter_text(&mut self) {
        let before = self.selected().cloned();
        if self.filter_text.is_empty() {
            self.filter = None;
            self.status = None;
        } else {
            match Filter::parse(&self.filter_text) {
                Ok(f) => {
                    self.filter = Some(f);
                    self.status = None;
                }
                // An unfinished glob such as `[a` keeps the previous filter.
                Err(err) => self.status = Some(err.to_string()),
            }
        }
        self.rebuild();
        let kept = before.and_then(|sel| self.visible.rows.iter().position(|r| *r == sel));
        self.cursor = kept.unwrap_or(0);
        self.scroll_to_cursor();
    }

    fn act(&mut self, action: Action) -> Vec<Effect> {
        let page = self.list_height().max(1) as isize;
        match action {
            Action::Up => self.move_cursor(-1),
            Action::Down => self.move_cursor(1),
            Action::PageUp => self.move_cursor(-page),
            Action::PageDown => self.move_cursor(page),
            Action::Top => self.move_cursor(isize::MIN / 2),
            Action::Bottom => self.move_cursor(isize::MAX / 2),
            Action::Expand => match self.selected().cloned() {
                Some(RowRef::Module(path)) => {
                    self.collapsed.remove(&path);
                    self.rebuild();
                }
                // Inside a version, as gdu enters a directory: its files, largest first.
                Some(RowRef::Version(key))
                    if self.rows.get(&key).is_some_and(|r| r.entry.pieces.tree) =>
                {
                    self.tree_items = None;
                    self.mode = Mode::Files(key.clone(), String::new(), 0);
                    return vec![Effect::ListFiles(key)];
                }
                Some(RowRef::Version(_)) => self.status = Some("this version has no tree".into()),
                Some(RowRef::Missing(_)) => {
                    self.status = Some("not in the cache: F downloads it".into());
                }
                None => {}
            },
            Action::ScrollDetailDown => self.detail_scroll = self.detail_scroll.saturating_add(3),
            Action::ScrollDetailUp => self.detail_scroll = self.detail_scroll.saturating_sub(3),
            Action::ToggleApparent => {
                self.apparent = !self.apparent;
                self.rebuild();
            }
            Action::ShowJobs => {
                if self.jobs.is_empty() {
                    self.status = Some("no jobs yet".into());
                } else {
                    self.mode = Mode::Jobs(0);
                }
            }
            Action::VerifyAgain => {
                let keys: Vec<ModuleKey> = if self.marks.is_empty() {
                    self.rows.keys().cloned().collect()
                } else {
                    self.marks.iter().cloned().collect()
                };
                for key in &keys {
                    if let Some(row) = self.rows.get_mut(key) {
                        row.integrity = Integrity::Unverified;
                    }
                }
                self.status = Some(format!(
                    "measuring and verifying {} again",
                    crate::cache::fmt::count(keys.len() as u64, "version")
                ));
                return vec![Effect::Refresh(keys)];
            }
            Action::AskSumdb => return self.ask_sumdb(),
            Action::Rescan => {
                if matches!(self.scan, ScanState::Running(..)) {
                    self.status = Some("a scan is running already".into());
                } else {
                    self.start_rescan();
                    return vec![Effect::Rescan];
                }
            }
            Action::ExpandAll => {
                self.collapsed.clear();
                self.rebuild();
            }
            Action::CollapseAll => {
                let paths: Vec<String> = self.rows.keys().map(|k| k.path.clone()).collect();
                self.collapsed.extend(paths);
                self.rebuild();
            }
            Action::Collapse => {
                let path = match self.selected() {
                    Some(RowRef::Module(p)) => Some(p.clone()),
                    Some(RowRef::Version(k)) => Some(k.path.clone()),
                    Some(RowRef::Missing(_)) | None => None,
                };
                if let Some(path) = path {
                    self.collapsed.insert(path.clone());
                    self.rebuild();
                    if let Some(i) = self
                        .visible
                        .rows
                        .iter()
                        .position(|r| *r == RowRef::Module(path.clone()))
                    {
                        self.cursor = i;
                        self.scroll_to_cursor();
                    }
                }
            }
            // Beside the list the details are shown already; below it, Enter closes them again.
            Action::OpenDetail if super::view::is_wide(self.size.0) => {
                self.show_side_detail = true;
            }
            Action::OpenDetail | Action::ToggleDetail => {
                if super::view::is_wide(self.size.0) {
                    self.show_side_detail = !self.show_side_detail;
                } else {
                    self.show_detail = !self.show_detail;
                }
                // The list shrinks or grows with the pane: keep the cursor on screen.
                self.scroll_to_cursor();
            }
            Action::ToggleMark => {
                match self.selected().cloned() {
                    Some(RowRef::Version(key)) => {
                        if !self.marks.remove(&key) {
                            self.marks.insert(key.clone());
                        }
                        self.anchor = Some(key);
                    }
                    Some(RowRef::Module(path)) => {
                        let keys: Vec<ModuleKey> =
                            self.visible.versions_of(&path).cloned().collect();
                        let all = keys.iter().all(|k| self.marks.contains(k));
                        for k in keys {
                            if all {
                                self.marks.remove(&k);
                            } else {
                                self.marks.insert(k);
                            }
                        }
                    }
                    // Nothing in the cache to mark: F downloads it.
                    Some(RowRef::Missing(_)) | None => {}
                }
                self.move_cursor(1);
            }
            Action::MarkRange => self.mark_range(),
            Action::MarkAllVisible => {
                let keys: Vec<ModuleKey> = self.visible.all_versions().cloned().collect();
                self.status = Some(format!(
                    "marked {}",
                    crate::cache::fmt::count(keys.len() as u64, "visible version")
                ));
                self.marks.extend(keys);
            }
            Action::ClearMarks => {
                self.marks.clear();
                self.rule_marks.clear();
                self.status = Some("marks cleared".into());
            }
            Action::SortSize => self.set_sort(SortKey::Size),
            Action::SortAge => self.set_sort(SortKey::Age),
            Action::SortLastUsed => self.set_sort(SortKey::LastUsed),
            Action::SortName => self.set_sort(SortKey::Name),
            Action::SortVersion => self.set_sort(SortKey::Version),
            Action::ReverseSort => {
                self.reverse = !self.reverse;
                self.rebuild();
            }
            Action::StartFilter => {
                self.filter_cursor = self.filter_text.chars().count();
                self.mode = Mode::Filter;
            }
            Action::ToggleProblemsOnly => {
                self.problems_only = !self.problems_only;
                self.rebuild();
            }
            Action::DeleteMarked => return self.ask_delete(),
            Action::DeleteLeftovers => self.ask_leftovers(),
            Action::RefetchMarked => self.ask(OpKind::Repair),
            Action::ToggleProjectView => return self.toggle_project_view(),
            Action::FixProject => self.ask_fix_project(),
            Action::ToggleHelp => self.mode = Mode::Help,
            // Esc backs out of what is applied and never quits: q does.
            Action::Back if self.filter.is_some() || self.problems_only => {
                self.filter = None;
                self.filter_text.clear();
                self.problems_only = false;
                self.status = Some("filter cleared".into());
                self.rebuild();
            }
            Action::Back if self.project.on => {
                self.project.on = false;
                self.status = Some("all versions".into());
                self.rebuild();
            }
            Action::Back if self.show_detail && !super::view::is_wide(self.size.0) => {
                self.show_detail = false;
                self.scroll_to_cursor();
            }
            Action::Back => self.status = Some("nothing to close (q quits)".into()),
            Action::Quit => return self.act_quit(),
            Action::ToggleBuildView => return self.toggle_build_view(),
            Action::ToggleTrashView => return self.toggle_trash_view(),
        }
        Vec::new()
    }

    /// `q`: quits, asking first while jobs run.
    pub(super) fn act_quit(&mut self) -> Vec<Effect> {
        if self.jobs_running() {
            self.mode = Mode::ConfirmQuit;
            return Vec::new();
        }
        vec![Effect::Quit]
    }

    /// Sorts by `key`; pressing the key of the current order again flips its direction.
    fn set_sort(&mut self, key: SortKey) {
        if self.sort == key {
            self.reverse = !self.reverse;
        }
        self.sort = key;
        self.rebuild();
    }
}
