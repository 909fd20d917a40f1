//! Detection rules: the validated model, and loading it from YAML (format in docs/RULES.md).
//!
//! A rule looks at the events its filter matches, per group (the values of its `group_by`
//! fields). A threshold rule counts them over a sliding window of event time and fires when at
//! least `count` events, and for each `distinct` condition at least `min` distinct values of a
//! field (only values seen at most `max_per_value` times counting, when that is set), are in it.
//! A sequence rule fires when its steps happen in order within a maximum span; a first_seen
//! rule on a value new for the group; a dormant rule on a group active again after a long gap.
//! A velocity rule fires on impossible travel between a group's consecutive events; a change
//! rule when a later event of a group comes from another network, country or user-agent family
//! than its first.

pub(crate) mod duration;
mod error;
mod load;
mod raw;

use std::sync::Arc;

use authtrail_store::query::{Field, Query};
use serde::Deserialize;

use crate::sigma::Matcher;

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

    /// Every severity, lowest first.
    const ALL: [Severity; 5] = [
        Severity::Informational,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The severity named `name` (lowercase, as rule files write it).
    pub fn parse(name: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|s| s.caption().eq_ignore_ascii_case(name))
    }

    /// The severity of an OCSF `severity_id` (1 to 5).
    pub fn from_id(id: i64) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| i64::from(s.id()) == id)
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

/// One "at least `min` distinct values of `of`" condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Distinct {
    /// What is counted: a field's values, or which Sigma rules the events matched.
    pub of: Counted,
    /// Fires only with at least this many distinct (qualifying) values.
    pub min: u32,
    /// When set, only values seen at most this many times in the window count.
    pub max_per_value: Option<u32>,
}

/// What a distinct condition counts the values of.
#[derive(Clone, Debug)]
pub enum Counted {
    /// A field's values.
    Field(Field),
    /// Whether an event matches a Sigma detection rule: the rule's id is the event's one value
    /// (Sigma `temporal` counts the rules matched in the window).
    Sigma {
        /// The Sigma rule's id.
        id: Arc<str>,
        /// Its compiled detection.
        matcher: Arc<Matcher>,
    },
}

impl Counted {
    /// The name alerts give it: the field's, or `sigma:ID`.
    pub fn name(&self) -> String {
        match self {
            Counted::Field(f) => f.name().to_string(),
            Counted::Sigma { id, .. } => format!("sigma:{id}"),
        }
    }

    /// What stored values of it mean: the field's name, or the rule's id and detection digest.
    pub fn fingerprint(&self) -> String {
        match self {
            Counted::Field(f) => f.name().to_string(),
            Counted::Sigma { id, matcher } => format!("sigma:{id}={}", matcher.fingerprint()),
        }
    }
}

impl PartialEq for Counted {
    fn eq(&self, other: &Counted) -> bool {
        self.fingerprint() == other.fingerprint()
    }
}

impl Eq for Counted {}

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
    /// The query-language filter every event the rule looks at must match (no since/until, no
    /// pipe; a sequence's steps narrow it further).
    pub filter: Query,
    /// Fields whose values make the group key (empty: one group).
    pub group_by: Vec<Field>,
    /// After firing for a group, no new alert for it until this much event time has passed.
    pub suppress_ms: i64,
    /// What makes the rule fire.
    pub condition: Condition,
    /// A Sigma detection every event must also match (after `filter`), for Sigma rules.
    pub sigma: Option<Arc<Matcher>>,
}

/// What makes a rule fire, by rule `type`.
#[derive(Clone, Debug)]
pub enum Condition {
    /// `type: threshold`: counts and distinct counts over a sliding window.
    Threshold(Threshold),
    /// `type: sequence`: ordered steps within a maximum span.
    Sequence(Sequence),
    /// `type: first_seen`: a value of a field new for the group.
    FirstSeen(FirstSeen),
    /// `type: dormant`: a group active again after a long gap.
    Dormant(Dormant),
    /// `type: velocity`: impossible travel between consecutive events of a group.
    Velocity(Velocity),
    /// `type: change`: a group's later event from another network, country or client.
    Change(Change),
}

/// A new-value condition: a value of `field` the group has not shown within `history_ms`,
/// once the group is past its learning gate.
#[derive(Clone, Debug)]
pub struct FirstSeen {
    /// The field whose values are remembered.
    pub field: Field,
    /// How long a value is remembered after it was last seen, ms.
    pub history_ms: i64,
    /// The gate: the group has been known this long (ms)...
    pub learn_ms: Option<i64>,
    /// ...or has shown this many matching events, before a new value alerts.
    pub learn_events: Option<u64>,
    /// Set when the field is part of the source's place (`country`, `asn`): then the value is
    /// the event's own, else GeoIP's, rather than the field's alone.
    pub place: Option<PlacePart>,
}

/// A part of where an event comes from that GeoIP can fill in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlacePart {
    /// The ISO country code (query field `country`).
    Country,
    /// The autonomous system number (query field `asn`).
    Asn,
}

impl PlacePart {
    /// The part a query field names, if it names one.
    pub fn of_field(field: Field) -> Option<PlacePart> {
        match field.name() {
            "country" => Some(PlacePart::Country),
            "asn" => Some(PlacePart::Asn),
            _ => None,
        }
    }
}

/// A dormancy condition: a matching event more than `gap_ms` after the group's previous one.
#[derive(Clone, Debug)]
pub struct Dormant {
    /// The gap that makes a group dormant, ms.
    pub gap_ms: i64,
    /// How long a group is remembered after its last event, ms (at least the gap).
    pub history_ms: i64,
}

/// Great-circle distance no two places on Earth exceed, km (half the circumference).
pub const MAX_DISTANCE_KM: f64 = 20_015.1;

/// An impossible-travel condition between a group's consecutive placed events.
#[derive(Clone, Debug)]
pub struct Velocity {
    /// Fires only when the two places are more than this far apart, km.
    pub min_distance_km: f64,
    /// Fires only when travelling between them is faster than this, km/h.
    pub max_speed_kmh: f64,
    /// Events from these autonomous systems are ignored (VPN egress, corporate proxies).
    pub allow_asns: Vec<u32>,
    /// Events from these networks are ignored.
    pub allow_networks: Vec<ipnet::IpNet>,
}

impl Velocity {
    /// How long a place is worth remembering: past it, no distance on Earth is too fast.
    pub fn horizon_ms(&self) -> i64 {
        if self.max_speed_kmh <= 0.0 {
            return i64::MAX / 4;
        }
        let hours = MAX_DISTANCE_KM / self.max_speed_kmh;
        (hours * 3_600_000.0).ceil().min((i64::MAX / 4) as f64) as i64
    }
}

/// What a change rule compares between a group's first event and later ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watch {
    /// The source's autonomous system number.
    Asn,
    /// The source's country.
    Country,
    /// The user-agent family (client and OS, without versions).
    UserAgent,
}

impl Watch {
    /// The name as rule files write it.
    pub fn name(self) -> &'static str {
        match self {
            Watch::Asn => "asn",
            Watch::Country => "country",
            Watch::UserAgent => "user_agent",
        }
    }

    /// The attribute named `name`.
    pub fn parse(name: &str) -> Option<Watch> {
        [Watch::Asn, Watch::Country, Watch::UserAgent]
            .into_iter()
            .find(|w| w.name() == name)
    }
}

/// A change condition: a later event of the group differs from its first in a watched attribute.
#[derive(Clone, Debug)]
pub struct Change {
    /// The attributes compared.
    pub watch: Vec<Watch>,
    /// A group with no event for this long (event time) is forgotten.
    pub expire_ms: i64,
}

/// A sliding-window count condition.
#[derive(Clone, Debug)]
pub struct Threshold {
    /// Sliding window length, ms of event time.
    pub window_ms: i64,
    /// Minimum number of matching events in the window (0: no minimum).
    pub min_count: u64,
    /// Distinct-value conditions, all of which must hold...
    pub distinct: Vec<Distinct>,
    /// ...or, when set, at least this many of them (Sigma `temporal` with `gte`).
    pub distinct_needed: Option<usize>,
}

/// An ordered-sequence condition: each step's events, in log order, within `maxspan_ms`.
#[derive(Clone, Debug)]
pub struct Sequence {
    /// The steps, in the order they must happen.
    pub steps: Vec<Step>,
    /// The most event time from the first step's first counted event to the last step's.
    pub maxspan_ms: i64,
    /// Events that, in the group, abandon every sequence under way.
    pub cancel_on: Option<Query>,
}

/// One step of a sequence.
#[derive(Clone, Debug)]
pub struct Step {
    /// What the step's events match (besides the rule's filter).
    pub filter: Query,
    /// How many such events complete the step.
    pub count: u64,
    /// A Sigma detection the step's events must also match, for Sigma correlations.
    pub sigma: Option<Arc<Matcher>>,
}

impl Rule {
    /// The query fields the rule reads of an event (filters, group, counted and remembered
    /// fields), `None` when it reads beyond them: a Sigma detection may read any OCSF path.
    pub fn fields_read(&self) -> Option<Vec<Field>> {
        let mut fields = self.filter.fields();
        fields.extend(&self.group_by);
        let mut sigma = self.sigma.is_some();
        match &self.condition {
            Condition::Threshold(th) => {
                for d in &th.distinct {
                    match &d.of {
                        Counted::Field(f) => fields.push(*f),
                        Counted::Sigma { .. } => sigma = true,
                    }
                }
            }
            Condition::Sequence(sq) => {
                for step in &sq.steps {
                    fields.extend(step.filter.fields());
                    sigma |= step.sigma.is_some();
                }
                fields.extend(sq.cancel_on.iter().flat_map(Query::fields));
            }
            Condition::FirstSeen(fs) => fields.push(fs.field),
            Condition::Dormant(_) | Condition::Velocity(_) | Condition::Change(_) => {}
        }
        (!sigma).then_some(fields)
    }

    /// The threshold condition, when the rule is one.
    pub fn threshold(&self) -> Option<&Threshold> {
        match &self.condition {
            Condition::Threshold(t) => Some(t),
            _ => None,
        }
    }

    /// The sequence condition, when the rule is one.
    pub fn sequence(&self) -> Option<&Sequence> {
        match &self.condition {
            Condition::Sequence(s) => Some(s),
            _ => None,
        }
    }

    /// How far back in event time the rule's state reaches: the window, the maximum span, the
    /// time beyond which no travel is too fast, or the change rule's expiry.
    pub fn span_ms(&self) -> i64 {
        match &self.condition {
            Condition::Threshold(t) => t.window_ms,
            Condition::Sequence(s) => s.maxspan_ms,
            Condition::FirstSeen(f) => f.history_ms,
            Condition::Dormant(d) => d.history_ms,
            Condition::Velocity(v) => v.horizon_ms(),
            Condition::Change(c) => c.expire_ms,
        }
    }
}
