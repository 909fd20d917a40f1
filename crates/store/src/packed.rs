//! Packed body segments: once every entry of a body segment is durable and the writer has moved
//! on, its body records are re-encoded as deflate blocks (`log/bodies/NNNNNNNN.z`) and the plain
//! file is deleted. Slots still hold each record's offset and length in the plain segment, so
//! nothing else changes; a block says which plain bytes it holds. Records never straddle blocks.
//!
//! ```text
//! blocks  deflate (RFC 1951) of consecutive whole body records, about 32 KiB of them each
//! index   per block: plain_at:u64 plain_len:u32 at:u64 len:u32 crc32(compressed):u32
//! footer  magic "ATBODYZ1" | segment:u64 | blocks:u32 | index_at:u64 | crc32(index):u32 |
//!         crc32(footer before this field):u32
//! ```
//! Integers big-endian like the rest of the log's files. `docs/FORMAT.md` is normative.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;

use crate::error::{Result, StoreError};
use crate::layout::SLOT_SIZE;

/// First bytes of the footer.
const MAGIC: &[u8; 8] = b"ATBODYZ1";
/// Plain bytes per block before it is cut (at the next record end).
pub const BLOCK_TARGET: usize = 32 * 1024;
const INDEX_ENTRY: usize = 8 + 4 + 8 + 4 + 4;
const FOOTER_LEN: usize = 8 + 8 + 4 + 8 + 4 + 4;

/// Where one block's plain bytes lie and where its compressed bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// Offset of its first plain byte in the plain segment.
    pub plain_at: u64,
    /// Plain bytes it holds.
    pub plain_len: u32,
    /// Offset of its compressed bytes in the packed file.
    pub at: u64,
    /// Compressed length.
    pub len: u32,
    /// CRC-32 of the compressed bytes.
    pub crc: u32,
}

/// A packed segment open for reading.
#[derive(Debug)]
pub struct Packed {
    file: File,
    path: PathBuf,
    blocks: Vec<Block>,
}

fn damaged(path: &Path, what: impl std::fmt::Display) -> StoreError {
    StoreError::Damaged(format!("packed bodies {}: {what}", path.display()))
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_be_bytes(a)
}

impl Packed {
    /// Opens a packed segment, checking its footer and block index.
    pub fn open(path: PathBuf, segment: u64) -> Result<Packed> {
        let file = File::open(&path).map_err(|e| StoreError::io("open", &path, e))?;
        let size = file
            .metadata()
            .map_err(|e| StoreError::io("stat", &path, e))?
            .len();
        if size < FOOTER_LEN as u64 {
            return Err(damaged(&path, "shorter than its footer"));
        }
        let mut f = [0u8; FOOTER_LEN];
        file.read_exact_at(&mut f, size - FOOTER_LEN as u64)
            .map_err(|e| StoreError::io("read", &path, e))?;
        if &f[..8] != MAGIC || crc32fast::hash(&f[..FOOTER_LEN - 4]) != be_u32(&f[FOOTER_LEN - 4..])
        {
            return Err(damaged(&path, "bad footer"));
        }
        if be_u64(&f[8..]) != segment {
            return Err(damaged(&path, "footer names another segment"));
        }
        let n = be_u32(&f[16..]) as u64;
        let index_at = be_u64(&f[20..]);
        let index_len = n * INDEX_ENTRY as u64;
        if index_at.checked_add(index_len) != Some(size - FOOTER_LEN as u64) {
            return Err(damaged(&path, "index size"));
        }
        let mut index = vec![0u8; index_len as usize];
        file.read_exact_at(&mut index, index_at)
            .map_err(|e| StoreError::io("read", &path, e))?;
        if crc32fast::hash(&index) != be_u32(&f[28..]) {
            return Err(damaged(&path, "index checksum"));
        }
        let blocks: Vec<Block> = index
            .chunks_exact(INDEX_ENTRY)
            .map(|e| Block {
                plain_at: be_u64(e),
                plain_len: be_u32(&e[8..]),
                at: be_u64(&e[12..]),
                len: be_u32(&e[20..]),
                crc: be_u32(&e[24..]),
            })
            .collect();
        let ordered = blocks.windows(2).all(|w| {
            w[0].plain_at + u64::from(w[0].plain_len) <= w[1].plain_at
                && w[0].at + u64::from(w[0].len) <= w[1].at
        });
        if !ordered
            || blocks
                .last()
                .is_some_and(|b| b.at + u64::from(b.len) > index_at)
        {
            return Err(damaged(&path, "blocks out of order"));
        }
        Ok(Packed { file, path, blocks })
    }

    /// The block holding plain offset `at`.
    pub fn block_of(&self, at: u64) -> Result<usize> {
        let i = self
            .blocks
            .partition_point(|b| b.plain_at <= at)
            .checked_sub(1);
        i.filter(|&i| at < self.blocks[i].plain_at + u64::from(self.blocks[i].plain_len))
            .ok_or_else(|| damaged(&self.path, format_args!("no block holds offset {at}")))
    }

    /// The record `at..at + len` out of block `i`'s plain bytes.
    pub fn slice(&self, plain: &[u8], i: usize, at: u64, len: u32) -> Result<Vec<u8>> {
        let from = at
            .checked_sub(self.blocks[i].plain_at)
            .and_then(|d| usize::try_from(d).ok());
        from.and_then(|from| plain.get(from..from.checked_add(len as usize)?))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| {
                damaged(
                    &self.path,
                    format_args!("record at {at} overruns its block"),
                )
            })
    }

    /// The plain bytes of block `i`, checked.
    pub fn inflate(&self, i: usize) -> Result<Vec<u8>> {
        let b = self.blocks[i];
        let mut z = vec![0u8; b.len as usize];
        self.file
            .read_exact_at(&mut z, b.at)
            .map_err(|e| StoreError::io("read", &self.path, e))?;
        if crc32fast::hash(&z) != b.crc {
            return Err(damaged(&self.path, format_args!("block {i} checksum")));
        }
        let mut plain = Vec::with_capacity(b.plain_len as usize);
        DeflateDecoder::new(&z[..])
            .take(u64::from(b.plain_len) + 1)
            .read_to_end(&mut plain)
            .map_err(|e| damaged(&self.path, format_args!("block {i}: {e}")))?;
        if plain.len() != b.plain_len as usize {
            return Err(damaged(&self.path, format_args!("block {i} length")));
        }
        Ok(plain)
    }

    /// The plain bytes `at..at + len` (one body record), using and refilling `cache` (the
    /// last block inflated) so sequential reads inflate each block once.
    pub fn read(&self, at: u64, len: u32, cache: &mut Option<(usize, Vec<u8>)>) -> Result<Vec<u8>> {
        let i = self.block_of(at)?;
        if cache.as_ref().map(|c| c.0) != Some(i) {
            *cache = Some((i, self.inflate(i)?));
        }
        match cache.as_ref() {
            Some((_, plain)) => self.slice(plain, i, at, len),
            None => Err(damaged(&self.path, "cache")),
        }
    }
}

/// Re-encodes plain segment `segment` (whose records are `records`: offset and length of each,
/// in seq order) into `out`, durably (written, fsynced, renamed; the caller syncs the directory).
pub fn pack(
    plain: &File,
    plain_path: &Path,
    segment: u64,
    records: &[(u64, u32)],
    out: &Path,
) -> Result<()> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut body = Vec::new();
    let mut i = 0;
    while i < records.len() {
        // Records of one block: consecutive, whole, about BLOCK_TARGET bytes.
        let start = records[i].0;
        let mut end = start;
        while i < records.len() && (end == start || (end - start) < BLOCK_TARGET as u64) {
            let (at, len) = records[i];
            if at != end {
                return Err(damaged(
                    plain_path,
                    format_args!("record at {at} is not where the previous one ended ({end})"),
                ));
            }
            end = at + u64::from(len);
            i += 1;
        }
        let mut plain_bytes = vec![0u8; (end - start) as usize];
        plain
            .read_exact_at(&mut plain_bytes, start)
            .map_err(|e| StoreError::io("read", plain_path, e))?;
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        enc.write_all(&plain_bytes)
            .map_err(|e| StoreError::io("compress", plain_path, e))?;
        let z = enc
            .finish()
            .map_err(|e| StoreError::io("compress", plain_path, e))?;
        blocks.push(Block {
            plain_at: start,
            plain_len: (end - start) as u32,
            at: body.len() as u64,
            len: z.len() as u32,
            crc: crc32fast::hash(&z),
        });
        body.extend_from_slice(&z);
    }
    let index_at = body.len() as u64;
    let mut index = Vec::with_capacity(blocks.len() * INDEX_ENTRY);
    for b in &blocks {
        index.extend_from_slice(&b.plain_at.to_be_bytes());
        index.extend_from_slice(&b.plain_len.to_be_bytes());
        index.extend_from_slice(&b.at.to_be_bytes());
        index.extend_from_slice(&b.len.to_be_bytes());
        index.extend_from_slice(&b.crc.to_be_bytes());
    }
    body.extend_from_slice(&index);
    let footer_at = body.len();
    body.extend_from_slice(MAGIC);
    body.extend_from_slice(&segment.to_be_bytes());
    body.extend_from_slice(&(blocks.len() as u32).to_be_bytes());
    body.extend_from_slice(&index_at.to_be_bytes());
    body.extend_from_slice(&crc32fast::hash(&index).to_be_bytes());
    let crc = crc32fast::hash(&body[footer_at..]);
    body.extend_from_slice(&crc.to_be_bytes());

    let tmp = out.with_extension("z.tmp");
    let mut f = File::create(&tmp).map_err(|e| StoreError::io("create", &tmp, e))?;
    f.write_all(&body)
        .and_then(|_| f.sync_all())
        .map_err(|e| StoreError::io("write", &tmp, e))?;
    std::fs::rename(&tmp, out).map_err(|e| StoreError::io("rename", out, e))
}

/// Offsets and lengths of the body records of seqs `first..end`, read from the slots file.
pub fn records(
    headers: &File,
    headers_path: &Path,
    first: u64,
    end: u64,
) -> Result<Vec<(u64, u32)>> {
    let mut buf = vec![0u8; ((end - first) as usize) * SLOT_SIZE];
    headers
        .read_exact_at(&mut buf, first * SLOT_SIZE as u64)
        .map_err(|e| StoreError::io("read slots", headers_path, e))?;
    buf.chunks_exact(SLOT_SIZE)
        .enumerate()
        .map(|(i, s)| {
            crate::layout::Slot::decode(s)
                .map(|slot| (slot.body_offset, slot.body_len))
                .map_err(|e| {
                    StoreError::Damaged(format!("slot of entry {}: {e:?}", first + i as u64))
                })
        })
        .collect()
}
