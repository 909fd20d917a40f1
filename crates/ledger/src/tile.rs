//! C2SP tlog-tiles: tile coordinates and paths, hash tiles and entry bundles.
//!
//! A tile at tile level `L`, index `N` and width `W` holds the `W` hashes at tree level `8·L`
//! with indexes `256·N .. 256·N + W`; a full tile has width 256. An entry bundle `N` holds the
//! leaves (entries) `256·N .. 256·N + W`, each as a big-endian u16 length and the entry's bytes.

use crate::error::LedgerError;
use crate::hash::{Hash, HASH_SIZE};
use crate::tree::HashReader;

/// Hashes (or entries) per full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels spanned by one tile level.
pub const TILE_HEIGHT: u32 = 8;

/// Which tile a path names: a hash tile at `level`, or the entry bundle (`level == None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TileId {
    /// Tile level for hash tiles; `None` for an entry bundle.
    pub level: Option<u8>,
    /// Tile index within its level.
    pub index: u64,
    /// Number of hashes or entries: 1..=256, 256 meaning a full tile.
    pub width: u16,
}

impl TileId {
    /// The hash tile at tile `level`, `index`, `width`.
    pub fn hashes(level: u8, index: u64, width: u16) -> Self {
        TileId {
            level: Some(level),
            index,
            width,
        }
    }

    /// The entry bundle at `index` with `width` entries.
    pub fn entries(index: u64, width: u16) -> Self {
        TileId {
            level: None,
            index,
            width,
        }
    }

    /// Whether this tile is full (256 wide).
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// First leaf (for bundles) or first hash at the tile's tree level (for hash tiles).
    pub fn first(&self) -> u64 {
        self.index * TILE_WIDTH
    }

    /// The tile's path below the log's prefix, e.g. `tile/0/x001/234.p/7` or `tile/entries/000`.
    pub fn path(&self) -> String {
        let level = match self.level {
            Some(l) => l.to_string(),
            None => "entries".to_string(),
        };
        let mut path = format!("tile/{level}/{}", encode_index(self.index));
        if !self.is_full() {
            path.push_str(&format!(".p/{}", self.width));
        }
        path
    }

    /// Parse a path as [`TileId::path`] writes it, strictly (the form is canonical).
    pub fn parse(path: &str) -> Result<Self, LedgerError> {
        let bad = |reason: &str| LedgerError::malformed("tile path", format!("{path:?}: {reason}"));
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| bad("must start with tile/"))?;
        let (level_str, rest) = rest.split_once('/').ok_or_else(|| bad("no index"))?;
        let level = if level_str == "entries" {
            None
        } else {
            let l = parse_decimal(level_str).ok_or_else(|| bad("level is not a number"))?;
            if l > 63 {
                return Err(bad("level above 63"));
            }
            Some(l as u8)
        };
        let (index_str, width) = match rest.split_once(".p/") {
            None => (rest, TILE_WIDTH as u16),
            Some((idx, w)) => {
                let w = parse_decimal(w).ok_or_else(|| bad("width is not a number"))?;
                if w == 0 || w >= TILE_WIDTH {
                    return Err(bad("partial width must be 1..=255"));
                }
                (idx, w as u16)
            }
        };
        let index = decode_index(index_str).ok_or_else(|| bad("index is not in xNNN/NNN form"))?;
        let id = TileId {
            level,
            index,
            width,
        };
        if id.path() != path {
            return Err(bad("not in canonical form"));
        }
        Ok(id)
    }
}

/// Decimal without leading zeros (except "0").
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// C2SP index encoding: groups of three digits, all but the last prefixed with `x`.
fn encode_index(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

fn decode_index(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split('/').collect();
    let mut n: u64 = 0;
    for (i, part) in parts.iter().enumerate() {
        let digits = if i + 1 < parts.len() {
            part.strip_prefix('x')?
        } else {
            part
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n
            .checked_mul(1000)?
            .checked_add(digits.parse::<u64>().ok()?)?;
    }
    Some(n)
}

/// Every tile (hash tiles of every level, and entry bundles) that a tree of `size` leaves has.
pub fn tiles_for_size(size: u64) -> Vec<TileId> {
    let mut out = Vec::new();
    let mut push_level = |level: Option<u8>, count: u64| {
        for index in 0..count / TILE_WIDTH {
            out.push(TileId {
                level,
                index,
                width: TILE_WIDTH as u16,
            });
        }
        let rem = count % TILE_WIDTH;
        if rem > 0 {
            out.push(TileId {
                level,
                index: count / TILE_WIDTH,
                width: rem as u16,
            });
        }
    };
    push_level(None, size);
    let mut level = 0u8;
    loop {
        let count = size
            .checked_shr(u32::from(level) * TILE_HEIGHT)
            .unwrap_or(0);
        if count == 0 {
            break;
        }
        push_level(Some(level), count);
        level += 1;
    }
    out
}

/// The hash tile's bytes: `width` hashes of tree level `8·level`, read from stored hashes.
pub fn read_hash_tile(reader: &impl HashReader, id: TileId) -> Result<Vec<u8>, LedgerError> {
    let level = id
        .level
        .ok_or_else(|| LedgerError::InvalidRequest("entry bundle is not a hash tile".into()))?;
    let tree_level = u32::from(level) * TILE_HEIGHT;
    if tree_level > 63 {
        return Err(LedgerError::InvalidRequest(format!(
            "tile level {level} too high"
        )));
    }
    let mut out = Vec::with_capacity(usize::from(id.width) * HASH_SIZE);
    for i in 0..u64::from(id.width) {
        out.extend_from_slice(&reader.node(tree_level as u8, id.first() + i)?);
    }
    Ok(out)
}

/// Split a hash tile's bytes into hashes, checking the length against the width.
pub fn parse_hash_tile(id: TileId, bytes: &[u8]) -> Result<Vec<Hash>, LedgerError> {
    if bytes.len() != usize::from(id.width) * HASH_SIZE {
        return Err(LedgerError::malformed(
            "hash tile",
            format!(
                "{}: {} bytes, expected {}",
                id.path(),
                bytes.len(),
                usize::from(id.width) * HASH_SIZE
            ),
        ));
    }
    Ok(bytes
        .chunks_exact(HASH_SIZE)
        .map(|c| {
            let mut h = [0u8; HASH_SIZE];
            h.copy_from_slice(c);
            h
        })
        .collect())
}

/// Append one entry to an entry bundle being built: u16 big-endian length, then the bytes.
pub fn push_bundle_entry(bundle: &mut Vec<u8>, entry: &[u8]) -> Result<(), LedgerError> {
    let len = u16::try_from(entry.len()).map_err(|_| {
        LedgerError::InvalidRequest(format!("entry of {} bytes exceeds 65535", entry.len()))
    })?;
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

/// Split an entry bundle into its entries; the bundle must hold exactly `expected` entries.
pub fn parse_entry_bundle(bytes: &[u8], expected: usize) -> Result<Vec<&[u8]>, LedgerError> {
    let mut out = Vec::with_capacity(expected);
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < 2 {
            return Err(LedgerError::malformed(
                "entry bundle",
                "truncated length prefix",
            ));
        }
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        if rest.len() < 2 + len {
            return Err(LedgerError::malformed(
                "entry bundle",
                format!("entry {} truncated", out.len()),
            ));
        }
        out.push(&rest[2..2 + len]);
        rest = &rest[2 + len..];
    }
    if out.len() != expected {
        return Err(LedgerError::malformed(
            "entry bundle",
            format!("{} entries, expected {expected}", out.len()),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::tree::MemoryTree;

    #[test]
    fn paths_follow_the_c2sp_examples() {
        assert_eq!(
            TileId::hashes(0, 1_234_067, 256).path(),
            "tile/0/x001/x234/067"
        );
        assert_eq!(TileId::hashes(1, 0, 7).path(), "tile/1/000.p/7");
        assert_eq!(TileId::entries(1000, 256).path(), "tile/entries/x001/000");
        for id in [
            TileId::hashes(0, 1_234_067, 256),
            TileId::hashes(3, 0, 1),
            TileId::entries(999, 255),
            TileId::entries(u64::MAX / 256, 256),
        ] {
            assert_eq!(TileId::parse(&id.path()).unwrap(), id);
        }
    }

    #[test]
    fn non_canonical_paths_are_rejected() {
        for bad in [
            "tile/0/1",
            "tile/0/0001",
            "tile/00/000",
            "tile/0/x000",
            "tile/0/000/001",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/007",
            "tile/64/000",
            "tile/entries/x000/001",
            "tile/0/x001/x234/067/",
            "tiles/0/000",
        ] {
            assert!(TileId::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn tile_inventory_matches_the_c2sp_70000_leaf_example() {
        let tiles = tiles_for_size(70_000);
        let count = |level: Option<u8>| tiles.iter().filter(|t| t.level == level).count();
        // The C2SP tlog-tiles example: 273 full + 1 partial (112) at level 0, 1 full + 1 partial (17)
        // at level 1, 1 partial (1) at level 2.
        assert_eq!(count(Some(0)), 274);
        assert_eq!(count(Some(1)), 2);
        assert_eq!(count(Some(2)), 1);
        assert_eq!(count(Some(3)), 0);
        assert_eq!(count(None), 274);
        assert!(tiles.contains(&TileId::hashes(2, 0, 1)));
        let small = tiles_for_size(256);
        assert_eq!(small.iter().filter(|t| t.level.is_some()).count(), 2);
        assert!(
            small.contains(&TileId::hashes(0, 0, 256)) && small.contains(&TileId::hashes(1, 0, 1))
        );
        assert!(tiles.contains(&TileId::hashes(0, 273, 112)));
        assert!(tiles.contains(&TileId::hashes(1, 1, 17)));
        assert!(tiles.contains(&TileId::hashes(1, 0, 256)));
    }

    #[test]
    fn hash_tiles_round_trip_and_bundles_round_trip() {
        let mut tree = MemoryTree::new();
        let entries: Vec<Vec<u8>> = (0..300u32)
            .map(|i| format!("entry {i}").into_bytes())
            .collect();
        for e in &entries {
            tree.push(leaf_hash(e));
        }
        let id = TileId::hashes(0, 1, 44);
        let bytes = read_hash_tile(&tree, id).unwrap();
        let hashes = parse_hash_tile(id, &bytes).unwrap();
        assert_eq!(hashes, tree.level(0)[256..300].to_vec());
        let level1 = read_hash_tile(&tree, TileId::hashes(1, 0, 1)).unwrap();
        assert_eq!(level1, tree.level(8)[0].to_vec());

        let mut bundle = Vec::new();
        for e in &entries[..10] {
            push_bundle_entry(&mut bundle, e).unwrap();
        }
        let parsed = parse_entry_bundle(&bundle, 10).unwrap();
        assert_eq!(
            parsed,
            entries[..10]
                .iter()
                .map(|e| e.as_slice())
                .collect::<Vec<_>>()
        );
        assert!(parse_entry_bundle(&bundle, 9).is_err());
        assert!(parse_entry_bundle(&bundle[..bundle.len() - 1], 10).is_err());
    }
}
