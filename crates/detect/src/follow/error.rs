//! Why the detector could not go on: the log, its own state database, or an alert it built.

/// Everything that can stop the detector.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// Reading the log or appending alerts to it failed.
    #[error("log: {0}")]
    Log(#[from] authtrail_store::StoreError),
    /// The detector's state database failed.
    #[error("detection state ({path}): {source}")]
    State {
        /// The database file.
        path: String,
        /// What redb reported.
        #[source]
        source: redb::Error,
    },
    /// The stored state could not be read back (written by an incompatible version).
    #[error("detection state ({path}): {message}")]
    Corrupt {
        /// The database file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A detection thread could not start, or ended by panicking.
    #[error("detection thread: {0}")]
    Thread(String),
    /// An alert did not become a valid OCSF event (a bug: alerts are built by the engine).
    #[error("alert {uid}: {message}")]
    Alert {
        /// The alert's uid.
        uid: String,
        /// What is wrong.
        message: String,
    },
}
