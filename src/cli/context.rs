//! What every command receives: the cache it works on, go's settings and the pools, set up
//! once per run; and the one place where go.sum expectations are put together.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::locate::{self, Located};
use crate::cache::goenv::GoEnv;
use crate::cache::scan::Depth;
use crate::cache::{ModCache, Snapshot};
use crate::fix::refetch::GoRunner;
use crate::ops::pools::Pools;
use crate::ops::state::{State, default_path};
use crate::verify::Expectations;
use crate::verify::gosum::GoSums;
use crate::verify::sumdb::{SUM_GOLANG_ORG, Verifier};

/// A command's world.
pub struct Ctx {
    /// The cache.
    pub located: Located,
    /// go's settings, read once.
    pub goenv: GoEnv,
    /// The run's threads.
    pub pools: Arc<Pools>,
    /// modlens's state database, unless it is off or cannot be used.
    pub state: Option<Arc<State>>,
    /// How long trashed versions are kept (`None`: until emptied by hand).
    pub trash_keep: Option<std::time::Duration>,
}

impl Drop for Ctx {
    /// Keeps the access times this run's reads moved, so that later runs undo them.
    fn drop(&mut self) {
        let notes = crate::cache::atimes::take();
        if let Some(state) = &self.state
            && let Err(e) = state.record_moved_atimes(&self.located.root, &notes)
        {
            safe_eprintln!("modlens: warning: {e}; the access times modlens moved are not kept");
        }
    }
}

impl Ctx {
    /// The cache as a model.
    pub fn cache(&self) -> ModCache {
        ModCache::new(&self.located.root)
    }

    /// Scans the whole cache into a snapshot. A scan that walked every tree is recorded in the
    /// state database (a failure to record is a warning).
    pub fn snapshot(&self, depth: Depth) -> anyhow::Result<Snapshot> {
        let mut snapshot = crate::ops::scan::snapshot(&self.pools, &self.cache(), depth)?;
        // A version is never "used" because modlens read it.
        let mut moved = self
            .state
            .as_ref()
            .and_then(|s| s.moved_atimes(&self.located.root).ok())
            .unwrap_or_default();
        moved.extend(crate::cache::atimes::current());
        if !moved.is_empty() {
            crate::ops::state::undo_moved_atimes(&self.cache(), &mut snapshot.entries, |p| {
                moved.get(p).copied()
            });
        }
        if depth != Depth::Shallow
            && let Some(state) = &self.state
            && let Err(e) =
                state.record_scan(&self.located.root, crate::cache::clock::now(), &snapshot)
        {
            safe_eprintln!("modlens: warning: {e}; the scan is not recorded");
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
            safe_eprintln!("modlens: warning: {e}; the run is not recorded");
        }
    }

    /// How to run go for repairs, from the user's effective settings.
    pub fn go_runner(&self) -> GoRunner {
        GoRunner::new(&self.goenv)
    }

    /// What versions are checked against: the go.sum files of `projects` (every go.sum below
    /// them with `recursive`) and the checksum databases whose answers go cached. Notes about
    /// the projects (a module without go.sum, ...) go to stderr. Every command uses this.
    pub fn expectations(
        &self,
        projects: &[PathBuf],
        recursive: bool,
    ) -> anyhow::Result<Arc<Expectations>> {
        let mut gosums = GoSums::default();
        for dir in projects {
            gosums.load_project(dir, recursive)?;
        }
        for note in gosums.notes() {
            safe_eprintln!("modlens: note: {note}");
        }
        Ok(Arc::new(Expectations {
            gosums,
            sumdb_keys: sumdb_keys(&self.goenv),
            fips_snapshots: self
                .goenv
                .get("GOROOT")
                .map(|root| PathBuf::from(root).join("lib").join("fips140")),
        }))
    }
}

/// The checksum databases whose cached answers are checked: sum.golang.org always, and the one
/// GOSUMDB names when it carries a key.
fn sumdb_keys(goenv: &GoEnv) -> Vec<Verifier> {
    let mut keys = vec![Verifier::parse(SUM_GOLANG_ORG).expect("the built-in key is valid")];
    if let Some(value) = goenv.get("GOSUMDB") {
        match Verifier::from_gosumdb(&value) {
            Ok(Some(v)) if !keys.iter().any(|k| k.name == v.name) => keys.push(v),
            Ok(_) => {}
            Err(err) => {
                safe_eprintln!("modlens: warning: {err}; its cached answers are not checked")
            }
        }
    }
    keys
}

/// Opens the state database (`--state`, `MODLENS_STATE` or the default place), unless
/// `--no-state`; a database that cannot be used is a warning, and modlens runs without it.
pub fn open_state(
    goenv: &GoEnv,
    cache_root: &Path,
    flag: Option<&Path>,
    off: bool,
) -> anyhow::Result<Option<Arc<State>>> {
    if off {
        return Ok(None);
    }
    let Some(path) = flag.map(Path::to_path_buf).or_else(|| default_path(goenv)) else {
        return Ok(None);
    };
    match State::open(&path, cache_root) {
        Ok(state) => Ok(Some(Arc::new(state))),
        // A --state (or MODLENS_STATE) that modlens must never write is a bad value; a
        // database that fails is only a warning.
        Err(e) if flag.is_some() && e.is_forbidden_place() => {
            Err(anyhow::anyhow!("invalid --state: {e}"))
        }
        Err(e) => {
            safe_eprintln!("modlens: warning: {e}; running without it (--no-state silences this)");
            Ok(None)
        }
    }
}

/// Finds the cache for `--cache` (or go's settings).
pub fn locate_cache(flag: Option<&Path>, goenv: &GoEnv) -> anyhow::Result<Located> {
    Ok(locate::locate_with(flag, goenv)?)
}

/// The demo cache's temp dir, removed when dropped.
pub struct DemoDir {
    dir: PathBuf,
    /// The demo cache's root.
    pub root: PathBuf,
}

impl DemoDir {
    /// Builds the demo cache in a temp dir.
    pub fn create() -> anyhow::Result<DemoDir> {
        // mkdtemp: an unpredictable name, created exclusively with mode 0700.
        let dir = tempfile::Builder::new()
            .prefix("modlens-demo-")
            .tempdir()
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot create the demo cache's directory in {}: {e}",
                    std::env::temp_dir().display()
                )
            })?
            .keep();
        let root = super::demo::build(&dir, crate::cache::clock::now()).map_err(|e| {
            anyhow::anyhow!("cannot build the demo cache in {}: {e}", dir.display())
        })?;
        remove_on_termination(dir.clone())?;
        Ok(DemoDir { dir, root })
    }
}

/// Removes the demo dir when the process is told to end (SIGTERM, SIGHUP as when its terminal
/// closes, SIGINT outside the explorer), which skips destructors: restore the terminal, remove
/// the dir, and exit as the signal would have.
fn remove_on_termination(dir: PathBuf) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT])?;
    Pools::service("demo-signals", move || {
        if let Some(signal) = signals.forever().next() {
            if std::io::IsTerminal::is_terminal(&io::stdout()) {
                ratatui::restore();
            }
            let _ = crate::fix::delete::remove_path(&std::env::temp_dir(), &dir);
            std::process::exit(128 + signal);
        }
    })?;
    Ok(())
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = crate::fix::delete::remove_path(&std::env::temp_dir(), &self.dir);
    }
}
