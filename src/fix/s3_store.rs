//! A store in a bucket, mirrored for judging and cleaned by copy-then-delete.
//!
//! Three key layouts are read: Athens on S3, GCS or Azure (`<module>/@v/<version>.{info,mod,
//! zip}`, the module path as is), goproxy's S3 cacher (the request paths: the same shape,
//! case-escaped) and Athens on MinIO (`<module>/<version>/{go.mod,source.zip,<version>.info}`,
//! where `parts/` objects below a version are an interrupted upload). The objects are streamed,
//! under go's size caps, into a private scratch directory in go's proxy layout (or Athens' disk
//! layout), which is then judged as any directory store; only the versions whose verdict is
//! not remembered for the same objects (key, size, ETag) are downloaded. `proxy clean --yes` copies every
//! object of a version proven wrong to a trash prefix beside the store, deletes the originals
//! only once every copy is made, and rewrites the module's `@v/list` object without it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::error::FixError;
use super::mirror::Mirror;
use super::s3::{Bucket, Object};
use super::store::StoreCleaned;
use crate::cache::ModuleKey;
use crate::cache::cancel::CancelToken;
use crate::cache::module::{check_path, escape, unescape};
use crate::cache::semver::canonical;
use crate::cache::store::{Layout, Store};

/// go's limits (`modfetch`): a module zip, and every other file.
const MAX_ZIP: u64 = 500 << 20;
const MAX_OTHER: u64 = 16 << 20;

/// A bucket store, mirrored.
pub struct BucketMirror {
    /// The mirror (a scratch directory judged as a store).
    pub mirror: Mirror,
    /// Every version's objects in the bucket, for cleaning.
    pub objects: BTreeMap<ModuleKey, Vec<Object>>,
    /// Each module's `@v/list` object, by module path.
    pub lists: BTreeMap<String, String>,
    /// Versions with leftover `parts/` objects (an interrupted MinIO upload).
    pub interrupted: Vec<ModuleKey>,
    /// Objects too large for go to accept, by version: never downloaded.
    pub oversized: Vec<(ModuleKey, String)>,
}

/// Where one object belongs.
enum Place {
    /// A piece of a version: its file name in the mirror.
    Piece(ModuleKey, String),
    /// A module's `@v/list`.
    List(String),
    /// A leftover of an interrupted upload.
    Part(ModuleKey),
}

/// The module path a key's path part names: as is, or case-escaped (goproxy).
fn module_path(raw: &str) -> Option<String> {
    let path = if raw.contains('!') {
        unescape(raw)?
    } else {
        raw.to_owned()
    };
    check_path(&path).ok().map(|()| path)
}

fn version(raw: &str) -> Option<String> {
    let v = if raw.contains('!') {
        unescape(raw)?
    } else {
        raw.to_owned()
    };
    (canonical(&v).as_deref() == Some(v.as_str())).then_some(v)
}

/// Where `key` belongs in `layout`.
fn place(layout: Layout, key: &str) -> Option<Place> {
    match layout {
        Layout::GoProxy => {
            let (path, file) = key.rsplit_once("/@v/")?;
            let path = module_path(path)?;
            if file == "list" {
                return Some(Place::List(path));
            }
            let (stem, ext) = file.rsplit_once('.')?;
            if !matches!(ext, "info" | "mod" | "zip") {
                return None;
            }
            let v = version(stem)?;
            let name = format!("{}.{ext}", escape(&v));
            Some(Place::Piece(ModuleKey { path, version: v }, name))
        }
        Layout::Athens => {
            let parts: Vec<&str> = key.split('/').collect();
            // The last element that is a version, followed by a file or by parts/.
            let at = (1..parts.len().saturating_sub(1))
                .rev()
                .find(|&i| version(parts[i]).is_some())?;
            let path = module_path(&parts[..at].join("/"))?;
            let v = version(parts[at])?;
            let rest = &parts[at + 1..];
            let key = ModuleKey { path, version: v };
            match rest {
                ["parts", ..] => Some(Place::Part(key)),
                [file] if *file == "go.mod" || *file == "source.zip" => {
                    Some(Place::Piece(key, (*file).to_owned()))
                }
                [file] if *file == format!("{}.info", key.version) => {
                    Some(Place::Piece(key, (*file).to_owned()))
                }
                _ => None,
            }
        }
    }
}

/// The layout the keys are in: go's request paths (`/@v/`), else Athens' MinIO one.
fn detect(objects: &[Object]) -> Option<Layout> {
    if objects.iter().any(|o| o.key.contains("/@v/")) {
        Some(Layout::GoProxy)
    } else if objects
        .iter()
        .any(|o| o.key.ends_with("/source.zip") || o.key.ends_with("/go.mod"))
    {
        Some(Layout::Athens)
    } else {
        None
    }
}

/// Lists the store in `bucket` (in `layout`, or the one its keys show) and lays out its mirror:
/// every `@v/list` object downloaded, every piece a sparse placeholder of the object's size
/// (nothing read), so that the mirror lists as the bucket does. [`fill`] then downloads the
/// pieces of the versions that must be judged; a remembered version is never downloaded.
/// `cancel` stops the listing, with what was listed until then.
pub fn mirror_bucket(
    bucket: &Bucket,
    layout: Option<Layout>,
    cancel: &CancelToken,
) -> Result<BucketMirror, FixError> {
    let objects = bucket.list(cancel)?;
    let layout = layout.or_else(|| detect(&objects)).ok_or_else(|| {
        FixError::Store(format!(
            "{}: no module store found (no `<module>/@v/` keys, no Athens `source.zip`)",
            bucket.shown
        ))
    })?;
    // Private: a store's modules may be a company's own code.
    let dir = super::private_dir::private_temp_dir("store")
        .map_err(|e| FixError::Store(format!("cannot create a scratch directory: {e}")))?;
    let mut mirrored = BucketMirror {
        mirror: Mirror {
            store: Store {
                root: dir.path().to_path_buf(),
                layout,
            },
            dir,
            absent: Vec::new(),
            pending: BTreeMap::new(),
            identities: std::collections::HashMap::new(),
        },
        objects: BTreeMap::new(),
        lists: BTreeMap::new(),
        interrupted: Vec::new(),
        oversized: Vec::new(),
    };
    for object in objects {
        let Some(place) = place(layout, &object.key) else {
            continue;
        };
        match place {
            Place::Part(key) => {
                if !mirrored.interrupted.contains(&key) {
                    mirrored.interrupted.push(key.clone());
                }
                mirrored.objects.entry(key).or_default().push(object);
            }
            Place::List(path) => {
                let target = mirrored
                    .mirror
                    .store
                    .root
                    .join(local_dir(layout, &path, None))
                    .join("list");
                make_parent(&target)?;
                match bucket.get_to(&object.key, MAX_OTHER, &target, cancel) {
                    Err(_) if cancel.is_cancelled() => break,
                    result => result?,
                }
                mirrored.lists.insert(path, object.key);
            }
            Place::Piece(key, name) => {
                let cap = if name.ends_with("zip") {
                    MAX_ZIP
                } else {
                    MAX_OTHER
                };
                if object.size > cap {
                    mirrored.oversized.push((
                        key.clone(),
                        format!(
                            "{name} is {} bytes, more than go accepts ({cap})",
                            object.size
                        ),
                    ));
                } else {
                    let target = mirrored.piece_path(&key, &name);
                    make_parent(&target)?;
                    let placed =
                        std::fs::File::create_new(&target).and_then(|f| f.set_len(object.size));
                    placed.map_err(|e| {
                        FixError::Store(format!("cannot write {}: {e}", target.display()))
                    })?;
                }
                mirrored.objects.entry(key).or_default().push(object);
            }
        }
    }
    Ok(mirrored)
}

impl BucketMirror {
    fn piece_path(&self, key: &ModuleKey, name: &str) -> PathBuf {
        let layout = self.mirror.store.layout;
        self.mirror
            .store
            .root
            .join(local_dir(layout, &key.path, Some(&key.version)))
            .join(name)
    }

    /// What identifies `key`'s objects unchanged: each one's key, size and ETag (never trusted
    /// as a hash: it only says the object was not replaced).
    pub fn identity(&self, key: &ModuleKey) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for o in self.objects.get(key).map_or(&[][..], Vec::as_slice) {
            h.update(o.key.as_bytes());
            h.update(b"\0");
            h.update(o.size.to_le_bytes());
            h.update(o.etag.as_bytes());
            h.update(b"\0");
        }
        h.finalize().into()
    }
}

/// Downloads the pieces of `keys` over their placeholders, each streamed under go's caps;
/// `progress` hears (done, total) per version.
pub fn fill(
    bucket: &Bucket,
    mirrored: &BucketMirror,
    keys: &[&ModuleKey],
    progress: &dyn Fn(usize, usize),
    cancel: &CancelToken,
) -> Result<(), FixError> {
    let layout = mirrored.mirror.store.layout;
    for (n, key) in keys.iter().enumerate() {
        // Stopped: the versions not fetched keep their placeholders, and are not judged.
        if cancel.is_cancelled() {
            return Ok(());
        }
        for object in mirrored.objects.get(*key).map_or(&[][..], Vec::as_slice) {
            let Some(Place::Piece(_, name)) = place(layout, &object.key) else {
                continue;
            };
            let target = mirrored.piece_path(key, &name);
            // Oversized pieces have no placeholder, and stay away.
            if std::fs::remove_file(&target).is_err() {
                continue;
            }
            let cap = if name.ends_with("zip") {
                MAX_ZIP
            } else {
                MAX_OTHER
            };
            match bucket.get_to(&object.key, cap, &target, cancel) {
                // Stopped part way: this version is not judged either.
                Err(_) if cancel.is_cancelled() => return Ok(()),
                result => result?,
            }
        }
        progress(n + 1, keys.len());
    }
    Ok(())
}

fn make_parent(target: &std::path::Path) -> Result<(), FixError> {
    match target.parent() {
        Some(parent) => std::fs::create_dir_all(parent).map_err(|e| {
            FixError::Store(format!(
                "cannot write the mirror at {}: {e}",
                parent.display()
            ))
        }),
        None => Ok(()),
    }
}

/// The mirror's directory for `path` (and `version`) in `layout`, relative to its root.
fn local_dir(layout: Layout, path: &str, version: Option<&str>) -> PathBuf {
    match (layout, version) {
        (Layout::GoProxy, _) => PathBuf::from(escape(path)).join("@v"),
        (Layout::Athens, Some(v)) => PathBuf::from(path).join(v),
        (Layout::Athens, None) => PathBuf::from(path),
    }
}

/// Copies every object of each of `wrong` to the trash prefix of run `run`, deletes the
/// originals once all of a version's copies are made, and drops the version from its
/// module's `@v/list` object. A version whose copy fails is left whole.
pub fn trash_versions(
    bucket: &Bucket,
    mirrored: &BucketMirror,
    wrong: &[&ModuleKey],
    run: &str,
) -> StoreCleaned {
    let (trash, shown) = bucket.trash_prefix(run);
    let mut cleaned = StoreCleaned {
        trash: Some(PathBuf::from(shown)),
        ..StoreCleaned::default()
    };
    for key in wrong {
        let objects = mirrored.objects.get(*key).map_or(&[][..], Vec::as_slice);
        let copied = objects
            .iter()
            .try_for_each(|o| bucket.copy(&o.key, &format!("{trash}{}", o.key)));
        let removed = copied.and_then(|()| objects.iter().try_for_each(|o| bucket.delete(&o.key)));
        let unlisted = removed.and_then(|()| drop_from_list(bucket, mirrored, key));
        match unlisted {
            Ok(()) => cleaned.moved.push(key.to_string()),
            Err(e) => cleaned.failed.push((key.to_string(), e.to_string())),
        }
    }
    cleaned
}

/// Rewrites the `@v/list` object of `key`'s module without `key`'s version.
fn drop_from_list(
    bucket: &Bucket,
    mirrored: &BucketMirror,
    key: &ModuleKey,
) -> Result<(), FixError> {
    let Some(list) = mirrored.lists.get(&key.path) else {
        return Ok(());
    };
    let Some(bytes) = bucket.get_small(list)? else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(&bytes);
    let kept: String = text
        .lines()
        .filter(|l| l.trim() != key.version)
        .map(|l| format!("{l}\n"))
        .collect();
    if kept == text {
        return Ok(());
    }
    bucket.put(list, kept.as_bytes())
}
