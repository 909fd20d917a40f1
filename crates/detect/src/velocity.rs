//! One velocity rule's state for one group: the place and time of its last placed event.
//!
//! Events are taken in log order. Each matching event with coordinates (its own, or from GeoIP)
//! is compared with the group's previous one: the great-circle distance between them, and the
//! speed that distance takes over the time between them (event time, either order). The rule
//! fires when the distance is over `min_distance_km` and the speed over `max_speed_kmh` (two
//! events at the same time far apart are infinitely fast). Then the new event becomes the one
//! the next is compared with. Events from an allowed AS or network are not looked at.

use crate::geo::distance_km;
use crate::rule::Velocity;

/// A placed event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fix {
    /// Event time, ms.
    pub t: i64,
    /// The entry's seq.
    pub seq: u64,
    /// Latitude and longitude, millionths of a degree.
    pub coords: (i64, i64),
    /// ISO country code, when known.
    pub country: Option<String>,
    /// The source address, when known.
    pub ip: Option<String>,
}

/// Travel between two placed events that was too fast.
#[derive(Clone, Debug)]
pub(crate) struct Travel {
    /// The earlier event.
    pub from: Fix,
    /// The later event.
    pub to: Fix,
    /// Distance between them, km.
    pub distance_km: f64,
    /// Speed, km/h (infinite when they are at the same time).
    pub speed_kmh: f64,
}

/// The state of one (velocity rule, group).
#[derive(Clone, Debug, Default)]
pub(crate) struct VelocityGroup {
    /// The last placed event.
    pub last: Option<Fix>,
    /// Newest event time seen in the group.
    pub newest: Option<i64>,
    /// Time of the last alert's later event.
    pub last_fired: Option<i64>,
    /// The engine's event count when an event last joined this group.
    pub touched: u64,
}

impl VelocityGroup {
    /// Takes one placed event of the group; answers the travel when it is impossible (and not
    /// suppressed).
    pub fn observe(&mut self, rule: &Velocity, suppress_ms: i64, fix: Fix) -> Option<Travel> {
        self.newest = Some(self.newest.map_or(fix.t, |n| n.max(fix.t)));
        let previous = self.last.replace(fix.clone())?;
        let distance_km = distance_km(previous.coords, fix.coords);
        let hours = fix.t.abs_diff(previous.t) as f64 / 3_600_000.0;
        let speed_kmh = if hours > 0.0 {
            distance_km / hours
        } else {
            f64::INFINITY
        };
        if distance_km <= rule.min_distance_km || speed_kmh <= rule.max_speed_kmh {
            return None;
        }
        let end = fix.t.max(previous.t);
        if self
            .last_fired
            .is_some_and(|f| end < f.saturating_add(suppress_ms))
        {
            return None;
        }
        self.last_fired = Some(end);
        Some(Travel {
            from: previous,
            to: fix,
            distance_km,
            speed_kmh,
        })
    }

    /// Whether the group can be forgotten at watermark `now`: no later event could travel from
    /// its last place too fast, and no suppression running.
    pub fn idle(&self, rule: &Velocity, suppress_ms: i64, now: i64, lateness_ms: i64) -> bool {
        let earliest = now.saturating_sub(lateness_ms);
        let stale = self
            .newest
            .is_none_or(|n| n.saturating_add(rule.horizon_ms()) <= earliest);
        let unsuppressed = self
            .last_fired
            .is_none_or(|f| f.saturating_add(suppress_ms) <= earliest);
        stale && unsuppressed
    }
}
