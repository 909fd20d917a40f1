//! The engine's state as data: what a restart needs so that it neither loses a window nor raises
//! an old alert again. [`Engine::state`] takes it, [`Engine::restore`] goes on from it; the
//! caller stores it (with the seq of the last event observed) wherever it keeps durable state.
//!
//! Each rule's groups are kept under the rule's id with a fingerprint of what the stored entries
//! mean (its filter, group fields and distinct fields). A rule whose fingerprint changed (edited
//! between the runs) starts empty; a rule no longer loaded is dropped; thresholds, windows and
//! suppression may change and the kept entries still count.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::rule::Rule;
use crate::window::{Entry, GroupWindow};

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

/// One rule's groups.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleState {
    /// The rule's id.
    pub id: String,
    /// What the entries mean (see [`fingerprint`]).
    pub fingerprint: String,
    /// The windows, by group key.
    pub groups: Vec<GroupState>,
}

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

/// What a rule's stored entries mean: its filter, group fields and distinct fields.
pub fn fingerprint(rule: &Rule) -> String {
    let group: Vec<&str> = rule.group_by.iter().map(|f| f.name()).collect();
    let distinct: Vec<&str> = rule.distinct.iter().map(|d| d.field.name()).collect();
    format!(
        "filter {} | group {} | distinct {}",
        rule.filter,
        group.join(","),
        distinct.join(",")
    )
}

impl Engine {
    /// The engine's state, to store and [`restore`](Engine::restore) from.
    pub fn state(&self) -> EngineState {
        let rules = self
            .rules()
            .iter()
            .zip(self.groups())
            .map(|(rule, groups)| {
                let mut groups: Vec<GroupState> = groups
                    .iter()
                    .map(|(key, w)| GroupState {
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
                    })
                    .collect();
                // A stable order, so the same state is stored as the same bytes.
                groups.sort_by(|a, b| a.key.cmp(&b.key));
                RuleState {
                    id: rule.id.clone(),
                    fingerprint: fingerprint(rule),
                    groups,
                }
            })
            .collect();
        EngineState {
            watermark: self.watermark(),
            observed: self.observed(),
            rules,
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
            let mut groups = HashMap::new();
            if let Some(s) = saved.get(rule.id.as_str()) {
                if s.fingerprint == fingerprint(rule) {
                    for g in &s.groups {
                        groups.insert(g.key.clone().into_boxed_slice(), window_of(rule, g));
                    }
                }
            }
            restored.push(groups);
        }
        engine.resume(restored, state.watermark, state.observed);
        engine
    }
}

/// The window a stored group describes, with its running tally rebuilt.
fn window_of(rule: &Rule, g: &GroupState) -> GroupWindow {
    let entries = g.entries.iter().map(|(t, seq, values)| Entry {
        t: *t,
        seq: *seq,
        values: values.iter().map(|v| v.as_deref().map(Arc::from)).collect(),
    });
    GroupWindow::from_parts(rule, entries, g.newest, g.last_fired)
}
