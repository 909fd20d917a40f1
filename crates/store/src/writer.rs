//! The sequencer: one thread that numbers entries, writes them, fsyncs once per group, answers
//! every appender in the group, then integrates the new leaves into the stored hashes.
//!
//! Group commit: the writer takes everything queued while its previous fsync ran, so there is no
//! fixed batching delay and many concurrent appends share one fsync.

use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use authtrail_ledger::hash::leaf_hash;
use authtrail_ledger::tree::Frontier;
use authtrail_ledger::HASH_SIZE;

use crate::error::{Result, StoreError};
use crate::layout::{body_record_len, encode_body, segment_of, Slot, SEGMENT_ENTRIES, SLOT_SIZE};
use crate::log::Shared;
use crate::prepare::PreparedEntry;

/// Most bytes of bodies gathered into one group before it is written.
const MAX_GROUP_BYTES: usize = 64 * 1024 * 1024;

/// One appender's request: its entries and where to send the assigned range.
pub(crate) struct AppendRequest {
    pub(crate) entries: Vec<PreparedEntry>,
    pub(crate) reply: Sender<Result<Range<u64>>>,
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
            let mut group = vec![first];
            let mut weight: usize = group[0].entries.iter().map(PreparedEntry::weight).sum();
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

    fn commit(&mut self, group: Vec<AppendRequest>) {
        if let Some(reason) = self.shared.poison_reason() {
            for r in group {
                let _ = r.reply.send(Err(StoreError::Poisoned(reason.clone())));
            }
            return;
        }
        let start = self.next_seq;
        match self.write_group(&group) {
            Ok(leaves) => {
                let mut seq = start;
                for r in &group {
                    let n = r.entries.len() as u64;
                    let _ = r.reply.send(Ok(seq..seq + n));
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
                    let _ = r.reply.send(Err(StoreError::Poisoned(reason.clone())));
                }
            }
        }
    }

    /// Write slots and bodies for the whole group and fsync them; returns the leaf (header) bytes.
    fn write_group(&mut self, group: &[AppendRequest]) -> Result<Vec<Vec<u8>>> {
        let files = &self.shared.files;
        let count: usize = group.iter().map(|r| r.entries.len()).sum();
        let mut slots = Vec::with_capacity(count * SLOT_SIZE);
        let mut leaves = Vec::with_capacity(count);
        // Bodies per segment: (segment, first offset, bytes).
        let mut bodies: Vec<(u64, u64, Vec<u8>)> = Vec::new();
        let mut seq = self.next_seq;
        let mut seg_len = self.segment_len;
        for entry in group.iter().flat_map(|r| r.entries.iter()) {
            let segment = segment_of(seq);
            if seq.is_multiple_of(SEGMENT_ENTRIES) {
                seg_len = 0;
            }
            if bodies.last().map(|b| b.0) != Some(segment) {
                bodies.push((segment, seg_len, Vec::new()));
            }
            let buf = &mut bodies.last_mut().ok_or(StoreError::Closed)?.2;
            let offset = seg_len;
            let len = body_record_len(entry.event.len(), entry.raw.len());
            encode_body(buf, seq, &entry.salt, &entry.event, &entry.raw);
            seg_len += len as u64;
            let header = entry.header(seq).encode()?;
            Slot {
                header: header.clone(),
                body_offset: offset,
                body_len: len as u32,
            }
            .encode(&mut slots);
            leaves.push(header);
            seq += 1;
        }
        for (segment, offset, bytes) in &bodies {
            let f = files.segment(*segment)?;
            f.write_all_at(bytes, *offset)
                .and_then(|_| f.sync_data())
                .map_err(|e| StoreError::io("write bodies", files.layout.segment(*segment), e))?;
        }
        files
            .headers
            .write_all_at(&slots, self.next_seq * SLOT_SIZE as u64)
            .and_then(|_| files.headers.sync_data())
            .map_err(|e| StoreError::io("write slots", files.layout.headers(), e))?;
        self.next_seq = seq;
        self.segment_len = seg_len;
        self.shared.durable.store(seq, Ordering::Release);
        Ok(leaves)
    }

    /// Hash the new leaves into the tree and store every completed subtree hash.
    fn integrate(&mut self, leaves: &[Vec<u8>]) -> Result<()> {
        let files = &self.shared.files;
        let old = self.frontier.size();
        // Per level: index of the first new hash and the new hashes' bytes.
        let mut pending: Vec<(u64, Vec<u8>)> = Vec::new();
        for leaf in leaves {
            self.frontier
                .append(leaf_hash(leaf), |level, index, hash| {
                    let l = usize::from(level);
                    if pending.len() <= l {
                        pending.resize_with(l + 1, || (u64::MAX, Vec::new()));
                    }
                    if pending[l].0 == u64::MAX {
                        pending[l].0 = index;
                    }
                    pending[l].1.extend_from_slice(&hash);
                    Ok(())
                })?;
        }
        for (level, (first, bytes)) in pending.iter().enumerate() {
            if bytes.is_empty() {
                continue;
            }
            let f = files.level(level as u8)?;
            f.write_all_at(bytes, first * HASH_SIZE as u64)
                .map_err(|e| StoreError::io("write hashes", files.layout.level(level as u8), e))?;
        }
        debug_assert_eq!(self.frontier.size(), old + leaves.len() as u64);
        self.shared
            .integrated
            .store(self.frontier.size(), Ordering::Release);
        self.shared.notify_integrated();
        Ok(())
    }
}
