//! What a rule raises: the rule, the group, the window and the events that made it fire.

use sha2::{Digest, Sha256};

use crate::rule::Severity;

/// How many evidence sequence numbers an alert keeps (the total is kept beside them).
pub const EVIDENCE_CAP: usize = 100;

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
    /// How many events the evidence stands for (equal to `count`).
    pub evidence_total: u64,
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
}
