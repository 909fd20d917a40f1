//! The memory of first_seen and dormant rules as stored: values seen, last events.

use serde::{Deserialize, Serialize};

use crate::dormant::DormantGroup;
use crate::first_seen::SeenGroup;

/// One first_seen group's memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstSeenState {
    /// The group key's values, in `group_by` order.
    pub key: Vec<String>,
    /// Time of the group's first event.
    pub first: i64,
    /// Newest event time seen.
    pub newest: i64,
    /// Events seen.
    pub events: u64,
    /// Each value and when it was last seen, sorted by value.
    pub values: Vec<(String, i64)>,
    /// Time of the last alert.
    pub last_fired: Option<i64>,
}

/// One dormant group's memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DormantState {
    /// The group key's values, in `group_by` order.
    pub key: Vec<String>,
    /// Newest event time seen.
    pub last: i64,
    /// Time of the last alert.
    pub last_fired: Option<i64>,
}

/// A first_seen group as stored.
pub(super) fn seen_state(key: &[String], g: &SeenGroup) -> FirstSeenState {
    let mut values: Vec<(String, i64)> = g.values.iter().map(|(v, t)| (v.clone(), *t)).collect();
    values.sort();
    FirstSeenState {
        key: key.to_vec(),
        first: g.first,
        newest: g.newest,
        events: g.events,
        values,
        last_fired: g.last_fired,
    }
}

/// The first_seen group a stored one describes.
pub(super) fn seen_of(f: &FirstSeenState) -> SeenGroup {
    SeenGroup {
        first: f.first,
        newest: f.newest,
        events: f.events,
        values: f.values.iter().cloned().collect(),
        last_fired: f.last_fired,
        touched: 0,
    }
}

/// A dormant group as stored.
pub(super) fn dormant_state(key: &[String], d: &DormantGroup) -> DormantState {
    DormantState {
        key: key.to_vec(),
        last: d.last,
        last_fired: d.last_fired,
    }
}

/// The dormant group a stored one describes.
pub(super) fn dormant_of(d: &DormantState) -> DormantGroup {
    DormantGroup {
        last: d.last,
        last_fired: d.last_fired,
        touched: 0,
    }
}
