//! authtrail's ingest pipeline: decode input into records, normalize each record to an OCSF
//! event (or an unparsed event saying why), and prepare the batch for the log.
//!
//! Every source (HTTP, CLI files, syslog, file tailing) goes through [`pipeline`], so a
//! record is handled the same way whichever door it came in by. A batch is all or nothing:
//! input that is not even well-formed (bad JSON, an oversized record) rejects the whole batch
//! with the place of the error; input that is well-formed but not a valid event is kept as an
//! unparsed event and counted.
#![forbid(unsafe_code)]

pub mod decode;
pub mod error;
pub mod limits;
pub mod parse;
pub mod pipeline;
pub mod received;
pub mod sources;
pub mod telemetry;

pub use error::IngestError;
pub use limits::Limits;
pub use parse::{ParseConfig, Parser};
pub use pipeline::{prepare_batch, BatchSummary, InputFormat, Normalizer, PreparedBatch};
