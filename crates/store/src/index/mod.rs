//! The search index: derived from the log, rebuildable, never trusted over it.
//!
//! The log's seqs are cut into segments of [`DEFAULT_SEGMENT_LEN`] entries. Each full segment is frozen
//! into a write-once file (`DIR/index/NNNNNNNN`: keyed postings as roaring bitmaps, event times,
//! and each indexed path's first values for pipes); the newest entries live in an in-memory
//! [`Builder`]. `DIR/index/watermark` says how many segment files are complete, so after a crash
//! the index catches up from there (at most one segment of entries), it does not rebuild. On a
//! clean close the open segment is saved too (`DIR/index/tail`), so a reader starts from it.
//!
//! A segment file records the leaf hash of its last entry; a file that does not match the log
//! (another log, a changed field table) is discarded and rebuilt.

pub mod capture;
mod file;
pub mod keys;
pub mod plan;
mod search;
pub mod segment;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use authtrail_ledger::hash::leaf_hash;

use crate::error::{Result, StoreError};
use crate::layout::Layout;
use crate::read::StoredEntry;
use crate::sync::{sync_dir, write_atomic};

pub use file::SegmentFile;
pub use search::Indexed;
pub use segment::{Builder, Column, SegmentRead, DEFAULT_SEGMENT_LEN};

use keys::Extracted;

/// Reads committed entry `seq` for indexing.
pub type ReadEntry<'a> = &'a dyn Fn(u64) -> Result<StoredEntry>;

/// Entries read per batch while catching up (the state lock is held only to key and add them).
const BATCH: u64 = 1024;

/// Most entries' keys waiting in the feed; past this, appended entries are read back instead.
const FEED_MAX: usize = 131_072;

/// The index of one data directory.
pub struct Index {
    dir: PathBuf,
    writable: bool,
    /// Entries per segment asked for (a reader takes the writer's from the watermark).
    seg_len: u64,
    state: RwLock<State>,
    catching: Mutex<()>,
    /// Keys of appended entries (by seq) that their appenders read from the typed events, so
    /// the indexer takes them instead of reading and parsing the entries back.
    feed: Mutex<BTreeMap<u64, Extracted<'static>>>,
}

/// An entry to add: its keys as handed over, or the entry read back.
enum Pending {
    Fed(Extracted<'static>),
    Read(StoredEntry),
}

/// A full segment, as a query reads it.
pub(crate) type Frozen = Arc<dyn SegmentRead + Send + Sync>;

/// Frozen segments and the open one.
pub(crate) struct State {
    pub(crate) frozen: Vec<Frozen>,
    pub(crate) tail: Builder,
    pub(crate) seg_len: u64,
}

impl State {
    /// Entries indexed (`0..indexed`).
    pub(crate) fn indexed(&self) -> u64 {
        self.frozen.len() as u64 * self.seg_len + self.tail.entries()
    }
}

fn watermark_text(segments: usize, seg_len: u64) -> String {
    format!(
        "authtrail-index v1\nsegments {segments}\nsegment_len {seg_len}\nschema {}\n",
        keys::schema_tag()
    )
}

/// Segments complete and entries per segment, if the watermark is of this format and schema.
fn parse_watermark(text: &str) -> Option<(usize, u64)> {
    let mut lines = text.lines();
    (lines.next()? == "authtrail-index v1").then_some(())?;
    let n = lines.next()?.strip_prefix("segments ")?.parse().ok()?;
    let len: u64 = lines.next()?.strip_prefix("segment_len ")?.parse().ok()?;
    let ok = (1..=DEFAULT_SEGMENT_LEN).contains(&len)
        && lines.next()?.strip_prefix("schema ")? == keys::schema_tag();
    ok.then_some((n, len))
}

impl Index {
    /// Opens the index of the data directory at `layout`, checked against the log's first
    /// `size` entries. `writable`: this process owns the log, so the index may write files.
    pub fn open(layout: &Layout, size: u64, read: ReadEntry<'_>, writable: bool) -> Result<Index> {
        Index::open_with(layout, size, read, writable, DEFAULT_SEGMENT_LEN)
    }

    /// [`Index::open`] with `seg_len` entries per segment (small ones exercise segment edges).
    pub fn open_with(
        layout: &Layout,
        size: u64,
        read: ReadEntry<'_>,
        writable: bool,
        seg_len: u64,
    ) -> Result<Index> {
        let seg_len = seg_len.clamp(1, DEFAULT_SEGMENT_LEN);
        let dir = layout.root().join("index");
        if writable {
            std::fs::create_dir_all(&dir).map_err(|e| StoreError::io("create", &dir, e))?;
        }
        let index = Index {
            dir,
            writable,
            seg_len,
            state: RwLock::new(State {
                frozen: Vec::new(),
                tail: Builder::default(),
                seg_len,
            }),
            catching: Mutex::new(()),
            feed: Mutex::new(BTreeMap::new()),
        };
        match index.load(size, read) {
            Ok(state) => {
                let segments = state.frozen.len();
                *index.write_state()? = state;
                let watermark = index.dir.join("watermark");
                if writable && !watermark.exists() {
                    write_atomic(&watermark, watermark_text(segments, seg_len).as_bytes())?;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "the search index does not match the log; rebuilding it");
                index.clear()?;
            }
        }
        Ok(index)
    }

    fn load(&self, size: u64, read: ReadEntry<'_>) -> Result<State> {
        let watermark = self.dir.join("watermark");
        let (segments, seg_len) = match std::fs::read_to_string(&watermark) {
            Ok(text) => parse_watermark(&text)
                .ok_or_else(|| StoreError::Damaged("index watermark of another format".into()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (0, self.seg_len),
            Err(e) => return Err(StoreError::io("read", &watermark, e)),
        };
        if seg_len != self.seg_len && self.writable {
            return Err(StoreError::Damaged(format!(
                "index segments of {seg_len} entries, {} asked for",
                self.seg_len
            )));
        }
        let mut frozen: Vec<Frozen> = Vec::with_capacity(segments);
        let mut last_leaf = None;
        for i in 0..segments {
            let seg = SegmentFile::open(self.segment_path(i))?;
            last_leaf = Some(seg.last_leaf());
            frozen.push(Arc::new(seg));
        }
        let mut state = State {
            frozen,
            tail: Builder::default(),
            seg_len,
        };
        let indexed = state.indexed();
        if indexed > size {
            return Err(StoreError::Damaged(format!(
                "index covers {indexed} entries, the log has {size}"
            )));
        }
        if let Some(leaf) = last_leaf {
            check_leaf(read, indexed - 1, leaf)?;
        }
        // Files past the watermark are from a segment write that did not finish.
        if self.writable {
            self.remove_stray(segments)?;
        }
        if let Ok(tail) = SegmentFile::open(self.dir.join("tail")) {
            if let Some(b) = adopt_tail(&tail, indexed, size, seg_len, read) {
                state.tail = b;
            }
        }
        Ok(state)
    }

    fn remove_stray(&self, segments: usize) -> Result<()> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) => return Err(StoreError::io("list", &self.dir, e)),
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let stray = name
                .to_str()
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n >= segments)
                || name.to_str().is_some_and(|n| n.ends_with(".tmp"));
            if stray {
                let p = entry.path();
                std::fs::remove_file(&p).map_err(|e| StoreError::io("remove", &p, e))?;
            }
        }
        Ok(())
    }

    fn segment_path(&self, i: usize) -> PathBuf {
        self.dir.join(format!("{i:08}"))
    }

    pub(crate) fn read_state(&self) -> Result<std::sync::RwLockReadGuard<'_, State>> {
        self.state
            .read()
            .map_err(|_| StoreError::Poisoned("index lock poisoned".into()))
    }

    fn write_state(&self) -> Result<std::sync::RwLockWriteGuard<'_, State>> {
        self.state
            .write()
            .map_err(|_| StoreError::Poisoned("index lock poisoned".into()))
    }

    /// Entries per segment.
    pub fn segment_len(&self) -> u64 {
        self.read_state().map_or(self.seg_len, |s| s.seg_len)
    }

    /// Entries indexed (`0..indexed()`).
    pub fn indexed(&self) -> u64 {
        self.read_state().map_or(0, |s| s.indexed())
    }

    /// Forgets everything (and deletes the files, if writable): the next catch-up rebuilds.
    pub fn clear(&self) -> Result<()> {
        let mut state = self.write_state()?;
        state.frozen.clear();
        state.tail = Builder::default();
        state.seg_len = self.seg_len;
        if self.writable {
            write_atomic(
                &self.dir.join("watermark"),
                watermark_text(0, self.seg_len).as_bytes(),
            )?;
            self.remove_stray(0)?;
            let tail = self.dir.join("tail");
            if tail.exists() {
                std::fs::remove_file(&tail).map_err(|e| StoreError::io("remove", &tail, e))?;
            }
        }
        Ok(())
    }

    /// Indexes entries up to `to` (exclusive); returns the entries indexed after.
    pub fn catch_up(&self, to: u64, read: ReadEntry<'_>) -> Result<u64> {
        // One catch-up at a time: a second caller waits, then finds the work done.
        let _turn = self
            .catching
            .lock()
            .map_err(|_| StoreError::Poisoned("index lock poisoned".into()))?;
        let seg_len = self.segment_len();
        loop {
            let from = self.indexed();
            if from >= to {
                return Ok(from);
            }
            // Stop each batch at a segment boundary, so a full segment is frozen before more.
            let boundary = (from / seg_len + 1) * seg_len;
            let end = to.min(from + BATCH).min(boundary);
            let mut fed = self.take_fed(from, end);
            let mut batch = Vec::with_capacity((end - from) as usize);
            for seq in from..end {
                batch.push(match fed.remove(&seq) {
                    Some(keys) => Pending::Fed(keys),
                    None => Pending::Read(read(seq)?),
                });
            }
            let last_leaf = match batch.last() {
                Some(Pending::Read(entry)) => leaf_hash(&entry.header_bytes),
                _ => leaf_hash(&read(end - 1)?.header_bytes),
            };
            let mut state = self.write_state()?;
            if state.indexed() != from {
                continue; // Cleared meanwhile.
            }
            for pending in &batch {
                match pending {
                    Pending::Fed(keys) => state.tail.add(keys),
                    Pending::Read(entry) => {
                        state
                            .tail
                            .add(&keys::extract(&entry.header.source, &entry.body.event));
                    }
                }
            }
            state.tail.last_leaf = last_leaf;
            if state.tail.entries() == seg_len {
                self.freeze(&mut state)?;
            }
        }
    }

    /// Hands over the keys of appended entries `first..`, `None` where an entry has none (it is
    /// read back). Keys beyond what the feed holds are dropped, to be read back too.
    pub fn feed(&self, first: u64, keys: impl IntoIterator<Item = Option<Extracted<'static>>>) {
        let Ok(mut feed) = self.feed.lock() else {
            return;
        };
        for (seq, keys) in (first..).zip(keys) {
            if feed.len() >= FEED_MAX {
                break;
            }
            if let Some(keys) = keys {
                feed.insert(seq, keys);
            }
        }
    }

    /// The fed keys of `from..end`, dropping any older (their entries are indexed already).
    fn take_fed(&self, from: u64, end: u64) -> BTreeMap<u64, Extracted<'static>> {
        let Ok(mut feed) = self.feed.lock() else {
            return BTreeMap::new();
        };
        let mut wanted = feed.split_off(&from);
        let later = wanted.split_off(&end);
        *feed = later;
        wanted
    }

    /// Writes the full open segment to its file and moves the watermark past it.
    fn freeze(&self, state: &mut State) -> Result<()> {
        let i = state.frozen.len();
        let path = self.segment_path(i);
        let tail = std::mem::take(&mut state.tail);
        let seg: Frozen = if self.writable {
            file::write(&path, &tail.parts())?;
            sync_dir(&self.dir)?;
            write_atomic(
                &self.dir.join("watermark"),
                watermark_text(i + 1, self.seg_len).as_bytes(),
            )?;
            Arc::new(SegmentFile::open(path)?)
        } else {
            // A reader may not write files: it keeps the segment in memory.
            Arc::new(tail)
        };
        state.frozen.push(seg);
        Ok(())
    }

    /// Saves the open segment (`DIR/index/tail`) so the next open starts from it.
    pub fn save_tail(&self) -> Result<()> {
        if !self.writable {
            return Ok(());
        }
        let state = self.read_state()?;
        if state.tail.entries() == 0 {
            return Ok(());
        }
        let path = self.dir.join("tail");
        file::write(&path, &state.tail.parts())?;
        sync_dir(&self.dir)
    }

    /// Deletes the index and builds it again from the log's first `to` entries.
    pub fn rebuild(&self, to: u64, read: ReadEntry<'_>) -> Result<u64> {
        self.clear()?;
        self.catch_up(to, read)
    }
}

fn check_leaf(read: ReadEntry<'_>, seq: u64, leaf: [u8; 32]) -> Result<()> {
    let entry = read(seq)?;
    if leaf_hash(&entry.header_bytes) != leaf {
        return Err(StoreError::Damaged(format!(
            "index entry {seq} is not the log's entry {seq}"
        )));
    }
    Ok(())
}

/// A saved open segment, rebuilt into a builder if it starts where the frozen ones end and
/// matches the log.
fn adopt_tail(
    tail: &SegmentFile,
    base: u64,
    size: u64,
    seg_len: u64,
    read: ReadEntry<'_>,
) -> Option<Builder> {
    let n = u64::from(tail.entry_count());
    if n == 0 || n >= seg_len || base + n > size {
        return None;
    }
    check_leaf(read, base + n - 1, tail.last_leaf()).ok()?;
    Builder::from_segment(tail).ok()
}
