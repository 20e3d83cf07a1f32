//! Marking by hand and by rule, and asking before a delete or repair: what will go, how much it
//! frees, and the job that does it. Part of [`App`]'s update; no I/O happens here.

use super::msg::Effect;
use super::rows::RowRef;
use super::state::{JobState, Mode, OpKind, PendingOp};
use crate::cache::{ModuleEntry, ModuleKey};
use crate::ops::jobs::JobSpec;
use crate::ops::plan::clean::CleanPlan;
use crate::ops::plan::repair::RepairPlan;
use crate::ops::policy::{Facts, PolicyKind};
use crate::tui::app::App;

impl App {
    pub(super) fn mark_range(&mut self) {
        let Some(anchor) = self.anchor.clone() else {
            self.status =
                Some("mark a version with Space first, then V marks up to the cursor".into());
            return;
        };
        let Some(start) = self
            .visible
            .rows
            .iter()
            .position(|r| *r == RowRef::Version(anchor.clone()))
        else {
            return;
        };
        let (lo, hi) = (start.min(self.cursor), start.max(self.cursor));
        let keys: Vec<ModuleKey> = self.visible.rows[lo..=hi]
            .iter()
            .filter_map(|r| match r {
                RowRef::Version(k) => Some(k.clone()),
                RowRef::Module(_) | RowRef::Missing(_) => None,
            })
            .collect();
        self.status = Some(format!(
            "marked {}",
            crate::cache::fmt::count(keys.len() as u64, "version")
        ));
        self.marks.extend(keys);
    }

    /// Marks the versions of `keys` that the list shows (the filter and "problems only"
    /// apply, as they do to `a`), and says how many the filter kept out.
    pub(super) fn mark_keys(&mut self, mut keys: Vec<ModuleKey>, what: &str) {
        let shown: std::collections::HashSet<&ModuleKey> = self.visible.all_versions().collect();
        let before = keys.len();
        keys.retain(|k| shown.contains(k));
        let hidden = before - keys.len();
        let bytes: u64 = keys
            .iter()
            .filter_map(|k| self.rows.get(k))
            .map(|r| r.entry.usage().disk)
            .sum();
        let hidden = match hidden {
            0 => String::new(),
            n => format!("; {n} more hidden by the filter, not marked"),
        };
        self.status = Some(format!(
            "marked {} {what} ({}){hidden}",
            crate::cache::fmt::count(keys.len() as u64, "version"),
            crate::cache::fmt::size(bytes)
        ));
        self.marks.extend(keys);
    }

    /// Marks by a cleaning rule, as `clean` selects by it: after asking for its number when it
    /// has one. In the build view only `B` means something (its problem rows).
    pub(super) fn mark_by(&mut self, kind: PolicyKind) {
        if self.build.on || self.trash.on {
            if self.build.on && kind == PolicyKind::Broken {
                self.build_mark_problems();
            } else {
                self.status = Some("rules mark module versions: go back to the list first".into());
            }
            return;
        }
        // The suggested number is shown until the user types their own (an empty answer
        // takes it), so that typing a number never appends to it.
        match kind.question() {
            Some(_) => self.mode = Mode::Prompt(kind, String::new()),
            None => self.apply_rule(kind, "0"),
        }
    }

    /// Marks the versions `kind` selects with the number typed.
    pub(super) fn apply_rule(&mut self, kind: PolicyKind, input: &str) {
        let Ok(n) = input.parse::<u64>() else {
            self.status = Some(format!("{input:?} is not a number"));
            return;
        };
        if kind.needs_projects() && !self.config.has_projects {
            self.status =
                Some("start modlens with --project DIR to mark versions no project uses".into());
            return;
        }
        let (rule, what) = match kind.with(n) {
            Ok(rule) => rule,
            Err(why) => {
                self.status = Some(why);
                return;
            }
        };
        let entries: Vec<ModuleEntry> = self.rows.values().map(|r| r.entry.clone()).collect();
        let broken: std::collections::HashSet<ModuleKey> = self
            .rows
            .values()
            .filter(|r| r.integrity.is_problem())
            .map(|r| r.entry.key.clone())
            .collect();
        let facts = Facts {
            entries: &entries,
            referenced: self.config.expect.gosums.keys().collect(),
            broken: &broken,
            now: self.now,
            bytes: 0,
        };
        let mut candidates: Vec<&ModuleEntry> = entries.iter().collect();
        rule.narrow(&facts, &mut candidates, &mut Vec::new());
        let keys: Vec<ModuleKey> = candidates.into_iter().map(|e| e.key.clone()).collect();
        // What a rule marked is checked against the kept versions' module graph before a
        // delete, as `clean` checks what a policy selects.
        self.rule_marks.extend(keys.iter().cloned());
        self.mark_keys(keys, &what);
    }

    /// The versions an operation targets: the marks, else the selected version or module.
    pub(super) fn targets(&self) -> Vec<ModuleKey> {
        if !self.marks.is_empty() {
            return self.marks.iter().cloned().collect();
        }
        match self.selected() {
            Some(RowRef::Version(k)) => vec![k.clone()],
            Some(RowRef::Module(p)) => self.visible.versions_of(p).cloned().collect(),
            Some(RowRef::Missing(_)) | None => Vec::new(),
        }
    }

    pub(super) fn ask(&mut self, kind: OpKind) {
        let targets = self.targets();
        let gone = targets
            .iter()
            .filter(|k| !self.rows.contains_key(k))
            .count();
        let (busy, keys): (Vec<ModuleKey>, Vec<ModuleKey>) = targets
            .into_iter()
            .filter(|k| self.rows.contains_key(k))
            .partition(|k| self.busy.contains(k));
        let mut reasons = Vec::new();
        if !busy.is_empty() {
            reasons.push(format!(
                "{} a running job still holds",
                crate::cache::fmt::count(busy.len() as u64, "version")
            ));
        }
        if gone > 0 {
            reasons.push(format!(
                "{} no longer in the cache",
                crate::cache::fmt::count(gone as u64, "version")
            ));
        }
        // A repair is planned as `refetch` plans it: per version, from its verdict.
        let (keys, lines) = if kind == OpKind::Repair {
            let plan = self.repair_plan(&keys);
            if !plan.healthy.is_empty() {
                reasons.push(format!(
                    "{} verified fine (nothing to repair)",
                    crate::cache::fmt::count(plan.healthy.len() as u64, "version")
                ));
            }
            let keys = keys
                .into_iter()
                .filter(|k| !plan.healthy.contains(k))
                .collect();
            let mut lines = plan.lines();
            lines.extend(plan.download_warning(&self.config.env.goproxy));
            (keys, lines)
        } else {
            (keys, Vec::new())
        };
        let left_out = (!reasons.is_empty()).then(|| format!("Left out: {}.", reasons.join("; ")));
        if keys.is_empty() {
            self.status = Some(match &left_out {
                None => "nothing selected".into(),
                Some(why) => format!("nothing to do. {why}"),
            });
            return;
        }
        let bytes = self.disk_bytes(&keys);
        self.mode = Mode::Confirm(PendingOp {
            kind,
            keys,
            paths: Vec::new(),
            bytes,
            downloads: Vec::new(),
            left_out,
            lines,
        });
    }

    /// The repair plan of `keys`, from their verdicts; a version not verified yet is verified
    /// by the job first, then repaired the cheapest way.
    pub(super) fn repair_plan(&self, keys: &[ModuleKey]) -> RepairPlan {
        let cache = crate::cache::ModCache::new(&self.config.root);
        let mut plan = RepairPlan::default();
        for row in keys.iter().filter_map(|k| self.rows.get(k)) {
            match &row.verdict {
                Some(verdict) => plan.add_verdict(&cache, &row.entry, verdict),
                None => plan.unverified.push(row.entry.clone()),
            }
        }
        plan
    }

    /// Asks to delete every leftover that no job is deleting already.
    pub(super) fn ask_leftovers(&mut self) {
        let leftovers: Vec<_> = self
            .counted
            .leftovers
            .iter()
            .filter(|l| l.kind.is_go_temporary() && !self.busy_paths.contains(&l.rel_path))
            .collect();
        if leftovers.is_empty() {
            self.status = Some("no leftovers to delete".into());
            return;
        }
        let bytes = leftovers.iter().map(|l| l.usage.disk).sum();
        let paths = leftovers.iter().map(|l| l.rel_path.clone()).collect();
        self.mode = Mode::Confirm(PendingOp {
            kind: OpKind::DeleteLeftovers,
            keys: Vec::new(),
            paths,
            bytes,
            downloads: Vec::new(),
            left_out: None,
            lines: Vec::new(),
        });
    }

    pub(super) fn start_op(&mut self, op: PendingOp) -> Vec<Effect> {
        let spec = match op.kind {
            OpKind::Delete | OpKind::DeleteLeftovers | OpKind::Trash => {
                // The same plan and jobs as `clean` (PATTERNs, --leftover, --trash).
                let versions = op
                    .keys
                    .iter()
                    .map(|k| (k.clone(), self.disk_bytes(std::slice::from_ref(k))));
                let paths = op.paths.iter().map(|p| (p.clone(), 0));
                let plan = CleanPlan::exactly(versions.collect(), paths.collect());
                let to_trash = op.kind == OpKind::Trash;
                let mut effects = Vec::new();
                for spec in plan.jobs(to_trash, self.config.trash_keep) {
                    effects.extend(self.start_job(spec, &op.keys, &op.paths));
                }
                return effects;
            }
            OpKind::RestoreTrash | OpKind::EmptyTrash => self.trash_spec(&op),
            OpKind::DeleteBuild => match self.build_delete_spec(&op) {
                Some(spec) => spec,
                None => return Vec::new(),
            },
            OpKind::Repair | OpKind::FixProject => {
                // The plan's jobs: the repairs, the removals, and the downloads.
                let plan = self.repair_plan(&op.keys);
                let mut effects = Vec::new();
                if !plan.repairs.is_empty() || !plan.unverified.is_empty() {
                    let spec = plan.job(&self.config.expect, &self.config.go);
                    effects.extend(self.start_job(spec, &op.keys, &[]));
                }
                if !plan.removals.is_empty() {
                    let spec = JobSpec::Delete {
                        versions: Vec::new(),
                        sources: Vec::new(),
                        paths: plan.removals.clone(),
                    };
                    effects.extend(self.start_job(spec, &[], &plan.removals));
                }
                if !op.downloads.is_empty() {
                    let spec = self.download_spec(&op.downloads);
                    effects.extend(self.start_job(spec, &op.downloads, &[]));
                }
                return effects;
            }
        };
        self.start_job(spec, &op.keys, &op.paths)
    }

    /// Starts `spec` as the next job; `keys` and `paths` are busy until their items finish.
    fn start_job(
        &mut self,
        spec: JobSpec,
        keys: &[ModuleKey],
        paths: &[std::path::PathBuf],
    ) -> Vec<Effect> {
        if let Some(why) = &self.config.read_only
            && spec.kind() != crate::ops::jobs::JobKind::BuildDelete
        {
            self.status = Some(why.clone());
            return Vec::new();
        }
        let id = self.next_job;
        self.next_job += 1;
        self.jobs.insert(
            id,
            JobState {
                kind: spec.kind(),
                done: 0,
                total: spec.len(),
                failed: 0,
                finished: false,
                cancelling: false,
                last: None,
                holds: (keys.to_vec(), paths.to_vec()),
            },
        );
        for k in keys {
            self.busy.insert(k.clone());
            self.marks.remove(k);
        }
        self.busy_paths.extend(paths.iter().cloned());
        self.status = Some(format!(
            "job {id}: {} of {} started",
            spec.kind().name(),
            if keys.is_empty() {
                crate::cache::fmt::count(paths.len() as u64, "leftover")
            } else {
                crate::cache::fmt::count(keys.len() as u64, "version")
            }
        ));
        vec![Effect::StartJob(id, spec)]
    }
}
