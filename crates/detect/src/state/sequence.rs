//! A sequence rule's runs as stored.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::rule::Sequence;
use crate::sequence::{Hit, Run, SequenceGroup};

/// One event a sequence counted: `(time, seq, uid of the alert it is)`.
pub type HitState = (i64, u64, Option<String>);

/// One group's sequence runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceState {
    /// The group key's values, in `group_by` order.
    pub key: Vec<String>,
    /// The group's newest event time.
    pub newest: Option<i64>,
    /// The time of the last alert's last event.
    pub last_fired: Option<i64>,
    /// The first step's latest events.
    pub first: Vec<HitState>,
    /// Per step, the run waiting for it (index 0 unused).
    pub runs: Vec<Option<RunState>>,
}

/// A sequence run under way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    /// Time of its first event.
    pub start: i64,
    /// Events of its current step so far.
    pub in_step: u64,
    /// Its events.
    pub hits: Vec<HitState>,
}

/// A sequence group as stored.
pub(super) fn sequence_state(key: &[String], g: &SequenceGroup) -> SequenceState {
    let hit = |h: &Hit| (h.t, h.seq, h.alert.as_deref().map(str::to_string));
    SequenceState {
        key: key.to_vec(),
        newest: g.newest,
        last_fired: g.last_fired,
        first: g.first.iter().map(hit).collect(),
        runs: g
            .runs
            .iter()
            .map(|r| {
                r.as_ref().map(|r| RunState {
                    start: r.start,
                    in_step: r.in_step,
                    hits: r.hits.iter().map(hit).collect(),
                })
            })
            .collect(),
    }
}

/// The sequence group a stored one describes.
pub(super) fn sequence_of(rule: &Sequence, s: &SequenceState) -> SequenceGroup {
    let hit = |(t, seq, alert): &HitState| Hit {
        t: *t,
        seq: *seq,
        alert: alert.as_deref().map(Arc::from),
    };
    let mut g = SequenceGroup::new(rule);
    g.newest = s.newest;
    g.last_fired = s.last_fired;
    g.first = s.first.iter().map(hit).collect();
    for (slot, run) in g.runs.iter_mut().zip(&s.runs) {
        *slot = run.as_ref().map(|r| Run {
            start: r.start,
            in_step: r.in_step,
            hits: r.hits.iter().map(hit).collect(),
        });
    }
    g
}
