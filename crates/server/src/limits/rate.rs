//! Each token's ingest rate: a token bucket per token, `burst` events deep, refilled at `rate`
//! events per second.
//!
//! A batch of `n` events is admitted when the bucket holds `min(n, burst)`; it then takes all
//! `n`, which may leave the bucket below zero, so a batch larger than the burst is never refused
//! for good, and the long-run rate still holds. A refused batch takes nothing and writes
//! nothing; its `Retry-After` is the time the bucket needs to refill enough.
//!
//! A full bucket says nothing a missing one does not, so once the map holds [`PRUNE_AT`]
//! buckets (or twice what it held after the last sweep), a new one first drops those that have
//! refilled. The map holds at most twice the tokens that ingested in the last `burst / rate`
//! seconds (two by default), or [`PRUNE_AT`]; the buckets of revoked tokens go with the rest,
//! and each sweep is paid for by as many new buckets as it leaves.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets held before the first sweep of the full ones.
pub const PRUNE_AT: usize = 1024;

/// Per-token buckets.
#[derive(Debug)]
pub struct IngestRate {
    /// Events per second (0: no limit).
    rate: u64,
    /// Bucket size, in events.
    burst: u64,
    buckets: Mutex<Buckets>,
}

/// The buckets by token, and the size at which the next new one sweeps them.
#[derive(Debug)]
struct Buckets {
    by_token: HashMap<String, Bucket>,
    sweep_at: usize,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Events the bucket holds (may be negative after a batch larger than what it held).
    level: f64,
    /// When `level` was computed.
    at: Instant,
}

impl Bucket {
    /// The events it holds at `now`, refilled at `rate` up to `burst`.
    fn level_at(&self, now: Instant, rate: f64, burst: f64) -> f64 {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        (self.level + elapsed * rate).min(burst)
    }
}

/// A refused batch: how long to wait, in whole seconds (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

impl IngestRate {
    /// Buckets of `burst` events refilled at `rate` events per second (`rate` 0: no limit).
    pub fn new(rate: u64, burst: u64) -> Self {
        IngestRate {
            rate,
            burst: burst.max(1),
            buckets: Mutex::new(Buckets {
                by_token: HashMap::new(),
                sweep_at: PRUNE_AT,
            }),
        }
    }

    /// The rate, in events per second (0: no limit).
    pub fn rate(&self) -> u64 {
        self.rate
    }

    /// The bucket size, in events.
    pub fn burst(&self) -> u64 {
        self.burst
    }

    /// Take `events` from `token`'s bucket at time `now`, or say how long to wait.
    pub fn admit(&self, token: &str, events: u64, now: Instant) -> Result<(), RetryAfter> {
        if self.rate == 0 || events == 0 {
            return Ok(());
        }
        let rate = self.rate as f64;
        let burst = self.burst as f64;
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Buckets { by_token, sweep_at } = &mut *buckets;
        if by_token.len() >= *sweep_at && !by_token.contains_key(token) {
            by_token.retain(|_, b| b.level_at(now, rate, burst) < burst);
            *sweep_at = (by_token.len() * 2).max(PRUNE_AT);
        }
        let bucket = by_token.entry(token.to_string()).or_insert(Bucket {
            level: burst,
            at: now,
        });
        bucket.level = bucket.level_at(now, rate, burst);
        bucket.at = now.max(bucket.at);
        let need = (events as f64).min(burst);
        if bucket.level >= need {
            bucket.level -= events as f64;
            return Ok(());
        }
        let wait = Duration::from_secs_f64((need - bucket.level) / rate);
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Err(RetryAfter(seconds.max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds_with_a_computed_wait() {
        let limit = IngestRate::new(100, 300);
        let t0 = Instant::now();
        assert_eq!(limit.admit("a", 300, t0), Ok(()));
        // Empty: 50 events need half a second, rounded up to 1.
        assert_eq!(limit.admit("a", 50, t0), Err(RetryAfter(1)));
        // 250 events need 2.5 s of refill: 3.
        assert_eq!(limit.admit("a", 250, t0), Err(RetryAfter(3)));
        // Another token has its own bucket.
        assert_eq!(limit.admit("b", 300, t0), Ok(()));
        // After 1 s, 100 events are back.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(limit.admit("a", 100, t1), Ok(()));
        assert_eq!(limit.admit("a", 1, t1), Err(RetryAfter(1)));
        // The bucket never holds more than the burst.
        let later = t0 + Duration::from_secs(3600);
        assert_eq!(limit.admit("a", 300, later), Ok(()));
        assert!(limit.admit("a", 1, later).is_err());
    }

    #[test]
    fn a_batch_larger_than_the_burst_waits_for_a_full_bucket_and_leaves_a_debt() {
        let limit = IngestRate::new(100, 100);
        let t0 = Instant::now();
        assert_eq!(limit.admit("a", 1000, t0), Ok(()));
        // 900 events of debt plus a full bucket for the next large batch: 10 s.
        assert_eq!(limit.admit("a", 1000, t0), Err(RetryAfter(10)));
        assert_eq!(limit.admit("a", 1000, t0 + Duration::from_secs(10)), Ok(()));
    }

    /// Buckets held now.
    fn held(limit: &IngestRate) -> usize {
        limit.buckets.lock().unwrap().by_token.len()
    }

    #[test]
    fn refilled_buckets_are_dropped_so_the_map_stays_bounded() {
        let limit = IngestRate::new(100, 100);
        let t0 = Instant::now();
        // Tokens that ingest once and are never seen again (revoked, say).
        for i in 1..PRUNE_AT {
            assert_eq!(limit.admit(&format!("gone-{i}"), 10, t0), Ok(()));
        }
        assert_eq!(limit.admit("debtor", 1000, t0), Ok(()));
        assert_eq!(held(&limit), PRUNE_AT);
        // A second later the small ones have refilled; the next new token sweeps them away,
        // the one still in debt stays.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(limit.admit("new", 1, t1), Ok(()));
        assert_eq!(held(&limit), 2);
        assert_eq!(limit.admit("debtor", 1, t1), Err(RetryAfter(9)));
        // However many tokens come and go, the map holds at most twice those recently active.
        for round in 0..8u64 {
            let t = t1 + Duration::from_secs(2 * (round + 1));
            for i in 0..PRUNE_AT {
                assert_eq!(limit.admit(&format!("r{round}-{i}"), 1, t), Ok(()));
                assert!(held(&limit) <= 2 * (PRUNE_AT + 2), "{}", held(&limit));
            }
        }
    }

    #[test]
    fn rate_zero_is_no_limit() {
        let limit = IngestRate::new(0, 1);
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_eq!(limit.admit("a", 1_000_000, t0), Ok(()));
        }
    }
}
