//! authtrail's storage: the embedded on-disk log (the default backend).
//!
//! The model: a data directory holds one log. [`EmbeddedLog`] is its only writer (a lock file
//! keeps out a second process): appenders hand it [`PreparedEntry`] batches, a single writer
//! thread sequences them, fsyncs once per group and answers; then it integrates the new leaves
//! into the stored hashes, and a publisher thread signs a checkpoint at least every second.
//! [`verify`] checks a data directory from its files alone, without trusting any of them.
//! [`search`] answers queries over a log, and [`trace`] follows correlation keys through it.
#![forbid(unsafe_code)]

pub mod error;
mod files;
pub mod index;
pub mod keys;
pub mod layout;
mod log;
pub mod packed;
pub mod prepare;
pub mod query;
mod read;
mod recover;
pub mod search;
pub mod sync;
pub mod telemetry;
pub mod trace;
pub mod verify;
mod writer;

pub use error::{Result, StoreError};
pub use layout::Layout;
pub use log::{read_checkpoint, EmbeddedLog, LogOptions, SignedCheckpoint};
pub use prepare::PreparedEntry;
pub use read::{LogReader, StoredEntry};
