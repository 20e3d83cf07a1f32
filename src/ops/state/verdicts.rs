//! Remembered verdicts. A verdict is reused only when the digest of everything it was
//! computed from is unchanged: the version's fingerprint (every file's inode, size, mode and
//! times), the go.sum lines it was compared with, the checksum-database cache, and the verifier
//! itself; and when its last full hash is younger than `--rehash-after` (disk corruption
//! changes no metadata).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rusqlite::params;
use sha2::{Digest, Sha256};

use super::{State, StateError, unix};
use crate::cache::{ModuleEntry, ModuleKey};
use crate::verify::{Expectations, Verdict};

/// The revision of the verifier's rules: raised whenever a verdict or a fix it gives changes
/// between releases, so that no verdict of older rules stands (2: `.mod` restored from zips).
const RULES: u32 = 2;

/// A verdict from an earlier run.
#[derive(Debug, Clone)]
pub struct Remembered {
    /// The digest it was computed from.
    pub digest: [u8; 32],
    /// When its files were last hashed (seconds since the epoch).
    pub hashed_at: i64,
    /// The verdict.
    pub verdict: Verdict,
}

/// What a verification remembers with, for one cache and one run.
#[derive(Debug, Clone)]
pub struct Memory {
    /// The database.
    pub state: Arc<State>,
    /// The cache.
    pub root: PathBuf,
    /// What every verdict of this run depends on besides the version: the verifier, the
    /// checksum-database keys and the state of the checksum-database cache.
    pub context: [u8; 32],
    /// Verdicts hashed longer ago than this are hashed again.
    pub rehash_after: Duration,
    /// Hash everything again, remembering nothing.
    pub full: bool,
}

impl Memory {
    /// The memory for verifying the cache at `root` against `expect`.
    pub fn new(
        state: Arc<State>,
        root: &Path,
        expect: &Expectations,
        rehash_after: Duration,
        full: bool,
    ) -> Memory {
        let mut h = Sha256::new();
        h.update(b"modlens verdict ");
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(RULES.to_le_bytes());
        for key in &expect.sumdb_keys {
            h.update(key.name.as_bytes());
            h.update(key.key_hash.to_le_bytes());
        }
        // Cached checksum-database answers and tiles: any change there may change a verdict.
        let sumdb = root.join("cache").join("download").join("sumdb");
        if sumdb.is_dir() {
            let inodes = crate::cache::measure::InodeSet::default();
            crate::cache::measure::measure_folding(&sumdb, &inodes, Some(&mut h));
        }
        Memory {
            state,
            root: root.to_path_buf(),
            context: h.finalize().into(),
            rehash_after,
            full,
        }
    }

    /// The digest of everything `entry`'s verdict depends on, or `None` when the scan took no
    /// fingerprint.
    pub fn digest(&self, entry: &ModuleEntry, expect: &Expectations) -> Option<[u8; 32]> {
        let fingerprint = entry.fingerprint?;
        let mut h = Sha256::new();
        h.update(self.context);
        h.update(fingerprint);
        for (what, lines) in [
            ("zip", expect.gosums.zip_lines(&entry.key)),
            ("mod", expect.gosums.mod_lines(&entry.key)),
        ] {
            for l in lines {
                h.update(what.as_bytes());
                h.update(l.file.as_os_str().as_encoded_bytes());
                h.update((l.line as u64).to_le_bytes());
                h.update(l.hash.as_bytes());
            }
        }
        // A fips140 tree is judged against GOROOT's snapshot: which one, if any, is an input.
        if entry.kind == crate::cache::Kind::Fips140 {
            h.update(b"fips snapshot");
            if let Some(zip) = expect.fips_snapshot(&entry.key.version) {
                h.update(zip.as_os_str().as_encoded_bytes());
                if let Ok(meta) = std::fs::metadata(&zip) {
                    h.update(meta.len().to_le_bytes());
                    h.update(meta.modified().map(unix).unwrap_or(0).to_le_bytes());
                }
            }
        }
        Some(h.finalize().into())
    }

    /// Whether a remembered verdict may stand for `digest` now.
    pub fn still_good(&self, remembered: &Remembered, digest: &[u8; 32], now: SystemTime) -> bool {
        let age = unix(now).saturating_sub(remembered.hashed_at);
        !self.full
            && remembered.digest == *digest
            && u64::try_from(age).is_ok_and(|age| age <= self.rehash_after.as_secs())
    }
}

impl State {
    /// Every verdict remembered for the cache at `root`; rows that no longer parse (written
    /// by another version) are left out.
    pub fn recall(&self, root: &Path) -> Result<HashMap<ModuleKey, Remembered>, StateError> {
        type Raw = (ModuleKey, Vec<u8>, i64, rusqlite::types::Value);
        let raw: Vec<Raw> = {
            let conn = self.lock();
            let mut stmt = conn
                .prepare(
                    "SELECT path, version, digest, hashed_at, verdict FROM verdicts \
                     WHERE cache = ?1",
                )
                .map_err(self.sqlite())?;
            let rows = stmt
                .query_map(params![root.to_string_lossy()], |r| {
                    Ok((
                        ModuleKey {
                            path: r.get(0)?,
                            version: r.get(1)?,
                        },
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, rusqlite::types::Value>(4)?,
                    ))
                })
                .map_err(self.sqlite())?;
            rows.collect::<Result<_, _>>().map_err(self.sqlite())?
        };
        // Parsed without the lock, so that other readers go on meanwhile.
        let mut out = HashMap::with_capacity(raw.len());
        for (key, digest, hashed_at, verdict) in raw {
            let (Ok(digest), Some(verdict)) = (
                <[u8; 32]>::try_from(digest),
                super::decode::<Verdict>(verdict),
            ) else {
                continue;
            };
            out.insert(
                key,
                Remembered {
                    digest,
                    hashed_at,
                    verdict,
                },
            );
        }
        Ok(out)
    }

    /// Remembers verdicts just computed at `at`, each with its digest.
    pub fn remember(
        &self,
        root: &Path,
        at: SystemTime,
        verdicts: &[([u8; 32], Verdict)],
    ) -> Result<(), StateError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(self.sqlite())?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO verdicts (cache, path, version, digest, hashed_at, verdict)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (cache, path, version) DO UPDATE SET
                         digest = excluded.digest, hashed_at = excluded.hashed_at,
                         verdict = excluded.verdict",
                )
                .map_err(self.sqlite())?;
            for (digest, verdict) in verdicts {
                let encoded = super::encode(verdict);
                stmt.execute(params![
                    root.to_string_lossy(),
                    verdict.key.path,
                    verdict.key.version,
                    digest.to_vec(),
                    unix(at),
                    encoded
                ])
                .map_err(self.sqlite())?;
            }
        }
        tx.commit().map_err(self.sqlite())
    }
}
