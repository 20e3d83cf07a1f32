//! A store behind a GOPROXY URL, mirrored for judging (a scratch store, never a cache): the versions asked about (and the
//! others its `@v/list` names) are fetched, as go fetches them (`<escaped module>/@v/<v>.info`,
//! `.mod`, `.zip`), into a private scratch directory in go's proxy layout, each file streamed to
//! disk under go's size caps, never held whole in memory. The mirror is then judged as any
//! directory store; what the server answered 404 or 410 for is said.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::error::FixError;
use super::http::{self, agent};
use crate::cache::ModuleKey;
use crate::cache::cancel::CancelToken;
use crate::cache::store::{Layout, Store};

/// Go's limits (`modfetch`): a module zip, and every other file.
const MAX_ZIP: u64 = 500 << 20;
const MAX_OTHER: u64 = 16 << 20;

/// A remote store mirrored into a scratch directory.
pub struct Mirror {
    /// The scratch directory (removed when dropped).
    pub dir: super::private_dir::PrivateDir,
    /// The mirror, as a store.
    pub store: Store,
    /// What the server answered 404 or 410 for.
    pub absent: Vec<Absent>,
    /// Each version's pieces still to fetch over their sparse placeholders: (URL, file).
    pub pending: BTreeMap<ModuleKey, Vec<(String, PathBuf)>>,
    /// What identifies each version's pieces unchanged, where the server says (each piece's
    /// size, and its ETag or Last-Modified): a version without it is always fetched.
    pub identities: HashMap<ModuleKey, [u8; 32]>,
}

/// Something a remote store does not serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Absent {
    /// One piece of a version it serves other pieces of.
    Piece {
        /// The version.
        key: ModuleKey,
        /// `info`, `mod` or `zip`.
        ext: &'static str,
        /// The URL asked.
        url: String,
    },
    /// Every piece of the version.
    Version(ModuleKey),
}

/// Whether `store` names a remote store.
pub fn is_url(store: &str) -> bool {
    store.starts_with("http://") || store.starts_with("https://")
}

/// The versions Athens' `/catalog` lists at `url` (page by page), or `None` when the server
/// has no catalog.
pub fn catalog(url: &str) -> Result<Option<Vec<ModuleKey>>, FixError> {
    #[derive(serde::Deserialize)]
    struct Page {
        #[serde(default)]
        modules: Vec<Entry>,
        #[serde(default)]
        next: String,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        module: String,
        version: String,
    }
    let agent = agent();
    let base = url.trim_end_matches('/');
    let (mut keys, mut token, mut seen) = (Vec::new(), String::new(), BTreeSet::new());
    loop {
        let page_url = if token.is_empty() {
            format!("{base}/catalog")
        } else {
            format!("{base}/catalog?token={token}")
        };
        let Some(body) = fetch(&agent, &page_url, MAX_OTHER, None)? else {
            return Ok(None);
        };
        let page: Page = serde_json::from_slice(&body)
            .map_err(|e| FixError::Store(format!("{page_url}: not Athens' catalog: {e}")))?;
        keys.extend(page.modules.into_iter().filter_map(|e| {
            let canonical = crate::cache::semver::canonical(&e.version);
            (canonical.as_deref() == Some(e.version.as_str())
                && crate::cache::module::check_path(&e.module).is_ok())
            .then_some(ModuleKey {
                path: e.module,
                version: e.version,
            })
        }));
        // A token seen before would page forever.
        if page.next.is_empty() || !seen.insert(page.next.clone()) {
            return Ok(Some(keys));
        }
        token = page.next;
    }
}

/// Lays out the mirror of `url`: every version of `keys` and the others the `@v/list` of their
/// modules names, each piece asked for with HEAD and laid out as a sparse placeholder of its
/// size (nothing downloaded yet: [`fill`] fetches what must be judged); `progress` hears
/// (done, total) per version. `cancel` stops it between versions, with the versions laid out
/// until then.
pub fn mirror(
    url: &str,
    keys: &[&ModuleKey],
    progress: &dyn Fn(usize, usize),
    cancel: &CancelToken,
) -> Result<Mirror, FixError> {
    let base = url.trim_end_matches('/');
    let agent = agent();
    // Private: a store's modules may be a company's own code.
    let dir = super::private_dir::private_temp_dir("store")
        .map_err(|e| FixError::Store(format!("cannot create a scratch directory: {e}")))?;
    let mut wanted: BTreeSet<ModuleKey> = keys.iter().map(|k| (*k).clone()).collect();
    let paths: BTreeSet<String> = wanted.iter().map(|k| k.path.clone()).collect();
    for path in &paths {
        if cancel.is_cancelled() {
            break;
        }
        let esc = crate::cache::module::escape(path);
        let list = fetch(&agent, &format!("{base}/{esc}/@v/list"), MAX_OTHER, None)?;
        let Some(list) = list else { continue };
        // Kept in the mirror: a version the list names and the server does not serve is then
        // found as in any store.
        let at = dir.path().join(&esc).join("@v");
        std::fs::create_dir_all(&at).map_err(|e| scratch_failed(&at, e))?;
        std::fs::write(at.join("list"), &list).map_err(|e| scratch_failed(&at, e))?;
        let text = String::from_utf8_lossy(&list);
        for version in text.split_whitespace() {
            if crate::cache::semver::canonical(version).as_deref() == Some(version) {
                wanted.insert(ModuleKey {
                    path: path.clone(),
                    version: version.to_owned(),
                });
            }
        }
    }
    let mut absent = Vec::new();
    let mut pending: BTreeMap<ModuleKey, Vec<(String, PathBuf)>> = BTreeMap::new();
    let mut identities = HashMap::new();
    let total = wanted.len();
    for (n, key) in wanted.iter().enumerate() {
        if cancel.is_cancelled() {
            break;
        }
        let at = dir.path().join(key.escaped_path()).join("@v");
        std::fs::create_dir_all(&at).map_err(|e| scratch_failed(&at, e))?;
        let stem = key.escaped_version();
        let mut missing = Vec::new();
        let mut identity = Some(sha2::Sha256::default());
        for (ext, cap) in [("info", MAX_OTHER), ("mod", MAX_OTHER), ("zip", MAX_ZIP)] {
            let target = at.join(format!("{stem}.{ext}"));
            let url = format!("{base}/{}/@v/{stem}.{ext}", key.escaped_path());
            match head(&agent, &url)? {
                Head::Absent => missing.push(Absent::Piece {
                    key: key.clone(),
                    ext,
                    url,
                }),
                Head::Present { size, tag } if size <= cap => {
                    std::fs::File::create_new(&target)
                        .and_then(|f| f.set_len(size))
                        .map_err(|e| scratch_failed(&target, e))?;
                    identity = identity.zip(tag).map(|(mut h, tag)| {
                        use sha2::Digest;
                        h.update(ext.as_bytes());
                        h.update(size.to_le_bytes());
                        h.update(tag.as_bytes());
                        h.update(b"\0");
                        h
                    });
                    pending.entry(key.clone()).or_default().push((url, target));
                }
                // Unknown or larger than go accepts: fetched (under the cap) when judged.
                Head::Present { .. } | Head::Unknown => {
                    identity = None;
                    std::fs::File::create_new(&target).map_err(|e| scratch_failed(&target, e))?;
                    pending.entry(key.clone()).or_default().push((url, target));
                }
            }
        }
        if let Some(h) = identity {
            use sha2::Digest;
            identities.insert(key.clone(), h.finalize().into());
        }
        if missing.len() == 3 {
            absent.push(Absent::Version(key.clone()));
        } else {
            absent.extend(missing);
        }
        progress(n + 1, total);
    }
    let store = Store {
        root: dir.path().to_path_buf(),
        layout: Layout::GoProxy,
    };
    Ok(Mirror {
        dir,
        store,
        absent,
        pending,
        identities,
    })
}

/// Fetches the pieces of `keys` over their placeholders, each streamed under go's caps;
/// `progress` hears (done, total) per version. A piece the server no longer has is left empty.
pub fn fill(
    mirror: &Mirror,
    keys: &[&ModuleKey],
    progress: &dyn Fn(usize, usize),
    cancel: &CancelToken,
) -> Result<(), FixError> {
    let agent = agent();
    for (n, key) in keys.iter().enumerate() {
        // Stopped: the versions not fetched keep their placeholders, and are not judged.
        if cancel.is_cancelled() {
            return Ok(());
        }
        for (url, target) in mirror.pending.get(*key).map_or(&[][..], Vec::as_slice) {
            std::fs::remove_file(target).map_err(|e| scratch_failed(target, e))?;
            let cap = if url.ends_with(".zip") {
                MAX_ZIP
            } else {
                MAX_OTHER
            };
            match fetch(&agent, url, cap, Some((target, cancel))) {
                Ok(Some(_)) => {}
                Ok(None) => {
                    std::fs::File::create_new(target).map_err(|e| scratch_failed(target, e))?;
                }
                // Stopped part way: this version is not judged either.
                Err(_) if cancel.is_cancelled() => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        progress(n + 1, keys.len());
    }
    Ok(())
}

/// What a HEAD request says about a piece.
enum Head {
    /// 404 or 410.
    Absent,
    /// There, with its size and what names its content (ETag, else a Last-Modified time that
    /// cannot hide a change), if said.
    Present { size: u64, tag: Option<String> },
    /// The server does not say (no HEAD, no Content-Length): fetch it to know.
    Unknown,
}

fn head(agent: &ureq::Agent, url: &str) -> Result<Head, FixError> {
    let response = match agent.head(url).call() {
        Ok(response) => response,
        Err(ureq::Error::StatusCode(404 | 410)) => return Ok(Head::Absent),
        Err(ureq::Error::StatusCode(405 | 501)) => return Ok(Head::Unknown),
        Err(e) => {
            return Err(FixError::Store(format!(
                "cannot read the store at {url}: {e}"
            )));
        }
    };
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let Some(size) = header("content-length").and_then(|l| l.parse::<u64>().ok()) else {
        return Ok(Head::Unknown);
    };
    let tag = header("etag").or_else(|| {
        header("last-modified").filter(|modified| settled(modified, header("date").as_deref()))
    });
    Ok(Head::Present { size, tag })
}

/// Whether a Last-Modified time names one content. HTTP times are whole seconds, so a file
/// replaced within the second of its last change keeps its Last-Modified (git's "racy"
/// timestamps): only a time at least two seconds before the server's own Date is trusted.
fn settled(modified: &str, date: Option<&str>) -> bool {
    let parse = |t: &str| chrono::DateTime::parse_from_rfc2822(t).ok();
    match (parse(modified), date.and_then(parse)) {
        (Some(modified), Some(date)) => (date - modified).num_seconds() >= 2,
        _ => false,
    }
}

fn scratch_failed(path: &Path, e: std::io::Error) -> FixError {
    FixError::Store(format!(
        "cannot write the mirror at {}: {e}",
        path.display()
    ))
}

/// GETs `url` from the store: `None` for "not found"; the body, at most `cap` bytes, into `to`
/// (returning nothing, and stopping when its token is set) or into memory.
fn fetch(
    agent: &ureq::Agent,
    url: &str,
    cap: u64,
    to: Option<(&Path, &CancelToken)>,
) -> Result<Option<Vec<u8>>, FixError> {
    let failed = |why: String| FixError::Store(format!("cannot read the store at {url}: {why}"));
    match to {
        Some((path, cancel)) => {
            match http::get_to(agent, url, cap, path, cancel).map_err(failed)? {
                true => Ok(Some(Vec::new())),
                false => Ok(None),
            }
        }
        None => http::get(agent, url, cap).map_err(failed),
    }
}
