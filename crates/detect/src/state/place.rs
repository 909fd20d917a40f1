//! The places of velocity and change rules as stored: last placed events, first events.

use serde::{Deserialize, Serialize};

use crate::change::ChangeGroup;
pub use crate::change::Seen as SeenState;
use crate::velocity::{Fix, VelocityGroup};

/// One velocity group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VelocityState {
    /// The group key's values, in `group_by` order.
    pub key: Vec<String>,
    /// The group's newest event time.
    pub newest: Option<i64>,
    /// The time of the last alert's later event.
    pub last_fired: Option<i64>,
    /// The last placed event.
    pub last: Option<FixState>,
}

/// A placed event as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixState {
    /// Event time, ms.
    pub t: i64,
    /// The entry's seq.
    pub seq: u64,
    /// Latitude, millionths of a degree.
    pub lat_e6: i64,
    /// Longitude, millionths of a degree.
    pub long_e6: i64,
    /// ISO country code.
    pub country: Option<String>,
    /// Source address.
    pub ip: Option<String>,
}

/// One change group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeState {
    /// The group key's values, in `group_by` order.
    pub key: Vec<String>,
    /// The group's newest event time.
    pub newest: Option<i64>,
    /// The time of the last alert's event.
    pub last_fired: Option<i64>,
    /// The group's first event as compared.
    pub first: Option<SeenState>,
}

/// A velocity group as stored.
pub(super) fn velocity_state(key: &[String], g: &VelocityGroup) -> VelocityState {
    VelocityState {
        key: key.to_vec(),
        newest: g.newest,
        last_fired: g.last_fired,
        last: g.last.as_ref().map(|f| FixState {
            t: f.t,
            seq: f.seq,
            lat_e6: f.coords.0,
            long_e6: f.coords.1,
            country: f.country.clone(),
            ip: f.ip.clone(),
        }),
    }
}

/// The velocity group a stored one describes.
pub(super) fn velocity_of(s: &VelocityState) -> VelocityGroup {
    VelocityGroup {
        last: s.last.as_ref().map(|f| Fix {
            t: f.t,
            seq: f.seq,
            coords: (f.lat_e6, f.long_e6),
            country: f.country.clone(),
            ip: f.ip.clone(),
        }),
        newest: s.newest,
        last_fired: s.last_fired,
        touched: 0,
    }
}

/// A change group as stored.
pub(super) fn change_state(key: &[String], g: &ChangeGroup) -> ChangeState {
    ChangeState {
        key: key.to_vec(),
        newest: g.newest,
        last_fired: g.last_fired,
        first: g.first.clone(),
    }
}

/// The change group a stored one describes.
pub(super) fn change_of(s: &ChangeState) -> ChangeGroup {
    ChangeGroup {
        first: s.first.clone(),
        newest: s.newest,
        last_fired: s.last_fired,
        touched: 0,
    }
}
