//! [`Search`] answered with the index: each segment's candidates come from its postings, every
//! candidate event is read and checked against the query (so a wider-than-needed candidate set
//! costs reads, never correctness), pipes count from the stored first values when the candidates
//! are exact, and entries the index has not reached yet are scanned.

use roaring::RoaringBitmap;

use super::keys::field_paths;
use super::plan::{candidates, Candidates};
use super::segment::{Column, SegmentRead};
use super::{Frozen, Index};
use crate::error::Result;
use crate::query::{Pipe, Query, Tally};
use crate::search::{fill_page, tally_seqs, Entries, Page, Search, Tallied};

/// A search over `entries` that uses `index`.
pub struct Indexed<'a, E: Entries + ?Sized> {
    entries: &'a E,
    index: &'a Index,
}

impl<'a, E: Entries + ?Sized> Indexed<'a, E> {
    /// Searches `entries` (bounded by their size) with the help of `index`.
    pub fn new(entries: &'a E, index: &'a Index) -> Self {
        Indexed { entries, index }
    }

    /// Calls `f` with the first seq and candidates of each segment overlapping `from..bound`,
    /// in order, until it returns false; returns the seq up to which the index answered.
    fn each_segment(
        &self,
        query: &Query,
        from: u64,
        bound: u64,
        f: &mut dyn FnMut(u64, Candidates, &dyn SegmentRead) -> Result<bool>,
    ) -> Result<u64> {
        let seg_len = self.index.segment_len();
        let frozen: Vec<Frozen> = self.index.read_state()?.frozen.clone();
        let first = usize::try_from(from / seg_len).unwrap_or(usize::MAX);
        for (i, seg) in frozen.iter().enumerate().skip(first) {
            let base = i as u64 * seg_len;
            if base >= bound {
                return Ok(bound);
            }
            let c = clamp(candidates(query, seg.as_ref())?, base, from, bound, seg_len);
            if !f(base, c, seg.as_ref())? {
                return Ok(bound);
            }
        }
        let base = frozen.len() as u64 * seg_len;
        if base >= bound {
            return Ok(bound);
        }
        let state = self.index.read_state()?;
        let (seg, len): (&dyn SegmentRead, u64) = match state.frozen.get(frozen.len()) {
            // The open segment was frozen since the list was taken.
            Some(seg) => (seg.as_ref(), seg_len),
            None => (&state.tail, state.tail.entries()),
        };
        let covered = (base + len).min(bound);
        if covered > from {
            let c = clamp(candidates(query, seg)?, base, from, bound, seg_len);
            if !f(base, c, seg)? {
                return Ok(bound);
            }
        }
        Ok(covered.max(base))
    }
}

/// Keeps the offsets whose seq lies in `from..bound`.
fn clamp(mut c: Candidates, base: u64, from: u64, bound: u64, seg_len: u64) -> Candidates {
    let lo = from.saturating_sub(base);
    let hi = bound.saturating_sub(base).min(seg_len);
    if lo > 0 {
        c.offsets
            .remove_range(..u32::try_from(lo).unwrap_or(u32::MAX));
    }
    if hi < seg_len {
        c.offsets
            .remove_range(u32::try_from(hi).unwrap_or(u32::MAX)..);
    }
    c
}

impl<E: Entries + ?Sized> Search for Indexed<'_, E> {
    fn find(&self, query: &Query, from: u64, limit: usize) -> Result<Page> {
        let bound = self.entries.size();
        let mut page = Page {
            scanned_to: bound,
            ..Page::default()
        };
        let mut room = true;
        let covered = self.each_segment(query, from, bound, &mut |base, c, _| {
            let seqs = c.offsets.iter().map(|o| base + u64::from(o));
            room = fill_page(self.entries, query, seqs, limit, &mut page)?;
            Ok(room)
        })?;
        if room {
            fill_page(
                self.entries,
                query,
                covered.max(from)..bound,
                limit,
                &mut page,
            )?;
        }
        Ok(page)
    }

    fn tally(&self, query: &Query) -> Result<Tallied> {
        let bound = self.entries.size();
        let Some(mut tally) = query.tally() else {
            return Ok(Tallied {
                rows: None,
                scanned_to: bound,
            });
        };
        let ids = match query.pipe {
            Some(Pipe::CountBy(f)) | Some(Pipe::Top(_, f)) => field_paths(f),
            None => None,
        };
        let covered = self.each_segment(query, 0, bound, &mut |base, c, seg| {
            match (&ids, c.exact) {
                (Some(ids), true) => count_columns(&mut tally, &c.offsets, ids, seg)?,
                _ => {
                    let seqs = c.offsets.iter().map(|o| base + u64::from(o));
                    tally_seqs(self.entries, query, seqs, &mut tally)?;
                }
            }
            Ok(true)
        })?;
        tally_seqs(self.entries, query, covered..bound, &mut tally)?;
        Ok(Tallied {
            rows: Some(tally.rows()),
            scanned_to: bound,
        })
    }
}

/// Counts exact candidates by the field's first present value, from the stored columns.
fn count_columns(
    tally: &mut Tally,
    offsets: &RoaringBitmap,
    ids: &[u8],
    seg: &dyn SegmentRead,
) -> Result<()> {
    if offsets.is_empty() {
        return Ok(());
    }
    let columns: Vec<Column> = ids
        .iter()
        .map(|&id| seg.column(id))
        .collect::<Result<_>>()?;
    for o in offsets.iter() {
        let value = columns.iter().find_map(|c| c.get(o));
        tally.add_value(value);
    }
    Ok(())
}
