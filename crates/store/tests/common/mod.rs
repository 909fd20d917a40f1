//! Helpers shared by the store's integration tests: data directories, entries with bodies that
//! name their seq, raw access to the files of a closed log, and verification shorthands.
#![allow(dead_code)]

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use authtrail_ledger::checkpoint::Checkpoint;
use authtrail_ledger::hash::leaf_hash;
use authtrail_ledger::note::NoteVerifier;
use authtrail_ledger::tree::MemoryTree;
use authtrail_store::layout::{Slot, SLOT_SIZE};
use authtrail_store::verify::{verify_dir, Damage, DamageKind, Report, VerifyOptions};
use authtrail_store::{keys, EmbeddedLog, Layout, LogOptions, PreparedEntry, StoredEntry};

/// The origin (key name) of every test log.
pub const ORIGIN: &str = "example.com/authtrail-test";

/// Create a data directory with a fresh key; returns the verifier key.
pub fn init(dir: &Path) -> NoteVerifier {
    let (signer, created) = keys::init(&Layout::new(dir), ORIGIN).expect("init data directory");
    assert!(created, "a fresh directory gets a new key");
    signer.verifier()
}

/// Open the log with default options.
pub fn open(dir: &Path) -> EmbeddedLog {
    EmbeddedLog::open(dir, LogOptions::default()).expect("open log")
}

/// The source name of entry `i`.
pub fn source_of(i: u64) -> String {
    [
        "okta-prod",
        "syslog:udp/514",
        "entra.id",
        "vpn@edge-1",
        "k8s_audit",
    ][(i % 5) as usize]
        .to_string()
}

/// The receive time of entry `i`.
pub fn received_at_of(i: u64) -> i64 {
    1_764_000_000_000_000_000 + (i as i64) * 1_000_003
}

/// The OCSF class of entry `i`.
pub fn class_of(i: u64) -> u32 {
    [3002, 3001, 3003, 6003, 4002][(i % 5) as usize]
}

/// The canonical event body of entry `i` of stream `tag`.
pub fn event_of(tag: &str, i: u64) -> Vec<u8> {
    format!(
        "{{\"class_uid\":{},\"tag\":\"{tag}\",\"i\":{i}}}",
        class_of(i)
    )
    .into_bytes()
}

/// The raw body of entry `i` of stream `tag` (length varies with `i`).
pub fn raw_of(tag: &str, i: u64) -> Vec<u8> {
    let mut raw = format!("<34>1 raw input {tag} #{i} ").into_bytes();
    raw.extend(std::iter::repeat_n(b'x', (i % 37) as usize));
    raw
}

/// Entry `i` of stream `tag`, prepared.
pub fn prepared(tag: &str, i: u64) -> PreparedEntry {
    PreparedEntry::new(
        &source_of(i),
        received_at_of(i),
        class_of(i),
        event_of(tag, i),
        raw_of(tag, i),
    )
    .expect("prepare entry")
}

/// Entries `range` of stream `tag`, prepared.
pub fn batch(tag: &str, range: Range<u64>) -> Vec<PreparedEntry> {
    range.map(|i| prepared(tag, i)).collect()
}

/// Append `n` entries of stream `tag` numbered by the seqs they must get, in batches of `step`.
pub fn append_n(log: &EmbeddedLog, tag: &str, n: u64, step: u64) -> Range<u64> {
    let start = log.size();
    let mut at = start;
    while at < start + n {
        let k = step.min(start + n - at);
        let got = log.append(batch(tag, at..at + k)).expect("append");
        assert_eq!(got, at..at + k, "append of {k} entries at size {at}");
        at += k;
    }
    start..at
}

/// Check that stored entry `e` is entry `i` of stream `tag` at `seq`, and that its digests hold.
pub fn check_entry(e: &StoredEntry, seq: u64, tag: &str, i: u64) {
    assert_eq!(e.header.seq, seq, "header seq");
    assert_eq!(e.body.seq, seq, "body seq");
    assert_eq!(
        e.header.received_at_ns,
        received_at_of(i),
        "received_at of {seq}"
    );
    assert_eq!(e.header.class_uid, class_of(i), "class_uid of {seq}");
    assert_eq!(e.header.source, source_of(i), "source of {seq}");
    assert_eq!(e.body.event, event_of(tag, i), "event body of {seq}");
    assert_eq!(e.body.raw, raw_of(tag, i), "raw body of {seq}");
    assert_eq!(
        e.header_bytes,
        e.header.encode().unwrap(),
        "header bytes of {seq} are its encoding"
    );
    assert!(
        e.header
            .check_bodies(&e.body.salt, &e.body.event, &e.body.raw)
            .ok(),
        "digests of {seq}"
    );
}

/// Wait until the log's hashes cover every durable entry (integration follows the ack).
pub fn wait_integrated(log: &EmbeddedLog) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while log.integrated_size() < log.size() {
        assert!(
            Instant::now() < deadline,
            "integration stuck at {} of {}",
            log.integrated_size(),
            log.size()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Recompute a slot's CRC: crc32 over the first SLOT_SIZE-4 bytes, big-endian at the end.
pub fn fix_crc(slot: &mut [u8]) {
    assert_eq!(slot.len(), SLOT_SIZE);
    let crc = crc32fast::hash(&slot[..SLOT_SIZE - 4]);
    slot[SLOT_SIZE - 4..].copy_from_slice(&crc.to_be_bytes());
}

/// The layout of `dir`.
pub fn layout(dir: &Path) -> Layout {
    Layout::new(dir)
}

/// The raw slots of `log/headers`, one `Vec` per whole slot.
pub fn read_slots(dir: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(layout(dir).headers()).unwrap();
    bytes.chunks_exact(SLOT_SIZE).map(<[u8]>::to_vec).collect()
}

/// Replace `log/headers` with these slots.
pub fn write_slots(dir: &Path, slots: &[Vec<u8>]) {
    std::fs::write(layout(dir).headers(), slots.concat()).unwrap();
}

/// The decoded slot of `seq`.
pub fn slot_of(dir: &Path, seq: u64) -> Slot {
    Slot::decode(&read_slots(dir)[seq as usize]).expect("slot decodes")
}

/// The leaves (header bytes) of every slot in `log/headers`.
pub fn leaves(dir: &Path) -> Vec<Vec<u8>> {
    read_slots(dir)
        .iter()
        .map(|s| Slot::decode(s).expect("slot decodes").header)
        .collect()
}

/// A tree built independently from the header bytes in `log/headers`.
pub fn tree_from_headers(dir: &Path) -> MemoryTree {
    let mut tree = MemoryTree::new();
    for leaf in leaves(dir) {
        tree.push(leaf_hash(&leaf));
    }
    tree
}

/// Length of a file.
pub fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// Truncate (or extend) a file.
pub fn set_len(path: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

/// Append bytes to a file.
pub fn append_bytes(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

/// Overwrite bytes of a file at `offset`.
pub fn patch(path: &Path, offset: u64, bytes: &[u8]) {
    let mut all = std::fs::read(path).unwrap();
    let at = offset as usize;
    all[at..at + bytes.len()].copy_from_slice(bytes);
    std::fs::write(path, all).unwrap();
}

/// Flip bits of one byte of a file.
pub fn flip(path: &Path, offset: u64, mask: u8) {
    let mut all = std::fs::read(path).unwrap();
    all[offset as usize] ^= mask;
    std::fs::write(path, all).unwrap();
}

/// Copy a data directory (without its lock file).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target: PathBuf = to.join(e.file_name());
        if e.file_name() == "LOCK" {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Verify `dir` against `key` (and optionally a trusted checkpoint).
pub fn verify(
    dir: &Path,
    key: &NoteVerifier,
    trusted: Option<Checkpoint>,
) -> Result<Report, Damage> {
    verify_dir(
        dir,
        &VerifyOptions {
            key: key.clone(),
            trusted,
        },
    )
    .expect("verification runs")
}

/// Verify and require a clean result covering exactly `entries` entries.
pub fn verify_ok(dir: &Path, key: &NoteVerifier, entries: u64) -> Report {
    let report = match verify(dir, key, None) {
        Ok(r) => r,
        Err(d) => panic!("verification failed: {d}"),
    };
    assert_eq!(report.entries, entries, "entries verified");
    report
}

/// Verify and require damage of `kind` at `seq`.
pub fn expect_damage(
    dir: &Path,
    key: &NoteVerifier,
    trusted: Option<Checkpoint>,
    kind: DamageKind,
    seq: Option<u64>,
) -> Damage {
    match verify(dir, key, trusted) {
        Ok(r) => panic!(
            "expected {kind} at {seq:?}, but verification passed with {} entries",
            r.entries
        ),
        Err(d) => {
            assert_eq!((d.kind, d.seq), (kind, seq), "damage reported: {d}");
            d
        }
    }
}
