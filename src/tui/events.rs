//! Folding the work messages (scan, verification, jobs) into the explorer's state. Part of
//! [`App`]'s update; no I/O happens here.

use super::app::{App, Integrity, Row, ScanState, VerifyState};
use super::msg::Effect;
use super::state::integrity_of;
use crate::cache::ScanEvent;
use crate::ops::jobs::{JobEvent, JobItem};
use crate::ops::verify::{VerifyEvent, VerifyProgress};

impl App {
    pub(super) fn scan_event(&mut self, event: ScanEvent) -> Vec<Effect> {
        match event {
            ScanEvent::Entries(entries) => {
                // A rescan that finds a batch unchanged leaves the list as it is: rebuilding
                // 20,000 rows every frame would take a core from the scan.
                let mut changed = false;
                for entry in entries {
                    let key = entry.key.clone();
                    if let Some(seen) = &mut self.rescan_seen {
                        seen.insert(key.clone());
                        // Unchanged on disk (same pieces, sizes and times): keep the verdict.
                        if self.rows.get(&key).is_some_and(|r| r.entry == entry) {
                            continue;
                        }
                    }
                    changed = true;
                    // A failed job's message stays with the row when it is measured again.
                    let job_error = self.rows.get(&key).and_then(|r| r.job_error.clone());
                    self.rows.insert(
                        key,
                        Row {
                            entry,
                            integrity: Integrity::Unverified,
                            verdict: None,
                            job_error,
                            remembered: false,
                        },
                    );
                }
                if let ScanState::Running(_, done, total) = self.scan {
                    let found = self
                        .rescan_seen
                        .as_ref()
                        .map_or(self.rows.len(), |s| s.len());
                    self.scan = ScanState::Running(found, done, total);
                    self.dirty = true;
                }
                self.stale |= changed;
            }
            ScanEvent::Vcs(repos) => {
                let vcs = &mut self.counting().vcs;
                vcs.0 += repos.len();
                for r in repos {
                    vcs.1.add(r.usage);
                }
            }
            ScanEvent::Leftovers(l) => self.counting().leftovers.extend(l),
            ScanEvent::Gone(keys) => {
                for key in &keys {
                    self.rows.remove(key);
                    self.marks.remove(key);
                }
                self.rebuild();
            }
            ScanEvent::Sumdb(u) | ScanEvent::Shared(u) => self.counting().other.add(u),
            ScanEvent::Trash(u) => self.counting().trash.add(u),
            ScanEvent::Error(err) => self.status = Some(err),
            ScanEvent::Progress { done, total } => {
                if let ScanState::Running(found, _, _) = self.scan {
                    self.scan = ScanState::Running(found, done, total);
                }
            }
            ScanEvent::Done(stats) => {
                self.scan = ScanState::Done;
                if let Some(recount) = self.recount.take()
                    && !stats.cancelled
                {
                    self.counted = recount;
                }
                let mut effects = Vec::new();
                if !stats.cancelled && self.config.state.is_some() {
                    let mut sizes = std::collections::BTreeMap::new();
                    for r in self.rows.values() {
                        *sizes.entry(r.entry.key.path.clone()).or_default() += r.entry.usage().disk;
                    }
                    let total = self.total_bytes_on_disk();
                    let entries = self.rows.values().map(|r| r.entry.clone()).collect();
                    let totals = crate::ops::state::ScanTotals {
                        disk: total,
                        versions: self.rows.len() as u64,
                        trash: self.counted.trash.disk,
                    };
                    effects.push(Effect::RecordScan(totals, sizes, entries));
                }
                if let Some(seen) = self.rescan_seen.take() {
                    self.rows.retain(|k, _| seen.contains(k));
                    self.marks.retain(|k| seen.contains(k));
                    self.rebuild();
                    self.status = Some(if std::mem::take(&mut self.user_rescan) {
                        "rescanned".into()
                    } else {
                        "scanned: the list now shows the cache as it is".into()
                    });
                    // Marks from the last session are confirmed through the verdict memory (cheap
                    // when nothing changed), since what they depend on may have.
                    let changed: Vec<_> = self
                        .rows
                        .values()
                        .filter(|r| r.integrity == Integrity::Unverified || r.remembered)
                        .map(|r| r.entry.clone())
                        .collect();
                    if self.verify != VerifyState::Off && !changed.is_empty() {
                        self.verify = VerifyState::Running(VerifyProgress::default());
                        effects.push(Effect::Verify(changed));
                    }
                    return effects;
                }
                if self.verify == VerifyState::Waiting {
                    self.verify = VerifyState::Running(VerifyProgress::default());
                    effects.push(Effect::Verify(
                        self.rows.values().map(|r| r.entry.clone()).collect(),
                    ));
                }
                return effects;
            }
        }
        Vec::new()
    }

    /// Where a scan's counts of everything but the versions go: the rescan's own count while
    /// one runs, else the shown one.
    fn counting(&mut self) -> &mut super::app::Counted {
        match &mut self.recount {
            Some(recount) => recount,
            None => &mut self.counted,
        }
    }

    pub(super) fn verify_event(&mut self, event: VerifyEvent) {
        match event {
            VerifyEvent::Started(key) => {
                if let Some(row) = self.rows.get_mut(&key) {
                    row.integrity = Integrity::Hashing;
                }
            }
            VerifyEvent::Verdict(verdict) => {
                let mut counts_change = self.problems_only;
                if let Some(row) = self.rows.get_mut(&verdict.key) {
                    let was_problem = row.integrity.is_problem();
                    row.integrity = integrity_of(&verdict);
                    row.remembered = false;
                    row.verdict = Some(verdict);
                    let is_problem = row.integrity.is_problem();
                    counts_change |= was_problem || is_problem;
                }
                // Module rows count their problems: rebuild (once per frame) only when a count
                // can change, so thousands of clean verdicts cost nothing.
                self.stale |= counts_change;
            }
            VerifyEvent::Progress(p) => {
                if matches!(
                    self.verify,
                    VerifyState::Running(_) | VerifyState::Waiting | VerifyState::Done
                ) {
                    self.verify = VerifyState::Running(p);
                }
            }
            VerifyEvent::Done(_) => self.verify = VerifyState::Done,
        }
    }

    pub(super) fn job_event(&mut self, event: JobEvent) -> Vec<Effect> {
        match event {
            JobEvent::Progress { id, done, total } => {
                if let Some(j) = self.jobs.get_mut(&id) {
                    j.done = done;
                    j.total = total;
                }
            }
            JobEvent::Item {
                id, item, result, ..
            } => {
                if let Some(j) = self.jobs.get_mut(&id) {
                    let name = match &item {
                        JobItem::Version(k) => k.to_string(),
                        JobItem::Path(p) | JobItem::BuildEntry(p) => {
                            crate::cache::fmt::escaped_path(p)
                        }
                    };
                    let outcome = match &result {
                        Ok(done) => done.to_string(),
                        Err(why) => format!("failed: {why}"),
                    };
                    j.last = Some(format!("{name} {outcome}"));
                }
                let kind = self.jobs.get(&id).map(|j| j.kind);
                let key = match item {
                    JobItem::Version(key) => key,
                    JobItem::Path(path) | JobItem::BuildEntry(path) => {
                        self.busy_paths.remove(&path);
                        match result {
                            Ok(_) => self.counted.leftovers.retain(|l| l.rel_path != path),
                            Err(err) => {
                                if let Some(j) = self.jobs.get_mut(&id) {
                                    j.failed += 1;
                                }
                                self.status = Some(err.to_string());
                            }
                        }
                        return Vec::new();
                    }
                };
                self.busy.remove(&key);
                match result {
                    Ok(_)
                        if matches!(
                            kind,
                            Some(
                                crate::ops::jobs::JobKind::Delete
                                    | crate::ops::jobs::JobKind::Trash
                            )
                        ) =>
                    {
                        self.rows.remove(&key);
                        self.marks.remove(&key);
                        self.rebuild();
                    }
                    Ok(_) => {
                        if let Some(row) = self.rows.get_mut(&key) {
                            row.integrity = Integrity::Unverified;
                            row.job_error = None;
                        }
                        self.project.failed.remove(&key);
                        return vec![Effect::Refresh(vec![key])];
                    }
                    Err(err) => {
                        if let Some(j) = self.jobs.get_mut(&id) {
                            j.failed += 1;
                        }
                        self.status = Some(err.to_string());
                        match self.rows.get_mut(&key) {
                            Some(row) => {
                                row.job_error = Some(err.to_string());
                                row.integrity = Integrity::Unverified;
                            }
                            // A missing version of the project view has no row to hold it.
                            None => {
                                self.project.failed.insert(key.clone(), err.to_string());
                            }
                        }
                        // A failed job may still have changed the version (a delete that
                        // stopped part way): show what is on disk now.
                        return vec![Effect::Refresh(vec![key])];
                    }
                }
            }
            JobEvent::Finished {
                id,
                ok,
                failed,
                cancelled,
            } => {
                let mut after = Vec::new();
                if let Some(j) = self.jobs.get_mut(&id) {
                    j.finished = true;
                    // The jobs view says "stopped" for it.
                    j.cancelling |= cancelled;
                    // A stopped job never reaches some items: release everything it held.
                    let (keys, paths) = std::mem::take(&mut j.holds);
                    for key in &keys {
                        self.busy.remove(key);
                    }
                    for path in &paths {
                        self.busy_paths.remove(path);
                    }
                    let Some(j) = self.jobs.get_mut(&id) else {
                        return Vec::new();
                    };
                    let what = if cancelled { "stopped" } else { "done" };
                    let hint = if failed > 0 {
                        "; the details of red rows say why"
                    } else {
                        ""
                    };
                    let done = format!(
                        "job {id} ({}) {what}: {ok} ok, {failed} failed{hint}",
                        j.kind.name()
                    );
                    // New module paths bring new shared directories: count them as list does,
                    // once no job is changing the cache any more.
                    // The trash's size changes with every move: the header shows it.
                    let kind = j.kind;
                    use crate::ops::jobs::JobKind;
                    if matches!(
                        kind,
                        JobKind::Download | JobKind::Trash | JobKind::Restore | JobKind::EmptyTrash
                    ) && ok > 0
                    {
                        self.rescan_wanted = true;
                    }
                    self.status = Some(done);
                    if kind == JobKind::BuildDelete {
                        // The view shows the build cache as it is now.
                        return self.reload_build();
                    }
                    if matches!(kind, JobKind::Restore | JobKind::EmptyTrash) {
                        // The view shows the trash as it is now (the rescan follows).
                        after = self.load_trash();
                    }
                }
                if self.rescan_wanted
                    && !self.jobs_running()
                    && !matches!(self.scan, ScanState::Running(..))
                {
                    self.rescan_wanted = false;
                    let done = self.status.take().unwrap_or_default();
                    self.start_rescan();
                    self.status = Some(format!("{done}; rescanning"));
                    after.push(Effect::Rescan);
                }
                return after;
            }
        }
        Vec::new()
    }
}
