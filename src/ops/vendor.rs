//! `vendor verify`: a project's `vendor/` directory checked as `go mod verify` never does
//! (golang/go#27348). go itself judges `vendor/modules.txt` against go.mod or go.work (`go list
//! -mod=vendor -m`, whose error is go's own words); then every vendored module's files are
//! compared with its zip (see [`crate::verify::diff::vendor`]), a zip first proven by the
//! project's go.sum: the cache's when it is there and proven, else one go downloads into a
//! private scratch directory. A module a directory replaces is compared with that directory,
//! which is what `go mod vendor` would copy again.

use std::path::{Path, PathBuf};

use super::diff::AuthenticZip;
use super::engine::Engine;
use super::error::OpsError;
use crate::cache::ModCache;
use crate::cache::cancel::CancelToken;
use crate::cache::goenv::GoEnv;
use crate::cache::read;
use crate::cache::{ModuleKey, VersionFile};
use crate::fix::gocmd::GoRunner;
use crate::verify::diff::vendor::{
    VendorSource, VendoredModule, diff_vendored, parse_modules_txt, vendors_nothing,
};
use crate::verify::diff::{DiffLimits, FileDiff};
use crate::verify::gosum::GoSums;
use crate::verify::zipfile::{Scratch, check_zip};

/// What became of one vendored module.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Checked {
    /// Every vendored file is what its source holds, and nothing go would copy is missing.
    Identical,
    /// Files differ: modified, extra or missing.
    Differs {
        /// How.
        files: Vec<FileDiff>,
    },
    /// Its zip could not be proven (no go.sum line, a download that failed or disagrees), or
    /// the directory that replaces it is not there.
    Unverified {
        /// Why.
        why: String,
    },
}

/// Where a vendored module's files come from, when a replacement says so.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Another module version (`path@version`).
    Module(String),
    /// A directory, as go.mod (or go.work) names it.
    Directory(String),
}

/// One vendored module and its verdict.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VendorModule {
    /// The module path.
    pub path: String,
    /// Its version.
    pub version: String,
    /// Where its files come from, when a replacement says so.
    pub source: Option<Source>,
    /// The verdict.
    #[serde(flatten)]
    pub checked: Checked,
}

/// What `vendor verify` found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VendorReport {
    /// What `vendor/modules.txt` is judged against: `go.mod`, or a workspace's `go.work`.
    pub manifest: &'static str,
    /// go's words when it finds `vendor/modules.txt` inconsistent with go.mod.
    pub inconsistent: Option<String>,
    /// Why go could not judge `vendor/modules.txt`, when it could not run.
    pub not_judged: Option<String>,
    /// The vendored modules, in `modules.txt` order.
    pub modules: Vec<VendorModule>,
}

/// What a vendor check runs with: go, the user's go settings, and the module cache, when
/// there is one (a project that builds from `vendor/` may have none: its zips are then
/// downloaded into scratch directories).
pub struct VendorInputs<'a> {
    /// How go runs.
    pub go: GoRunner,
    /// The user's go settings (the checksum databases' keys).
    pub goenv: &'a GoEnv,
    /// The module cache.
    pub cache: Option<ModCache>,
    /// Stops go (its downloads of authentic copies, its judgement of modules.txt).
    pub cancel: CancelToken,
}

impl<'a> VendorInputs<'a> {
    /// With the engine's go and cache.
    pub fn of(engine: &'a Engine) -> Self {
        VendorInputs {
            go: engine.go_runner(),
            goenv: &engine.goenv,
            cache: Some(engine.cache()),
            cancel: CancelToken::new(),
        }
    }

    /// With no module cache.
    pub fn without_cache(goenv: &'a GoEnv) -> Self {
        VendorInputs {
            go: GoRunner::new(goenv),
            goenv,
            cache: None,
            cancel: CancelToken::new(),
        }
    }
}

/// Checks the project at `dir`.
pub fn verify_vendor(inputs: &VendorInputs<'_>, dir: &Path) -> Result<VendorReport, OpsError> {
    let invalid = |why: String| OpsError::Invalid(format!("{}: {why}", dir.display()));
    let modules_txt = read::read_text(&dir.join("vendor/modules.txt"), 64 << 20).map_err(|e| {
        invalid(format!(
            "{e} (no vendor directory? `go mod vendor` makes one)"
        ))
    })?;
    // A workspace's vendor directory (`go work vendor`) is judged by go.work's go version, as
    // go's own vendoring is, unless GOWORK=off leaves the workspace.
    let workspace =
        inputs.goenv.get("GOWORK").as_deref() != Some("off") && dir.join("go.work").is_file();
    let manifest_name = if workspace { "go.work" } else { "go.mod" };
    let manifest = dir.join(manifest_name);
    let manifest_text =
        read::read_text(&manifest, read::cap::GO_MOD).map_err(|e| invalid(e.to_string()))?;
    let main_go = manifest_text
        .lines()
        .find_map(|l| l.trim().strip_prefix("go "))
        .map_or("1.16", str::trim)
        .to_owned();
    let mut gosums = GoSums::default();
    gosums.load_project(dir, false)?;
    let (inconsistent, not_judged) = match go_judges(inputs, dir) {
        Ok(verdict) => (verdict, None),
        Err(why) => (None, Some(why)),
    };
    let txt = parse_modules_txt(&modules_txt);
    let project = Project {
        dir,
        gosums: &gosums,
        main_go: &main_go,
        all: &txt.modules,
    };
    let modules = txt
        .modules
        .iter()
        .map(|m| check_module(inputs, &project, m))
        .collect();
    Ok(VendorReport {
        manifest: manifest_name,
        inconsistent,
        not_judged,
        modules,
    })
}

/// What every vendored module of one project is checked with.
struct Project<'a> {
    dir: &'a Path,
    gosums: &'a GoSums,
    main_go: &'a str,
    all: &'a [VendoredModule],
}

/// Why `m`'s block of modules.txt names something that could lead outside `vendor/` or the
/// cache (a path with `..` or a leading slash, a version that is no version), if it does: go
/// itself imports nothing by such a path.
fn invalid_entry(m: &VendoredModule) -> Option<String> {
    use crate::cache::module::{check_import_path, check_path};
    if let Err(why) = check_import_path(&m.path) {
        return Some(format!(
            "invalid module path {:?} in vendor/modules.txt: {why}",
            m.path
        ));
    }
    if let Some((path, Some(_))) = &m.replacement
        && let Err(why) = check_path(path)
    {
        return Some(format!(
            "invalid replacement module path {path:?} in vendor/modules.txt: {why}"
        ));
    }
    let key = m.source()?;
    (!crate::cache::semver::is_valid(&key.version))
        .then(|| format!("invalid version {:?} in vendor/modules.txt", key.version))
}

/// One vendored module against its zip, or the directory that replaces it.
fn check_module(
    inputs: &VendorInputs<'_>,
    project: &Project<'_>,
    m: &VendoredModule,
) -> VendorModule {
    let module = |source, checked| VendorModule {
        path: m.path.clone(),
        version: m.version.clone(),
        source,
        checked,
    };
    if let Some(why) = invalid_entry(m) {
        return module(None, Checked::Unverified { why });
    }
    let nested: Vec<String> = project
        .all
        .iter()
        .filter_map(|o| o.path.strip_prefix(&format!("{}/", m.path)))
        .map(str::to_owned)
        .collect();
    let vendored = project.dir.join("vendor").join(&m.path);
    let compare = |from: VendorSource<'_>| {
        let limits = DiffLimits::default();
        match diff_vendored(m, from, &vendored, &nested, project.main_go, limits) {
            Ok(files) if files.is_empty() => Checked::Identical,
            Ok(files) => Checked::Differs { files },
            Err(e) => Checked::Unverified { why: e.to_string() },
        }
    };
    if vendors_nothing(m, &vendored, &nested) {
        return module(None, Checked::Identical);
    }
    match m.source() {
        None => {
            // Relative to the main module, as go.mod wrote it; through a link, as go reads it.
            let path = m.replacement.as_ref().map_or("", |(p, _)| p.as_str());
            let local = project.dir.join(path);
            let checked = if local.is_dir() {
                compare(VendorSource::Directory(&local))
            } else {
                Checked::Unverified {
                    why: format!("the directory {path} that replaces it is not there"),
                }
            };
            module(Some(Source::Directory(path.to_owned())), checked)
        }
        Some(key) => {
            let checked = match proven_zip(inputs, &key, project.gosums) {
                Ok(zip) => compare(VendorSource::Zip(&key, zip.path())),
                Err(why) => Checked::Unverified { why },
            };
            let source = m
                .replacement
                .as_ref()
                .map(|_| Source::Module(key.to_string()));
            module(source, checked)
        }
    }
}

/// go's verdict on `vendor/modules.txt` (`None`: consistent), or why go could not say.
fn go_judges(inputs: &VendorInputs<'_>, dir: &Path) -> Result<Option<String>, String> {
    let workdir = crate::fix::gocmd::TempDir::create("vendor").map_err(|e| e.to_string())?;
    // go reads no module cache to judge vendor/; without one, a scratch path stands in.
    let modcache = inputs.cache.as_ref().map_or_else(
        || workdir.path().join("modcache"),
        |c| c.root().to_path_buf(),
    );
    let mut command = crate::fix::gocmd::command(&inputs.go, &modcache, "");
    command.args(["list", "-mod=vendor", "-m"]).current_dir(dir);
    let out = crate::fix::gocmd::run(command, workdir.path(), &inputs.cancel)
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        return Ok(None);
    }
    let words = String::from_utf8_lossy(&out.stderr).trim_end().to_owned();
    if words.contains("inconsistent vendoring") {
        Ok(Some(words))
    } else {
        Err(words)
    }
}

/// The zip hash of `source` in a checksum-database answer go cached, proven by the cached
/// tiles, and where it comes from.
fn proven_record(inputs: &VendorInputs<'_>, source: &ModuleKey) -> Option<(String, String)> {
    use crate::verify::sumdb::{Answer, cached_answer};
    let (keys, _) = super::engine::sumdb_keys(inputs.goenv);
    let sumdb = inputs.cache.as_ref()?.sumdb_root();
    keys.iter()
        .find_map(|verifier| match cached_answer(&sumdb, verifier, source) {
            Answer::Proven(Some(zip), _) => Some((zip, format!("the {} record", verifier.name))),
            _ => None,
        })
}

/// A zip proven by go.sum (or a proven checksum-database answer): the cache's, or one go
/// downloaded into a private scratch directory, which lives as long as this.
enum ProvenZip {
    Cached(PathBuf),
    Fetched(AuthenticZip),
}

impl ProvenZip {
    fn path(&self) -> &Path {
        match self {
            ProvenZip::Cached(path) => path,
            ProvenZip::Fetched(fetched) => &fetched.zip,
        }
    }
}

/// `source`'s zip, once proven by go.sum, else by an answer of a checksum database go cached
/// and proved by its tiles; or why there is none.
fn proven_zip(
    inputs: &VendorInputs<'_>,
    source: &ModuleKey,
    gosums: &GoSums,
) -> Result<ProvenZip, String> {
    let want = match gosums.zip_lines(source).iter().find(|l| l.is_h1()) {
        Some(line) => (line.hash.clone(), line.place()),
        None => proven_record(inputs, source).ok_or_else(|| {
            format!(
                "go.sum has no line for {source}, and no proven checksum-database answer is \
                 cached"
            )
        })?,
    };
    let hash = |zip: &Path| {
        Scratch::with(|scratch| check_zip(zip, source, scratch, false))
            .ok()
            .and_then(|r| r.h1)
            .map(|h| h.to_string())
    };
    if let Some(cache) = &inputs.cache {
        let cached = cache.version_file(source, VersionFile::Zip);
        if hash(&cached).as_deref() == Some(want.0.as_str()) {
            return Ok(ProvenZip::Cached(cached));
        }
    }
    let fetched = super::diff::authentic_zip(&inputs.go, source, &inputs.cancel)
        .map_err(|e| format!("no proven zip of {source}: {e}"))?;
    match hash(&fetched.zip) {
        Some(h) if h == want.0 => Ok(ProvenZip::Fetched(fetched)),
        other => Err(format!(
            "the zip of {source} go downloads hashes to {}, {} says {}",
            other.as_deref().unwrap_or("nothing"),
            want.1,
            want.0
        )),
    }
}
