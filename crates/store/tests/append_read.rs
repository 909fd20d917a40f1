//! Appending and reading back: entries, bodies, tiles, bundles, proofs, checkpoints, reopening,
//! the directory lock, argument checks, and a body segment boundary.

mod common;

use std::collections::HashSet;

use authtrail_ledger::checkpoint::open_checkpoint;
use authtrail_ledger::hash::{empty_root, leaf_hash};
use authtrail_ledger::proof::{verify_consistency, verify_inclusion};
use authtrail_ledger::tile::{
    push_bundle_entry, read_hash_tile, tiles_for_size, TileId, TILE_WIDTH,
};
use authtrail_ledger::tree::root_at;
use authtrail_store::layout::{body_record_len, SEGMENT_ENTRIES};
use authtrail_store::prepare::MAX_BODY_BYTES;
use authtrail_store::{read_checkpoint, EmbeddedLog, LogOptions, PreparedEntry, StoreError};
use common::*;
use tempfile::TempDir;

const TAG: &str = "append-read";

/// Batch sizes: the running total lands on 255, 256, 511, 767, 770, 1070 (crossing 256, 512,
/// 768 and 1024).
const BATCHES: [u64; 11] = [1, 2, 5, 17, 100, 130, 1, 255, 256, 3, 300];

#[test]
fn batches_read_back_and_everything_proves() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let key = init(dir);
    let log = open(dir);
    assert_eq!((log.size(), log.recovered_cut), (0, 0));

    let mut size = 0;
    for n in BATCHES {
        let got = log.append(batch(TAG, size..size + n)).unwrap();
        assert_eq!(got, size..size + n);
        size += n;
        assert_eq!(log.size(), size, "size is durable when append returns");
    }
    assert_eq!(size, 1070);

    // Every entry, with its bodies; salts are per entry.
    let mut salts = HashSet::new();
    for seq in 0..size {
        let e = log.entry(seq).unwrap();
        check_entry(&e, seq, TAG, seq);
        assert!(
            salts.insert(e.body.salt),
            "salt of {seq} repeats an earlier one"
        );
    }
    assert!(matches!(log.entry(size), Err(StoreError::NotFound(_))));
    assert!(matches!(
        log.entry(size + 1000),
        Err(StoreError::NotFound(_))
    ));

    wait_integrated(&log);
    assert_eq!(log.integrated_size(), size);

    // An independent tree from the header bytes on disk.
    let headers = leaves(dir);
    assert_eq!(headers.len() as u64, size);
    for (seq, h) in headers.iter().enumerate() {
        assert_eq!(
            h,
            &log.entry(seq as u64).unwrap().header_bytes,
            "slot {seq} holds the entry's header"
        );
    }
    let tree = tree_from_headers(dir);
    assert_eq!(tree.size(), size);

    // Tiles and bundles, for the full size and for every smaller size's (partial) tiles.
    let mut checked = HashSet::new();
    for s in [
        1, 7, 255, 256, 257, 300, 511, 512, 767, 768, 1024, 1069, size,
    ] {
        for id in tiles_for_size(s) {
            if !checked.insert(id) {
                continue;
            }
            let got = log
                .tile(id)
                .unwrap_or_else(|e| panic!("tile {}: {e}", id.path()));
            let want = match id.level {
                Some(_) => read_hash_tile(&tree, id).unwrap(),
                None => {
                    let mut b = Vec::new();
                    for seq in id.first()..id.first() + u64::from(id.width) {
                        push_bundle_entry(&mut b, &headers[seq as usize]).unwrap();
                    }
                    b
                }
            };
            assert_eq!(got, want, "tile {}", id.path());
        }
    }
    // Tiles the log does not have yet.
    let full = (size / TILE_WIDTH) as u16;
    let rem = (size % TILE_WIDTH) as u16;
    for id in [
        TileId::entries(size / TILE_WIDTH, rem + 1),
        TileId::entries(size / TILE_WIDTH + 1, 1),
        TileId::hashes(0, size / TILE_WIDTH, rem + 1),
        TileId::hashes(0, size / TILE_WIDTH + 1, 256),
        TileId::hashes(1, 0, full + 1),
        TileId::hashes(2, 0, 1),
    ] {
        assert!(
            matches!(log.tile(id), Err(StoreError::NotFound(_))),
            "tile {} served",
            id.path()
        );
    }

    // Roots of every size.
    assert_eq!(log.root(0).unwrap(), empty_root());
    for s in 0..=size {
        assert_eq!(
            log.root(s).unwrap(),
            root_at(&tree, s).unwrap(),
            "root at {s}"
        );
    }
    assert_eq!(log.root(size).unwrap(), tree.root());
    assert!(matches!(
        log.root(size + 1),
        Err(StoreError::InvalidRequest(_))
    ));

    // Inclusion proofs: every entry in the full tree and in a grid of smaller trees.
    for s in [1, 2, 3, 255, 256, 257, 511, 512, 700, 1024, 1025, size] {
        let root = log.root(s).unwrap();
        for seq in 0..s {
            let (proof, proof_root) = log.inclusion_proof(seq, s).unwrap();
            assert_eq!(
                proof_root, root,
                "root returned with the proof of {seq} in {s}"
            );
            verify_inclusion(seq, s, &leaf_hash(&headers[seq as usize]), &proof, &root)
                .unwrap_or_else(|e| panic!("inclusion of {seq} in {s}: {e}"));
        }
    }
    assert!(matches!(
        log.inclusion_proof(size, size),
        Err(StoreError::InvalidRequest(_))
    ));
    assert!(matches!(
        log.inclusion_proof(0, size + 1),
        Err(StoreError::InvalidRequest(_))
    ));
    // A proof does not prove another leaf.
    let (proof, root) = log.inclusion_proof(5, size).unwrap();
    assert!(verify_inclusion(5, size, &leaf_hash(&headers[6]), &proof, &root).is_err());

    // Consistency proofs between a grid of sizes.
    let grid = [
        1, 2, 3, 4, 7, 8, 100, 255, 256, 257, 511, 512, 513, 767, 768, 1000, 1024, 1069, size,
    ];
    for &a in &grid {
        for &b in grid.iter().filter(|&&b| b >= a) {
            let proof = log.consistency_proof(a, b).unwrap();
            verify_consistency(a, b, &proof, &log.root(a).unwrap(), &log.root(b).unwrap())
                .unwrap_or_else(|e| panic!("consistency {a} -> {b}: {e}"));
        }
    }
    assert!(matches!(
        log.consistency_proof(0, 5),
        Err(StoreError::InvalidRequest(_))
    ));
    assert!(matches!(
        log.consistency_proof(6, 5),
        Err(StoreError::InvalidRequest(_))
    ));
    assert!(matches!(
        log.consistency_proof(1, size + 1),
        Err(StoreError::InvalidRequest(_))
    ));

    // The published checkpoint.
    let cp = log.publish_now().unwrap();
    assert_eq!(cp.checkpoint.origin, ORIGIN);
    assert_eq!(cp.checkpoint.size, size);
    assert_eq!(cp.checkpoint.root, log.root(size).unwrap());
    assert!(
        log.verifier() == key,
        "verifier of the log is the key from init"
    );
    assert_eq!(
        open_checkpoint(cp.note.as_bytes(), &log.verifier()).unwrap(),
        cp.checkpoint
    );
    assert_eq!(
        std::fs::read_to_string(layout(dir).checkpoint()).unwrap(),
        cp.note
    );
    assert_eq!(*log.checkpoint(), *cp);
    assert_eq!(
        read_checkpoint(&layout(dir), &key).unwrap().as_ref(),
        Some(&*cp)
    );
    // Publishing again without new entries changes nothing.
    assert_eq!(*log.publish_now().unwrap(), *cp);

    // Close and reopen: same size and root, appends continue at the next seq.
    let root = log.root(size).unwrap();
    let closed = log.close().unwrap();
    assert_eq!(closed.checkpoint.size, size);
    assert!(matches!(
        log.append(batch(TAG, 0..1)),
        Err(StoreError::Closed)
    ));
    drop(log);

    let log = open(dir);
    assert_eq!((log.size(), log.recovered_cut), (size, 0));
    wait_integrated(&log);
    assert_eq!(log.root(size).unwrap(), root);
    assert_eq!(log.checkpoint().checkpoint, closed.checkpoint);
    check_entry(&log.entry(size - 1).unwrap(), size - 1, TAG, size - 1);
    let more = log.append(batch(TAG, size..size + 10)).unwrap();
    assert_eq!(more, size..size + 10);
    for seq in 0..size + 10 {
        check_entry(&log.entry(seq).unwrap(), seq, TAG, seq);
    }
    wait_integrated(&log);
    let proof = log.consistency_proof(size, size + 10).unwrap();
    verify_consistency(
        size,
        size + 10,
        &proof,
        &root,
        &log.root(size + 10).unwrap(),
    )
    .unwrap();
    let last = log.close().unwrap();
    assert_eq!(last.checkpoint.size, size + 10);
    drop(log);

    let report = verify_ok(dir, &key, size + 10);
    assert_eq!(report.root, last.checkpoint.root);
    assert_eq!(report.checkpoint, last.checkpoint);
    assert_eq!(report.beyond_checkpoint, 0);
}

#[test]
fn a_second_writer_is_locked_out() {
    let tmp = TempDir::new().unwrap();
    init(tmp.path());
    let log = open(tmp.path());
    log.append(batch(TAG, 0..3)).unwrap();
    match EmbeddedLog::open(tmp.path(), LogOptions::default()) {
        Err(StoreError::Locked(p)) => assert_eq!(p, tmp.path()),
        Err(e) => panic!("second open failed with {e:?}, not Locked"),
        Ok(_) => panic!("second open of a locked directory succeeded"),
    }
    // The failed open disturbed nothing.
    assert_eq!(log.append(batch(TAG, 3..5)).unwrap(), 3..5);
    drop(log);
    let log = open(tmp.path());
    assert_eq!(log.size(), 5);
}

/// `close()` is documented to "release the lock": a new writer may open the directory after it,
/// even while the closed handle still exists (e.g. other `Arc`s of it are being dropped).
#[test]
fn close_releases_the_lock() {
    let tmp = TempDir::new().unwrap();
    init(tmp.path());
    let log = open(tmp.path());
    log.append(batch(TAG, 0..3)).unwrap();
    log.close().unwrap();
    let reopened = EmbeddedLog::open(tmp.path(), LogOptions::default());
    assert!(
        reopened.is_ok(),
        "open after close() failed: {:?}",
        reopened.err()
    );
    drop(log);
}

#[test]
fn uninitialized_directory_is_refused() {
    let tmp = TempDir::new().unwrap();
    assert!(matches!(
        EmbeddedLog::open(tmp.path(), LogOptions::default()),
        Err(StoreError::NotInitialized(_))
    ));
}

#[test]
fn empty_append_returns_an_empty_range() {
    let tmp = TempDir::new().unwrap();
    init(tmp.path());
    let log = open(tmp.path());
    assert_eq!(log.append(Vec::new()).unwrap(), 0..0);
    assert_eq!(log.size(), 0);
    log.append(batch(TAG, 0..5)).unwrap();
    assert_eq!(log.append(Vec::new()).unwrap(), 5..5);
    assert_eq!(log.size(), 5);
}

#[test]
fn bad_sources_and_oversized_bodies_fail_at_prepare() {
    for bad in [
        "",
        "has space",
        "naïve",
        "semi;colon",
        "new\nline",
        &"a".repeat(65),
    ] {
        assert!(
            PreparedEntry::new(bad, 0, 3002, b"{}".to_vec(), b"raw".to_vec()).is_err(),
            "source {bad:?} accepted"
        );
    }
    for good in ["a", "okta/prod:1@edge-2_x.y", &"a".repeat(64)] {
        assert!(
            PreparedEntry::new(good, 0, 3002, b"{}".to_vec(), b"raw".to_vec()).is_ok(),
            "source {good:?}"
        );
    }
    let big = vec![b'x'; MAX_BODY_BYTES + 1];
    assert!(matches!(
        PreparedEntry::new("src", 0, 3002, big.clone(), Vec::new()),
        Err(StoreError::InvalidRequest(_))
    ));
    assert!(matches!(
        PreparedEntry::new("src", 0, 3002, Vec::new(), big),
        Err(StoreError::InvalidRequest(_))
    ));
}

#[test]
fn largest_and_empty_bodies_round_trip() {
    let tmp = TempDir::new().unwrap();
    let key = init(tmp.path());
    let log = open(tmp.path());
    let event: Vec<u8> = (0..MAX_BODY_BYTES).map(|i| (i % 251) as u8).collect();
    let raw: Vec<u8> = (0..MAX_BODY_BYTES).map(|i| (i % 241) as u8).collect();
    let entries = vec![
        PreparedEntry::new("big", 1, 0, event.clone(), raw.clone()).unwrap(),
        PreparedEntry::new("empty", 2, 0, Vec::new(), Vec::new()).unwrap(),
    ];
    assert_eq!(log.append(entries).unwrap(), 0..2);
    let e = log.entry(0).unwrap();
    assert!(
        e.body.event == event && e.body.raw == raw,
        "4 MiB bodies read back"
    );
    let e = log.entry(1).unwrap();
    assert!(e.body.event.is_empty() && e.body.raw.is_empty());
    assert!(e.header.check_bodies(&e.body.salt, &[], &[]).ok());
    log.close().unwrap();
    drop(log);
    verify_ok(tmp.path(), &key, 2);
}

/// Enough tiny entries to fill body segment 0 and spill into segment 1, with one append batch
/// straddling the boundary.
#[test]
fn entries_cross_into_the_next_body_segment() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let key = init(dir);
    // Plain segments first (the packer would race the file-size checks); packed at the end.
    let plain = LogOptions {
        pack_bodies: false,
        ..LogOptions::default()
    };
    let log = EmbeddedLog::open(dir, plain.clone()).unwrap();
    let tiny = |seq: u64| {
        PreparedEntry::new(
            "seg",
            seq as i64,
            0,
            format!("{seq:08}").into_bytes(),
            b"r".to_vec(),
        )
        .unwrap()
    };
    let mut size = 0u64;
    // 1000 + 17 * 4096 = 70_632: the 17th batch (62_440..66_536) straddles seq 65_536.
    for n in std::iter::once(1000).chain(std::iter::repeat_n(4096, 17)) {
        let got = log.append((size..size + n).map(tiny).collect()).unwrap();
        assert_eq!(got, size..size + n);
        size += n;
    }
    assert!(size > SEGMENT_ENTRIES + 4096);
    let check = |log: &EmbeddedLog, seq: u64| {
        let e = log.entry(seq).unwrap();
        assert_eq!((e.header.seq, e.body.seq), (seq, seq));
        assert_eq!(
            e.body.event,
            format!("{seq:08}").into_bytes(),
            "event of {seq}"
        );
        assert_eq!(e.body.raw, b"r");
        assert!(
            e.header
                .check_bodies(&e.body.salt, &e.body.event, &e.body.raw)
                .ok(),
            "digests of {seq}"
        );
    };
    let around = [
        0,
        1,
        SEGMENT_ENTRIES - 2,
        SEGMENT_ENTRIES - 1,
        SEGMENT_ENTRIES,
        SEGMENT_ENTRIES + 1,
        size - 1,
    ];
    for seq in around {
        check(&log, seq);
    }
    // A range read gives what reading each entry gives, across the segment boundary too.
    let check_range = |log: &EmbeddedLog, range: std::ops::Range<u64>| {
        let got = log.entries(range.clone()).unwrap();
        assert_eq!(got.len() as u64, range.end - range.start);
        for (e, seq) in got.iter().zip(range) {
            let one = log.entry(seq).unwrap();
            assert_eq!((e.header.seq, e.body.seq), (seq, seq));
            assert_eq!((&e.header_bytes, &e.body), (&one.header_bytes, &one.body));
        }
    };
    for range in [
        0..0,
        0..1,
        0..512,
        SEGMENT_ENTRIES - 300..SEGMENT_ENTRIES + 300,
        size - 5..size,
    ] {
        check_range(&log, range);
    }
    assert!(log.entries(size - 1..size + 1).is_err(), "past the end");
    let l = layout(dir);
    let record = body_record_len(8, 1) as u64;
    assert_eq!(
        file_len(&l.segment(0)),
        SEGMENT_ENTRIES * record,
        "segment 0 holds exactly its entries"
    );
    assert_eq!(
        file_len(&l.segment(1)),
        (size - SEGMENT_ENTRIES) * record,
        "segment 1 holds the rest"
    );
    assert!(!l.segment(2).exists());

    wait_integrated(&log);
    let root = log.root(size).unwrap();
    for seq in around {
        let (proof, r) = log.inclusion_proof(seq, size).unwrap();
        assert_eq!(r, root);
        verify_inclusion(
            seq,
            size,
            &leaf_hash(&log.entry(seq).unwrap().header_bytes),
            &proof,
            &root,
        )
        .unwrap();
    }
    log.close().unwrap();
    drop(log);

    // Reopen: the writer resumes in segment 1 at the right offset.
    let log = EmbeddedLog::open(dir, plain).unwrap();
    assert_eq!((log.size(), log.recovered_cut), (size, 0));
    let got = log.append((size..size + 100).map(tiny).collect()).unwrap();
    assert_eq!(got, size..size + 100);
    size += 100;
    for seq in around.into_iter().chain([size - 100, size - 1]) {
        check(&log, seq);
    }
    assert_eq!(file_len(&l.segment(1)), (size - SEGMENT_ENTRIES) * record);
    log.close().unwrap();
    drop(log);
    let report = verify_ok(dir, &key, size);
    assert_eq!(report.checkpoint.size, size);

    // With packing on, the full segment 0 is packed and its plain file goes; segment 1 stays.
    let log = open(dir);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while l.segment(0).exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "segment 0 never packed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(l.packed_segment(0).exists() && !l.packed_segment(1).exists());
    // Salts and CRCs do not compress: tiny records shrink little (real events tenfold).
    assert!(
        file_len(&l.packed_segment(0)) < SEGMENT_ENTRIES * record,
        "packed smaller"
    );
    for seq in around.into_iter().chain([size - 1]) {
        check(&log, seq);
    }
    // Packed segment 0 and plain segment 1 in one range.
    check_range(&log, SEGMENT_ENTRIES - 300..SEGMENT_ENTRIES + 300);
    log.close().unwrap();
    drop(log);
    verify_ok(dir, &key, size);
    let reader = authtrail_store::LogReader::open(dir).unwrap();
    for seq in [0, 1, 4242, SEGMENT_ENTRIES - 1, SEGMENT_ENTRIES] {
        assert_eq!(
            reader.entry(seq).unwrap().body.event,
            format!("{seq:08}").into_bytes()
        );
    }
    // A packed byte altered is found, at an entry of the block it hit.
    flip(&l.packed_segment(0), 100, 0x01);
    let damage = verify(dir, &key, None).expect_err("damage found");
    assert!(damage.seq.is_some_and(|s| s < SEGMENT_ENTRIES), "{damage}");
    drop(reader);
    let reader = authtrail_store::LogReader::open(dir).unwrap();
    assert!(
        reader.entry(1).is_err(),
        "a damaged block is not read as data"
    );
}
