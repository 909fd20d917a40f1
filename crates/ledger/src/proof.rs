//! Inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4): generation and verification.
//!
//! Everything is iterative over the levels of the tree (at most 64 of them), never over leaves,
//! and all sizes and indexes are `u64`. Generation reads O(log n) stored hashes through a
//! [`HashReader`]: every proof element is a complete subtree (one stored hash) except at most one
//! on the tree's right edge, which [`subtree_hash`] assembles from O(log n) stored hashes.
//!
//! Conventions shared with transparency-dev/merkle (the reference the conformance vectors come
//! from): a consistency proof from size 0 is refused even for 0 → 0; equal sizes need an empty
//! proof and equal roots. Impossible sizes or indexes are [`LedgerError::InvalidRequest`]; a proof
//! that does not check out is [`LedgerError::ProofRejected`].

use crate::error::LedgerError;
use crate::hash::{node_hash, Hash};
use crate::tree::{subtree_hash, HashReader};

/// Check that `leaf` is at `index` in the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), LedgerError> {
    let computed = root_from_inclusion(index, size, leaf, proof)?;
    if &computed != root {
        return Err(LedgerError::ProofRejected(format!(
            "inclusion proof for leaf {index} in tree of size {size} does not lead to the root"
        )));
    }
    Ok(())
}

/// The root implied by an inclusion proof (RFC 9162 §2.1.3.2).
pub fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, LedgerError> {
    if index >= size {
        return Err(LedgerError::InvalidRequest(format!(
            "leaf index {index} is not below tree size {size}"
        )));
    }
    let want = inclusion_proof_len(index, size);
    if proof.len() != want {
        return Err(LedgerError::ProofRejected(format!(
            "inclusion proof for leaf {index} in tree of size {size} has {} hashes, want {want}",
            proof.len()
        )));
    }
    // RFC 9162 §2.1.3.2, step by step.
    let mut fnode = index;
    let mut snode = size - 1;
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(too_long("inclusion"));
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                // Right edge: skip the levels where this node has no right sibling.
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(too_short("inclusion"));
    }
    Ok(r)
}

/// Check that the tree of `size2` with root `root2` extends the tree of `size1` with root `root1`.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<(), LedgerError> {
    check_consistency_sizes(size1, size2)?;
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(LedgerError::ProofRejected(format!(
                "consistency proof between equal sizes {size1} must be empty, has {} hashes",
                proof.len()
            )));
        }
        if root1 != root2 {
            return Err(LedgerError::ProofRejected(format!(
                "trees of equal size {size1} have different roots"
            )));
        }
        return Ok(());
    }
    let want = consistency_proof_len(size1, size2);
    if proof.len() != want {
        return Err(LedgerError::ProofRejected(format!(
            "consistency proof from {size1} to {size2} has {} hashes, want {want}",
            proof.len()
        )));
    }
    // RFC 9162 §2.1.4.2, step by step. When size1 is a power of two the old root is itself the
    // first node of the path and is not sent; otherwise the proof starts with it.
    let (first, rest) = if size1.is_power_of_two() {
        (root1, proof)
    } else {
        match proof.split_first() {
            Some(split) => split,
            None => return Err(too_short("consistency")),
        }
    };
    let mut fnode = size1 - 1;
    let mut snode = size2 - 1;
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let mut fr = *first;
    let mut sr = *first;
    for c in rest {
        if snode == 0 {
            return Err(too_long("consistency"));
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(too_short("consistency"));
    }
    if &fr != root1 {
        return Err(LedgerError::ProofRejected(format!(
            "consistency proof from {size1} to {size2} does not lead to the old root"
        )));
    }
    if &sr != root2 {
        return Err(LedgerError::ProofRejected(format!(
            "consistency proof from {size1} to {size2} does not lead to the new root"
        )));
    }
    Ok(())
}

/// Inclusion proof for leaf `index` in the tree of the first `size` leaves (RFC 9162 §2.1.3.1).
pub fn inclusion_proof(
    reader: &impl HashReader,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, LedgerError> {
    if index >= size {
        return Err(LedgerError::InvalidRequest(format!(
            "leaf index {index} is not below tree size {size}"
        )));
    }
    if index == size - 1 {
        // The proof of the last leaf never covers that leaf itself, so read it once to make sure
        // the reader really holds `size` leaves rather than proving a leaf that does not exist.
        reader.node(0, index)?;
    }
    // PATH(m, D[begin:end]) unrolled from the top: at each split the sibling half goes into the
    // proof and the half holding the leaf is descended into. Collected top-down, returned
    // bottom-up as the RFC orders it.
    let mut proof = Vec::with_capacity(inclusion_proof_len(index, size));
    let (mut begin, mut end) = (0u64, size);
    while end - begin > 1 {
        let k = split_point(end - begin);
        if index < begin + k {
            proof.push(subtree_hash(reader, begin + k, end)?);
            end = begin + k;
        } else {
            proof.push(subtree_hash(reader, begin, begin + k)?);
            begin += k;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// Consistency proof from the first `size1` leaves to the first `size2` leaves (RFC 9162 §2.1.4.1).
pub fn consistency_proof(
    reader: &impl HashReader,
    size1: u64,
    size2: u64,
) -> Result<Vec<Hash>, LedgerError> {
    check_consistency_sizes(size1, size2)?;
    if size1 == size2 {
        return Ok(Vec::new());
    }
    // SUBPROOF(m, D[begin:end], b) unrolled from the top, like `inclusion_proof`; `whole` is the
    // RFC's `b`, true while the range is still a prefix whose root the verifier already knows.
    let mut proof = Vec::with_capacity(consistency_proof_len(size1, size2));
    let (mut begin, mut end) = (0u64, size2);
    let mut whole = true;
    loop {
        if end == size1 {
            if !whole {
                proof.push(subtree_hash(reader, begin, end)?);
            }
            break;
        }
        let k = split_point(end - begin);
        if size1 <= begin + k {
            proof.push(subtree_hash(reader, begin + k, end)?);
            end = begin + k;
        } else {
            proof.push(subtree_hash(reader, begin, begin + k)?);
            begin += k;
            whole = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// Largest power of two strictly below `n`; `n` must be at least 2.
fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Number of hashes in the inclusion proof of `index` in a tree of `size` (`index < size`).
///
/// `inner` levels lie below the point where the leaf's path leaves the right edge of the tree,
/// one hash each; above it, one hash per level where the path has a left sibling.
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let inner = u64::BITS - (index ^ (size - 1)).leading_zeros();
    // `inner` is 64 when the index and the last leaf differ in the top bit.
    let border = index.checked_shr(inner).map_or(0, u64::count_ones);
    (inner + border) as usize
}

/// Number of hashes in the consistency proof from `size1` to `size2` (`0 < size1 < size2`).
///
/// The inclusion proof of the old tree's last complete subtree in the new tree, plus that
/// subtree's own hash unless it is the whole old tree (`size1` a power of two).
fn consistency_proof_len(size1: u64, size2: u64) -> usize {
    let level = size1.trailing_zeros();
    let index = (size1 - 1) >> level;
    let len = inclusion_proof_len(index, ((size2 - 1) >> level) + 1);
    if index == 0 {
        len
    } else {
        len + 1
    }
}

fn check_consistency_sizes(size1: u64, size2: u64) -> Result<(), LedgerError> {
    if size1 == 0 {
        return Err(LedgerError::InvalidRequest(
            "consistency with the empty tree is meaningless".into(),
        ));
    }
    if size1 > size2 {
        return Err(LedgerError::InvalidRequest(format!(
            "old size {size1} is above new size {size2}"
        )));
    }
    Ok(())
}

fn too_long(kind: &str) -> LedgerError {
    LedgerError::ProofRejected(format!("{kind} proof is too long"))
}

fn too_short(kind: &str) -> LedgerError {
    LedgerError::ProofRejected(format!("{kind} proof is too short"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{empty_root, leaf_hash};
    use crate::tree::{root_at, MemoryTree};
    use std::cell::Cell;

    /// RFC 6962 §2.1 MTH, recursive over a slice of leaf hashes (reference only).
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    /// RFC 9162 §2.1.3.1 PATH, recursive (reference only).
    fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
        let n = leaves.len();
        if n <= 1 {
            return Vec::new();
        }
        let k = split_point(n as u64) as usize;
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    /// RFC 9162 §2.1.4.1 SUBPROOF, recursive (reference only).
    fn subproof(m: usize, leaves: &[Hash], b: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if b { Vec::new() } else { vec![mth(leaves)] };
        }
        let k = split_point(n as u64) as usize;
        if m <= k {
            let mut p = subproof(m, &leaves[..k], b);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = subproof(m - k, &leaves[k..], false);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    fn tree(n: u64) -> (MemoryTree, Vec<Hash>) {
        let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_le_bytes())).collect();
        let mut t = MemoryTree::new();
        for l in &leaves {
            t.push(*l);
        }
        (t, leaves)
    }

    #[test]
    fn inclusion_matches_the_recursive_definition_and_verifies() {
        let (t, leaves) = tree(70);
        for size in 1..=70u64 {
            let root = root_at(&t, size).unwrap();
            for index in 0..size {
                let proof = inclusion_proof(&t, index, size).unwrap();
                assert_eq!(
                    proof,
                    path(index as usize, &leaves[..size as usize]),
                    "{index}/{size}"
                );
                assert_eq!(proof.len(), inclusion_proof_len(index, size));
                verify_inclusion(index, size, &leaves[index as usize], &proof, &root).unwrap();
            }
        }
    }

    #[test]
    fn consistency_matches_the_recursive_definition_and_verifies() {
        let (t, leaves) = tree(70);
        for size2 in 1..=70u64 {
            let root2 = root_at(&t, size2).unwrap();
            for size1 in 1..=size2 {
                let root1 = root_at(&t, size1).unwrap();
                let proof = consistency_proof(&t, size1, size2).unwrap();
                assert_eq!(
                    proof,
                    subproof(size1 as usize, &leaves[..size2 as usize], true)
                );
                verify_consistency(size1, size2, &proof, &root1, &root2).unwrap();
                if size1 < size2 {
                    assert_eq!(proof.len(), consistency_proof_len(size1, size2));
                    assert!(verify_consistency(size1, size2, &proof, &root2, &root1).is_err());
                }
            }
        }
    }

    #[test]
    fn impossible_requests_are_invalid() {
        let (t, leaves) = tree(8);
        let root = t.root();
        fn invalid<T>(r: Result<T, LedgerError>) -> bool {
            matches!(r, Err(LedgerError::InvalidRequest(_)))
        }
        assert!(invalid(inclusion_proof(&t, 8, 8)));
        assert!(invalid(inclusion_proof(&t, 0, 0)));
        assert!(invalid(consistency_proof(&t, 0, 0)));
        assert!(invalid(consistency_proof(&t, 0, 5)));
        assert!(invalid(consistency_proof(&t, 6, 5)));
        assert_eq!(consistency_proof(&t, 5, 5).unwrap(), Vec::<Hash>::new());
        assert!(invalid(verify_inclusion(8, 8, &leaves[0], &[], &root)));
        assert!(invalid(verify_inclusion(0, 0, &leaves[0], &[], &root)));
        assert!(invalid(verify_consistency(0, 0, &[], &root, &root)));
        assert!(invalid(verify_consistency(0, 8, &[], &empty_root(), &root)));
        assert!(invalid(verify_consistency(8, 7, &[], &root, &root)));
        // Beyond what the reader holds: the reader's error comes through.
        assert!(inclusion_proof(&t, 3, 9).is_err());
        assert!(inclusion_proof(&t, 8, 9).is_err());
        assert!(consistency_proof(&t, 3, 9).is_err());
    }

    #[test]
    fn bad_proofs_are_rejected() {
        let (t, leaves) = tree(13);
        let root = t.root();
        let rejected = |r: Result<(), LedgerError>| matches!(r, Err(LedgerError::ProofRejected(_)));
        let proof = inclusion_proof(&t, 5, 13).unwrap();
        verify_inclusion(5, 13, &leaves[5], &proof, &root).unwrap();
        assert!(rejected(verify_inclusion(
            5,
            13,
            &leaves[5],
            &proof[1..],
            &root
        )));
        let mut longer = proof.clone();
        longer.push(root);
        assert!(rejected(verify_inclusion(
            5, 13, &leaves[5], &longer, &root
        )));
        assert!(rejected(verify_inclusion(5, 13, &leaves[6], &proof, &root)));
        assert!(rejected(verify_inclusion(4, 13, &leaves[5], &proof, &root)));

        let root1 = root_at(&t, 6).unwrap();
        let proof = consistency_proof(&t, 6, 13).unwrap();
        verify_consistency(6, 13, &proof, &root1, &root).unwrap();
        assert!(rejected(verify_consistency(6, 13, &[], &root1, &root)));
        assert!(rejected(verify_consistency(
            6,
            13,
            &proof[1..],
            &root1,
            &root
        )));
        assert!(rejected(verify_consistency(6, 13, &proof, &root, &root1)));
        assert!(rejected(verify_consistency(13, 13, &proof, &root, &root)));
        assert!(rejected(verify_consistency(13, 13, &[], &root1, &root)));
        verify_consistency(13, 13, &[], &root, &root).unwrap();
    }

    /// A reader of a virtual tree of any size whose leaves repeat with period 16 (leaf `i` is
    /// the hash of `i % 16`), so every stored hash is computed on demand without storage and the
    /// tree is a genuine Merkle tree. Counts reads.
    struct Virtual {
        reads: Cell<u64>,
    }

    impl Virtual {
        fn perfect(level: u8, index: u64) -> Hash {
            if level == 0 {
                return leaf_hash(&[(index % 16) as u8]);
            }
            if level > 4 {
                let below = Self::perfect(level - 1, 0);
                return node_hash(&below, &below);
            }
            node_hash(
                &Self::perfect(level - 1, 2 * index),
                &Self::perfect(level - 1, 2 * index + 1),
            )
        }
    }

    impl HashReader for Virtual {
        fn node(&self, level: u8, index: u64) -> Result<Hash, LedgerError> {
            self.reads.set(self.reads.get() + 1);
            Ok(Self::perfect(level, index))
        }
    }

    #[test]
    fn huge_trees_need_few_reads_and_no_overflow() {
        let v = Virtual {
            reads: Cell::new(0),
        };
        let sizes = [
            (1u64 << 40) + 12_345,
            961_984_011,
            u64::MAX / 3,
            u64::MAX - 1,
            u64::MAX,
        ];
        for &size in &sizes {
            let root = root_at(&v, size).unwrap();
            for index in [0, 1, size / 2, size - 2, size - 1] {
                v.reads.set(0);
                let proof = inclusion_proof(&v, index, size).unwrap();
                assert!(v.reads.get() <= 2 * 64 + 1, "{} reads", v.reads.get());
                let leaf = v.node(0, index).unwrap();
                verify_inclusion(index, size, &leaf, &proof, &root).unwrap();
                assert!(verify_inclusion(index ^ 1, size, &leaf, &proof, &root).is_err());
            }
            for size1 in [1, 2, 3, size / 3, size - 1] {
                v.reads.set(0);
                let proof = consistency_proof(&v, size1, size).unwrap();
                assert!(v.reads.get() <= 2 * 64 + 1, "{} reads", v.reads.get());
                let root1 = root_at(&v, size1).unwrap();
                verify_consistency(size1, size, &proof, &root1, &root).unwrap();
            }
        }
    }
}
