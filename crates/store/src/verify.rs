//! Verification of a data directory from its files alone.
//!
//! Every body is re-hashed against its header, every header's position checked against its
//! seq, the tree rebuilt from the headers and compared with every stored hash and with the
//! signed checkpoint, and (given an older trusted checkpoint) the log proven to extend it.
//! The first damage found is reported with its seq and kind.

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::time::{Duration, Instant};

use authtrail_ledger::checkpoint::Checkpoint;
use authtrail_ledger::entry::EntryHeader;
use authtrail_ledger::hash::leaf_hash;
use authtrail_ledger::note::NoteVerifier;
use authtrail_ledger::tree::Frontier;
use authtrail_ledger::{Hash, HASH_SIZE};

use crate::error::{Result, StoreError};
use crate::layout::{decode_body_ref, segment_of, Layout, Slot, SLOT_SIZE};
use crate::packed::Packed;

/// The kinds of damage verification tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DamageKind {
    /// A body's bytes no longer match its header's digest.
    BodyAltered,
    /// A header's bytes were changed.
    EntryAltered,
    /// An entry is gone and the ones after it moved up.
    Missing,
    /// Entries are out of order.
    Reordered,
    /// An entry that the log never appended is among its entries.
    Inserted,
    /// The log ends before a checkpoint that covers more entries.
    Truncated,
    /// The log's history differs from a trusted checkpoint's: rebuilt and re-signed.
    Fork,
    /// A stored hash (tile) does not match the entries.
    TileAltered,
    /// The checkpoint is missing, malformed or not signed by the key.
    BadCheckpoint,
}

impl fmt::Display for DamageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DamageKind::BodyAltered => "body altered",
            DamageKind::EntryAltered => "entry altered",
            DamageKind::Missing => "missing",
            DamageKind::Reordered => "reordered",
            DamageKind::Inserted => "inserted",
            DamageKind::Truncated => "truncated",
            DamageKind::Fork => "fork",
            DamageKind::TileAltered => "tile altered",
            DamageKind::BadCheckpoint => "bad checkpoint",
        })
    }
}

/// The first damage found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// What kind of damage.
    pub kind: DamageKind,
    /// The first seq affected, when it can be named.
    pub seq: Option<u64>,
    /// What exactly was seen.
    pub detail: String,
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "first bad seq {seq}: {}: {}", self.kind, self.detail),
            None => write!(f, "{}: {}", self.kind, self.detail),
        }
    }
}

/// A clean verification's result.
#[derive(Clone, Debug)]
pub struct Report {
    /// The checkpoint verified against.
    pub checkpoint: Checkpoint,
    /// Entries checked (all of the log's complete entries).
    pub entries: u64,
    /// Entries past the checkpoint (not yet covered by a signature; checked all the same).
    pub beyond_checkpoint: u64,
    /// Root of the tree of all checked entries.
    pub root: Hash,
    /// Time taken.
    pub elapsed: Duration,
}

/// What to verify against.
pub struct VerifyOptions {
    /// The key the checkpoint must be signed by.
    pub key: NoteVerifier,
    /// An older checkpoint the log must extend (already opened with `key`).
    pub trusted: Option<Checkpoint>,
}

fn damage(kind: DamageKind, seq: Option<u64>, detail: impl Into<String>) -> Damage {
    Damage {
        kind,
        seq,
        detail: detail.into(),
    }
}

/// A stored hash that differs from the one rebuilt from the headers.
struct HashMismatch {
    level: u8,
    index: u64,
    seq: u64,
}

impl HashMismatch {
    /// The damage this mismatch shows; `root_ok` says the headers still hash to the signed root.
    fn damage(&self, root_ok: bool) -> Damage {
        if self.level == 0 && !root_ok {
            damage(
                DamageKind::EntryAltered,
                Some(self.seq),
                "header does not hash to the stored leaf hash",
            )
        } else {
            damage(
                DamageKind::TileAltered,
                Some(self.index << self.level),
                format!(
                    "stored hash at level {} index {} does not match the entries",
                    self.level, self.index
                ),
            )
        }
    }
}

/// Reads hashes of one level file in order.
struct LevelCursor {
    reader: Option<BufReader<File>>,
    next: u64,
}

impl LevelCursor {
    fn next_hash(&mut self) -> Option<Hash> {
        let r = self.reader.as_mut()?;
        let mut h = [0u8; HASH_SIZE];
        r.read_exact(&mut h).ok()?;
        self.next += 1;
        Some(h)
    }
}

/// Reads body records of consecutive seqs, segment by segment, into one reused buffer.
struct BodyCursor {
    layout: Layout,
    segment: Option<(u64, BodySource)>,
    buf: Vec<u8>,
}

/// A body segment being read: plain (with the reader's position) or packed (with the block
/// inflated last).
enum BodySource {
    Plain(BufReader<File>, u64),
    Packed(Packed, Option<(usize, Vec<u8>)>),
}

impl BodyCursor {
    fn new(layout: Layout) -> Self {
        BodyCursor {
            layout,
            segment: None,
            buf: Vec::new(),
        }
    }

    fn read(&mut self, seq: u64, slot: &Slot) -> std::io::Result<&[u8]> {
        let seg = segment_of(seq);
        if self.segment.as_ref().map(|s| s.0) != Some(seg) {
            let packed = self.layout.packed_segment(seg);
            let source = if packed.exists() {
                BodySource::Packed(
                    Packed::open(packed, seg).map_err(std::io::Error::other)?,
                    None,
                )
            } else {
                let f = File::open(self.layout.segment(seg))?;
                BodySource::Plain(BufReader::with_capacity(1 << 20, f), 0)
            };
            self.segment = Some((seg, source));
        }
        match self.segment.as_mut().map(|s| &mut s.1) {
            Some(BodySource::Plain(reader, pos)) => {
                if *pos != slot.body_offset {
                    reader.seek(SeekFrom::Start(slot.body_offset))?;
                }
                self.buf.resize(slot.body_len as usize, 0);
                reader.read_exact(&mut self.buf)?;
                *pos = slot.body_offset + u64::from(slot.body_len);
            }
            Some(BodySource::Packed(p, cache)) => {
                self.buf = p
                    .read(slot.body_offset, slot.body_len, cache)
                    .map_err(std::io::Error::other)?;
            }
            None => return Err(std::io::Error::other("no segment")),
        }
        Ok(&self.buf)
    }
}

/// The first entry in `[from, to)` whose body does not check out, and why. Stops quietly at a
/// slot that does not decode: the structure pass reports (or forgives) those.
fn first_bad_body(
    layout: &Layout,
    from: u64,
    to: u64,
) -> std::io::Result<Option<(u64, &'static str)>> {
    let mut headers = BufReader::with_capacity(1 << 20, File::open(layout.headers())?);
    headers.seek(SeekFrom::Start(from * SLOT_SIZE as u64))?;
    let mut bodies = BodyCursor::new(layout.clone());
    let mut slot_buf = vec![0u8; SLOT_SIZE];
    for pos in from..to {
        headers.read_exact(&mut slot_buf)?;
        let Ok(slot) = Slot::decode(&slot_buf) else {
            return Ok(None);
        };
        let Ok(header) = EntryHeader::decode(&slot.header) else {
            return Ok(None);
        };
        let body = match bodies.read(pos, &slot) {
            Ok(bytes) => decode_body_ref(bytes).ok(),
            Err(_) => None,
        };
        let problem = match body {
            Some(b) if b.seq == pos => {
                let check = header.check_bodies(b.salt, b.event, b.raw);
                match (check.event_ok, check.raw_ok) {
                    (true, true) => None,
                    (false, false) => {
                        Some("event and raw bodies do not match the header's digests")
                    }
                    (false, true) => Some("event body does not match the header's digest"),
                    (true, false) => Some("raw body does not match the header's digest"),
                }
            }
            _ => Some("body record unreadable or its checksum fails"),
        };
        if let Some(p) = problem {
            return Ok(Some((pos, p)));
        }
    }
    Ok(None)
}

/// Check the bodies of `[0, slots)` on all cores; the earliest failure wins.
fn first_bad_body_parallel(layout: &Layout, slots: u64) -> Result<Option<(u64, &'static str)>> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let chunk = slots.div_ceil(threads.max(1)).max(1);
    let results: Vec<std::io::Result<Option<(u64, &'static str)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..slots)
            .step_by(chunk as usize)
            .map(|from| {
                let to = (from + chunk).min(slots);
                scope.spawn(move || first_bad_body(layout, from, to))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("body checker panicked")))
            })
            .collect()
    });
    let mut first: Option<(u64, &'static str)> = None;
    for r in results {
        if let Some((seq, why)) = r.map_err(|e| StoreError::io("read", layout.log_dir(), e))? {
            if first.is_none_or(|(f, _)| seq < f) {
                first = Some((seq, why));
            }
        }
    }
    Ok(first)
}

/// Verify the log in `dir`. `Ok(Err(damage))` is a log that fails verification.
pub fn verify_dir(
    dir: &std::path::Path,
    options: &VerifyOptions,
) -> Result<std::result::Result<Report, Damage>> {
    let started = Instant::now();
    let layout = Layout::new(dir);
    let cp_path = layout.checkpoint();
    let note = match std::fs::read(&cp_path) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Err(damage(
                DamageKind::BadCheckpoint,
                None,
                "no checkpoint file",
            )));
        }
        Err(e) => return Err(StoreError::io("read", &cp_path, e)),
    };
    let checkpoint = match authtrail_ledger::checkpoint::open_checkpoint(&note, &options.key) {
        Ok(c) => c,
        Err(e) => {
            return Ok(Err(damage(
                DamageKind::BadCheckpoint,
                None,
                format!("checkpoint not valid for key {}: {e}", options.key.name()),
            )))
        }
    };
    if let Some(t) = &options.trusted {
        if t.origin != checkpoint.origin {
            return Ok(Err(damage(
                DamageKind::Fork,
                None,
                format!(
                    "trusted checkpoint is of log {:?}, this is {:?}",
                    t.origin, checkpoint.origin
                ),
            )));
        }
        if t.size > checkpoint.size {
            return Ok(Err(damage(
                DamageKind::Truncated,
                Some(checkpoint.size),
                format!(
                    "the log's checkpoint covers {} entries, the trusted one {}",
                    checkpoint.size, t.size
                ),
            )));
        }
    }

    let headers_path = layout.headers();
    let headers =
        File::open(&headers_path).map_err(|e| StoreError::io("open", &headers_path, e))?;
    let slots = headers
        .metadata()
        .map_err(|e| StoreError::io("stat", &headers_path, e))?
        .len()
        / SLOT_SIZE as u64;
    let must_cover = checkpoint
        .size
        .max(options.trusted.as_ref().map_or(0, |t| t.size));
    let (structure, bodies) = std::thread::scope(|scope| {
        let bodies = scope.spawn(|| first_bad_body_parallel(&layout, slots));
        let structure = check_structure(&layout, headers, slots, &checkpoint, options, must_cover);
        let bodies = bodies
            .join()
            .unwrap_or_else(|_| Err(StoreError::Damaged("body checker panicked".into())));
        (structure, bodies)
    });
    let (structure, bodies) = (structure?, bodies?);
    Ok(combine(structure, bodies, &checkpoint, started))
}

/// What the structure pass found when it found no damage: the complete entries and their root.
struct Structure {
    entries: u64,
    root: Hash,
}

/// Merge the two passes: the earliest damage wins; on the same seq the structure pass names it
/// (a moved or altered header also fails its body check). A body failure past the checkpoint is
/// an incomplete tail, not damage.
fn combine(
    s: std::result::Result<Structure, Damage>,
    bodies: Option<(u64, &'static str)>,
    checkpoint: &Checkpoint,
    started: Instant,
) -> std::result::Result<Report, Damage> {
    let body = bodies.filter(|(seq, _)| *seq < checkpoint.size);
    match (s, body) {
        (Err(d), Some((seq, why))) if d.seq.is_none_or(|m| seq < m) => {
            Err(damage(DamageKind::BodyAltered, Some(seq), why))
        }
        (Err(d), _) => Err(d),
        (Ok(_), Some((seq, why))) => Err(damage(DamageKind::BodyAltered, Some(seq), why)),
        (Ok(s), None) => {
            // A torn body past the checkpoint ends the complete entries there.
            let entries = match bodies {
                Some((seq, _)) if seq < s.entries => seq,
                _ => s.entries,
            };
            Ok(Report {
                checkpoint: checkpoint.clone(),
                entries,
                beyond_checkpoint: entries - checkpoint.size,
                root: s.root,
                elapsed: started.elapsed(),
            })
        }
    }
}

/// The structure pass: slots, seqs, the tree against every stored hash, the signed roots.
fn check_structure(
    layout: &Layout,
    headers: File,
    slots: u64,
    checkpoint: &Checkpoint,
    options: &VerifyOptions,
    must_cover: u64,
) -> Result<std::result::Result<Structure, Damage>> {
    let headers_path = layout.headers();
    let mut reader = BufReader::with_capacity(1 << 20, headers);
    let mut levels: Vec<LevelCursor> = Vec::new();
    let mut frontier = Frontier::new();
    let mut slot_buf = vec![0u8; SLOT_SIZE];
    let mut prev_leaf_matched = true;
    let mut pending: Option<HashMismatch> = None;
    let mut entries = 0u64;

    for pos in 0..slots {
        let covered = pos < checkpoint.size;
        reader
            .read_exact(&mut slot_buf)
            .map_err(|e| StoreError::io("read", &headers_path, e))?;
        let slot = match Slot::decode(&slot_buf) {
            Ok(s) => s,
            Err(_) if !covered => break, // an incomplete tail past the checkpoint
            Err(e) => {
                return Ok(Err(damage(
                    DamageKind::EntryAltered,
                    Some(pos),
                    format!("slot checksum: {e:?}"),
                )))
            }
        };
        let header = match EntryHeader::decode(&slot.header) {
            Ok(h) => h,
            Err(_) if !covered => break,
            Err(e) => {
                return Ok(Err(damage(
                    DamageKind::EntryAltered,
                    Some(pos),
                    e.to_string(),
                )))
            }
        };
        if header.seq != pos {
            if !covered {
                break;
            }
            return Ok(Err(misplaced(
                layout,
                pos,
                header.seq,
                slots,
                prev_leaf_matched,
            )));
        }
        let leaf = leaf_hash(&slot.header);
        // Tree first: every completed subtree against the stored hash. A mismatch is held until
        // the signed root tells whether the header or the stored hash is the altered one.
        let mut mismatch: Option<(u8, u64)> = None;
        frontier.append(leaf, |level, index, hash| {
            let l = usize::from(level);
            while levels.len() <= l {
                let path = layout.level(levels.len() as u8);
                levels.push(LevelCursor {
                    reader: File::open(path)
                        .ok()
                        .map(|f| BufReader::with_capacity(1 << 18, f)),
                    next: 0,
                });
            }
            let stored = levels[l].next_hash();
            if stored != Some(hash) && mismatch.is_none() && (stored.is_some() || covered) {
                mismatch = Some((level, index));
            }
            Ok(())
        })?;
        prev_leaf_matched = mismatch.is_none_or(|(level, _)| level != 0);
        if pending.is_none() {
            pending = mismatch.map(|(level, index)| HashMismatch {
                level,
                index,
                seq: pos,
            });
        }
        entries = pos + 1;
        if let Some(t) = &options.trusted {
            // With a stored hash already in doubt, the signed root below decides what was altered.
            if entries == t.size && frontier.root() != t.root && pending.is_none() {
                return Ok(Err(damage(
                    DamageKind::Fork,
                    None,
                    format!(
                        "the first {} entries do not hash to the trusted checkpoint's root: history was rewritten and re-signed",
                        t.size
                    ),
                )));
            }
        }
        if entries == checkpoint.size {
            let root_ok = frontier.root() == checkpoint.root;
            if let Some(m) = &pending {
                return Ok(Err(m.damage(root_ok)));
            }
            if !root_ok {
                return Ok(Err(damage(
                    DamageKind::EntryAltered,
                    None,
                    format!(
                        "the first {} entries do not hash to the signed checkpoint's root",
                        checkpoint.size
                    ),
                )));
            }
        }
    }
    if let Some(m) = &pending {
        return Ok(Err(m.damage(false)));
    }
    if entries < must_cover {
        return Ok(Err(damage(
            DamageKind::Truncated,
            Some(entries),
            format!("only {entries} complete entries, the checkpoint covers {must_cover}"),
        )));
    }
    Ok(Ok(Structure {
        entries,
        root: frontier.root(),
    }))
}

/// Name the damage when the slot at `pos` carries `found` as its seq.
fn misplaced(layout: &Layout, pos: u64, found: u64, slots: u64, prev_leaf_matched: bool) -> Damage {
    if found < pos {
        // A seq seen again: either this slot or the one before was inserted.
        let first = if prev_leaf_matched { pos } else { pos - 1 };
        return damage(
            DamageKind::Inserted,
            Some(first),
            format!("slot {pos} holds an entry labelled seq {found}"),
        );
    }
    // found > pos: a copy of a later entry (inserted), the entry that belongs here further on
    // (reordered), or gone (missing)?
    if find_seq(layout, found, pos + 1, slots).is_some() {
        return damage(
            DamageKind::Inserted,
            Some(pos),
            format!("slot {pos} holds seq {found}, which appears again later"),
        );
    }
    let later = find_seq(layout, pos, pos + 1, slots);
    match later {
        Some(at) => damage(
            DamageKind::Reordered,
            Some(pos),
            format!("slot {pos} holds seq {found}; seq {pos} is at slot {at}"),
        ),
        None => damage(
            DamageKind::Missing,
            Some(pos),
            format!("slot {pos} holds seq {found}; seq {pos} is nowhere in the log"),
        ),
    }
}

fn find_seq(layout: &Layout, want: u64, from: u64, slots: u64) -> Option<u64> {
    let mut f = BufReader::new(File::open(layout.headers()).ok()?);
    f.seek(SeekFrom::Start(from * SLOT_SIZE as u64)).ok()?;
    let mut buf = vec![0u8; SLOT_SIZE];
    for at in from..slots {
        f.read_exact(&mut buf).ok()?;
        if let Ok(slot) = Slot::decode(&buf) {
            if EntryHeader::decode(&slot.header).is_ok_and(|h| h.seq == want) {
                return Some(at);
            }
        }
    }
    None
}
