//! The ingest pipeline's error type.

/// Why a batch was rejected as a whole (nothing from it is written).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The input is not well-formed JSON.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    InvalidJson {
        /// 1-based line within the input.
        line: usize,
        /// 1-based column within that line.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// One record is larger than the per-event limit.
    #[error("record at line {line} is {size} bytes, over the {limit}-byte event limit")]
    EventTooLarge {
        /// 1-based line where the record starts.
        line: usize,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The batch holds more records than allowed.
    #[error("batch holds more than {limit} events")]
    TooManyEvents {
        /// The limit.
        limit: usize,
    },
    /// The input holds no records.
    #[error("input holds no events")]
    Empty,
    /// The requested input format is not known.
    #[error("unknown format {0:?}; supported: {names}", names = crate::parse::format::FORMAT_NAMES)]
    UnknownFormat(String),
    /// A problem with the batch's parameters (e.g. the source name).
    #[error("{0}")]
    InvalidRequest(String),
}
