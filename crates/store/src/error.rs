//! The store's error type.

use std::path::PathBuf;

use authtrail_ledger::LedgerError;

/// Everything that can go wrong in storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file operation failed.
    #[error("{op} {path}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file it was done to.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the data directory.
    #[error("data directory {0} is in use by another authtrail process")]
    Locked(PathBuf),
    /// The data directory has no signing key: run `authtrail init`.
    #[error("data directory {0} is not initialized (no log.key): run `authtrail init`")]
    NotInitialized(PathBuf),
    /// The data on disk contradicts itself in a way recovery must not paper over.
    #[error("log damaged: {0}; run `authtrail verify` for details")]
    Damaged(String),
    /// A sequence number or size beyond the log.
    #[error("{0}")]
    NotFound(String),
    /// A request that cannot be answered as asked (sizes out of range, bad arguments).
    #[error("{0}")]
    InvalidRequest(String),
    /// The body of an entry was pruned by retention.
    #[error("entry {0}: body pruned")]
    Pruned(u64),
    /// An earlier write failed; the log refuses further appends until it is reopened.
    #[error("log is read-only after a failed write: {0}")]
    Poisoned(String),
    /// The log is shutting down.
    #[error("log is closed")]
    Closed,
    /// An error from the ledger logic.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl StoreError {
    /// Wrap an I/O error with the operation and path.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

/// Result type of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
