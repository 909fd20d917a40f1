//! The engine's state as data: what a restart needs so that it neither loses a window nor raises
//! an old alert again. [`Engine::state`] takes it, [`Engine::restore`] goes on from it; the
//! caller stores it (with the seq of the last event observed) wherever it keeps durable state.
//!
//! Each rule's groups are kept under the rule's id with a fingerprint of what the stored entries
//! mean (its filter, group fields and distinct fields). A rule whose fingerprint changed (edited
//! between the runs) starts empty; a rule no longer loaded is dropped; thresholds, windows and
//! suppression may change and the kept entries still count.

mod fingerprint;
mod memory;
mod place;
mod sequence;
mod window;

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::{Engine, Groups, Key};
use crate::rule::{Condition, Rule};

pub use fingerprint::fingerprint;
pub use memory::{DormantState, FirstSeenState};
pub use place::{ChangeState, FixState, SeenState, VelocityState};
pub use sequence::{HitState, RunState, SequenceState};
pub use window::GroupState;

/// Everything the engine holds, in a form serde can store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineState {
    /// The newest event time seen (ms).
    pub watermark: Option<i64>,
    /// Events observed.
    pub observed: u64,
    /// Per rule, its groups.
    pub rules: Vec<RuleState>,
}

/// The engine's state at one moment, sharing its groups with the running engine (which copies
/// a group before changing it): [`Engine::freeze`] takes it, [`FrozenState::into_state`] turns
/// it into the [`EngineState`] to store.
#[derive(Debug)]
pub struct FrozenState {
    watermark: Option<i64>,
    observed: u64,
    /// Per rule: its id and [`fingerprint`].
    rules: Vec<(String, String)>,
    groups: Vec<Groups>,
}

impl FrozenState {
    /// The state to store, each rule's groups in key order (the same state is the same bytes).
    pub fn into_state(self) -> EngineState {
        let rules = self
            .rules
            .into_iter()
            .zip(&self.groups)
            .map(|((id, fingerprint), groups)| rule_state(id, fingerprint, groups))
            .collect();
        let mut state = EngineState {
            watermark: self.watermark,
            observed: self.observed,
            rules,
        };
        state.sort();
        state
    }
}

/// One rule's groups as stored.
fn rule_state(id: String, fingerprint: String, groups: &Groups) -> RuleState {
    let mut state = RuleState {
        id,
        fingerprint,
        groups: Vec::new(),
        sequences: Vec::new(),
        first_seen: Vec::new(),
        dormant: Vec::new(),
        velocity: Vec::new(),
        changes: Vec::new(),
    };
    match groups {
        Groups::Threshold(g) => {
            state.groups = g.iter().map(|(k, w)| window::window_state(k, w)).collect();
        }
        Groups::Sequence(g) => {
            state.sequences = g
                .iter()
                .map(|(k, s)| sequence::sequence_state(k, s))
                .collect();
        }
        Groups::FirstSeen(g) => {
            state.first_seen = g.iter().map(|(k, s)| memory::seen_state(k, s)).collect();
        }
        Groups::Dormant(g) => {
            state.dormant = g.iter().map(|(k, d)| memory::dormant_state(k, d)).collect();
        }
        Groups::Velocity(g) => {
            state.velocity = g.iter().map(|(k, v)| place::velocity_state(k, v)).collect();
        }
        Groups::Change(g) => {
            state.changes = g.iter().map(|(k, c)| place::change_state(k, c)).collect();
        }
    }
    state
}

/// One rule's groups.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleState {
    /// The rule's id.
    pub id: String,
    /// What the entries mean (see [`fingerprint`]).
    pub fingerprint: String,
    /// A threshold rule's windows, by group key.
    pub groups: Vec<GroupState>,
    /// A sequence rule's runs, by group key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sequences: Vec<SequenceState>,
    /// A first_seen rule's remembered values, by group key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub first_seen: Vec<FirstSeenState>,
    /// A dormant rule's last events, by group key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dormant: Vec<DormantState>,
    /// A velocity rule's last places, by group key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub velocity: Vec<VelocityState>,
    /// A change rule's first events, by group key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<ChangeState>,
}

impl EngineState {
    /// Puts every rule's groups in key order, so the same state is stored as the same bytes.
    pub fn sort(&mut self) {
        for state in &mut self.rules {
            state.groups.sort_by(|a, b| a.key.cmp(&b.key));
            state.sequences.sort_by(|a, b| a.key.cmp(&b.key));
            state.first_seen.sort_by(|a, b| a.key.cmp(&b.key));
            state.dormant.sort_by(|a, b| a.key.cmp(&b.key));
            state.velocity.sort_by(|a, b| a.key.cmp(&b.key));
            state.changes.sort_by(|a, b| a.key.cmp(&b.key));
        }
    }
}

impl Engine {
    /// The engine's state, to store and [`restore`](Engine::restore) from.
    pub fn state(&self) -> EngineState {
        self.freeze().into_state()
    }

    /// The engine's state as it is now, taken cheaply (a reference per group, see [`Groups`]):
    /// the detector's stall is this copy alone; [`FrozenState::into_state`] makes it the
    /// storable state, on another thread.
    pub fn freeze(&self) -> FrozenState {
        FrozenState {
            watermark: self.watermark(),
            observed: self.observed(),
            rules: self
                .rules()
                .iter()
                .map(|rule| (rule.id.clone(), fingerprint(rule)))
                .collect(),
            groups: self.groups().to_vec(),
        }
    }

    /// An engine over `rules` (with `lateness_ms`) that goes on from `state`.
    pub fn restore(
        rules: impl IntoIterator<Item = Rule>,
        lateness_ms: i64,
        state: &EngineState,
    ) -> Engine {
        let mut engine = Engine::with_lateness(rules, lateness_ms);
        let saved: HashMap<&str, &RuleState> =
            state.rules.iter().map(|r| (r.id.as_str(), r)).collect();
        let mut restored = Vec::with_capacity(engine.rules().len());
        for rule in engine.rules() {
            let mut groups = Groups::empty(rule);
            let same = saved
                .get(rule.id.as_str())
                .filter(|s| s.fingerprint == fingerprint(rule));
            if let Some(s) = same {
                match (&rule.condition, &mut groups) {
                    (Condition::Threshold(th), Groups::Threshold(g)) => {
                        restore_into(g, &s.groups, |w| &w.key, |w| window::window_of(th, w));
                    }
                    (Condition::Sequence(sq), Groups::Sequence(g)) => {
                        let of = |q: &SequenceState| sequence::sequence_of(sq, q);
                        restore_into(g, &s.sequences, |q| &q.key, of);
                    }
                    (Condition::FirstSeen(_), Groups::FirstSeen(g)) => {
                        restore_into(g, &s.first_seen, |f| &f.key, memory::seen_of);
                    }
                    (Condition::Dormant(_), Groups::Dormant(g)) => {
                        restore_into(g, &s.dormant, |d| &d.key, memory::dormant_of);
                    }
                    (Condition::Velocity(_), Groups::Velocity(g)) => {
                        restore_into(g, &s.velocity, |v| &v.key, place::velocity_of);
                    }
                    (Condition::Change(_), Groups::Change(g)) => {
                        restore_into(g, &s.changes, |c| &c.key, place::change_of);
                    }
                    _ => {}
                }
            }
            restored.push(groups);
        }
        engine.resume(restored, state.watermark, state.observed);
        engine
    }
}

/// A rule's stored groups back in its map of groups, each under its key, made by `group`.
fn restore_into<S, G>(
    map: &mut HashMap<Key, Arc<G>>,
    stored: &[S],
    key: impl Fn(&S) -> &Vec<String>,
    group: impl Fn(&S) -> G,
) {
    for s in stored {
        map.insert(Arc::from(key(s).as_slice()), Arc::new(group(s)));
    }
}
