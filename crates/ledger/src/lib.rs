//! The verifiable log: pure logic, no I/O of its own.
//!
//! The model: every appended record is a *leaf* (for authtrail, an entry header, see [`entry`]).
//! Leaves are hashed into an RFC 6962 Merkle tree ([`hash`]); the hashes of complete subtrees are
//! kept level by level behind the [`tree::HashReader`] / [`tree::HashWriter`] traits, from which
//! C2SP tlog-tiles are cut ([`tile`]), roots computed, and inclusion and consistency proofs built
//! and checked ([`proof`]). The tree head is published as a C2SP checkpoint ([`checkpoint`])
//! signed as a C2SP signed note with Ed25519 ([`note`]). An [`evidence`] bundle proves one entry
//! to a third party holding only the verifier key; an [`evidence_set`] proves many against one
//! checkpoint, entry by entry with the same check.
#![forbid(unsafe_code)]

pub mod audit;
pub mod checkpoint;
pub mod entry;
pub mod error;
pub mod evidence;
pub mod evidence_set;
pub mod hash;
pub mod note;
pub mod proof;
pub mod tile;
pub mod tree;

pub use error::LedgerError;
pub use hash::{Hash, HASH_SIZE};
