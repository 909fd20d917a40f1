//! The embedded log: open, append (group commit), read entries, tiles and proofs, publish
//! checkpoints, close.

use std::fs::File;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Condvar, Mutex, OnceLock, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use authtrail_ledger::checkpoint::{open_checkpoint, sign_checkpoint, Checkpoint};
use authtrail_ledger::note::{Ed25519Signer, NoteSigner, NoteVerifier};
use authtrail_ledger::tile::TileId;
use authtrail_ledger::tree::root_at;
use authtrail_ledger::Hash;

use crate::error::{Result, StoreError};
use crate::files::LogFiles;
use crate::index::{Index, Indexed};
use crate::keys::load_signer;
use crate::layout::{Layout, SEGMENT_ENTRIES};
use crate::prepare::PreparedEntry;
use crate::read::{self, StoredEntry};
use crate::recover::recover;
use crate::search::{Scan, Search};
use crate::sync::write_atomic;
use crate::writer::{AppendRequest, Writer};

/// Longest a read waits for acknowledged entries to be integrated (integration takes
/// microseconds per entry, so this only bounds a stalled writer).
const INTEGRATION_WAIT: Duration = Duration::from_secs(2);

/// Settings of an embedded log; each default is explained where it is set.
#[derive(Clone, Debug)]
pub struct LogOptions {
    /// Longest time between entries being integrated and a checkpoint covering them.
    pub checkpoint_interval: Duration,
    /// Append requests that may wait for the writer before appenders block.
    pub queue_depth: usize,
    /// Keep the search index up to date as entries are committed.
    pub index: bool,
    /// Entries per index segment (small values exercise segment edges in tests).
    pub index_segment_len: u64,
    /// Pack full body segments into compressed blocks (see `packed`).
    pub pack_bodies: bool,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            // DESIGN.md §4: a new checkpoint at least every second while entries arrive.
            checkpoint_interval: Duration::from_secs(1),
            // Enough for many concurrent clients; beyond it, back-pressure reaches them.
            queue_depth: 1024,
            // Search answers from the index; off only to measure what indexing costs.
            index: true,
            index_segment_len: crate::index::DEFAULT_SEGMENT_LEN,
            // Bodies take about a tenth of the space packed; reads inflate 32 KiB blocks.
            pack_bodies: true,
        }
    }
}

/// A checkpoint as published: the parsed body and the whole signed note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The checkpoint body.
    pub checkpoint: Checkpoint,
    /// The signed note text (body, blank line, signature lines).
    pub note: String,
}

/// State shared between the writer, the publisher and readers.
pub(crate) struct Shared {
    pub(crate) files: LogFiles,
    /// Entries sequenced and fsynced (acknowledged).
    pub(crate) durable: AtomicU64,
    /// Entries whose hashes are stored.
    pub(crate) integrated: AtomicU64,
    checkpoint: RwLock<Arc<SignedCheckpoint>>,
    /// When the latest checkpoint was signed (its file's time, for one found at open).
    published_at: Mutex<Option<SystemTime>>,
    poison: Mutex<Option<String>>,
    wake: (Mutex<bool>, Condvar),
    /// Signalled each time entries become durable (and on close), for followers of the log.
    grown: (Mutex<()>, Condvar),
    /// Held while a checkpoint is signed and written, so publishers never interleave.
    publishing: Mutex<()>,
    /// The search index, which the writer feeds each group's keys before the group counts as
    /// durable, so the indexer never reads back and parses an entry whose keys are on their way.
    pub(crate) index: OnceLock<Arc<Index>>,
}

impl Shared {
    pub(crate) fn poison(&self, reason: String) {
        if let Ok(mut p) = self.poison.lock() {
            p.get_or_insert(reason);
        }
    }

    pub(crate) fn poison_reason(&self) -> Option<String> {
        self.poison
            .lock()
            .map(|p| p.clone())
            .unwrap_or_else(|_| Some("lock poisoned".into()))
    }

    /// Wakes the threads waiting for the log to grow.
    pub(crate) fn notify_grown(&self) {
        let (lock, cv) = &self.grown;
        // Taking the lock orders this after a waiter's check of the size: no wakeup is lost.
        let _guard = lock.lock();
        cv.notify_all();
    }

    pub(crate) fn notify_integrated(&self) {
        let (lock, cv) = &self.wake;
        if let Ok(mut woken) = lock.lock() {
            *woken = true;
            cv.notify_all();
        }
    }
}

/// The embedded log in a data directory: one writer process, any number of reader threads.
pub struct EmbeddedLog {
    shared: Arc<Shared>,
    signer: Arc<Ed25519Signer>,
    requests: Mutex<Option<SyncSender<AppendRequest>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    publisher: Mutex<Option<JoinHandle<()>>>,
    stop: Arc<(Mutex<bool>, Condvar)>,
    lock: Mutex<Option<File>>,
    index: Option<Arc<Index>>,
    indexer: Mutex<Option<JoinHandle<()>>>,
    packer: Mutex<Option<JoinHandle<()>>>,
    /// Entries cut from an incomplete tail when the log was opened.
    pub recovered_cut: u64,
}

impl EmbeddedLog {
    /// Open the initialized data directory for writing: lock it, repair its tail, start the writer.
    pub fn open(dir: impl Into<std::path::PathBuf>, options: LogOptions) -> Result<Self> {
        let layout = Layout::new(dir);
        let signer = Arc::new(load_signer(&layout)?);
        let lock_path = layout.lock();
        let lock = File::create(&lock_path).map_err(|e| StoreError::io("create", &lock_path, e))?;
        lock.try_lock()
            .map_err(|_| StoreError::Locked(layout.root().to_path_buf()))?;
        let verifier = signer.verifier();
        let existing = read_checkpoint(&layout, &verifier)?;
        let existing_at = existing
            .as_ref()
            .and_then(|_| std::fs::metadata(layout.checkpoint()).ok())
            .and_then(|m| m.modified().ok());
        crate::keys::create_dirs(&layout)?;
        let files = LogFiles::open(layout.clone(), true)?;
        let recovered = recover(&files, existing.as_ref().map_or(0, |c| c.checkpoint.size))?;
        let shared = Arc::new(Shared {
            files,
            durable: AtomicU64::new(recovered.size),
            integrated: AtomicU64::new(recovered.size),
            checkpoint: RwLock::new(Arc::new(match existing {
                Some(c) => c,
                None => publish(&layout, &*signer, 0, authtrail_ledger::hash::empty_root())?,
            })),
            published_at: Mutex::new(existing_at.or_else(|| Some(SystemTime::now()))),
            poison: Mutex::new(None),
            wake: (Mutex::new(false), Condvar::new()),
            grown: (Mutex::new(()), Condvar::new()),
            publishing: Mutex::new(()),
            index: OnceLock::new(),
        });
        if recovered.size
            > shared
                .checkpoint
                .read()
                .map(|c| c.checkpoint.size)
                .unwrap_or(0)
        {
            shared.notify_integrated();
        }
        let (tx, rx) = mpsc::sync_channel(options.queue_depth);
        let writer = Writer {
            shared: shared.clone(),
            next_seq: recovered.size,
            segment_len: recovered.segment_len,
            frontier: recovered.frontier,
        };
        let writer = std::thread::Builder::new()
            .name("authtrail-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| StoreError::io("spawn", "writer thread", e))?;
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let index = if options.index {
            let read = |seq| read::entry(&shared.files, recovered.size, seq);
            Some(Arc::new(Index::open_with(
                &layout,
                recovered.size,
                &read,
                true,
                options.index_segment_len,
            )?))
        } else {
            None
        };
        if let Some(index) = &index {
            // Before any append can be made: the log is not returned yet.
            let _ = shared.index.set(index.clone());
        }
        let indexer = match &index {
            Some(index) => {
                let (shared, index, stop) = (shared.clone(), index.clone(), stop.clone());
                Some(
                    std::thread::Builder::new()
                        .name("authtrail-indexer".into())
                        .spawn(move || run_indexer(&shared, &index, &stop))
                        .map_err(|e| StoreError::io("spawn", "indexer thread", e))?,
                )
            }
            None => None,
        };
        let packer = if options.pack_bodies {
            let (shared, stop) = (shared.clone(), stop.clone());
            Some(
                std::thread::Builder::new()
                    .name("authtrail-packer".into())
                    .spawn(move || run_packer(&shared, &stop))
                    .map_err(|e| StoreError::io("spawn", "packer thread", e))?,
            )
        } else {
            None
        };
        let publisher = {
            let (shared, signer, stop) = (shared.clone(), signer.clone(), stop.clone());
            std::thread::Builder::new()
                .name("authtrail-publisher".into())
                .spawn(move || run_publisher(&shared, &*signer, options.checkpoint_interval, &stop))
                .map_err(|e| StoreError::io("spawn", "publisher thread", e))?
        };
        Ok(EmbeddedLog {
            shared,
            signer,
            requests: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
            publisher: Mutex::new(Some(publisher)),
            stop,
            lock: Mutex::new(Some(lock)),
            index,
            indexer: Mutex::new(indexer),
            packer: Mutex::new(packer),
            recovered_cut: recovered.cut,
        })
    }

    /// Append entries; returns their seqs once they are durable (all or nothing).
    pub fn append(&self, entries: Vec<PreparedEntry>) -> Result<Range<u64>> {
        if entries.is_empty() {
            let n = self.size();
            return Ok(n..n);
        }
        let sender = self
            .requests
            .lock()
            .map_err(|_| StoreError::Closed)?
            .clone()
            .ok_or(StoreError::Closed)?;
        let (reply, answer) = mpsc::channel();
        sender
            .send(AppendRequest { entries, reply })
            .map_err(|_| StoreError::Closed)?;
        // The entries come back with the answer, so this thread, not the writer, frees them
        // (the writer has fed their index keys to the index).
        let (result, entries) = answer.recv().map_err(|_| StoreError::Closed)?;
        drop(entries);
        result
    }

    /// Number of durable (acknowledged) entries.
    pub fn size(&self) -> u64 {
        self.shared.durable.load(Ordering::Acquire)
    }

    /// Waits until the log holds more than `known` durable entries, it is closed, or `timeout`
    /// passes; answers the size then.
    pub fn wait_for_growth(&self, known: u64, timeout: Duration) -> u64 {
        let deadline = Instant::now() + timeout;
        let (lock, cv) = &self.shared.grown;
        let Ok(mut guard) = lock.lock() else {
            return self.size();
        };
        loop {
            let size = self.size();
            let now = Instant::now();
            if size > known || now >= deadline || self.is_closed() {
                return size;
            }
            match cv.wait_timeout(guard, deadline - now) {
                Ok((g, _)) => guard = g,
                Err(_) => return self.size(),
            }
        }
    }

    /// Whether [`close`](EmbeddedLog::close) has begun: no more appends are taken.
    pub fn is_closed(&self) -> bool {
        self.requests.lock().map_or(true, |r| r.is_none())
    }

    /// Number of entries whose hashes are stored (tiles and proofs reach this far).
    pub fn integrated_size(&self) -> u64 {
        self.shared.integrated.load(Ordering::Acquire)
    }

    /// The latest signed checkpoint.
    pub fn checkpoint(&self) -> Arc<SignedCheckpoint> {
        self.shared
            .checkpoint
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// When the latest checkpoint was signed, if known (for one found at open: its file's time).
    pub fn checkpoint_published_at(&self) -> Option<SystemTime> {
        self.shared.published_at.lock().ok().and_then(|t| *t)
    }

    /// Where the log's files are (for verification and file times).
    pub fn layout(&self) -> &Layout {
        &self.shared.files.layout
    }

    /// The log's verifier key.
    pub fn verifier(&self) -> NoteVerifier {
        self.signer.verifier()
    }

    /// Read entry `seq` with its bodies.
    pub fn entry(&self, seq: u64) -> Result<StoredEntry> {
        read::entry(&self.shared.files, self.size(), seq)
    }

    /// Read the entries of `range` with their bodies (the slots and a plain segment's bodies
    /// each in one read: a reader of many entries, such as the detector, does not pay a read
    /// per entry).
    pub fn entries(&self, range: Range<u64>) -> Result<Vec<StoredEntry>> {
        read::entries(&self.shared.files, self.size(), range)
    }

    /// The bytes of a tile or entry bundle, if the log has grown far enough to hold it.
    pub fn tile(&self, id: TileId) -> Result<Vec<u8>> {
        read::tile(&self.shared.files, self.integrated_size(), id)
    }

    /// Inclusion proof of `seq` in the tree of `size` entries, with that tree's root.
    pub fn inclusion_proof(&self, seq: u64, size: u64) -> Result<(Vec<Hash>, Hash)> {
        read::inclusion_proof(&self.shared.files, self.integrated_for(size), seq, size)
    }

    /// Consistency proof between tree sizes `from` and `to`.
    pub fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>> {
        read::consistency_proof(&self.shared.files, self.integrated_for(to), from, to)
    }

    /// Root hash of the tree of `size` entries.
    pub fn root(&self, size: u64) -> Result<Hash> {
        read::root(&self.shared.files, self.integrated_for(size), size)
    }

    /// The integrated size, after waiting (briefly) for `size` if it is acknowledged but not yet
    /// hashed into the tree, so a proof asked for right after an append is answered.
    fn integrated_for(&self, size: u64) -> u64 {
        let deadline = Instant::now() + INTEGRATION_WAIT;
        loop {
            let have = self.integrated_size();
            if have >= size || size > self.size() || Instant::now() >= deadline {
                return have;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// The search index, unless the log was opened without one.
    pub fn index(&self) -> Option<&Index> {
        self.index.as_deref()
    }

    /// Answers queries over the committed entries, with the index when there is one.
    pub fn search(&self) -> Box<dyn Search + '_> {
        match self.index() {
            Some(index) => Box::new(Indexed::new(self, index)),
            None => Box::new(Scan::new(self)),
        }
    }

    /// Index every committed entry now (the indexer thread does this within a moment anyway).
    pub fn index_now(&self) -> Result<u64> {
        match self.index() {
            Some(index) => {
                let size = self.size();
                index.catch_up(size, &|seq| read::entry(&self.shared.files, size, seq))
            }
            None => Ok(0),
        }
    }

    /// Pack every full body segment still plain now (the packer thread does this within a
    /// second or so anyway); returns how many it packed.
    pub fn pack_now(&self) -> Result<u64> {
        let full = self.size() / SEGMENT_ENTRIES;
        let mut packed = 0;
        for segment in 0..full {
            packed += u64::from(self.shared.files.pack_if_plain(segment)?);
        }
        Ok(packed)
    }

    /// Delete the index and build it again from the committed entries; returns entries indexed.
    pub fn reindex(&self) -> Result<u64> {
        match self.index() {
            Some(index) => {
                let size = self.size();
                index.rebuild(size, &|seq| read::entry(&self.shared.files, size, seq))
            }
            None => Ok(0),
        }
    }

    /// Sign and publish a checkpoint now if entries arrived since the last one.
    pub fn publish_now(&self) -> Result<Arc<SignedCheckpoint>> {
        publish_if_grown(&self.shared, &*self.signer)?;
        Ok(self.checkpoint())
    }

    /// Stop accepting appends, finish queued ones, publish a final checkpoint and release the lock.
    pub fn close(&self) -> Result<Arc<SignedCheckpoint>> {
        if let Ok(mut r) = self.requests.lock() {
            r.take();
        }
        self.shared.notify_grown();
        if let Some(w) = self.writer.lock().ok().and_then(|mut w| w.take()) {
            let _ = w.join();
        }
        {
            let (lock, cv) = &*self.stop;
            if let Ok(mut s) = lock.lock() {
                *s = true;
            }
            cv.notify_all();
            self.shared.notify_integrated();
        }
        if let Some(p) = self.publisher.lock().ok().and_then(|mut p| p.take()) {
            let _ = p.join();
        }
        if let Some(i) = self.indexer.lock().ok().and_then(|mut i| i.take()) {
            let _ = i.join();
        }
        if let Some(p) = self.packer.lock().ok().and_then(|mut p| p.take()) {
            let _ = p.join();
        }
        let last = self.publish_now();
        // Dropping the file releases the flock: another process may now open the directory.
        if let Ok(mut l) = self.lock.lock() {
            l.take();
        }
        last
    }
}

impl Drop for EmbeddedLog {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            tracing::error!(error = %e, "closing the log");
        }
    }
}

/// Read and check the data directory's latest checkpoint, if it has one.
pub fn read_checkpoint(
    layout: &Layout,
    verifier: &NoteVerifier,
) -> Result<Option<SignedCheckpoint>> {
    let path = layout.checkpoint();
    let note = match std::fs::read_to_string(&path) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io("read", &path, e)),
    };
    let checkpoint = open_checkpoint(note.as_bytes(), verifier)
        .map_err(|e| StoreError::Damaged(format!("checkpoint file: {e}")))?;
    Ok(Some(SignedCheckpoint { checkpoint, note }))
}

fn publish(
    layout: &Layout,
    signer: &dyn NoteSigner,
    size: u64,
    root: Hash,
) -> Result<SignedCheckpoint> {
    let checkpoint = Checkpoint {
        origin: signer.name().to_string(),
        size,
        root,
        extensions: Vec::new(),
    };
    let note = sign_checkpoint(&checkpoint, signer)?;
    write_atomic(&layout.checkpoint(), note.as_bytes())?;
    Ok(SignedCheckpoint { checkpoint, note })
}

fn publish_if_grown(shared: &Shared, signer: &dyn NoteSigner) -> Result<()> {
    let _publishing = shared
        .publishing
        .lock()
        .map_err(|_| StoreError::Poisoned("a publisher panicked".into()))?;
    let size = shared.integrated.load(Ordering::Acquire);
    let current = shared
        .checkpoint
        .read()
        .map(|c| c.checkpoint.size)
        .unwrap_or(0);
    if size <= current {
        return Ok(());
    }
    // Hashes below a published checkpoint must survive a crash: recovery trusts them.
    shared.files.sync_levels()?;
    let root = root_at(&shared.files, size)?;
    let signed = publish(&shared.files.layout, signer, size, root)?;
    if let Ok(mut c) = shared.checkpoint.write() {
        *c = Arc::new(signed);
    }
    if let Ok(mut at) = shared.published_at.lock() {
        *at = Some(SystemTime::now());
    }
    Ok(())
}

fn run_publisher(
    shared: &Shared,
    signer: &dyn NoteSigner,
    interval: Duration,
    stop: &(Mutex<bool>, Condvar),
) {
    let mut last = Instant::now();
    loop {
        // Wait for new entries (or a stop), then at most until a checkpoint is due.
        {
            let (lock, cv) = &shared.wake;
            let Ok(mut woken) = lock.lock() else { return };
            while !*woken && !stop_requested(stop) {
                woken = match cv.wait_timeout(woken, interval) {
                    Ok((w, _)) => w,
                    Err(_) => return,
                };
            }
            *woken = false;
        }
        if stop_requested(stop) {
            return;
        }
        let due = last + interval;
        let now = Instant::now();
        if due > now {
            let (lock, cv) = stop;
            if let Ok(guard) = lock.lock() {
                let _ = cv.wait_timeout_while(guard, due - now, |s| !*s);
            }
        }
        if let Err(e) = publish_if_grown(shared, signer) {
            tracing::error!(error = %e, "publishing a checkpoint failed");
        }
        last = Instant::now();
    }
}

/// How long the indexer waits between looks at the log while idle.
const INDEX_POLL: Duration = Duration::from_millis(50);

/// Keeps the index up with the durable entries until stopped; then indexes the last ones and
/// saves the open segment.
fn run_indexer(shared: &Shared, index: &Index, stop: &(Mutex<bool>, Condvar)) {
    loop {
        let stopping = stop_requested(stop);
        let durable = shared.durable.load(Ordering::Acquire);
        let read = |seq| read::entry(&shared.files, durable, seq);
        if let Err(e) = index.catch_up(durable, &read) {
            tracing::error!(error = %e, "indexing failed; search scans what the index lacks");
            if stopping {
                return;
            }
        }
        if stopping {
            if let Err(e) = index.save_tail() {
                tracing::warn!(error = %e, "saving the open index segment");
            }
            return;
        }
        let (lock, cv) = stop;
        if let Ok(guard) = lock.lock() {
            let _ = cv.wait_timeout_while(guard, INDEX_POLL, |s| !*s);
        }
    }
}

/// How often the packer looks for full body segments.
const PACK_POLL: Duration = Duration::from_secs(1);

/// Packs every body segment whose entries are all durable, the writer having moved past it,
/// until stopped. A segment is packed whole or not at all; a failure is retried later.
fn run_packer(shared: &Shared, stop: &(Mutex<bool>, Condvar)) {
    let mut next = 0u64;
    while !stop_requested(stop) {
        let full = shared.durable.load(Ordering::Acquire) / SEGMENT_ENTRIES;
        while next < full && !stop_requested(stop) {
            if let Err(e) = shared.files.pack_if_plain(next) {
                tracing::warn!(segment = next, error = %e, "packing body segment; will retry");
                break;
            }
            next += 1;
        }
        let (lock, cv) = stop;
        if let Ok(guard) = lock.lock() {
            let _ = cv.wait_timeout_while(guard, PACK_POLL, |s| !*s);
        }
    }
}

fn stop_requested(stop: &(Mutex<bool>, Condvar)) -> bool {
    stop.0.lock().map(|s| *s).unwrap_or(true)
}
