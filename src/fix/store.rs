//! Changes to a store a team shares: a version's files moved into a trash beside the store
//! (`<store>.modlens-trash/<run>/`, the same relative paths), one rename per piece and never
//! across a file system, so that a move can be undone by moving back; and `@v/list` rewritten
//! atomically (a new file renamed over it) without the versions that went. Every name is
//! reached through [`Confined`] handles: no link is followed, no mount crossed.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::confined::Confined;
use super::error::{DeleteError, io_err};
use crate::cache::store::{Layout, Piece, Store, StoredVersion};

/// The trash of one run beside a store.
pub struct StoreTrash {
    /// Where this run's pieces go.
    pub dir: PathBuf,
    confined: Confined,
}

/// Creates `<store>.modlens-trash/<run>/` beside `store_root` (the first directory may exist,
/// as a directory of its own, never a link; the run's is created, and must be new).
pub fn open_trash(store_root: &Path, run: &str) -> Result<StoreTrash, DeleteError> {
    let name = store_root
        .file_name()
        .ok_or_else(|| DeleteError::OutsideRoot(store_root.to_path_buf()))?;
    let mut trash_root = store_root.to_path_buf();
    trash_root.set_file_name(format!("{}.modlens-trash", name.to_string_lossy()));
    match std::fs::symlink_metadata(&trash_root) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(DeleteError::Link(trash_root)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(&trash_root)
                .map_err(io_err(&trash_root))?;
        }
        Err(e) => return Err(io_err(&trash_root)(e)),
    }
    let confined = Confined::open(&trash_root)?;
    let dir = trash_root.join(run);
    // Created here, and new: a run never mixes its pieces with another's.
    confined.create_dir_new(&dir, 0o700)?;
    Ok(StoreTrash { dir, confined })
}

/// Moves each of `pieces` (files or a version's directory, inside `store`) to the same place
/// below the trash; returns how many moved. A piece already gone is skipped; one that cannot
/// be moved (another file system, a link on the way) stops the move there with its error.
pub fn move_to_trash(
    store: &Confined,
    trash: &StoreTrash,
    pieces: &[PathBuf],
) -> Result<usize, DeleteError> {
    let mut moved = 0;
    for piece in pieces {
        let rel = piece
            .strip_prefix(store.root())
            .map_err(|_| DeleteError::OutsideRoot(piece.clone()))?;
        match store.move_to(piece, &trash.confined, &trash.dir.join(rel)) {
            Ok(()) => moved += 1,
            // Gone already: nothing to move.
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(moved)
}

/// Rewrites the `@v/list` at `list` without `gone` versions: the new text goes to a new file
/// beside it, renamed over it, so that a reader sees the old list or the new one. A missing
/// list stays missing.
pub fn drop_from_list(store: &Confined, list: &Path, gone: &[String]) -> Result<(), DeleteError> {
    let text = match crate::cache::read::read_text(list, 16 << 20) {
        Ok(text) => text,
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(io_err(list)(std::io::Error::other(e.to_string()))),
    };
    let kept: String = text
        .lines()
        .filter(|l| !gone.iter().any(|g| g == l.trim()))
        .map(|l| format!("{l}\n"))
        .collect();
    if kept.len() == text.len() {
        return Ok(());
    }
    let tmp = list.with_file_name(format!("list.modlens-{}", std::process::id()));
    let mut file = store.create_new(&tmp, 0o644)?;
    file.write_all(kept.as_bytes()).map_err(io_err(&tmp))?;
    file.sync_all().map_err(io_err(&tmp))?;
    store.rename(&tmp, list)
}

/// What a store clean did.
#[derive(Debug, Default, serde::Serialize)]
pub struct StoreCleaned {
    /// Where the moved versions are, for undo.
    pub trash: Option<PathBuf>,
    /// The versions moved out (`path@version`).
    pub moved: Vec<String>,
    /// The versions that could not be moved, with why.
    pub failed: Vec<(String, String)>,
}

/// Moves `versions` out of `store` into its trash for run `run` (Athens: the version's
/// directory; go's layout: its `.info`, `.mod` and `.zip`, then its line of `@v/list`).
pub fn move_versions(
    store: &Store,
    versions: &[&StoredVersion],
    run: &str,
) -> Result<StoreCleaned, DeleteError> {
    let mut cleaned = StoreCleaned::default();
    if versions.is_empty() {
        return Ok(cleaned);
    }
    let confined = Confined::open(&store.root)?;
    let trash = open_trash(&store.root, run)?;
    cleaned.trash = Some(trash.dir.clone());
    for v in versions {
        let pieces: Vec<PathBuf> = match store.layout {
            Layout::Athens => vec![store.version_dir(v)],
            Layout::GoProxy => [Piece::Info, Piece::GoMod, Piece::Zip]
                .into_iter()
                .filter_map(|p| store.piece(v, p))
                .collect(),
        };
        let moved = move_to_trash(&confined, &trash, &pieces).and_then(|_| {
            if store.layout != Layout::GoProxy {
                return Ok(());
            }
            let list = store
                .root
                .join(v.key.escaped_path())
                .join("@v")
                .join("list");
            drop_from_list(&confined, &list, std::slice::from_ref(&v.key.version))
        });
        match moved {
            Ok(()) => cleaned.moved.push(v.key.to_string()),
            Err(e) => cleaned.failed.push((v.key.to_string(), e.to_string())),
        }
    }
    Ok(cleaned)
}
