//! The checksum database's cached answers: verifier keys, signed notes and lookup records.
//!
//! go caches every `/lookup/<path>@<version>` answer under
//! `cache/download/sumdb/<name>/lookup/`. Each holds the go.sum lines of the version followed
//! by a signed tree note. modlens verifies the note's Ed25519 signature with the database's
//! public key (`sum.golang.org`'s is built in; GOSUMDB may name another) and then compares the
//! lines with the cache; [`super::tlog`] proves from the cached tiles that the record is in the
//! signed tree.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

use std::path::Path;

use super::error::VerifyError;
use super::tlog::prove_record;
use crate::cache::ModuleKey;
use crate::cache::read::{self, cap};

/// The verifier key of sum.golang.org, as built into the go command.
pub const SUM_GOLANG_ORG: &str =
    "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

/// A checksum database's public key (a note verifier).
#[derive(Debug, Clone)]
pub struct Verifier {
    /// The database name, e.g. `sum.golang.org`; also the cache directory name.
    pub name: String,
    /// The 4-byte key hash that signature lines carry.
    pub key_hash: u32,
    key: VerifyingKey,
}

impl Verifier {
    /// Parses a verifier key `<name>+<8 hex key hash>+<base64(0x01 || ed25519 key)>`.
    pub fn parse(vkey: &str) -> Result<Verifier, VerifyError> {
        let err = |why: &'static str| VerifyError::VerifierKey {
            key: vkey.to_owned(),
            reason: why,
        };
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(hash), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err("want <name>+<hash>+<key>"));
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(err("bad name"));
        }
        let key_hash = u32::from_str_radix(hash, 16)
            .ok()
            .filter(|_| hash.len() == 8)
            .ok_or_else(|| err("bad key hash"))?;
        let data = STANDARD.decode(b64).map_err(|_| err("key is not base64"))?;
        let [0x01, rest @ ..] = data.as_slice() else {
            return Err(err("not an Ed25519 key"));
        };
        let bytes: [u8; 32] = rest
            .try_into()
            .map_err(|_| err("Ed25519 key is not 32 bytes"))?;
        if note_key_hash(name, &data) != key_hash {
            return Err(err("key hash does not match the key"));
        }
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| err("invalid Ed25519 key"))?;
        Ok(Verifier {
            name: name.to_owned(),
            key_hash,
            key,
        })
    }

    /// The key for a GOSUMDB value: `off` gives `None`; `sum.golang.org` and
    /// `sum.golang.google.cn` mean the built-in key; otherwise the value's first word must be
    /// a verifier key (an optional URL may follow it).
    pub fn from_gosumdb(value: &str) -> Result<Option<Verifier>, VerifyError> {
        let first = value.split_whitespace().next().unwrap_or("");
        match first {
            "off" => Ok(None),
            "" | "sum.golang.org" | "sum.golang.google.cn" => {
                Verifier::parse(SUM_GOLANG_ORG).map(Some)
            }
            other if !other.contains('+') => Err(VerifyError::GosumdbWithoutKey(value.to_owned())),
            other => Verifier::parse(other).map(Some),
        }
    }
}

/// The key hash of a note key: the first 4 bytes of SHA-256(name + "\n" + key data).
fn note_key_hash(name: &str, key_data: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(key_data);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Checks the signatures of a signed note. Unknown signers are ignored; a bad signature from a
/// known key is an error; at least one known signature must verify.
pub fn verify_note(note: &str, verifiers: &[Verifier]) -> Result<(), VerifyError> {
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| VerifyError::Note("note has no signature block".into()))?;
    let (text, sigs) = (&note[..=split], &note[split + 2..]);
    let mut verified = 0;
    for line in sigs.lines() {
        let rest = line
            .strip_prefix("\u{2014} ")
            .ok_or_else(|| VerifyError::Note(format!("malformed signature line {line:?}")))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| VerifyError::Note(format!("malformed signature line {line:?}")))?;
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| VerifyError::Note(format!("signature of {name} is not base64")))?;
        let Some((hash, sig)) = raw.split_first_chunk::<4>() else {
            return Err(VerifyError::Note(format!(
                "signature of {name} is too short"
            )));
        };
        let hash = u32::from_be_bytes(*hash);
        let Some(v) = verifiers
            .iter()
            .find(|v| v.name == name && v.key_hash == hash)
        else {
            continue;
        };
        let sig: [u8; 64] = sig
            .try_into()
            .map_err(|_| VerifyError::Note(format!("signature of {name} is not 64 bytes")))?;
        v.key
            .verify(text.as_bytes(), &Signature::from_bytes(&sig))
            .map_err(|_| VerifyError::Note(format!("signature by {name} does not verify")))?;
        verified += 1;
    }
    if verified == 0 {
        return Err(VerifyError::Note("no signature by a known key".into()));
    }
    Ok(())
}

/// A cached lookup answer, after its note was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The go.sum lines of the record: (path, version or `version/go.mod`, hash).
    pub lines: Vec<(String, String, String)>,
    /// The record's id (its leaf index in the tree).
    pub id: u64,
    /// The record text, as hashed into the tree.
    pub record: String,
    /// The tree size the signed note names.
    pub tree_size: u64,
    /// The tree's root hash the signed note names.
    pub root: [u8; 32],
}

impl Lookup {
    /// The record's hash for `path` at `version` (with `/go.mod` for the go.mod hash).
    pub fn hash_for(&self, path: &str, version: &str) -> Option<&str> {
        self.lines
            .iter()
            .find(|(p, v, _)| p == path && v == version)
            .map(|(_, _, h)| h.as_str())
    }
}

/// What a checksum database answered online about one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbAnswer {
    /// A record signed by the database's key and proven by its tiles to be in the signed tree.
    Proven(Lookup),
    /// The database does not know the version (it answered 404 or 410).
    NotFound(String),
    /// The database could not be asked: a network error, or another answer than 200, 404, 410.
    Unreachable(String),
    /// An answer that does not prove itself (not signed by the key GOSUMDB names, or not in
    /// the tree it signed): it decides nothing, whoever sent it.
    Unproven(String),
}

/// A checksum database that can be asked online (for verdicts that do not wait on the
/// network layer's types).
pub trait AskDatabase: Sync {
    /// The database's name, e.g. `sum.golang.org`.
    fn name(&self) -> &str;
    /// Its proven answer about `key`, or why there is none. Never called for a private module.
    fn ask(&self, key: &crate::cache::ModuleKey) -> DbAnswer;
}

impl DbAnswer {
    /// Why it decides nothing, in a verdict's words (`None` for a proven answer).
    pub fn why_not(&self) -> Option<String> {
        match self {
            DbAnswer::Proven(_) => None,
            DbAnswer::NotFound(why) => Some(format!("not in the checksum database: {why}")),
            DbAnswer::Unreachable(why) => {
                Some(format!("the checksum database is unreachable: {why}"))
            }
            DbAnswer::Unproven(why) => Some(format!(
                "the checksum database's answer is not proven: {why}"
            )),
        }
    }
}

/// Why a cached lookup could not be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// The file does not have the `<id>\n<record>\n<note>` shape.
    Malformed(String),
    /// The note's signature does not verify.
    BadSignature(String),
}

/// A tree head the database signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedTree {
    /// How many records the tree holds.
    pub size: u64,
    /// Its root hash.
    pub root: [u8; 32],
}

/// Verifies the signed tree note `note` (a lookup's, `/latest`, or go's remembered `latest`)
/// and reads the tree it names.
pub fn parse_tree_note(note: &str, verifiers: &[Verifier]) -> Result<SignedTree, LookupError> {
    let malformed = |why: &str| LookupError::Malformed(why.to_owned());
    verify_note(note, verifiers).map_err(|e| LookupError::BadSignature(e.to_string()))?;
    let mut tree = note.lines();
    if tree.next() != Some("go.sum database tree") {
        return Err(malformed("the note is not a go.sum database tree"));
    }
    let size = tree
        .next()
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| malformed("bad tree size"))?;
    let root: [u8; 32] = tree
        .next()
        .and_then(|h| STANDARD.decode(h).ok())
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| malformed("bad tree hash"))?;
    Ok(SignedTree { size, root })
}

/// Parses a cached lookup answer and verifies its note.
pub fn parse_lookup(body: &str, verifiers: &[Verifier]) -> Result<Lookup, LookupError> {
    let malformed = |why: &str| LookupError::Malformed(why.to_owned());
    let (id, rest) = body
        .split_once('\n')
        .ok_or_else(|| malformed("no record id"))?;
    let id = id
        .trim()
        .parse::<u64>()
        .map_err(|_| malformed("record id is not a number"))?;
    let split = rest.find("\n\n").ok_or_else(|| malformed("no tree note"))?;
    let (record, note) = (&rest[..=split], &rest[split + 2..]);
    let SignedTree {
        size: tree_size,
        root,
    } = parse_tree_note(note, verifiers)?;
    let lines = record
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((
                f.next()?.to_owned(),
                f.next()?.to_owned(),
                f.next()?.to_owned(),
            ))
        })
        .collect();
    Ok(Lookup {
        lines,
        id,
        record: record.to_owned(),
        tree_size,
        root,
    })
}

/// A cached checksum-database answer.
pub enum Answer {
    /// None cached.
    None,
    /// One whose record the cached tiles do not prove, and why.
    Unproven(String),
    /// A proven one: the module's hash and the go.mod's.
    Proven(Option<String>, Option<String>),
}

/// `key`'s answer cached below `sumdb_dir` (a module cache's `cache/download/sumdb`, or a
/// store's `sumdb`) by the database `verifier` names, proven by the cached tiles if it can be.
pub fn cached_answer(sumdb_dir: &Path, verifier: &Verifier, key: &ModuleKey) -> Answer {
    let path = sumdb_dir.join(&verifier.name).join("lookup").join(format!(
        "{}@{}",
        key.escaped_path(),
        key.escaped_version()
    ));
    if !path.is_file() {
        return Answer::None;
    }
    let body = match read::read_capped(&path, cap::SUMDB_NOTE) {
        Ok(body) if !body.is_empty() => body,
        Ok(_) => return Answer::None,
        Err(e) => return Answer::Unproven(format!("{}: {e}", path.display())),
    };
    let body = String::from_utf8_lossy(&body);
    let lookup = match parse_lookup(&body, std::slice::from_ref(verifier)) {
        Ok(lookup) => lookup,
        Err(e) => return Answer::Unproven(format!("{}: {e:?}", path.display())),
    };
    let db_dir = sumdb_dir.join(&verifier.name);
    let proof = prove_record(
        &db_dir,
        lookup.id,
        lookup.record.as_bytes(),
        lookup.tree_size,
        &lookup.root,
    );
    if let Err(e) = proof {
        return Answer::Unproven(format!(
            "{}: the {} record is not proven: {e:?}",
            path.display(),
            verifier.name
        ));
    }
    let go_mod_version = format!("{}/go.mod", key.version);
    Answer::Proven(
        lookup.hash_for(&key.path, &key.version).map(str::to_owned),
        lookup
            .hash_for(&key.path, &go_mod_version)
            .map(str::to_owned),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_key_parses_and_its_hash_matches() {
        let v = Verifier::parse(SUM_GOLANG_ORG).unwrap();
        assert_eq!(v.name, "sum.golang.org");
        assert_eq!(v.key_hash, 0x033de0ae);
    }

    #[test]
    fn bad_keys_are_rejected() {
        assert!(
            Verifier::parse("sum.golang.org+033de0af+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8")
                .is_err()
        );
        assert!(Verifier::parse("nokey").is_err());
        assert!(Verifier::from_gosumdb("off").unwrap().is_none());
        assert!(
            Verifier::from_gosumdb("sum.golang.google.cn")
                .unwrap()
                .is_some()
        );
        assert!(Verifier::from_gosumdb("sum.example.test").is_err());
    }
}
