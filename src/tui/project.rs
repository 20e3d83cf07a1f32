//! The project view: with `--project DIR`, `P` narrows the list to the versions that project
//! needs, as go says (its build list), with a row for each needed version the cache does not
//! hold; `F` repairs what that view shows broken and downloads what it shows missing, through
//! the same jobs as everywhere else. Part of [`App`]'s update; no I/O happens here.

use std::sync::Arc;

use super::app::{App, Integrity};
use super::msg::Effect;
use super::state::{Mode, OpKind, PendingOp};
use crate::cache::ModuleKey;
use crate::cache::fmt::count;
use crate::ops::project::Needed;

impl App {
    /// `P`: shows or leaves the project view, asking go the first time.
    pub(super) fn toggle_project_view(&mut self) -> Vec<Effect> {
        if self.config.projects.is_empty() {
            self.status = Some("start modlens with --project DIR to see what it needs".into());
            return Vec::new();
        }
        self.project.on = !self.project.on;
        self.rebuild();
        if !self.project.on {
            self.status = Some("all versions".into());
            return Vec::new();
        }
        if self.project.needs.is_empty() && !self.project.loading {
            self.project.loading = true;
            self.status = Some("asking go what the project needs…".into());
            return vec![Effect::LoadProject];
        }
        self.status = Some(self.project_summary());
        Vec::new()
    }

    /// go's answer arrived.
    pub(super) fn project_event(&mut self, answer: Result<Vec<Needed>, String>) {
        self.project.loading = false;
        match answer {
            Ok(needs) => {
                self.project.needs = needs;
                self.project.error = None;
                self.status = Some(self.project_summary());
            }
            Err(why) => {
                self.status = Some(format!("go could not say what the project needs: {why}"));
                self.project.error = Some(why);
            }
        }
        self.rebuild();
    }

    /// The needed versions the cache does not hold, or holds without the source go.sum says is
    /// needed.
    pub fn project_missing(&self) -> Vec<ModuleKey> {
        self.project
            .needs
            .iter()
            .filter_map(|n| {
                let key = n.in_cache.as_ref()?;
                let missing = match self.rows.get(key) {
                    None => true,
                    Some(row) => {
                        let p = row.entry.pieces;
                        !p.mod_file || (n.needs_source && !(p.zip && p.tree))
                    }
                };
                missing.then(|| key.clone())
            })
            .collect()
    }

    fn project_summary(&self) -> String {
        let keys = self.project.keys();
        let broken = keys
            .iter()
            .filter_map(|k| self.rows.get(*k))
            .filter(|r| r.integrity.is_problem())
            .count();
        format!(
            "project view: {} needed, {broken} broken, {} missing{}",
            count(self.project.needs.len() as u64, "version"),
            self.project_missing().len(),
            if broken + self.project_missing().len() > 0 {
                " (F fixes them)"
            } else {
                ""
            }
        )
    }

    /// `F`: asks before fixing what the project view shows.
    pub(super) fn ask_fix_project(&mut self) {
        if !self.project.on {
            self.status = Some("F fixes what the project view shows: press P first".into());
            return;
        }
        let missing = self.project_missing();
        let keys: Vec<ModuleKey> = self
            .project
            .keys()
            .into_iter()
            .filter(|k| !missing.contains(k))
            .filter(|k| self.rows.get(*k).is_some_and(|r| r.integrity.is_problem()))
            .filter(|k| !self.busy.contains(*k))
            .cloned()
            .collect();
        let downloads: Vec<ModuleKey> = missing
            .into_iter()
            .filter(|k| !self.busy.contains(k))
            .collect();
        if keys.is_empty() && downloads.is_empty() {
            self.status = Some(
                if self.rows_unverified() {
                    "nothing known broken or missing yet: verification is still running"
                } else {
                    "nothing the project needs is broken or missing"
                }
                .into(),
            );
            return;
        }
        let bytes = self.disk_bytes(&keys);
        let mut plan = self.repair_plan(&keys);
        plan.downloads = downloads.clone();
        let mut lines = plan.lines();
        lines.extend(plan.download_warning(&self.config.env.goproxy));
        self.mode = Mode::Confirm(PendingOp {
            kind: OpKind::FixProject,
            keys,
            paths: Vec::new(),
            bytes,
            downloads,
            left_out: None,
            lines,
        });
    }

    fn rows_unverified(&self) -> bool {
        self.project
            .keys()
            .iter()
            .filter_map(|k| self.rows.get(*k))
            .any(|r| matches!(r.integrity, Integrity::Unverified | Integrity::Hashing))
    }

    /// The download job of a project fix.
    pub(super) fn download_spec(&self, keys: &[ModuleKey]) -> crate::ops::jobs::JobSpec {
        crate::ops::jobs::JobSpec::Download {
            keys: keys.to_vec(),
            expect: Arc::clone(&self.config.expect),
            go: self.config.go.clone(),
        }
    }
}
