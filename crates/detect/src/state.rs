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

use crate::change::ChangeGroup;
pub use crate::change::Seen as SeenState;
use crate::dormant::DormantGroup;
use crate::engine::{Engine, Groups};
use crate::first_seen::SeenGroup;
use crate::rule::{Condition, Rule, Sequence, Threshold};
use crate::sequence::{Hit, Run, SequenceGroup};
use crate::velocity::{Fix, VelocityGroup};
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
            state.groups = g.iter().map(|(k, w)| window_state(k, w)).collect();
        }
        Groups::Sequence(g) => {
            state.sequences = g.iter().map(|(k, s)| sequence_state(k, s)).collect();
        }
        Groups::FirstSeen(g) => {
            state.first_seen = g.iter().map(|(k, s)| seen_state(k, s)).collect();
        }
        Groups::Dormant(g) => {
            state.dormant = g
                .iter()
                .map(|(k, d)| DormantState {
                    key: k.to_vec(),
                    last: d.last,
                    last_fired: d.last_fired,
                })
                .collect();
        }
        Groups::Velocity(g) => {
            state.velocity = g.iter().map(|(k, v)| velocity_state(k, v)).collect();
        }
        Groups::Change(g) => {
            state.changes = g.iter().map(|(k, c)| change_state(k, c)).collect();
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

/// What a rule's stored state means: its type, filters, group fields and distinct fields.
pub fn fingerprint(rule: &Rule) -> String {
    let base = fingerprint_query(rule);
    let mut sigma: Vec<String> = rule.sigma.iter().map(|m| m.fingerprint()).collect();
    if let Some(sq) = rule.sequence() {
        sigma.extend(
            sq.steps
                .iter()
                .flat_map(|s| s.sigma.iter().map(|m| m.fingerprint())),
        );
    }
    if sigma.is_empty() {
        base
    } else {
        format!("{base} | sigma {}", sigma.join(","))
    }
}

/// The fingerprint of a rule's query-language parts.
fn fingerprint_query(rule: &Rule) -> String {
    let group: Vec<&str> = rule.group_by.iter().map(|f| f.name()).collect();
    match &rule.condition {
        Condition::Threshold(th) => {
            let distinct: Vec<String> = th.distinct.iter().map(|d| d.of.fingerprint()).collect();
            format!(
                "filter {} | group {} | distinct {}",
                rule.filter,
                group.join(","),
                distinct.join(",")
            )
        }
        Condition::Sequence(sq) => {
            let steps: Vec<String> = sq
                .steps
                .iter()
                .map(|s| format!("{} x{}", s.filter, s.count))
                .collect();
            let cancel = sq.cancel_on.as_ref().map(ToString::to_string);
            format!(
                "sequence | filter {} | group {} | steps {} | cancel {}",
                rule.filter,
                group.join(","),
                steps.join(" ; "),
                cancel.unwrap_or_default()
            )
        }
        Condition::FirstSeen(fs) => format!(
            "first_seen | filter {} | group {} | field {}",
            rule.filter,
            group.join(","),
            fs.field.name()
        ),
        Condition::Dormant(_) => format!(
            "dormant | filter {} | group {}",
            rule.filter,
            group.join(",")
        ),
        Condition::Velocity(_) => {
            format!(
                "velocity | filter {} | group {}",
                rule.filter,
                group.join(",")
            )
        }
        Condition::Change(_) => {
            format!(
                "change | filter {} | group {}",
                rule.filter,
                group.join(",")
            )
        }
    }
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
                        for w in &s.groups {
                            g.insert(Arc::from(w.key.as_slice()), Arc::new(window_of(th, w)));
                        }
                    }
                    (Condition::Sequence(sq), Groups::Sequence(g)) => {
                        for q in &s.sequences {
                            g.insert(Arc::from(q.key.as_slice()), Arc::new(sequence_of(sq, q)));
                        }
                    }
                    (Condition::FirstSeen(_), Groups::FirstSeen(g)) => {
                        for f in &s.first_seen {
                            let group = SeenGroup {
                                first: f.first,
                                newest: f.newest,
                                events: f.events,
                                values: f.values.iter().cloned().collect(),
                                last_fired: f.last_fired,
                                touched: 0,
                            };
                            g.insert(Arc::from(f.key.as_slice()), Arc::new(group));
                        }
                    }
                    (Condition::Dormant(_), Groups::Dormant(g)) => {
                        for d in &s.dormant {
                            let group = DormantGroup {
                                last: d.last,
                                last_fired: d.last_fired,
                                touched: 0,
                            };
                            g.insert(Arc::from(d.key.as_slice()), Arc::new(group));
                        }
                    }
                    (Condition::Velocity(_), Groups::Velocity(g)) => {
                        for v in &s.velocity {
                            g.insert(Arc::from(v.key.as_slice()), Arc::new(velocity_of(v)));
                        }
                    }
                    (Condition::Change(_), Groups::Change(g)) => {
                        for c in &s.changes {
                            g.insert(Arc::from(c.key.as_slice()), Arc::new(change_of(c)));
                        }
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

/// A threshold group as stored.
fn window_state(key: &[String], w: &GroupWindow) -> GroupState {
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

/// A first_seen group as stored.
fn seen_state(key: &[String], g: &SeenGroup) -> FirstSeenState {
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

/// A sequence group as stored.
fn sequence_state(key: &[String], g: &SequenceGroup) -> SequenceState {
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

/// The window a stored group describes, with its running tally rebuilt.
fn window_of(rule: &Threshold, g: &GroupState) -> GroupWindow {
    let entries = g.entries.iter().map(|(t, seq, values)| Entry {
        t: *t,
        seq: *seq,
        values: values.iter().map(|v| v.as_deref().map(Arc::from)).collect(),
    });
    GroupWindow::from_parts(rule, entries, g.newest, g.last_fired)
}

/// The sequence group a stored one describes.
fn sequence_of(rule: &Sequence, s: &SequenceState) -> SequenceGroup {
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

/// A velocity group as stored.
fn velocity_state(key: &[String], g: &VelocityGroup) -> VelocityState {
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
fn velocity_of(s: &VelocityState) -> VelocityGroup {
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
fn change_state(key: &[String], g: &ChangeGroup) -> ChangeState {
    ChangeState {
        key: key.to_vec(),
        newest: g.newest,
        last_fired: g.last_fired,
        first: g.first.clone(),
    }
}

/// The change group a stored one describes.
fn change_of(s: &ChangeState) -> ChangeGroup {
    ChangeGroup {
        first: s.first.clone(),
        newest: s.newest,
        last_fired: s.last_fired,
        touched: 0,
    }
}
