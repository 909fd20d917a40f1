//! Tampering with the files of a real data directory: `verify_dir` must name the kind of damage
//! and the first bad seq, from the files alone.

mod common;

use std::path::Path;

use authtrail_ledger::checkpoint::{open_checkpoint, Checkpoint};
use authtrail_ledger::note::{Ed25519Signer, NoteVerifier};
use authtrail_store::layout::SLOT_SIZE;
use authtrail_store::verify::DamageKind;
use common::*;
use tempfile::TempDir;

const TAG: &str = "tamper";
const SIZE: u64 = 600;
const SLOT: u64 = SLOT_SIZE as u64;
/// Bytes of a body record before the event: seq, salt, event length.
const BODY_FIXED: u64 = 8 + 32 + 4;

/// A closed log of 600 entries; returns the key, the checkpoint at 300 and the final one.
fn fixture() -> (TempDir, NoteVerifier, Checkpoint, Checkpoint) {
    let tmp = TempDir::new().unwrap();
    let key = init(tmp.path());
    let log = open(tmp.path());
    append_n(&log, TAG, 300, 50);
    wait_integrated(&log);
    let at300 = log.publish_now().unwrap();
    assert_eq!(at300.checkpoint.size, 300);
    let at300 = open_checkpoint(at300.note.as_bytes(), &key).unwrap();
    append_n(&log, TAG, SIZE - 300, 50);
    let last = log.close().unwrap();
    drop(log);
    assert_eq!(last.checkpoint.size, SIZE);
    (tmp, key, at300, last.checkpoint.clone())
}

fn headers(dir: &Path) -> std::path::PathBuf {
    layout(dir).headers()
}

/// Change one byte of `seq`'s slot (at `offset` within the slot), optionally fixing its CRC.
fn alter_slot(dir: &Path, seq: u64, offset: usize, mask: u8, recompute_crc: bool) {
    let mut slots = read_slots(dir);
    let slot = &mut slots[seq as usize];
    slot[offset] ^= mask;
    if recompute_crc {
        fix_crc(slot);
    }
    write_slots(dir, &slots);
}

#[test]
fn a_clean_log_verifies() {
    let (tmp, key, at300, last) = fixture();
    let report = verify_ok(tmp.path(), &key, SIZE);
    assert_eq!(report.root, last.root);
    assert_eq!(report.checkpoint, last);
    assert_eq!(report.beyond_checkpoint, 0);
    // Against an older checkpoint of the same log, and against its own.
    for trusted in [at300, last.clone()] {
        let size = trusted.size;
        match verify(tmp.path(), &key, Some(trusted)) {
            Ok(r) => assert_eq!((r.entries, r.root), (SIZE, last.root)),
            Err(d) => panic!("trusted checkpoint at {size}: {d}"),
        }
    }
}

#[test]
fn an_altered_event_body_is_body_altered() {
    let (tmp, key, _, _) = fixture();
    let dir = tmp.path();
    let slot = slot_of(dir, 123);
    flip(
        &layout(dir).segment(0),
        slot.body_offset + BODY_FIXED + 5,
        0x01,
    );
    expect_damage(dir, &key, None, DamageKind::BodyAltered, Some(123));
}

#[test]
fn an_altered_raw_body_with_its_record_crc_fixed_is_body_altered() {
    let (tmp, key, _, _) = fixture();
    let dir = tmp.path();
    let slot = slot_of(dir, 321);
    let seg = layout(dir).segment(0);
    let (start, len) = (slot.body_offset as usize, slot.body_len as usize);
    let mut bytes = std::fs::read(&seg).unwrap();
    let record = &mut bytes[start..start + len];
    record[len - 5] ^= 0x20; // last raw byte
    let crc = crc32fast::hash(&record[..len - 4]);
    record[len - 4..].copy_from_slice(&crc.to_be_bytes());
    std::fs::write(&seg, bytes).unwrap();
    // Only the salted digest can tell now.
    let d = expect_damage(dir, &key, None, DamageKind::BodyAltered, Some(321));
    assert!(
        d.detail.contains("raw"),
        "detail names the raw body: {}",
        d.detail
    );
}

#[test]
fn an_altered_header_with_its_crc_fixed_is_entry_altered() {
    let (tmp, key, _, _) = fixture();
    // received_at's last byte: the header still decodes and its digests still match the body,
    // so only the Merkle hashes can tell.
    alter_slot(tmp.path(), 123, 2 + 16, 0x01, true);
    expect_damage(tmp.path(), &key, None, DamageKind::EntryAltered, Some(123));
}

#[test]
fn an_altered_source_with_its_crc_fixed_is_entry_altered() {
    let (tmp, key, _, _) = fixture();
    // "okta-prod" -> "okta-prnd": still a valid source name.
    assert_eq!(source_of(200), "okta-prod");
    let mut slots = read_slots(tmp.path());
    let at = 2 + 86 + 7;
    assert_eq!(slots[200][at], b'o');
    slots[200][at] = b'n';
    fix_crc(&mut slots[200]);
    write_slots(tmp.path(), &slots);
    expect_damage(tmp.path(), &key, None, DamageKind::EntryAltered, Some(200));
}

#[test]
fn an_altered_header_without_a_crc_fix_is_entry_altered() {
    let (tmp, key, _, _) = fixture();
    alter_slot(tmp.path(), 123, 2 + 16, 0x01, false);
    expect_damage(tmp.path(), &key, None, DamageKind::EntryAltered, Some(123));
}

/// The header's event digest rewritten (CRC fixed): the body is intact, the entry is not. The
/// header no longer hashes to the stored leaf hash, nor the tree to the signed root.
#[test]
fn an_altered_header_digest_is_entry_altered_not_body_altered() {
    let (tmp, key, _, _) = fixture();
    alter_slot(tmp.path(), 123, 2 + 21 + 3, 0x01, true);
    expect_damage(tmp.path(), &key, None, DamageKind::EntryAltered, Some(123));
}

#[test]
fn an_entry_cut_from_the_middle_is_missing() {
    let (tmp, key, _, _) = fixture();
    let mut slots = read_slots(tmp.path());
    slots.remove(250);
    write_slots(tmp.path(), &slots);
    expect_damage(tmp.path(), &key, None, DamageKind::Missing, Some(250));
}

#[test]
fn an_entry_cut_from_the_middle_with_the_length_kept_is_missing() {
    // The gap hidden by a copy of the last slot at the end: the file is as long as before.
    let (tmp, key, _, _) = fixture();
    let mut slots = read_slots(tmp.path());
    slots.remove(250);
    slots.push(slots[slots.len() - 1].clone());
    write_slots(tmp.path(), &slots);
    expect_damage(tmp.path(), &key, None, DamageKind::Missing, Some(250));
}

#[test]
fn swapped_neighbours_are_reordered_at_the_lower_seq() {
    let (tmp, key, _, _) = fixture();
    let mut slots = read_slots(tmp.path());
    slots.swap(100, 101);
    write_slots(tmp.path(), &slots);
    expect_damage(tmp.path(), &key, None, DamageKind::Reordered, Some(100));
}

#[test]
fn swapped_distant_entries_are_reordered_at_the_lower_seq() {
    let (tmp, key, _, _) = fixture();
    let mut slots = read_slots(tmp.path());
    slots.swap(450, 77);
    write_slots(tmp.path(), &slots);
    expect_damage(tmp.path(), &key, None, DamageKind::Reordered, Some(77));
}

#[test]
fn a_copy_of_an_earlier_slot_inserted_is_inserted() {
    let (tmp, key, _, _) = fixture();
    let mut slots = read_slots(tmp.path());
    let copy = slots[100].clone();
    slots.insert(300, copy);
    write_slots(tmp.path(), &slots);
    expect_damage(tmp.path(), &key, None, DamageKind::Inserted, Some(300));
}

#[test]
fn a_duplicate_of_the_previous_slot_is_inserted() {
    let (tmp, key, _, _) = fixture();
    let mut slots = read_slots(tmp.path());
    let copy = slots[299].clone();
    slots.insert(300, copy);
    write_slots(tmp.path(), &slots);
    expect_damage(tmp.path(), &key, None, DamageKind::Inserted, Some(300));
}

/// A copy of a LATER entry inserted: seq 400 appears twice (at slots 300 and 401) and every
/// entry from 300 on moved down by one. Nothing was reordered: an entry was inserted.
#[test]
fn a_copy_of_a_later_slot_inserted_is_inserted() {
    let (tmp, key, _, _) = fixture();
    let mut slots = read_slots(tmp.path());
    let copy = slots[400].clone();
    slots.insert(300, copy);
    write_slots(tmp.path(), &slots);
    expect_damage(tmp.path(), &key, None, DamageKind::Inserted, Some(300));
}

#[test]
fn a_cut_tail_is_truncated_at_the_new_length() {
    let (tmp, key, _, _) = fixture();
    set_len(&headers(tmp.path()), 550 * SLOT);
    expect_damage(tmp.path(), &key, None, DamageKind::Truncated, Some(550));
}

#[test]
fn a_torn_last_slot_under_the_checkpoint_is_truncated() {
    let (tmp, key, _, _) = fixture();
    set_len(&headers(tmp.path()), SIZE * SLOT - 10);
    expect_damage(
        tmp.path(),
        &key,
        None,
        DamageKind::Truncated,
        Some(SIZE - 1),
    );
}

#[test]
fn an_altered_leaf_hash_is_reported_at_its_entry() {
    // Level 0 holds the leaf hashes (tile level 0). The headers still hash to the signed root,
    // so the stored hash, not the header, is what was altered.
    let (tmp, key, _, _) = fixture();
    flip(&layout(tmp.path()).level(0), 123 * 32 + 9, 0x80);
    expect_damage(tmp.path(), &key, None, DamageKind::TileAltered, Some(123));
}

#[test]
fn an_altered_level_8_hash_is_tile_altered_at_its_first_leaf() {
    // Level 8 (tile level 1) index 1 covers leaves 256..512.
    let (tmp, key, _, _) = fixture();
    let l8 = layout(tmp.path()).level(8);
    assert_eq!(file_len(&l8), 2 * 32);
    flip(&l8, 32 + 31, 0x01);
    expect_damage(tmp.path(), &key, None, DamageKind::TileAltered, Some(256));
}

#[test]
fn an_altered_inner_hash_is_tile_altered_at_its_first_leaf() {
    // Level 3 index 5 covers leaves 40..48.
    let (tmp, key, _, _) = fixture();
    flip(&layout(tmp.path()).level(3), 5 * 32, 0x04);
    expect_damage(tmp.path(), &key, None, DamageKind::TileAltered, Some(40));
}

/// Change one character in the middle of the checkpoint's signature (base64 stays canonical).
#[test]
fn an_altered_checkpoint_signature_is_bad_checkpoint() {
    let (tmp, key, _, _) = fixture();
    let path = layout(tmp.path()).checkpoint();
    let note = std::fs::read_to_string(&path).unwrap();
    let sig_line_at = note.trim_end_matches('\n').rfind('\n').unwrap() + 1;
    let sig_at = sig_line_at + note[sig_line_at..].rfind(' ').unwrap() + 1;
    let mut bytes = note.into_bytes();
    let at = sig_at + 40; // inside the signature, past the 4-byte key id
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&path, bytes).unwrap();
    expect_damage(tmp.path(), &key, None, DamageKind::BadCheckpoint, None);
}

#[test]
fn an_altered_checkpoint_body_is_bad_checkpoint() {
    let (tmp, key, _, _) = fixture();
    let path = layout(tmp.path()).checkpoint();
    let note = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, note.replacen("\n600\n", "\n599\n", 1)).unwrap();
    expect_damage(tmp.path(), &key, None, DamageKind::BadCheckpoint, None);
}

#[test]
fn a_missing_checkpoint_is_bad_checkpoint() {
    let (tmp, key, _, _) = fixture();
    std::fs::remove_file(layout(tmp.path()).checkpoint()).unwrap();
    expect_damage(tmp.path(), &key, None, DamageKind::BadCheckpoint, None);
}

#[test]
fn another_key_is_bad_checkpoint() {
    let (tmp, _, _, _) = fixture();
    let other = Ed25519Signer::generate(ORIGIN).unwrap().verifier();
    expect_damage(tmp.path(), &other, None, DamageKind::BadCheckpoint, None);
    let renamed = Ed25519Signer::generate("example.com/another-log")
        .unwrap()
        .verifier();
    expect_damage(tmp.path(), &renamed, None, DamageKind::BadCheckpoint, None);
}

/// Two logs with the same key: A, and snapshots of A at 100 and 200 entries. B continues the
/// snapshot at 100 with a different history (a fork at entry 100); C is the snapshot at 200.
#[test]
fn a_rewritten_history_is_a_fork_and_a_shorter_one_is_truncated() {
    let a = TempDir::new().unwrap();
    let key = init(a.path());
    let snap100 = TempDir::new().unwrap();
    let snap200 = TempDir::new().unwrap();
    for snapshot in [snap100.path(), snap200.path()] {
        let log = open(a.path());
        append_n(&log, TAG, 100, 25);
        log.close().unwrap();
        drop(log);
        copy_dir(a.path(), snapshot);
    }
    let log = open(a.path());
    append_n(&log, TAG, 100, 25);
    let signed = log.close().unwrap();
    drop(log);
    assert_eq!(signed.checkpoint.size, 300);
    // The trusted checkpoint, as a client saved it.
    let trusted = open_checkpoint(signed.note.as_bytes(), &key).unwrap();
    verify(a.path(), &key, Some(trusted.clone())).expect("A extends its own checkpoint");

    // B: A's first 100 entries, then 300 others, signed with A's key.
    let b = snap100;
    let log = open(b.path());
    assert!(log.verifier() == key, "B signs with A's key");
    assert_eq!(log.size(), 100);
    append_n(&log, "forked history", 300, 60);
    log.close().unwrap();
    drop(log);
    verify_ok(b.path(), &key, 400);
    expect_damage(
        b.path(),
        &key,
        Some(trusted.clone()),
        DamageKind::Fork,
        None,
    );

    // C: a true prefix of A, 200 entries, checked against A's checkpoint at 300.
    let c = snap200;
    verify_ok(c.path(), &key, 200);
    expect_damage(
        c.path(),
        &key,
        Some(trusted),
        DamageKind::Truncated,
        Some(200),
    );
}
