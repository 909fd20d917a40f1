//! Opening a log after a crash: cut an incomplete tail back to the last complete entry and
//! rebuild the stored hashes that may not have reached the disk.
//!
//! What is known durable: every entry below the size of the last signed checkpoint (the writer
//! fsyncs entries before acknowledging them, and hash files before signing a checkpoint).
//! Beyond it, entries are checked one by one (slot CRC, header seq, body CRC) and the log is cut
//! at the first that is incomplete. Nothing acknowledged is cut: an acknowledged entry was
//! fsynced whole, so it passes these checks.

use authtrail_ledger::entry::EntryHeader;
use authtrail_ledger::hash::leaf_hash;
use authtrail_ledger::tree::Frontier;
use authtrail_ledger::HASH_SIZE;

use crate::error::{Result, StoreError};
use crate::files::LogFiles;
use crate::layout::{segment_of, SEGMENT_ENTRIES, SLOT_SIZE};

/// The state a writer resumes from.
pub(crate) struct Recovered {
    /// Number of complete entries.
    pub(crate) size: u64,
    /// Length of the body segment that the next entry goes into.
    pub(crate) segment_len: u64,
    /// Right edge of the tree of `size` leaves.
    pub(crate) frontier: Frontier,
    /// Entries cut from an incomplete tail.
    pub(crate) cut: u64,
}

/// Whether entry `seq` is complete on disk; returns the end of its body record if so.
fn complete(files: &LogFiles, seq: u64) -> Option<u64> {
    let slot = files.read_slot(seq).ok()?;
    let header = EntryHeader::decode(&slot.header).ok()?;
    if header.seq != seq {
        return None;
    }
    files.read_body(seq, &slot).ok()?;
    Some(slot.body_offset + u64::from(slot.body_len))
}

/// Repair the tail of the log and bring the stored hashes up to its size.
pub(crate) fn recover(files: &LogFiles, checkpoint_size: u64) -> Result<Recovered> {
    let headers_path = files.layout.headers();
    let file_len = files
        .headers
        .metadata()
        .map_err(|e| StoreError::io("stat", &headers_path, e))?
        .len();
    let slots = file_len / SLOT_SIZE as u64;
    if slots < checkpoint_size {
        return Err(StoreError::Damaged(format!(
            "the log holds {slots} entries but its checkpoint covers {checkpoint_size}"
        )));
    }
    // Find the first incomplete entry past the checkpoint.
    let mut size = checkpoint_size;
    let mut segment_len = 0;
    if size > 0 {
        segment_len = complete(files, size - 1).ok_or_else(|| {
            StoreError::Damaged(format!(
                "entry {} below the checkpoint is incomplete",
                size - 1
            ))
        })?;
    }
    while size < slots {
        match complete(files, size) {
            Some(end) => {
                segment_len = end;
                size += 1;
            }
            None => break,
        }
    }
    if size.is_multiple_of(SEGMENT_ENTRIES) {
        segment_len = 0;
    }
    let cut = slots - size;
    if cut > 0 || file_len % SLOT_SIZE as u64 != 0 {
        tracing::warn!(kept = size, cut, "cut an incomplete tail from the log");
    }
    files
        .headers
        .set_len(size * SLOT_SIZE as u64)
        .and_then(|_| files.headers.sync_data())
        .map_err(|e| StoreError::io("truncate", &headers_path, e))?;
    // The segment the next entry goes into ends at the last complete body; later ones go.
    let seg = files.segment(segment_of(size))?;
    seg.set_len(segment_len)
        .and_then(|_| seg.sync_data())
        .map_err(|e| StoreError::io("truncate", files.layout.segment(segment_of(size)), e))?;
    let mut later = segment_of(size) + 1;
    while files.layout.segment(later).exists() {
        let path = files.layout.segment(later);
        files.drop_segment(later)?;
        std::fs::remove_file(&path).map_err(|e| StoreError::io("remove", &path, e))?;
        later += 1;
    }

    // Hashes: those below the checkpoint are durable; rebuild everything after it.
    let start = durable_start(files, checkpoint_size.min(stored_leaves(files)?))?;
    let mut frontier = Frontier::load(files, start)?;
    for level in 0..64u8 {
        if files.layout.level(level).exists() {
            let f = files.level(level)?;
            f.set_len((start >> level) * HASH_SIZE as u64)
                .map_err(|e| StoreError::io("truncate", files.layout.level(level), e))?;
        }
    }
    files.append_leaves(
        &mut frontier,
        (start..size).map(|seq| Ok(leaf_hash(&files.read_slot(seq)?.header))),
    )?;
    files.sync_levels()?;
    Ok(Recovered {
        size,
        segment_len,
        frontier,
        cut,
    })
}

/// The largest size `<= start` whose right-edge hashes are all stored, at every level.
fn durable_start(files: &LogFiles, mut start: u64) -> Result<u64> {
    for level in 1..64u8 {
        if start >> level == 0 {
            break;
        }
        let path = files.layout.level(level);
        let have = if path.exists() {
            files
                .level(level)?
                .metadata()
                .map_err(|e| StoreError::io("stat", &path, e))?
                .len()
                / HASH_SIZE as u64
        } else {
            0
        };
        if have < start >> level {
            start = have << level;
        }
    }
    Ok(start)
}

/// How many leaves the level-0 hash file holds.
fn stored_leaves(files: &LogFiles) -> Result<u64> {
    let path = files.layout.level(0);
    if !path.exists() {
        return Ok(0);
    }
    let len = files
        .level(0)?
        .metadata()
        .map_err(|e| StoreError::io("stat", &path, e))?
        .len();
    Ok(len / HASH_SIZE as u64)
}
