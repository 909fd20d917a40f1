//! Limits the server enforces beyond the input limits of `authtrail_ingest::Limits` (body,
//! event, line and batch sizes): requests in progress at once, and each token's ingest rate.
//! Past a limit the answer is a 429 with `Retry-After`, never a queue without end or a silent
//! drop.

pub mod concurrency;
pub mod rate;

use std::sync::Arc;
use std::time::Instant;

use axum::http::{header, HeaderValue, StatusCode};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::auth::Caller;
use crate::error::ApiError;
use rate::{IngestRate, RetryAfter};

/// The error code of a batch refused past its token's ingest rate.
pub const RATE_LIMITED: &str = "rate_limited";

/// The server's request limits, in one place, each with the reason for its default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServerLimits {
    /// Requests handled at once; more are answered 429 at once.
    pub max_concurrent_requests: usize,
    /// Events per second one token may ingest, on average (0: no limit).
    pub ingest_events_per_second: u64,
    /// Events one token may ingest at once above its rate (the bucket's size).
    pub ingest_burst_events: u64,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            // Each request may buffer a 32 MiB body: 64 of them is 2 GiB at worst, while 8
            // clients already saturate the log on the 2-core reference machine (bench/README.md).
            max_concurrent_requests: 64,
            // Above what the embedded log sustains on the reference machine (goal 100,000/s), so
            // a default install is never slowed below its capacity; set it to a source's peak
            // rate to stop one runaway token from starving the others.
            ingest_events_per_second: 250_000,
            // Two seconds at that rate, and five default-size batches (100,000 events), so a
            // full batch always fits a full bucket.
            ingest_burst_events: 500_000,
        }
    }
}

/// The limits' state: permits for requests in progress, and each token's rate bucket.
#[derive(Debug)]
pub struct Throttle {
    /// The limits.
    pub limits: ServerLimits,
    /// One permit per request in progress.
    pub in_flight: Arc<Semaphore>,
    /// Each token's ingest rate.
    pub ingest_rate: IngestRate,
}

impl Throttle {
    /// The state for `limits`.
    pub fn new(limits: ServerLimits) -> Self {
        Throttle {
            in_flight: Arc::new(Semaphore::new(limits.max_concurrent_requests)),
            ingest_rate: IngestRate::new(
                limits.ingest_events_per_second,
                limits.ingest_burst_events,
            ),
            limits,
        }
    }
}

impl Throttle {
    /// Take a batch of `events` from the caller's ingest rate; a 429 with `Retry-After` when
    /// its bucket is short (callers without a token are not rate-limited).
    pub fn admit_ingest(&self, caller: &Caller, events: usize) -> Result<(), ApiError> {
        let Some(token) = caller.token_id() else {
            return Ok(());
        };
        let events = u64::try_from(events).unwrap_or(u64::MAX);
        let Err(RetryAfter(seconds)) = self.ingest_rate.admit(token, events, Instant::now()) else {
            return Ok(());
        };
        let (rate, burst) = (self.ingest_rate.rate(), self.ingest_rate.burst());
        Err(ApiError {
            details: json!({
                "events": events,
                "events_per_second": rate,
                "burst_events": burst,
                "retry_after_seconds": seconds,
            }),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                RATE_LIMITED,
                format!(
                    "token {token} is over its ingest rate of {rate} events/s (burst {burst}); \
                     this batch of {events} events was not written: retry after {seconds} s"
                ),
            )
        }
        .with_header(header::RETRY_AFTER, HeaderValue::from(seconds)))
    }
}
