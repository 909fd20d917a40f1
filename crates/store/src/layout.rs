//! Where things live in a data directory, and the byte formats of the files.
//!
//! ```text
//! DIR/LOCK                 held (flock) by the one process that writes the log
//! DIR/log.key              the checkpoint signing key (C2SP signed-note private key), mode 0600
//! DIR/log.vkey             the verifier key, for people and scripts
//! DIR/checkpoint           the latest signed checkpoint (replaced atomically)
//! DIR/log/headers          entry slots: fixed SLOT_SIZE bytes per seq
//! DIR/log/bodies/NNNNNNNN  body records of seqs [N·SEGMENT_ENTRIES, (N+1)·SEGMENT_ENTRIES)
//! DIR/log/bodies/NNNNNNNN.z the same records packed into deflate blocks, once the segment is full
//! DIR/log/hashes/LL        hashes of tree level LL: complete subtree i at byte 32·i
//! ```
//! `docs/FORMAT.md` is the normative description.

use std::path::{Path, PathBuf};

use authtrail_ledger::entry::{Salt, MAX_HEADER_SIZE, SALT_SIZE};

/// Bytes per entry slot in `log/headers`.
pub const SLOT_SIZE: usize = 192;
/// Entries per body segment file.
pub const SEGMENT_ENTRIES: u64 = 1 << 16;
/// Byte offset of the CRC in a slot.
const SLOT_CRC_AT: usize = SLOT_SIZE - 4;
/// Byte offset of the body location in a slot.
const SLOT_BODY_AT: usize = 2 + MAX_HEADER_SIZE;

const _: () = assert!(SLOT_BODY_AT + 12 <= SLOT_CRC_AT);

/// Paths inside one data directory.
#[derive(Clone, Debug)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout of the data directory at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Layout { root: root.into() }
    }
    /// The data directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// The writer's lock file.
    pub fn lock(&self) -> PathBuf {
        self.root.join("LOCK")
    }
    /// The signing key file.
    pub fn key(&self) -> PathBuf {
        self.root.join("log.key")
    }
    /// The verifier key file.
    pub fn vkey(&self) -> PathBuf {
        self.root.join("log.vkey")
    }
    /// The latest signed checkpoint.
    pub fn checkpoint(&self) -> PathBuf {
        self.root.join("checkpoint")
    }
    /// The directory of the log's files.
    pub fn log_dir(&self) -> PathBuf {
        self.root.join("log")
    }
    /// The entry slots file.
    pub fn headers(&self) -> PathBuf {
        self.root.join("log").join("headers")
    }
    /// The directory of body segments.
    pub fn bodies_dir(&self) -> PathBuf {
        self.root.join("log").join("bodies")
    }
    /// The body segment that holds `seq`.
    pub fn segment(&self, segment: u64) -> PathBuf {
        self.bodies_dir().join(format!("{segment:08}"))
    }
    /// The packed form of a full body segment (`NNNNNNNN.z`, see `packed`).
    pub fn packed_segment(&self, segment: u64) -> PathBuf {
        self.bodies_dir().join(format!("{segment:08}.z"))
    }
    /// The directory of stored hashes.
    pub fn hashes_dir(&self) -> PathBuf {
        self.root.join("log").join("hashes")
    }
    /// The stored hashes of one tree level.
    pub fn level(&self, level: u8) -> PathBuf {
        self.hashes_dir().join(format!("{level:02}"))
    }
}

/// Segment number holding `seq`'s body.
pub fn segment_of(seq: u64) -> u64 {
    seq / SEGMENT_ENTRIES
}

/// One decoded entry slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The entry header's bytes (the Merkle leaf).
    pub header: Vec<u8>,
    /// Offset of the body record in its segment.
    pub body_offset: u64,
    /// Length of the body record.
    pub body_len: u32,
}

/// Why a slot or body record could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// The record's CRC does not match its bytes.
    Checksum,
    /// A length field points outside the record.
    Length,
}

impl Slot {
    /// Encode into a fixed-size slot with its CRC.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + SLOT_SIZE, 0);
        let s = &mut out[start..];
        s[0..2].copy_from_slice(&(self.header.len() as u16).to_be_bytes());
        s[2..2 + self.header.len()].copy_from_slice(&self.header);
        s[SLOT_BODY_AT..SLOT_BODY_AT + 8].copy_from_slice(&self.body_offset.to_be_bytes());
        s[SLOT_BODY_AT + 8..SLOT_BODY_AT + 12].copy_from_slice(&self.body_len.to_be_bytes());
        let crc = crc32fast::hash(&s[..SLOT_CRC_AT]);
        s[SLOT_CRC_AT..].copy_from_slice(&crc.to_be_bytes());
    }

    /// Decode a slot, checking its CRC.
    pub fn decode(s: &[u8]) -> Result<Slot, RecordError> {
        if s.len() != SLOT_SIZE {
            return Err(RecordError::Length);
        }
        let crc = u32::from_be_bytes([
            s[SLOT_CRC_AT],
            s[SLOT_CRC_AT + 1],
            s[SLOT_CRC_AT + 2],
            s[SLOT_CRC_AT + 3],
        ]);
        if crc32fast::hash(&s[..SLOT_CRC_AT]) != crc {
            return Err(RecordError::Checksum);
        }
        let len = usize::from(u16::from_be_bytes([s[0], s[1]]));
        if len > MAX_HEADER_SIZE {
            return Err(RecordError::Length);
        }
        let mut off = [0u8; 8];
        off.copy_from_slice(&s[SLOT_BODY_AT..SLOT_BODY_AT + 8]);
        let mut blen = [0u8; 4];
        blen.copy_from_slice(&s[SLOT_BODY_AT + 8..SLOT_BODY_AT + 12]);
        Ok(Slot {
            header: s[2..2 + len].to_vec(),
            body_offset: u64::from_be_bytes(off),
            body_len: u32::from_be_bytes(blen),
        })
    }
}

/// An entry's bodies as stored: the salt, the canonical event bytes and the raw input bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body {
    /// Sequence number the body belongs to.
    pub seq: u64,
    /// The per-entry random salt of the header's digests.
    pub salt: Salt,
    /// Canonical event bytes.
    pub event: Vec<u8>,
    /// Raw input bytes.
    pub raw: Vec<u8>,
}

/// Bytes of a body record's seq field.
pub const BODY_SEQ_LEN: usize = 8;
/// Bytes of a body record before its variable parts: seq, salt, event length.
const BODY_FIXED: usize = BODY_SEQ_LEN + SALT_SIZE + 4;
/// Offset of the event bytes in a body record.
pub const BODY_EVENT_AT: usize = BODY_FIXED;

/// Length of the record that [`encode_body`] writes for these parts.
pub fn body_record_len(event_len: usize, raw_len: usize) -> usize {
    BODY_FIXED + event_len + raw_len + 4
}

/// Append a body record: seq, salt, event length, event, raw, CRC of all before it.
pub fn encode_body(out: &mut Vec<u8>, seq: u64, salt: &Salt, event: &[u8], raw: &[u8]) {
    let start = out.len();
    encode_body_unsealed(out, seq, salt, event, raw);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// Append a body record without its CRC: seq, salt, event length, event, raw.
pub(crate) fn encode_body_unsealed(
    out: &mut Vec<u8>,
    seq: u64,
    salt: &Salt,
    event: &[u8],
    raw: &[u8],
) {
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(salt);
    out.extend_from_slice(&(event.len() as u32).to_be_bytes());
    out.extend_from_slice(event);
    out.extend_from_slice(raw);
}

/// A body record decoded in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyRef<'a> {
    /// Sequence number the body belongs to.
    pub seq: u64,
    /// The per-entry salt.
    pub salt: &'a Salt,
    /// Canonical event bytes.
    pub event: &'a [u8],
    /// Raw input bytes.
    pub raw: &'a [u8],
}

/// Decode a body record in place, checking its CRC.
pub fn decode_body_ref(r: &[u8]) -> Result<BodyRef<'_>, RecordError> {
    if r.len() < BODY_FIXED + 4 {
        return Err(RecordError::Length);
    }
    let (data, crc) = r.split_at(r.len() - 4);
    if crc32fast::hash(data) != u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]) {
        return Err(RecordError::Checksum);
    }
    let (seq, rest) = data.split_at(8);
    let (salt, rest) = rest.split_at(SALT_SIZE);
    let (elen, rest) = rest.split_at(4);
    let elen = u32::from_be_bytes([elen[0], elen[1], elen[2], elen[3]]) as usize;
    if elen > rest.len() {
        return Err(RecordError::Length);
    }
    let mut seq_bytes = [0u8; 8];
    seq_bytes.copy_from_slice(seq);
    Ok(BodyRef {
        seq: u64::from_be_bytes(seq_bytes),
        salt: salt.try_into().map_err(|_| RecordError::Length)?,
        event: &rest[..elen],
        raw: &rest[elen..],
    })
}

/// Decode a body record, checking its CRC.
pub fn decode_body(r: &[u8]) -> Result<Body, RecordError> {
    let b = decode_body_ref(r)?;
    Ok(Body {
        seq: b.seq,
        salt: *b.salt,
        event: b.event.to_vec(),
        raw: b.raw.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_round_trip_and_detect_damage() {
        let slot = Slot {
            header: vec![1; 100],
            body_offset: 123_456,
            body_len: 789,
        };
        let mut buf = Vec::new();
        slot.encode(&mut buf);
        assert_eq!(buf.len(), SLOT_SIZE);
        assert_eq!(Slot::decode(&buf).unwrap(), slot);
        for i in [0, 5, 150, 155, SLOT_SIZE - 1] {
            let mut bad = buf.clone();
            bad[i] ^= 0x10;
            assert!(Slot::decode(&bad).is_err(), "byte {i}");
        }
    }

    #[test]
    fn bodies_round_trip_and_detect_damage() {
        let mut buf = Vec::new();
        encode_body(&mut buf, 7, &[3; SALT_SIZE], b"{\"a\":1}", b"raw bytes");
        assert_eq!(buf.len(), body_record_len(7, 9));
        let body = decode_body(&buf).unwrap();
        assert_eq!(
            (body.seq, body.event.as_slice(), body.raw.as_slice()),
            (7, &b"{\"a\":1}"[..], &b"raw bytes"[..])
        );
        for i in 0..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 1;
            assert!(decode_body(&bad).is_err(), "byte {i}");
        }
    }
}
