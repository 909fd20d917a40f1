//! `authtrail query QUERY`: the events of the local log that match a query (docs/QUERY.md), or
//! the rows of its `| count by` / `| top` pipe.
//!
//! It covers the entries up to the signed checkpoint; entries after it (not yet committed) are
//! not seen.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use authtrail_store::query::Query;
use authtrail_store::LogReader;
use serde_json::{json, Value};

use crate::cli::QueryFormat;
use crate::exit::USAGE;

/// The columns of the table and CSV forms.
const COLUMNS: [&str; 7] = ["seq", "time", "source", "kind", "status", "user", "src_ip"];

/// Run a query over the local log and print what it finds in `format`.
pub fn run(data: &Path, text: &str, format: QueryFormat, limit: Option<u64>) -> Result<ExitCode> {
    let query = match Query::parse(text) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("error: bad query at {e}\n{}", e.render(text));
            return Ok(ExitCode::from(USAGE));
        }
    };
    let reader =
        LogReader::open(data).with_context(|| format!("opening the log in {}", data.display()))?;
    let search = reader.search();
    let mut out = Output::new(format)?;
    if query.pipe.is_some() {
        let tallied = search.tally(&query).context("running the query")?;
        out.rows(&tallied.rows.unwrap_or_default())?;
        out.finish()?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut left = limit.unwrap_or(u64::MAX);
    let mut from = 0;
    while left > 0 {
        let page_size = usize::try_from(left.min(PAGE)).unwrap_or(usize::MAX);
        let page = search
            .find(&query, from, page_size)
            .context("running the query")?;
        for hit in &page.hits {
            out.event(hit.seq, &hit.source, &hit.event)?;
        }
        left -= page.hits.len() as u64;
        match page.next {
            Some(next) => from = next,
            None => break,
        }
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// Events fetched per search call.
const PAGE: u64 = 1000;

/// Where results go, in the chosen form.
struct Output {
    format: QueryFormat,
    stdout: std::io::StdoutLock<'static>,
    csv: Option<csv::Writer<std::io::Stdout>>,
    header_done: bool,
}

impl Output {
    fn new(format: QueryFormat) -> Result<Self> {
        let csv = (format == QueryFormat::Csv).then(|| csv::Writer::from_writer(std::io::stdout()));
        Ok(Output {
            format,
            stdout: std::io::stdout().lock(),
            csv,
            header_done: false,
        })
    }

    /// One matching event.
    fn event(&mut self, seq: u64, source: &str, event: &Value) -> Result<()> {
        match self.format {
            QueryFormat::Json => {
                let line = json!({"seq": seq, "source": source, "event": event});
                writeln!(self.stdout, "{line}")?;
            }
            QueryFormat::Ocsf => writeln!(self.stdout, "{event}")?,
            QueryFormat::Table => {
                if !self.header_done {
                    self.header_done = true;
                    let h = COLUMNS.map(str::to_ascii_uppercase);
                    writeln!(
                        self.stdout,
                        "{:>8}  {:<24}  {:<12}  {:<34}  {:<8}  {:<24}  {}",
                        h[0], h[1], h[2], h[3], h[4], h[5], h[6]
                    )?;
                }
                let c = columns(seq, source, event);
                writeln!(
                    self.stdout,
                    "{:>8}  {:<24}  {:<12}  {:<34}  {:<8}  {:<24}  {}",
                    c[0], c[1], c[2], c[3], c[4], c[5], c[6]
                )?;
            }
            QueryFormat::Csv => {
                if let Some(w) = self.csv.as_mut() {
                    if !self.header_done {
                        self.header_done = true;
                        w.write_record(COLUMNS)?;
                    }
                    w.write_record(columns(seq, source, event))?;
                }
            }
        }
        Ok(())
    }

    /// The rows of a pipe: a value and its count.
    fn rows(&mut self, rows: &[(String, u64)]) -> Result<()> {
        match self.format {
            QueryFormat::Json | QueryFormat::Ocsf => {
                for (value, count) in rows {
                    writeln!(self.stdout, "{}", json!({"value": value, "count": count}))?;
                }
            }
            QueryFormat::Table => {
                for (value, count) in rows {
                    writeln!(self.stdout, "{count:>10}  {value}")?;
                }
            }
            QueryFormat::Csv => {
                if let Some(w) = self.csv.as_mut() {
                    w.write_record(["value", "count"])?;
                    for (value, count) in rows {
                        w.write_record([value.as_str(), &count.to_string()])?;
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        if let Some(w) = self.csv.as_mut() {
            w.flush()?;
        }
        self.stdout.flush()?;
        Ok(())
    }
}

/// An event's table and CSV columns.
fn columns(seq: u64, source: &str, event: &Value) -> [String; 7] {
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
