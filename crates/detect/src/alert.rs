//! What a rule raises: the rule, the group, the window and the events that made it fire.

use authtrail_store::query::Field;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::rule::Severity;

/// How many evidence sequence numbers an alert keeps (the total is kept beside them); also how
/// many values of each distinct condition it names.
pub const EVIDENCE_CAP: usize = 100;

/// The details key of a threshold alert's counted values: distinct condition name → values.
pub const DISTINCT_VALUES: &str = "distinct_values";

/// The fields that name a user: an alert grouped by one is fed back once, as it is; one that
/// counted distinct values of one is fed back once per value.
const USER_FIELDS: &[&str] = &["user", "user.name", "actor.user.name"];

/// One alert: a rule's condition met by one group's events in one window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// Stable id: SHA-256 of rule id, group and window start, 32 hex digits.
    pub uid: String,
    /// The rule's id.
    pub rule_id: String,
    /// The rule's title.
    pub title: String,
    /// The rule's description.
    pub description: String,
    /// The rule's severity.
    pub severity: Severity,
    /// The group: each `group_by` field's canonical name and the value (empty: one group).
    pub group: Vec<(String, String)>,
    /// Event time of the window's earliest event, ms since the epoch.
    pub window_start_ms: i64,
    /// Event time of the window's newest event (the window's end), ms since the epoch.
    pub window_end_ms: i64,
    /// Matching events in the window.
    pub count: u64,
    /// Per distinct condition: field name and how many (qualifying) distinct values.
    pub distinct: Vec<(String, u64)>,
    /// Sequence numbers of the window's events, oldest first, at most [`EVIDENCE_CAP`].
    pub evidence: Vec<u64>,
    /// How many events the evidence stands for.
    pub evidence_total: u64,
    /// The uids of the alerts a chained rule followed (empty for most rules).
    pub related_alerts: Vec<String>,
    /// What the rule type adds (threshold with distinct conditions: the values counted, under
    /// [`DISTINCT_VALUES`]; velocity: both places, distance and speed; change: what changed),
    /// under `evidences[0].data` beside the common keys; empty for most rules.
    pub details: serde_json::Map<String, Value>,
}

impl Alert {
    /// The stable uid of an alert of `rule_id` for `group` whose window starts at `start_ms`.
    pub fn make_uid(rule_id: &str, group: &[(String, String)], start_ms: i64) -> String {
        let mut h = Sha256::new();
        h.update(rule_id.as_bytes());
        for (field, value) in group {
            h.update([0]);
            h.update(field.as_bytes());
            h.update([b'=']);
            h.update(value.as_bytes());
        }
        h.update([0]);
        h.update(start_ms.to_be_bytes());
        let digest = h.finalize();
        hex::encode(&digest[..16])
    }

    /// The group as `field=value` pairs joined by spaces (`ip=203.0.113.9`), or `all`.
    pub fn group_text(&self) -> String {
        if self.group.is_empty() {
            return "all".into();
        }
        let parts: Vec<String> = self.group.iter().map(|(f, v)| format!("{f}={v}")).collect();
        parts.join(" ")
    }

    /// The alert as the rules see it when it is fed back: its Detection Finding with each group
    /// value also at its field's first OCSF path (`user.name`, `src_endpoint.ip`, …), so rules
    /// group and filter alerts by the same fields as events.
    pub fn to_rule_event(&self) -> Value {
        let mut event = self.to_ocsf();
        for (name, value) in &self.group {
            let Some(path) = Field::lookup(name).and_then(|f| f.spec().paths.first()) else {
                continue;
            };
            set_path(&mut event, path, Value::from(value.as_str()));
        }
        event
    }

    /// The events the alert is fed back to the rules as: [`Alert::to_rule_event`], and when it
    /// is not grouped by user but counted distinct users, the same once per user it names
    /// (at most [`EVIDENCE_CAP`]) with that user at `user.name`.
    pub fn to_rule_events(&self) -> Vec<Value> {
        let event = self.to_rule_event();
        let by_user = self
            .group
            .iter()
            .any(|(f, _)| USER_FIELDS.contains(&f.as_str()));
        let counted = self.details.get(DISTINCT_VALUES);
        let users = USER_FIELDS
            .iter()
            .find_map(|f| counted?.get(*f)?.as_array())
            .filter(|_| !by_user);
        let mut out = Vec::with_capacity(1 + users.map_or(0, Vec::len));
        for user in users.into_iter().flatten().filter_map(Value::as_str) {
            let mut copy = event.clone();
            set_path(&mut copy, "user.name", Value::from(user));
            out.push(copy);
        }
        out.insert(0, event);
        out
    }
}

/// Sets a dotted path in a JSON object, making the objects on the way; a non-object in the way
/// is left as it is.
fn set_path(event: &mut Value, path: &str, value: Value) {
    let mut at = event;
    let mut keys = path.split('.').peekable();
    while let Some(key) = keys.next() {
        let Value::Object(map) = at else {
            return;
        };
        if keys.peek().is_none() {
            map.insert(key.to_string(), value);
            return;
        }
        at = map
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
    }
}
