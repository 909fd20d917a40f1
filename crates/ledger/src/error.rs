//! The ledger's error type.

/// Everything that can go wrong in the ledger's pure logic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// A proof did not verify; the message says which check failed.
    #[error("proof rejected: {0}")]
    ProofRejected(String),
    /// A request for a proof or tile that the tree cannot answer (sizes or indexes out of range).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A signed note, key or checkpoint that does not follow its format.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being decoded (note, verifier key, checkpoint, tile path, entry header...).
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A signed note that carries no valid signature from any known key.
    #[error("no valid signature from a known key")]
    NoValidSignature,
    /// A note that carries a signature by a known key that does not verify.
    #[error("invalid signature by {0}")]
    BadSignature(String),
    /// One entry of an evidence set failed its check (the set is rejected at its first bad entry).
    #[error("entry {seq}: {reason}")]
    EntryRejected {
        /// The entry's seq.
        seq: u64,
        /// What is wrong with it.
        reason: Box<LedgerError>,
    },
    /// The storage behind a hash reader or writer, or the writer a wire form goes to, failed.
    #[error("storage: {0}")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl LedgerError {
    /// Shorthand for a [`LedgerError::Malformed`] error.
    pub fn malformed(what: &'static str, reason: impl Into<String>) -> Self {
        LedgerError::Malformed {
            what,
            reason: reason.into(),
        }
    }
}
