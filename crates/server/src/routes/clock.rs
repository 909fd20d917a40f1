//! The wall clock the handlers resolve relative times (`24h`) against.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time, ms since the epoch.
pub fn now_ms() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}
