//! An index segment: the index of consecutive entries, as the reads a query
//! plan needs ([`SegmentRead`]), built in memory ([`Builder`]) and frozen into a write-once file.

use std::collections::HashMap;
use std::hash::BuildHasher;

use hashbrown::HashTable;
use roaring::RoaringBitmap;
use rustc_hash::FxBuildHasher;

use super::keys::{keys_of, paths, Extracted};
use crate::error::Result;

/// Entries per index segment unless configured otherwise (offsets are u32, so at most this).
pub const DEFAULT_SEGMENT_LEN: u64 = 1 << 16;

/// Time stored for an entry whose event has none.
pub const NO_TIME: i64 = i64::MIN;

/// One path's first values per entry: `ords[i]` is 0 when absent, else `values[ords[i] - 1]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Column {
    /// The distinct values, as written.
    pub values: Vec<String>,
    /// Per entry offset, 0 or a 1-based index into `values`.
    pub ords: Vec<u32>,
}

impl Column {
    /// The value of entry `offset`, if any.
    pub fn get(&self, offset: u32) -> Option<&str> {
        let ord = *self.ords.get(offset as usize)?;
        let i = usize::try_from(ord).ok()?.checked_sub(1)?;
        self.values.get(i).map(String::as_str)
    }
}

/// What a query plan reads from a segment. Bitmaps hold entry offsets within the segment.
pub trait SegmentRead {
    /// Entries in the segment.
    fn entry_count(&self) -> u32;
    /// Paths (bit = path id) with a value cut short, whose keys are not exact.
    fn cut(&self) -> u64;
    /// Least and greatest event time, if any entry has one.
    fn time_range(&self) -> Option<(i64, i64)>;
    /// Entries holding exactly `key`.
    fn postings(&self, key: &[u8]) -> Result<RoaringBitmap>;
    /// Entries holding a key in `lo..=hi`.
    fn range(&self, lo: &[u8], hi: &[u8]) -> Result<RoaringBitmap>;
    /// Entries holding a key of path `id` whose payload passes `keep`.
    fn scan_path(&self, id: u8, keep: &mut dyn FnMut(&[u8]) -> bool) -> Result<RoaringBitmap>;
    /// Each entry's event time ([`NO_TIME`] when absent).
    fn times(&self) -> Result<Vec<i64>>;
    /// Path `id`'s first values.
    fn column(&self, id: u8) -> Result<Column>;
}

/// A segment being filled, in memory: the index of the log's newest entries.
#[derive(Debug)]
pub struct Builder {
    postings: HashMap<Vec<u8>, RoaringBitmap, FxBuildHasher>,
    times: Vec<i64>,
    columns: Vec<ColumnBuilder>,
    cut: u64,
    /// Leaf hash of the last entry added (ties a frozen segment to its log).
    pub last_leaf: [u8; 32],
}

/// A column being filled, with a table from each value to its ord (the value itself is kept
/// once, in the column).
#[derive(Default)]
struct ColumnBuilder {
    lookup: HashTable<u32>,
    column: Column,
}

impl std::fmt::Debug for ColumnBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColumnBuilder")
            .field("column", &self.column)
            .finish_non_exhaustive()
    }
}

impl ColumnBuilder {
    fn from_column(column: Column) -> ColumnBuilder {
        let mut lookup = HashTable::with_capacity(column.values.len());
        for (i, v) in column.values.iter().enumerate() {
            let values = &column.values;
            lookup.insert_unique(FxBuildHasher.hash_one(v.as_str()), i as u32 + 1, |&o| {
                value_hash(values, o)
            });
        }
        ColumnBuilder { lookup, column }
    }

    /// Sets the newest entry's value (its ord is 0 until then).
    fn set_last(&mut self, value: &str) {
        let hash = FxBuildHasher.hash_one(value);
        let values = &mut self.column.values;
        let ord = match self
            .lookup
            .find(hash, |&o| value_at(values, o) == Some(value))
        {
            Some(&ord) => ord,
            None => {
                values.push(value.to_string());
                let ord = values.len() as u32;
                let values = &*values;
                self.lookup
                    .insert_unique(hash, ord, |&o| value_hash(values, o));
                ord
            }
        };
        if let Some(last) = self.column.ords.last_mut() {
            *last = ord;
        }
    }
}

/// The value with ord `ord` (1-based).
fn value_at(values: &[String], ord: u32) -> Option<&str> {
    let i = usize::try_from(ord).ok()?.checked_sub(1)?;
    values.get(i).map(String::as_str)
}

/// The hash of the value with ord `ord`.
fn value_hash(values: &[String], ord: u32) -> u64 {
    FxBuildHasher.hash_one(value_at(values, ord).unwrap_or(""))
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            postings: HashMap::default(),
            times: Vec::new(),
            columns: (0..paths().len())
                .map(|_| ColumnBuilder::default())
                .collect(),
            cut: 0,
            last_leaf: [0; 32],
        }
    }
}

impl Builder {
    /// Adds the next entry (offset = entries added so far); the caller sets `last_leaf`.
    pub fn add(&mut self, x: &Extracted<'_>) {
        let offset = self.times.len() as u32;
        let postings = &mut self.postings;
        self.cut |= keys_of(x, |key| match postings.get_mut(key) {
            Some(b) => {
                b.insert(offset);
            }
            None => {
                let mut b = RoaringBitmap::new();
                b.insert(offset);
                postings.insert(key.to_vec(), b);
            }
        });
        self.times.push(x.time.unwrap_or(NO_TIME));
        for col in &mut self.columns {
            col.column.ords.push(0);
        }
        for (id, value) in &x.values {
            if let Some(col) = self.columns.get_mut(usize::from(*id)) {
                col.set_last(value);
            }
        }
    }

    /// A builder holding what a saved segment file holds (to go on filling it).
    pub(crate) fn from_segment(seg: &super::file::SegmentFile) -> Result<Builder> {
        let mut b = Builder {
            postings: seg.all_postings()?.into_iter().collect(),
            times: seg.times()?,
            columns: Vec::with_capacity(paths().len()),
            cut: seg.cut(),
            last_leaf: seg.last_leaf(),
        };
        for id in 0..paths().len() {
            let column = seg.column(u8::try_from(id).unwrap_or(u8::MAX))?;
            b.columns.push(ColumnBuilder::from_column(column));
        }
        Ok(b)
    }

    /// Entries added.
    pub fn entries(&self) -> u64 {
        self.times.len() as u64
    }

    /// The parts a segment file is written from.
    pub(crate) fn parts(&self) -> Parts<'_> {
        let mut postings: Vec<(&[u8], &RoaringBitmap)> = self
            .postings
            .iter()
            .map(|(k, b)| (k.as_slice(), b))
            .collect();
        postings.sort_unstable_by(|a, b| a.0.cmp(b.0));
        Parts {
            postings,
            times: &self.times,
            columns: self.columns.iter().map(|c| &c.column).collect(),
            cut: self.cut,
            last_leaf: self.last_leaf,
        }
    }
}

/// Borrowed contents of a builder, for writing.
pub(crate) struct Parts<'a> {
    /// Keys and bitmaps in key order.
    pub postings: Vec<(&'a [u8], &'a RoaringBitmap)>,
    pub times: &'a [i64],
    pub columns: Vec<&'a Column>,
    pub cut: u64,
    pub last_leaf: [u8; 32],
}

/// Least and greatest of the times present.
pub(crate) fn time_range(times: &[i64]) -> Option<(i64, i64)> {
    let mut it = times.iter().copied().filter(|t| *t != NO_TIME);
    let first = it.next()?;
    Some(it.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t))))
}

impl SegmentRead for Builder {
    fn entry_count(&self) -> u32 {
        self.times.len() as u32
    }
    fn cut(&self) -> u64 {
        self.cut
    }
    fn time_range(&self) -> Option<(i64, i64)> {
        time_range(&self.times)
    }
    fn postings(&self, key: &[u8]) -> Result<RoaringBitmap> {
        Ok(self.postings.get(key).cloned().unwrap_or_default())
    }
    fn range(&self, lo: &[u8], hi: &[u8]) -> Result<RoaringBitmap> {
        let mut out = RoaringBitmap::new();
        for (k, b) in &self.postings {
            if lo <= k.as_slice() && k.as_slice() <= hi {
                out |= b;
            }
        }
        Ok(out)
    }
    fn scan_path(&self, id: u8, keep: &mut dyn FnMut(&[u8]) -> bool) -> Result<RoaringBitmap> {
        let mut out = RoaringBitmap::new();
        for (k, b) in &self.postings {
            if k.first() == Some(&id) && keep(&k[1..]) {
                out |= b;
            }
        }
        Ok(out)
    }
    fn times(&self) -> Result<Vec<i64>> {
        Ok(self.times.clone())
    }
    fn column(&self, id: u8) -> Result<Column> {
        Ok(self
            .columns
            .get(usize::from(id))
            .map(|c| c.column.clone())
            .unwrap_or_default())
    }
}
