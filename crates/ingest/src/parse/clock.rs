//! Times without a year or a zone: classic syslog's `Mmm dd hh:mm:ss`.
//!
//! The zone comes from configuration (default UTC). The year is inferred: the first timestamp of
//! a stream takes the year of the time of ingest, or the year before when its month lies after
//! the ingest month (a December line read in January is last year's). After that, a jump back
//! of six months or more (December → January) starts the next year, and a jump forward of six
//! months or more (a late December line after January ones) belongs to the year before; smaller
//! steps back are taken as the usual disorder of merged logs, not a new year.

use jiff::civil::{date, Date, DateTime, Time};
use jiff::tz::TimeZone;

/// Infers the year of year-less timestamps across one stream (a file, a connection, a batch).
#[derive(Clone, Debug, Default)]
pub struct YearTracker {
    last: Option<(i16, i8)>,
}

impl YearTracker {
    /// The year of a timestamp in `month` (1-12), given the date of ingest in the log's zone.
    pub fn year_for(&mut self, month: i8, ingest: Date) -> i16 {
        let year = match self.last {
            None => {
                if month > ingest.month() {
                    ingest.year() - 1
                } else {
                    ingest.year()
                }
            }
            Some((year, last_month)) => {
                if last_month - month >= 6 {
                    year + 1
                } else if month - last_month >= 6 {
                    year - 1
                } else {
                    year
                }
            }
        };
        self.last = Some((year, month));
        year
    }
}

/// Milliseconds since the epoch of a wall-clock time in `zone` (the earlier instant when a
/// DST change makes it ambiguous), or `None` when the fields are not a valid date and time.
pub fn civil_to_ms(
    zone: &TimeZone,
    year: i16,
    month: i8,
    day: i8,
    hms: (i8, i8, i8),
    nanos: i32,
) -> Option<i64> {
    let d = Date::new(year, month, day).ok()?;
    // A leap second (:60) is kept as the last instant of the minute before it.
    let (second, nanos) = if hms.2 == 60 {
        (59, 999_999_999)
    } else {
        (hms.2, nanos)
    };
    let time = Time::new(hms.0, hms.1, second, nanos).ok()?;
    let dt: DateTime = d.to_datetime(time);
    let ts = zone.to_ambiguous_timestamp(dt).compatible().ok()?;
    Some(ts.as_millisecond())
}

/// The month number (1-12) of an English three-letter month abbreviation.
pub fn month_number(abbr: &[u8]) -> Option<i8> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    MONTHS
        .iter()
        .position(|m| m.as_slice() == abbr)
        .map(|i| i as i8 + 1)
}

/// The date of an epoch-milliseconds instant in `zone`.
pub fn date_in(zone: &TimeZone, ms: i64) -> Date {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => zone.to_datetime(ts).date(),
        Err(_) => date(1970, 1, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn december_to_january_rolls_the_year() {
        // loghub's OpenSSH_2k runs Dec 10 -> Jan 8; ingested on 2026-11-27.
        let ingest = date(2026, 11, 27);
        let mut years = YearTracker::default();
        assert_eq!(years.year_for(12, ingest), 2025);
        assert_eq!(years.year_for(12, ingest), 2025);
        assert_eq!(years.year_for(1, ingest), 2026);
        assert_eq!(years.year_for(1, ingest), 2026);
        // A late line from the previous December, then January again.
        assert_eq!(years.year_for(12, ingest), 2025);
        assert_eq!(years.year_for(1, ingest), 2026);
        // Ordinary disorder does not change the year.
        assert_eq!(years.year_for(2, ingest), 2026);
        assert_eq!(years.year_for(1, ingest), 2026);
    }

    #[test]
    fn first_line_takes_the_ingest_year_unless_in_the_future() {
        let ingest = date(2026, 3, 1);
        assert_eq!(YearTracker::default().year_for(3, ingest), 2026);
        assert_eq!(YearTracker::default().year_for(1, ingest), 2026);
        assert_eq!(YearTracker::default().year_for(4, ingest), 2025);
    }

    #[test]
    fn civil_times_follow_the_zone() {
        let utc = TimeZone::UTC;
        assert_eq!(
            civil_to_ms(&utc, 2025, 12, 10, (6, 55, 46), 0),
            Some(1_765_349_746_000)
        );
        let paris = TimeZone::get("Europe/Paris").unwrap();
        assert_eq!(
            civil_to_ms(&paris, 2025, 12, 10, (7, 55, 46), 500_000_000),
            Some(1_765_349_746_500)
        );
        assert_eq!(civil_to_ms(&utc, 2025, 2, 30, (0, 0, 0), 0), None);
        // Out-of-range clocks are refused (found by fuzzing: they used to panic); a leap
        // second is the last instant of its minute.
        assert_eq!(civil_to_ms(&utc, 2025, 1, 1, (24, 0, 0), 0), None);
        assert_eq!(civil_to_ms(&utc, 2025, 1, 1, (10, 80, 0), 0), None);
        assert_eq!(civil_to_ms(&utc, 2025, 1, 1, (10, 0, 61), 0), None);
        assert_eq!(
            civil_to_ms(&utc, 2016, 12, 31, (23, 59, 60), 0),
            Some(1_483_228_799_999)
        );
        assert_eq!(month_number(b"Dec"), Some(12));
        assert_eq!(month_number(b"dec"), None);
    }
}
