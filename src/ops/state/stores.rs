//! Remembered verdicts on the versions of shared stores. A verdict is reused while the digest
//! of what it rests on is unchanged (the version's files: size, times and inode; the go.sum
//! lines for it; whether it is private; the store's cached checksum-database answers and
//! tiles; the verifier) and it is younger than 30 days, since disk corruption changes no
//! metadata. Verdicts are written a chunk at a time, so that an interrupted run resumes where
//! it stopped.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rusqlite::params;
use sha2::{Digest, Sha256};

use super::{State, StateError, unix};
use crate::cache::store::{Piece, Store, StoredVersion};
use crate::verify::gosum::GoSums;
use crate::verify::store::StoreVerdict;
use crate::verify::sumdb::Verifier;

/// How long a remembered verdict stands.
const MAX_AGE: Duration = Duration::from_secs(30 * 86_400);

/// The verdicts remembered for one store, and what a run adds.
pub struct StoreMemory {
    state: Arc<State>,
    store: String,
    context: [u8; 32],
    remembered: HashMap<(String, String), ([u8; 32], i64, StoreVerdict)>,
    /// For a mirrored store (a bucket), what identifies each version's objects unchanged (key,
    /// size, ETag), standing for the mirror's files, which are new each run.
    identities: Option<HashMap<crate::cache::ModuleKey, [u8; 32]>>,
}

impl StoreMemory {
    /// Loads what is remembered for `store`, judged with `verifiers`.
    pub fn load(
        state: Arc<State>,
        store: &Store,
        verifiers: &[Verifier],
    ) -> Result<StoreMemory, StateError> {
        let name = store.root.to_string_lossy().into_owned();
        StoreMemory::load_named(state, &name, store, verifiers)
    }

    /// Loads what is remembered for the store called `name` (a bucket's URL), mirrored in
    /// `store`, judged with `verifiers`.
    pub fn load_named(
        state: Arc<State>,
        name: &str,
        store: &Store,
        verifiers: &[Verifier],
    ) -> Result<StoreMemory, StateError> {
        let mut h = Sha256::new();
        h.update(b"modlens store verdict ");
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(store.layout.name().as_bytes());
        for v in verifiers {
            h.update(v.name.as_bytes());
            h.update(v.key_hash.to_le_bytes());
        }
        let sumdb = store.root.join("sumdb");
        if sumdb.is_dir() {
            let inodes = crate::cache::measure::InodeSet::default();
            crate::cache::measure::measure_folding(&sumdb, &inodes, Some(&mut h));
        }
        let rows: Vec<(String, String, Vec<u8>, i64, rusqlite::types::Value)> = {
            let conn = state.lock();
            let mut stmt = conn
                .prepare(
                    "SELECT path, version, digest, judged_at, verdict FROM store_verdicts \
                     WHERE store = ?1",
                )
                .map_err(state.sqlite())?;
            let rows = stmt
                .query_map(params![name], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .map_err(state.sqlite())?;
            rows.collect::<Result<_, _>>().map_err(state.sqlite())?
        };
        let remembered = rows
            .into_iter()
            .filter_map(|(path, version, digest, at, verdict)| {
                let digest = <[u8; 32]>::try_from(digest).ok()?;
                let verdict = super::decode::<StoreVerdict>(verdict)?;
                Some(((path, version), (digest, at, verdict)))
            })
            .collect();
        Ok(StoreMemory {
            state,
            store: name.to_owned(),
            context: h.finalize().into(),
            identities: None,
            remembered,
        })
    }

    /// The digest of what `v`'s verdict rests on (with `online`, the checksum database asked).
    pub fn digest(
        &self,
        store: &Store,
        v: &StoredVersion,
        gosums: &GoSums,
        private: bool,
        online: Option<&str>,
    ) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.context);
        h.update([u8::from(private)]);
        h.update(online.unwrap_or("-").as_bytes());
        h.update(b"\n");
        if let Some(identities) = &self.identities {
            h.update(identities.get(&v.key).map_or([0; 32], |id| *id));
        }
        for piece in [Piece::Info, Piece::GoMod, Piece::Zip] {
            if self.identities.is_some() {
                break;
            }
            match store
                .piece(v, piece)
                .and_then(|p| std::fs::symlink_metadata(p).ok())
            {
                Some(m) => {
                    for n in [
                        m.len() as i64,
                        m.mtime(),
                        m.mtime_nsec(),
                        m.ctime(),
                        m.ctime_nsec(),
                    ] {
                        h.update(n.to_le_bytes());
                    }
                    h.update(m.ino().to_le_bytes());
                }
                None => h.update(b"-"),
            }
        }
        for problem in &v.problems {
            h.update(problem.as_bytes());
        }
        for (what, lines) in [
            ("zip", gosums.zip_lines(&v.key)),
            ("mod", gosums.mod_lines(&v.key)),
        ] {
            for l in lines {
                h.update(what.as_bytes());
                h.update(l.hash.as_bytes());
                h.update(l.place().as_bytes());
            }
        }
        h.finalize().into()
    }

    /// Takes each version's object identity (see [`StoreMemory::identities`]) instead of the
    /// mirror's files.
    pub fn with_identities(
        mut self,
        identities: HashMap<crate::cache::ModuleKey, [u8; 32]>,
    ) -> StoreMemory {
        self.identities = Some(identities);
        self
    }

    /// The verdict remembered for `v` if it still stands for `digest` at `now`.
    pub fn recall(
        &self,
        v: &StoredVersion,
        digest: &[u8; 32],
        now: SystemTime,
    ) -> Option<StoreVerdict> {
        // A mirrored version whose objects the server did not identify is never recalled.
        if self
            .identities
            .as_ref()
            .is_some_and(|ids| !ids.contains_key(&v.key))
        {
            return None;
        }
        let (d, at, verdict) = self
            .remembered
            .get(&(v.key.path.clone(), v.key.version.clone()))?;
        let age = unix(now).saturating_sub(*at);
        (d == digest && u64::try_from(age).is_ok_and(|a| a <= MAX_AGE.as_secs()))
            .then(|| verdict.clone())
    }

    /// Remembers verdicts just reached at `at`, each with its digest, in one transaction.
    pub fn remember(
        &self,
        at: SystemTime,
        verdicts: &[([u8; 32], &StoreVerdict)],
    ) -> Result<(), StateError> {
        let mut conn = self.state.lock();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(self.state.sqlite())?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO store_verdicts (store, path, version, digest, judged_at, verdict)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (store, path, version) DO UPDATE SET
                         digest = excluded.digest, judged_at = excluded.judged_at,
                         verdict = excluded.verdict",
                )
                .map_err(self.state.sqlite())?;
            for (digest, verdict) in verdicts {
                stmt.execute(params![
                    self.store,
                    verdict.path,
                    verdict.version,
                    digest.to_vec(),
                    unix(at),
                    super::encode(*verdict)
                ])
                .map_err(self.state.sqlite())?;
            }
        }
        tx.commit().map_err(self.state.sqlite())
    }
}
