//! `vendor verify`: a project's `vendor/` directory checked as `go mod verify` never does
//! (golang/go#27348). go itself judges `vendor/modules.txt` against go.mod (`go list
//! -mod=vendor -m`, whose error is go's own words); then every vendored module's files are
//! compared with its zip (see [`crate::verify::diff::vendor`]), a zip first proven by the
//! project's go.sum: the cache's when it is there and proven, else one go downloads into a
//! private scratch directory.

use std::path::Path;

use super::engine::Engine;
use super::error::OpsError;
use crate::cache::cancel::CancelToken;
use crate::cache::read;
use crate::cache::{ModuleKey, VersionFile};
use crate::verify::diff::vendor::{VendoredModule, diff_vendored, parse_modules_txt};
use crate::verify::diff::{DiffLimits, FileDiff};
use crate::verify::gosum::GoSums;
use crate::verify::zipfile::{Scratch, check_zip};

/// What became of one vendored module.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Checked {
    /// Every vendored file is what its zip holds, and nothing go would copy is missing.
    Identical,
    /// Files differ: modified, extra or missing.
    Differs {
        /// How.
        files: Vec<FileDiff>,
    },
    /// Its zip could not be proven (no go.sum line, a download that failed or disagrees).
    Unverified {
        /// Why.
        why: String,
    },
    /// A directory replaces it: its files are the project's own, with no zip to compare.
    ReplacedByDirectory,
}

/// One vendored module and its verdict.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VendorModule {
    /// The module path.
    pub path: String,
    /// Its version.
    pub version: String,
    /// The module version its files come from, when a replacement says another.
    pub source: Option<String>,
    /// The verdict.
    #[serde(flatten)]
    pub checked: Checked,
}

/// What `vendor verify` found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VendorReport {
    /// go's words when it finds `vendor/modules.txt` inconsistent with go.mod.
    pub inconsistent: Option<String>,
    /// Why go could not judge `vendor/modules.txt`, when it could not run.
    pub not_judged: Option<String>,
    /// The vendored modules, in `modules.txt` order.
    pub modules: Vec<VendorModule>,
}

/// Checks the project at `dir`.
pub fn verify_vendor(engine: &Engine, dir: &Path) -> Result<VendorReport, OpsError> {
    let invalid = |why: String| OpsError::Invalid(format!("{}: {why}", dir.display()));
    let modules_txt = read::read_text(&dir.join("vendor/modules.txt"), 64 << 20).map_err(|e| {
        invalid(format!(
            "{e} (no vendor directory? `go mod vendor` makes one)"
        ))
    })?;
    let go_mod = read::read_text(&dir.join("go.mod"), read::cap::GO_MOD)
        .map_err(|e| invalid(e.to_string()))?;
    let main_go = go_mod
        .lines()
        .find_map(|l| l.trim().strip_prefix("go "))
        .map_or("1.16", str::trim)
        .to_owned();
    let mut gosums = GoSums::default();
    gosums.load_project(dir, false)?;
    let (inconsistent, not_judged) = match go_judges(engine, dir) {
        Ok(verdict) => (verdict, None),
        Err(why) => (None, Some(why)),
    };
    let txt = parse_modules_txt(&modules_txt);
    let mut modules = Vec::new();
    for m in &txt.modules {
        let checked = match m.source() {
            None => Checked::ReplacedByDirectory,
            Some(source) => check_module(engine, dir, &txt.modules, m, &source, &gosums, &main_go),
        };
        modules.push(VendorModule {
            path: m.path.clone(),
            version: m.version.clone(),
            source: m
                .replacement
                .as_ref()
                .and_then(|_| m.source())
                .map(|k| k.to_string()),
            checked,
        });
    }
    Ok(VendorReport {
        inconsistent,
        not_judged,
        modules,
    })
}

/// go's verdict on `vendor/modules.txt` (`None`: consistent), or why go could not say.
fn go_judges(engine: &Engine, dir: &Path) -> Result<Option<String>, String> {
    let go = engine.go_runner();
    let workdir = crate::fix::gocmd::TempDir::create("vendor").map_err(|e| e.to_string())?;
    let mut command = crate::fix::gocmd::command(&go, &engine.located.root, "");
    command.args(["list", "-mod=vendor", "-m"]).current_dir(dir);
    let out = crate::fix::gocmd::run(command, workdir.path(), &CancelToken::new())
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
fn proven_record(engine: &Engine, source: &ModuleKey) -> Option<(String, String)> {
    use crate::verify::sumdb::{Answer, cached_answer};
    let (keys, _) = super::engine::sumdb_keys(&engine.goenv);
    let sumdb = engine.cache().sumdb_root();
    keys.iter()
        .find_map(|verifier| match cached_answer(&sumdb, verifier, source) {
            Answer::Proven(Some(zip), _) => Some((zip, format!("the {} record", verifier.name))),
            _ => None,
        })
}

/// Compares `m`'s vendored files with `source`'s zip, once the zip is proven by go.sum.
fn check_module(
    engine: &Engine,
    dir: &Path,
    all: &[VendoredModule],
    m: &VendoredModule,
    source: &ModuleKey,
    gosums: &GoSums,
    main_go: &str,
) -> Checked {
    let unverified = |why: String| Checked::Unverified { why };
    // go.sum's line, else an answer of a checksum database go cached, proven by its tiles.
    let want = match gosums.zip_lines(source).iter().find(|l| l.is_h1()) {
        Some(line) => (line.hash.clone(), line.place()),
        None => match proven_record(engine, source) {
            Some(proven) => proven,
            None => {
                return unverified(format!(
                    "go.sum has no line for {source}, and no proven checksum-database answer \
                     is cached"
                ));
            }
        },
    };
    let hash = |zip: &Path| {
        Scratch::with(|scratch| check_zip(zip, source, scratch, false))
            .ok()
            .and_then(|r| r.h1)
            .map(|h| h.to_string())
    };
    let cached = engine.cache().version_file(source, VersionFile::Zip);
    let fetched;
    let zip = if hash(&cached).as_deref() == Some(want.0.as_str()) {
        cached
    } else {
        fetched = match super::diff::authentic_zip(&engine.go_runner(), source) {
            Ok(fetched) => fetched,
            Err(e) => return unverified(format!("no proven zip of {source}: {e}")),
        };
        match hash(&fetched.zip) {
            Some(h) if h == want.0 => fetched.zip.clone(),
            other => {
                return unverified(format!(
                    "the zip of {source} go downloads hashes to {}, {} says {}",
                    other.as_deref().unwrap_or("nothing"),
                    want.1,
                    want.0
                ));
            }
        }
    };
    let nested: Vec<String> = all
        .iter()
        .filter_map(|o| o.path.strip_prefix(&format!("{}/", m.path)))
        .map(str::to_owned)
        .collect();
    let vendored = dir.join("vendor").join(&m.path);
    match diff_vendored(
        m,
        source,
        &zip,
        &vendored,
        &nested,
        main_go,
        DiffLimits::default(),
    ) {
        Ok(files) if files.is_empty() => Checked::Identical,
        Ok(files) => Checked::Differs { files },
        Err(e) => unverified(e.to_string()),
    }
}
