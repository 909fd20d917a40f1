//! Property tests of the evidence set: for random logs and random choices of entries (some
//! pruned), the set round-trips byte for byte, every entry is proven against the one checkpoint,
//! and any single changed byte outside the query label makes reading or verifying fail.

use authtrail_ledger::checkpoint::{sign_checkpoint, Checkpoint};
use authtrail_ledger::entry::{salted_digest, EntryHeader, Salt};
use authtrail_ledger::evidence_set::{EvidenceSet, SetEntry};
use authtrail_ledger::hash::leaf_hash;
use authtrail_ledger::note::{Ed25519Signer, NoteVerifier};
use authtrail_ledger::proof::inclusion_proof;
use authtrail_ledger::tree::MemoryTree;
use proptest::prelude::*;
use proptest::sample::{subsequence, Index};
use proptest::test_runner::Config;

/// Largest log a case builds.
const MAX_LEAVES: usize = 80;

fn config() -> Config {
    Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    }
}

/// One random entry's bodies: salt, event, raw.
type Bodies = (Salt, Vec<u8>, Vec<u8>);

fn bodies() -> impl Strategy<Value = Bodies> {
    (
        any::<[u8; 32]>(),
        proptest::collection::vec(any::<u8>(), 0..64),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
}

/// A log of `leaves`, and an evidence set of the entries at `chosen` (pruned where `prune` says).
fn build(
    leaves: &[Bodies],
    chosen: &[usize],
    prune: &[bool],
    query: &str,
) -> (EvidenceSet, NoteVerifier) {
    let signer = Ed25519Signer::generate("props.example/log").expect("signer");
    let mut tree = MemoryTree::new();
    let mut headers = Vec::new();
    for (seq, (salt, event, raw)) in leaves.iter().enumerate() {
        let header = EntryHeader {
            seq: seq as u64,
            received_at_ns: 1_700_000_000_000_000_000 + seq as i64,
            class_uid: 3002,
            event_digest: salted_digest(salt, event),
            raw_digest: salted_digest(salt, raw),
            source: "props".into(),
        }
        .encode()
        .expect("header");
        tree.push(leaf_hash(&header));
        headers.push(header);
    }
    let size = tree.size();
    let entries = chosen
        .iter()
        .zip(prune.iter().cycle())
        .map(|(&seq, &pruned)| {
            let (salt, event, raw) = &leaves[seq];
            SetEntry {
                seq: seq as u64,
                header: headers[seq].clone(),
                salt: (!pruned).then_some(*salt),
                event: (!pruned).then(|| event.clone()),
                raw: (!pruned).then(|| raw.clone()),
                inclusion_proof: inclusion_proof(&tree, seq as u64, size).expect("proof"),
            }
        })
        .collect();
    let checkpoint = sign_checkpoint(
        &Checkpoint {
            origin: "props.example/log".into(),
            size,
            root: tree.root(),
            extensions: vec![],
        },
        &signer,
    )
    .expect("sign");
    let set = EvidenceSet {
        tree_size: size,
        query: query.to_owned(),
        checkpoint,
        entries,
    };
    (set, signer.verifier())
}

/// A log, the indexes chosen from it, and which of them are pruned.
fn case() -> impl Strategy<Value = (Vec<Bodies>, Vec<usize>, Vec<bool>)> {
    proptest::collection::vec(bodies(), 1..MAX_LEAVES).prop_flat_map(|leaves| {
        let n = leaves.len();
        (
            Just(leaves),
            subsequence((0..n).collect::<Vec<_>>(), 0..=n),
            proptest::collection::vec(any::<bool>(), 1..8),
        )
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_entry_is_proven_and_any_flipped_byte_fails(
        (leaves, chosen, prune) in case(),
        query in "[a-z0-9=~!. ]{0,24}",
        flips in proptest::collection::vec((any::<Index>(), 1..=255u8), 24),
    ) {
        let (set, key) = build(&leaves, &chosen, &prune, &query);
        let json = set.to_json().expect("to_json");
        let back = EvidenceSet::from_json(&json).expect("from_json");
        prop_assert_eq!(&back, &set);
        let verified = back.verify(&key).expect("verify");
        prop_assert_eq!(verified.entries.len(), chosen.len());
        for (entry, &seq) in verified.entries.iter().zip(&chosen) {
            prop_assert_eq!(entry.header.seq, seq as u64);
        }
        let pruned = set.entries.iter().filter(|e| e.salt.is_none()).count();
        prop_assert_eq!(verified.bodies_checked(), chosen.len() - pruned);

        // The query label (between its quotes) is the one unproven span.
        let label = format!("\"query\": \"{query}\"");
        let start = json.find(&label).expect("query line") + "\"query\": \"".len();
        let label_span = start..start + query.len();
        let bytes = json.as_bytes();
        for (at, mask) in flips {
            let pos = at.index(bytes.len());
            if label_span.contains(&pos) {
                continue;
            }
            let mut changed = bytes.to_vec();
            changed[pos] ^= mask;
            let outcome = std::str::from_utf8(&changed)
                .map_err(|e| e.to_string())
                .and_then(|text| EvidenceSet::from_json(text).map_err(|e| e.to_string()))
                .and_then(|s| s.verify(&key).map_err(|e| e.to_string()));
            prop_assert!(
                outcome.is_err(),
                "byte {} {:?} ^ {:#04x} accepted",
                pos,
                char::from(bytes[pos]),
                mask
            );
        }
    }
}
