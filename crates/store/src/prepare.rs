//! Entries ready to append: salt, digests and the body record computed on the caller's thread,
//! so the single writer only numbers, writes and syncs them.

use authtrail_ledger::entry::{salted_digest, validate_source, EntryHeader, Salt, SALT_SIZE};
use authtrail_ledger::Hash;

use crate::error::{Result, StoreError};
use crate::index::keys::Extracted;
use crate::layout::{body_record_len, encode_body_unsealed, BODY_EVENT_AT, BODY_SEQ_LEN};

/// Largest event or raw body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Source names starting with this (any case) are for the entries authtrail writes itself
/// (`authtrail-detect`, its alerts), so no client can write an entry that passes for one.
pub const RESERVED_SOURCE_PREFIX: &str = "authtrail-";

/// Check that a client's source name can go into an entry header and is not reserved.
pub fn validate_source_name(source: &str) -> Result<()> {
    validate_source(source)?;
    let reserved = source
        .get(..RESERVED_SOURCE_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(RESERVED_SOURCE_PREFIX));
    if reserved {
        return Err(StoreError::InvalidRequest(format!(
            "source name {source:?} is reserved: names starting with {RESERVED_SOURCE_PREFIX} are \
             for the entries authtrail writes itself"
        )));
    }
    Ok(())
}

/// Fresh random salts, one per entry, from one call to the OS.
pub fn random_salts(count: usize) -> Result<Vec<Salt>> {
    let mut salts = vec![[0u8; SALT_SIZE]; count];
    fill_random(salts.as_flattened_mut())?;
    Ok(salts)
}

/// Fill `bytes` from the OS's random source.
fn fill_random(bytes: &mut [u8]) -> Result<()> {
    getrandom::fill(bytes).map_err(|e| {
        StoreError::io(
            "read random salt",
            "getrandom",
            std::io::Error::other(e.to_string()),
        )
    })
}

/// One entry to append: its body record (all but the seq and CRC) and the parts of its header
/// known before sequencing.
#[derive(Clone, Debug)]
pub struct PreparedEntry {
    pub(crate) received_at_ns: i64,
    pub(crate) class_uid: u32,
    pub(crate) source: String,
    /// The body record with a zero seq and no CRC yet (see `layout::encode_body`).
    pub(crate) record: Vec<u8>,
    /// CRC-32 state over `record[8..]`, combined with the seq's by the writer.
    pub(crate) rest_crc: crc32fast::Hasher,
    event_len: usize,
    pub(crate) event_digest: Hash,
    pub(crate) raw_digest: Hash,
    /// The event's index keys, when the caller read them from the typed event.
    pub(crate) index_keys: Option<Extracted<'static>>,
}

impl PreparedEntry {
    /// Salt and digest an entry's bodies; fails on a bad source name or an oversized body.
    pub fn new(
        source: &str,
        received_at_ns: i64,
        class_uid: u32,
        event: Vec<u8>,
        raw: Vec<u8>,
    ) -> Result<Self> {
        let mut salt = [0u8; SALT_SIZE];
        fill_random(&mut salt)?;
        Self::with_salt(source, received_at_ns, class_uid, salt, &event, &raw)
    }

    /// As [`PreparedEntry::new`], with a salt the caller drew (see [`random_salts`]).
    pub fn with_salt(
        source: &str,
        received_at_ns: i64,
        class_uid: u32,
        salt: Salt,
        event: &[u8],
        raw: &[u8],
    ) -> Result<Self> {
        validate_source(source)?;
        for (what, body) in [("event", event), ("raw input", raw)] {
            if body.len() > MAX_BODY_BYTES {
                return Err(StoreError::InvalidRequest(format!(
                    "{what} of {} bytes exceeds the {MAX_BODY_BYTES}-byte limit",
                    body.len()
                )));
            }
        }
        let mut record = Vec::with_capacity(body_record_len(event.len(), raw.len()));
        encode_body_unsealed(&mut record, 0, &salt, event, raw);
        let mut rest_crc = crc32fast::Hasher::new();
        rest_crc.update(&record[BODY_SEQ_LEN..]);
        Ok(PreparedEntry {
            received_at_ns,
            class_uid,
            source: source.to_string(),
            event_digest: salted_digest(&salt, event),
            raw_digest: salted_digest(&salt, raw),
            record,
            rest_crc,
            event_len: event.len(),
            index_keys: None,
        })
    }

    /// Reads the entry's index keys from `event`, the value whose JSON this entry's event is,
    /// so the log's indexer need not parse the event back (an entry without them is read back).
    pub fn with_index_keys_of<T: serde::Serialize + ?Sized>(mut self, event: &T) -> Self {
        let mut keys = crate::index::capture::capture(event);
        #[cfg(debug_assertions)]
        {
            let mut read_back = crate::index::keys::extract(&self.source, self.event());
            read_back.values.pop(); // The source, which the indexer adds.
            debug_assert_eq!(
                keys, read_back,
                "index keys of the typed event and of its JSON"
            );
        }
        keys.values
            .push((0, std::borrow::Cow::Owned(self.source.clone())));
        self.index_keys = Some(keys);
        self
    }

    /// The canonical event bytes.
    pub fn event(&self) -> &[u8] {
        &self.record[BODY_EVENT_AT..BODY_EVENT_AT + self.event_len]
    }

    /// The raw input bytes.
    pub fn raw(&self) -> &[u8] {
        &self.record[BODY_EVENT_AT + self.event_len..]
    }

    /// The OCSF class recorded in the header.
    pub fn class_uid(&self) -> u32 {
        self.class_uid
    }

    /// The header this entry gets at `seq`.
    pub(crate) fn header(&self, seq: u64) -> EntryHeader {
        EntryHeader {
            seq,
            received_at_ns: self.received_at_ns,
            class_uid: self.class_uid,
            event_digest: self.event_digest,
            raw_digest: self.raw_digest,
            source: self.source.clone(),
        }
    }

    /// Finish the body record for `seq`: write the seq and append the CRC of the whole record.
    pub(crate) fn seal(&mut self, seq: u64) {
        self.record[..BODY_SEQ_LEN].copy_from_slice(&seq.to_be_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(&self.record[..BODY_SEQ_LEN]);
        crc.combine(&self.rest_crc);
        self.record.extend_from_slice(&crc.finalize().to_be_bytes());
    }

    /// Bytes this entry occupies in memory, for bounding a group.
    pub(crate) fn weight(&self) -> usize {
        self.record.len() + 128
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{decode_body, encode_body};

    #[test]
    fn a_sealed_record_is_byte_identical_to_an_encoded_body() {
        let salt = [9u8; SALT_SIZE];
        let mut e = PreparedEntry::with_salt("src", 1, 3002, salt, b"{\"e\":1}", b"raw!").unwrap();
        assert_eq!((e.event(), e.raw()), (&b"{\"e\":1}"[..], &b"raw!"[..]));
        e.seal(123_456);
        let mut want = Vec::new();
        encode_body(&mut want, 123_456, &salt, b"{\"e\":1}", b"raw!");
        assert_eq!(e.record, want);
        assert_eq!(decode_body(&e.record).unwrap().seq, 123_456);
    }

    #[test]
    fn salts_are_distinct() {
        let salts = random_salts(64).unwrap();
        let mut unique = salts.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 64);
    }
}
