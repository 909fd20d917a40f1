//! What a trace answers: the steps in time order, each with the link that brought it in.

use std::fmt;

use serde_json::{json, Value};

use super::bounds::Bound;
use super::keys::{user_names, Key};
use super::start::Start;
use crate::search::Hit;

/// Which rule brought a step in (docs/TRACE.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The event matches the start of the trace.
    Seed,
    /// The event carries a strong key (session, token, trace) of the step it was reached from.
    Key,
    /// A host event of a user of the thread of the step it was reached from, inside that
    /// thread's time window.
    Window,
}

impl Rule {
    /// The rule's name, as the output shows it.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Seed => "seed",
            Rule::Key => "key",
            Rule::Window => "window",
        }
    }
}

/// How a step was reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedBy {
    /// The rule.
    pub rule: Rule,
    /// The key and value that matched (the start itself for a seed).
    pub key: Key,
    /// The seq of the step it was reached from (`None` for a seed).
    pub from: Option<u64>,
}

impl fmt::Display for LinkedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.rule, self.from) {
            (Rule::Seed, _) | (_, None) => write!(f, "seed {}", self.key),
            (Rule::Key, Some(from)) => write!(f, "{} <- {from}", self.key),
            (Rule::Window, Some(from)) => write!(f, "{} in window <- {from}", self.key),
        }
    }
}

/// One event of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The entry's seq (prove it with `authtrail prove --seq`).
    pub seq: u64,
    /// The event time, ms since the epoch.
    pub time_ms: Option<i64>,
    /// The entry's source name.
    pub source: String,
    /// The OCSF class caption (`Authentication`).
    pub class: Option<String>,
    /// The activity caption (`Logon`).
    pub activity: Option<String>,
    /// The status caption (`Success`).
    pub status: Option<String>,
    /// The user (`user.name`, else `actor.user.name`).
    pub user: Option<String>,
    /// The source address.
    pub src_ip: Option<String>,
    /// How the step was reached.
    pub linked_by: LinkedBy,
    /// The OCSF event as stored.
    pub event: Value,
}

impl Step {
    /// The step for a hit.
    pub(super) fn new(hit: Hit, linked_by: LinkedBy) -> Self {
        let text = |path: &str| {
            hit.event
                .pointer(path)
                .and_then(Value::as_str)
                .map(String::from)
        };
        Step {
            seq: hit.seq,
            time_ms: hit.event.get("time").and_then(Value::as_i64),
            class: text("/class_name"),
            activity: text("/activity_name"),
            status: text("/status"),
            user: user_names(&hit.event).first().map(|u| u.to_string()),
            src_ip: text("/src_endpoint/ip"),
            source: hit.source,
            linked_by,
            event: hit.event,
        }
    }

    /// The time as RFC 3339 with milliseconds.
    pub fn time_text(&self) -> Option<String> {
        self.time_ms.and_then(time_text)
    }

    /// `Class: Activity`, what the step was.
    pub fn kind(&self) -> String {
        match (&self.class, &self.activity) {
            (Some(c), Some(a)) => format!("{c}: {a}"),
            (Some(c), None) => c.clone(),
            (None, Some(a)) => a.clone(),
            (None, None) => String::new(),
        }
    }

    /// The step as JSON, the event included (docs/TRACE.md, "Output").
    pub fn to_json(&self) -> Value {
        json!({
            "seq": self.seq,
            "time": self.time_text(),
            "source": self.source,
            "class": self.class,
            "activity": self.activity,
            "status": self.status,
            "user": self.user,
            "src_ip": self.src_ip,
            "linked_by": {
                "rule": self.linked_by.rule.name(),
                "key": self.linked_by.key.kind.name(),
                "value": self.linked_by.key.value,
                "from": self.linked_by.from,
            },
            "event": self.event,
        })
    }

    /// The order of a timeline: by time (steps without one last), then seq.
    pub(super) fn order(&self) -> (bool, i64, u64) {
        (self.time_ms.is_none(), self.time_ms.unwrap_or(0), self.seq)
    }
}

/// A limit the trace reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoundHit {
    /// Which bound.
    pub bound: Bound,
    /// Its value.
    pub limit: usize,
}

/// The answer of a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// Where the trace started.
    pub start: Start,
    /// Inclusive lower time bound of the seed lookup (the default window included).
    pub since_ms: Option<i64>,
    /// Exclusive upper time bound of every lookup.
    pub until_ms: Option<i64>,
    /// The steps, by event time, then seq.
    pub steps: Vec<Step>,
    /// Limits reached: when not empty, the timeline may lack events the rules would link.
    pub bounds_hit: Vec<BoundHit>,
    /// Keys found but not followed because of a bound.
    pub unfollowed: Vec<Key>,
    /// The log size the trace covered (entries `0..scanned_to`).
    pub scanned_to: u64,
}

impl Timeline {
    /// The whole answer as one JSON object (what `GET /v1/trace` returns).
    pub fn to_json(&self) -> Value {
        let key = self.start.key();
        let steps: Vec<Value> = self.steps.iter().map(Step::to_json).collect();
        let bounds_hit: Vec<Value> = self
            .bounds_hit
            .iter()
            .map(|b| json!({"bound": b.bound.name(), "limit": b.limit}))
            .collect();
        let unfollowed: Vec<Value> = self
            .unfollowed
            .iter()
            .map(|k| json!({"key": k.kind.name(), "value": k.value}))
            .collect();
        json!({
            "start": {"key": key.kind.name(), "value": key.value},
            "since": self.since_ms.and_then(time_text),
            "until": self.until_ms.and_then(time_text),
            "steps": steps,
            "bounds_hit": bounds_hit,
            "unfollowed": unfollowed,
            "scanned_to": self.scanned_to,
        })
    }
}

/// A time as RFC 3339 with milliseconds.
fn time_text(ms: i64) -> Option<String> {
    let ts = jiff::Timestamp::from_millisecond(ms).ok()?;
    Some(format!("{ts:.3}"))
}
