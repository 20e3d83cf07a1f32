//! Access times that modlens itself moved, so that a version never looks used because
//! modlens read it.
//!
//! "Last used" is the access time of `<v>.mod`. Reads open files with `O_NOATIME`, which the
//! kernel grants only to a file's owner; a user who does not own the cache reads with a plain
//! open, and the kernel may then move the access time (with `relatime`: when it is not newer
//! than the modification time, or a day old). Each such read of a `.mod` is noted here with
//! the time before and after; the state database keeps the notes, and a later scan that finds
//! the time modlens caused shows the time before it instead.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

/// One access time that a read by modlens moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    /// The access time before the read.
    pub before: SystemTime,
    /// The access time the read left.
    pub after: SystemTime,
}

/// Notes kept at most: beyond it, new paths are not noted (a bound on hostile caches).
const MAX_NOTES: usize = 1 << 20;

static NOTES: Mutex<BTreeMap<PathBuf, Moved>> = Mutex::new(BTreeMap::new());

/// Notes that reading `path` moved its access time; only `.mod` files matter. A second move
/// of the same file keeps the time before the first.
pub fn note(path: &Path, moved: Moved) {
    if moved.before == moved.after || path.extension().is_none_or(|e| e != "mod") {
        return;
    }
    let Ok(mut notes) = NOTES.lock() else {
        return;
    };
    if let Some(earlier) = notes.get_mut(path) {
        *earlier = merge(*earlier, moved);
    } else if notes.len() < MAX_NOTES {
        notes.insert(path.to_path_buf(), moved);
    }
}

/// `later` after `earlier`: when `later` started from the time `earlier` left, the time
/// before both; else `later` alone (someone else read the file in between).
pub fn merge(earlier: Moved, later: Moved) -> Moved {
    if later.before == earlier.after {
        Moved {
            before: earlier.before,
            after: later.after,
        }
    } else {
        later
    }
}

/// Takes the notes made so far (for the state database).
pub fn take() -> Vec<(PathBuf, Moved)> {
    NOTES
        .lock()
        .map(|mut n| std::mem::take(&mut *n).into_iter().collect())
        .unwrap_or_default()
}

/// The notes made so far, by path, without taking them.
pub fn current() -> HashMap<PathBuf, Moved> {
    NOTES
        .lock()
        .map(|n| n.iter().map(|(p, m)| (p.clone(), *m)).collect())
        .unwrap_or_default()
}

/// The last-use time to show for a `.mod` whose access time is `atime`: the time before
/// modlens's read when `atime` is exactly the time that read left, else `atime`.
pub fn undo(atime: Option<SystemTime>, moved: Option<&Moved>) -> Option<SystemTime> {
    match (atime, moved) {
        (Some(t), Some(m)) if t == m.after => Some(m.before),
        _ => atime,
    }
}
