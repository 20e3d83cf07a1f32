//! Reading the state database back: recorded scans, module sizes at a time, and runs.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{OptionalExtension, params};

use super::{RunRecord, ScanRecord, State, StateError};

impl State {
    /// The runs recorded for the cache at `root` since `from`, oldest first.
    pub fn runs(&self, root: &Path, from: i64) -> Result<Vec<RunRecord>, StateError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT at, command, receipt FROM runs WHERE cache = ?1 AND at >= ?2 ORDER BY at, id",
            )
            .map_err(self.sqlite())?;
        let rows = stmt
            .query_map(params![root.to_string_lossy(), from], |r| {
                let receipt: String = r.get(2)?;
                Ok(RunRecord {
                    at: r.get(0)?,
                    command: r.get(1)?,
                    receipt: serde_json::from_str(&receipt).unwrap_or(serde_json::Value::Null),
                })
            })
            .map_err(self.sqlite())?;
        rows.collect::<Result<_, _>>().map_err(self.sqlite())
    }

    /// Every recorded scan of the cache at `root`, oldest first.
    pub fn scans(&self, root: &Path) -> Result<Vec<ScanRecord>, StateError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT at, disk, versions, modules, trash FROM scans WHERE cache = ?1
                 ORDER BY at, id",
            )
            .map_err(self.sqlite())?;
        let rows = stmt
            .query_map(params![root.to_string_lossy()], |r| {
                Ok(ScanRecord {
                    at: r.get(0)?,
                    disk: r.get::<_, i64>(1)? as u64,
                    versions: r.get::<_, i64>(2)? as u64,
                    modules: r.get::<_, i64>(3)? as u64,
                    trash: r.get::<_, i64>(4)? as u64,
                })
            })
            .map_err(self.sqlite())?;
        rows.collect::<Result<_, _>>().map_err(self.sqlite())
    }

    /// Each module's size as last recorded at or before `at` (seconds since the epoch).
    pub fn module_sizes_at(
        &self,
        root: &Path,
        at: i64,
    ) -> Result<BTreeMap<String, u64>, StateError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT path, disk FROM module_sizes m WHERE cache = ?1 AND at = (
                     SELECT MAX(at) FROM module_sizes WHERE cache = ?1 AND path = m.path AND at <= ?2)",
            )
            .map_err(self.sqlite())?;
        let rows = stmt
            .query_map(params![root.to_string_lossy(), at], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(self.sqlite())?;
        rows.collect::<Result<_, _>>().map_err(self.sqlite())
    }

    /// The total on disk recorded last at or before `at`, if any.
    pub fn total_at(&self, root: &Path, at: i64) -> Result<Option<u64>, StateError> {
        let conn = self.lock();
        conn.query_row(
            "SELECT disk FROM scans WHERE cache = ?1 AND at <= ?2 ORDER BY at DESC, id DESC LIMIT 1",
            params![root.to_string_lossy(), at],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map(|d| d.map(|d| d as u64))
        .map_err(self.sqlite())
    }

    /// Keeps `entries` as the last snapshot of the cache at `root`.
    pub fn save_snapshot(
        &self,
        root: &Path,
        at: std::time::SystemTime,
        entries: &[crate::cache::ModuleEntry],
    ) -> Result<(), StateError> {
        let encoded = super::encode(entries);
        let conn = self.lock();
        conn.execute(
            "INSERT INTO snapshots (cache, at, entries) VALUES (?1, ?2, ?3)
             ON CONFLICT (cache) DO UPDATE SET at = excluded.at, entries = excluded.entries",
            params![root.to_string_lossy(), super::unix(at), encoded],
        )
        .map(|_| ())
        .map_err(self.sqlite())
    }

    /// The last snapshot of the cache at `root`, if one was kept and still reads.
    pub fn load_snapshot(
        &self,
        root: &Path,
    ) -> Result<Option<Vec<crate::cache::ModuleEntry>>, StateError> {
        let stored: Option<rusqlite::types::Value> = self
            .lock()
            .query_row(
                "SELECT entries FROM snapshots WHERE cache = ?1",
                params![root.to_string_lossy()],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sqlite())?;
        // Parsed without the lock, so that other readers go on meanwhile.
        Ok(stored.and_then(super::decode))
    }
}
