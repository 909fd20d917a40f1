//! A threshold rule's window as stored: its entries with their counted values.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::rule::Threshold;
use crate::window::{Entry, GroupWindow};

/// One group's window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupState {
    /// The group key's values, in `group_by` order.
    pub key: Vec<String>,
    /// The group's newest effective event time.
    pub newest: i64,
    /// The end of the window of the group's last alert.
    pub last_fired: Option<i64>,
    /// The entries kept, in time order: `(time, seq, distinct field values)`.
    pub entries: Vec<(i64, u64, Vec<Option<String>>)>,
}

/// A threshold group as stored.
pub(super) fn window_state(key: &[String], w: &GroupWindow) -> GroupState {
    GroupState {
        key: key.to_vec(),
        newest: w.newest,
        last_fired: w.last_fired,
        entries: w
            .entries()
            .map(|e| {
                let values = e
                    .values
                    .iter()
                    .map(|v| v.as_deref().map(str::to_string))
                    .collect();
                (e.t, e.seq, values)
            })
            .collect(),
    }
}

/// The window a stored group describes, with its running tally rebuilt.
pub(super) fn window_of(rule: &Threshold, g: &GroupState) -> GroupWindow {
    let entries = g.entries.iter().map(|(t, seq, values)| Entry {
        t: *t,
        seq: *seq,
        values: values.iter().map(|v| v.as_deref().map(Arc::from)).collect(),
    });
    GroupWindow::from_parts(rule, entries, g.newest, g.last_fired)
}
