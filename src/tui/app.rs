//! The one state of the TUI and the update function that changes it.
//!
//! `App::update` takes a [`Msg`] and returns [`Effect`]s; it never performs I/O and never reads
//! the clock (time arrives in `Msg::Tick`). The view reads `&App` only. What keys do lives in
//! `actions.rs`; the types the state is made of in `state.rs`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::SystemTime;

use crossterm::event::{Event, KeyEventKind, MouseEventKind};

use super::msg::{Effect, Msg};
pub use super::state::*;
use super::views::{BuildView, DiffShown, RowRef, SumdbView, TrashView, Visible};
use crate::cache::filter::Filter;
use crate::cache::sort::SortKey;
use crate::cache::{Leftover, ModuleKey, Usage};
use crate::ops::jobs::JobId;

/// Everything but the versions, as one scan counts it.
#[derive(Debug, Default, Clone)]
pub struct Counted {
    /// Repositories under `cache/vcs` and their usage.
    pub vcs: (usize, Usage),
    /// Leftovers.
    pub leftovers: Vec<Leftover>,
    /// The sumdb cache and shared directories.
    pub other: Usage,
    /// The trash.
    pub trash: Usage,
}

/// The whole state of the TUI.
#[derive(Debug)]
pub struct App {
    /// Start-up settings.
    pub config: AppConfig,
    /// Versions by key.
    pub rows: BTreeMap<ModuleKey, Row>,
    /// Everything but the versions: vcs repositories, leftovers, the sumdb cache and shared
    /// directories, the trash.
    pub counted: Counted,
    /// What a rescan has counted so far of the same; it replaces `counted` when the scan ends.
    pub recount: Option<Counted>,
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
    /// Where the cursor is in `filter_text`, in characters, while it is edited.
    pub filter_cursor: usize,
    /// Whether sizes are apparent (`du --apparent-size`) rather than on disk.
    pub apparent: bool,
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
    /// Whether the detail pane is shown below the list on narrow terminals (hidden until asked).
    pub show_detail: bool,
    /// Whether the detail pane is shown beside the list on wide terminals (shown until hidden,
    /// which gives the list its full width and every column).
    pub show_side_detail: bool,
    /// Scan progress.
    pub scan: ScanState,
    /// How far the detail pane is scrolled, in lines (back to 0 when the selection moves).
    pub detail_scroll: u16,
    /// The files and directories of the version open in the drill-down view.
    pub tree_items: Option<(ModuleKey, Vec<crate::cache::TreeItem>)>,
    /// During a rescan, the versions it has seen so far; rows it does not see are gone.
    pub rescan_seen: Option<HashSet<ModuleKey>>,
    /// Whether the running rescan is one the user asked for (F5, `v` after a job), rather
    /// than the first scan after the last session's snapshot.
    pub user_rescan: bool,
    /// Verification progress.
    pub verify: VerifyState,
    /// Jobs by id.
    pub jobs: BTreeMap<JobId, JobState>,
    /// Versions with a running job.
    pub busy: HashSet<ModuleKey>,
    /// Leftovers (relative paths) with a running job.
    pub busy_paths: HashSet<std::path::PathBuf>,
    /// The next job id.
    pub next_job: JobId,
    /// The project view (`P`, with `--project`).
    pub project: ProjectView,
    /// The build-cache view.
    pub build: BuildView,
    /// The trash view.
    pub trash: TrashView,
    /// Whether to rescan the whole cache once the running jobs are done.
    pub rescan_wanted: bool,
    /// What the checksum database said when asked (`S`).
    pub sumdb: SumdbView,
    /// The diff the diff pane shows, once it arrived: the version, the file, and the diff.
    pub diff: Option<DiffShown>,
    /// The versions a cleaning rule marked (K, O, U, B): before they are deleted, the module
    /// graph of the versions kept is asked what it needs of them.
    pub rule_marks: BTreeSet<ModuleKey>,
    /// What the kept versions' graph kept out of the delete being asked, for its dialog.
    pub graph_kept: Option<String>,
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
    pub fn new(mut config: AppConfig, now: SystemTime) -> App {
        let verify = if config.verify {
            VerifyState::Waiting
        } else {
            VerifyState::Off
        };
        let preload = config.preload.take();
        let read_only = config.read_only.clone();
        let mut app = App {
            config,
            rows: BTreeMap::new(),
            counted: Counted::default(),
            recount: None,
            collapsed: HashSet::new(),
            visible: Visible::default(),
            cursor: 0,
            offset: 0,
            size: (80, 24),
            sort: SortKey::Name,
            reverse: false,
            filter_text: String::new(),
            filter_cursor: 0,
            apparent: false,
            filter: None,
            problems_only: false,
            marks: BTreeSet::new(),
            anchor: None,
            mode: Mode::Normal,
            show_detail: false,
            show_side_detail: true,
            scan: ScanState::Running(0, 0, 0),
            rescan_seen: None,
            user_rescan: false,
            tree_items: None,
            detail_scroll: 0,
            verify,
            jobs: BTreeMap::new(),
            busy: HashSet::new(),
            busy_paths: HashSet::new(),
            next_job: 1,
            project: ProjectView::default(),
            build: BuildView::default(),
            trash: TrashView::default(),
            rescan_wanted: false,
            sumdb: SumdbView::default(),
            diff: None,
            rule_marks: BTreeSet::new(),
            graph_kept: None,
            status: read_only,
            now,
            stale: false,
            moved: false,
            dirty: true,
        };
        if let Some(preload) = preload {
            app.preload(preload);
        }
        app
    }

    /// Shows the last session's versions at once, with their remembered marks; the scan that
    /// follows runs as a rescan, keeping what is unchanged and correcting the rest.
    fn preload(&mut self, preload: Preload) {
        let mut verdicts = preload.verdicts;
        for entry in preload.entries {
            let verdict = verdicts.remove(&entry.key);
            let integrity = verdict.as_ref().map_or(Integrity::Unverified, integrity_of);
            self.rows.insert(
                entry.key.clone(),
                Row {
                    entry,
                    integrity,
                    remembered: verdict.is_some(),
                    verdict: verdict.map(Box::new),
                    job_error: None,
                },
            );
        }
        if !self.rows.is_empty() {
            self.rescan_seen = Some(HashSet::new());
            self.recount = Some(Counted::default());
            // Until the scan has counted them, the rest of the cache is what the last recorded
            // scan says it was.
            self.counted.other.disk = preload.other_bytes;
            self.status = Some("from the last session; scanning…".into());
            self.stale = true;
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
                    // A click on a list row selects it.
                    MouseEventKind::Down(crossterm::event::MouseButton::Left)
                        if self.mode == Mode::Normal =>
                    {
                        match self.list_row_at(m.column, m.row) {
                            Some(index) => {
                                self.cursor = index;
                                self.moved = true;
                                self.scroll_to_cursor();
                            }
                            None => self.dirty = false,
                        }
                    }
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
            Msg::Project(answer) => {
                self.project_event(answer);
                Vec::new()
            }
            Msg::Build(overview) => {
                self.build_event(overview);
                Vec::new()
            }
            Msg::Trash(entries) => {
                self.trash_event(entries);
                Vec::new()
            }
            Msg::Files(key, items) => {
                self.tree_items = Some((key, items));
                Vec::new()
            }
            Msg::Sumdb(keys, asked) => self.sumdb_event(keys, asked),
            Msg::KeptNeeds(needed) => {
                self.kept_needs(needed);
                Vec::new()
            }
            Msg::Diff(key, file, diff) => {
                self.diff = Some((key, file, diff));
                Vec::new()
            }
        }
    }

    /// The selected row.
    pub fn selected(&self) -> Option<&RowRef> {
        self.visible.rows.get(self.cursor)
    }

    /// The selected version, if the cursor is on a version row.
    pub fn selected_row(&self) -> Option<&Row> {
        match self.selected()? {
            RowRef::Version(key) => self.rows.get(key),
            RowRef::Module(_) | RowRef::Missing(_) => None,
        }
    }

    /// Total bytes on disk of everything scanned.
    pub fn total_bytes(&self) -> u64 {
        self.rows
            .values()
            .map(|r| self.bytes(r.entry.usage()))
            .sum::<u64>()
            + self.bytes(self.counted.vcs.1)
            + self
                .counted
                .leftovers
                .iter()
                .map(|l| self.bytes(l.usage))
                .sum::<u64>()
            + self.bytes(self.counted.other)
            + self.bytes(self.counted.trash)
    }

    /// The cache's total on disk, whatever unit is shown.
    pub fn total_bytes_on_disk(&self) -> u64 {
        self.rows
            .values()
            .map(|r| r.entry.usage().disk)
            .sum::<u64>()
            + self.counted.vcs.1.disk
            + self
                .counted
                .leftovers
                .iter()
                .map(|l| l.usage.disk)
                .sum::<u64>()
            + self.counted.other.disk
            + self.counted.trash.disk
    }

    /// Versions with problems (partial included).
    pub fn problem_count(&self) -> usize {
        self.rows
            .values()
            .filter(|r| r.integrity.is_problem())
            .count()
    }

    /// Starts a rescan: rows stay (with marks and cursor) until the scan has finished without
    /// seeing them, and the other totals stay as they were until the scan has counted them
    /// all again, so that the header never shows a half-counted cache.
    pub(super) fn start_rescan(&mut self) {
        self.user_rescan = true;
        self.scan = ScanState::Running(0, 0, 0);
        self.rescan_seen = Some(HashSet::new());
        self.recount = Some(Counted::default());
        self.status = Some("rescanning…".into());
    }

    /// The bytes on disk of the versions `keys` (those in the list).
    pub fn disk_bytes(&self, keys: &[ModuleKey]) -> u64 {
        keys.iter()
            .filter_map(|k| self.rows.get(k))
            .map(|r| r.entry.usage().disk)
            .sum()
    }

    /// The bytes of `usage` in the unit shown (on disk, or apparent).
    pub fn bytes(&self, usage: Usage) -> u64 {
        if self.apparent {
            usage.apparent
        } else {
            usage.disk
        }
    }

    /// Versions without a verdict yet (or at all, with `--no-verify`).
    pub fn unverified_count(&self) -> usize {
        self.rows
            .values()
            .filter(|r| r.integrity == Integrity::Unverified)
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

    pub(super) fn rebuild(&mut self) {
        self.stale = false;
        let selected = self.selected().cloned().filter(|_| self.moved);
        self.visible = self.build_visible();
        if let Some(sel) = selected
            && let Some(i) = self.visible.rows.iter().position(|r| *r == sel)
        {
            self.cursor = i;
        }
        self.cursor = self.cursor.min(self.visible.rows.len().saturating_sub(1));
        self.scroll_to_cursor();
    }

    pub(super) fn scroll_to_cursor(&mut self) {
        let height = self.list_height().max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + height {
            self.offset = self.cursor + 1 - height;
        }
        let max_offset = self.visible.rows.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }

    pub(super) fn move_cursor(&mut self, delta: isize) {
        self.moved = true;
        self.detail_scroll = 0;
        let last = self.visible.rows.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
        self.scroll_to_cursor();
    }
}
