//! The engine every command and the explorer share: the cache it works on, go's settings, the
//! pools and the state database, set up once per run; and the one place where go.sum
//! expectations are put together.
//!
//! The engine prints nothing. What the user should hear about (a state database that cannot
//! be used, a project without go.sum) goes to the [`Notices`] sink its caller hands it: the CLI
//! writes them to stderr, a test collects them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::error::OpsError;
use super::jobs::{ItemDone, ItemError, JobEvent, JobItem, JobSpec, Jobs};
use super::pools::{PoolSizes, Pools};
use super::state::{State, default_path};
use crate::cache::cancel::CancelToken;
use crate::cache::goenv::GoEnv;
use crate::cache::locate::Located;
use crate::cache::scan::Depth;
use crate::cache::{ModCache, Snapshot};
use crate::fix::refetch::GoRunner;
use crate::verify::Expectations;
use crate::verify::gosum::GoSums;
use crate::verify::sumdb::{SUM_GOLANG_ORG, Verifier};

/// Something the user should hear about that does not stop the work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Something is off, and modlens works around it.
    Warning(String),
    /// Information about the input (a module without go.sum, ...).
    Note(String),
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Notice::Warning(text) => write!(f, "warning: {text}"),
            Notice::Note(text) => write!(f, "note: {text}"),
        }
    }
}

/// Where notices go.
pub type Notices = Arc<dyn Fn(Notice) + Send + Sync>;

/// One item a job finished.
#[derive(Debug)]
pub struct Finished {
    /// The item.
    pub item: JobItem,
    /// What became of it.
    pub result: Result<ItemDone, ItemError>,
    /// Files the job removed for it.
    pub files_removed: u64,
}

/// What the engine is set up from.
pub struct Settings {
    /// The cache.
    pub located: Located,
    /// go's settings, read once.
    pub goenv: GoEnv,
    /// How many threads each pool gets.
    pub pool_sizes: PoolSizes,
    /// `--state` (or `MODLENS_STATE`), if given.
    pub state_path: Option<PathBuf>,
    /// No state database at all.
    pub no_state: bool,
    /// How long trashed versions are kept (`None`: until emptied by hand).
    pub trash_keep: Option<Duration>,
}

/// A run's world.
pub struct Engine {
    /// The cache.
    pub located: Located,
    /// go's settings, read once.
    pub goenv: GoEnv,
    /// The run's threads.
    pub pools: Arc<Pools>,
    /// modlens's state database, unless it is off or cannot be used.
    pub state: Option<Arc<State>>,
    /// How long trashed versions are kept (`None`: until emptied by hand).
    pub trash_keep: Option<Duration>,
    notices: Notices,
}

impl Drop for Engine {
    /// Keeps the access times this run's reads moved, so that later runs undo them.
    fn drop(&mut self) {
        let notes = crate::cache::atimes::take();
        if let Some(state) = &self.state
            && let Err(e) = state.record_moved_atimes(&self.located.root, &notes)
        {
            self.warn(format!("{e}; the access times modlens moved are not kept"));
        }
    }
}

impl Engine {
    /// Starts the pools and opens the state database. A database that cannot be used is a
    /// notice, and the engine runs without it; a `--state` modlens must never write is an error.
    pub fn open(settings: Settings, notices: Notices) -> Result<Engine, OpsError> {
        let state = open_state(&settings, &notices)?;
        Ok(Engine {
            pools: Pools::new(settings.pool_sizes)?,
            located: settings.located,
            goenv: settings.goenv,
            state,
            trash_keep: settings.trash_keep,
            notices,
        })
    }

    /// Tells the user about `text`, as a warning.
    pub fn warn(&self, text: impl Into<String>) {
        (self.notices)(Notice::Warning(text.into()));
    }

    /// The cache as a model.
    pub fn cache(&self) -> ModCache {
        ModCache::new(&self.located.root)
    }

    /// Scans the whole cache into a snapshot. A scan that walked every tree is recorded in the
    /// state database (a failure to record is a warning).
    pub fn snapshot(&self, depth: Depth) -> Result<Snapshot, OpsError> {
        let mut snapshot = super::scan::snapshot(&self.pools, &self.cache(), depth)?;
        // A version is never "used" because modlens read it.
        let mut moved = self
            .state
            .as_ref()
            .and_then(|s| s.moved_atimes(&self.located.root).ok())
            .unwrap_or_default();
        moved.extend(crate::cache::atimes::current());
        if !moved.is_empty() {
            super::state::undo_moved_atimes(&self.cache(), &mut snapshot.entries, |p| {
                moved.get(p).copied()
            });
        }
        if depth != Depth::Shallow
            && let Some(state) = &self.state
            && let Err(e) =
                state.record_scan(&self.located.root, crate::cache::clock::now(), &snapshot)
        {
            self.warn(format!("{e}; the scan is not recorded"));
        }
        Ok(snapshot)
    }

    /// Records in the state database what a command that changed the cache did; a failure
    /// to record is a warning.
    pub fn record_run(&self, command: &str, receipt: &impl serde::Serialize) {
        let Some(state) = &self.state else {
            return;
        };
        let receipt = serde_json::to_value(receipt).unwrap_or(serde_json::Value::Null);
        let recorded = state.record_run(
            &self.located.root,
            crate::cache::clock::now(),
            command,
            &receipt,
        );
        if let Err(e) = recorded {
            self.warn(format!("{e}; the run is not recorded"));
        }
    }

    /// Runs `spec` to its end (on the job pool where it has parallel parts) and returns what
    /// became of each item, in the order they finished; `cancel` stops it between items.
    pub fn run_job(&self, spec: JobSpec, cancel: &CancelToken) -> Vec<Finished> {
        let (tx, rx) = crossbeam_channel::unbounded();
        Jobs::new(self.cache(), &self.pools).run_blocking(1, spec, &tx.into(), cancel);
        rx.into_iter()
            .filter_map(|event| match event {
                JobEvent::Item {
                    item,
                    result,
                    files_removed,
                    ..
                } => Some(Finished {
                    item,
                    result,
                    files_removed,
                }),
                _ => None,
            })
            .collect()
    }

    /// How to run go for repairs, from the user's effective settings.
    pub fn go_runner(&self) -> GoRunner {
        GoRunner::new(&self.goenv)
    }

    /// What versions are checked against: the go.sum files of `projects` (every go.sum below
    /// them with `recursive`) and the checksum databases whose answers go cached. Notes about
    /// the projects (a module without go.sum, ...) are notices. Every command uses this.
    pub fn expectations(
        &self,
        projects: &[PathBuf],
        recursive: bool,
    ) -> Result<Arc<Expectations>, OpsError> {
        let mut gosums = GoSums::default();
        for dir in projects {
            gosums.load_project(dir, recursive)?;
        }
        for note in gosums.notes() {
            (self.notices)(Notice::Note(note.to_string()));
        }
        Ok(Arc::new(Expectations {
            gosums,
            sumdb_keys: self.sumdb_keys(),
            fips_snapshots: self
                .goenv
                .get("GOROOT")
                .map(|root| PathBuf::from(root).join("lib").join("fips140")),
        }))
    }

    fn sumdb_keys(&self) -> Vec<Verifier> {
        let (keys, warning) = sumdb_keys(&self.goenv);
        if let Some(warning) = warning {
            self.warn(warning);
        }
        keys
    }
}

/// The checksum databases whose answers are checked: sum.golang.org always, and the one
/// GOSUMDB names when it carries a key; with a warning when GOSUMDB cannot be read.
pub fn sumdb_keys(goenv: &GoEnv) -> (Vec<Verifier>, Option<String>) {
    let mut keys = vec![Verifier::parse(SUM_GOLANG_ORG).expect("the built-in key is valid")];
    let mut warning = None;
    if let Some(value) = goenv.get("GOSUMDB") {
        match Verifier::from_gosumdb(&value) {
            Ok(Some(v)) if !keys.iter().any(|k| k.name == v.name) => keys.push(v),
            Ok(_) => {}
            Err(err) => warning = Some(format!("{err}; its cached answers are not checked")),
        }
    }
    (keys, warning)
}

/// Opens the state database (`--state`, `MODLENS_STATE` or the default place), unless it is
/// off; a database that cannot be used is a warning, and modlens runs without it.
fn open_state(settings: &Settings, notices: &Notices) -> Result<Option<Arc<State>>, OpsError> {
    open_state_for(
        &settings.goenv,
        settings.state_path.as_deref(),
        settings.no_state,
        &settings.located.root,
        notices,
    )
}

/// [`open_state`] for work on `root` (a module cache, or a store), which the database must
/// never be inside: for the commands that need no module cache.
pub fn open_state_for(
    goenv: &GoEnv,
    flag: Option<&Path>,
    off: bool,
    root: &Path,
    notices: &Notices,
) -> Result<Option<Arc<State>>, OpsError> {
    if off {
        return Ok(None);
    }
    let Some(path) = flag.map(Path::to_path_buf).or_else(|| default_path(goenv)) else {
        return Ok(None);
    };
    match State::open(&path, root) {
        Ok(state) => Ok(Some(Arc::new(state))),
        // A --state (or MODLENS_STATE) that modlens must never write is a bad value; a
        // database that fails is only a warning.
        Err(e) if flag.is_some() && e.is_forbidden_place() => Err(OpsError::BadState(e)),
        Err(e) => {
            notices(Notice::Warning(format!(
                "{e}; running without it (--no-state silences this)"
            )));
            Ok(None)
        }
    }
}
