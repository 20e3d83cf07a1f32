//! Private temp directories: `$TMPDIR/modlens-<what>-<random>`, an unpredictable name created
//! exclusively (never an existing directory or link), with mode 0700 whatever the umask, so
//! that another user of a shared temp dir can neither predict, prepare nor read into it. The
//! `tempfile` crate gives the name and the exclusive creation; its default mode follows the
//! umask (0755 under the usual 022), hence the explicit mode.
//!
//! A process killed with SIGKILL cannot remove its directory. So each one holds a flock on a
//! file inside (`.modlens-alive`) for as long as it lives, which the kernel drops when the
//! process dies; the first private directory a later modlens makes first removes the
//! directories of the same user whose lock nobody holds. A directory of another user, one
//! without that file, or one not made as modlens makes them is never touched.

use std::fs::File;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The file whose lock says the directory's process is alive.
const ALIVE: &str = ".modlens-alive";

/// The most entries of the temp dir looked at for dead directories (a build server's /tmp
/// may hold millions).
const MAX_SWEPT: usize = 100_000;

/// How old the lock file of a directory must be before an unheld lock means a dead process:
/// between creating it and locking it, a living process holds no lock for a moment.
const MIN_AGE: std::time::Duration = std::time::Duration::from_secs(10);

/// A private temp directory, removed when dropped.
#[derive(Debug)]
pub struct PrivateDir {
    dir: tempfile::TempDir,
    alive: File,
}

impl PrivateDir {
    /// Its path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Keeps the directory when dropped (the caller removes it); while the returned file is
    /// open, the directory is still known to be in use.
    pub fn keep(self) -> (PathBuf, File) {
        (self.dir.keep(), self.alive)
    }
}

/// Creates `$TMPDIR/modlens-<what>-<random>`, removed when the handle is dropped. The first
/// call of a process removes what killed modlens processes left.
pub fn private_temp_dir(what: &str) -> std::io::Result<PrivateDir> {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        sweep(&std::env::temp_dir());
    });
    let dir = tempfile::Builder::new()
        .prefix(&format!("modlens-{what}-"))
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()?;
    let alive = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(dir.path().join(ALIVE))?;
    alive.lock()?;
    Ok(PrivateDir { dir, alive })
}

/// Removes the private directories in `tmp` that a dead modlens process of this user left
/// (see the module's doc); returns how many.
pub fn sweep(tmp: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return 0;
    };
    let user = rustix::process::geteuid().as_raw();
    let mut removed = 0;
    for entry in entries.take(MAX_SWEPT).flatten() {
        if !entry.file_name().to_string_lossy().starts_with("modlens-") {
            continue;
        }
        let path = entry.path();
        let ours = std::fs::symlink_metadata(&path)
            .is_ok_and(|m| m.file_type().is_dir() && m.uid() == user && m.mode() & 0o7777 == 0o700);
        if !ours {
            continue;
        }
        let alive = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(path.join(ALIVE));
        // Held while removing, so that two sweeping processes never work on the same one.
        // A young file may be one whose process has not locked it yet.
        if let Ok(alive) = alive
            && alive
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age >= MIN_AGE))
            && alive.try_lock().is_ok()
            && crate::fix::delete::remove_path(tmp, &path).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_dir_is_0700_whatever_the_umask() {
        // (Under the usual umask 022, tempfile's own default would be 0755.)
        let dir = private_temp_dir("test").unwrap();
        let mode = std::fs::symlink_metadata(dir.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o700);
        assert!(
            dir.path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("modlens-test-")
        );
    }

    #[test]
    fn only_directories_whose_process_died_are_swept() {
        let tmp = tempfile::tempdir().unwrap();
        let make = |name: &str, mode: u32, alive: bool| {
            let dir = tmp.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            std::fs::create_dir(dir.join("ro")).unwrap();
            std::fs::write(dir.join("ro/file"), "x").unwrap();
            std::fs::set_permissions(dir.join("ro"), std::fs::Permissions::from_mode(0o555))
                .unwrap();
            if alive {
                let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
                File::create(dir.join(ALIVE))
                    .unwrap()
                    .set_modified(old)
                    .unwrap();
            }
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
            dir
        };
        let dead = make("modlens-diff-dead", 0o700, true);
        let living = make("modlens-diff-living", 0o700, true);
        let unmarked = make("modlens-diff-unmarked", 0o700, false);
        let shared = make("modlens-diff-shared", 0o755, true);
        let other = make("other-dead", 0o700, true);
        let young = make("modlens-diff-young", 0o700, false);
        File::create(young.join(ALIVE)).unwrap();
        let link = tmp.path().join("modlens-link");
        std::os::unix::fs::symlink(&dead, &link).unwrap();
        // A lock held through another open file, as a living process holds it.
        let held = File::open(living.join(ALIVE)).unwrap();
        held.lock().unwrap();
        assert_eq!(sweep(tmp.path()), 1);
        assert!(!dead.exists());
        for kept in [&living, &unmarked, &shared, &other, &young] {
            assert!(kept.join("ro/file").exists(), "{}", kept.display());
        }
        assert!(std::fs::symlink_metadata(&link).is_ok());
        drop(held);
        assert_eq!(sweep(tmp.path()), 1, "its process ended");
        assert!(!living.exists());
    }
}
