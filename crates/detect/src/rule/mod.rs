//! Detection rules: the validated model, and loading it from YAML (format in docs/RULES.md).
//!
//! A rule counts the events its filter matches, per group (the values of its `group_by` fields),
//! over a sliding window of event time, and fires when its condition holds: at least `count`
//! events, and for each `distinct` condition at least `min` distinct values of a field (only
//! values seen at most `max_per_value` times counting, when that is set).

mod duration;
mod error;
mod load;
mod raw;

use authtrail_store::query::{Field, Query};
use serde::Deserialize;

pub use error::RuleError;
pub use load::{Rules, BUILTIN_FILE, BUILTIN_YAML};

/// OCSF severity names a rule may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// `severity_id` 1.
    Informational,
    /// `severity_id` 2.
    Low,
    /// `severity_id` 3.
    Medium,
    /// `severity_id` 4.
    High,
    /// `severity_id` 5.
    Critical,
}

impl Severity {
    /// The OCSF `severity_id`.
    pub fn id(self) -> i32 {
        match self {
            Severity::Informational => 1,
            Severity::Low => 2,
            Severity::Medium => 3,
            Severity::High => 4,
            Severity::Critical => 5,
        }
    }

    /// The severity named `name` (lowercase, as rule files write it).
    pub fn parse(name: &str) -> Option<Severity> {
        [
            Severity::Informational,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|s| s.caption().eq_ignore_ascii_case(name))
    }

    /// The OCSF `severity` caption.
    pub fn caption(self) -> &'static str {
        match self {
            Severity::Informational => "Informational",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => "Critical",
        }
    }
}

/// One "at least `min` distinct values of `field`" condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Distinct {
    /// The field whose values are counted.
    pub field: Field,
    /// Fires only with at least this many distinct (qualifying) values.
    pub min: u32,
    /// When set, only values seen at most this many times in the window count.
    pub max_per_value: Option<u32>,
}

/// A validated, enabled rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Stable id (`brute-force-ip`).
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Severity of its alerts.
    pub severity: Severity,
    /// What it detects and why.
    pub description: String,
    /// The query-language filter (no since/until, no pipe).
    pub filter: Query,
    /// Fields whose values make the group key (empty: one group).
    pub group_by: Vec<Field>,
    /// Sliding window length, ms of event time.
    pub window_ms: i64,
    /// Minimum number of matching events in the window (0: no minimum).
    pub min_count: u64,
    /// Distinct-value conditions, all of which must hold.
    pub distinct: Vec<Distinct>,
    /// After firing for a group, no new alert for it until this much event time has passed.
    pub suppress_ms: i64,
}
