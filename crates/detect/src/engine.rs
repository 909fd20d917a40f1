//! The engine: every event through every rule, per-group state, alerts as they fire.
//!
//! Each alert is fed back to the rules as an event (its Detection Finding, with the group's
//! user and address at the top level, source `authtrail-detect`), so a rule can follow an
//! alert: a sequence whose first step is an alert of another rule raises a chained alert. An
//! alert not grouped by user that counted distinct users (password spraying from an address)
//! is fed back once more per user it names, with that user at the top level
//! ([`Alert::to_rule_events`]), so rules that follow alerts by user follow those users too.
//!
//! Time is event time (the OCSF `time`, ms). In each group, an event at most `lateness` behind
//! the group's newest event is counted at its own time, in the windows it belongs to; an older
//! one is not dropped but counted as of the group's newest (as if it had just arrived), so it
//! still adds to counts and evidence. Lateness is judged per group, so an event stamped far
//! ahead (a skewed clock, another source's bad time) makes no other group's events late. The
//! watermark, the newest time of the events the rules count, only decides which groups no event
//! can still join; those are forgotten at a sweep unless an event joined them since the last
//! one. The same events in the same order give the same alerts.

use std::collections::HashMap;
use std::sync::Arc;

use authtrail_model::validate::UNKNOWN_NAME;
use authtrail_store::query::{Field, FieldValues, Query, Record};
use serde_json::{json, Map, Value};

use crate::alert::{Alert, DISTINCT_VALUES, EVIDENCE_CAP};
use crate::change::{ChangeGroup, Changed, Seen};
use crate::dormant::DormantGroup;
use crate::first_seen::{NewValue, SeenGroup};
use crate::follow::DETECT_SOURCE;
use crate::geo::{degrees, GeoIp, Place};
use crate::rule::{Condition, Counted, Rule, Velocity};
use crate::sequence::{Completed, Hit, SequenceGroup};
use crate::useragent;
use crate::velocity::{Fix, Travel, VelocityGroup};
use crate::window::{Entry, GroupWindow, Snapshot};

/// How late an event may be and still be counted at its own time: 60 s.
pub const DEFAULT_LATENESS_MS: i64 = 60_000;

/// How many events pass between sweeps for idle groups, at least.
const SWEEP_EVERY: u64 = 4096;

/// A sweep visits every group, so with many groups they are spaced further: at least a
/// `1/SWEEP_SHARE` of the group count in events apart (each event pays a bounded share of it).
const SWEEP_SHARE: u64 = 4;

/// How many times an alert is fed back to the rules (an alert of an alert of an alert): chains
/// end there, so a rule that matches its own alerts cannot loop.
pub const CHAIN_DEPTH: usize = 3;

/// A group key: the values of a rule's `group_by` fields.
pub(crate) type Key = Arc<[String]>;

/// One rule's groups, by the rule's type. Each group is shared copy-on-write: a copy of the
/// maps (a snapshot to store) costs a reference per group, and the engine copies a group only
/// when it changes one a snapshot still holds.
#[derive(Clone, Debug)]
pub(crate) enum Groups {
    /// A threshold rule's sliding windows.
    Threshold(HashMap<Key, Arc<GroupWindow>>),
    /// A sequence rule's runs.
    Sequence(HashMap<Key, Arc<SequenceGroup>>),
    /// A first_seen rule's remembered values.
    FirstSeen(HashMap<Key, Arc<SeenGroup>>),
    /// A dormant rule's last events.
    Dormant(HashMap<Key, Arc<DormantGroup>>),
    /// A velocity rule's last places.
    Velocity(HashMap<Key, Arc<VelocityGroup>>),
    /// A change rule's first events.
    Change(HashMap<Key, Arc<ChangeGroup>>),
}

impl Groups {
    /// No groups, for `rule`'s type.
    pub fn empty(rule: &Rule) -> Groups {
        match rule.condition {
            Condition::Threshold(_) => Groups::Threshold(HashMap::new()),
            Condition::Sequence(_) => Groups::Sequence(HashMap::new()),
            Condition::FirstSeen(_) => Groups::FirstSeen(HashMap::new()),
            Condition::Dormant(_) => Groups::Dormant(HashMap::new()),
            Condition::Velocity(_) => Groups::Velocity(HashMap::new()),
            Condition::Change(_) => Groups::Change(HashMap::new()),
        }
    }

    /// How many groups are held.
    pub fn len(&self) -> usize {
        match self {
            Groups::Threshold(g) => g.len(),
            Groups::Sequence(g) => g.len(),
            Groups::FirstSeen(g) => g.len(),
            Groups::Dormant(g) => g.len(),
            Groups::Velocity(g) => g.len(),
            Groups::Change(g) => g.len(),
        }
    }
}

/// Where a rule's filters are in the engine's filter list.
#[derive(Debug)]
struct Plan {
    /// The rule's filter.
    filter: usize,
    /// Each sequence step's filter.
    steps: Vec<usize>,
    /// The sequence's `cancel_on`.
    cancel: Option<usize>,
    /// Where its `group_by` is in the engine's list of distinct ones.
    key_slot: usize,
}

/// The streaming detection engine over a fixed set of rules.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<Rule>,
    /// The distinct filters of the rules (rules often share one), each evaluated once per event.
    filters: Vec<Query>,
    /// Per rule: where its filters are in `filters`.
    plans: Vec<Plan>,
    /// How many distinct `group_by` lists the rules have (each key is read once per event).
    key_slots: usize,
    /// Per rule: its groups.
    groups: Vec<Groups>,
    lateness_ms: i64,
    watermark: Option<i64>,
    observed: u64,
    /// `observed` at the last sweep.
    swept: u64,
    /// Events between sweeps: [`SWEEP_EVERY`], or a share of the group count at the last one.
    sweep_every: u64,
    /// GeoIP databases for the velocity and change rules, when configured.
    geo: Option<Arc<GeoIp>>,
}

impl Engine {
    /// An engine over `rules` with the default lateness.
    pub fn new(rules: impl IntoIterator<Item = Rule>) -> Engine {
        Engine::with_lateness(rules, DEFAULT_LATENESS_MS)
    }

    /// An engine over `rules` counting events up to `lateness_ms` late at their own time.
    pub fn with_lateness(rules: impl IntoIterator<Item = Rule>, lateness_ms: i64) -> Engine {
        let rules: Vec<Rule> = rules.into_iter().collect();
        let groups = rules.iter().map(Groups::empty).collect();
        let mut filters: Vec<Query> = Vec::new();
        let mut index = |q: &Query| match filters.iter().position(|f| f == q) {
            Some(i) => i,
            None => {
                filters.push(q.clone());
                filters.len() - 1
            }
        };
        let mut group_bys: Vec<&[Field]> = Vec::new();
        let plans = rules
            .iter()
            .map(|rule| {
                let key_slot = match group_bys
                    .iter()
                    .position(|g| *g == rule.group_by.as_slice())
                {
                    Some(i) => i,
                    None => {
                        group_bys.push(&rule.group_by);
                        group_bys.len() - 1
                    }
                };
                let filter = index(&rule.filter);
                let (steps, cancel) = match &rule.condition {
                    Condition::Threshold(_) | Condition::Velocity(_) | Condition::Change(_) => {
                        (Vec::new(), None)
                    }
                    Condition::Sequence(s) => (
                        s.steps.iter().map(|step| index(&step.filter)).collect(),
                        s.cancel_on.as_ref().map(&mut index),
                    ),
                    _ => (Vec::new(), None),
                };
                Plan {
                    filter,
                    steps,
                    cancel,
                    key_slot,
                }
            })
            .collect();
        let key_slots = group_bys.len();
        Engine {
            rules,
            filters,
            plans,
            key_slots,
            groups,
            lateness_ms: lateness_ms.max(0),
            watermark: None,
            observed: 0,
            swept: 0,
            sweep_every: SWEEP_EVERY,
            geo: None,
        }
    }

    /// The engine looking up event sources in `geo` (velocity and change rules). Without it,
    /// those rules still see what events carry (`src_endpoint.location`, its AS number).
    pub fn with_geo(mut self, geo: Option<Arc<GeoIp>>) -> Engine {
        self.geo = geo;
        self
    }

    /// Looks event sources up in `geo` from now on (see [`Engine::with_geo`]).
    pub fn set_geo(&mut self, geo: Option<Arc<GeoIp>>) {
        self.geo = geo;
    }

    /// The GeoIP databases the engine looks sources up in.
    pub fn geo(&self) -> Option<&Arc<GeoIp>> {
        self.geo.as_ref()
    }

    /// The rules the engine runs.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Per rule, its groups.
    pub(crate) fn groups(&self) -> &[Groups] {
        &self.groups
    }

    /// The newest event time seen (ms).
    pub fn watermark(&self) -> Option<i64> {
        self.watermark
    }

    /// Events observed.
    pub fn observed(&self) -> u64 {
        self.observed
    }

    /// Takes up restored groups (one per rule), watermark and count.
    pub(crate) fn resume(&mut self, groups: Vec<Groups>, watermark: Option<i64>, observed: u64) {
        if groups.len() == self.rules.len() {
            self.groups = groups;
        }
        // Restored groups count as just joined: the next sweep judges them by time alone.
        for g in &mut self.groups {
            match g {
                Groups::Threshold(m) => m
                    .values_mut()
                    .for_each(|w| Arc::make_mut(w).touched = observed),
                Groups::Sequence(m) => m
                    .values_mut()
                    .for_each(|s| Arc::make_mut(s).touched = observed),
                Groups::FirstSeen(m) => m
                    .values_mut()
                    .for_each(|s| Arc::make_mut(s).touched = observed),
                Groups::Dormant(m) => m
                    .values_mut()
                    .for_each(|s| Arc::make_mut(s).touched = observed),
                Groups::Velocity(m) => m
                    .values_mut()
                    .for_each(|v| Arc::make_mut(v).touched = observed),
                Groups::Change(m) => m
                    .values_mut()
                    .for_each(|c| Arc::make_mut(c).touched = observed),
            }
        }
        self.watermark = watermark;
        self.observed = observed;
        self.swept = observed - observed % SWEEP_EVERY;
    }

    /// How many (rule, group) states are held.
    pub fn group_count(&self) -> usize {
        self.groups.iter().map(Groups::len).sum()
    }

    /// Feeds one committed event; answers the alerts it raises, in rule order, then the alerts
    /// those raise as they are fed back to the rules (up to [`CHAIN_DEPTH`] times).
    pub fn observe(&mut self, record: &Record<'_>) -> Vec<Alert> {
        self.observe_values(FieldValues::new(*record))
    }

    /// [`Engine::observe`] of the record `values` reads, with the field values it already holds
    /// (read beforehand, as the detector does when it parses an event).
    pub fn observe_values(&mut self, values: FieldValues<'_>) -> Vec<Alert> {
        let record = *values.record();
        self.observed += 1;
        let mut alerts = self.observe_one(values);
        let mut fresh = 0..alerts.len();
        for _ in 0..CHAIN_DEPTH {
            if fresh.is_empty() {
                break;
            }
            let events: Vec<Value> = alerts[fresh.clone()]
                .iter()
                .flat_map(Alert::to_rule_events)
                .collect();
            let before = alerts.len();
            for event in &events {
                let fed = Record {
                    seq: record.seq,
                    source: DETECT_SOURCE,
                    event,
                };
                let raised = self.observe_one(FieldValues::new(fed));
                alerts.extend(raised);
            }
            fresh = before..alerts.len();
        }
        if self.observed - self.swept >= self.sweep_every {
            self.sweep();
        }
        alerts
    }

    /// One event through every rule.
    fn observe_one(&mut self, mut values: FieldValues<'_>) -> Vec<Alert> {
        let record = *values.record();
        let record = &record;
        let time = record.event.get("time").and_then(Value::as_i64);
        let matched: Vec<bool> = self
            .filters
            .iter()
            .map(|f| f.matches_values(&mut values))
            .collect();
        let hit = |i: usize| matched.get(i).copied().unwrap_or(false);
        // Only events some rule counts move the watermark: an unparsed line stamped with its
        // arrival time, say, must not make the real events look months late.
        if let (Some(t), true) = (time, matched.contains(&true)) {
            self.watermark = Some(self.watermark.map_or(t, |w| w.max(t)));
        }
        let mut alerts = Vec::new();
        // Each distinct group key is read once per event, when a rule first needs it.
        let mut keys: Vec<Option<Option<Key>>> = vec![None; self.key_slots];
        // Likewise each distinct condition's field value (rules often count the same field).
        let mut distinct_values: Vec<(Field, Option<Arc<str>>)> = Vec::new();
        let geo = self.geo.clone();
        // Where the event comes from, looked up once, when a rule needs it.
        let mut place: Option<Place> = None;
        for ((rule, groups), plan) in self.rules.iter().zip(&mut self.groups).zip(&self.plans) {
            if !hit(plan.filter) || rule.sigma.as_ref().is_some_and(|m| !m.matches(record)) {
                continue;
            }
            let step_sigma = rule.sequence().map(|s| s.steps.as_slice()).unwrap_or(&[]);
            let steps: Vec<bool> = plan
                .steps
                .iter()
                .zip(step_sigma)
                .map(|(i, step)| hit(*i) && step.sigma.as_ref().is_none_or(|m| m.matches(record)))
                .collect();
            let cancel = plan.cancel.is_some_and(hit);
            if !steps.is_empty() && !cancel && !steps.contains(&true) {
                continue;
            }
            let Some(slot) = keys.get_mut(plan.key_slot) else {
                continue;
            };
            let Some(key) = slot.get_or_insert_with(|| group_key(rule, &mut values)) else {
                continue;
            };
            let alert = match (&rule.condition, groups) {
                (Condition::Threshold(th), Groups::Threshold(groups)) => {
                    let values = th
                        .distinct
                        .iter()
                        .map(|d| distinct_value(&mut distinct_values, &d.of, &mut values))
                        .collect();
                    let window = group_for(groups, key, || GroupWindow::new(th));
                    let t = effective_time(time, window.newest(), self.watermark, self.lateness_ms);
                    window.touched = self.observed;
                    let entry = Entry {
                        t,
                        seq: record.seq,
                        values,
                    };
                    let fired = window.observe(th, rule.suppress_ms, entry, EVIDENCE_CAP);
                    window.trim(th.window_ms, self.lateness_ms);
                    fired.map(|s| make_alert(rule, key, s))
                }
                (Condition::Sequence(sq), Groups::Sequence(groups)) => {
                    let group = group_for(groups, key, || SequenceGroup::new(sq));
                    group.touched = self.observed;
                    let t = time.or(group.newest).or(self.watermark).unwrap_or(0);
                    let hit = Hit {
                        t,
                        seq: record.seq,
                        alert: alert_uid(record).map(Arc::from),
                    };
                    group
                        .observe(sq, rule.suppress_ms, &steps, cancel, hit)
                        .map(|c| sequence_alert(rule, key, c))
                }
                (Condition::FirstSeen(fs), Groups::FirstSeen(groups)) => {
                    let t = time.or(self.watermark).unwrap_or(0);
                    let group = group_for(groups, key, || SeenGroup::new(t));
                    group.touched = self.observed;
                    let value = match fs.place {
                        Some(part) => part.read(place_of(&mut place, record, geo.as_deref())),
                        None => value_of(fs.field, &mut values),
                    };
                    group
                        .observe(fs, rule.suppress_ms, t, value)
                        .map(|n| new_value_alert(rule, key, record.seq, t, n))
                }
                (Condition::Dormant(d), Groups::Dormant(groups)) => {
                    let t = time.or(self.watermark).unwrap_or(0);
                    let group = group_for(groups, key, || DormantGroup::new(t));
                    group.touched = self.observed;
                    group
                        .observe(d, rule.suppress_ms, t)
                        .map(|previous| dormant_alert(rule, key, record.seq, t, previous))
                }
                (Condition::Velocity(v), Groups::Velocity(groups)) => {
                    let place = place_of(&mut place, record, geo.as_deref());
                    let Some(coords) = place.coords.filter(|_| !allowed(v, place)) else {
                        continue;
                    };
                    let group = group_for(groups, key, Default::default);
                    group.touched = self.observed;
                    let fix = Fix {
                        t: time.or(group.newest).or(self.watermark).unwrap_or(0),
                        seq: record.seq,
                        coords,
                        country: place.country.clone(),
                        ip: place.ip.map(|ip| ip.to_string()),
                    };
                    group
                        .observe(v, rule.suppress_ms, fix)
                        .map(|tr| travel_alert(rule, key, tr))
                }
                (Condition::Change(c), Groups::Change(groups)) => {
                    let place = place_of(&mut place, record, geo.as_deref());
                    let group = group_for(groups, key, Default::default);
                    group.touched = self.observed;
                    let seen = Seen {
                        t: time.or(group.newest).or(self.watermark).unwrap_or(0),
                        seq: record.seq,
                        asn: place.asn,
                        country: place.country.clone(),
                        user_agent: record
                            .event
                            .get("http_request")
                            .and_then(|r| r.get("user_agent"))
                            .and_then(Value::as_str)
                            .and_then(useragent::family),
                        ip: place.ip.map(|ip| ip.to_string()),
                    };
                    group
                        .observe(c, rule.suppress_ms, seen)
                        .map(|ch| change_alert(rule, key, ch))
                }
                // Groups are made for their rule's type.
                _ => None,
            };
            alerts.extend(alert);
        }
        alerts
    }

    /// Forgets the groups no event can still join.
    pub fn sweep(&mut self) {
        // A group an event joined since the last sweep is kept whatever the times say: one event
        // stamped far ahead (a skewed clock) must not make every other group look idle.
        let recent = std::mem::replace(&mut self.swept, self.observed);
        let Some(now) = self.watermark else {
            return;
        };
        let lateness = self.lateness_ms;
        for (rule, groups) in self.rules.iter().zip(self.groups.iter_mut()) {
            let suppress = rule.suppress_ms;
            match (&rule.condition, groups) {
                (Condition::Threshold(th), Groups::Threshold(g)) => {
                    g.retain(|_, w| w.touched > recent || !w.idle(th, suppress, now, lateness));
                }
                (Condition::Sequence(sq), Groups::Sequence(g)) => {
                    g.retain(|_, s| s.touched > recent || !s.idle(sq, suppress, now, lateness));
                }
                (Condition::FirstSeen(fs), Groups::FirstSeen(g)) => {
                    g.retain(|_, s| s.touched > recent || !s.idle(fs, now, lateness));
                }
                (Condition::Dormant(d), Groups::Dormant(g)) => {
                    g.retain(|_, s| s.touched > recent || !s.idle(d, now, lateness));
                }
                (Condition::Velocity(v), Groups::Velocity(g)) => {
                    g.retain(|_, s| s.touched > recent || !s.idle(v, suppress, now, lateness));
                }
                (Condition::Change(c), Groups::Change(g)) => {
                    g.retain(|_, s| s.touched > recent || !s.idle(c, suppress, now, lateness));
                }
                _ => {}
            }
        }
        self.sweep_every = SWEEP_EVERY.max(self.group_count() as u64 / SWEEP_SHARE);
    }
}

/// The time an event is counted at in a group: its own when at most `lateness` behind the
/// group's newest event, else the group's newest (it is not dropped); without a time, the
/// group's newest, or the watermark for a new group.
fn effective_time(
    time: Option<i64>,
    newest: Option<i64>,
    watermark: Option<i64>,
    lateness_ms: i64,
) -> i64 {
    match (time, newest) {
        (Some(t), Some(n)) if t >= n.saturating_sub(lateness_ms) => t,
        (Some(t), None) => t,
        (_, Some(n)) => n,
        (None, None) => watermark.unwrap_or(0),
    }
}

/// A field's value in a record: the first one present, not empty and not the unknown user.
fn value_of(field: Field, values: &mut FieldValues<'_>) -> Option<String> {
    usable(field, values).map(str::to_string)
}

/// A field's first value in a record, when not empty and not the unknown user.
fn usable<'v>(field: Field, values: &'v mut FieldValues<'_>) -> Option<&'v str> {
    values
        .first(field)
        .filter(|v| !v.is_empty() && *v != UNKNOWN_NAME)
}

/// The place of `record`'s source, looked up once per event (when a rule first needs it).
fn place_of<'p>(
    slot: &'p mut Option<Place>,
    record: &Record<'_>,
    geo: Option<&GeoIp>,
) -> &'p Place {
    slot.get_or_insert_with(|| Place::of(record, geo))
}

/// The group for `key`, made by `new` when absent (one hash lookup; the key is shared, not
/// copied). A group a snapshot still holds is copied here, before it changes.
fn group_for<'a, G: Clone>(
    groups: &'a mut HashMap<Key, Arc<G>>,
    key: &Key,
    new: impl FnOnce() -> G,
) -> &'a mut G {
    let group = groups
        .entry(Arc::clone(key))
        .or_insert_with(|| Arc::new(new()));
    Arc::make_mut(group)
}

/// A field's value (as [`value_of`]), read once per event and shared.
fn cached_value(
    cache: &mut Vec<(Field, Option<Arc<str>>)>,
    field: Field,
    values: &mut FieldValues<'_>,
) -> Option<Arc<str>> {
    if let Some((_, v)) = cache.iter().find(|(f, _)| *f == field) {
        return v.clone();
    }
    let v: Option<Arc<str>> = usable(field, values).map(Arc::from);
    cache.push((field, v.clone()));
    v
}

/// What a distinct condition counts in a record: a field's value (read once per event), or a
/// Sigma rule's id when the record matches it.
fn distinct_value(
    cache: &mut Vec<(Field, Option<Arc<str>>)>,
    of: &Counted,
    values: &mut FieldValues<'_>,
) -> Option<Arc<str>> {
    match of {
        Counted::Field(f) => cached_value(cache, *f, values),
        Counted::Sigma { id, matcher } => matcher.matches(values.record()).then(|| Arc::clone(id)),
    }
}

/// The uid of the alert a fed-back record carries.
fn alert_uid(record: &Record<'_>) -> Option<String> {
    if record.source != DETECT_SOURCE {
        return None;
    }
    record
        .event
        .pointer("/finding_info/uid")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The record's group key for `rule`, or `None` when a `group_by` field has no usable value.
fn group_key(rule: &Rule, values: &mut FieldValues<'_>) -> Option<Key> {
    rule.group_by
        .iter()
        .map(|f| value_of(*f, values))
        .collect::<Option<Vec<_>>>()
        .map(Arc::from)
}

/// The group as `(field name, value)` pairs.
fn named_group(rule: &Rule, key: &[String]) -> Vec<(String, String)> {
    rule.group_by
        .iter()
        .zip(key)
        .map(|(f, v)| (f.name().to_string(), v.clone()))
        .collect()
}

/// The alert for a snapshot of `rule`'s window for `key`: the distinct counts, and in its
/// details the values counted (`distinct_values`: name → values), so an alert by address
/// names the users it touched.
fn make_alert(rule: &Rule, key: &[String], s: Snapshot) -> Alert {
    let group = named_group(rule, key);
    let conditions = rule
        .threshold()
        .map_or(&[][..], |th| th.distinct.as_slice());
    let distinct = conditions
        .iter()
        .zip(&s.distinct)
        .map(|(d, n)| (d.of.name(), *n))
        .collect();
    let mut details = Map::new();
    if !conditions.is_empty() {
        let values: Map<String, Value> = conditions
            .iter()
            .zip(&s.values)
            .map(|(d, v)| (d.of.name(), v.iter().map(|x| Value::from(&**x)).collect()))
            .collect();
        details.insert(DISTINCT_VALUES.into(), Value::Object(values));
    }
    Alert {
        uid: Alert::make_uid(&rule.id, &group, s.start),
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        description: rule.description.clone(),
        severity: rule.severity,
        group,
        window_start_ms: s.start,
        window_end_ms: s.end,
        count: s.count,
        distinct,
        evidence: s.seqs,
        evidence_total: s.count,
        related_alerts: Vec::new(),
        details,
    }
}

/// An alert of one event (seq at `t`) carrying `details`.
fn single_event_alert(
    rule: &Rule,
    key: &[String],
    seq: u64,
    t: i64,
    details: serde_json::Map<String, Value>,
) -> Alert {
    let group = named_group(rule, key);
    Alert {
        uid: Alert::make_uid(&rule.id, &group, t),
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        description: rule.description.clone(),
        severity: rule.severity,
        group,
        window_start_ms: t,
        window_end_ms: t,
        count: 1,
        distinct: Vec::new(),
        evidence: vec![seq],
        evidence_total: 1,
        related_alerts: Vec::new(),
        details,
    }
}

/// The alert for a value new to `rule`'s group `key`.
fn new_value_alert(rule: &Rule, key: &[String], seq: u64, t: i64, n: NewValue) -> Alert {
    let field = match &rule.condition {
        Condition::FirstSeen(fs) => fs.field.name(),
        _ => "",
    };
    let mut details = serde_json::Map::new();
    details.insert("field".into(), field.into());
    details.insert("new_value".into(), n.value.into());
    details.insert("known_values".into(), n.known.into());
    details.insert("events_before".into(), n.events.into());
    details.insert("known_since".into(), n.since.into());
    single_event_alert(rule, key, seq, t, details)
}

/// The alert for `rule`'s group `key` active again at `t` after `previous`.
fn dormant_alert(rule: &Rule, key: &[String], seq: u64, t: i64, previous: i64) -> Alert {
    let mut details = serde_json::Map::new();
    details.insert("previous_time".into(), previous.into());
    details.insert("dormant_days".into(), ((t - previous) / 86_400_000).into());
    single_event_alert(rule, key, seq, t, details)
}

/// The alert for a completed sequence of `rule` for `key`.
fn sequence_alert(rule: &Rule, key: &[String], c: Completed) -> Alert {
    let group = named_group(rule, key);
    let mut evidence: Vec<u64> = c.hits.iter().map(|h| h.seq).collect();
    evidence.dedup();
    let total = evidence.len() as u64;
    evidence.truncate(EVIDENCE_CAP);
    let mut related: Vec<String> = Vec::new();
    for uid in c.hits.iter().filter_map(|h| h.alert.as_deref()) {
        if !related.iter().any(|r| r == uid) {
            related.push(uid.to_string());
        }
    }
    Alert {
        uid: Alert::make_uid(&rule.id, &group, c.start),
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        description: rule.description.clone(),
        severity: rule.severity,
        group,
        window_start_ms: c.start,
        window_end_ms: c.end,
        count: c.hits.len() as u64,
        distinct: Vec::new(),
        evidence,
        evidence_total: total,
        related_alerts: related,
        details: Map::new(),
    }
}

/// Whether a velocity rule ignores events from `place` (an allowed AS or network).
fn allowed(rule: &Velocity, place: &Place) -> bool {
    place.asn.is_some_and(|n| rule.allow_asns.contains(&n))
        || place
            .ip
            .is_some_and(|ip| rule.allow_networks.iter().any(|net| net.contains(&ip)))
}

/// A two-event alert of `rule` for `key` from `first` to `last`, with `details`.
fn pair_alert(
    rule: &Rule,
    key: &[String],
    (start, first): (i64, u64),
    (end, last): (i64, u64),
    details: Map<String, Value>,
) -> Alert {
    let group = named_group(rule, key);
    let (start, end) = (start.min(end), start.max(end));
    Alert {
        uid: Alert::make_uid(&rule.id, &group, start),
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        description: rule.description.clone(),
        severity: rule.severity,
        group,
        window_start_ms: start,
        window_end_ms: end,
        count: 2,
        distinct: Vec::new(),
        evidence: vec![first, last],
        evidence_total: 2,
        related_alerts: Vec::new(),
        details,
    }
}

/// A place as alert details: `{ip, lat, long, country, time, seq}`.
fn fix_json(f: &Fix) -> Value {
    json!({
        "ip": f.ip,
        "lat": degrees(f.coords.0),
        "long": degrees(f.coords.1),
        "country": f.country,
        "time": f.t,
        "seq": f.seq,
    })
}

/// The alert for impossible travel of `rule`'s group `key`.
fn travel_alert(rule: &Rule, key: &[String], tr: Travel) -> Alert {
    let mut details = Map::new();
    details.insert("from".into(), fix_json(&tr.from));
    details.insert("to".into(), fix_json(&tr.to));
    details.insert("distance_km".into(), json!(round1(tr.distance_km)));
    // An infinite speed (both at once) is written as null.
    let speed = tr.speed_kmh.is_finite().then(|| round1(tr.speed_kmh));
    details.insert("speed_kmh".into(), json!(speed));
    pair_alert(
        rule,
        key,
        (tr.from.t, tr.from.seq),
        (tr.to.t, tr.to.seq),
        details,
    )
}

/// One decimal place.
fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The alert for a change in `rule`'s group `key`.
fn change_alert(rule: &Rule, key: &[String], ch: Changed) -> Alert {
    let seen = |s: &Seen| {
        json!({
            "ip": s.ip, "asn": s.asn, "country": s.country, "user_agent": s.user_agent,
            "time": s.t, "seq": s.seq,
        })
    };
    let mut changed = Map::new();
    for (w, from, to) in &ch.what {
        changed.insert(w.name().into(), json!({"from": from, "to": to}));
    }
    let mut details = Map::new();
    details.insert("first".into(), seen(&ch.first));
    details.insert("now".into(), seen(&ch.now));
    details.insert("changed".into(), Value::Object(changed));
    pair_alert(
        rule,
        key,
        (ch.first.t, ch.first.seq),
        (ch.now.t, ch.now.seq),
        details,
    )
}
