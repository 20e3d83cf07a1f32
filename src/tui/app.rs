//! The one state of the TUI and the update function that changes it.
//!
//! `App::update` takes a [`Msg`] and returns [`Effect`]s; it never performs I/O and never reads
//! the clock (time arrives in `Msg::Tick`). The view reads `&App` only.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, MouseEventKind};

use super::keymap::action_for;
use super::msg::{Action, Effect, Msg};
use super::rows::{RowRef, Visible, build_visible};
use crate::cache::{Leftover, ModuleEntry, ModuleKey, ScanEvent, Usage};
use crate::cli::SortKey;
use crate::filter::Filter;
use crate::ops::jobs::{JobEvent, JobId, JobItem, JobSpec};
use crate::ops::refetch::GoRunner;
use crate::ops::verify::{VerifyEvent, VerifyProgress};
use crate::policy;
use crate::verify::{Expectations, ProblemKind, Status, Verdict};

/// What is known about a version's integrity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integrity {
    /// Not verified yet.
    Unverified,
    /// Being hashed now.
    Hashing,
    /// Verified, no problem.
    Ok,
    /// An interrupted extraction.
    Partial,
    /// Verified, with problems.
    Problem,
    /// Nothing to check.
    Skipped,
}

/// A version as the TUI shows it.
#[derive(Debug, Clone)]
pub struct Row {
    /// What the scan found.
    pub entry: ModuleEntry,
    /// Integrity mark.
    pub integrity: Integrity,
    /// The verifier's findings, once verified.
    pub verdict: Option<Box<Verdict>>,
    /// The last job error for this version.
    pub job_error: Option<String>,
}

/// Where the scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanState {
    /// Running: versions found so far, and module paths measured out of those found.
    Running(usize, usize, usize),
    /// Finished.
    Done,
}

/// Where the background verification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyState {
    /// Turned off with `--no-verify`.
    Off,
    /// Waiting for the scan.
    Waiting,
    /// Running.
    Running(VerifyProgress),
    /// Finished.
    Done,
}

/// A running or finished job.
#[derive(Debug, Clone)]
pub struct JobState {
    /// `delete` or `refetch`.
    pub kind: &'static str,
    /// Items finished.
    pub done: usize,
    /// Items in the job.
    pub total: usize,
    /// Items that failed.
    pub failed: usize,
    /// Whether the job has ended.
    pub finished: bool,
}

/// What a confirmation dialog would start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// Delete versions.
    Delete,
    /// Re-extract or re-fetch versions.
    Repair,
}

/// A destructive operation waiting for a yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOp {
    /// What it does.
    pub kind: OpKind,
    /// The versions it concerns.
    pub keys: Vec<ModuleKey>,
    /// Bytes on disk they occupy.
    pub bytes: u64,
}

/// A rule that asks for a number before marking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// All but the newest N versions of each module.
    AllButNewest,
    /// Downloaded more than N days ago.
    OlderThanDays,
}

/// The input mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Browsing.
    Normal,
    /// The help overlay.
    Help,
    /// Typing a filter.
    Filter,
    /// Typing the number for a marking rule.
    Prompt(Rule, String),
    /// Asking before a delete or repair.
    Confirm(PendingOp),
    /// Asking before quitting with jobs running.
    ConfirmQuit,
}

/// The Go settings shown in the header.
#[derive(Debug, Clone, Default)]
pub struct EnvInfo {
    /// GOPROXY in force.
    pub goproxy: String,
    /// GOSUMDB in force.
    pub gosumdb: String,
    /// GOFLAGS in force.
    pub goflags: String,
}

/// Settings the TUI starts with.
#[derive(Debug, Clone, Default)]
pub struct AppConfig {
    /// The cache root.
    pub root: PathBuf,
    /// Go settings for the header.
    pub env: EnvInfo,
    /// Whether to verify after the scan.
    pub verify: bool,
    /// go.sum lines and sumdb keys, for verification and the "unused" rule.
    pub expect: Arc<Expectations>,
    /// Whether projects were given (the "unused" rule needs them).
    pub has_projects: bool,
    /// How repairs run go.
    pub go: GoRunner,
    /// Whether colours are off (`NO_COLOR`).
    pub no_color: bool,
}

/// The whole state of the TUI.
#[derive(Debug)]
pub struct App {
    /// Start-up settings.
    pub config: AppConfig,
    /// Versions by key.
    pub rows: BTreeMap<ModuleKey, Row>,
    /// Number of vcs repositories and their usage.
    pub vcs: (usize, Usage),
    /// Leftovers found by the scan.
    pub leftovers: Vec<Leftover>,
    /// Usage of the sumdb cache and shared directories.
    pub other: Usage,
    /// Module paths whose versions are hidden.
    pub collapsed: HashSet<String>,
    /// The rows on screen, derived from `rows` and the view settings.
    pub visible: Visible,
    /// Index of the selected visible row.
    pub cursor: usize,
    /// Index of the first visible row on screen.
    pub offset: usize,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Sort order.
    pub sort: SortKey,
    /// Whether the order is reversed.
    pub reverse: bool,
    /// The filter being typed or applied.
    pub filter_text: String,
    /// The compiled filter.
    pub filter: Option<Filter>,
    /// Whether only problem rows are shown.
    pub problems_only: bool,
    /// Marked versions.
    pub marks: BTreeSet<ModuleKey>,
    /// The last version toggled, the start of a range mark.
    pub anchor: Option<ModuleKey>,
    /// The input mode.
    pub mode: Mode,
    /// Whether the detail pane is shown (always on wide terminals).
    pub show_detail: bool,
    /// Scan progress.
    pub scan: ScanState,
    /// Verification progress.
    pub verify: VerifyState,
    /// Jobs by id.
    pub jobs: BTreeMap<JobId, JobState>,
    /// Versions with a running job.
    pub busy: HashSet<ModuleKey>,
    /// The next job id.
    pub next_job: JobId,
    /// A message for the status line.
    pub status: Option<String>,
    /// The current time, for ages.
    pub now: SystemTime,
    /// Whether `visible` must be rebuilt: streaming scan results and verdicts only set this,
    /// so the rows are rebuilt once per frame rather than once per message.
    pub stale: bool,
    /// Whether the user has moved the cursor; until then it stays on the first row while rows
    /// stream in.
    pub moved: bool,
    /// Whether something changed since the last frame.
    pub dirty: bool,
}

impl App {
    /// A fresh app, before the scan.
    pub fn new(config: AppConfig, now: SystemTime) -> App {
        let verify = if config.verify {
            VerifyState::Waiting
        } else {
            VerifyState::Off
        };
        App {
            config,
            rows: BTreeMap::new(),
            vcs: (0, Usage::default()),
            leftovers: Vec::new(),
            other: Usage::default(),
            collapsed: HashSet::new(),
            visible: Visible::default(),
            cursor: 0,
            offset: 0,
            size: (80, 24),
            sort: SortKey::Name,
            reverse: false,
            filter_text: String::new(),
            filter: None,
            problems_only: false,
            marks: BTreeSet::new(),
            anchor: None,
            mode: Mode::Normal,
            show_detail: false,
            scan: ScanState::Running(0, 0, 0),
            verify,
            jobs: BTreeMap::new(),
            busy: HashSet::new(),
            next_job: 1,
            status: None,
            now,
            stale: false,
            moved: false,
            dirty: true,
        }
    }

    /// Brings the visible rows up to date; the event loop calls it before drawing.
    pub fn refresh(&mut self) {
        if self.stale {
            self.stale = false;
            self.rebuild();
        }
    }

    /// Handles one message; returns what the event loop should do.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        self.dirty = true;
        if matches!(msg, Msg::Input(_)) {
            // Keys act on the rows the user sees.
            self.refresh();
        }
        match msg {
            Msg::Input(Event::Key(key)) if key.kind != KeyEventKind::Release => self.key(key),
            Msg::Input(Event::Mouse(m)) => {
                match m.kind {
                    MouseEventKind::ScrollDown => self.move_cursor(3),
                    MouseEventKind::ScrollUp => self.move_cursor(-3),
                    _ => self.dirty = false,
                }
                Vec::new()
            }
            Msg::Input(Event::Resize(w, h)) => {
                self.size = (w, h);
                self.scroll_to_cursor();
                Vec::new()
            }
            Msg::Input(_) => {
                self.dirty = false;
                Vec::new()
            }
            Msg::Scan(event) => self.scan_event(event),
            Msg::Verify(event) => {
                self.verify_event(event);
                Vec::new()
            }
            Msg::Job(event) => self.job_event(event),
            Msg::Tick(now) => {
                self.now = now;
                Vec::new()
            }
        }
    }

    /// Rows of the list that fit on screen (the view uses the same layout).
    pub fn list_height(&self) -> usize {
        super::view::list_height(self)
    }

    /// The selected row.
    pub fn selected(&self) -> Option<&RowRef> {
        self.visible.rows.get(self.cursor)
    }

    /// The selected version, if the cursor is on a version row.
    pub fn selected_row(&self) -> Option<&Row> {
        match self.selected()? {
            RowRef::Version(key) => self.rows.get(key),
            RowRef::Module(_) => None,
        }
    }

    /// Total bytes on disk of everything scanned.
    pub fn total_bytes(&self) -> u64 {
        self.rows
            .values()
            .map(|r| r.entry.usage().disk)
            .sum::<u64>()
            + self.vcs.1.disk
            + self.leftovers.iter().map(|l| l.usage.disk).sum::<u64>()
            + self.other.disk
    }

    /// Versions with problems (partial included).
    pub fn problem_count(&self) -> usize {
        self.rows
            .values()
            .filter(|r| matches!(r.integrity, Integrity::Problem | Integrity::Partial))
            .count()
    }

    /// Number of module paths.
    pub fn module_count(&self) -> usize {
        let mut last: Option<&str> = None;
        let mut n = 0;
        for key in self.rows.keys() {
            if last != Some(key.path.as_str()) {
                n += 1;
                last = Some(&key.path);
            }
        }
        n
    }

    /// Whether a job is still running.
    pub fn jobs_running(&self) -> bool {
        self.jobs.values().any(|j| !j.finished)
    }

    fn rebuild(&mut self) {
        self.stale = false;
        let selected = self.selected().cloned().filter(|_| self.moved);
        self.visible = build_visible(self);
        if let Some(sel) = selected
            && let Some(i) = self.visible.rows.iter().position(|r| *r == sel)
        {
            self.cursor = i;
        }
        self.cursor = self.cursor.min(self.visible.rows.len().saturating_sub(1));
        self.scroll_to_cursor();
    }

    fn scroll_to_cursor(&mut self) {
        let height = self.list_height().max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + height {
            self.offset = self.cursor + 1 - height;
        }
        let max_offset = self.visible.rows.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }

    fn move_cursor(&mut self, delta: isize) {
        self.moved = true;
        let last = self.visible.rows.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
        self.scroll_to_cursor();
    }

    fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        match self.mode.clone() {
            // Esc first clears a filter or "problems only"; only then does it quit.
            Mode::Normal
                if key.code == KeyCode::Esc && (self.filter.is_some() || self.problems_only) =>
            {
                self.filter = None;
                self.filter_text.clear();
                self.problems_only = false;
                self.status = Some("filter cleared".into());
                self.rebuild();
                Vec::new()
            }
            Mode::Normal => match action_for(key) {
                Some(action) => self.act(action),
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
            Mode::Prompt(rule, mut input) => {
                match key.code {
                    KeyCode::Char(c) if c.is_ascii_digit() && input.len() < 6 => {
                        input.push(c);
                        self.mode = Mode::Prompt(rule, input);
                    }
                    KeyCode::Backspace => {
                        input.pop();
                        self.mode = Mode::Prompt(rule, input);
                    }
                    KeyCode::Enter => {
                        self.mode = Mode::Normal;
                        self.apply_rule(rule, &input);
                    }
                    KeyCode::Esc => self.mode = Mode::Normal,
                    _ => {}
                }
                Vec::new()
            }
            Mode::Confirm(op) => match key.code {
                KeyCode::Char('y' | 'Y') | KeyCode::Enter => {
                    self.mode = Mode::Normal;
                    self.start_op(op)
                }
                KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => {
                    self.mode = Mode::Normal;
                    self.status = Some("cancelled".into());
                    Vec::new()
                }
                _ => Vec::new(),
            },
            Mode::ConfirmQuit => match key.code {
                KeyCode::Char('y' | 'Y') | KeyCode::Enter => vec![Effect::Quit],
                _ => {
                    self.mode = Mode::Normal;
                    Vec::new()
                }
            },
        }
    }

    fn filter_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Enter => self.mode = Mode::Normal,
            KeyCode::Esc => {
                self.mode = Mode::Normal;
                self.filter_text.clear();
                self.filter = None;
                self.rebuild();
            }
            KeyCode::Backspace => {
                self.filter_text.pop();
                self.apply_filter_text();
            }
            KeyCode::Char(c) => {
                self.filter_text.push(c);
                self.apply_filter_text();
            }
            _ => {}
        }
    }

    fn apply_filter_text(&mut self) {
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
            Action::Expand => {
                if let Some(RowRef::Module(path)) = self.selected().cloned() {
                    self.collapsed.remove(&path);
                    self.rebuild();
                }
            }
            Action::Collapse => {
                let path = match self.selected() {
                    Some(RowRef::Module(p)) => Some(p.clone()),
                    Some(RowRef::Version(k)) => Some(k.path.clone()),
                    None => None,
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
            Action::ToggleDetail => self.show_detail = !self.show_detail,
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
                    None => {}
                }
                self.move_cursor(1);
            }
            Action::MarkRange => self.mark_range(),
            Action::MarkAllVisible => {
                let keys: Vec<ModuleKey> = self.visible.all_versions().cloned().collect();
                self.status = Some(format!("marked {} visible versions", keys.len()));
                self.marks.extend(keys);
            }
            Action::ClearMarks => {
                self.marks.clear();
                self.status = Some("marks cleared".into());
            }
            Action::MarkAllButNewest => self.mode = Mode::Prompt(Rule::AllButNewest, "1".into()),
            Action::MarkOlderThan => self.mode = Mode::Prompt(Rule::OlderThanDays, "90".into()),
            Action::MarkUnreferenced => {
                if self.config.has_projects {
                    let entries: Vec<ModuleEntry> =
                        self.rows.values().map(|r| r.entry.clone()).collect();
                    let keys = policy::unreferenced(&entries, self.config.expect.gosums.keys());
                    self.mark_keys(keys, "not referenced by the projects");
                } else {
                    self.status = Some(
                        "start modlens with --project DIR to mark versions no project uses".into(),
                    );
                }
            }
            Action::MarkProblems => {
                let keys: Vec<ModuleKey> = self
                    .rows
                    .values()
                    .filter(|r| matches!(r.integrity, Integrity::Problem | Integrity::Partial))
                    .map(|r| r.entry.key.clone())
                    .collect();
                self.mark_keys(keys, "with problems");
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
            Action::StartFilter => self.mode = Mode::Filter,
            Action::ToggleProblemsOnly => {
                self.problems_only = !self.problems_only;
                self.rebuild();
            }
            Action::DeleteMarked => self.ask(OpKind::Delete),
            Action::RefetchMarked => self.ask(OpKind::Repair),
            Action::ToggleHelp => self.mode = Mode::Help,
            Action::Quit => {
                if self.jobs_running() {
                    self.mode = Mode::ConfirmQuit;
                } else {
                    return vec![Effect::Quit];
                }
            }
        }
        Vec::new()
    }

    fn set_sort(&mut self, key: SortKey) {
        self.sort = key;
        self.rebuild();
    }

    fn mark_range(&mut self) {
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
                RowRef::Module(_) => None,
            })
            .collect();
        self.status = Some(format!("marked {} versions", keys.len()));
        self.marks.extend(keys);
    }

    fn mark_keys(&mut self, keys: Vec<ModuleKey>, what: &str) {
        let bytes: u64 = keys
            .iter()
            .filter_map(|k| self.rows.get(k))
            .map(|r| r.entry.usage().disk)
            .sum();
        self.status = Some(format!(
            "marked {} versions {what} ({})",
            keys.len(),
            crate::fmt::size(bytes)
        ));
        self.marks.extend(keys);
    }

    fn apply_rule(&mut self, rule: Rule, input: &str) {
        let Ok(n) = input.parse::<u64>() else {
            self.status = Some(format!("{input:?} is not a number"));
            return;
        };
        let entries: Vec<ModuleEntry> = self.rows.values().map(|r| r.entry.clone()).collect();
        match rule {
            Rule::AllButNewest => {
                let keys = policy::all_but_newest(&entries, n as usize);
                self.mark_keys(keys, &format!("beyond the newest {n} of each module"));
            }
            Rule::OlderThanDays if n == 0 => {
                self.status = Some("give a number of days above zero".into())
            }
            Rule::OlderThanDays => {
                let age = Duration::from_secs(n * 86_400);
                let keys =
                    policy::older_than(&entries, age, self.now, policy::TimeBasis::Downloaded);
                self.mark_keys(keys, &format!("downloaded more than {n} days ago"));
            }
        }
    }

    /// The versions an operation targets: the marks, else the selected version or module.
    fn targets(&self) -> Vec<ModuleKey> {
        if !self.marks.is_empty() {
            return self.marks.iter().cloned().collect();
        }
        match self.selected() {
            Some(RowRef::Version(k)) => vec![k.clone()],
            Some(RowRef::Module(p)) => self.visible.versions_of(p).cloned().collect(),
            None => Vec::new(),
        }
    }

    fn ask(&mut self, kind: OpKind) {
        let (busy, keys): (Vec<ModuleKey>, Vec<ModuleKey>) = self
            .targets()
            .into_iter()
            .filter(|k| self.rows.contains_key(k))
            .partition(|k| self.busy.contains(k));
        if keys.is_empty() {
            self.status = Some(if busy.is_empty() {
                "nothing selected".into()
            } else {
                "those versions already have a job running".into()
            });
            return;
        }
        let bytes = keys
            .iter()
            .filter_map(|k| self.rows.get(k))
            .map(|r| r.entry.usage().disk)
            .sum();
        if !busy.is_empty() {
            self.status = Some(format!(
                "{} versions with a running job were left out",
                busy.len()
            ));
        }
        self.mode = Mode::Confirm(PendingOp { kind, keys, bytes });
    }

    fn start_op(&mut self, op: PendingOp) -> Vec<Effect> {
        let id = self.next_job;
        self.next_job += 1;
        let spec = match op.kind {
            OpKind::Delete => JobSpec::Delete {
                versions: op.keys.clone(),
                paths: Vec::new(),
            },
            OpKind::Repair => JobSpec::Repair {
                entries: op
                    .keys
                    .iter()
                    .filter_map(|k| self.rows.get(k))
                    .map(|r| r.entry.clone())
                    .collect(),
                expect: Arc::clone(&self.config.expect),
                go: self.config.go.clone(),
            },
        };
        self.jobs.insert(
            id,
            JobState {
                kind: spec.kind(),
                done: 0,
                total: spec.len(),
                failed: 0,
                finished: false,
            },
        );
        for k in &op.keys {
            self.busy.insert(k.clone());
            self.marks.remove(k);
        }
        self.status = Some(format!(
            "job {id}: {} of {} versions started",
            spec.kind(),
            op.keys.len()
        ));
        vec![Effect::StartJob(id, spec)]
    }

    fn scan_event(&mut self, event: ScanEvent) -> Vec<Effect> {
        match event {
            ScanEvent::Entries(entries) => {
                for entry in entries {
                    let key = entry.key.clone();
                    self.rows.insert(
                        key,
                        Row {
                            entry,
                            integrity: Integrity::Unverified,
                            verdict: None,
                            job_error: None,
                        },
                    );
                }
                if let ScanState::Running(_, done, total) = self.scan {
                    self.scan = ScanState::Running(self.rows.len(), done, total);
                }
                self.stale = true;
            }
            ScanEvent::Vcs(repos) => {
                self.vcs.0 += repos.len();
                for r in repos {
                    self.vcs.1.add(r.usage);
                }
            }
            ScanEvent::Leftovers(l) => self.leftovers.extend(l),
            ScanEvent::Sumdb(u) | ScanEvent::Shared(u) => self.other.add(u),
            ScanEvent::Error(err) => self.status = Some(err),
            ScanEvent::Progress { done, total } => {
                if let ScanState::Running(found, _, _) = self.scan {
                    self.scan = ScanState::Running(found, done, total);
                }
            }
            ScanEvent::Done(_) => {
                self.scan = ScanState::Done;
                if self.verify == VerifyState::Waiting {
                    self.verify = VerifyState::Running(VerifyProgress::default());
                    return vec![Effect::Verify(
                        self.rows.values().map(|r| r.entry.clone()).collect(),
                    )];
                }
            }
        }
        Vec::new()
    }

    fn verify_event(&mut self, event: VerifyEvent) {
        match event {
            VerifyEvent::Started(key) => {
                if let Some(row) = self.rows.get_mut(&key) {
                    row.integrity = Integrity::Hashing;
                }
            }
            VerifyEvent::Verdict(verdict) => {
                let mut counts_change = self.problems_only;
                if let Some(row) = self.rows.get_mut(&verdict.key) {
                    let was_problem =
                        matches!(row.integrity, Integrity::Problem | Integrity::Partial);
                    row.integrity = match verdict.status {
                        Status::Ok => Integrity::Ok,
                        Status::Skipped => Integrity::Skipped,
                        Status::Problem
                            if verdict
                                .problems
                                .iter()
                                .all(|p| p.kind == ProblemKind::Partial) =>
                        {
                            Integrity::Partial
                        }
                        Status::Problem => Integrity::Problem,
                    };
                    row.verdict = Some(verdict);
                    let is_problem =
                        matches!(row.integrity, Integrity::Problem | Integrity::Partial);
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

    fn job_event(&mut self, event: JobEvent) -> Vec<Effect> {
        match event {
            JobEvent::Progress { id, done, total } => {
                if let Some(j) = self.jobs.get_mut(&id) {
                    j.done = done;
                    j.total = total;
                }
            }
            JobEvent::Item { id, item, result } => {
                let kind = self.jobs.get(&id).map_or("", |j| j.kind);
                let JobItem::Version(key) = item else {
                    return Vec::new();
                };
                self.busy.remove(&key);
                match result {
                    Ok(_) if kind == "delete" => {
                        self.rows.remove(&key);
                        self.marks.remove(&key);
                        self.rebuild();
                    }
                    Ok(_) => {
                        if let Some(row) = self.rows.get_mut(&key) {
                            row.integrity = Integrity::Unverified;
                            row.job_error = None;
                        }
                        return vec![Effect::Refresh(vec![key])];
                    }
                    Err(err) => {
                        if let Some(j) = self.jobs.get_mut(&id) {
                            j.failed += 1;
                        }
                        self.status = Some(err.clone());
                        if let Some(row) = self.rows.get_mut(&key) {
                            row.job_error = Some(err);
                        }
                    }
                }
            }
            JobEvent::Finished {
                id,
                ok,
                failed,
                cancelled,
            } => {
                if let Some(j) = self.jobs.get_mut(&id) {
                    j.finished = true;
                    let what = if cancelled { "stopped" } else { "done" };
                    self.status = Some(format!(
                        "job {id} ({}) {what}: {ok} ok, {failed} failed",
                        j.kind
                    ));
                }
            }
        }
        Vec::new()
    }
}
