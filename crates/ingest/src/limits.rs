//! Input limits, in one place, each with the reason for its default.

/// Limits on what one batch may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body or input file accepted as one batch, in bytes.
    pub max_body_bytes: usize,
    /// Largest single record (one event's raw bytes).
    pub max_event_bytes: usize,
    /// Most records in one batch.
    pub max_events_per_batch: usize,
    /// Longest text line kept whole; longer ones are stored cut to this and flagged.
    pub max_line_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // 10,000 events of ~1 KB with room to spare; larger uploads should be split.
            max_body_bytes: 32 * 1024 * 1024,
            // Authentication events are small; anything near this is a mistake or an attack.
            max_event_bytes: 1024 * 1024,
            // Bounds the memory and the fsync group one request can occupy.
            max_events_per_batch: 100_000,
            // Syslog's own limits are 1-8 KiB; 64 KiB leaves room for long access-log lines.
            max_line_bytes: 64 * 1024,
        }
    }
}
