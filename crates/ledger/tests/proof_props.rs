//! Property tests: proofs generated from random trees verify, and any tampering is caught.
//!
//! A note on "wrong size": an RFC 9162 proof does not pin down the tree size on its own. The
//! verifier's hashing depends on the size only through the proof's *shape* (which levels hash
//! the running value on the left or right, and how many levels sit on the right border), and
//! different sizes can share a shape: the proof [l1, l2] of leaf 0 in a 3-leaf tree also
//! "verifies" leaf 0 in a 4-leaf tree with the same root. The size is bound by the signed
//! checkpoint that carries the root, not by the proof. So the wrong-size properties below
//! assert the exact rule: a wrong size is accepted iff it gives the same shape.

use authtrail_ledger::hash::{leaf_hash, Hash};
use authtrail_ledger::proof::{
    consistency_proof, inclusion_proof, root_from_inclusion, verify_consistency, verify_inclusion,
};
use authtrail_ledger::tree::{root_at, MemoryTree};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;

const MAX_SIZE: u64 = 2000;

fn config() -> Config {
    Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    }
}

fn tree(seed: u64, size: u64) -> MemoryTree {
    let mut t = MemoryTree::new();
    for i in 0..size {
        let mut data = seed.to_be_bytes().to_vec();
        data.extend_from_slice(&i.to_be_bytes());
        t.push(leaf_hash(&data));
    }
    t
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut h = *h;
    h[bit / 8] ^= 1 << (bit % 8);
    h
}

/// The shape of the inclusion proof of `index` in a tree of `size` (`index < size`): the number
/// of inner levels (below the point where the leaf's path leaves the right edge), the leaf's
/// left/right position at each of them, and the number of border levels above.
fn inclusion_shape(index: u64, size: u64) -> (u32, u64, u32) {
    let inner = u64::BITS - (index ^ (size - 1)).leading_zeros();
    let low = index & 1u64.checked_shl(inner).map_or(u64::MAX, |bit| bit - 1);
    let above = index.checked_shr(inner).unwrap_or(0);
    (inner, low, above.count_ones())
}

#[derive(Debug, PartialEq, Eq)]
enum ConsistencyShape {
    /// Equal sizes: empty proof, equal roots.
    Equal,
    /// The inclusion shape of the old tree's last complete subtree in the new tree (at that
    /// subtree's level), and whether that subtree is the whole old tree.
    Path {
        old_is_power_of_two: bool,
        inner: (u32, u64, u32),
    },
}

fn consistency_shape(size1: u64, size2: u64) -> ConsistencyShape {
    if size1 == size2 {
        return ConsistencyShape::Equal;
    }
    let level = size1.trailing_zeros();
    let index = (size1 - 1) >> level;
    ConsistencyShape::Path {
        old_is_power_of_two: index == 0,
        inner: inclusion_shape(index, ((size2 - 1) >> level) + 1),
    }
}

/// A tree size, an index below it, and a seed for the leaves.
fn sized_index() -> impl Strategy<Value = (u64, u64, u64)> {
    (1..MAX_SIZE).prop_flat_map(|size| (Just(size), 0..size, any::<u64>()))
}

/// Two sizes `size1 <= size2` and a seed for the leaves.
fn size_pair() -> impl Strategy<Value = (u64, u64, u64)> {
    (1..MAX_SIZE).prop_flat_map(|size2| (1..=size2, Just(size2), any::<u64>()))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn inclusion_proofs_verify_and_tampering_fails(
        (size, index, seed) in sized_index(),
        element in any::<Index>(),
        bit in 0usize..256,
    ) {
        let t = tree(seed, size);
        let root = root_at(&t, size).unwrap();
        let leaf = t.level(0)[index as usize];
        let proof = inclusion_proof(&t, index, size).unwrap();
        prop_assert!(proof.len() <= 64);
        verify_inclusion(index, size, &leaf, &proof, &root).unwrap();
        prop_assert_eq!(root_from_inclusion(index, size, &leaf, &proof).unwrap(), root);

        if !proof.is_empty() {
            let mut bad = proof.clone();
            let i = element.index(bad.len());
            bad[i] = flip(&bad[i], bit);
            prop_assert!(verify_inclusion(index, size, &leaf, &bad, &root).is_err());
        }
        prop_assert!(verify_inclusion(index, size, &flip(&leaf, bit), &proof, &root).is_err());
        prop_assert!(verify_inclusion(index, size, &leaf, &proof, &flip(&root, bit)).is_err());
    }

    #[test]
    fn inclusion_proofs_fail_at_another_index(
        (size, index, seed) in sized_index(),
        other in any::<Index>(),
    ) {
        prop_assume!(size > 1);
        // Any other index below the size (different indexes always have different shapes).
        let mut wrong = other.index(size as usize - 1) as u64;
        if wrong >= index {
            wrong += 1;
        }
        let t = tree(seed, size);
        let root = root_at(&t, size).unwrap();
        let leaf = t.level(0)[index as usize];
        let proof = inclusion_proof(&t, index, size).unwrap();
        prop_assert!(verify_inclusion(wrong, size, &leaf, &proof, &root).is_err());
        // The leaf that really sits at the other index does not pass with this proof either.
        let there = t.level(0)[wrong as usize];
        prop_assert!(verify_inclusion(wrong, size, &there, &proof, &root).is_err());
        for wrong in [index + 1, index.wrapping_sub(1), index ^ 2, u64::MAX] {
            prop_assert!(verify_inclusion(wrong, size, &leaf, &proof, &root).is_err(), "index {}", wrong);
        }
    }

    #[test]
    fn inclusion_proofs_at_another_size_pass_only_with_the_same_shape(
        (size, index, seed) in sized_index(),
        wrong in 0..2 * MAX_SIZE,
    ) {
        prop_assume!(wrong != size);
        let t = tree(seed, size);
        let root = root_at(&t, size).unwrap();
        let leaf = t.level(0)[index as usize];
        let proof = inclusion_proof(&t, index, size).unwrap();
        let same_shape = index < wrong && inclusion_shape(index, wrong) == inclusion_shape(index, size);
        prop_assert_eq!(verify_inclusion(index, wrong, &leaf, &proof, &root).is_ok(), same_shape);
        // Doubling or halving the size always changes the shape.
        prop_assert!(verify_inclusion(index, size * 2, &leaf, &proof, &root).is_err());
        prop_assert!(verify_inclusion(index, size / 2, &leaf, &proof, &root).is_err());
    }

    #[test]
    fn consistency_proofs_verify_and_tampering_fails(
        (size1, size2, seed) in size_pair(),
        element in any::<Index>(),
        bit in 0usize..256,
    ) {
        let t = tree(seed, size2);
        let root1 = root_at(&t, size1).unwrap();
        let root2 = root_at(&t, size2).unwrap();
        let proof = consistency_proof(&t, size1, size2).unwrap();
        prop_assert!(proof.len() <= 65);
        prop_assert_eq!(proof.is_empty(), size1 == size2);
        verify_consistency(size1, size2, &proof, &root1, &root2).unwrap();

        if !proof.is_empty() {
            let mut bad = proof.clone();
            let i = element.index(bad.len());
            bad[i] = flip(&bad[i], bit);
            prop_assert!(verify_consistency(size1, size2, &bad, &root1, &root2).is_err());
        }
        prop_assert!(verify_consistency(size1, size2, &proof, &flip(&root1, bit), &root2).is_err());
        prop_assert!(verify_consistency(size1, size2, &proof, &root1, &flip(&root2, bit)).is_err());
        if size1 != size2 {
            prop_assert!(verify_consistency(size1, size2, &proof, &root2, &root1).is_err());
        }
    }

    #[test]
    fn consistency_proofs_at_other_sizes_pass_only_with_the_same_shape(
        (size1, size2, seed) in size_pair(),
        wrong1 in 0..2 * MAX_SIZE,
        wrong2 in 0..2 * MAX_SIZE,
    ) {
        let t = tree(seed, size2);
        let root1 = root_at(&t, size1).unwrap();
        let root2 = root_at(&t, size2).unwrap();
        let proof = consistency_proof(&t, size1, size2).unwrap();
        let shape = consistency_shape(size1, size2);
        let accepted = |s1: u64, s2: u64| {
            // Equal sizes compare the two roots, which differ unless size1 == size2 already.
            let roots_ok = s1 != s2 || root1 == root2;
            0 < s1 && s1 <= s2 && roots_ok && consistency_shape(s1, s2) == shape
        };
        if wrong1 != size1 {
            prop_assert_eq!(
                verify_consistency(wrong1, size2, &proof, &root1, &root2).is_ok(),
                accepted(wrong1, size2),
                "size1 {} -> {}", size1, wrong1
            );
        }
        if wrong2 != size2 {
            prop_assert_eq!(
                verify_consistency(size1, wrong2, &proof, &root1, &root2).is_ok(),
                accepted(size1, wrong2),
                "size2 {} -> {}", size2, wrong2
            );
        }
        if size1 < size2 {
            // Doubling the new size always changes the shape.
            prop_assert!(verify_consistency(size1, size2 * 2, &proof, &root1, &root2).is_err());
        }
    }
}

#[test]
fn a_wrong_size_with_the_same_shape_is_indistinguishable() {
    // The example from the module docs, spelled out.
    let t = tree(7, 4);
    let leaf0 = t.level(0)[0];
    let root3 = root_at(&t, 3).unwrap();
    let proof = inclusion_proof(&t, 0, 3).unwrap();
    verify_inclusion(0, 3, &leaf0, &proof, &root3).unwrap();
    verify_inclusion(0, 4, &leaf0, &proof, &root3).unwrap();
    assert!(verify_inclusion(0, 4, &leaf0, &proof, &t.root()).is_err());
    assert_eq!(inclusion_shape(0, 3), inclusion_shape(0, 4));

    // Likewise the consistency proof 1 -> 3 (which is [l1, l2]) passes as 1 -> 4.
    let proof = consistency_proof(&t, 1, 3).unwrap();
    verify_consistency(1, 3, &proof, &leaf0, &root3).unwrap();
    verify_consistency(1, 4, &proof, &leaf0, &root3).unwrap();
    assert!(verify_consistency(1, 4, &proof, &leaf0, &t.root()).is_err());
    assert_eq!(consistency_shape(1, 3), consistency_shape(1, 4));
}
