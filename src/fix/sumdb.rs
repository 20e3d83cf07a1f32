//! The checksum database online, reached and checked as go's client does.
//!
//! The database is found as go finds it (`cmd/go/internal/modfetch/sumdb.go`): a URL after the
//! key in GOSUMDB is used as is; otherwise each GOPROXY entry is asked
//! `<proxy>/sumdb/<name>/supported`, and the first that answers 200 relays every request; 404
//! or 410 (any error after a `|`) moves on to the next; `direct`, `off` or the end of the list
//! mean `https://<name>` itself; any other answer means the database is unreachable. An answer
//! counts only once its note is signed by GOSUMDB's key and the tiles, fetched as needed, prove
//! its record is in the signed tree. Proven answers and the tiles that proved them can then be
//! installed in a module cache's `cache/download/sumdb/<name>/`, where go looks for them first.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::confined::{Confined, unique_suffix};
use super::error::FixError;
use super::http::agent;
use crate::cache::ModuleKey;
use crate::cache::read::cap;
use crate::verify::sumdb::{DbAnswer, Lookup, LookupError, SignedTree, Verifier, parse_lookup};
use crate::verify::tlog::{Tile, Unproven, prove_record};

/// The most tiles one proof may fetch: a tree of 2⁶⁴ leaves needs fewer than 20.
const MAX_TILE_FETCHES: usize = 64;

/// A checksum database, reached online.
pub struct Database {
    verifier: Verifier,
    /// Where requests go (`…/sumdb/<name>` of a relaying proxy, or the database), or why
    /// nowhere.
    base: Result<String, String>,
    agent: ureq::Agent,
    /// The tiles fetched in this run (a private scratch directory; removed when dropped).
    tiles: super::private_dir::PrivateDir,
    /// Proofs share the scratch tiles; one at a time keeps a half-written tile unseen.
    proving: Mutex<()>,
    /// The tree go saw last (`$GOPATH/pkg/sumdb/<name>/latest`), which every answer's tree
    /// must be consistent with, as go requires.
    go_latest: Option<SignedTree>,
}

/// A proven answer as fetched, for [`Database::install`].
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The version asked about.
    pub key: ModuleKey,
    /// The lookup answer's bytes, as the database sent them.
    pub body: Vec<u8>,
    /// The tiles that proved it, as paths below the database's directory.
    pub tiles: Vec<String>,
}

impl Database {
    /// The database `verifier` names, reached as go would with `gosumdb` (GOSUMDB's value)
    /// and `goproxy` (GOPROXY's).
    pub fn connect(
        verifier: &Verifier,
        gosumdb: &str,
        goproxy: &str,
        go_latest: Option<SignedTree>,
    ) -> Result<Database, FixError> {
        let agent = agent();
        let base = base_url(&agent, &verifier.name, gosumdb, goproxy);
        let tiles = crate::fix::private_dir::private_temp_dir("sumdb")
            .map_err(|e| FixError::Store(format!("cannot create a scratch directory: {e}")))?;
        Ok(Database {
            verifier: verifier.clone(),
            base,
            agent,
            tiles,
            proving: Mutex::new(()),
            go_latest,
        })
    }

    /// Where its requests go, or why they cannot.
    pub fn base(&self) -> Result<&str, &str> {
        self.base.as_deref().map_err(String::as_str)
    }

    /// Asks the database about `key` and proves the answer. The caller has already decided
    /// that the module is not private: this sends its name.
    pub fn lookup(&self, key: &ModuleKey) -> (DbAnswer, Option<Fetched>) {
        let base = match &self.base {
            Ok(base) => base,
            Err(why) => return (DbAnswer::Unreachable(why.clone()), None),
        };
        let url = format!(
            "{base}/lookup/{}@{}",
            key.escaped_path(),
            key.escaped_version()
        );
        let body = match get(&self.agent, &url, cap::SUMDB_NOTE) {
            Ok(Some(body)) => body,
            Ok(None) => {
                return (
                    DbAnswer::NotFound(format!("{}: not found ({url})", self.verifier.name)),
                    None,
                );
            }
            Err(why) => return (DbAnswer::Unreachable(why), None),
        };
        let lookup = match parse_lookup(
            &String::from_utf8_lossy(&body),
            std::slice::from_ref(&self.verifier),
        ) {
            Ok(lookup) => lookup,
            Err(LookupError::BadSignature(why) | LookupError::Malformed(why)) => {
                return (DbAnswer::Unproven(format!("{url}: {why}")), None);
            }
        };
        match self.prove(base, &lookup) {
            Ok(tiles) => {
                let fetched = Fetched {
                    key: key.clone(),
                    body,
                    tiles,
                };
                (DbAnswer::Proven(lookup), Some(fetched))
            }
            Err(why) => (DbAnswer::Unproven(format!("{url}: {why}")), None),
        }
    }

    /// Proves `lookup`'s record from the scratch tiles, fetching those missing, as go does:
    /// in the larger of the answer's tree and the one go saw last, once the smaller is proven
    /// a prefix of it (a database showing go one tree and modlens another is caught). Gives
    /// the tiles used.
    fn prove(&self, base: &str, lookup: &Lookup) -> Result<Vec<String>, String> {
        let _one_at_a_time = self.proving.lock().unwrap_or_else(|e| e.into_inner());
        let note = SignedTree {
            size: lookup.tree_size,
            root: lookup.root,
        };
        let (tree, older) = match self.go_latest {
            Some(latest) if latest.size > note.size => (latest, Some(note)),
            Some(latest) if latest.size < note.size => (note, Some(latest)),
            Some(latest) if latest != note => {
                return Err(self.misbehaving(&latest, &note));
            }
            _ => (note, None),
        };
        let used = self.prove_in(base, lookup, tree)?;
        if let Some(older) = older {
            self.consistent(base, &older, &tree)?;
        }
        Ok(used)
    }

    /// go's words for a tree that contradicts the one it saw.
    fn misbehaving(&self, seen: &SignedTree, shown: &SignedTree) -> String {
        format!(
            "SECURITY ERROR: the {} tree of {} records is not consistent with the one of {} \
             go saw last (go: \"go.sum database server misbehavior detected\")",
            self.verifier.name, shown.size, seen.size
        )
    }

    /// Checks that `older` is a prefix of `tree`: its root recomputed from `tree`'s tiles.
    fn consistent(&self, base: &str, older: &SignedTree, tree: &SignedTree) -> Result<(), String> {
        let dir = self.tiles.path();
        for _ in 0..MAX_TILE_FETCHES {
            match crate::verify::tlog::tree_hash(dir, older.size) {
                Ok((root, _)) if root == older.root => return Ok(()),
                Ok(_) => {
                    let (seen, shown) = match self.go_latest {
                        Some(l) if l == *older => (older, tree),
                        _ => (tree, older),
                    };
                    return Err(self.misbehaving(seen, shown));
                }
                Err(Unproven::TilesMissing(tile)) => self.fetch_tile(base, tile)?,
                Err(Unproven::Mismatch(why, _)) => return Err(why),
            }
        }
        Err("the proof needs more tiles than any tree has".into())
    }

    /// Proves `lookup`'s record in `tree`.
    fn prove_in(
        &self,
        base: &str,
        lookup: &Lookup,
        tree: SignedTree,
    ) -> Result<Vec<String>, String> {
        let dir = self.tiles.path();
        for _ in 0..MAX_TILE_FETCHES {
            match prove_record(
                dir,
                lookup.id,
                lookup.record.as_bytes(),
                tree.size,
                &tree.root,
            ) {
                Ok(used) => {
                    return Ok(used
                        .iter()
                        .filter_map(|p| p.strip_prefix(dir).ok())
                        .map(|p| p.to_string_lossy().into_owned())
                        .collect());
                }
                Err(Unproven::TilesMissing(tile)) => self.fetch_tile(base, tile)?,
                Err(Unproven::Mismatch(why, tiles)) => {
                    // What the database sent does not add up; its tiles must not prove another
                    // record later in this run.
                    for tile in tiles {
                        let _ = std::fs::remove_file(tile);
                    }
                    return Err(format!(
                        "the answer is not in the tree the database signed: {why}"
                    ));
                }
            }
        }
        Err("the proof needs more tiles than any tree has".into())
    }

    /// Fetches `tile` into the scratch directory: the partial tile, or else the full one cut
    /// to its width (a partial tile is gone once the tile is complete), as go does.
    fn fetch_tile(&self, base: &str, tile: Tile) -> Result<(), String> {
        let mut data = None;
        for asked in [tile, tile.full()] {
            let url = format!("{base}/{}", asked.path());
            match get(&self.agent, &url, cap::TILE) {
                Ok(Some(bytes)) if bytes.len() == asked.bytes() => {
                    data = Some(bytes[..tile.bytes()].to_vec());
                    break;
                }
                Ok(Some(bytes)) => {
                    return Err(format!(
                        "{url} is {} bytes, not {}",
                        bytes.len(),
                        asked.bytes()
                    ));
                }
                Ok(None) if asked != tile.full() => continue,
                Ok(None) => return Err(format!("{url}: not found")),
                Err(why) => return Err(why),
            }
        }
        let data = data.ok_or_else(|| format!("{}: not found", tile.path()))?;
        let path = self.tiles.path().join(tile.path());
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, &data));
        written.map_err(|e| format!("cannot write the scratch tile {}: {e}", path.display()))
    }

    /// Installs the proven answers `fetched` in the module cache at `cache_root`: each lookup
    /// answer and its tiles below `cache/download/sumdb/<name>/`, as go caches them, each only
    /// where go has nothing yet, and each appearing whole (written aside, then renamed without
    /// replacing), so that a go reading it meanwhile sees nothing or all of it. Gives how many
    /// answers were new.
    pub fn install(&self, cache_root: &Path, fetched: &[Fetched]) -> Result<usize, FixError> {
        let cache = Confined::open(cache_root)?;
        let dir = PathBuf::from("cache/download/sumdb").join(&self.verifier.name);
        let mut new = 0;
        for answer in fetched {
            let lookup = dir.join("lookup").join(format!(
                "{}@{}",
                answer.key.escaped_path(),
                answer.key.escaped_version()
            ));
            // Tiles first: an answer go finds is one it can prove offline.
            for tile in &answer.tiles {
                let bytes = std::fs::read(self.tiles.path().join(tile)).map_err(|e| {
                    FixError::Store(format!("cannot read the scratch tile {tile}: {e}"))
                })?;
                install_file(&cache, &dir.join(tile), &bytes)?;
            }
            new += usize::from(install_file(&cache, &lookup, &answer.body)?);
        }
        Ok(new)
    }
}

impl crate::verify::sumdb::AskDatabase for Database {
    fn name(&self) -> &str {
        &self.verifier.name
    }

    fn ask(&self, key: &ModuleKey) -> DbAnswer {
        self.lookup(key).0
    }
}

/// Writes `bytes` to `path` (relative to `cache`'s root) unless something is there; says
/// whether it did.
fn install_file(cache: &Confined, path: &Path, bytes: &[u8]) -> Result<bool, FixError> {
    use std::io::Write;
    let full = cache.root().join(path);
    if cache.file_type(&full)?.is_some() {
        return Ok(false);
    }
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let aside = full.with_file_name(format!(".{name}.modlens-{:016x}.tmp", unique_suffix()));
    let mut file = cache.create_new(&aside, 0o644)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    let placed = written
        .map_err(|e| FixError::Store(format!("cannot write {}: {e}", aside.display())))
        .and_then(|()| Ok(cache.rename_new(&aside, &full)?));
    if placed.is_err() {
        let _ = cache.remove(&aside);
    }
    match placed {
        Ok(()) => Ok(true),
        // go (or another modlens) put it there meanwhile: theirs stays.
        Err(FixError::Change(e)) if e.is_exists() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Where requests to the database `name` go, as go's `initBase` decides it.
fn base_url(
    agent: &ureq::Agent,
    name: &str,
    gosumdb: &str,
    goproxy: &str,
) -> Result<String, String> {
    if let Some(url) = gosumdb.split_whitespace().nth(1) {
        return Ok(url.trim_end_matches('/').to_owned());
    }
    let direct = format!("https://{name}");
    let mut rest = goproxy.trim();
    while !rest.is_empty() {
        let end = rest.find([',', '|']).unwrap_or(rest.len());
        let (entry, any_error_falls_back) = (rest[..end].trim(), rest[end..].starts_with('|'));
        rest = rest.get(end + 1..).unwrap_or("");
        match entry {
            "" => continue,
            "direct" | "off" => break,
            proxy => {
                let proxy = proxy.trim_end_matches('/');
                let supported = format!("{proxy}/sumdb/{name}/supported");
                match get(agent, &supported, cap::SUMDB_NOTE) {
                    Ok(Some(_)) => return Ok(format!("{proxy}/sumdb/{name}")),
                    Ok(None) => continue,
                    Err(_) if any_error_falls_back => continue,
                    Err(why) => return Err(why),
                }
            }
        }
    }
    Ok(direct)
}

/// GETs `url` (`file://` too, as go reads a file proxy): `None` for "not found".
fn get(agent: &ureq::Agent, url: &str, limit: u64) -> Result<Option<Vec<u8>>, String> {
    if let Some(path) = url.strip_prefix("file://") {
        return match crate::cache::read::read_capped(Path::new(path), limit) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.to_string()),
        };
    }
    super::http::get(agent, url, limit).map_err(|e| format!("{url}: {e}"))
}
