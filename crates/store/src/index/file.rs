//! The segment file: a frozen [`Builder`](super::segment::Builder), written once and read with
//! positioned reads (only the dictionary entries and bitmaps a query touches are read).
//!
//! ```text
//! postings   roaring bitmaps (portable format), back to back
//! dictionary n:u32 | entry offsets:u32 × (n+1) | entries (key_len:u16, key, at:u64, len:u32), by key
//! times      zigzag varint deltas of each entry's time (NO_TIME included)
//! columns    paths:u32 | (at:u32, len:u32, crc:u32) × paths | per path, deflated: values:varint,
//!            (len:varint, bytes) × values, ordinals:varint × entries
//! footer     see `Footer` (fixed size, CRC-checked; it holds the CRCs of the times and of the
//!            column directory, which holds each column's)
//! ```
//! All integers little-endian. The format is internal (an index is rebuilt from the log, never
//! trusted over it); `FORMAT_MAGIC` changes with it.

use std::fs::File;
use std::io::{Read, Write};

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use roaring::RoaringBitmap;

use super::segment::{Column, Parts, SegmentRead};
use crate::error::{Result, StoreError};

/// First bytes of the footer; a new format gets a new magic.
const FORMAT_MAGIC: &[u8; 8] = b"ATIDX004";
const FOOTER_LEN: usize = 8 + 4 + 8 + 1 + 8 + 8 + 32 + 8 * 8 + 4 * 4;
/// Every this many dictionary entries, the key is kept in the sample section (read at open), so
/// a lookup reads one run of at most this many entries.
const SAMPLE_EVERY: usize = 64;

/// Writes a segment file durably (temporary file, fsync, rename); the caller syncs the directory.
pub fn write(path: &Path, parts: &Parts<'_>) -> Result<()> {
    let mut out = Vec::new();
    let mut entries = Vec::new();
    let mut offsets = Vec::with_capacity(parts.postings.len() + 1);
    for (key, bitmap) in &parts.postings {
        let at = out.len() as u64;
        bitmap
            .serialize_into(&mut out)
            .map_err(|e| StoreError::io("encode", path, e))?;
        offsets.push(entries.len() as u32);
        entries.extend_from_slice(&(key.len() as u16).to_le_bytes());
        entries.extend_from_slice(key);
        entries.extend_from_slice(&at.to_le_bytes());
        entries.extend_from_slice(&((out.len() as u64 - at) as u32).to_le_bytes());
    }
    offsets.push(entries.len() as u32);
    let dict_at = out.len() as u64;
    out.extend_from_slice(&(parts.postings.len() as u32).to_le_bytes());
    for o in &offsets {
        out.extend_from_slice(&o.to_le_bytes());
    }
    out.extend_from_slice(&entries);
    let dict = (dict_at, out.len() as u64 - dict_at);

    let times_at = out.len() as u64;
    let mut prev = 0i64;
    for &t in parts.times {
        put_varint(&mut out, zigzag(t.wrapping_sub(prev)));
        prev = t;
    }
    let times = (times_at, out.len() as u64 - times_at);

    let cols_at = out.len();
    let mut body = Vec::new();
    let mut dir = Vec::new();
    let mut plain = Vec::new();
    for col in &parts.columns {
        plain.clear();
        put_varint(&mut plain, col.values.len() as u64);
        for v in &col.values {
            put_varint(&mut plain, v.len() as u64);
            plain.extend_from_slice(v.as_bytes());
        }
        for &o in &col.ords {
            put_varint(&mut plain, u64::from(o));
        }
        // Mostly zeros (absent) and repeats: deflate takes a column to a fraction.
        let start = body.len();
        let mut enc = DeflateEncoder::new(&mut body, Compression::fast());
        enc.write_all(&plain)
            .and_then(|_| enc.finish().map(|_| ()))
            .map_err(|e| StoreError::io("compress", path, e))?;
        let crc = crc32fast::hash(&body[start..]);
        dir.push((start as u32, (body.len() - start) as u32, crc));
    }
    let dir_len = 4 + 12 * dir.len() as u32;
    let mut directory = Vec::with_capacity(dir_len as usize);
    directory.extend_from_slice(&(dir.len() as u32).to_le_bytes());
    for (at, len, crc) in dir {
        directory.extend_from_slice(&(at + dir_len).to_le_bytes());
        directory.extend_from_slice(&len.to_le_bytes());
        directory.extend_from_slice(&crc.to_le_bytes());
    }
    let crc_cols = crc32fast::hash(&directory);
    out.extend_from_slice(&directory);
    out.extend_from_slice(&body);
    let cols = (cols_at as u64, (out.len() - cols_at) as u64);

    let samples_at = out.len();
    for (i, (key, _)) in parts.postings.iter().enumerate().step_by(SAMPLE_EVERY) {
        out.extend_from_slice(&(key.len() as u16).to_le_bytes());
        out.extend_from_slice(key);
        out.extend_from_slice(&(i as u32).to_le_bytes());
    }
    let samples = (samples_at as u64, (out.len() - samples_at) as u64);

    let range = super::segment::time_range(parts.times);
    let footer = Footer {
        len: parts.times.len() as u32,
        cut: parts.cut,
        time_range: range,
        last_leaf: parts.last_leaf,
        dict,
        times,
        cols,
        samples,
        crc_times: crc32fast::hash(section(&out, times)),
        crc_cols,
        crc_samples: crc32fast::hash(section(&out, samples)),
    };
    footer.encode(&mut out);

    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(|e| StoreError::io("create", &tmp, e))?;
    f.write_all(&out)
        .and_then(|_| f.sync_all())
        .map_err(|e| StoreError::io("write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| StoreError::io("rename", path, e))
}

fn section(bytes: &[u8], (at, len): (u64, u64)) -> &[u8] {
    &bytes[at as usize..(at + len) as usize]
}

/// The fixed-size tail of a segment file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Footer {
    len: u32,
    cut: u64,
    time_range: Option<(i64, i64)>,
    last_leaf: [u8; 32],
    dict: (u64, u64),
    times: (u64, u64),
    cols: (u64, u64),
    samples: (u64, u64),
    crc_times: u32,
    crc_cols: u32,
    crc_samples: u32,
}

impl Footer {
    fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(FORMAT_MAGIC);
        out.extend_from_slice(&self.len.to_le_bytes());
        out.extend_from_slice(&self.cut.to_le_bytes());
        let (has, lo, hi) = match self.time_range {
            Some((lo, hi)) => (1u8, lo, hi),
            None => (0, 0, 0),
        };
        out.push(has);
        out.extend_from_slice(&lo.to_le_bytes());
        out.extend_from_slice(&hi.to_le_bytes());
        out.extend_from_slice(&self.last_leaf);
        for (at, len) in [self.dict, self.times, self.cols, self.samples] {
            out.extend_from_slice(&at.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
        }
        out.extend_from_slice(&self.crc_times.to_le_bytes());
        out.extend_from_slice(&self.crc_cols.to_le_bytes());
        out.extend_from_slice(&self.crc_samples.to_le_bytes());
        let crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&crc.to_le_bytes());
    }

    fn decode(b: &[u8]) -> Option<Footer> {
        if b.len() != FOOTER_LEN || &b[..8] != FORMAT_MAGIC {
            return None;
        }
        let (body, crc) = b.split_at(FOOTER_LEN - 4);
        if crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().ok()?) {
            return None;
        }
        let mut r = Reader { b: body, at: 8 };
        let len = r.u32()?;
        let cut = r.u64()?;
        let has = r.take(1)?[0];
        let (lo, hi) = (r.u64()? as i64, r.u64()? as i64);
        let last_leaf = r.take(32)?.try_into().ok()?;
        let dict = (r.u64()?, r.u64()?);
        let times = (r.u64()?, r.u64()?);
        let cols = (r.u64()?, r.u64()?);
        let samples = (r.u64()?, r.u64()?);
        Some(Footer {
            len,
            cut,
            time_range: (has == 1).then_some((lo, hi)),
            last_leaf,
            dict,
            times,
            cols,
            samples,
            crc_times: r.u32()?,
            crc_cols: r.u32()?,
            crc_samples: r.u32()?,
        })
    }
}

/// A little-endian cursor over bytes; `None` past the end.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.b.get(self.at)?;
            self.at += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// A segment file open for reading.
#[derive(Debug)]
pub struct SegmentFile {
    file: File,
    path: PathBuf,
    footer: Footer,
    /// Dictionary entries.
    n: u32,
    /// Every `SAMPLE_EVERY`th dictionary key with its entry number.
    samples: Vec<(Vec<u8>, u32)>,
}

impl SegmentFile {
    /// Opens a segment file, checking its footer.
    pub fn open(path: PathBuf) -> Result<SegmentFile> {
        let file = File::open(&path).map_err(|e| StoreError::io("open", &path, e))?;
        let size = file
            .metadata()
            .map_err(|e| StoreError::io("stat", &path, e))?
            .len();
        let damaged = |what: &str| StoreError::Damaged(format!("index {}: {what}", path.display()));
        if size < FOOTER_LEN as u64 {
            return Err(damaged("shorter than its footer"));
        }
        let mut b = vec![0; FOOTER_LEN];
        file.read_exact_at(&mut b, size - FOOTER_LEN as u64)
            .map_err(|e| StoreError::io("read", &path, e))?;
        let footer = Footer::decode(&b).ok_or_else(|| damaged("bad footer"))?;
        let body = size - FOOTER_LEN as u64;
        for (at, len) in [footer.dict, footer.times, footer.cols, footer.samples] {
            if at.checked_add(len).is_none_or(|end| end > body) {
                return Err(damaged("a section lies outside the file"));
            }
        }
        let mut seg = SegmentFile {
            file,
            path,
            footer,
            n: 0,
            samples: Vec::new(),
        };
        let n = seg.read(seg.footer.dict.0, 4)?;
        seg.n = u32::from_le_bytes(
            n.as_slice()
                .try_into()
                .map_err(|_| seg.damaged("dictionary"))?,
        );
        if 4 + 4 * (u64::from(seg.n) + 1) > seg.footer.dict.1 {
            return Err(seg.damaged("dictionary size"));
        }
        let b = seg.checked(seg.footer.samples, seg.footer.crc_samples, "samples")?;
        let mut r = Reader { b: &b, at: 0 };
        while r.at < b.len() {
            let parsed = (|| {
                let len = r.u16()?;
                let key = r.take(usize::from(len))?.to_vec();
                Some((key, r.u32()?))
            })();
            let sample = parsed.ok_or_else(|| seg.damaged("samples"))?;
            if sample.1 >= seg.n || seg.samples.last().is_some_and(|l| l.1 >= sample.1) {
                return Err(seg.damaged("samples out of order"));
            }
            seg.samples.push(sample);
        }
        Ok(seg)
    }

    /// The leaf hash of the segment's last entry.
    pub fn last_leaf(&self) -> [u8; 32] {
        self.footer.last_leaf
    }

    /// Every key with its bitmap, in key order.
    pub(crate) fn all_postings(&self) -> Result<Vec<(Vec<u8>, RoaringBitmap)>> {
        let run = self.read(0, self.footer.dict.0)?;
        self.entries(0, self.n)?
            .into_iter()
            .map(|(key, at, len)| {
                let bytes = usize::try_from(at)
                    .ok()
                    .and_then(|at| run.get(at..at + len as usize))
                    .ok_or_else(|| self.damaged("bitmap outside postings"))?;
                let bitmap =
                    RoaringBitmap::deserialize_from(bytes).map_err(|_| self.damaged("bitmap"))?;
                Ok((key, bitmap))
            })
            .collect()
    }

    fn damaged(&self, what: &str) -> StoreError {
        StoreError::Damaged(format!("index {}: {what}", self.path.display()))
    }

    fn read(&self, at: u64, len: u64) -> Result<Vec<u8>> {
        let mut b = vec![0; usize::try_from(len).map_err(|_| self.damaged("length"))?];
        self.file
            .read_exact_at(&mut b, at)
            .map_err(|e| StoreError::io("read", &self.path, e))?;
        Ok(b)
    }

    fn entries_at(&self) -> u64 {
        self.footer.dict.0 + 4 + 4 * (u64::from(self.n) + 1)
    }

    /// Offsets of dictionary entries `from..=to` (relative to the entries area).
    fn offsets(&self, from: u32, to: u32) -> Result<Vec<u32>> {
        let b = self.read(
            self.footer.dict.0 + 4 + 4 * u64::from(from),
            4 * u64::from(to - from + 1),
        )?;
        Ok(b.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// Dictionary entries `from..to` as (key, bitmap at, bitmap len).
    fn entries(&self, from: u32, to: u32) -> Result<Vec<(Vec<u8>, u64, u32)>> {
        if from >= to {
            return Ok(Vec::new());
        }
        let offs = self.offsets(from, to)?;
        let (start, end) = (u64::from(offs[0]), u64::from(offs[offs.len() - 1]));
        if end < start || self.entries_at() + end > self.footer.dict.0 + self.footer.dict.1 {
            return Err(self.damaged("dictionary offsets"));
        }
        let b = self.read(self.entries_at() + start, end - start)?;
        let mut r = Reader { b: &b, at: 0 };
        let mut out = Vec::with_capacity((to - from) as usize);
        for _ in from..to {
            let parsed = (|| {
                let klen = r.u16()?;
                let key = r.take(usize::from(klen))?.to_vec();
                Some((key, r.u64()?, r.u32()?))
            })();
            out.push(parsed.ok_or_else(|| self.damaged("dictionary entry"))?);
        }
        Ok(out)
    }

    /// Index of the first entry whose key is ≥ `key` (> `key` if `strict`; `n` if none): the
    /// samples narrow it to one run of entries, read at once.
    fn lower_bound(&self, key: &[u8], strict: bool) -> Result<u32> {
        let before = |k: &[u8]| if strict { k <= key } else { k < key };
        // Samples before `key`: the answer lies past the last of them, up to the next one.
        let s = self.samples.partition_point(|(k, _)| before(k));
        let lo = s.checked_sub(1).map_or(0, |i| self.samples[i].1);
        let hi = self.samples.get(s).map_or(self.n, |x| x.1);
        if lo >= hi {
            return Ok(lo);
        }
        let run = self.entries(lo, hi)?;
        Ok(lo + run.partition_point(|(k, _, _)| before(k)) as u32)
    }

    /// The union of the bitmaps of dictionary entries `from..to` whose keys pass `keep`. Bitmaps
    /// are stored in key order, so the run is fetched with one read.
    fn union(
        &self,
        from: u32,
        to: u32,
        keep: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<RoaringBitmap> {
        let entries = self.entries(from, to)?;
        let kept: Vec<(u64, u32)> = entries
            .iter()
            .filter(|(key, _, _)| keep(key))
            .map(|&(_, at, len)| (at, len))
            .collect();
        let (Some(first), Some(last)) = (kept.first(), kept.last()) else {
            return Ok(RoaringBitmap::new());
        };
        let (start, end) = (first.0, last.0 + u64::from(last.1));
        if end < start || end > self.footer.dict.0 {
            return Err(self.damaged("bitmap outside postings"));
        }
        let run = self.read(start, end - start)?;
        let mut out = RoaringBitmap::new();
        for (at, len) in kept {
            let lo = at
                .checked_sub(start)
                .and_then(|d| usize::try_from(d).ok())
                .ok_or_else(|| self.damaged("bitmap order"))?;
            let bytes = run
                .get(lo..lo + len as usize)
                .ok_or_else(|| self.damaged("bitmap outside postings"))?;
            out |= RoaringBitmap::deserialize_from(bytes).map_err(|_| self.damaged("bitmap"))?;
        }
        Ok(out)
    }

    fn checked(&self, (at, len): (u64, u64), crc: u32, what: &str) -> Result<Vec<u8>> {
        let b = self.read(at, len)?;
        if crc32fast::hash(&b) != crc {
            return Err(self.damaged(what));
        }
        Ok(b)
    }
}

impl SegmentRead for SegmentFile {
    fn entry_count(&self) -> u32 {
        self.footer.len
    }
    fn cut(&self) -> u64 {
        self.footer.cut
    }
    fn time_range(&self) -> Option<(i64, i64)> {
        self.footer.time_range
    }
    fn postings(&self, key: &[u8]) -> Result<RoaringBitmap> {
        let i = self.lower_bound(key, false)?;
        self.union(i, (i + 1).min(self.n), &mut |k| k == key)
    }
    fn range(&self, lo: &[u8], hi: &[u8]) -> Result<RoaringBitmap> {
        let from = self.lower_bound(lo, false)?;
        let to = self.lower_bound(hi, true)?;
        self.union(from, to.max(from), &mut |_| true)
    }
    fn scan_path(&self, id: u8, keep: &mut dyn FnMut(&[u8]) -> bool) -> Result<RoaringBitmap> {
        let from = self.lower_bound(&[id], false)?;
        let to = match id.checked_add(1) {
            Some(next) => self.lower_bound(&[next], false)?,
            None => self.n,
        };
        self.union(from, to.max(from), &mut |k| keep(&k[1..]))
    }
    fn times(&self) -> Result<Vec<i64>> {
        let b = self.checked(self.footer.times, self.footer.crc_times, "times")?;
        let mut r = Reader { b: &b, at: 0 };
        let mut prev = 0i64;
        let mut out = Vec::with_capacity(self.footer.len as usize);
        for _ in 0..self.footer.len {
            let d = r.varint().ok_or_else(|| self.damaged("times"))?;
            prev = prev.wrapping_add(unzigzag(d));
            out.push(prev);
        }
        Ok(out)
    }
    fn column(&self, id: u8) -> Result<Column> {
        let bad = || self.damaged("columns");
        let head = self.read(self.footer.cols.0, 4)?;
        let paths = u32::from_le_bytes(head.as_slice().try_into().map_err(|_| bad())?);
        let dir_len = 4 + 12 * u64::from(paths);
        if dir_len > self.footer.cols.1 {
            return Err(bad());
        }
        let dir = self.checked(
            (self.footer.cols.0, dir_len),
            self.footer.crc_cols,
            "columns",
        )?;
        if u32::from(id) >= paths {
            return Ok(Column::default());
        }
        let mut r = Reader {
            b: &dir,
            at: 4 + 12 * usize::from(id),
        };
        let (at, len, crc) = (
            r.u32().ok_or_else(bad)?,
            r.u32().ok_or_else(bad)?,
            r.u32().ok_or_else(bad)?,
        );
        if u64::from(at) + u64::from(len) > self.footer.cols.1 {
            return Err(bad());
        }
        let z = self.checked(
            (self.footer.cols.0 + u64::from(at), u64::from(len)),
            crc,
            "column",
        )?;
        let mut b = Vec::new();
        DeflateDecoder::new(&z[..])
            .read_to_end(&mut b)
            .map_err(|_| bad())?;
        let mut r = Reader { b: &b, at: 0 };
        let nvalues = r.varint().ok_or_else(bad)?;
        let mut col = Column::default();
        for _ in 0..nvalues {
            let len = r.varint().ok_or_else(bad)?;
            let bytes = r
                .take(usize::try_from(len).map_err(|_| bad())?)
                .ok_or_else(bad)?;
            col.values
                .push(String::from_utf8(bytes.to_vec()).map_err(|_| bad())?);
        }
        for _ in 0..self.footer.len {
            let ord = r.varint().ok_or_else(bad)?;
            col.ords.push(u32::try_from(ord).map_err(|_| bad())?);
        }
        Ok(col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::keys::extract;
    use crate::index::segment::Builder;
    use serde_json::json;

    #[test]
    fn a_frozen_segment_reads_like_the_builder() {
        let mut b = Builder::default();
        for i in 0..300u32 {
            let ev = json!({"time": 1000 + i64::from(i % 7) * 10 - 30,
                "user": {"name": format!("User{}", i % 13)},
                "src_endpoint": {"ip": format!("10.0.{}.{}", i % 3, i % 250)},
                "status": if i % 4 == 0 { "Failure" } else { "Success" }});
            let ev = if i == 5 {
                json!({"message": "no time"})
            } else {
                ev
            };
            let source = format!("src{}", i % 2);
            let bytes = serde_json::to_vec(&ev).unwrap();
            b.add(&extract(&source, &bytes));
            b.last_leaf = [i as u8; 32];
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seg");
        write(&path, &b.parts()).unwrap();
        let f = SegmentFile::open(path.clone()).unwrap();
        assert_eq!(f.entry_count(), b.entry_count());
        assert_eq!(f.cut(), b.cut());
        assert_eq!(f.time_range(), b.time_range());
        assert_eq!(f.times().unwrap(), b.times().unwrap());
        assert_eq!(f.last_leaf(), [43; 32]);
        let keys: Vec<Vec<u8>> = b.parts().postings.iter().map(|(k, _)| k.to_vec()).collect();
        for k in &keys {
            assert_eq!(f.postings(k).unwrap(), b.postings(k).unwrap());
        }
        assert!(f.postings(b"\x05nope").unwrap().is_empty());
        for (lo, hi) in [(0, keys.len() - 1), (3, 40), (10, 10)] {
            assert_eq!(
                f.range(&keys[lo], &keys[hi]).unwrap(),
                b.range(&keys[lo], &keys[hi]).unwrap()
            );
        }
        for id in 0..crate::index::keys::paths().len() as u8 {
            let mut even = |k: &[u8]| k.len().is_multiple_of(2);
            assert_eq!(
                f.scan_path(id, &mut even).unwrap(),
                b.scan_path(id, &mut even).unwrap()
            );
            assert_eq!(f.column(id).unwrap(), b.column(id).unwrap());
        }

        // Damage is reported, not read as data.
        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 10] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(SegmentFile::open(path).is_err());
    }

    #[test]
    fn varints_and_zigzag_round_trip() {
        for v in [0i64, 1, -1, 63, -64, i64::MAX, i64::MIN, 1 << 40] {
            let mut out = Vec::new();
            put_varint(&mut out, zigzag(v));
            let mut r = Reader { b: &out, at: 0 };
            assert_eq!(r.varint().map(unzigzag), Some(v));
        }
    }
}
