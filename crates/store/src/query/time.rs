//! Time bounds: relative durations (`30s`, `15m`, `24h`, `7d`), RFC 3339 timestamps, dates.

use jiff::{civil::Date, tz::TimeZone, Timestamp};

/// Resolves a `since=`/`until=` value to ms since the epoch, given `now_ms`; `None` if invalid.
pub fn resolve(text: &str, now_ms: i64) -> Option<i64> {
    let ms = if let Some(ms) = duration_ms(text) {
        now_ms.checked_sub(ms)?
    } else if let Ok(ts) = text.parse::<Timestamp>() {
        ts.as_millisecond()
    } else if text.len() == 10 {
        let date: Date = text.parse().ok()?;
        date.to_zoned(TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_millisecond()
    } else {
        return None;
    };
    // Only bounds that are representable timestamps, so `Display` can print them.
    Timestamp::from_millisecond(ms).ok().map(|_| ms)
}

/// A duration `N` followed by `s`, `m`, `h` or `d`, in ms.
fn duration_ms(text: &str) -> Option<i64> {
    let unit = text.chars().last()?;
    let digits = &text[..text.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    let scale = match unit {
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        _ => return None,
    };
    n.checked_mul(scale)
}

/// Formats a resolved bound as RFC 3339 (what `Display` prints).
pub fn format(ms: i64) -> String {
    match Timestamp::from_millisecond(ms) {
        Ok(ts) => ts.to_string(),
        // Unreachable for parsed bounds; the number keeps the output honest anyway.
        Err(_) => ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_773_600_000; // 2026-11-27T10:00:00Z

    #[test]
    fn durations_are_relative_to_now() {
        assert_eq!(resolve("30s", NOW), Some(NOW - 30_000));
        assert_eq!(resolve("15m", NOW), Some(NOW - 900_000));
        assert_eq!(resolve("24h", NOW), Some(NOW - 86_400_000));
        assert_eq!(resolve("7d", NOW), Some(NOW - 7 * 86_400_000));
        assert_eq!(resolve("0s", NOW), Some(NOW));
    }

    #[test]
    fn timestamps_and_dates() {
        assert_eq!(resolve("2026-11-27T10:00:00Z", 0), Some(NOW));
        assert_eq!(resolve("2026-11-27T11:00:00+01:00", 0), Some(NOW));
        assert_eq!(resolve("2026-11-27", 0), Some(NOW - 36_000_000));
        assert_eq!(format(NOW), "2026-11-27T10:00:00Z");
        assert_eq!(resolve(&format(NOW + 5), 0), Some(NOW + 5));
    }

    #[test]
    fn rejects_bad_times() {
        for bad in [
            "yesterday",
            "",
            "h",
            "-5h",
            "5w",
            "2026-13-01",
            "2026-11-27T10:00:00",
            "99999999999999999d",
        ] {
            assert_eq!(resolve(bad, NOW), None, "{bad}");
        }
    }
}
