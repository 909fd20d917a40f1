//! Open files of a log, shared by the writer and readers: entry slots, body segments, hash levels.
//!
//! All access is positioned (`pread`/`pwrite`), so readers never disturb the writer. Readers only
//! read below the sizes the writer has published, which are written before they are published.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use authtrail_ledger::tree::{Frontier, HashReader};
use authtrail_ledger::{Hash, LedgerError, HASH_SIZE};

use crate::error::{Result, StoreError};
use crate::layout::{segment_of, Body, Layout, Slot, SEGMENT_ENTRIES, SLOT_SIZE};
use crate::packed::{self, Packed};
use crate::sync::sync_dir;

/// Inflated packed blocks kept for reuse (32 KiB each).
const PACKED_BLOCKS_CACHED: usize = 32;

/// An inflated block: (segment, block number) and its plain bytes.
type CachedBlock = ((u64, usize), Arc<Vec<u8>>);

/// The files of one log.
pub(crate) struct LogFiles {
    pub(crate) layout: Layout,
    pub(crate) headers: File,
    segments: RwLock<Vec<Option<Arc<File>>>>,
    packed: RwLock<Vec<Option<Arc<Packed>>>>,
    /// Recently inflated packed blocks, so reads of neighbouring records inflate once.
    blocks: Mutex<VecDeque<CachedBlock>>,
    /// Held while a segment is packed, so two packers never write one file.
    packing: Mutex<()>,
    levels: RwLock<Vec<Arc<File>>>,
    writable: bool,
}

fn open(path: &PathBuf, writable: bool) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(writable)
        .create(writable)
        .truncate(false)
        .open(path)
        .map_err(|e| StoreError::io("open", path, e))
}

impl LogFiles {
    /// Open the files of the log at `layout`; `writable` creates missing files.
    pub(crate) fn open(layout: Layout, writable: bool) -> Result<Self> {
        let existed = layout.headers().exists();
        let headers = open(&layout.headers(), writable)?;
        if writable && !existed {
            // The new file's directory entry must be durable before anything in it is acknowledged.
            sync_dir(&layout.log_dir())?;
        }
        Ok(LogFiles {
            layout,
            headers,
            segments: RwLock::new(Vec::new()),
            packed: RwLock::new(Vec::new()),
            blocks: Mutex::new(VecDeque::new()),
            packing: Mutex::new(()),
            levels: RwLock::new(Vec::new()),
            writable,
        })
    }

    /// The body segment file `segment`, opened (and created, if writable) on first use.
    pub(crate) fn segment(&self, segment: u64) -> Result<Arc<File>> {
        let i = segment as usize;
        if let Some(Some(f)) = self.segments.read().map_err(poisoned)?.get(i) {
            return Ok(f.clone());
        }
        let mut segs = self.segments.write().map_err(poisoned)?;
        if segs.len() <= i {
            segs.resize(i + 1, None);
        }
        if let Some(f) = &segs[i] {
            return Ok(f.clone());
        }
        let path = self.layout.segment(segment);
        let existed = path.exists();
        let f = Arc::new(open(&path, self.writable)?);
        if self.writable && !existed {
            sync_dir(&self.layout.bodies_dir())?;
        }
        segs[i] = Some(f.clone());
        Ok(f)
    }

    /// Forget an open segment (after it was deleted by recovery).
    pub(crate) fn drop_segment(&self, segment: u64) -> Result<()> {
        if let Some(slot) = self
            .segments
            .write()
            .map_err(poisoned)?
            .get_mut(segment as usize)
        {
            *slot = None;
        }
        Ok(())
    }

    /// The hash file of tree `level`, opened (and created, if writable) on first use.
    pub(crate) fn level(&self, level: u8) -> Result<Arc<File>> {
        let i = usize::from(level);
        if let Some(f) = self.levels.read().map_err(poisoned)?.get(i) {
            return Ok(f.clone());
        }
        let mut levels = self.levels.write().map_err(poisoned)?;
        while levels.len() <= i {
            let l = levels.len() as u8;
            let path = self.layout.level(l);
            let existed = path.exists();
            if !existed && !self.writable {
                return Err(StoreError::NotFound(format!(
                    "no hashes stored at level {l}"
                )));
            }
            levels.push(Arc::new(open(&path, self.writable)?));
            if self.writable && !existed {
                sync_dir(&self.layout.hashes_dir())?;
            }
        }
        Ok(levels[i].clone())
    }

    /// fsync every open hash level file.
    pub(crate) fn sync_levels(&self) -> Result<()> {
        for (l, f) in self.levels.read().map_err(poisoned)?.iter().enumerate() {
            f.sync_data()
                .map_err(|e| StoreError::io("sync", self.layout.level(l as u8), e))?;
        }
        Ok(())
    }

    /// Hash `leaves` into the tree whose right edge is `frontier`, and store every subtree hash
    /// they complete, one write per level.
    pub(crate) fn append_leaves(
        &self,
        frontier: &mut Frontier,
        leaves: impl IntoIterator<Item = Result<Hash>>,
    ) -> Result<()> {
        // Per level: index of the first new hash and the new hashes' bytes. Levels first appear
        // in order (a subtree at level l completes only after one at level l - 1 has).
        let mut pending: Vec<(u64, Vec<u8>)> = Vec::new();
        for leaf in leaves {
            frontier.append(leaf?, |level, index, hash| {
                let l = usize::from(level);
                if pending.len() == l {
                    pending.push((index, Vec::new()));
                }
                pending[l].1.extend_from_slice(&hash);
                Ok(())
            })?;
        }
        for (level, (first, bytes)) in pending.iter().enumerate() {
            self.level(level as u8)?
                .write_all_at(bytes, first * HASH_SIZE as u64)
                .map_err(|e| StoreError::io("write hashes", self.layout.level(level as u8), e))?;
        }
        Ok(())
    }

    /// Read the slot of `seq`.
    pub(crate) fn read_slot(&self, seq: u64) -> Result<Slot> {
        let mut buf = [0u8; SLOT_SIZE];
        self.headers
            .read_exact_at(&mut buf, seq * SLOT_SIZE as u64)
            .map_err(|e| StoreError::io("read slot", self.layout.headers(), e))?;
        Slot::decode(&buf).map_err(|e| StoreError::Damaged(format!("slot of entry {seq}: {e:?}")))
    }

    /// Read the slots of `range`, in one read.
    pub(crate) fn read_slots(&self, range: std::ops::Range<u64>) -> Result<Vec<Slot>> {
        let count = usize::try_from(range.end.saturating_sub(range.start))
            .map_err(|_| StoreError::Damaged(format!("slot range {range:?} is too long")))?;
        let mut buf = vec![0u8; count * SLOT_SIZE];
        self.headers
            .read_exact_at(&mut buf, range.start * SLOT_SIZE as u64)
            .map_err(|e| StoreError::io("read slots", self.layout.headers(), e))?;
        buf.chunks_exact(SLOT_SIZE)
            .zip(range)
            .map(|(s, seq)| {
                Slot::decode(s)
                    .map_err(|e| StoreError::Damaged(format!("slot of entry {seq}: {e:?}")))
            })
            .collect()
    }

    /// Read and decode the body records `slots` point at, the slots of the entries from
    /// `first` on: a plain segment's records with one read (they lie in seq order), a packed
    /// one's through its blocks.
    pub(crate) fn read_bodies(&self, first: u64, slots: &[Slot]) -> Result<Vec<Body>> {
        let mut out = Vec::with_capacity(slots.len());
        let mut at = 0usize;
        while at < slots.len() {
            let seq = first + at as u64;
            let segment = segment_of(seq);
            let in_segment = usize::try_from((segment + 1) * SEGMENT_ENTRIES - seq)
                .unwrap_or(usize::MAX)
                .min(slots.len() - at);
            let run = &slots[at..at + in_segment];
            match self.read_plain_run(segment, run)? {
                Some((start, buf)) => {
                    for (k, slot) in run.iter().enumerate() {
                        let from = usize::try_from(slot.body_offset - start).unwrap_or(usize::MAX);
                        let record = from
                            .checked_add(slot.body_len as usize)
                            .and_then(|to| buf.get(from..to));
                        out.push(decoded_body(seq + k as u64, record)?);
                    }
                }
                None => {
                    for (k, slot) in run.iter().enumerate() {
                        out.push(self.read_body(seq + k as u64, slot)?);
                    }
                }
            }
            at += in_segment;
        }
        Ok(out)
    }

    /// The bytes from the first to the end of the last of `run`'s records in plain segment
    /// `segment`, with the offset they start at; `None` when the segment is packed, the
    /// records are not in order, or they span more than [`RUN_SPAN`] (then each is read alone).
    fn read_plain_run(&self, segment: u64, run: &[Slot]) -> Result<Option<(u64, Vec<u8>)>> {
        let (Some(head), Some(tail)) = (run.first(), run.last()) else {
            return Ok(None);
        };
        let start = head.body_offset;
        let end = tail.body_offset.checked_add(u64::from(tail.body_len));
        let in_order = run.windows(2).all(|w| w[0].body_offset < w[1].body_offset);
        let Some(end) = end.filter(|end| in_order && end - start <= RUN_SPAN) else {
            return Ok(None);
        };
        if self.packed(segment)?.is_some() {
            return Ok(None);
        }
        let seg = match self.segment(segment) {
            Ok(seg) => seg,
            // Packed and deleted between the look and the open: each is read alone.
            Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        let mut buf = vec![0u8; (end - start) as usize];
        seg.read_exact_at(&mut buf, start)
            .map_err(|e| StoreError::io("read bodies", self.layout.segment(segment), e))?;
        Ok(Some((start, buf)))
    }

    /// The packed form of body segment `segment`, if it has one (a plain segment already open
    /// in this process is read as it is: its file outlives a packing that deletes it).
    pub(crate) fn packed(&self, segment: u64) -> Result<Option<Arc<Packed>>> {
        let i = segment as usize;
        if let Some(Some(p)) = self.packed.read().map_err(poisoned)?.get(i) {
            return Ok(Some(p.clone()));
        }
        if let Some(Some(_)) = self.segments.read().map_err(poisoned)?.get(i) {
            return Ok(None);
        }
        let path = self.layout.packed_segment(segment);
        if !path.exists() {
            return Ok(None);
        }
        let p = Arc::new(Packed::open(path, segment)?);
        let mut packed = self.packed.write().map_err(poisoned)?;
        if packed.len() <= i {
            packed.resize(i + 1, None);
        }
        packed[i] = Some(p.clone());
        Ok(Some(p))
    }

    /// Read and decode the body record a slot points at.
    pub(crate) fn read_body(&self, seq: u64, slot: &Slot) -> Result<Body> {
        let segment = segment_of(seq);
        let buf = match self.packed(segment)? {
            Some(p) => self.read_packed(segment, &p, slot)?,
            None => match self.read_plain(segment, slot) {
                // Packed and deleted between the look and the open: read the packed form.
                Err(StoreError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    match self.packed(segment)? {
                        Some(p) => self.read_packed(segment, &p, slot)?,
                        None => {
                            return Err(StoreError::io(
                                "read body",
                                self.layout.segment(segment),
                                source,
                            ))
                        }
                    }
                }
                other => other?,
            },
        };
        decoded_body(seq, Some(&buf))
    }

    fn read_packed(&self, segment: u64, p: &Packed, slot: &Slot) -> Result<Vec<u8>> {
        let i = p.block_of(slot.body_offset)?;
        let key = (segment, i);
        let cached = self
            .blocks
            .lock()
            .map_err(poisoned)?
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, b)| b.clone());
        let plain = match cached {
            Some(b) => b,
            None => {
                let b = Arc::new(p.inflate(i)?);
                let mut cache = self.blocks.lock().map_err(poisoned)?;
                if cache.len() == PACKED_BLOCKS_CACHED {
                    cache.pop_front();
                }
                cache.push_back((key, b.clone()));
                b
            }
        };
        p.slice(&plain, i, slot.body_offset, slot.body_len)
    }

    fn read_plain(&self, segment: u64, slot: &Slot) -> Result<Vec<u8>> {
        let seg = self.segment(segment)?;
        let mut buf = vec![0u8; slot.body_len as usize];
        seg.read_exact_at(&mut buf, slot.body_offset)
            .map_err(|e| StoreError::io("read body", self.layout.segment(segment), e))?;
        Ok(buf)
    }

    /// Pack full body segment `segment` (every entry of it durable) if it is still plain;
    /// returns whether it was.
    pub(crate) fn pack_if_plain(&self, segment: u64) -> Result<bool> {
        if !self.layout.segment(segment).exists() {
            return Ok(false);
        }
        self.pack_segment(segment)?;
        Ok(true)
    }

    /// Pack full body segment `segment` (every entry of it durable) and delete its plain file.
    fn pack_segment(&self, segment: u64) -> Result<()> {
        let _turn = self.packing.lock().map_err(poisoned)?;
        let out = self.layout.packed_segment(segment);
        let plain_path = self.layout.segment(segment);
        if !out.exists() {
            let first = segment * SEGMENT_ENTRIES;
            let records = packed::records(
                &self.headers,
                &self.layout.headers(),
                first,
                first + SEGMENT_ENTRIES,
            )?;
            let plain = self.segment(segment)?;
            packed::pack(&plain, &plain_path, segment, &records, &out)?;
            sync_dir(&self.layout.bodies_dir())?;
        }
        let p = Arc::new(Packed::open(out, segment)?);
        {
            let i = segment as usize;
            let mut packed = self.packed.write().map_err(poisoned)?;
            if packed.len() <= i {
                packed.resize(i + 1, None);
            }
            packed[i] = Some(p);
        }
        self.drop_segment(segment)?;
        match std::fs::remove_file(&plain_path) {
            Ok(()) => sync_dir(&self.layout.bodies_dir()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io("remove", &plain_path, e)),
        }
    }

    /// Read `count` consecutive hashes of `level` starting at `first`, as bytes.
    pub(crate) fn read_hashes(&self, level: u8, first: u64, count: u64) -> Result<Vec<u8>> {
        let f = self.level(level)?;
        let mut buf = vec![0u8; (count as usize) * HASH_SIZE];
        f.read_exact_at(&mut buf, first * HASH_SIZE as u64)
            .map_err(|e| StoreError::io("read hashes", self.layout.level(level), e))?;
        Ok(buf)
    }
}

/// At most this many bytes of body records are read at once.
const RUN_SPAN: u64 = 16 << 20;

/// Entry `seq`'s body decoded from its record (`None`: its slot points outside what was read).
fn decoded_body(seq: u64, record: Option<&[u8]>) -> Result<Body> {
    let record = record.ok_or_else(|| {
        StoreError::Damaged(format!("slot of entry {seq} points outside its segment"))
    })?;
    let body = crate::layout::decode_body(record)
        .map_err(|e| StoreError::Damaged(format!("body of entry {seq}: {e:?}")))?;
    if body.seq != seq {
        return Err(StoreError::Damaged(format!(
            "body of entry {seq} is labelled {}",
            body.seq
        )));
    }
    Ok(body)
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Poisoned("a thread panicked while holding the file table".into())
}

impl HashReader for LogFiles {
    fn node(&self, level: u8, index: u64) -> Result<Hash, LedgerError> {
        let bytes = self
            .read_hashes(level, index, 1)
            .map_err(|e| LedgerError::Storage(Box::new(e)))?;
        let mut h = [0u8; HASH_SIZE];
        h.copy_from_slice(&bytes);
        Ok(h)
    }
}
