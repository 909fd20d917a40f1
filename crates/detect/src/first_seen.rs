//! One first_seen rule's memory for one group: the values it showed and when, and how long and
//! how often it has been seen (the learning gate).
//!
//! A value is new when the group has not shown it within the history. The first event of a
//! group only teaches; later new values alert once the group has been known `learn` long or
//! has shown `learn_events` events (either opens the gate). A value is then remembered, so it
//! alerts once; it is forgotten a history after it was last seen.

use std::collections::HashMap;

use crate::rule::FirstSeen;

/// What a new value alert holds.
#[derive(Debug)]
pub(crate) struct NewValue {
    /// The new value.
    pub value: String,
    /// The values the group showed within the history, sorted.
    pub known: Vec<String>,
    /// Events the group had shown before this one.
    pub events: u64,
    /// Time of the group's first event.
    pub since: i64,
}

/// The memory of one (first_seen rule, group).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SeenGroup {
    /// Time of the group's first event.
    pub first: i64,
    /// Newest event time seen.
    pub newest: i64,
    /// Events seen.
    pub events: u64,
    /// Each value and the time it was last seen.
    pub values: HashMap<String, i64>,
    /// Time of the last alert.
    pub last_fired: Option<i64>,
    /// The engine's event count when an event last joined this group.
    pub touched: u64,
}

impl SeenGroup {
    /// A group first seen at `t`.
    pub fn new(t: i64) -> SeenGroup {
        SeenGroup {
            first: t,
            newest: t,
            ..SeenGroup::default()
        }
    }

    /// Takes one event at `t` with the field's `value`; answers the new value if it alerts.
    pub fn observe(
        &mut self,
        rule: &FirstSeen,
        suppress_ms: i64,
        t: i64,
        value: Option<String>,
    ) -> Option<NewValue> {
        let horizon = self.newest.max(t).saturating_sub(rule.history_ms);
        self.values.retain(|_, last| *last > horizon);
        let before = self.events;
        self.events += 1;
        self.first = self.first.min(t);
        self.newest = self.newest.max(t);
        let value = value?;
        let fresh = !self.values.contains_key(&value);
        let known_values = !self.values.is_empty();
        let learned = rule
            .learn_ms
            .is_some_and(|age| t.saturating_sub(self.first) >= age)
            || rule.learn_events.is_some_and(|n| before >= n)
            || (rule.learn_ms.is_none() && rule.learn_events.is_none());
        let suppressed = self
            .last_fired
            .is_some_and(|f| t < f.saturating_add(suppress_ms));
        let entry = self.values.entry(value.clone()).or_insert(t);
        *entry = (*entry).max(t);
        if !(fresh && known_values && learned) || suppressed {
            return None;
        }
        self.last_fired = Some(t);
        let mut known: Vec<String> = self
            .values
            .keys()
            .filter(|v| **v != value)
            .cloned()
            .collect();
        known.sort();
        Some(NewValue {
            value,
            known,
            events: before,
            since: self.first,
        })
    }

    /// Whether the group can be forgotten at watermark `now`: no event within the history.
    pub fn idle(&self, rule: &FirstSeen, now: i64, lateness_ms: i64) -> bool {
        self.newest.saturating_add(rule.history_ms) <= now.saturating_sub(lateness_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use authtrail_store::query::Field;

    const D: i64 = 86_400_000;

    fn rule(learn_ms: Option<i64>, learn_events: Option<u64>) -> FirstSeen {
        FirstSeen {
            field: Field::lookup("country").unwrap(),
            history_ms: 30 * D,
            learn_ms,
            learn_events,
            place: None,
        }
    }

    /// Feeds `(day, value)`; answers the new values that alert.
    fn run(rule: &FirstSeen, events: &[(i64, &str)]) -> Vec<String> {
        let mut g = SeenGroup::new(events[0].0 * D);
        events
            .iter()
            .filter_map(|(day, v)| g.observe(rule, 0, day * D, Some(v.to_string())))
            .map(|n| n.value)
            .collect()
    }

    #[test]
    fn a_new_value_alerts_once_past_the_gate() {
        let r = rule(Some(5 * D), Some(10));
        assert_eq!(
            run(&r, &[(0, "FR"), (6, "FR"), (7, "BR"), (8, "BR")]),
            ["BR"]
        );
        // Within the gate: learning, no alert.
        assert!(run(&r, &[(0, "FR"), (1, "BR"), (2, "DE")]).is_empty());
        // Ten events open the gate before five days.
        let mut ev: Vec<(i64, &str)> = (0..10).map(|_| (0, "FR")).collect();
        ev.push((1, "BR"));
        assert_eq!(run(&r, &ev), ["BR"]);
    }

    #[test]
    fn a_value_is_forgotten_a_history_after_it_was_last_seen() {
        let r = rule(None, None);
        assert_eq!(
            run(&r, &[(0, "FR"), (1, "BR"), (20, "FR"), (40, "BR")]),
            ["BR", "BR"]
        );
        assert_eq!(
            run(&r, &[(0, "FR"), (1, "BR"), (25, "BR"), (40, "BR")]),
            ["BR"]
        );
    }
}
