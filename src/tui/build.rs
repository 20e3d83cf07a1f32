//! The build-cache view: `b` switches the explorer between the module cache and the build cache
//! (GOCACHE). Its rows are the problems the verifier found, the orphan outputs, and the entries
//! by when go last used them against its 5-day trim limit; they are marked, confirmed and
//! deleted through the same dialog and jobs as versions. Part of [`App`]'s update; no I/O
//! happens here: the scan and the verification run in `ops` and arrive as one message.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::app::App;
use super::msg::{Action, Effect};
use super::state::{Mode, OpKind, PendingOp};
use crate::cache::fmt::{count, size};
use crate::ops::gocache::BuildOverview;
use crate::ops::jobs::JobSpec;

impl App {
    /// `b`: shows or leaves the build-cache view, scanning it the first time.
    pub(super) fn toggle_build_view(&mut self) -> Vec<Effect> {
        self.build.on = !self.build.on;
        if !self.build.on {
            self.status = Some("module cache".into());
            return Vec::new();
        }
        if self.build.overview.is_none() && !self.build.loading {
            return self.load_build();
        }
        self.status = Some("build cache (b: module cache)".into());
        Vec::new()
    }

    /// Scans and verifies the build cache again (after a delete job), keeping the status.
    pub(super) fn reload_build(&mut self) -> Vec<Effect> {
        let status = self.status.take();
        let effects = self.load_build();
        self.status = status;
        effects
    }

    fn load_build(&mut self) -> Vec<Effect> {
        match self.config.gocache.clone() {
            Some(root) => {
                self.build.loading = true;
                self.status = Some("scanning and verifying the build cache…".into());
                vec![Effect::LoadBuild(root)]
            }
            None => {
                let why = self.config.gocache_off.clone().unwrap_or_default();
                self.build.overview = Some(Err(why));
                Vec::new()
            }
        }
    }

    /// The scan and verification arrived.
    pub(super) fn build_event(&mut self, overview: Result<BuildOverview, String>) {
        self.build.loading = false;
        self.status = Some(match &overview {
            Ok(o) => format!(
                "build cache: {}, {} (b: module cache)",
                size(o.total_bytes),
                count(o.problems as u64, "problem")
            ),
            Err(why) => format!("build cache: {why}"),
        });
        if let Ok(o) = &overview {
            let labels: BTreeSet<&String> = o.groups.iter().map(|g| &g.label).collect();
            self.build.marks.retain(|m| labels.contains(m));
            self.build.cursor = self.build.cursor.min(o.groups.len().saturating_sub(1));
        }
        self.build.overview = Some(overview);
    }

    /// The rows of the view (empty until it is loaded).
    pub fn build_groups(&self) -> &[crate::ops::gocache::BuildGroup] {
        match &self.build.overview {
            Some(Ok(o)) => &o.groups,
            _ => &[],
        }
    }

    /// A key in the build-cache view.
    pub(super) fn build_act(&mut self, action: Action) -> Vec<Effect> {
        let rows = self.build_groups().len();
        let cursor = self.build.cursor;
        let label = self.build_groups().get(cursor).map(|g| g.label.clone());
        if !crate::tui::view_keys::BUILD_VIEW.answers(action) {
            self.status = Some("not in the build cache view (? lists its keys)".into());
            return Vec::new();
        }
        match action {
            Action::Up => self.build.cursor = cursor.saturating_sub(1),
            Action::Down => self.build.cursor = (cursor + 1).min(rows.saturating_sub(1)),
            Action::Top | Action::PageUp => self.build.cursor = 0,
            Action::Bottom | Action::PageDown => self.build.cursor = rows.saturating_sub(1),
            Action::ToggleMark => {
                // A row with nothing to delete is never marked: the count of marks is then
                // the count the delete dialog asks about.
                let empty = self
                    .build_groups()
                    .get(cursor)
                    .is_some_and(|g| g.delete.is_empty());
                if empty {
                    self.status = Some("nothing to delete in that row".into());
                } else if let Some(label) = label
                    && !self.build.marks.remove(&label)
                {
                    self.build.marks.insert(label);
                }
                self.build.cursor = (cursor + 1).min(rows.saturating_sub(1));
            }
            Action::ClearMarks => self.build.marks.clear(),
            Action::DeleteMarked => self.ask_build_delete(),
            Action::VerifyAgain | Action::Rescan if self.build.loading => {
                self.status = Some("the build cache is being verified already".into());
            }
            Action::VerifyAgain | Action::Rescan => return self.load_build(),
            Action::ToggleBuildView | Action::Back => return self.toggle_build_view(),
            Action::ToggleHelp => self.mode = Mode::Help,
            Action::ShowJobs => self.mode = Mode::Jobs(0),
            Action::Quit => return self.act_quit(),
            _ => {}
        }
        Vec::new()
    }

    /// Asks to delete the marked rows (or the selected one).
    fn ask_build_delete(&mut self) {
        let groups = self.build_groups();
        let chosen: Vec<_> = if self.build.marks.is_empty() {
            groups.get(self.build.cursor).into_iter().collect()
        } else {
            groups
                .iter()
                .filter(|g| self.build.marks.contains(&g.label))
                .collect()
        };
        let chosen: Vec<_> = chosen
            .into_iter()
            .filter(|g| !g.delete.is_empty())
            .collect();
        if chosen.is_empty() {
            self.status = Some("nothing to delete there".into());
            return;
        }
        self.mode = Mode::Confirm(PendingOp {
            kind: OpKind::DeleteBuild,
            keys: Vec::new(),
            paths: chosen.iter().map(|g| PathBuf::from(&g.label)).collect(),
            bytes: chosen.iter().map(|g| g.bytes).sum(),
            downloads: Vec::new(),
            left_out: None,
            lines: Vec::new(),
        });
    }

    /// The job deleting what the confirmed rows hold.
    pub(super) fn build_delete_spec(&self, op: &PendingOp) -> Option<JobSpec> {
        let root = self.config.gocache.clone()?;
        let units = self
            .build_groups()
            .iter()
            .filter(|g| op.paths.iter().any(|p| p.as_os_str() == g.label.as_str()))
            .flat_map(|g| g.delete.iter().cloned())
            .collect();
        Some(JobSpec::BuildDelete { root, units })
    }

    /// `B` in the build view: marks every problem row with something to delete.
    pub(super) fn build_mark_problems(&mut self) {
        let problems = self
            .build_groups()
            .iter()
            .filter(|g| g.problem && !g.delete.is_empty());
        let labels: Vec<String> = problems.map(|g| g.label.clone()).collect();
        self.status = Some(format!(
            "marked {}",
            crate::cache::fmt::count(labels.len() as u64, "problem row")
        ));
        self.build.marks.extend(labels);
    }
}
