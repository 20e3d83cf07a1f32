//! The checksum database online (`--sumdb`): reached as go reaches it, and, for a module
//! cache, asked about every cached version that is not private and has no cached answer yet.
//! Proven answers are installed where go caches them (`cache/download/sumdb/<name>/`), so that
//! the verification that follows judges every version by them, and go reuses them.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::engine::Engine;
use super::error::OpsError;
use crate::cache::ModuleKey;
use crate::cache::entry::Kind;
use crate::cache::goenv::GoEnv;
use crate::fix::sumdb::Database;
use crate::verify::sumdb::{AskDatabase as _, DbAnswer, Verifier};

/// The checksum database GOSUMDB names, to be asked as go would reach it: through the first
/// of `proxies` (GOPROXY's syntax) that relays it, else directly.
pub fn connect(goenv: &GoEnv, proxies: &str) -> Result<Database, OpsError> {
    let gosumdb = goenv.gosumdb();
    let verifier = Verifier::from_gosumdb(&gosumdb)
        .map_err(|e| OpsError::Invalid(format!("--sumdb: GOSUMDB={gosumdb}: {e}")))?
        .ok_or_else(|| {
            OpsError::Invalid("--sumdb: GOSUMDB=off names no checksum database to ask".into())
        })?;
    Ok(Database::connect(&verifier, &gosumdb, proxies)?)
}

/// What asking the database about a module cache's versions came to.
#[derive(Debug, Default, serde::Serialize)]
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
}

/// Asks the database GOSUMDB names about every version of `keys` that needs it, on the hashing
/// pool (`progress` hears (done, total)), and installs the proven answers in the cache.
pub fn ask_for_cache(
    engine: &Engine,
    keys: &[ModuleKey],
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Asked, OpsError> {
    let database = connect(&engine.goenv, &engine.goenv.goproxy())?;
    let cache = engine.cache();
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
        if engine.goenv.private_to_sumdb(&key.path) {
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
    let answers = engine.pools.hash_map(wanted, |key| {
        let answer = database.lookup(key);
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
        (key, answer)
    });
    asked.asked = total;
    let mut proven = Vec::new();
    for (key, (answer, fetched)) in answers {
        match (answer, fetched) {
            (DbAnswer::Proven(_), Some(fetched)) => proven.push(fetched),
            (other, _) => asked
                .unanswered
                .push((key.clone(), other.why_not().unwrap_or_default())),
        }
    }
    asked.installed = database.install(&engine.located.root, &proven)?;
    Ok(asked)
}
