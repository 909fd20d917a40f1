//! Entries ready to append: bodies, salt and digests computed by the caller's thread, so the
//! single writer only numbers, writes and syncs them.

use authtrail_ledger::entry::{salted_digest, validate_source, EntryHeader, Salt, SALT_SIZE};
use authtrail_ledger::Hash;

use crate::error::{Result, StoreError};

/// Largest event or raw body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Check that a source name can go into an entry header.
pub fn validate_source_name(source: &str) -> Result<()> {
    Ok(validate_source(source)?)
}

/// One entry to append: its bodies and the parts of its header known before sequencing.
#[derive(Clone, Debug)]
pub struct PreparedEntry {
    pub(crate) received_at_ns: i64,
    pub(crate) class_uid: u32,
    pub(crate) source: String,
    pub(crate) salt: Salt,
    pub(crate) event: Vec<u8>,
    pub(crate) raw: Vec<u8>,
    pub(crate) event_digest: Hash,
    pub(crate) raw_digest: Hash,
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
        validate_source(source)?;
        for (what, body) in [("event", &event), ("raw input", &raw)] {
            if body.len() > MAX_BODY_BYTES {
                return Err(StoreError::InvalidRequest(format!(
                    "{what} of {} bytes exceeds the {MAX_BODY_BYTES}-byte limit",
                    body.len()
                )));
            }
        }
        let mut salt = [0u8; SALT_SIZE];
        getrandom::fill(&mut salt).map_err(|e| {
            StoreError::io(
                "read random salt",
                "getrandom",
                std::io::Error::other(e.to_string()),
            )
        })?;
        Ok(PreparedEntry {
            received_at_ns,
            class_uid,
            source: source.to_string(),
            event_digest: salted_digest(&salt, &event),
            raw_digest: salted_digest(&salt, &raw),
            salt,
            event,
            raw,
        })
    }

    /// The raw input bytes.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The canonical event bytes.
    pub fn event(&self) -> &[u8] {
        &self.event
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

    /// Bytes this entry occupies in memory, for bounding a group.
    pub(crate) fn weight(&self) -> usize {
        self.event.len() + self.raw.len() + 128
    }
}
