//! Verdicts on the versions a shared store holds, as Athens and go reason about them.
//!
//! - `malformed`: a zip that breaks go's module-zip rules or cannot be read, an `.info` whose
//!   Version is not the version, a missing piece, an interrupted save;
//! - `mismatch`: the zip's or the go.mod's `h1:` differs from a go.sum line, or from a cached
//!   checksum-database answer whose record is proven by the cached tiles;
//! - `match`: the zip (or, when only a go.mod is stored, the go.mod) agrees with at least one
//!   such expectation, and nothing disagrees;
//! - `unverifiable`: nothing to compare with (no go.sum line, no proven answer), or the module
//!   is private to the checksum database (GONOSUMDB, GOPRIVATE).
//!
//! An unproven answer never decides anything: whoever wrote the store could have written it.

use serde::Serialize;

use super::gosum::GoSums;
use super::hash::{H1, hash_go_mod};
use super::sumdb::{Answer, AskDatabase, DbAnswer, Verifier, cached_answer};
use super::zipfile::{Scratch, check_zip};
use crate::cache::read::{self, cap};
use crate::cache::store::{Piece, Store, StoredVersion};

/// Why a version is unverifiable, when nothing says what it should be.
pub const NOTHING_TO_COMPARE: &str =
    "no go.sum line names it and the store holds no proven checksum-database answer";
/// Why a private version is unverifiable.
pub const PRIVATE: &str =
    "private to the checksum database (GONOSUMDB/GOPRIVATE), and no go.sum line names it";

/// What a store version is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreStatus {
    /// What go.sum or the checksum database says.
    Match,
    /// Not what go.sum or the checksum database says.
    Mismatch,
    /// Nothing says what it should be.
    Unverifiable,
    /// Broken as stored.
    Malformed,
}

impl StoreStatus {
    /// Its name, as reports show it.
    pub fn name(self) -> &'static str {
        match self {
            StoreStatus::Match => "match",
            StoreStatus::Mismatch => "mismatch",
            StoreStatus::Unverifiable => "unverifiable",
            StoreStatus::Malformed => "malformed",
        }
    }

    /// Whether a `proxy clean` may remove it: only what is proven wrong.
    pub fn is_wrong(self) -> bool {
        matches!(self, StoreStatus::Mismatch | StoreStatus::Malformed)
    }
}

/// The verdict on one stored version.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct StoreVerdict {
    /// The module path.
    pub path: String,
    /// The version.
    pub version: String,
    /// The verdict.
    pub status: StoreStatus,
    /// The zip's `h1:`, when it could be hashed.
    pub zip_h1: Option<String>,
    /// The go.mod's `h1:`.
    pub mod_h1: Option<String>,
    /// What the verdict rests on, one line each: a malformation, a disagreement, an agreement.
    pub reasons: Vec<String>,
}

/// What store versions are checked against.
pub struct StoreExpectations<'a> {
    /// go.sum lines (`--project`).
    pub gosums: &'a GoSums,
    /// The checksum databases whose cached answers count.
    pub verifiers: &'a [Verifier],
    /// Whether a module path is private to the checksum database (GONOSUMDB, GOPRIVATE).
    pub private: &'a (dyn Fn(&str) -> bool + Sync),
    /// The checksum database online (`--sumdb`), asked about every version that is not
    /// private and has no proven cached answer from it.
    pub online: Option<&'a dyn AskDatabase>,
}

/// Judges `v`, hashing its zip with `scratch`.
pub fn judge(
    store: &Store,
    v: &StoredVersion,
    expect: &StoreExpectations<'_>,
    scratch: &mut Scratch,
) -> StoreVerdict {
    let key = &v.key;
    let mut malformed: Vec<String> = v.problems.clone();
    if !v.has_go_mod && v.problems.is_empty() {
        malformed.push("its go.mod is missing".into());
    }
    if let Some(info) = store.piece(v, Piece::Info) {
        match info_version(&info) {
            Ok(version) if version == key.version => {}
            Ok(version) => malformed.push(format!(
                ".info says Version {version:?}, not {:?}",
                key.version
            )),
            Err(why) => malformed.push(format!(".info: {why}")),
        }
    }
    let zip_h1 = match store.piece(v, Piece::Zip) {
        None => None,
        Some(zip) => match check_zip(&zip, key, scratch, false) {
            Ok(report) => {
                malformed.extend(report.structure.iter().map(|s| format!("zip: {s}")));
                report.h1
            }
            Err(e) => {
                malformed.push(e.to_string());
                None
            }
        },
    };
    let mod_h1 =
        store
            .piece(v, Piece::GoMod)
            .and_then(|m| match read::read_capped(&m, cap::GO_MOD) {
                Ok(bytes) => Some(hash_go_mod(&bytes)),
                Err(e) => {
                    malformed.push(format!("go.mod: {e}"));
                    None
                }
            });
    let mut verdict = StoreVerdict {
        path: key.path.clone(),
        version: key.version.clone(),
        status: StoreStatus::Malformed,
        zip_h1: zip_h1.map(|h| h.to_string()),
        mod_h1: mod_h1.map(|h| h.to_string()),
        reasons: malformed,
    };
    if !verdict.reasons.is_empty() {
        return verdict;
    }
    let mut agree = (false, false);
    let mut disagree = Vec::new();
    let mut unproven = Vec::new();
    let mut compare = |what: &str, ours: Option<H1>, theirs: &str, source: String| {
        let Some(ours) = ours else { return };
        if ours.to_string() == theirs {
            if what == "zip" {
                agree.0 = true;
            } else {
                agree.1 = true;
            }
        } else {
            disagree.push(format!(
                "{what}: the store has {ours}, {source} says {theirs}"
            ));
        }
    };
    for line in expect.gosums.zip_lines(key).iter().filter(|l| l.is_h1()) {
        compare("zip", zip_h1, &line.hash, line.place());
    }
    for line in expect.gosums.mod_lines(key).iter().filter(|l| l.is_h1()) {
        compare("go.mod", mod_h1, &line.hash, line.place());
    }
    let private = (expect.private)(&key.path);
    if !private {
        let mut cached = Vec::new();
        for verifier in expect.verifiers {
            match cached_answer(&store.root.join("sumdb"), verifier, key) {
                Answer::None => {}
                Answer::Unproven(why) => unproven.push(why),
                Answer::Proven(zip, go_mod) => {
                    cached.push(verifier.name.as_str());
                    let source = format!("the {} record", verifier.name);
                    if let Some(h) = zip {
                        compare("zip", zip_h1, &h, source.clone());
                    }
                    if let Some(h) = go_mod {
                        compare("go.mod", mod_h1, &h, source);
                    }
                }
            }
        }
        if let Some(db) = expect.online.filter(|db| !cached.contains(&db.name())) {
            match db.ask(key) {
                DbAnswer::Proven(lookup) => {
                    let source = format!("the {} database", db.name());
                    if let Some(h) = lookup.hash_for(&key.path, &key.version) {
                        compare("zip", zip_h1, h, source.clone());
                    }
                    let go_mod_version = format!("{}/go.mod", key.version);
                    if let Some(h) = lookup.hash_for(&key.path, &go_mod_version) {
                        compare("go.mod", mod_h1, h, source);
                    }
                }
                other => unproven.extend(other.why_not()),
            }
        }
    }
    let proven = if v.has_zip { agree.0 } else { agree.1 };
    verdict.status = if !disagree.is_empty() {
        StoreStatus::Mismatch
    } else if proven {
        StoreStatus::Match
    } else {
        StoreStatus::Unverifiable
    };
    verdict.reasons = disagree;
    if verdict.status == StoreStatus::Unverifiable {
        verdict.reasons.push(if agree.1 {
            // go needs the zip proven too; its go.mod alone says nothing of it.
            "its go.mod is proven, but nothing says what its zip should be (no go.sum line \
             or checksum-database answer for the zip)"
                .into()
        } else if private {
            PRIVATE.into()
        } else {
            NOTHING_TO_COMPARE.into()
        });
        verdict.reasons.extend(unproven);
    }
    verdict
}

/// The Version an `.info` file states.
fn info_version(path: &std::path::Path) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Info {
        #[serde(rename = "Version")]
        version: String,
    }
    let bytes = read::read_capped(path, 1 << 20).map_err(|e| e.to_string())?;
    serde_json::from_slice::<Info>(&bytes)
        .map(|i| i.version)
        .map_err(|e| format!("not go's JSON: {e}"))
}
