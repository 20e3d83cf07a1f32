//! The repositories go clones under `cache/vcs` for direct-mode fetches.
//!
//! Each repository is `cache/vcs/<hex sha256 of key>/` with `<hash>.info` holding the key
//! (`git3:<remote>` or `vcs1.<vcs>:<remote>`) and `<hash>.lock`. When `.info` is missing, the
//! remote can still be recovered from the bare git repository's `config`. Names that do not fit
//! this pattern are leftovers.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::discover::unrecognized;
use super::entry::{Leftover, Usage, VcsRepo};
use super::layout::ModCache;
use super::measure::{InodeSet, measure};
use super::read::{cap, read_text};

/// What the `cache/vcs` directory holds.
#[derive(Debug, Default)]
pub struct VcsScan {
    /// One record per repository hash.
    pub repos: Vec<VcsRepo>,
    /// Names go does not write there.
    pub leftovers: Vec<Leftover>,
}

/// Lists and measures the repositories under `cache/vcs`.
pub fn scan(cache: &ModCache, inodes: &InodeSet) -> VcsScan {
    let mut out = VcsScan::default();
    let dir = cache.vcs_root();
    let Ok(children) = fs::read_dir(&dir) else {
        return out;
    };
    let mut groups: BTreeMap<String, Usage> = BTreeMap::new();
    for child in children.flatten() {
        let path = child.path();
        let name = child.file_name().to_string_lossy().into_owned();
        let is_dir = child.file_type().is_ok_and(|t| t.is_dir());
        let hash = match name.split_once('.') {
            None if is_dir => name.as_str(),
            Some((hash, "info" | "lock")) if !is_dir => hash,
            _ => "",
        };
        if is_sha256_hex(hash) {
            groups
                .entry(hash.to_owned())
                .or_default()
                .add(measure(&path, inodes).usage);
        } else {
            let why = "not a cache/vcs repository, .info or .lock";
            out.leftovers
                .push(unrecognized(cache.root(), &path, why, inodes));
        }
    }
    out.repos = groups
        .into_iter()
        .map(|(hash, usage)| describe(&dir, hash, usage))
        .collect();
    out
}

fn describe(vcs_root: &Path, hash: String, usage: Usage) -> VcsRepo {
    let key = read_text(&vcs_root.join(format!("{hash}.info")), cap::VCS_TEXT).ok();
    let info_matches = key
        .as_deref()
        .is_some_and(|k| hex_sha256(k.as_bytes()) == hash);
    let (vcs, remote) = match key.as_deref().and_then(parse_key) {
        Some((vcs, remote)) => (Some(vcs), Some(remote)),
        None => {
            let remote = git_origin_url(&vcs_root.join(&hash).join("config"));
            (remote.as_ref().map(|_| "git".to_owned()), remote)
        }
    };
    VcsRepo {
        hash,
        vcs,
        remote,
        info_matches,
        usage,
    }
}

/// Splits a work-dir key into its VCS and remote: `git3:<remote>` or `vcs1.<vcs>:<remote>`.
fn parse_key(key: &str) -> Option<(String, String)> {
    let (kind, remote) = key.split_once(':')?;
    let vcs = match kind {
        "git3" => "git",
        other => other.strip_prefix("vcs1.")?,
    };
    Some((vcs.to_owned(), remote.to_owned()))
}

/// The `url` of `[remote "origin"]` in a git config file.
fn git_origin_url(config: &Path) -> Option<String> {
    let text = read_text(config, cap::VCS_TEXT).ok()?;
    let mut in_origin = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_origin = line == "[remote \"origin\"]";
        } else if in_origin
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == "url"
        {
            return Some(v.trim().to_owned());
        }
    }
    None
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn hex_sha256(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_their_vcs_and_remote() {
        assert_eq!(
            parse_key("git3:https://github.com/Acme/Widget"),
            Some(("git".into(), "https://github.com/Acme/Widget".into()))
        );
        assert_eq!(
            parse_key("vcs1.hg:https://h/x"),
            Some(("hg".into(), "https://h/x".into()))
        );
        assert_eq!(parse_key("garbage"), None);
    }

    #[test]
    fn hash_of_key_matches_the_spec_example() {
        assert_eq!(
            hex_sha256(b"git3:https://github.com/Acme/Widget"),
            "b2f02d6f27c4649eccd98c249abe9f06b329934610ccddb3d63d6c9da1ae121d"
        );
    }
}
