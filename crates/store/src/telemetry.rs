//! The log's metrics (docs/METRICS.md), recorded through the `metrics` facade: a no-op until
//! the server installs a recorder.
//!
//! The writer records once per fsync group, never per entry; the gauges are set when the
//! metrics are scraped ([`record_gauges`]), the checkpoint's age from its publication time.

use std::time::{Duration, SystemTime};

use metrics::{describe_gauge, describe_histogram, gauge, histogram, Unit};

use crate::EmbeddedLog;

/// Histogram: entries per fsync group.
pub const APPEND_BATCH_ENTRIES: &str = "authtrail_log_append_batch_entries";
/// Histogram: time the writer waits for a group's fsyncs, seconds.
pub const FSYNC_SECONDS: &str = "authtrail_log_fsync_duration_seconds";
/// Gauge: durable (acknowledged) entries, the tree size.
pub const TREE_SIZE: &str = "authtrail_log_tree_size_entries";
/// Gauge: entries covered by the latest signed checkpoint.
pub const CHECKPOINT_SIZE: &str = "authtrail_checkpoint_size_entries";
/// Gauge: time since the latest checkpoint was signed, seconds.
pub const CHECKPOINT_AGE: &str = "authtrail_checkpoint_age_seconds";

/// Bucket bounds of [`APPEND_BATCH_ENTRIES`]: powers of four up to the largest group.
pub const APPEND_BATCH_BUCKETS: &[f64] = &[
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0,
];
/// Bucket bounds of [`FSYNC_SECONDS`]: from a fast SSD's 100 µs to a stalled disk's seconds.
pub const FSYNC_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Registers the help text and units of the log's metrics.
pub fn describe() {
    describe_histogram!(
        APPEND_BATCH_ENTRIES,
        Unit::Count,
        "Entries per group commit (one fsync)"
    );
    describe_histogram!(
        FSYNC_SECONDS,
        Unit::Seconds,
        "Time a group commit waits for its fsyncs"
    );
    describe_gauge!(
        TREE_SIZE,
        Unit::Count,
        "Durable (acknowledged) entries in the log"
    );
    describe_gauge!(
        CHECKPOINT_SIZE,
        Unit::Count,
        "Entries covered by the latest signed checkpoint"
    );
    describe_gauge!(
        CHECKPOINT_AGE,
        Unit::Seconds,
        "Time since the latest checkpoint was signed (one is signed only when entries arrive)"
    );
}

/// Records one group commit: its entries and its fsync time.
pub(crate) fn record_group(entries: usize, fsync: Duration) {
    histogram!(APPEND_BATCH_ENTRIES).record(entries as f64);
    histogram!(FSYNC_SECONDS).record(fsync.as_secs_f64());
}

/// Sets the log's gauges as they are now: tree size, checkpoint size and age.
pub fn record_gauges(log: &EmbeddedLog) {
    gauge!(TREE_SIZE).set(log.size() as f64);
    gauge!(CHECKPOINT_SIZE).set(log.checkpoint().checkpoint.size as f64);
    let age = log
        .checkpoint_published_at()
        .and_then(|at| SystemTime::now().duration_since(at).ok())
        .unwrap_or_default();
    gauge!(CHECKPOINT_AGE).set(age.as_secs_f64());
}
