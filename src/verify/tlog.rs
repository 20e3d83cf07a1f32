//! Proving that a checksum-database record belongs to the signed tree, from cached tiles.
//!
//! The checksum database is a Merkle tree (RFC 6962, SHA-256): a record's leaf hash is
//! SHA-256(0x00 ‖ record), an interior node SHA-256(0x01 ‖ left ‖ right). go caches the tiles it
//! authenticated under `cache/download/sumdb/<name>/tile/8/<L>/<N>[.p/<W>]`; a tile of height 8
//! at level L holds up to 256 hashes of tree level 8·L. From them this module recomputes the
//! root of the tree size the signed note names and checks the record's leaf, which is what go
//! does before it trusts a cached lookup ("cannot authenticate record data" otherwise).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

type Hash = [u8; 32];

const HEIGHT: u32 = 8;
const WIDTH: u64 = 1 << HEIGHT;

/// Why a record could not be proven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unproven {
    /// A tile needed is not cached (go would fetch it); nothing can be said.
    TilesMissing(Tile),
    /// The tiles contradict the record or the signed root: the record is not authentic. With
    /// the cached tiles found to be the unauthentic ones, if any (else it is the record).
    Mismatch(String, Vec<PathBuf>),
}

/// A tile of the tree, as go names it in paths and URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    /// The tile level (tile level L holds hashes of tree level 8·L).
    pub level: u32,
    /// Its index within the level.
    pub index: u64,
    /// How many hashes it holds: 256, or fewer at the right edge of the tree.
    pub width: u64,
}

impl Tile {
    /// Its path below a database's cache directory or URL: `tile/8/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let name = tile_index_path(self.index);
        if self.width < WIDTH {
            format!("tile/{HEIGHT}/{}/{name}.p/{}", self.level, self.width)
        } else {
            format!("tile/{HEIGHT}/{}/{name}", self.level)
        }
    }

    /// The full tile this one is a prefix of.
    pub fn full(&self) -> Tile {
        Tile {
            width: WIDTH,
            ..*self
        }
    }

    /// How many bytes its hashes take.
    pub fn bytes(&self) -> usize {
        self.width as usize * 32
    }
}

impl std::fmt::Display for Tile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "tile {} is not cached", self.path())
    }
}

/// The leaf hash of a record.
pub fn record_hash(record: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(record);
    h.finalize().into()
}

fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// A tile's index as go writes it in paths: 3-digit groups, all but the last prefixed `x`.
fn tile_index_path(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// Reads the hashes of tile (`level`, `index`) for a tree of `size` leaves: the exact partial
/// tile, or the full one cut to the width needed.
fn read_tile(
    db_dir: &Path,
    level: u32,
    index: u64,
    size: u64,
) -> Result<(Vec<Hash>, PathBuf), Unproven> {
    let nodes = size >> (HEIGHT * level);
    let width = (nodes - index * WIDTH).min(WIDTH);
    let tile = Tile {
        level,
        index,
        width,
    };
    let mut candidates = vec![db_dir.join(tile.path())];
    if width < WIDTH {
        candidates.push(db_dir.join(tile.full().path()));
    }
    for path in &candidates {
        use crate::cache::read::{ReadError, cap, read_capped};
        let bytes = match read_capped(path, cap::TILE) {
            Ok(bytes) => bytes,
            Err(err) if err.is_not_found() => continue,
            Err(
                err @ (ReadError::TooLarge { .. }
                | ReadError::NotRegular { .. }
                | ReadError::Symlink(_)),
            ) => {
                return Err(Unproven::Mismatch(
                    format!("tile: {err}"),
                    vec![path.clone()],
                ));
            }
            Err(_) => continue,
        };
        {
            let need = width as usize * 32;
            if bytes.len() < need || bytes.len() % 32 != 0 {
                return Err(Unproven::Mismatch(
                    format!(
                        "tile {} is {} bytes, not a whole number of hashes covering {width}",
                        path.display(),
                        bytes.len()
                    ),
                    vec![path.clone()],
                ));
            }
            let hashes = bytes[..need]
                .chunks_exact(32)
                .map(|c| c.try_into().expect("32-byte chunk"))
                .collect();
            return Ok((hashes, path.clone()));
        }
    }
    Err(Unproven::TilesMissing(tile))
}

/// The hash of the complete subtree at (`level`, `index`), from the tiles, with the tile it
/// came from.
fn stored_hash(
    db_dir: &Path,
    level: u32,
    index: u64,
    size: u64,
) -> Result<(Hash, PathBuf), Unproven> {
    let tile_level = level / HEIGHT;
    let within = level % HEIGHT;
    let first = index << within;
    let (tile, path) = read_tile(db_dir, tile_level, first / WIDTH, size)?;
    let start = (first % WIDTH) as usize;
    let mut hashes: Vec<Hash> = tile
        .get(start..start + (1usize << within))
        .ok_or_else(|| {
            Unproven::Mismatch(
                format!("tile too short for node ({level}, {index})"),
                vec![path.clone()],
            )
        })?
        .to_vec();
    while hashes.len() > 1 {
        hashes = hashes
            .chunks_exact(2)
            .map(|p| node_hash(&p[0], &p[1]))
            .collect();
    }
    Ok((hashes[0], path))
}

/// The root hash of the tree of `size` leaves, from the tiles, with the tiles it came from.
pub fn tree_hash(db_dir: &Path, size: u64) -> Result<(Hash, Vec<PathBuf>), Unproven> {
    let mut subtrees = Vec::new();
    let mut tiles: Vec<PathBuf> = Vec::new();
    let mut start = 0u64;
    for level in (0..64u32).rev() {
        if size & (1u64 << level) != 0 {
            let (hash, tile) = stored_hash(db_dir, level, start >> level, size)?;
            subtrees.push(hash);
            if !tiles.contains(&tile) {
                tiles.push(tile);
            }
            start += 1u64 << level;
        }
    }
    let mut root = subtrees
        .pop()
        .ok_or_else(|| Unproven::Mismatch("empty tree".into(), Vec::new()))?;
    while let Some(left) = subtrees.pop() {
        root = node_hash(&left, &root);
    }
    Ok((root, tiles))
}

/// Entry `index` of tile level `tile_level` (a hash of tree level 8·`tile_level`), read from
/// its tile and authenticated as go's `TileHashReader` authenticates tiles. A partial tile sits
/// at the right edge of the tree: every one of its hashes went into [`tree_hash`], so once the
/// root matched it is authentic. A full tile must hash to its entry in the parent tile, which
/// is authenticated the same way, up to a partial one. A forged hash anywhere on the way makes
/// some tile disagree with its parent.
fn authenticated_entry(
    db_dir: &Path,
    tile_level: u32,
    index: u64,
    size: u64,
    used: &mut Vec<PathBuf>,
) -> Result<Hash, Unproven> {
    let (tile, path) = read_tile(db_dir, tile_level, index / WIDTH, size)?;
    if !used.contains(&path) {
        used.push(path.clone());
    }
    let entry = *tile.get((index % WIDTH) as usize).ok_or_else(|| {
        Unproven::Mismatch(
            format!("tile too short for hash {index}"),
            vec![path.clone()],
        )
    })?;
    if tile.len() < WIDTH as usize {
        return Ok(entry);
    }
    let parent = authenticated_entry(db_dir, tile_level + 1, index / WIDTH, size, used)?;
    let mut hashes = tile;
    while hashes.len() > 1 {
        hashes = hashes
            .chunks_exact(2)
            .map(|p| node_hash(&p[0], &p[1]))
            .collect();
    }
    if hashes[0] != parent {
        return Err(Unproven::Mismatch(
            format!(
                "tile {} does not hash to its entry in the tile above it: a cached tile was \
                 changed",
                path.display()
            ),
            vec![path],
        ));
    }
    Ok(entry)
}

/// Proves record `id` (its text `record`) is in the tree of `size` leaves with root `root`,
/// giving the tiles the proof read (what go would cache with the record).
pub fn prove_record(
    db_dir: &Path,
    id: u64,
    record: &[u8],
    size: u64,
    root: &Hash,
) -> Result<Vec<PathBuf>, Unproven> {
    if id >= size {
        return Err(Unproven::Mismatch(
            format!("record {id} is beyond the signed tree of {size}"),
            Vec::new(),
        ));
    }
    let (computed, mut tiles) = tree_hash(db_dir, size)?;
    if computed != *root {
        // The note is signed, so the tiles are what is wrong.
        return Err(Unproven::Mismatch(
            format!("the cached tiles do not hash to the signed root of tree {size}"),
            tiles,
        ));
    }
    if authenticated_entry(db_dir, 0, id, size, &mut tiles)? != record_hash(record) {
        return Err(Unproven::Mismatch(
            format!(
                "record {id} was changed: it is not the one in the signed tree (go: \"cannot \
                 authenticate record data\")"
            ),
            Vec::new(),
        ));
    }
    Ok(tiles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mth(leaves: &[Hash]) -> Hash {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let k = leaves.len().next_power_of_two() / 2;
        node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
    }

    /// 600 records span three level-0 tiles and a level-1 tile; the root and every record
    /// check out against a plain recursive RFC 6962 hash, and an edited record does not.
    #[test]
    fn trees_spanning_several_tiles_prove_their_records() {
        let dir = tempfile::tempdir().unwrap();
        let records: Vec<String> = (0..600)
            .map(|i| format!("example.com/m{i} v1.0.0 h1:x\n"))
            .collect();
        let leaves: Vec<Hash> = records.iter().map(|r| record_hash(r.as_bytes())).collect();
        let tile = |level: u32, name: &str, hashes: &[Hash]| {
            let path = dir.path().join(format!("tile/8/{level}/{name}"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, hashes.concat()).unwrap();
        };
        tile(0, "000", &leaves[..256]);
        tile(0, "001", &leaves[256..512]);
        tile(0, "002.p/88", &leaves[512..]);
        tile(1, "000.p/2", &[mth(&leaves[..256]), mth(&leaves[256..512])]);
        let root = mth(&leaves);
        assert_eq!(tree_hash(dir.path(), 600).map(|t| t.0), Ok(root));
        for id in [0, 255, 256, 511, 512, 599] {
            assert_eq!(
                prove_record(dir.path(), id, records[id as usize].as_bytes(), 600, &root)
                    .map(|_| ()),
                Ok(()),
                "{id}"
            );
        }
        assert!(matches!(
            prove_record(dir.path(), 300, b"edited\n", 600, &root),
            Err(Unproven::Mismatch(..))
        ));
        assert_eq!(
            tree_hash(dir.path(), 700),
            Err(Unproven::TilesMissing(Tile {
                level: 0,
                index: 2,
                width: 188
            }))
        );
    }

    #[test]
    fn tile_paths_use_three_digit_groups() {
        assert_eq!(tile_index_path(0), "000");
        assert_eq!(tile_index_path(48_225), "x048/225");
        assert_eq!(tile_index_path(1_234_067), "x001/x234/067");
    }
}
