//! The tree's stored hashes and how they grow.
//!
//! Level `l`, index `i` names the complete (perfect) subtree over leaves `[i << l, (i + 1) << l)`.
//! A log of size `n` has stored, at each level `l`, exactly `n >> l` such hashes; everything else
//! (roots of any size, proofs, tiles) is computed from them.

use crate::error::LedgerError;
use crate::hash::{empty_root, node_hash, Hash};

/// Read access to the hashes of complete subtrees.
pub trait HashReader {
    /// Hash of the complete subtree at `level` and `index`.
    fn node(&self, level: u8, index: u64) -> Result<Hash, LedgerError>;
}

/// Write access to the hashes of complete subtrees; calls come in index order per level.
pub trait HashWriter {
    /// Store the hash of a newly completed subtree.
    fn put(&mut self, level: u8, index: u64, hash: Hash) -> Result<(), LedgerError>;
}

/// The right edge of the tree: one hash per complete subtree of the size's binary decomposition.
///
/// Appending needs nothing else, so a writer keeps a frontier in memory and never reads back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// Complete subtrees from left (largest) to right (smallest).
    hashes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Load the frontier of a tree of `size` leaves from its stored hashes.
    pub fn load(reader: &impl HashReader, size: u64) -> Result<Self, LedgerError> {
        let mut hashes = Vec::new();
        for level in (0..64u8).rev() {
            if size & (1u64 << level) != 0 {
                hashes.push(reader.node(level, (size >> level) - 1)?);
            }
        }
        Ok(Frontier { size, hashes })
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Append a leaf hash; `store` receives every subtree hash this completes, leaf first.
    pub fn append(
        &mut self,
        leaf: Hash,
        mut store: impl FnMut(u8, u64, Hash) -> Result<(), LedgerError>,
    ) -> Result<(), LedgerError> {
        let mut index = self.size;
        let mut level = 0u8;
        let mut hash = leaf;
        store(0, index, hash)?;
        while index & 1 == 1 {
            let left = self.hashes.pop().ok_or_else(|| {
                LedgerError::InvalidRequest("frontier out of step with size".into())
            })?;
            hash = node_hash(&left, &hash);
            index >>= 1;
            level += 1;
            store(level, index, hash)?;
        }
        self.hashes.push(hash);
        self.size += 1;
        Ok(())
    }

    /// Root hash of the tree as it stands.
    pub fn root(&self) -> Hash {
        let mut iter = self.hashes.iter().rev();
        match iter.next() {
            None => empty_root(),
            Some(last) => iter.fold(*last, |acc, left| node_hash(left, &acc)),
        }
    }
}

/// Hash of the leaves `[begin, end)` as RFC 6962 defines it for a subtree of a larger tree.
///
/// `begin` must be a multiple of the smallest power of two not below `end - begin` (true of every
/// subtree an RFC 6962 proof or root uses); the range is cut into complete subtrees, largest first.
pub fn subtree_hash(reader: &impl HashReader, begin: u64, end: u64) -> Result<Hash, LedgerError> {
    if begin >= end {
        return Err(LedgerError::InvalidRequest(format!(
            "empty subtree range [{begin}, {end})"
        )));
    }
    let mut parts = Vec::new();
    let mut at = begin;
    while at < end {
        // Largest complete subtree that starts at `at` and fits in the range.
        let align = if at == 0 { 63 } else { at.trailing_zeros() };
        let fit = 63 - (end - at).leading_zeros();
        let level = align.min(fit);
        parts.push(reader.node(level as u8, at >> level)?);
        at += 1u64 << level;
    }
    let mut iter = parts.iter().rev();
    let last = *iter.next().unwrap_or(&empty_root());
    Ok(iter.fold(last, |acc, left| node_hash(left, &acc)))
}

/// Root hash of the tree's first `size` leaves.
pub fn root_at(reader: &impl HashReader, size: u64) -> Result<Hash, LedgerError> {
    if size == 0 {
        Ok(empty_root())
    } else {
        subtree_hash(reader, 0, size)
    }
}

/// Stored hashes kept in memory, level by level: for tests, tools and small logs.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
    frontier: Frontier,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append one leaf's hash.
    pub fn push(&mut self, leaf: Hash) {
        let levels = &mut self.levels;
        // Storing into a Vec cannot fail.
        let _ = self.frontier.append(leaf, |level, index, hash| {
            let level = level as usize;
            if levels.len() <= level {
                levels.resize_with(level + 1, Vec::new);
            }
            debug_assert_eq!(levels[level].len() as u64, index);
            levels[level].push(hash);
            Ok(())
        });
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// Root of the whole tree.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// All stored hashes at one level, in order.
    pub fn level(&self, level: u8) -> &[Hash] {
        self.levels
            .get(level as usize)
            .map_or(&[], |v| v.as_slice())
    }
}

impl HashReader for MemoryTree {
    fn node(&self, level: u8, index: u64) -> Result<Hash, LedgerError> {
        self.level(level)
            .get(index as usize)
            .copied()
            .ok_or_else(|| {
                LedgerError::InvalidRequest(format!("no hash at level {level} index {index}"))
            })
    }
}

impl HashWriter for MemoryTree {
    fn put(&mut self, level: u8, index: u64, hash: Hash) -> Result<(), LedgerError> {
        let level = level as usize;
        if self.levels.len() <= level {
            self.levels.resize_with(level + 1, Vec::new);
        }
        if self.levels[level].len() as u64 != index {
            return Err(LedgerError::InvalidRequest(format!(
                "hash at level {level} index {index} out of order"
            )));
        }
        self.levels[level].push(hash);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    /// Reference MTH straight from RFC 6962 §2.1.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn frontier_root_and_stored_roots_match_the_reference_for_every_size() {
        let leaves: Vec<Hash> = (0..300u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut tree = MemoryTree::new();
        assert_eq!(tree.root(), empty_root());
        for (i, leaf) in leaves.iter().enumerate() {
            tree.push(*leaf);
            let want = mth(&leaves[..=i]);
            assert_eq!(tree.root(), want, "frontier root at size {}", i + 1);
            assert_eq!(
                root_at(&tree, i as u64 + 1).unwrap(),
                want,
                "stored root at size {}",
                i + 1
            );
            let reloaded = Frontier::load(&tree, i as u64 + 1).unwrap();
            assert_eq!(reloaded.root(), want, "reloaded frontier at size {}", i + 1);
        }
        for begin in [0u64, 64, 128, 256] {
            for end in begin + 1..=(begin + 44).min(300) {
                if begin != 0
                    && (end - begin).next_power_of_two() > 1u64 << begin.trailing_zeros().min(63)
                {
                    continue;
                }
                assert_eq!(
                    subtree_hash(&tree, begin, end).unwrap(),
                    mth(&leaves[begin as usize..end as usize])
                );
            }
        }
    }
}
