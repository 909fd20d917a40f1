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
    /// A text line is longer than the line limit (from a caller that is answered; other
    /// sources store the line cut and flagged).
    #[error("line {line} is {size} bytes, over the {limit}-byte line limit (max_line_bytes)")]
    LineTooLong {
        /// 1-based line.
        line: usize,
        /// Its length.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A string in the event made of one record is longer than the field limit (from a caller
    /// that is answered; other sources store the record as unparsed with the reason).
    #[error("the event at line {line} has field {field} of {size} bytes, over the {limit}-byte field limit (max_field_bytes)")]
    FieldTooLong {
        /// 1-based line where the record starts.
        line: usize,
        /// The field's path in the event (`user.name`, `unmapped.note`).
        field: String,
        /// Its length.
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
    /// An OTLP/JSON request does not have the shape of an `ExportLogsServiceRequest`.
    #[error("invalid OTLP/JSON request at line {line}: {path}: {message}")]
    InvalidOtlp {
        /// 1-based line of the input on which the request starts.
        line: usize,
        /// Where in the request, as a JSON path (`resourceLogs[0].scopeLogs[1].logRecords[3].traceId`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A body that should be a protobuf `ExportLogsServiceRequest` is not one.
    #[error("invalid OTLP protobuf request: {0}")]
    InvalidProtobuf(String),
    /// An OTLP request's records, each made a request of its own with its resource and scope,
    /// come to more bytes than a batch may hold.
    #[error(
        "the request's log records, each stored with its resource and scope, come to more than \
         {limit} bytes; send fewer records per request"
    )]
    ExpandedTooLarge {
        /// The limit.
        limit: usize,
    },
    /// A problem with the batch's parameters (e.g. the source name).
    #[error("{0}")]
    InvalidRequest(String),
}
