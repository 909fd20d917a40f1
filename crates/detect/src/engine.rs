//! The engine: every event through every rule, per-group windows, alerts as they fire.
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
use authtrail_store::query::{Field, Query, Record};

use crate::alert::{Alert, EVIDENCE_CAP};
use crate::rule::Rule;
use crate::window::{Entry, GroupWindow, Snapshot};

/// How late an event may be and still be counted at its own time: 60 s.
pub const DEFAULT_LATENESS_MS: i64 = 60_000;

/// How many events pass between sweeps for idle groups.
const SWEEP_EVERY: u64 = 4096;

/// The streaming detection engine over a fixed set of rules.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<Rule>,
    /// The distinct filters of the rules (rules often share one), each evaluated once per event.
    filters: Vec<Query>,
    /// Per rule: the index of its filter in `filters`.
    filter_of: Vec<usize>,
    /// Per rule: the window of each group key.
    groups: Vec<HashMap<Box<[String]>, GroupWindow>>,
    lateness_ms: i64,
    watermark: Option<i64>,
    observed: u64,
}

impl Engine {
    /// An engine over `rules` with the default lateness.
    pub fn new(rules: impl IntoIterator<Item = Rule>) -> Engine {
        Engine::with_lateness(rules, DEFAULT_LATENESS_MS)
    }

    /// An engine over `rules` counting events up to `lateness_ms` late at their own time.
    pub fn with_lateness(rules: impl IntoIterator<Item = Rule>, lateness_ms: i64) -> Engine {
        let rules: Vec<Rule> = rules.into_iter().collect();
        let groups = rules.iter().map(|_| HashMap::new()).collect();
        let mut filters: Vec<Query> = Vec::new();
        let filter_of = rules
            .iter()
            .map(
                |rule| match filters.iter().position(|f| *f == rule.filter) {
                    Some(i) => i,
                    None => {
                        filters.push(rule.filter.clone());
                        filters.len() - 1
                    }
                },
            )
            .collect();
        Engine {
            rules,
            filters,
            filter_of,
            groups,
            lateness_ms: lateness_ms.max(0),
            watermark: None,
            observed: 0,
        }
    }

    /// The rules the engine runs.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Per rule, the window of each group key.
    pub(crate) fn groups(&self) -> &[HashMap<Box<[String]>, GroupWindow>] {
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

    /// Takes up restored windows (one map per rule), watermark and count.
    pub(crate) fn resume(
        &mut self,
        groups: Vec<HashMap<Box<[String]>, GroupWindow>>,
        watermark: Option<i64>,
        observed: u64,
    ) {
        if groups.len() == self.rules.len() {
            self.groups = groups;
        }
        // Restored groups count as just joined: the next sweep judges them by time alone.
        for w in self.groups.iter_mut().flat_map(HashMap::values_mut) {
            w.touched = observed;
        }
        self.watermark = watermark;
        self.observed = observed;
    }

    /// How many (rule, group) windows are held.
    pub fn group_count(&self) -> usize {
        self.groups.iter().map(HashMap::len).sum()
    }

    /// Feeds one committed event; answers the alerts it raises, in rule order.
    pub fn observe(&mut self, record: &Record<'_>) -> Vec<Alert> {
        let time = record.event.get("time").and_then(serde_json::Value::as_i64);
        self.observed += 1;
        let matched: Vec<bool> = self.filters.iter().map(|f| f.matches(record)).collect();
        // Only events some rule counts move the watermark: an unparsed line stamped with its
        // arrival time, say, must not make the real events look months late.
        if let (Some(t), true) = (time, matched.contains(&true)) {
            self.watermark = Some(self.watermark.map_or(t, |w| w.max(t)));
        }
        let mut alerts = Vec::new();
        for ((rule, groups), filter) in self
            .rules
            .iter()
            .zip(self.groups.iter_mut())
            .zip(&self.filter_of)
        {
            if !matched.get(*filter).copied().unwrap_or(false) {
                continue;
            }
            let Some(key) = group_key(rule, record) else {
                continue;
            };
            let values = rule
                .distinct
                .iter()
                .map(|d| value_of(d.field, record).map(Arc::from))
                .collect();
            let window = groups
                .entry(key.clone())
                .or_insert_with(|| GroupWindow::new(rule));
            let t = effective_time(time, window.newest(), self.watermark, self.lateness_ms);
            window.touched = self.observed;
            let entry = Entry {
                t,
                seq: record.seq,
                values,
            };
            if let Some(snapshot) = window.observe(rule, entry, EVIDENCE_CAP) {
                alerts.push(make_alert(rule, &key, snapshot));
            }
            window.trim(rule.window_ms, self.lateness_ms);
        }
        if self.observed.is_multiple_of(SWEEP_EVERY) {
            self.sweep();
        }
        alerts
    }

    /// Forgets the groups no event can still join.
    pub fn sweep(&mut self) {
        let Some(now) = self.watermark else {
            return;
        };
        let lateness = self.lateness_ms;
        // A group an event joined since the last sweep is kept whatever the times say: one event
        // stamped far ahead (a skewed clock) must not make every other group look idle.
        let recent = self.observed.saturating_sub(SWEEP_EVERY);
        for (rule, groups) in self.rules.iter().zip(self.groups.iter_mut()) {
            groups.retain(|_, w| w.touched > recent || !w.idle(rule, now, lateness));
        }
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
fn value_of(field: Field, record: &Record<'_>) -> Option<String> {
    field
        .read(record)
        .into_iter()
        .next()
        .filter(|v| !v.is_empty() && v != UNKNOWN_NAME)
        .map(|v| v.into_owned())
}

/// The record's group key for `rule`, or `None` when a `group_by` field has no usable value.
fn group_key(rule: &Rule, record: &Record<'_>) -> Option<Box<[String]>> {
    rule.group_by
        .iter()
        .map(|f| value_of(*f, record))
        .collect::<Option<Vec<_>>>()
        .map(Vec::into_boxed_slice)
}

/// The alert for a snapshot of `rule`'s window for `key`.
fn make_alert(rule: &Rule, key: &[String], s: Snapshot) -> Alert {
    let group: Vec<(String, String)> = rule
        .group_by
        .iter()
        .zip(key)
        .map(|(f, v)| (f.name().to_string(), v.clone()))
        .collect();
    let distinct = rule
        .distinct
        .iter()
        .zip(&s.distinct)
        .map(|(d, n)| (d.field.name().to_string(), *n))
        .collect();
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
    }
}
