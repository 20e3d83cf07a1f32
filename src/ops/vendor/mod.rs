//! `vendor verify`: a project's `vendor/` directory checked as `go mod verify` never does
//! (golang/go#27348). go itself judges `vendor/modules.txt` against go.mod or go.work (`go list
//! -mod=vendor -m`, whose error is go's own words); then every vendored module's files are
//! compared with its zip (see [`crate::verify::diff::vendor`]), a zip first proven (see
//! [`zips`]). A module a directory replaces is compared with that directory, which is what
//! `go mod vendor` would copy again.

mod zips;

use std::path::{Path, PathBuf};

use super::engine::Engine;
use super::error::OpsError;
use crate::cache::ModCache;
use crate::cache::ModuleKey;
use crate::cache::cancel::CancelToken;
use crate::cache::goenv::GoEnv;
use crate::cache::read;
use crate::fix::gocmd::GoRunner;
use crate::verify::diff::vendor::{
    VendorSource, VendoredModule, diff_vendored, parse_modules_txt, vendors_nothing,
};
use crate::verify::diff::{DiffLimits, FileDiff};
use crate::verify::gosum::GoSums;
use zips::ProvenZips;

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
    /// The workspace whose vendor directory was checked, when the directory asked about is one
    /// of its modules (`go work vendor` writes it at the workspace's root, and go builds the
    /// module from there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<std::path::PathBuf>,
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
    // A workspace's vendor directory (`go work vendor`) is judged by go.work's go version, as
    // go's own vendoring is, unless GOWORK=off leaves the workspace.
    let workspaces = inputs.goenv.get("GOWORK").as_deref() != Some("off");
    let workspace = workspaces && dir.join("go.work").is_file();
    let modules_txt_path = dir.join("vendor/modules.txt");
    let above = (workspaces && !workspace)
        .then(|| workspace_above(dir))
        .flatten();
    if let Some(root) = &above
        && std::fs::symlink_metadata(&modules_txt_path).is_err()
        && root.join("vendor/modules.txt").is_file()
    {
        let mut report = verify_vendor(inputs, root)?;
        report.workspace = above;
        return Ok(report);
    }
    let modules_txt = read::read_text(&modules_txt_path, 64 << 20).map_err(|e| {
        let hint = match &above {
            Some(root) => format!(
                "this module is in the workspace {}: `go work vendor` there makes its vendor \
                 directory",
                root.join("go.work").display()
            ),
            None => "no vendor directory? `go mod vendor` makes one".to_owned(),
        };
        invalid(format!("{e} ({hint})"))
    })?;
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
        main_go: &main_go,
        all: &txt.modules,
    };
    let plans: Vec<Plan<'_>> = txt.modules.iter().map(|m| plan(&project, m)).collect();
    let keys: Vec<ModuleKey> = plans
        .iter()
        .filter_map(|p| match &p.from {
            From::Zip(key) => Some(key.clone()),
            _ => None,
        })
        .collect();
    let zips = ProvenZips::prove(inputs, &keys, &gosums);
    let modules = plans
        .iter()
        .map(|plan| check_module(&project, plan, &zips))
        .collect();
    Ok(VendorReport {
        manifest: manifest_name,
        inconsistent,
        not_judged,
        modules,
        workspace: None,
    })
}

/// The root of the workspace `dir` is in: the nearest `go.work` above it, as go finds it.
fn workspace_above(dir: &Path) -> Option<std::path::PathBuf> {
    let dir = std::path::absolute(dir).ok()?;
    dir.ancestors()
        .skip(1)
        .find(|d| d.join("go.work").is_file())
        .map(Path::to_path_buf)
}

/// What every vendored module of one project is checked with.
struct Project<'a> {
    dir: &'a Path,
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

/// What one vendored module is compared with.
enum From {
    /// Nothing: its modules.txt entry is not one go would follow.
    Invalid(String),
    /// Nothing: go vendors nothing of it, and vendor/ holds nothing of it.
    Nothing,
    /// The directory that replaces it, as go.mod names it.
    Directory(String),
    /// The zip of this module version.
    Zip(ModuleKey),
}

/// One vendored module, and what it is compared with.
struct Plan<'a> {
    module: &'a VendoredModule,
    from: From,
    /// Its directory below vendor/.
    vendored: PathBuf,
    /// The directories below it that are other vendored modules'.
    nested: Vec<String>,
}

fn plan<'a>(project: &Project<'_>, m: &'a VendoredModule) -> Plan<'a> {
    let nested: Vec<String> = project
        .all
        .iter()
        .filter_map(|o| o.path.strip_prefix(&format!("{}/", m.path)))
        .map(str::to_owned)
        .collect();
    let vendored = project.dir.join("vendor").join(&m.path);
    let from = if let Some(why) = invalid_entry(m) {
        From::Invalid(why)
    } else if vendors_nothing(m, &vendored, &nested) {
        From::Nothing
    } else {
        match m.source() {
            Some(key) => From::Zip(key),
            None => From::Directory(
                m.replacement
                    .as_ref()
                    .map_or(String::new(), |(p, _)| p.clone()),
            ),
        }
    };
    Plan {
        module: m,
        from,
        vendored,
        nested,
    }
}

/// One vendored module against its zip, or the directory that replaces it.
fn check_module(project: &Project<'_>, plan: &Plan<'_>, zips: &ProvenZips) -> VendorModule {
    let m = plan.module;
    let module = |source, checked| VendorModule {
        path: m.path.clone(),
        version: m.version.clone(),
        source,
        checked,
    };
    let compare = |from: VendorSource<'_>| {
        let limits = DiffLimits::default();
        match diff_vendored(
            m,
            from,
            &plan.vendored,
            &plan.nested,
            project.main_go,
            limits,
        ) {
            Ok(files) if files.is_empty() => Checked::Identical,
            Ok(files) => Checked::Differs { files },
            Err(e) => Checked::Unverified { why: e.to_string() },
        }
    };
    match &plan.from {
        From::Invalid(why) => module(None, Checked::Unverified { why: why.clone() }),
        From::Nothing => module(None, Checked::Identical),
        From::Directory(path) => {
            // Relative to the main module, as go.mod wrote it; through a link, as go reads it.
            let local = project.dir.join(path);
            let checked = if local.is_dir() {
                compare(VendorSource::Directory(&local))
            } else {
                Checked::Unverified {
                    why: format!("the directory {path} that replaces it is not there"),
                }
            };
            module(Some(Source::Directory(path.clone())), checked)
        }
        From::Zip(key) => {
            let checked = match zips.get(key) {
                Ok(zip) => compare(VendorSource::Zip(key, zip)),
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
