//! What a project needs from the module cache, in go's own words.
//!
//! go is asked, offline (`GOPROXY=off`) and with the user's other settings, for the module
//! build list (`go list -m -e -json all`) and for the packages the build and its tests load
//! (`go list -e all`), whose modules are the ones whose source is needed; the others need only
//! their `go.mod`. In a single module, go works on a private copy of `go.mod` and `go.sum`
//! (`-modfile`), so the project's files are never rewritten; in a workspace it runs with
//! `-mod=readonly`. Nothing here judges the cache: [`judge`] joins go's answer with the scan
//! and the verdicts.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::OpsError;
use super::gocmd;
use super::refetch::GoRunner;
use crate::cache::cancel::CancelToken;
use crate::cache::{ModuleEntry, ModuleKey};
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
    /// Whether packages of it are built (its zip and tree are needed, not only its go.mod).
    pub needs_source: bool,
    /// Only required by other modules.
    pub indirect: bool,
    /// What go said about it, when it could not load it.
    pub go_error: Option<String>,
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
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedError {
    err: String,
}

/// Asks go what the project in `dir` needs, against the cache at `modcache`.
pub fn find(
    go: &GoRunner,
    modcache: &Path,
    dir: &Path,
    cancel: &CancelToken,
) -> Result<Needs, OpsError> {
    let work = gocmd::TempDir::create("doctor")?;
    let project = locate(go, modcache, dir, &work, cancel)?;
    let extra = match (&project.gowork, &project.gomod) {
        (Some(_), _) => "-mod=readonly".to_owned(),
        (None, Some(gomod)) => {
            // go may tidy the copy; the project's own files stay as they are.
            let copy = work.path().join("go.mod");
            copy_file(gomod, &copy)?;
            let sum = gomod.with_file_name("go.sum");
            if sum.is_file() {
                copy_file(&sum, &work.path().join("go.sum"))?;
            }
            format!("-mod=mod -modfile={}", copy.display())
        }
        (None, None) => unreachable!("locate returns a go.mod or a go.work"),
    };
    let offline = |args: &[&str]| {
        let mut command = gocmd::command(go, modcache, &extra);
        command.env("GOPROXY", "off").args(args).current_dir(dir);
        gocmd::run(command, work.path(), cancel)
    };
    let listed = offline(&["list", "-m", "-e", "-json", "all"])?;
    let modules: Vec<ListedModule> = serde_json::Deserializer::from_slice(&listed.stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|e| go_failed("go list -m", &listed.stderr, Some(e)))?;
    if modules.is_empty() {
        return Err(go_failed("go list -m", &listed.stderr, None));
    }
    let packages = offline(&[
        "list",
        "-e",
        "-f",
        "{{if not .Standard}}{{.ImportPath}}\t{{with .Module}}{{.Path}}\t{{.Version}}{{end}}{{end}}",
        "all",
    ])?;
    let build_list: Vec<(String, String)> = modules
        .iter()
        .filter(|m| !m.main)
        .filter_map(|m| Some((m.path.clone(), m.version.clone()?)))
        .collect();
    let with_source = modules_with_source(&String::from_utf8_lossy(&packages.stdout), &build_list);
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
            Some(Needed {
                needs_source: with_source.contains(&(m.path.clone(), version.clone())),
                path: m.path,
                version,
                in_cache,
                replaced_by,
                indirect: m.indirect,
                go_error: m.error.map(|e| e.err),
            })
        })
        .collect();
    Ok(Needs { project, modules })
}

/// `go env GOMOD GOWORK` in `dir`.
fn locate(
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
        .args(["env", "-json", "GOMOD", "GOWORK"])
        .current_dir(dir);
    let out = gocmd::run(command, work.path(), cancel)?;
    let env: BTreeMap<String, String> = serde_json::from_slice(&out.stdout)
        .map_err(|e| go_failed("go env", &out.stderr, Some(e)))?;
    let set = |k: &str| {
        env.get(k)
            .filter(|v| !v.is_empty() && *v != "off")
            .map(PathBuf::from)
    };
    let project = Project {
        dir: dir.to_path_buf(),
        gomod: set("GOMOD"),
        gowork: set("GOWORK"),
    };
    if project.gomod.as_deref() == Some(Path::new("/dev/null")) {
        return Err(OpsError::Project {
            dir: dir.to_path_buf(),
            reason: "modules are turned off (GO111MODULE=off)".into(),
        });
    }
    if project.gomod.is_none() && project.gowork.is_none() {
        return Err(OpsError::Project {
            dir: dir.to_path_buf(),
            reason: "has no go.mod or go.work, here or above".into(),
        });
    }
    Ok(project)
}

/// The build-list modules whose packages are loaded: a package's module as go reports it, or,
/// for a package go could not load (its module is not extracted), the build-list module with
/// the longest path that contains it, which is how go resolves an import.
fn modules_with_source(
    packages: &str,
    build_list: &[(String, String)],
) -> HashSet<(String, String)> {
    let mut found = HashSet::new();
    for line in packages.lines() {
        let mut fields = line.split('\t');
        let import = fields.next().unwrap_or("");
        match (fields.next(), fields.next()) {
            (Some(path), Some(version)) if !version.is_empty() => {
                found.insert((path.to_owned(), version.to_owned()));
            }
            _ => {
                let provider = build_list
                    .iter()
                    .filter(|(path, _)| {
                        import == path
                            || import
                                .strip_prefix(path.as_str())
                                .is_some_and(|rest| rest.starts_with('/'))
                    })
                    .max_by_key(|(path, _)| path.len());
                if let Some(module) = provider {
                    found.insert(module.clone());
                }
            }
        }
    }
    found
}

fn copy_file(from: &Path, to: &Path) -> Result<(), OpsError> {
    let bytes = crate::cache::read::read_outside_capped(from, crate::cache::read::cap::GO_SUM)
        .map_err(|e| OpsError::Project {
            dir: from.to_path_buf(),
            reason: e.to_string(),
        })?;
    std::fs::write(to, bytes).map_err(|e| OpsError::Go {
        message: format!("{}: {e}", to.display()),
    })
}

fn go_failed(what: &str, stderr: &[u8], parse: Option<serde_json::Error>) -> OpsError {
    let stderr = String::from_utf8_lossy(stderr);
    let first = stderr.trim();
    let message = match (first.is_empty(), parse) {
        (false, _) => format!("{what} failed: {first}"),
        (true, Some(e)) => format!("{what} printed no JSON: {e}"),
        (true, None) => format!("{what} printed nothing"),
    };
    OpsError::Go { message }
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
    /// Cached as published, but go refuses to use it, in go's words.
    Unusable(String),
    /// Replaced by a local directory: not the cache's business.
    LocalReplacement,
}

impl State {
    /// A stable name for JSON and tables.
    pub fn name(&self) -> &'static str {
        match self {
            State::Verified => "verified",
            State::Broken(_) => "broken",
            State::Missing => "missing",
            State::SourceMissing => "source_missing",
            State::Unusable(_) => "unusable",
            State::LocalReplacement => "local",
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
        return State::Missing;
    };
    if let Some(why) = entry.unusable.clone() {
        return State::Unusable(why);
    }
    let p = entry.pieces;
    if !p.mod_file && !p.zip && !p.tree {
        return State::Missing;
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
    State::Verified
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unloaded_package_belongs_to_the_longest_module_path_that_holds_it() {
        let build_list = vec![
            ("example.com/a".to_owned(), "v1.0.0".to_owned()),
            ("example.com/a/sub".to_owned(), "v1.2.0".to_owned()),
            ("example.com/ab".to_owned(), "v1.0.0".to_owned()),
        ];
        let packages = "example.com/a/sub/x\t\nexample.com/ab\texample.com/ab\tv1.0.0\n";
        let found = modules_with_source(packages, &build_list);
        assert!(found.contains(&("example.com/a/sub".into(), "v1.2.0".into())));
        assert!(found.contains(&("example.com/ab".into(), "v1.0.0".into())));
        assert!(!found.contains(&("example.com/a".into(), "v1.0.0".into())));
    }
}
