//! The pipeline's metrics (docs/METRICS.md), recorded through the `metrics` facade: a no-op
//! until the server installs a recorder. Sources record a batch once it is appended, so the
//! counts are of events in the log, one call per batch.

use metrics::{counter, describe_counter, Unit};

use crate::pipeline::BatchSummary;

/// Counter: events appended, by `source`, `parser` and `outcome`.
pub const EVENTS: &str = "authtrail_events_total";

/// What became of one record, the `outcome` label of [`EVENTS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// A parser made an OCSF event of it.
    Accepted,
    /// Stored as an unparsed event (no parser took it, or the one that did failed).
    Unparsed,
    /// Longer than the line limit: stored cut, as an unparsed event.
    Truncated,
    /// A string of its event is longer than the field limit: stored as an unparsed event.
    FieldTooLong,
}

impl Outcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Unparsed => "unparsed",
            Outcome::Truncated => "truncated",
            Outcome::FieldTooLong => "field_too_long",
        }
    }
}

/// Registers the help text of the pipeline's metrics.
pub fn describe() {
    describe_counter!(
        EVENTS,
        Unit::Count,
        "Events appended to the log, by source, parser (\"none\" when no parser took the record) \
         and outcome (accepted, unparsed, truncated, field_too_long)"
    );
}

/// Counts a batch appended to the log from `source`.
pub fn record_appended(source: &str, summary: &BatchSummary) {
    for (&(parser, outcome), &n) in &summary.by_outcome {
        counter!(
            EVENTS,
            "source" => source.to_string(),
            "parser" => parser,
            "outcome" => outcome.as_str()
        )
        .increment(n as u64);
    }
}
