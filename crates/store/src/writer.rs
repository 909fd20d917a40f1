//! The sequencer: one thread that numbers entries, writes them, fsyncs once per group, answers
//! every appender in the group, then integrates the new leaves into the stored hashes.
//!
//! Group commit: the writer takes everything queued while its previous fsync ran, so there is no
//! fixed batching delay and many concurrent appends share one fsync. The writer does as little
//! as it can per entry: bodies arrive encoded, are handed to the kernel without copying, and go
//! back to their appenders to be freed.

use std::fs::File;
use std::io::{IoSlice, Seek, SeekFrom, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::Instant;

use authtrail_ledger::hash::leaf_hash;
use authtrail_ledger::tree::Frontier;

use crate::error::{Result, StoreError};
use crate::layout::{segment_of, Slot, SEGMENT_ENTRIES, SLOT_SIZE};
use crate::log::Shared;
use crate::prepare::PreparedEntry;

/// Most bytes of bodies gathered into one group before it is written.
const MAX_GROUP_BYTES: usize = 64 * 1024 * 1024;
/// Buffers per `writev` call (Linux allows 1024).
const MAX_IOVECS: usize = 1024;

/// The answer to an append: the seqs assigned, and the entries handed back to be freed.
pub(crate) type AppendReply = (Result<Range<u64>>, Vec<PreparedEntry>);

/// One appender's request: its entries and where to send the answer.
pub(crate) struct AppendRequest {
    pub(crate) entries: Vec<PreparedEntry>,
    pub(crate) reply: Sender<AppendReply>,
}

/// The writer's own state: the next seq, where the current segment ends, the tree's right edge.
pub(crate) struct Writer {
    pub(crate) shared: Arc<Shared>,
    pub(crate) next_seq: u64,
    pub(crate) segment_len: u64,
    pub(crate) frontier: Frontier,
}

impl Writer {
    /// Serve append requests until every sender is gone.
    pub(crate) fn run(mut self, requests: Receiver<AppendRequest>) {
        while let Ok(first) = requests.recv() {
            let mut weight: usize = first.entries.iter().map(PreparedEntry::weight).sum();
            let mut group = vec![first];
            while weight < MAX_GROUP_BYTES {
                match requests.try_recv() {
                    Ok(r) => {
                        weight += r.entries.iter().map(PreparedEntry::weight).sum::<usize>();
                        group.push(r);
                    }
                    Err(_) => break,
                }
            }
            self.commit(group);
        }
    }

    fn commit(&mut self, mut group: Vec<AppendRequest>) {
        if let Some(reason) = self.shared.poison_reason() {
            for r in group {
                let _ = r
                    .reply
                    .send((Err(StoreError::Poisoned(reason.clone())), r.entries));
            }
            return;
        }
        let start = self.next_seq;
        match self.write_group(&mut group) {
            Ok(leaves) => {
                let mut seq = start;
                for r in group {
                    let n = r.entries.len() as u64;
                    let _ = r.reply.send((Ok(seq..seq + n), r.entries));
                    seq += n;
                }
                if let Err(e) = self.integrate(&leaves) {
                    self.shared
                        .poison(format!("integrating entries from {start}: {e}"));
                }
            }
            Err(e) => {
                let reason = format!("writing entries from {start}: {e}");
                tracing::error!(%reason, "append failed; log is now read-only until restart");
                self.shared.poison(reason.clone());
                for r in group {
                    let _ = r
                        .reply
                        .send((Err(StoreError::Poisoned(reason.clone())), r.entries));
                }
            }
        }
    }

    /// Seal, write and fsync the group's bodies and slots; returns the leaf (header) bytes.
    fn write_group(&mut self, group: &mut [AppendRequest]) -> Result<Vec<Vec<u8>>> {
        let count: usize = group.iter().map(|r| r.entries.len()).sum();
        let mut slots = Vec::with_capacity(count * SLOT_SIZE);
        let mut leaves = Vec::with_capacity(count);
        // Where each segment's part of the group starts: (segment, offset, first entry index).
        let mut runs: Vec<(u64, u64, usize)> = Vec::new();
        let mut seq = self.next_seq;
        let mut seg_len = self.segment_len;
        for (i, entry) in group
            .iter_mut()
            .flat_map(|r| r.entries.iter_mut())
            .enumerate()
        {
            if seq.is_multiple_of(SEGMENT_ENTRIES) {
                seg_len = 0;
            }
            if runs.last().map(|r| r.0) != Some(segment_of(seq)) {
                runs.push((segment_of(seq), seg_len, i));
            }
            entry.seal(seq);
            let header = entry.header(seq).encode()?;
            Slot {
                header: header.clone(),
                body_offset: seg_len,
                body_len: entry.record.len() as u32,
            }
            .encode(&mut slots);
            seg_len += entry.record.len() as u64;
            leaves.push(header);
            seq += 1;
        }
        let files = &self.shared.files;
        let records: Vec<&[u8]> = group
            .iter()
            .flat_map(|r| r.entries.iter().map(|e| e.record.as_slice()))
            .collect();
        let mut segment_files = Vec::with_capacity(runs.len());
        for (k, &(segment, offset, first)) in runs.iter().enumerate() {
            let end = runs.get(k + 1).map_or(records.len(), |r| r.2);
            let f = files.segment(segment)?;
            write_all_vectored_at(&f, offset, &records[first..end])
                .map_err(|e| StoreError::io("write bodies", files.layout.segment(segment), e))?;
            segment_files.push((segment, f));
        }
        files
            .headers
            .write_all_at(&slots, self.next_seq * SLOT_SIZE as u64)
            .map_err(|e| StoreError::io("write slots", files.layout.headers(), e))?;
        // The two files' syncs overlap: the disk sees both flushes at once.
        let syncing = Instant::now();
        std::thread::scope(|scope| -> Result<()> {
            let bodies = scope.spawn(|| -> Result<()> {
                for (segment, f) in &segment_files {
                    f.sync_data().map_err(|e| {
                        StoreError::io("sync bodies", files.layout.segment(*segment), e)
                    })?;
                }
                Ok(())
            });
            let slots_synced = files
                .headers
                .sync_data()
                .map_err(|e| StoreError::io("sync slots", files.layout.headers(), e));
            bodies
                .join()
                .unwrap_or_else(|_| Err(StoreError::Poisoned("sync thread panicked".into())))?;
            slots_synced
        })?;
        crate::telemetry::record_group(count, syncing.elapsed());
        // The index keys go to the index before the entries count as durable: the indexer only
        // reads entries below the durable size, so it finds their keys fed and parses nothing.
        if let Some(index) = self.shared.index.get() {
            index.feed(
                self.next_seq,
                group
                    .iter_mut()
                    .flat_map(|r| r.entries.iter_mut())
                    .map(|e| e.index_keys.take()),
            );
        }
        self.next_seq = seq;
        self.segment_len = seg_len;
        self.shared.durable.store(seq, Ordering::Release);
        self.shared.notify_grown();
        Ok(leaves)
    }

    /// Hash the new leaves into the tree and store every completed subtree hash.
    fn integrate(&mut self, leaves: &[Vec<u8>]) -> Result<()> {
        self.shared
            .files
            .append_leaves(&mut self.frontier, leaves.iter().map(|l| Ok(leaf_hash(l))))?;
        self.shared
            .integrated
            .store(self.frontier.size(), Ordering::Release);
        self.shared.notify_integrated();
        Ok(())
    }
}

/// Write `bufs` back to back at `offset` with as few `writev` calls as the kernel allows.
///
/// Only the writer thread moves this file's cursor; readers use positioned reads.
fn write_all_vectored_at(file: &File, offset: u64, bufs: &[&[u8]]) -> std::io::Result<()> {
    let mut f = file;
    f.seek(SeekFrom::Start(offset))?;
    for chunk in bufs.chunks(MAX_IOVECS) {
        let mut slices: Vec<IoSlice<'_>> = chunk.iter().map(|b| IoSlice::new(b)).collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            let n = f.write_vectored(rest)?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::WriteZero,
                    "writev wrote nothing",
                ));
            }
            IoSlice::advance_slices(&mut rest, n);
        }
    }
    Ok(())
}
