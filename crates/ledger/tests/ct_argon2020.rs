//! Real Certificate Transparency data: Google's argon2020 log at 961,984,011 leaves, with a
//! 30-hash inclusion proof for leaf 10000 and a 30-hash consistency proof from 3,654,490.
//!
//! Vectors in `../shared/vectors/cloudflare-azul-ct-argon2020` (see its README); skipped with a
//! message when absent, unless `CI` is set.

use std::fs;
use std::path::{Path, PathBuf};

use authtrail_ledger::hash::{leaf_hash, Hash};
use authtrail_ledger::proof::{root_from_inclusion, verify_consistency, verify_inclusion};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Deserialize;

/// Root of argon2020 at size 3,654,490 (constant in golang/mod `sumdb/tlog/ct_test.go`).
const OLD_ROOT: &str = "AuIZ5V6sDUj1vn3Y1K85oOaQ7y+FJJKtyRTl1edIKBQ=";
const OLD_SIZE: u64 = 3_654_490;
/// Hash of entry 10000 as given in the README (and the upstream get-proof-by-hash URL).
const LEAF_10000: &str = "nCs3mfIydh9x4CKyQ+u2xtmpxmFggA5MLymHwNQSlLg=";

fn vectors_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors");
    if dir.is_dir() {
        return Some(dir.join("cloudflare-azul-ct-argon2020"));
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "../shared/vectors not found at {} and CI is set",
            dir.display()
        );
    }
    println!("skipping: ../shared/vectors not found");
    None
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

fn b64(s: &str) -> Vec<u8> {
    STANDARD.decode(s).unwrap()
}

fn hash(s: &str) -> Hash {
    b64(s).try_into().expect("32-byte hash")
}

#[derive(Deserialize)]
struct Sth {
    tree_size: u64,
    sha256_root_hash: String,
}

#[derive(Deserialize)]
struct Entries {
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    leaf_input: String,
}

#[derive(Deserialize)]
struct InclusionResponse {
    leaf_index: u64,
    audit_path: Vec<String>,
}

#[derive(Deserialize)]
struct ConsistencyResponse {
    consistency: Vec<String>,
}

struct Argon {
    size: u64,
    root: Hash,
    index: u64,
    leaf: Hash,
    audit_path: Vec<Hash>,
    old_root: Hash,
    consistency: Vec<Hash>,
}

fn load() -> Option<Argon> {
    let dir = vectors_dir()?;
    let sth: Sth = read_json(&dir.join("get-sth.json"));
    let entries: Entries = read_json(&dir.join("get-entries-start-10000-end-10000.json"));
    let incl: InclusionResponse =
        read_json(&dir.join("get-proof-by-hash-tree-size-961984011-leaf-10000.json"));
    let cons: ConsistencyResponse =
        read_json(&dir.join("get-sth-consistency-first-3654490-second-961984011.json"));
    assert_eq!(entries.entries.len(), 1);
    Some(Argon {
        size: sth.tree_size,
        root: hash(&sth.sha256_root_hash),
        index: incl.leaf_index,
        leaf: leaf_hash(&b64(&entries.entries[0].leaf_input)),
        audit_path: incl.audit_path.iter().map(|h| hash(h)).collect(),
        old_root: hash(OLD_ROOT),
        consistency: cons.consistency.iter().map(|h| hash(h)).collect(),
    })
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut h = *h;
    h[bit / 8] ^= 1 << (bit % 8);
    h
}

#[test]
fn the_recorded_data_is_what_the_readme_says() {
    let Some(a) = load() else { return };
    assert_eq!(a.size, 961_984_011);
    assert_eq!(a.index, 10_000);
    assert_eq!(a.leaf, hash(LEAF_10000), "leaf hash of entry 10000");
    assert_eq!(a.audit_path.len(), 30);
    assert_eq!(a.consistency.len(), 30);
}

#[test]
fn inclusion_of_leaf_10000_verifies_and_every_bit_flip_fails() {
    let Some(a) = load() else { return };
    verify_inclusion(a.index, a.size, &a.leaf, &a.audit_path, &a.root).unwrap();
    assert_eq!(
        root_from_inclusion(a.index, a.size, &a.leaf, &a.audit_path).unwrap(),
        a.root
    );

    let mut checked = 0;
    for i in 0..a.audit_path.len() {
        for bit in 0..256 {
            let mut proof = a.audit_path.clone();
            proof[i] = flip(&proof[i], bit);
            assert!(
                verify_inclusion(a.index, a.size, &a.leaf, &proof, &a.root).is_err(),
                "proof[{i}] bit {bit}"
            );
            checked += 1;
        }
    }
    for bit in 0..256 {
        let leaf = flip(&a.leaf, bit);
        assert!(
            verify_inclusion(a.index, a.size, &leaf, &a.audit_path, &a.root).is_err(),
            "leaf bit {bit}"
        );
        let root = flip(&a.root, bit);
        assert!(
            verify_inclusion(a.index, a.size, &a.leaf, &a.audit_path, &root).is_err(),
            "root bit {bit}"
        );
        checked += 2;
    }
    assert_eq!(checked, 32 * 256);

    // Neighbouring indexes, the wrong size, a truncated or extended proof: all rejected.
    for index in [a.index - 1, a.index + 1, a.index ^ 2, a.index * 2] {
        assert!(
            verify_inclusion(index, a.size, &a.leaf, &a.audit_path, &a.root).is_err(),
            "index {index}"
        );
    }
    for size in [a.size / 2, a.size * 2, OLD_SIZE] {
        assert!(
            verify_inclusion(a.index, size, &a.leaf, &a.audit_path, &a.root).is_err(),
            "size {size}"
        );
    }
    assert!(verify_inclusion(a.index, a.size, &a.leaf, &a.audit_path[..29], &a.root).is_err());
    let mut longer = a.audit_path.clone();
    longer.push(a.root);
    assert!(verify_inclusion(a.index, a.size, &a.leaf, &longer, &a.root).is_err());
}

#[test]
fn consistency_from_3654490_verifies_and_every_bit_flip_fails() {
    let Some(a) = load() else { return };
    verify_consistency(OLD_SIZE, a.size, &a.consistency, &a.old_root, &a.root).unwrap();

    let mut checked = 0;
    for i in 0..a.consistency.len() {
        for bit in 0..256 {
            let mut proof = a.consistency.clone();
            proof[i] = flip(&proof[i], bit);
            assert!(
                verify_consistency(OLD_SIZE, a.size, &proof, &a.old_root, &a.root).is_err(),
                "proof[{i}] bit {bit}"
            );
            checked += 1;
        }
    }
    for bit in 0..256 {
        let old = flip(&a.old_root, bit);
        assert!(
            verify_consistency(OLD_SIZE, a.size, &a.consistency, &old, &a.root).is_err(),
            "root1 bit {bit}"
        );
        let new = flip(&a.root, bit);
        assert!(
            verify_consistency(OLD_SIZE, a.size, &a.consistency, &a.old_root, &new).is_err(),
            "root2 bit {bit}"
        );
        checked += 2;
    }
    assert_eq!(checked, 32 * 256);

    assert!(verify_consistency(OLD_SIZE, a.size, &a.consistency, &a.root, &a.old_root).is_err());
    assert!(
        verify_consistency(OLD_SIZE + 1, a.size, &a.consistency, &a.old_root, &a.root).is_err()
    );
    assert!(
        verify_consistency(OLD_SIZE - 1, a.size, &a.consistency, &a.old_root, &a.root).is_err()
    );
    assert!(
        verify_consistency(OLD_SIZE, a.size * 2, &a.consistency, &a.old_root, &a.root).is_err()
    );
    assert!(
        verify_consistency(OLD_SIZE, a.size / 2, &a.consistency, &a.old_root, &a.root).is_err()
    );
    assert!(
        verify_consistency(OLD_SIZE, a.size, &a.consistency[1..], &a.old_root, &a.root).is_err()
    );
}
