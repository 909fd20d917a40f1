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
    /// Longest text line: a longer one rejects the batch of a caller that can be answered
    /// (HTTP), and is stored cut to this and flagged from one that cannot (syslog, files).
    pub max_line_bytes: usize,
    /// Longest string in an event (a value or a key, typed field or not): past it, as for lines.
    pub max_field_bytes: usize,
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
            // A user name, host name or user agent this long is a mistake or an attack; 16 KiB
            // still holds the longest real values (JWTs in headers, long SAML subjects).
            max_field_bytes: 16 * 1024,
        }
    }
}
