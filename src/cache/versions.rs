//! Measuring the versions of one module path: its `@v` download files joined with its
//! extracted trees into [`ModuleEntry`] records, with the leftovers found on the way. The scan
//! runs this once per module path, in parallel; a refresh runs it for one version.

use std::collections::BTreeMap;
use std::fs::{self, Metadata};
use std::path::Path;
use std::time::SystemTime;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::discover::{relative, unrecognized};
use super::entry::{Kind, Leftover, LeftoverKind, ModuleEntry, Origin, Pieces, Usage};
use super::error::CacheError;
use super::layout::{ModCache, VersionFile};
use super::measure::{InodeSet, fold_stat, measure, measure_folding, measure_top};
use super::module::ModuleKey;

/// Measures one version again (after a repair), or `None` when it is no longer a version.
pub fn scan_version(cache: &ModCache, key: &ModuleKey) -> Option<ModuleEntry> {
    let esc_path = key.escaped_path();
    let esc_version = key.escaped_version();
    let unit = Unit {
        at_v: cache.at_v_dir_escaped(&esc_path).is_dir(),
        trees: if cache.tree_dir(key).is_dir() {
            vec![esc_version]
        } else {
            Vec::new()
        },
        blind: false,
    };
    let out = measure_module(cache, Depth::Full, &esc_path, &unit, &InodeSet::default());
    out.entries.into_iter().find(|e| e.key == *key)
}

/// How much of each extracted tree a scan measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Walk every tree: exact sizes and file counts; the totals add up to `du`.
    Full,
    /// Stat only the top directory of each tree, for callers that will read the trees anyway
    /// and do not need their sizes (verification). Tree sizes and totals are then partial.
    Shallow,
    /// [`Depth::Full`], and a fingerprint of each version: the state of every file it has
    /// (download files and tree), for remembering verdicts.
    Fingerprint,
}

/// The directories of one module path.
#[derive(Debug, Default)]
pub(super) struct Unit {
    /// Whether `cache/download/<path>/@v` exists.
    pub(super) at_v: bool,
    /// Escaped versions that have an extracted tree.
    pub(super) trees: Vec<String>,
    /// Whether its download files may exist unseen (see [`discover::Found::blind`]).
    pub(super) blind: bool,
}

/// The download files of one escaped version, as found in `@v`.
#[derive(Debug, Default)]
struct Parts {
    pieces: Pieces,
    usage: [Usage; VersionFile::ALL.len()],
    zip_mtime: Option<SystemTime>,
    info_mtime: Option<SystemTime>,
    mod_mtime: Option<SystemTime>,
    mod_atime: Option<SystemTime>,
    /// Each file's metadata, in [`VersionFile::ALL`] order, for fingerprints.
    metas: [Option<Metadata>; VersionFile::ALL.len()],
}

impl Parts {
    fn add(&mut self, file: VersionFile, meta: &Metadata, inodes: &InodeSet) {
        self.usage[file as usize] = inodes.usage(meta);
        self.metas[file as usize] = Some(meta.clone());
        let p = &mut self.pieces;
        match file {
            VersionFile::Info => {
                p.info = true;
                self.info_mtime = meta.modified().ok();
            }
            VersionFile::Mod => {
                p.mod_file = true;
                self.mod_mtime = meta.modified().ok();
                self.mod_atime = meta.accessed().ok();
            }
            VersionFile::Zip => {
                p.zip = true;
                self.zip_mtime = meta.modified().ok();
            }
            VersionFile::Ziphash => p.ziphash = true,
            VersionFile::Lock => p.lock = true,
            VersionFile::Partial => p.partial = true,
        }
    }

    fn present(&self) -> impl Iterator<Item = VersionFile> + '_ {
        let p = self.pieces;
        let has = [p.info, p.mod_file, p.zip, p.ziphash, p.lock, p.partial];
        VersionFile::ALL
            .into_iter()
            .filter(move |f| has[*f as usize])
    }

    fn has_download(&self) -> bool {
        let p = self.pieces;
        p.info || p.mod_file || p.zip || p.ziphash || p.partial
    }
}

#[derive(Debug, Default)]
pub(super) struct ModuleScan {
    pub(super) entries: Vec<ModuleEntry>,
    pub(super) leftovers: Vec<Leftover>,
    pub(super) shared: Usage,
    pub(super) error: Option<String>,
}

pub(super) fn measure_module(
    cache: &ModCache,
    depth: Depth,
    esc_path: &str,
    unit: &Unit,
    inodes: &InodeSet,
) -> ModuleScan {
    let root = cache.root();
    let mut out = ModuleScan::default();
    let mut versions: BTreeMap<String, (Parts, bool)> = BTreeMap::new();
    let at_v = cache.at_v_dir_escaped(esc_path);
    let mut blind = unit.blind;
    if unit.at_v {
        match fs::symlink_metadata(&at_v) {
            Ok(meta) => out.shared.add(inodes.usage(&meta)),
            Err(err) => out.error = Some(format!("{}: {err}", at_v.display())),
        }
        match fs::read_dir(&at_v) {
            Ok(children) => {
                for child in children.flatten() {
                    let path = child.path();
                    let meta = match child.metadata() {
                        Ok(m) => m,
                        Err(err) => {
                            out.error
                                .get_or_insert(format!("{}: {err}", path.display()));
                            continue;
                        }
                    };
                    let Some(name) = child.file_name().to_str().map(str::to_owned) else {
                        out.leftovers
                            .push(unrecognized(root, &path, "name is not UTF-8", inodes));
                        continue;
                    };
                    if let Some((v, file)) = classify_download_file(
                        root, esc_path, &name, &path, &meta, inodes, &mut out,
                    ) {
                        versions.entry(v).or_default().0.add(file, &meta, inodes);
                    }
                }
            }
            Err(err) => {
                blind = true;
                out.error = Some(format!("{}: {err}", at_v.display()));
            }
        }
    }
    for v in &unit.trees {
        versions.entry(v.clone()).or_default().1 = true;
    }

    for (esc_version, (parts, mut has_tree)) in versions {
        let tree_path = cache.tree_dir_escaped(esc_path, &esc_version);
        let key = match ModuleKey::from_escaped_any_major(esc_path, &esc_version) {
            Ok(key) => key,
            Err(err) => {
                let reason = err.to_string();
                for file in parts.present() {
                    let path = at_v.join(format!("{esc_version}.{}", file.ext()));
                    out.leftovers.push(Leftover {
                        kind: LeftoverKind::Unrecognized,
                        rel_path: relative(root, &path),
                        module: None,
                        reason: Some(reason.clone()),
                        usage: parts.usage[file as usize],
                    });
                }
                if has_tree {
                    let mut leftover = unrecognized(root, &tree_path, &reason, inodes);
                    leftover.reason = Some(reason);
                    out.leftovers.push(leftover);
                }
                continue;
            }
        };
        if let Some(why) = key.unusable()
            && has_tree
        {
            // go downloads such a version but never extracts it: the tree is not go's.
            let why = format!("go never extracts it: {why}");
            out.leftovers
                .push(unrecognized(root, &tree_path, &why, inodes));
            has_tree = false;
            if !parts.has_download() {
                continue;
            }
        }
        if blind && !parts.has_download() && has_tree {
            out.leftovers.push(Leftover {
                kind: LeftoverKind::Unreadable,
                rel_path: relative(root, &tree_path),
                module: Some(key),
                reason: Some(format!(
                    "its download files under {} cannot be read",
                    relative(root, &at_v).display()
                )),
                usage: measure(&tree_path, inodes).usage,
            });
            continue;
        }
        if let Some(entry) = build_entry(cache, depth, key, parts, has_tree, inodes, &mut out) {
            out.entries.push(entry);
        }
    }
    out
}

/// Sorts one file of an `@v` directory. Returns the escaped version and piece for a version
/// file; everything else is accounted for in `out` directly.
fn classify_download_file(
    root: &Path,
    esc_path: &str,
    name: &str,
    path: &Path,
    meta: &Metadata,
    inodes: &InodeSet,
    out: &mut ModuleScan,
) -> Option<(String, VersionFile)> {
    // A version's own file that is not a regular file (a FIFO, a link, a directory) is that
    // version's problem, found by verifying it and fixed by fetching it again, not a leftover:
    // go would hang on it or fail.
    if let Some((v, file)) = VersionFile::split_name(name)
        && !meta.is_file()
    {
        return Some((v.to_owned(), file));
    }
    if meta.is_dir() {
        out.leftovers
            .push(unrecognized(root, path, "a directory inside @v", inodes));
        return None;
    }
    if name == "list" {
        out.shared.add(inodes.usage(meta));
        return None;
    }
    let leftover = |kind, module| Leftover {
        kind,
        rel_path: relative(root, path),
        module,
        reason: None,
        usage: inodes.usage(meta),
    };
    if name == "list.lock" {
        out.leftovers.push(leftover(LeftoverKind::LegacyLock, None));
        return None;
    }
    if let Some(stem) = name.strip_suffix(".tmp") {
        // `<v>.zip123456.tmp`, `<v>.info42.tmp`, ...: the digits are go's random suffix.
        let stem = stem.trim_end_matches(|c: char| c.is_ascii_digit());
        let module = VersionFile::split_name(stem)
            .and_then(|(v, _)| ModuleKey::from_escaped(esc_path, v).ok());
        out.leftovers.push(leftover(LeftoverKind::TmpFile, module));
        return None;
    }
    match VersionFile::split_name(name) {
        Some((v, file)) if meta.is_file() => Some((v.to_owned(), file)),
        Some(_) => {
            out.leftovers
                .push(unrecognized(root, path, "not a regular file", inodes));
            None
        }
        None => {
            out.leftovers
                .push(unrecognized(root, path, "unknown file in @v", inodes));
            None
        }
    }
}

fn build_entry(
    cache: &ModCache,
    depth: Depth,
    key: ModuleKey,
    mut parts: Parts,
    has_tree: bool,
    inodes: &InodeSet,
    out: &mut ModuleScan,
) -> Option<ModuleEntry> {
    let root = cache.root();
    let lock = parts.usage[VersionFile::Lock as usize];
    if !parts.has_download() && !has_tree {
        // Only the `.lock` is left, as after a delete: go keeps lock files for ever.
        out.shared.add(lock);
        return None;
    }
    // go 1.24 to 1.26 unpack golang.org/fips140 from GOROOT as a tree and a `.lock` only (go
    // 1.27 adds a `.ziphash`): a version of its own kind, never an orphan tree.
    let fips_tree = has_tree && parts.pieces.lock && Kind::of_path(&key.path) == Kind::Fips140;
    if !parts.has_download() && !fips_tree {
        let measured = measure(&cache.tree_dir(&key), inodes);
        out.leftovers.push(Leftover {
            kind: LeftoverKind::OrphanTree,
            rel_path: relative(root, &cache.tree_dir(&key)),
            module: Some(key),
            reason: None,
            usage: measured.usage,
        });
        out.shared.add(lock);
        return None;
    }
    if parts.pieces.partial && !has_tree {
        out.leftovers.push(Leftover {
            kind: LeftoverKind::OrphanPartial,
            rel_path: relative(root, &cache.version_file(&key, VersionFile::Partial)),
            module: Some(key.clone()),
            reason: None,
            usage: parts.usage[VersionFile::Partial as usize],
        });
        parts.pieces.partial = false;
        parts.usage[VersionFile::Partial as usize] = Usage::default();
        if !parts.has_download() {
            out.shared.add(lock);
            return None;
        }
    }

    let mut fingerprint = (depth == Depth::Fingerprint).then(|| {
        let mut h = Sha256::new();
        h.update(b"modlens version fingerprint 1\n");
        for (file, meta) in VersionFile::ALL.iter().zip(&parts.metas) {
            // The lock file changes whenever go locks the version; it says nothing of content.
            if let (Some(meta), false) = (meta, *file == VersionFile::Lock) {
                fold_stat(&mut h, file.ext().as_bytes(), meta);
            }
        }
        h
    });
    let tree = has_tree.then(|| match depth {
        Depth::Full => measure(&cache.tree_dir(&key), inodes),
        Depth::Fingerprint => measure_folding(&cache.tree_dir(&key), inodes, fingerprint.as_mut()),
        Depth::Shallow => measure_top(&cache.tree_dir(&key), inodes),
    });
    let fingerprint = fingerprint.map(|h| h.finalize().into());
    let info = parts
        .pieces
        .info
        .then(|| read_info(&cache.version_file(&key, VersionFile::Info)));
    let (published, origin, info_error) = match info {
        Some(Ok(info)) => {
            let error = (info.version != key.version)
                .then(|| format!("Version is {:?}, not {:?}", info.version, key.version));
            (info.published, info.origin, error)
        }
        Some(Err(err)) => (None, None, Some(err.to_string())),
        None => (None, None, None),
    };
    let rest = [
        VersionFile::Info,
        VersionFile::Mod,
        VersionFile::Ziphash,
        VersionFile::Lock,
    ]
    .into_iter()
    .chain(std::iter::once(VersionFile::Partial))
    .map(|f| parts.usage[f as usize])
    .sum();
    let tree_mtime = tree.as_ref().and_then(|t| t.mtime);
    Some(ModuleEntry {
        kind: Kind::of_path(&key.path),
        pieces: Pieces {
            tree: has_tree,
            ..parts.pieces
        },
        tree: tree.as_ref().map(|t| t.usage).unwrap_or_default(),
        zip: parts.usage[VersionFile::Zip as usize],
        rest,
        downloaded: parts
            .zip_mtime
            .or(parts.info_mtime)
            .or(parts.mod_mtime)
            .or(tree_mtime),
        last_used: parts.mod_atime,
        published,
        origin,
        info_error,
        scan_error: tree.and_then(|t| t.error),
        unusable: key.unusable(),
        piece_usage: parts.usage,
        fingerprint,
        key,
    })
}

/// What modlens reads from a `.info` file.
struct Info {
    version: String,
    published: Option<SystemTime>,
    origin: Option<Box<Origin>>,
}

fn read_info(path: &Path) -> Result<Info, CacheError> {
    let invalid = |reason: String| CacheError::Info {
        path: path.to_path_buf(),
        reason,
    };
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Raw {
        version: String,
        time: Option<String>,
        origin: Option<Box<Origin>>,
    }
    let bytes = super::read::read_capped(path, super::read::cap::INFO)
        .map_err(|e| invalid(format!("cannot read it: {e}")))?;
    let raw: Raw =
        serde_json::from_slice(&bytes).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
    let published = match raw.time.as_deref() {
        None => None,
        Some(t) => {
            let time = chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|e| invalid(format!("Time {t:?} is not RFC 3339: {e}")))?;
            // Go writes its zero time when a proxy sent none: it means "unknown".
            (time.timestamp() > 0).then(|| SystemTime::from(time))
        }
    };
    Ok(Info {
        version: raw.version,
        published,
        origin: raw.origin,
    })
}
