//! The query language: one line, for people (see docs/QUERY.md for the full contract).
//!
//! `user=alice status=failure ip!=10.0.0.0/8 since=24h | top 5 ip`: space-separated terms are
//! ANDed, `OR` binds tighter than the implicit AND, parentheses group, `since=`/`until=` bound
//! the event time, and an optional trailing pipe aggregates. [`Query::parse`] turns the text into
//! a [`Query`]; [`Query::matches`] tests a [`Record`]; [`Query::aggregate`] runs the pipe.

mod ast;
mod eval;
pub(crate) mod fields;
mod lex;
mod parse;
mod time;
mod values;

use std::fmt;

pub use ast::{Expr, Op, Pipe, Term, Value};
pub use eval::Tally;
pub use fields::{suggestions, text_form, Field, FieldSpec, Kind, FIELDS};
pub use values::FieldValues;

/// Resolves a time as `since=`/`until=` take it (`24h`, an RFC 3339 timestamp, a date) to ms
/// since the epoch, durations counting back from `now_ms`; `None` if it is not one.
pub fn parse_time(text: &str, now_ms: i64) -> Option<i64> {
    time::resolve(text, now_ms)
}

/// A stored entry as a query sees it: its sequence number, source name and OCSF event.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// The entry's sequence number in the log.
    pub seq: u64,
    /// The entry's source name.
    pub source: &'a str,
    /// The OCSF event JSON as stored.
    pub event: &'a serde_json::Value,
}

/// A parsed query: the filter, the resolved time bounds and the optional pipe.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// The filter (`None` matches every event).
    pub filter: Option<Expr>,
    /// Inclusive lower bound on `time`, ms since the epoch.
    pub since_ms: Option<i64>,
    /// Exclusive upper bound on `time`, ms since the epoch.
    pub until_ms: Option<i64>,
    /// The trailing aggregation, if any.
    pub pipe: Option<Pipe>,
}

/// A query that does not parse: where (1-based column, in chars) and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct QueryError {
    /// 1-based column of the offending character, in chars (length + 1 for "at the end").
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl QueryError {
    /// Builds an error at a column.
    pub(crate) fn new(column: usize, message: impl Into<String>) -> Self {
        QueryError {
            column,
            message: message.into(),
        }
    }

    /// Renders the query, a caret under the column, and the message (for the CLI).
    pub fn render(&self, query: &str) -> String {
        let pad = " ".repeat(self.column.saturating_sub(1));
        format!("{query}\n{pad}^ {}", self.message)
    }
}

impl Query {
    /// Parses a query, resolving relative times (`since=24h`) against the current time.
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        Query::parse_at(text, jiff::Timestamp::now().as_millisecond())
    }

    /// Parses a query, resolving relative times against `now_ms` (ms since the epoch).
    pub fn parse_at(text: &str, now_ms: i64) -> Result<Query, QueryError> {
        parse::parse(text, now_ms)
    }

    /// Whether a record passes the time bounds and the filter.
    pub fn matches(&self, record: &Record<'_>) -> bool {
        eval::matches(self, record)
    }

    /// Whether a record passes the time bounds and the filter, reading its fields through
    /// `values` (so several queries over one record read each field once).
    pub fn matches_values(&self, values: &mut FieldValues<'_>) -> bool {
        eval::matches_values(self, values)
    }

    /// Runs the pipe over the matching records: `(value, count)` rows, `None` without a pipe.
    pub fn aggregate<'a>(
        &self,
        records: impl IntoIterator<Item = Record<'a>>,
    ) -> Option<Vec<(String, u64)>> {
        eval::aggregate(self, records)
    }

    /// An empty tally of the pipe, to feed matching records one at a time; `None` without a pipe.
    pub fn tally(&self) -> Option<Tally> {
        Tally::new(self)
    }

    /// The fields the query reads (filter, pipe, and `time` for bounds), without repeats.
    pub fn fields(&self) -> Vec<Field> {
        let mut out = Vec::new();
        let mut add = |f: Field| {
            if !out.contains(&f) {
                out.push(f);
            }
        };
        if let Some(e) = &self.filter {
            eval::walk_terms(e, &mut |t| add(t.field));
        }
        if self.since_ms.is_some() || self.until_ms.is_some() {
            if let Some(t) = Field::lookup("time") {
                add(t);
            }
        }
        match self.pipe {
            Some(Pipe::CountBy(f)) | Some(Pipe::Top(_, f)) => add(f),
            None => {}
        }
        out
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(e) = &self.filter {
            parts.push(e.to_string());
        }
        if let Some(ms) = self.since_ms {
            parts.push(format!("since={}", time::format(ms)));
        }
        if let Some(ms) = self.until_ms {
            parts.push(format!("until={}", time::format(ms)));
        }
        if let Some(p) = &self.pipe {
            parts.push(p.to_string());
        }
        f.write_str(&parts.join(" "))
    }
}

#[cfg(test)]
mod tests;
