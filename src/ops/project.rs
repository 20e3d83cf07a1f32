//! What a project needs from the module cache, in go's own words.
//!
//! go is asked, offline (`GOPROXY=off`) and with the user's other settings, for the module
//! build list (`go list -m -e -json all`), which needs only `.mod` files and so never makes go
//! extract or change anything in the cache. Which versions need their source (zip and tree)
//! and which only their `go.mod` is what go itself recorded in the project's go.sum: a zip
//! hash line for the first, only a `/go.mod` line for the second. In a single module, go works
//! on a private copy of `go.mod` with an empty `go.sum` and no checksum database (`-modfile`,
//! `GOSUMDB=off`), so that a go.sum that disagrees with the cache does not hide the build list
//! (modlens checks every go.sum line itself) and the project's files are never rewritten; in
//! a workspace it runs with `-mod=readonly`. Nothing here judges the cache: [`judge`] joins go's
//! answer with the scan and the verdicts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::OpsError;
use crate::cache::cancel::CancelToken;
use crate::cache::{ModuleEntry, ModuleKey};
use crate::fix::gocmd;
use crate::fix::refetch::GoRunner;
use crate::verify::gosum::GoSums;
use crate::verify::{Problem, Status, Verdict};

/// Where the project is, as go sees it.
#[derive(Debug, Clone)]
pub struct Project {
    /// The directory asked about.
    pub dir: PathBuf,
    /// The main module's go.mod (`go env GOMOD`).
    pub gomod: Option<PathBuf>,
    /// The workspace file, in workspace mode (`go env GOWORK`).
    pub gowork: Option<PathBuf>,
    /// The go that runs in it (`go env GOVERSION`, without `go`): `1.27.3`.
    pub go_version: Option<String>,
}

/// One module version of the build list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needed {
    /// The module path as required.
    pub path: String,
    /// The version as required.
    pub version: String,
    /// The cache entry that provides it: the requirement itself, or its replacement by another
    /// module version; `None` when a local directory replaces it.
    pub in_cache: Option<ModuleKey>,
    /// What replaces it, for people: `path@version` or a directory.
    pub replaced_by: Option<String>,
    /// Whether its source is needed (zip and tree), not only its go.mod: the project's go.sum
    /// holds its zip hash.
    pub needs_source: bool,
    /// Only required by other modules.
    pub indirect: bool,
    /// Its author's rationale, when it is retracted (known only when the proxy was asked).
    pub retracted: Option<String>,
    /// What go said about it, when it could not load it.
    pub go_error: Option<String>,
    /// go's words when its go.mod needs a newer go than the project's (go 1.21+ downloads
    /// such a version and then refuses it): `requires go >= 1.99 (running go 1.27.3)`.
    pub needs_newer_go: Option<String>,
    /// The directory of the module cache, when one hides its tree or download files from
    /// modlens (no permission): then nothing about it is known.
    pub hidden_by: Option<String>,
}

/// A project's needs.
#[derive(Debug, Clone)]
pub struct Needs {
    /// The project.
    pub project: Project,
    /// Every module version of the build list but the main modules, in go's order.
    pub modules: Vec<Needed>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedModule {
    path: String,
    version: Option<String>,
    #[serde(default)]
    main: bool,
    #[serde(default)]
    indirect: bool,
    replace: Option<Box<ListedModule>>,
    error: Option<ListedError>,
    retracted: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedError {
    err: String,
}

/// Asks go where the project in `dir` is: its go.mod, or its go.work.
pub fn locate(
    go: &GoRunner,
    modcache: &Path,
    dir: &Path,
    cancel: &CancelToken,
) -> Result<Project, OpsError> {
    let work = gocmd::TempDir::create("doctor")?;
    locate_in(go, modcache, dir, &work, cancel)
}

/// Asks go what `project` needs, against the cache at `modcache`; `gosums` are the project's
/// go.sum files, which say whose source is needed.
pub fn needs(
    go: &GoRunner,
    modcache: &Path,
    project: &Project,
    gosums: &GoSums,
    cancel: &CancelToken,
) -> Result<Needs, OpsError> {
    let modules = list_modules(go, modcache, project, false, cancel)?;
    let modules = modules
        .into_iter()
        .filter(|m| !m.main)
        .filter_map(|m| {
            let version = m.version?;
            let (in_cache, replaced_by) = match m.replace.as_deref() {
                Some(ListedModule {
                    path,
                    version: Some(v),
                    ..
                }) => (
                    Some(ModuleKey {
                        path: path.clone(),
                        version: v.clone(),
                    }),
                    Some(format!("{path}@{v}")),
                ),
                Some(dir) => (None, Some(dir.path.clone())),
                None => (
                    Some(ModuleKey {
                        path: m.path.clone(),
                        version: version.clone(),
                    }),
                    None,
                ),
            };
            let needs_source = in_cache
                .as_ref()
                .is_some_and(|k| gosums.zip_lines(k).iter().any(|l| l.is_h1()));
            let needs_newer_go = in_cache
                .as_ref()
                .and_then(|k| needs_newer_go(modcache, k, project.go_version.as_deref()?));
            let hidden_by = in_cache.as_ref().and_then(|k| hidden_by(modcache, k));
            Some(Needed {
                retracted: None,
                needs_newer_go,
                hidden_by,
                needs_source,
                path: m.path,
                version,
                in_cache,
                replaced_by,
                indirect: m.indirect,
                go_error: m.error.map(|e| e.err),
            })
        })
        .collect();
    Ok(Needs {
        project: project.clone(),
        modules,
    })
}

/// The directory that keeps modlens from `key`'s tree or `.mod` (permission denied on the way
/// down from the cache root), if one does.
fn hidden_by(modcache: &Path, key: &ModuleKey) -> Option<String> {
    use crate::cache::{ModCache, VersionFile};
    let cache = ModCache::new(modcache);
    let denied = |path: &Path| {
        std::fs::symlink_metadata(path)
            .is_err_and(|e| e.kind() == std::io::ErrorKind::PermissionDenied)
    };
    let target = [
        cache.tree_dir(key),
        cache.version_file(key, VersionFile::Mod),
    ]
    .into_iter()
    .find(|p| denied(p))?;
    let rel = target.strip_prefix(modcache).ok()?;
    let mut dir = modcache.to_path_buf();
    for part in rel.components() {
        if std::fs::read_dir(&dir).is_err_and(|e| e.kind() == std::io::ErrorKind::PermissionDenied)
        {
            break;
        }
        dir.push(part);
    }
    Some(crate::cache::fmt::escaped_path(&dir))
}

/// go's "requires go >= X (running go Y)" when the cached go.mod of `key` (its tree's, else its
/// `.mod`) has a `go` line newer than `running`; go 1.21 and later refuse such a version.
fn needs_newer_go(modcache: &Path, key: &ModuleKey, running: &str) -> Option<String> {
    use crate::cache::{ModCache, VersionFile, gover};
    let cache = ModCache::new(modcache);
    let read = |path: std::path::PathBuf| {
        crate::cache::read::read_text(&path, crate::cache::read::cap::GO_MOD).ok()
    };
    let text = read(cache.tree_dir(key).join("go.mod"))
        .or_else(|| read(cache.version_file(key, VersionFile::Mod)))?;
    let wanted = text.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        (words.next() == Some("go")).then(|| words.next()).flatten()
    })?;
    // Before go 1.21, go built such versions anyway.
    let modern = gover::compare(running, "1.21") != std::cmp::Ordering::Less;
    (modern && gover::compare(wanted, running) == std::cmp::Ordering::Greater)
        .then(|| format!("requires go >= {wanted} (running go {running})"))
}

/// `go list -m -e -json all` in the project, on a private copy of its go.mod; offline, or,
/// with `online`, asking the proxy for retractions too (`-retracted`: go reads each module's
/// latest go.mod, and caches it).
fn list_modules(
    go: &GoRunner,
    modcache: &Path,
    project: &Project,
    online: bool,
    cancel: &CancelToken,
) -> Result<Vec<ListedModule>, OpsError> {
    let work = gocmd::TempDir::create("doctor")?;
    let mut command = match (&project.gowork, &project.gomod) {
        (Some(_), _) | (None, None) => gocmd::command(go, modcache, "-mod=readonly"),
        (None, Some(gomod)) => {
            let copy = work.path().join("go.mod");
            copy_file(gomod, &copy)?;
            let mut command = gocmd::command(
                go,
                modcache,
                &format!("-mod=mod -modfile={}", copy.display()),
            );
            command.env("GOSUMDB", "off");
            command
        }
    };
    if !online {
        command.env("GOPROXY", "off");
    }
    command.args(["list", "-m", "-e", "-json"]);
    if online {
        command.arg("-retracted");
    }
    command.arg("all").current_dir(&project.dir);
    let listed = gocmd::run(command, work.path(), cancel)?;
    let modules: Vec<ListedModule> = serde_json::Deserializer::from_slice(&listed.stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|e| go_failed("go list -m", &listed.stderr, Some(e)))?;
    if modules.is_empty() {
        return Err(go_failed("go list -m", &listed.stderr, None));
    }
    Ok(modules)
}

/// The versions of the build list their authors retracted, with the rationale, as go reports
/// them; this asks the proxy (see [`list_modules`]).
pub fn retractions(
    go: &GoRunner,
    modcache: &Path,
    project: &Project,
    cancel: &CancelToken,
) -> Result<BTreeMap<(String, String), Vec<String>>, OpsError> {
    Ok(list_modules(go, modcache, project, true, cancel)?
        .into_iter()
        .filter_map(|m| Some(((m.path, m.version?), m.retracted?)))
        .collect())
}

/// `go env GOMOD GOWORK` in `dir`.
fn locate_in(
    go: &GoRunner,
    modcache: &Path,
    dir: &Path,
    work: &gocmd::TempDir,
    cancel: &CancelToken,
) -> Result<Project, OpsError> {
    if !dir.is_dir() {
        return Err(OpsError::Project {
            dir: dir.to_path_buf(),
            reason: "is not a directory".into(),
        });
    }
    let mut command = gocmd::command(go, modcache, "");
    command
        .args(["env", "-json", "GOMOD", "GOWORK", "GOVERSION"])
        .current_dir(dir);
    let out = gocmd::run(command, work.path(), cancel)?;
    let env: BTreeMap<String, String> = serde_json::from_slice(&out.stdout)
        .map_err(|e| go_failed("go env", &out.stderr, Some(e)))?;
    let set = |k: &str| {
        env.get(k)
            .filter(|v| !v.is_empty() && *v != "off")
            .map(PathBuf::from)
    };
    let mut project = Project {
        dir: dir.to_path_buf(),
        gomod: set("GOMOD"),
        gowork: set("GOWORK"),
        go_version: env
            .get("GOVERSION")
            .and_then(|v| v.strip_prefix("go"))
            .map(|v| v.split(' ').next().unwrap_or(v).to_owned()),
    };
    // go reports GOMOD as /dev/null outside any module (a workspace's root included), and
    // as empty when modules are turned off.
    let outside = project.gomod.as_deref() == Some(Path::new("/dev/null"));
    if outside {
        project.gomod = None;
    }
    if project.gomod.is_none() && project.gowork.is_none() {
        let modules_off = env.get("GOMOD").is_some_and(String::is_empty) && !outside;
        return Err(OpsError::Project {
            dir: dir.to_path_buf(),
            reason: if modules_off {
                "modules are turned off (GO111MODULE=off)".into()
            } else {
                "has no go.mod or go.work, here or above".into()
            },
        });
    }
    Ok(project)
}

fn copy_file(from: &Path, to: &Path) -> Result<(), OpsError> {
    let bytes = crate::cache::read::read_outside_capped(from, crate::cache::read::cap::GO_SUM)
        .map_err(|e| OpsError::Project {
            dir: from.to_path_buf(),
            reason: e.to_string(),
        })?;
    // Into modlens's own scratch directory: a new file, never through a link.
    let (dir, name) = (
        to.parent().unwrap_or(Path::new(".")),
        to.file_name().and_then(|n| n.to_str()).unwrap_or("go.sum"),
    );
    crate::fix::gocmd::create_private_file(dir, name)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &bytes))
        .map_err(|e| OpsError::go(format!("{}: {e}", to.display())))
}

fn go_failed(what: &str, stderr: &[u8], parse: Option<serde_json::Error>) -> OpsError {
    // go's error, not a progress line such as "go: downloading go1.22.10".
    let first = crate::cache::goenv::go_error_line(stderr);
    let message = match (first.is_empty(), parse) {
        (false, _) => format!("{what} failed: {first}"),
        (true, Some(e)) => format!("{what} printed no JSON: {e}"),
        (true, None) => format!("{what} printed nothing"),
    };
    OpsError::go(message)
}

/// The state of one needed module version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// In the cache, and every check passes.
    Verified,
    /// In the cache with problems.
    Broken(Vec<Problem>),
    /// Not in the cache at all.
    Missing,
    /// Only `.mod`/`.info` are cached, but its packages are built: go will download it.
    SourceMissing,
    /// Behind a directory modlens cannot read (named): not verified, and never called missing.
    Unreadable(String),
    /// Cached as published, but go refuses to use it, in go's words.
    Unusable(String),
    /// Cached whole, but its go.mod needs a newer go than the one running: a toolchain
    /// matter, not the cache's.
    NeedsNewerGo(String),
    /// Replaced by a local directory: not the cache's business.
    LocalReplacement,
    /// Retracted by its author, with the rationale (only known with `--online`). go still
    /// builds it; `go get MODULE@latest` moves off it.
    Retracted(String),
}

impl State {
    /// A stable name for JSON and tables.
    pub fn name(&self) -> &'static str {
        match self {
            State::Verified => "verified",
            State::Broken(_) => "broken",
            State::Missing => "missing",
            State::SourceMissing => "source_missing",
            State::Unreadable(_) => "unreadable",
            State::Unusable(_) => "unusable",
            State::NeedsNewerGo(_) => "needs_newer_go",
            State::LocalReplacement => "local",
            State::Retracted(_) => "retracted",
        }
    }

    /// Whether the project's build is fine as far as this version goes.
    pub fn is_fine(&self) -> bool {
        matches!(self, State::Verified | State::LocalReplacement)
    }

    /// Whether modlens can fix it (repair or download).
    pub fn is_fixable(&self) -> bool {
        matches!(
            self,
            State::Broken(_) | State::Missing | State::SourceMissing
        )
    }
}

/// Joins the needs with what the cache holds (`entries`) and the verdicts of those entries.
pub fn judge(
    needed: &Needed,
    entries: &BTreeMap<ModuleKey, ModuleEntry>,
    verdicts: &BTreeMap<ModuleKey, Verdict>,
) -> State {
    let Some(key) = &needed.in_cache else {
        return State::LocalReplacement;
    };
    let Some(entry) = entries.get(key) else {
        return match &needed.hidden_by {
            Some(dir) => State::Unreadable(dir.clone()),
            None => State::Missing,
        };
    };
    if let Some(why) = entry.unusable.clone() {
        return State::Unusable(why);
    }
    if let Some(why) = &needed.needs_newer_go {
        return State::NeedsNewerGo(why.clone());
    }
    // A replacement may declare the path it replaces; only a requirement's own .mod must
    // declare its own path.
    let published = verdicts
        .get(key)
        .and_then(|v| v.as_published.clone())
        .filter(|_| needed.replaced_by.is_none());
    if let Some(why) = published {
        return State::Unusable(why);
    }
    let p = entry.pieces;
    if !p.mod_file && !p.zip && !p.tree {
        return State::Missing;
    }
    if let Some(dir) = &needed.hidden_by {
        return State::Unreadable(dir.clone());
    }
    let problems = verdicts
        .get(key)
        .filter(|v| v.status == Status::Problem)
        .map(|v| v.problems.clone())
        .unwrap_or_default();
    if !problems.is_empty() {
        return State::Broken(problems);
    }
    if needed.needs_source && !(p.zip && p.tree) {
        return State::SourceMissing;
    }
    if !p.mod_file {
        return State::Missing;
    }
    if let Some(why) = &needed.retracted {
        return State::Retracted(why.clone());
    }
    State::Verified
}
