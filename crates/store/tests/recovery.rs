//! Reopening after a torn tail, done to the files of a closed log: the incomplete tail is cut back
//! to the last complete entry, nothing covered by the checkpoint is ever cut, and stored hashes
//! are rebuilt.

mod common;

use std::path::{Path, PathBuf};

use authtrail_ledger::note::NoteVerifier;
use authtrail_ledger::Hash;
use authtrail_store::layout::SLOT_SIZE;
use authtrail_store::{EmbeddedLog, LogOptions, StoreError};
use common::*;
use tempfile::TempDir;

const TAG: &str = "recovery";
const SLOT: u64 = SLOT_SIZE as u64;

/// A closed log of `n` entries (checkpoint covers all of them) and its root.
fn closed_log(n: u64) -> (TempDir, NoteVerifier, Hash) {
    let tmp = TempDir::new().unwrap();
    let key = init(tmp.path());
    let log = open(tmp.path());
    append_n(&log, TAG, n, 37);
    let cp = log.close().unwrap();
    assert_eq!(cp.checkpoint.size, n);
    drop(log);
    let root = cp.checkpoint.root;
    (tmp, key, root)
}

/// A closed log of `covered + beyond` entries whose checkpoint file covers only `covered`
/// (as after a crash before the next checkpoint): returns the root of all entries too.
fn log_beyond_checkpoint(covered: u64, beyond: u64) -> (TempDir, NoteVerifier, Hash) {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let key = init(dir);
    let log = open(dir);
    append_n(&log, TAG, covered, 50);
    wait_integrated(&log);
    let early = log.publish_now().unwrap();
    assert_eq!(early.checkpoint.size, covered);
    let saved = std::fs::read(layout(dir).checkpoint()).unwrap();
    append_n(&log, TAG, beyond, 7);
    wait_integrated(&log);
    let root = log.root(covered + beyond).unwrap();
    log.close().unwrap();
    drop(log);
    std::fs::write(layout(dir).checkpoint(), saved).unwrap();
    (tmp, key, root)
}

fn headers(dir: &Path) -> PathBuf {
    layout(dir).headers()
}

/// Reopen, expect `size` entries after cutting `cut`, append a few, close and verify.
fn reopen_and_continue(dir: &Path, key: &NoteVerifier, size: u64, cut: u64) {
    let log = open(dir);
    assert_eq!(log.recovered_cut, cut, "entries cut");
    assert_eq!(log.size(), size, "size after recovery");
    assert_eq!(
        file_len(&headers(dir)),
        size * SLOT,
        "headers cut back to whole slots"
    );
    for seq in 0..size {
        check_entry(&log.entry(seq).unwrap(), seq, TAG, seq);
    }
    assert!(matches!(log.entry(size), Err(StoreError::NotFound(_))));
    wait_integrated(&log);
    assert_eq!(
        log.root(size).unwrap(),
        tree_from_headers(dir).root(),
        "hashes match the kept entries"
    );
    let got = log.append(batch(TAG, size..size + 5)).unwrap();
    assert_eq!(got, size..size + 5, "appends continue at the next seq");
    for seq in size..size + 5 {
        check_entry(&log.entry(seq).unwrap(), seq, TAG, seq);
    }
    let cp = log.close().unwrap();
    assert_eq!(cp.checkpoint.size, size + 5);
    drop(log);
    let report = verify_ok(dir, key, size + 5);
    assert_eq!(report.root, cp.checkpoint.root);
}

#[test]
fn half_a_slot_of_garbage_is_cut() {
    let (tmp, key, _) = closed_log(300);
    append_bytes(&headers(tmp.path()), &[0xA5; SLOT_SIZE / 2]);
    reopen_and_continue(tmp.path(), &key, 300, 0);
}

#[test]
fn a_slot_with_a_bad_crc_is_cut() {
    let (tmp, key, _) = closed_log(300);
    let dir = tmp.path();
    // The last slot, relabelled as seq 300 but with its old CRC: a torn slot write.
    let mut slot = read_slots(dir)[299].clone();
    slot[2 + 1..2 + 9].copy_from_slice(&300u64.to_be_bytes());
    append_bytes(&headers(dir), &slot);
    // Verification skips an incomplete tail past the checkpoint.
    verify_ok(dir, &key, 300);
    reopen_and_continue(dir, &key, 300, 1);
}

#[test]
fn a_slot_whose_body_was_never_written_is_cut() {
    let (tmp, key, _) = log_beyond_checkpoint(300, 1);
    let dir = tmp.path();
    // Entry 300's slot is whole, but its body record never reached the segment.
    let slot = slot_of(dir, 300);
    set_len(&layout(dir).segment(0), slot.body_offset);
    verify_ok(dir, &key, 300);
    reopen_and_continue(dir, &key, 300, 1);
}

#[test]
fn a_torn_last_body_past_the_checkpoint_is_cut() {
    let (tmp, key, _) = log_beyond_checkpoint(300, 50);
    let dir = tmp.path();
    let seg = layout(dir).segment(0);
    let last = slot_of(dir, 349);
    assert_eq!(file_len(&seg), last.body_offset + u64::from(last.body_len));
    set_len(&seg, file_len(&seg) - 3);
    verify_ok(dir, &key, 349);
    reopen_and_continue(dir, &key, 349, 1);
}

#[test]
fn complete_entries_past_the_checkpoint_are_kept_and_their_hashes_rebuilt() {
    let (tmp, key, root) = log_beyond_checkpoint(300, 20);
    let dir = tmp.path();
    let log = open(dir);
    assert_eq!((log.size(), log.recovered_cut), (320, 0));
    wait_integrated(&log);
    assert_eq!(log.root(320).unwrap(), root);
    drop(log);
    verify_ok(dir, &key, 320);
    reopen_and_continue(dir, &key, 320, 0);
}

#[test]
fn headers_shorter_than_the_checkpoint_are_damage_not_a_tail() {
    for cut_bytes in [1, SLOT, SLOT + 7, 10 * SLOT] {
        let (tmp, _key, _) = closed_log(300);
        let dir = tmp.path();
        let len = 300 * SLOT - cut_bytes;
        set_len(&headers(dir), len);
        for attempt in 0..2 {
            match EmbeddedLog::open(dir, LogOptions::default()) {
                Err(StoreError::Damaged(_)) => {}
                Err(e) => panic!(
                    "cut {cut_bytes} bytes, attempt {attempt}: open failed with {e:?}, not Damaged"
                ),
                Ok(log) => panic!(
                    "cut {cut_bytes} bytes: open succeeded with size {}",
                    log.size()
                ),
            }
            assert_eq!(
                file_len(&headers(dir)),
                len,
                "a refused open leaves the headers alone"
            );
        }
    }
}

#[test]
fn a_torn_body_below_the_checkpoint_is_damage_not_a_tail() {
    let (tmp, _key, _) = closed_log(300);
    let dir = tmp.path();
    let seg = layout(dir).segment(0);
    let len = file_len(&seg) - 3;
    set_len(&seg, len);
    match EmbeddedLog::open(dir, LogOptions::default()) {
        Err(StoreError::Damaged(_)) => {}
        Err(e) => panic!("open failed with {e:?}, not Damaged"),
        Ok(log) => panic!(
            "open succeeded with size {} (cut {})",
            log.size(),
            log.recovered_cut
        ),
    }
    assert_eq!(file_len(&headers(dir)), 300 * SLOT);
    assert_eq!(file_len(&seg), len);
}

/// Reopen after damage to the stored hashes: they are rebuilt from the headers.
fn hashes_rebuilt(damage: impl FnOnce(&Path)) {
    let (tmp, key, root) = closed_log(300);
    let dir = tmp.path();
    damage(dir);
    let log =
        EmbeddedLog::open(dir, LogOptions::default()).unwrap_or_else(|e| panic!("reopen: {e}"));
    assert_eq!((log.size(), log.recovered_cut), (300, 0));
    wait_integrated(&log);
    assert_eq!(log.root(300).unwrap(), root);
    let tree = tree_from_headers(dir);
    for level in 0..=8u8 {
        let want: Vec<u8> = tree.level(level).concat();
        assert_eq!(
            std::fs::read(layout(dir).level(level)).unwrap(),
            want,
            "hashes of level {level}"
        );
    }
    drop(log);
    verify_ok(dir, &key, 300);
    reopen_and_continue(dir, &key, 300, 0);
}

#[test]
fn deleted_upper_hash_levels_are_rebuilt() {
    hashes_rebuilt(|dir| {
        for level in 1..=8 {
            std::fs::remove_file(layout(dir).level(level)).unwrap();
        }
    });
}

#[test]
fn truncated_leaf_hashes_are_rebuilt() {
    hashes_rebuilt(|dir| {
        let l0 = layout(dir).level(0);
        assert_eq!(file_len(&l0), 300 * 32);
        set_len(&l0, 100 * 32 + 5);
    });
}

#[test]
fn deleted_hash_files_are_rebuilt() {
    hashes_rebuilt(|dir| {
        for e in std::fs::read_dir(layout(dir).hashes_dir()).unwrap() {
            std::fs::remove_file(e.unwrap().path()).unwrap();
        }
    });
}

#[test]
fn orphan_body_bytes_past_the_last_entry_are_cut() {
    // A body record written whose slot never was: the next entry must not land after it.
    let (tmp, key, _) = closed_log(300);
    let dir = tmp.path();
    let seg = layout(dir).segment(0);
    let len = file_len(&seg);
    append_bytes(&seg, &[0x5A; 77]);
    let log = open(dir);
    assert_eq!((log.size(), log.recovered_cut), (300, 0));
    assert_eq!(file_len(&seg), len, "orphan body bytes cut");
    drop(log);
    reopen_and_continue(dir, &key, 300, 0);
    let after = slot_of(dir, 300);
    assert_eq!(
        after.body_offset, len,
        "entry 300's body follows entry 299's"
    );
}

#[test]
fn a_tail_cut_back_across_a_segment_boundary_removes_the_later_segment() {
    use authtrail_store::layout::SEGMENT_ENTRIES;
    // Checkpoint at 65_530; entries to 65_546 (ten of them in segment 1); slot 65_533 torn.
    let covered = SEGMENT_ENTRIES - 6;
    let (tmp, key, _) = log_beyond_checkpoint(covered, 16);
    let dir = tmp.path();
    let l = layout(dir);
    assert!(l.segment(1).exists());
    let cut_at = SEGMENT_ENTRIES - 3;
    let mut slots = read_slots(dir);
    slots[cut_at as usize][SLOT_SIZE - 1] ^= 0xFF;
    write_slots(dir, &slots);
    let end_of_kept = {
        let s = slot_of(dir, cut_at - 1);
        s.body_offset + u64::from(s.body_len)
    };

    let log = open(dir);
    assert_eq!((log.size(), log.recovered_cut), (cut_at, 16 - 3));
    assert_eq!(
        file_len(&l.segment(0)),
        end_of_kept,
        "segment 0 ends at the last kept body"
    );
    assert!(
        !l.segment(1).exists() || file_len(&l.segment(1)) == 0,
        "segment 1 holds no bodies of cut entries"
    );
    drop(log);
    // The next five entries go to 65_533..65_538, across the boundary again.
    reopen_and_continue(dir, &key, cut_at, 0);
    assert_eq!(
        slot_of(dir, SEGMENT_ENTRIES).body_offset,
        0,
        "seq 65_536 starts segment 1"
    );
}
