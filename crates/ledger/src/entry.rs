//! The entry header: the leaf of the log, and the salted digests that bind it to its bodies.
//!
//! Byte format (version 1, big-endian; `docs/FORMAT.md` is the normative description):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | format version = 1 |
//! | 1 | 8 | seq (u64) |
//! | 9 | 8 | received_at, nanoseconds since the Unix epoch, UTC (i64) |
//! | 17 | 4 | class_uid (u32) |
//! | 21 | 32 | event_digest = SHA-256(salt ‖ canonical event bytes) |
//! | 53 | 32 | raw_digest = SHA-256(salt ‖ raw bytes) |
//! | 85 | 1 | source length n (1..=64) |
//! | 86 | n | source name, ASCII `[A-Za-z0-9._:/@-]` |

use sha2::{Digest, Sha256};

use crate::error::LedgerError;
use crate::hash::{leaf_hash, Hash, HASH_SIZE};

/// The header format version this code writes.
pub const HEADER_VERSION: u8 = 1;
/// Size of the fixed part of a header (everything but the source name).
pub const HEADER_FIXED_SIZE: usize = 86;
/// Longest source name a header can carry.
pub const MAX_SOURCE_LEN: usize = 64;
/// Longest header: fixed part plus the longest source name.
pub const MAX_HEADER_SIZE: usize = HEADER_FIXED_SIZE + MAX_SOURCE_LEN;
/// Size of the per-entry random salt stored beside the bodies.
pub const SALT_SIZE: usize = 32;

/// A per-entry random salt.
pub type Salt = [u8; SALT_SIZE];

/// The leaf of the log: what an entry is, without any personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryHeader {
    /// Position in the log, from 0.
    pub seq: u64,
    /// When the log received the entry, nanoseconds since the Unix epoch (UTC).
    pub received_at_ns: i64,
    /// OCSF class of the event (0 for unparsed input).
    pub class_uid: u32,
    /// SHA-256(salt ‖ canonical event bytes).
    pub event_digest: Hash,
    /// SHA-256(salt ‖ raw input bytes).
    pub raw_digest: Hash,
    /// Name of the source the entry came from.
    pub source: String,
}

/// Check that a source name fits a header: 1..=64 bytes of `[A-Za-z0-9._:/@-]`.
pub fn validate_source(source: &str) -> Result<(), LedgerError> {
    if source.is_empty() || source.len() > MAX_SOURCE_LEN {
        return Err(LedgerError::malformed(
            "source name",
            format!("{source:?} must be 1 to {MAX_SOURCE_LEN} bytes long"),
        ));
    }
    if let Some(c) = source
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._:/@-".contains(*c)))
    {
        return Err(LedgerError::malformed(
            "source name",
            format!("{source:?} contains {c:?}; allowed are letters, digits and . _ : / @ -"),
        ));
    }
    Ok(())
}

/// SHA-256(salt ‖ body): the digest a header carries for one body.
pub fn salted_digest(salt: &Salt, body: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(body);
    h.finalize().into()
}

impl EntryHeader {
    /// Encode to the version-1 byte format; the source must be valid.
    pub fn encode(&self) -> Result<Vec<u8>, LedgerError> {
        let mut out = Vec::with_capacity(HEADER_FIXED_SIZE + self.source.len());
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// Append the version-1 encoding to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), LedgerError> {
        validate_source(&self.source)?;
        out.push(HEADER_VERSION);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.received_at_ns.to_be_bytes());
        out.extend_from_slice(&self.class_uid.to_be_bytes());
        out.extend_from_slice(&self.event_digest);
        out.extend_from_slice(&self.raw_digest);
        out.push(self.source.len() as u8);
        out.extend_from_slice(self.source.as_bytes());
        Ok(())
    }

    /// Decode a version-1 header, rejecting any other length, version or source.
    pub fn decode(bytes: &[u8]) -> Result<Self, LedgerError> {
        let bad = |reason: String| LedgerError::malformed("entry header", reason);
        if bytes.len() < HEADER_FIXED_SIZE {
            return Err(bad(format!(
                "{} bytes, shorter than {HEADER_FIXED_SIZE}",
                bytes.len()
            )));
        }
        if bytes[0] != HEADER_VERSION {
            return Err(bad(format!("unknown format version {}", bytes[0])));
        }
        let source_len = usize::from(bytes[85]);
        if bytes.len() != HEADER_FIXED_SIZE + source_len {
            return Err(bad(format!(
                "{} bytes, but its source length says {}",
                bytes.len(),
                HEADER_FIXED_SIZE + source_len
            )));
        }
        let source = std::str::from_utf8(&bytes[HEADER_FIXED_SIZE..])
            .map_err(|_| bad("source name is not UTF-8".into()))?
            .to_string();
        validate_source(&source)?;
        Ok(EntryHeader {
            seq: u64::from_be_bytes(array(&bytes[1..9])),
            received_at_ns: i64::from_be_bytes(array(&bytes[9..17])),
            class_uid: u32::from_be_bytes(array(&bytes[17..21])),
            event_digest: array(&bytes[21..53]),
            raw_digest: array(&bytes[53..85]),
            source,
        })
    }

    /// The header's Merkle leaf hash.
    pub fn leaf_hash(&self) -> Result<Hash, LedgerError> {
        Ok(leaf_hash(&self.encode()?))
    }

    /// Which of the bodies (if any) fail to match this header's digests under `salt`.
    pub fn check_bodies(&self, salt: &Salt, event: &[u8], raw: &[u8]) -> BodyCheck {
        BodyCheck {
            event_ok: salted_digest(salt, event) == self.event_digest,
            raw_ok: salted_digest(salt, raw) == self.raw_digest,
        }
    }
}

/// Result of checking bodies against a header's digests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyCheck {
    /// The event body matches `event_digest`.
    pub event_ok: bool,
    /// The raw body matches `raw_digest`.
    pub raw_ok: bool,
}

impl BodyCheck {
    /// Both bodies match.
    pub fn ok(&self) -> bool {
        self.event_ok && self.raw_ok
    }
}

fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    out
}

const _: () = assert!(HEADER_FIXED_SIZE == 1 + 8 + 8 + 4 + 2 * HASH_SIZE + 1);

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EntryHeader {
        let salt = [7u8; SALT_SIZE];
        EntryHeader {
            seq: 42,
            received_at_ns: 1_764_000_000_123_456_789,
            class_uid: 3002,
            event_digest: salted_digest(&salt, b"{\"class_uid\":3002}"),
            raw_digest: salted_digest(&salt, b"raw line"),
            source: "okta-prod".into(),
        }
    }

    #[test]
    fn header_round_trips_and_has_the_documented_layout() {
        let h = sample();
        let bytes = h.encode().unwrap();
        assert_eq!(bytes.len(), HEADER_FIXED_SIZE + 9);
        assert_eq!(bytes[0], 1);
        assert_eq!(&bytes[1..9], &42u64.to_be_bytes());
        assert_eq!(&bytes[17..21], &3002u32.to_be_bytes());
        assert_eq!(bytes[85], 9);
        assert_eq!(&bytes[86..], b"okta-prod");
        assert_eq!(EntryHeader::decode(&bytes).unwrap(), h);
    }

    #[test]
    fn malformed_headers_are_rejected() {
        let bytes = sample().encode().unwrap();
        assert!(EntryHeader::decode(&bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.clone();
        longer.push(b'x');
        assert!(EntryHeader::decode(&longer).is_err());
        let mut v2 = bytes.clone();
        v2[0] = 2;
        assert!(EntryHeader::decode(&v2).is_err());
        let mut bad_source = bytes.clone();
        bad_source[86] = b' ';
        assert!(EntryHeader::decode(&bad_source).is_err());
    }

    #[test]
    fn source_names_are_checked() {
        assert!(validate_source("syslog:udp/514").is_ok());
        assert!(validate_source("").is_err());
        assert!(validate_source(&"a".repeat(65)).is_err());
        assert!(validate_source("alice smith").is_err());
        assert!(validate_source("naïve").is_err());
    }

    #[test]
    fn salted_digests_bind_bodies_and_differ_by_salt() {
        let h = sample();
        let salt = [7u8; SALT_SIZE];
        assert!(h
            .check_bodies(&salt, b"{\"class_uid\":3002}", b"raw line")
            .ok());
        let c = h.check_bodies(&salt, b"{\"class_uid\":3003}", b"raw line");
        assert!(!c.event_ok && c.raw_ok);
        assert!(!h
            .check_bodies(&[8u8; SALT_SIZE], b"{\"class_uid\":3002}", b"raw line")
            .ok());
    }
}
