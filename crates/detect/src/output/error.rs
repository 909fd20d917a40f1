//! What can go wrong opening the outbox, queueing alerts or starting the dispatcher.

/// An error of the alert outputs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// A configured output is invalid: which output, which key, and why.
    #[error("alerts output {output:?}: {key}: {message}")]
    Config {
        /// The output's name (`webhook-1` when it has none).
        output: String,
        /// The config key at fault (`url`, `format`, `secret_env`, ...).
        key: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The outbox's tables in the database could not be read or written.
    #[error("alerts outbox: {0}")]
    Store(#[from] redb::Error),
    /// An alert could not be encoded for the outbox.
    #[error("alerts outbox: encoding alert {uid}: {source}")]
    Encode {
        /// The alert's uid.
        uid: String,
        /// The encoder's error.
        source: serde_json::Error,
    },
    /// A dispatcher is already running on this database's outbox.
    #[error("alerts dispatcher: one is already running")]
    AlreadyRunning,
    /// The delivery thread could not be started or could not set up its outputs.
    #[error("alerts dispatcher: cannot start: {0}")]
    Start(String),
}

impl OutputError {
    /// A config error of `output`'s `key`.
    pub(crate) fn config(output: &str, key: &'static str, message: impl Into<String>) -> Self {
        OutputError::Config {
            output: output.to_string(),
            key,
            message: message.into(),
        }
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for OutputError {
            fn from(e: $t) -> Self {
                OutputError::Store(redb::Error::from(e))
            }
        }
    )*};
}
from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Why one delivery attempt failed (logged, then retried).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    /// The HTTP request failed (connect, TLS, timeout...).
    #[error("{}", chain(.0))]
    Http(reqwest::Error),
    /// The receiver answered with a status other than 2xx.
    #[error("receiver answered HTTP {0}")]
    Status(u16),
    /// A socket or stdout write failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The address resolved to nothing.
    #[error("{0} resolves to no address")]
    NoAddress(String),
    /// The body could not be signed.
    #[error("cannot sign: {0}")]
    Sign(#[from] hmac::digest::InvalidLength),
    /// The stored delivery could not be read back.
    #[error("stored delivery unreadable: {0}")]
    Unreadable(serde_json::Error),
}

impl From<reqwest::Error> for SendError {
    fn from(e: reqwest::Error) -> Self {
        // The URL can carry a credential (Slack's do): keep it out of the logs.
        SendError::Http(e.without_url())
    }
}

/// An error and its sources, `a: b: c`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
