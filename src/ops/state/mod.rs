//! modlens's own memory: an SQLite database (`$XDG_STATE_HOME/modlens/state.db`, never inside
//! a module cache) that records each scan's totals and the module sizes that changed, so that
//! `modlens history` and the explorer's header can say how a cache grows; what each run that
//! changed the cache did; and verdicts with the digest of everything they were computed from,
//! so that an unchanged version is not hashed again.
//!
//! Several modlens processes may use it at once (WAL, a busy timeout). The schema is
//! versioned (`PRAGMA user_version`) and migrated forward on open. A database that is corrupt,
//! locked for too long or unwritable is a warning for the caller, never a failed command and
//! never a changed verdict: modlens then runs without it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, params};

use crate::cache::Snapshot;

/// The schema this build writes.
pub const SCHEMA_VERSION: i64 = STEPS.len() as i64;

mod atimes;
mod place;

pub use atimes::undo_moved_atimes;
pub use place::default_path;
mod query;
mod stores;
mod verdicts;

pub use stores::StoreMemory;
pub use verdicts::{Memory, Remembered};

/// Why the state database cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// SQLite failed (corrupt file, locked, read-only, disk full...).
    #[error("state database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The file would be inside the module cache, which holds only what go writes.
    #[error(
        "state database {path} would be inside the module cache {cache}; choose another --state"
    )]
    InsideCache {
        /// The database file.
        path: PathBuf,
        /// The cache.
        cache: PathBuf,
    },
    /// The file or one of SQLite's files beside it is a link or not a regular file.
    #[error("state database {path}: not a regular file (modlens never writes through links)")]
    NotRegular {
        /// The file concerned.
        path: PathBuf,
    },
    /// Its directory cannot be created.
    #[error("state database {path}: {source}")]
    Io {
        /// The database file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Written by a newer modlens.
    #[error("state database {path} has schema {found}, newer than this modlens ({SCHEMA_VERSION})")]
    Newer {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
    },
}

impl StateError {
    /// Whether the path itself is one modlens must never use (inside the cache, a link): a bad
    /// setting rather than a database that failed.
    pub fn is_forbidden_place(&self) -> bool {
        matches!(
            self,
            StateError::InsideCache { .. } | StateError::NotRegular { .. }
        )
    }
}

/// A scan's totals, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanTotals {
    /// Bytes on disk of the whole cache.
    pub disk: u64,
    /// Module versions.
    pub versions: u64,
    /// Bytes on disk of the trash (counted in `disk` too).
    pub trash: u64,
}

/// One recorded scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ScanRecord {
    /// When (seconds since the Unix epoch).
    pub at: i64,
    /// Bytes on disk.
    pub disk: u64,
    /// Module versions.
    pub versions: u64,
    /// Module paths.
    pub modules: u64,
    /// Bytes on disk of the trash (counted in `disk` too).
    pub trash: u64,
}

/// What a command that changed the cache did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunRecord {
    /// When (seconds since the Unix epoch).
    pub at: i64,
    /// `clean`, `refetch`, `doctor --fix`, `explain --fix`.
    pub command: String,
    /// Its JSON report.
    pub receipt: serde_json::Value,
}

/// The open database.
pub struct State {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State").field("path", &self.path).finish()
    }
}

impl State {
    /// Opens (creating and migrating) the database at `path` for use with the cache at
    /// `cache_root`.
    pub fn open(path: &Path, cache_root: &Path) -> Result<State, StateError> {
        place::prepare_place(path, cache_root)?;
        // Two processes creating the same new database can deadlock in SQLite's locking (it
        // then answers "busy" at once rather than waiting): start over a few times.
        let mut attempt = 0;
        let conn = loop {
            match prepare(path) {
                Ok(conn) => break conn,
                Err(StateError::Sqlite { source, .. }) if is_busy(&source) && attempt < 20 => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(25 * attempt));
                }
                Err(e) => return Err(e),
            }
        };
        Ok(State {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection; a poisoned lock only means another thread panicked mid-call, and
    /// SQLite's own transactions kept the file consistent.
    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn sqlite(&self) -> impl Fn(rusqlite::Error) -> StateError + '_ {
        |source| StateError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Records a scan of the cache at `root`: its totals, and the module sizes that changed
    /// since the last recorded scan (a module gone is recorded as 0).
    pub fn record_scan(
        &self,
        root: &Path,
        at: SystemTime,
        snapshot: &Snapshot,
    ) -> Result<(), StateError> {
        let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
        for e in &snapshot.entries {
            *sizes.entry(e.key.path.clone()).or_default() += e.usage().disk;
        }
        let totals = ScanTotals {
            disk: snapshot.total().disk,
            versions: snapshot.entries.len() as u64,
            trash: snapshot.trash.disk,
        };
        self.record(root, at, totals, &sizes)
    }

    /// Records a scan from its totals and each module path's bytes on disk.
    pub fn record(
        &self,
        root: &Path,
        at: SystemTime,
        totals: ScanTotals,
        sizes: &BTreeMap<String, u64>,
    ) -> Result<(), StateError> {
        let root = root.to_string_lossy();
        let at = unix(at);
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(self.sqlite())?;
        tx.execute(
            "INSERT INTO scans (cache, at, disk, versions, modules, trash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                root,
                at,
                totals.disk as i64,
                totals.versions as i64,
                sizes.len() as i64,
                totals.trash as i64
            ],
        )
        .map_err(self.sqlite())?;
        let last: BTreeMap<String, i64> = {
            let mut stmt = tx
                .prepare("SELECT path, disk FROM module_last WHERE cache = ?1")
                .map_err(self.sqlite())?;
            let rows = stmt
                .query_map(params![root], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(self.sqlite())?;
            rows.collect::<Result<_, _>>().map_err(self.sqlite())?
        };
        let changed = sizes
            .iter()
            .map(|(p, d)| (p.clone(), *d as i64))
            .filter(|(p, d)| last.get(p) != Some(d))
            .chain(
                last.iter()
                    .filter(|(p, d)| **d != 0 && !sizes.contains_key(p.as_str()))
                    .map(|(p, _)| (p.clone(), 0)),
            )
            .collect::<Vec<_>>();
        for (path, disk) in changed {
            tx.execute(
                "INSERT INTO module_sizes (cache, at, path, disk) VALUES (?1, ?2, ?3, ?4)",
                params![root, at, path, disk],
            )
            .map_err(self.sqlite())?;
            tx.execute(
                "INSERT INTO module_last (cache, path, disk) VALUES (?1, ?2, ?3)
                 ON CONFLICT (cache, path) DO UPDATE SET disk = excluded.disk",
                params![root, path, disk],
            )
            .map_err(self.sqlite())?;
        }
        tx.commit().map_err(self.sqlite())
    }

    /// Records what a command that changed the cache did (`receipt` is its JSON report).
    pub fn record_run(
        &self,
        root: &Path,
        at: SystemTime,
        command: &str,
        receipt: &serde_json::Value,
    ) -> Result<(), StateError> {
        let conn = self.lock();
        conn.execute(
            "INSERT INTO runs (cache, at, command, receipt) VALUES (?1, ?2, ?3, ?4)",
            params![
                root.to_string_lossy(),
                unix(at),
                command,
                receipt.to_string()
            ],
        )
        .map(|_| ())
        .map_err(self.sqlite())
    }
}

/// Opens the file, sets WAL and the busy timeout, and migrates the schema.
fn prepare(path: &Path) -> Result<Connection, StateError> {
    let sqlite = |source| StateError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    use rusqlite::OpenFlags;
    // NOFOLLOW: SQLite refuses a database path that is a link, even one made after the check.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NOFOLLOW;
    let conn = Connection::open_with_flags(path, flags).map_err(sqlite)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(sqlite)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(sqlite)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(sqlite)?;
    migrate(&conn).map_err(|e| match e {
        Migration::Sqlite(source) => sqlite(source),
        Migration::Newer(found) => StateError::Newer {
            path: path.to_path_buf(),
            found,
        },
    })?;
    Ok(conn)
}

/// Encodes what the database keeps of a snapshot or a verdict: postcard, a compact binary form
/// that reads several times faster than JSON (the explorer's first frame waits for it).
fn encode<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).unwrap_or_default()
}

/// Decodes a stored snapshot or verdict: postcard, or the JSON text that schema 5 and before
/// wrote. Anything that does not decode is forgotten, never an error.
fn decode<T: serde::de::DeserializeOwned>(stored: rusqlite::types::Value) -> Option<T> {
    match stored {
        rusqlite::types::Value::Blob(bytes) => postcard::from_bytes(&bytes).ok(),
        rusqlite::types::Value::Text(text) => serde_json::from_str(&text).ok(),
        _ => None,
    }
}

/// The schema, one step per version: step `i` takes a database from version `i` to `i + 1`.
const STEPS: [&str; 8] = [
    // 1: scans and module sizes, for history.
    "CREATE TABLE scans (
         id INTEGER PRIMARY KEY, cache TEXT NOT NULL, at INTEGER NOT NULL,
         disk INTEGER NOT NULL, versions INTEGER NOT NULL, modules INTEGER NOT NULL);
     CREATE INDEX scans_by_cache ON scans (cache, at);
     CREATE TABLE module_sizes (
         cache TEXT NOT NULL, at INTEGER NOT NULL, path TEXT NOT NULL, disk INTEGER NOT NULL);
     CREATE INDEX module_sizes_by_path ON module_sizes (cache, path, at);
     CREATE TABLE module_last (
         cache TEXT NOT NULL, path TEXT NOT NULL, disk INTEGER NOT NULL,
         PRIMARY KEY (cache, path));",
    // 2: what each clean, repair and doctor run did.
    "CREATE TABLE runs (
         id INTEGER PRIMARY KEY, cache TEXT NOT NULL, at INTEGER NOT NULL,
         command TEXT NOT NULL, receipt TEXT NOT NULL);
     CREATE INDEX runs_by_cache ON runs (cache, at);",
    // 3: verdicts, with the digest of everything they were computed from.
    "CREATE TABLE verdicts (
         cache TEXT NOT NULL, path TEXT NOT NULL, version TEXT NOT NULL,
         digest BLOB NOT NULL, hashed_at INTEGER NOT NULL, verdict TEXT NOT NULL,
         PRIMARY KEY (cache, path, version));",
    // 4: the explorer's last snapshot, to open with.
    "CREATE TABLE snapshots (
         cache TEXT PRIMARY KEY, at INTEGER NOT NULL, entries TEXT NOT NULL);",
    // 5: the trash's size at each scan (part of `disk`).
    "ALTER TABLE scans ADD COLUMN trash INTEGER NOT NULL DEFAULT 0;",
    // 6: verdicts kept in key order (one cache's verdicts are read at once by the explorer's
    // first frame), as postcard blobs from now on (JSON text still reads).
    "CREATE TABLE verdicts_by_key (
         cache TEXT NOT NULL, path TEXT NOT NULL, version TEXT NOT NULL,
         digest BLOB NOT NULL, hashed_at INTEGER NOT NULL, verdict BLOB NOT NULL,
         PRIMARY KEY (cache, path, version)) WITHOUT ROWID;
     INSERT INTO verdicts_by_key SELECT cache, path, version, digest, hashed_at, verdict
         FROM verdicts;
     DROP TABLE verdicts;
     ALTER TABLE verdicts_by_key RENAME TO verdicts;",
    // 7: the access times of `.mod` files that modlens's own reads moved (path relative to
    // the cache, as bytes; times in nanoseconds).
    "CREATE TABLE moved_atimes (
         cache TEXT NOT NULL, path BLOB NOT NULL, before_ns INTEGER NOT NULL,
         after_ns INTEGER NOT NULL, PRIMARY KEY (cache, path)) WITHOUT ROWID;",
    // 8: verdicts on the versions of shared stores, with the digest of what they rest on.
    "CREATE TABLE store_verdicts (
         store TEXT NOT NULL, path TEXT NOT NULL, version TEXT NOT NULL,
         digest BLOB NOT NULL, judged_at INTEGER NOT NULL, verdict BLOB NOT NULL,
         PRIMARY KEY (store, path, version)) WITHOUT ROWID;",
];

/// Whether SQLite said another connection holds the lock.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Seconds since the Unix epoch.
pub fn unix(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

enum Migration {
    Sqlite(rusqlite::Error),
    Newer(i64),
}

/// Brings the schema up to [`SCHEMA_VERSION`], one step per version, all in one write
/// transaction: another modlens opening the same new file at the same moment waits for it
/// (the busy timeout), then finds the schema current.
fn migrate(conn: &Connection) -> Result<(), Migration> {
    let version = || -> Result<i64, Migration> {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(Migration::Sqlite)
    };
    if version()? == SCHEMA_VERSION {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(Migration::Sqlite)?;
    let result = migrate_locked(conn, version()?);
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    conn.execute_batch(end).map_err(Migration::Sqlite)?;
    result
}

fn migrate_locked(conn: &Connection, version: i64) -> Result<(), Migration> {
    if version > SCHEMA_VERSION {
        return Err(Migration::Newer(version));
    }
    for (i, sql) in STEPS
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        let next = i as i64 + 1;
        conn.execute_batch(&format!("{sql} PRAGMA user_version = {next};"))
            .map_err(Migration::Sqlite)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_of_the_previous_schema_is_migrated_and_keeps_its_history() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = dir.path().join("cache");
        std::fs::create_dir_all(&cache).expect("cache");
        let path = dir.path().join("state.db");
        // Schema 1, as the previous modlens wrote it, with one recorded scan.
        let conn = Connection::open(&path).expect("create");
        conn.execute_batch(&format!("{} PRAGMA user_version = 1;", STEPS[0]))
            .expect("schema 1");
        conn.execute(
            "INSERT INTO scans (cache, at, disk, versions, modules) VALUES (?1, 10, 4096, 1, 1)",
            params![cache.to_string_lossy()],
        )
        .expect("a scan");
        drop(conn);
        let state = State::open(&path, &cache).expect("migrated");
        assert_eq!(state.scans(&cache).expect("scans").len(), 1, "history kept");
        state
            .record_run(
                &cache,
                crate::cache::clock::now(),
                "clean",
                &serde_json::json!({"removed": 1}),
            )
            .expect("the new table");
        assert_eq!(state.runs(&cache, 0).expect("runs")[0].command, "clean");
    }

    #[test]
    fn a_newer_schema_is_refused_and_a_corrupt_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = dir.path().join("cache");
        std::fs::create_dir_all(&cache).expect("cache");
        let path = dir.path().join("state").join("state.db");
        let state = State::open(&path, &cache).expect("open");
        drop(state);
        let conn = Connection::open(&path).expect("reopen");
        conn.pragma_update(None, "user_version", 99).expect("bump");
        drop(conn);
        assert!(matches!(
            State::open(&path, &cache),
            Err(StateError::Newer { found: 99, .. })
        ));
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, vec![0x5a; 8192]).expect("junk");
        assert!(State::open(&junk, &cache).is_err());
        let inside = cache.join("state.db");
        assert!(matches!(
            State::open(&inside, &cache),
            Err(StateError::InsideCache { .. })
        ));
    }
}
