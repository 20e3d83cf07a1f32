//! The access times modlens moved by reading a cache it does not own ([`crate::cache::atimes`]),
//! kept across runs, and their undoing in a scan's entries.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rusqlite::params;

use super::{State, StateError};
use crate::cache::atimes::{Moved, merge, undo};
use crate::cache::{ModCache, ModuleEntry, VersionFile};

/// Nanoseconds since the Unix epoch (0 before it).
fn nanos(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn time(nanos: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_nanos(u64::try_from(nanos).unwrap_or(0))
}

impl State {
    /// Keeps `notes` (absolute paths inside the cache at `root`), merged with what is kept.
    pub fn record_moved_atimes(
        &self,
        root: &Path,
        notes: &[(PathBuf, Moved)],
    ) -> Result<(), StateError> {
        if notes.is_empty() {
            return Ok(());
        }
        let known = self.moved_atimes(root)?;
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(self.sqlite())?;
        for (path, moved) in notes {
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let moved = known.get(path).map_or(*moved, |k| merge(*k, *moved));
            tx.execute(
                "INSERT INTO moved_atimes (cache, path, before_ns, after_ns)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (cache, path) DO UPDATE
                 SET before_ns = excluded.before_ns, after_ns = excluded.after_ns",
                params![
                    root.to_string_lossy(),
                    rel.as_os_str().as_encoded_bytes(),
                    nanos(moved.before),
                    nanos(moved.after)
                ],
            )
            .map_err(self.sqlite())?;
        }
        tx.commit().map_err(self.sqlite())
    }

    /// The access times kept for the cache at `root`, by absolute path.
    pub fn moved_atimes(&self, root: &Path) -> Result<HashMap<PathBuf, Moved>, StateError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT path, before_ns, after_ns FROM moved_atimes WHERE cache = ?1")
            .map_err(self.sqlite())?;
        let rows = stmt
            .query_map(params![root.to_string_lossy()], |r| {
                let rel: Vec<u8> = r.get(0)?;
                Ok((rel, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
            })
            .map_err(self.sqlite())?;
        let mut out = HashMap::new();
        for row in rows {
            let (rel, before, after) = row.map_err(self.sqlite())?;
            use std::os::unix::ffi::OsStrExt;
            let rel = Path::new(std::ffi::OsStr::from_bytes(&rel));
            let moved = Moved {
                before: time(before),
                after: time(after),
            };
            out.insert(root.join(rel), moved);
        }
        Ok(out)
    }
}

/// Shows, as each version's last use, the access time its `.mod` had before modlens moved it
/// (`moved` says by how much, by path), wherever the time on disk is still the one modlens
/// left.
pub fn undo_moved_atimes(
    cache: &ModCache,
    entries: &mut [ModuleEntry],
    moved: impl Fn(&Path) -> Option<Moved>,
) {
    for e in entries {
        let path = cache.version_file(&e.key, VersionFile::Mod);
        e.last_used = undo(e.last_used, moved(&path).as_ref());
    }
}
