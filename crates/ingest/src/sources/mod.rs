//! Sources that feed the pipeline from outside a request: syslog listeners and file tailing.
//! Each runs one [`crate::Normalizer`] per stream (connection, file) and appends batch by batch.

pub mod framing;
pub mod syslog;
pub mod tail;
