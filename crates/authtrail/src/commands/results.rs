//! What `query` and `export` share: reading the query argument, walking the events it matches a
//! page at a time, and the columns of the table and CSV forms.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use authtrail_store::query::Query;
use authtrail_store::search::{Hit, Search};
use serde_json::Value;

use crate::exit::USAGE;

/// The columns of the table and CSV forms.
pub const COLUMNS: [&str; 7] = ["seq", "time", "source", "kind", "status", "user", "src_ip"];

/// Events fetched per search call.
const PAGE: u64 = 1000;

/// Parse the query argument; on a mistake, print it with a caret under its column and give the
/// exit code of bad usage.
pub fn parse_query(text: &str) -> Result<Query, ExitCode> {
    Query::parse(text).map_err(|e| {
        eprintln!("error: bad query at {e}\n{}", e.render(text));
        ExitCode::from(USAGE)
    })
}

/// Call `each` with the events matching `query` in seq order, at most `limit` of them (the
/// pipe, if any, is ignored). Returns the log size the search covered.
pub fn for_each_hit(
    search: &dyn Search,
    query: &Query,
    limit: Option<u64>,
    mut each: impl FnMut(&Hit) -> Result<()>,
) -> Result<u64> {
    let mut left = limit.unwrap_or(u64::MAX);
    let mut from = 0;
    let mut scanned_to = 0;
    while left > 0 {
        let page_size = usize::try_from(left.min(PAGE)).unwrap_or(usize::MAX);
        let page = search
            .find(query, from, page_size)
            .context("running the query")?;
        scanned_to = scanned_to.max(page.scanned_to);
        for hit in &page.hits {
            each(hit)?;
        }
        left = left.saturating_sub(page.hits.len() as u64);
        match page.next {
            Some(next) => from = next,
            None => break,
        }
    }
    Ok(scanned_to)
}

/// An event's table and CSV columns.
pub fn columns(seq: u64, source: &str, event: &Value) -> [String; 7] {
    let text = |path: &str| {
        event
            .pointer(path)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let time = event
        .get("time")
        .and_then(Value::as_i64)
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map_or_else(String::new, |t| format!("{t:.3}"));
    let user = Some(text("/user/name"))
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| text("/actor/user/name"));
    [
        seq.to_string(),
        time,
        source.to_string(),
        text("/type_name"),
        text("/status"),
        user,
        text("/src_endpoint/ip"),
    ]
}

/// Events as CSV with a header line of [`COLUMNS`], or a pipe's rows as `value,count`.
pub struct CsvOut<W: Write> {
    writer: csv::Writer<W>,
    header_done: bool,
}

impl<W: Write> CsvOut<W> {
    /// CSV written to `out`.
    pub fn new(out: W) -> Self {
        CsvOut {
            writer: csv::Writer::from_writer(out),
            header_done: false,
        }
    }

    /// The header line of the event rows, unless it was written already.
    pub fn header(&mut self) -> Result<()> {
        if !self.header_done {
            self.header_done = true;
            self.writer.write_record(COLUMNS)?;
        }
        Ok(())
    }

    /// One event's row (the header line first).
    pub fn event(&mut self, seq: u64, source: &str, event: &Value) -> Result<()> {
        self.header()?;
        self.writer.write_record(columns(seq, source, event))?;
        Ok(())
    }

    /// The rows of a pipe, under a `value,count` header.
    pub fn rows(&mut self, rows: &[(String, u64)]) -> Result<()> {
        self.writer.write_record(["value", "count"])?;
        for (value, count) in rows {
            self.writer
                .write_record([value.as_str(), &count.to_string()])?;
        }
        Ok(())
    }

    /// Flush everything written and give back the writer.
    pub fn finish(self) -> Result<W> {
        self.writer
            .into_inner()
            .map_err(|e| anyhow::Error::new(e.into_error()).context("writing CSV"))
    }
}
