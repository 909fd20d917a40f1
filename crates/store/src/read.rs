//! Reads of a log bounded by a size: entries, tiles, proofs and roots. Shared by the live
//! [`EmbeddedLog`](crate::EmbeddedLog) (bounded by what it has integrated) and the read-only
//! [`LogReader`] (bounded by the signed checkpoint).

use authtrail_ledger::entry::EntryHeader;
use authtrail_ledger::evidence::Evidence;
use authtrail_ledger::note::NoteVerifier;
use authtrail_ledger::tile::{push_bundle_entry, TileId, TILE_HEIGHT};
use authtrail_ledger::tree::root_at;
use authtrail_ledger::{proof, Hash};

use crate::error::{Result, StoreError};
use crate::files::LogFiles;
use crate::index::{Index, Indexed};
use crate::keys::load_verifier;
use crate::layout::{Body, Layout, Slot};
use crate::log::{read_checkpoint, SignedCheckpoint};
use crate::search::{Scan, Search};

/// An entry read back: its header, the header's bytes (the leaf) and its bodies.
#[derive(Clone, Debug)]
pub struct StoredEntry {
    /// The decoded header.
    pub header: EntryHeader,
    /// The header's bytes exactly as hashed into the tree.
    pub header_bytes: Vec<u8>,
    /// The bodies, with the salt.
    pub body: Body,
}

impl StoredEntry {
    /// The entry's evidence bundle: its header and bodies with `inclusion_proof` against the
    /// signed `checkpoint` (what `authtrail prove` writes).
    pub fn into_evidence(
        self,
        checkpoint: &SignedCheckpoint,
        inclusion_proof: Vec<Hash>,
    ) -> Evidence {
        Evidence {
            seq: self.header.seq,
            header: self.header_bytes,
            salt: Some(self.body.salt),
            event: Some(self.body.event),
            raw: Some(self.body.raw),
            tree_size: checkpoint.checkpoint.size,
            inclusion_proof,
            checkpoint: checkpoint.note.clone(),
        }
    }
}

pub(crate) fn entry(files: &LogFiles, bound: u64, seq: u64) -> Result<StoredEntry> {
    if seq >= bound {
        return Err(StoreError::NotFound(format!(
            "entry {seq} does not exist (log size {bound})"
        )));
    }
    let slot = files.read_slot(seq)?;
    let body = files.read_body(seq, &slot)?;
    stored(slot, body)
}

/// The entries of `range`, the slots and a plain segment's bodies each read at once.
pub(crate) fn entries(
    files: &LogFiles,
    bound: u64,
    range: std::ops::Range<u64>,
) -> Result<Vec<StoredEntry>> {
    if range.end > bound {
        return Err(StoreError::NotFound(format!(
            "entries {range:?} do not all exist (log size {bound})"
        )));
    }
    if range.is_empty() {
        return Ok(Vec::new());
    }
    let slots = files.read_slots(range.clone())?;
    let bodies = files.read_bodies(range.start, &slots)?;
    slots
        .into_iter()
        .zip(bodies)
        .map(|(slot, body)| stored(slot, body))
        .collect()
}

/// An entry from its slot (its header decoded) and its bodies.
fn stored(slot: Slot, body: Body) -> Result<StoredEntry> {
    Ok(StoredEntry {
        header: EntryHeader::decode(&slot.header)?,
        header_bytes: slot.header,
        body,
    })
}

pub(crate) fn tile(files: &LogFiles, bound: u64, id: TileId) -> Result<Vec<u8>> {
    let end = id.first() + u64::from(id.width);
    match id.level {
        Some(level) => {
            let tree_level = u32::from(level) * TILE_HEIGHT;
            let have = if tree_level >= 64 {
                0
            } else {
                bound >> tree_level
            };
            if end > have {
                return Err(StoreError::NotFound(format!(
                    "tile {} does not exist yet",
                    id.path()
                )));
            }
            // One positioned read of the whole tile from the level's file.
            files.read_hashes(tree_level as u8, id.first(), u64::from(id.width))
        }
        None => {
            if end > bound {
                return Err(StoreError::NotFound(format!(
                    "entry bundle {} does not exist yet",
                    id.path()
                )));
            }
            let mut out = Vec::new();
            for seq in id.first()..end {
                push_bundle_entry(&mut out, &files.read_slot(seq)?.header)?;
            }
            Ok(out)
        }
    }
}

fn check_size(bound: u64, size: u64) -> Result<()> {
    if size > bound {
        return Err(StoreError::InvalidRequest(format!(
            "tree size {size} is beyond the log's {bound} entries"
        )));
    }
    Ok(())
}

pub(crate) fn inclusion_proof(
    files: &LogFiles,
    bound: u64,
    seq: u64,
    size: u64,
) -> Result<(Vec<Hash>, Hash)> {
    check_size(bound, size)?;
    if seq >= size {
        return Err(StoreError::InvalidRequest(format!(
            "seq {seq} is not below tree size {size}"
        )));
    }
    Ok((
        proof::inclusion_proof(files, seq, size)?,
        root_at(files, size)?,
    ))
}

pub(crate) fn consistency_proof(
    files: &LogFiles,
    bound: u64,
    from: u64,
    to: u64,
) -> Result<Vec<Hash>> {
    check_size(bound, to)?;
    if from == 0 || from > to {
        return Err(StoreError::InvalidRequest(format!(
            "consistency needs 0 < from <= to (got from={from}, to={to})"
        )));
    }
    Ok(proof::consistency_proof(files, from, to)?)
}

pub(crate) fn root(files: &LogFiles, bound: u64, size: u64) -> Result<Hash> {
    check_size(bound, size)?;
    Ok(root_at(files, size)?)
}

/// Read-only access to a data directory, bounded by its signed checkpoint; takes no lock, so it
/// works beside a running writer.
pub struct LogReader {
    files: LogFiles,
    checkpoint: SignedCheckpoint,
    verifier: NoteVerifier,
    index: std::sync::OnceLock<Option<Index>>,
}

impl LogReader {
    /// Open the data directory at `dir` for reading; its checkpoint must verify with its own key.
    pub fn open(dir: impl Into<std::path::PathBuf>) -> Result<Self> {
        let layout = Layout::new(dir);
        let verifier = load_verifier(&layout)?;
        let checkpoint = read_checkpoint(&layout, &verifier)?
            .ok_or_else(|| StoreError::NotFound("the log has no checkpoint yet".into()))?;
        let files = LogFiles::open(layout, false)?;
        Ok(LogReader {
            files,
            checkpoint,
            verifier,
            index: std::sync::OnceLock::new(),
        })
    }

    /// The checkpoint reads are bounded by.
    pub fn checkpoint(&self) -> &SignedCheckpoint {
        &self.checkpoint
    }

    /// The log's verifier key.
    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// Read entry `seq` with its bodies.
    pub fn entry(&self, seq: u64) -> Result<StoredEntry> {
        entry(&self.files, self.checkpoint.checkpoint.size, seq)
    }

    /// The index as its writer left it (read-only: entries it lacks are scanned), if usable.
    pub fn index(&self) -> Option<&Index> {
        self.index
            .get_or_init(|| {
                let size = self.checkpoint.checkpoint.size;
                let read = |seq| entry(&self.files, size, seq);
                Index::open(&self.files.layout, size, &read, false)
                    .map_err(|e| tracing::warn!(error = %e, "search index unusable; scanning"))
                    .ok()
            })
            .as_ref()
    }

    /// Answers queries over the entries up to the checkpoint, with the index where it reaches.
    pub fn search(&self) -> Box<dyn Search + '_> {
        match self.index() {
            Some(index) => Box::new(Indexed::new(self, index)),
            None => Box::new(Scan::new(self)),
        }
    }

    /// Inclusion proof of `seq` in the tree of `size` entries, with that tree's root.
    pub fn inclusion_proof(&self, seq: u64, size: u64) -> Result<(Vec<Hash>, Hash)> {
        inclusion_proof(&self.files, self.checkpoint.checkpoint.size, seq, size)
    }

    /// Consistency proof between tree sizes `from` and `to`.
    pub fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>> {
        consistency_proof(&self.files, self.checkpoint.checkpoint.size, from, to)
    }
}
