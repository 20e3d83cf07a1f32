//! Judging a build cache: each output against its name, each action entry against go's
//! rules and against the output it names.
//!
//! Every finding says what go would do with it. The one that matters most is a corrupt output
//! of the size its action entry records: go checks only the size when it reuses an output
//! (`Cache.GetFile`), so it links the corrupt archive into the next binary. The others make go
//! miss (an action entry it cannot parse, an output that is gone or has another size) and
//! build again: wasted space, not wrong binaries. The fix is always to delete: go rebuilds
//! what it needs. Outputs that no action entry names are orphans, left by entries go wrote
//! over; they are not problems, and go's own trim removes them after 5 days.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::cache::gocache::scan::BuildSnapshot;
use crate::cache::gocache::{Id, rel_path};

/// An output written this recently may still be being written by a go command: it is not
/// judged by its hash.
pub const IN_FLIGHT: Duration = Duration::from_secs(60);

/// What is wrong, by a stable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildProblemKind {
    /// An output's SHA-256 is not its name.
    OutputCorrupt,
    /// An action entry names an output of another size.
    OutputSizeMismatch,
    /// An action entry names an output that is not there.
    OutputMissing,
    /// An action entry go cannot parse.
    ActionInvalid,
}

impl BuildProblemKind {
    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            BuildProblemKind::OutputCorrupt => "output_corrupt",
            BuildProblemKind::OutputSizeMismatch => "output_size_mismatch",
            BuildProblemKind::OutputMissing => "output_missing",
            BuildProblemKind::ActionInvalid => "action_invalid",
        }
    }
}

/// One finding, with the files its fix deletes (action entries first).
#[derive(Debug, Clone, Serialize)]
pub struct BuildProblem {
    /// What is wrong.
    pub kind: BuildProblemKind,
    /// The specifics.
    pub detail: String,
    /// What go does with it.
    pub go_does: &'static str,
    /// Files to delete, relative to the cache root, action entries before outputs.
    pub delete: Vec<String>,
}

/// The result of verifying a build cache.
#[derive(Debug, Default, Serialize)]
pub struct BuildVerdict {
    /// Problems found.
    pub problems: Vec<BuildProblem>,
    /// Outputs no action entry names, relative paths.
    pub orphans: Vec<String>,
    /// Their size on disk.
    pub orphan_bytes: u64,
    /// Outputs too recent to judge (a go command may be writing them).
    pub in_flight: usize,
}

/// Whether the output file's SHA-256 equals `id`, reading it in blocks.
pub fn output_matches(path: &Path, id: &Id) -> std::io::Result<bool> {
    let mut file = crate::cache::read::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().as_slice() == id)
}

/// Judges a scanned cache, given which outputs hashed to their name (`Some(true)`), did not
/// (`Some(false)`), or were not hashed (`None`: too recent, or unreadable).
pub fn judge(
    snapshot: &BuildSnapshot,
    hashed: &HashMap<Id, Option<bool>>,
    now: SystemTime,
) -> BuildVerdict {
    let mut verdict = BuildVerdict::default();
    let outputs: HashMap<Id, &crate::cache::gocache::scan::Output> =
        snapshot.outputs.iter().map(|o| (o.id, o)).collect();
    let mut named: HashMap<Id, Vec<(&Id, u64)>> = HashMap::new();
    for action in &snapshot.actions {
        let entry = rel_path(&action.id, 'a');
        let record = match action.record {
            Ok(record) => record,
            Err(reason) => {
                verdict.problems.push(BuildProblem {
                    kind: BuildProblemKind::ActionInvalid,
                    detail: format!("{entry}: {reason}"),
                    go_does: "treats it as a miss, builds again and writes the entry anew",
                    delete: vec![entry],
                });
                continue;
            }
        };
        named
            .entry(record.output)
            .or_default()
            .push((&action.id, record.size));
        match outputs.get(&record.output) {
            None => verdict.problems.push(BuildProblem {
                kind: BuildProblemKind::OutputMissing,
                detail: format!(
                    "{entry} names {}, which is not in the cache",
                    rel_path(&record.output, 'd')
                ),
                go_does: "treats it as a miss and builds again",
                delete: vec![entry],
            }),
            Some(output) if output.size != record.size => verdict.problems.push(BuildProblem {
                kind: BuildProblemKind::OutputSizeMismatch,
                detail: format!(
                    "{entry} records {} bytes; {} has {}",
                    record.size,
                    rel_path(&record.output, 'd'),
                    output.size
                ),
                go_does: "treats it as a miss (\"file incomplete\") and builds again",
                delete: vec![entry],
            }),
            Some(_) => {}
        }
    }
    for output in &snapshot.outputs {
        let path = rel_path(&output.id, 'd');
        let actions = named.get(&output.id);
        // A bad output goes with every action entry that names it, entries first.
        let with_entries = || {
            let mut delete: Vec<String> = actions
                .into_iter()
                .flatten()
                .map(|(id, _)| rel_path(id, 'a'))
                .collect();
            delete.push(path.clone());
            delete
        };
        if let Some(reason) = output.invalid {
            let delete = with_entries();
            verdict.problems.push(BuildProblem {
                kind: BuildProblemKind::OutputCorrupt,
                detail: format!("{path}/: {reason}"),
                go_does: "treats it as a miss (\"DO NOT USE\") and builds the program again",
                delete,
            });
            continue;
        }
        match hashed.get(&output.id).copied().flatten() {
            Some(false) => {
                let reused = actions.is_some_and(|a| a.iter().any(|(_, s)| *s == output.size));
                let delete = with_entries();
                verdict.problems.push(BuildProblem {
                    kind: BuildProblemKind::OutputCorrupt,
                    detail: format!("{path}: its SHA-256 is not its name"),
                    go_does: if reused {
                        "reuses it as is (go checks only its size): the next build that needs \
                         it compiles or links the corrupt file"
                    } else {
                        "never reuses it (no action entry names it with its size)"
                    },
                    delete,
                });
            }
            None if now.duration_since(output.used).unwrap_or_default() < IN_FLIGHT => {
                verdict.in_flight += 1;
            }
            _ => {}
        }
        if actions.is_none() {
            verdict.orphans.push(path);
            verdict.orphan_bytes += output.usage.disk;
        }
    }
    verdict
}
