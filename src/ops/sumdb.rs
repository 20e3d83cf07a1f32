//! The checksum database online (`--sumdb`): reached as go reaches it, and, for a module
//! cache, asked about every cached version that is not private and has no cached answer yet.
//! Proven answers are installed where go caches them (`cache/download/sumdb/<name>/`), so that
//! the verification that follows judges every version by them, and go reuses them.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::error::OpsError;
use super::pools::Pools;
use crate::cache::cancel::CancelToken;
use crate::cache::entry::Kind;
use crate::cache::goenv::GoEnv;
use crate::cache::{ModCache, ModuleKey};
use crate::fix::sumdb::Database;
use crate::verify::sumdb::{AskDatabase as _, DbAnswer, Verifier};

/// The checksum database GOSUMDB names, to be asked as go would reach it: through the first
/// of `proxies` (GOPROXY's syntax) that relays it, else directly.
pub fn connect(goenv: &GoEnv, proxies: &str) -> Result<Database, OpsError> {
    connect_with(&goenv.gosumdb(), proxies, &SumdbSettings::of(goenv).gopath)
}

fn connect_with(gosumdb: &str, proxies: &str, gopath: &str) -> Result<Database, OpsError> {
    let verifier = Verifier::from_gosumdb(gosumdb)
        .map_err(|e| OpsError::Invalid(format!("--sumdb: GOSUMDB={gosumdb}: {e}")))?
        .ok_or_else(|| {
            OpsError::Invalid("--sumdb: GOSUMDB=off names no checksum database to ask".into())
        })?;
    let go_latest = go_latest(gopath, &verifier);
    Ok(Database::connect(&verifier, gosumdb, proxies, go_latest)?)
}

/// The tree go saw last of the database `verifier` names: `<GOPATH>/pkg/sumdb/<name>/latest`
/// (read only; go keeps it up to date), when it is there and signed by the key.
fn go_latest(gopath: &str, verifier: &Verifier) -> Option<crate::verify::sumdb::SignedTree> {
    let first = gopath.split(':').find(|p| !p.is_empty())?;
    let path = std::path::Path::new(first)
        .join("pkg/sumdb")
        .join(&verifier.name)
        .join("latest");
    let note = crate::cache::read::read_text(&path, crate::cache::read::cap::SUMDB_NOTE).ok()?;
    crate::verify::sumdb::parse_tree_note(&note, std::slice::from_ref(verifier)).ok()
}

/// What asking the database needs of go's settings (plain data, for the explorer to hold).
#[derive(Debug, Clone, Default)]
pub struct SumdbSettings {
    /// GOSUMDB.
    pub gosumdb: String,
    /// GOPROXY.
    pub goproxy: String,
    /// The patterns of the modules the database never hears of: GONOSUMDB, else GOPRIVATE.
    pub private: String,
    /// GOPATH, where go remembers the database's latest tree.
    pub gopath: String,
}

impl SumdbSettings {
    /// The settings of `goenv`.
    pub fn of(goenv: &GoEnv) -> SumdbSettings {
        SumdbSettings {
            gosumdb: goenv.gosumdb(),
            goproxy: goenv.goproxy(),
            private: goenv.sumdb_private_patterns(),
            gopath: goenv.get("GOPATH").unwrap_or_else(|| {
                goenv
                    .process_var("HOME")
                    .map(|h| format!("{}/go", h.to_string_lossy()))
                    .unwrap_or_default()
            }),
        }
    }

    /// Whether go keeps `module_path` away from the database.
    pub fn is_private(&self, module_path: &str) -> bool {
        crate::cache::module::match_prefix_patterns(&self.private, module_path)
    }
}

/// What asking the database about a module cache's versions came to.
#[derive(Debug, Clone, Default)]
pub struct Asked {
    /// The database's name.
    pub database: String,
    /// Where its requests went, or why nowhere.
    pub base: String,
    /// Versions asked about.
    pub asked: usize,
    /// Versions whose proven answer is now in the cache (new ones).
    pub installed: usize,
    /// Versions that already had a cached answer (go's or an earlier run's): not asked.
    pub cached: usize,
    /// Versions private to the database (GONOSUMDB, GOPRIVATE): never asked.
    pub private: usize,
    /// Versions the database could not vouch for, with why (not found, unreachable, unproven).
    pub unanswered: Vec<(ModuleKey, String)>,
    /// Why the proven answers could not be cached (a cache the user cannot write), if so:
    /// the verification then cannot judge by them.
    pub not_cached: Option<String>,
    /// Whether the cancel token stopped the asking (the answers proven so far are cached).
    pub interrupted: bool,
}

/// Asks the database GOSUMDB names about every version of `keys` of `cache` that needs it, on
/// the hashing pool (`progress` hears (done, total)), and installs the proven answers in the
/// cache. `cancel` stops the asking; what was proven until then is still installed.
pub fn ask_for_cache(
    pools: &Pools,
    settings: &SumdbSettings,
    cache: &ModCache,
    keys: &[ModuleKey],
    progress: &(dyn Fn(usize, usize) + Sync),
    cancel: &CancelToken,
) -> Result<Asked, OpsError> {
    let database = connect_with(&settings.gosumdb, &settings.goproxy, &settings.gopath)?;
    let lookups = cache.sumdb_root().join(database.name()).join("lookup");
    let mut asked = Asked {
        database: database.name().to_owned(),
        base: match database.base() {
            Ok(base) => base.to_owned(),
            Err(why) => format!("unreachable: {why}"),
        },
        ..Asked::default()
    };
    let mut wanted = Vec::new();
    for key in keys {
        // golang.org/fips140 comes from GOROOT, never from a proxy or the database.
        if Kind::of_path(&key.path) == Kind::Fips140 {
            continue;
        }
        if settings.is_private(&key.path) {
            asked.private += 1;
        } else if lookups
            .join(format!("{}@{}", key.escaped_path(), key.escaped_version()))
            .exists()
        {
            asked.cached += 1;
        } else {
            wanted.push(key);
        }
    }
    let total = wanted.len();
    let done = AtomicUsize::new(0);
    let answers = pools.hash_map(wanted, |key| {
        if cancel.is_cancelled() {
            return None;
        }
        let answer = database.lookup(key);
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
        Some((key, answer))
    });
    asked.interrupted = cancel.is_cancelled();
    let answers: Vec<_> = answers.into_iter().flatten().collect();
    asked.asked = answers.len();
    let mut proven = Vec::new();
    for (key, (answer, fetched)) in answers {
        match (answer, fetched) {
            (DbAnswer::Proven(_), Some(fetched)) => proven.push(fetched),
            (other, _) => asked
                .unanswered
                .push((key.clone(), other.why_not().unwrap_or_default())),
        }
    }
    match database.install(cache.root(), &proven) {
        Ok(n) => asked.installed = n,
        Err(e) => asked.not_cached = Some(e.to_string()),
    }
    Ok(asked)
}
