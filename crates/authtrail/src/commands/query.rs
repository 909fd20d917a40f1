//! `authtrail query QUERY`: the events of the local log that match a query (docs/QUERY.md), or
//! the rows of its `| count by` / `| top` pipe.
//!
//! It covers the entries up to the signed checkpoint; entries after it (not yet committed) are
//! not seen.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use authtrail_model::ecs::entry_to_ecs;
use authtrail_store::LogReader;
use serde_json::{json, Value};

use crate::cli::QueryFormat;
use crate::commands::results::{columns, for_each_hit, parse_query, CsvOut, COLUMNS};

/// Run a query over the local log and print what it finds in `format`.
pub fn run(data: &Path, text: &str, format: QueryFormat, limit: Option<u64>) -> Result<ExitCode> {
    let query = match parse_query(text) {
        Ok(q) => q,
        Err(code) => return Ok(code),
    };
    let reader =
        LogReader::open(data).with_context(|| format!("opening the log in {}", data.display()))?;
    let search = reader.search();
    let mut out = Output::new(format);
    if query.pipe.is_some() {
        let tallied = search.tally(&query).context("running the query")?;
        out.rows(&tallied.rows.unwrap_or_default())?;
        out.finish()?;
        return Ok(ExitCode::SUCCESS);
    }
    for_each_hit(search.as_ref(), &query, limit, |hit| {
        out.event(hit.seq, &hit.source, &hit.event)
    })?;
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// Where results go, in the chosen form.
struct Output {
    format: QueryFormat,
    stdout: std::io::StdoutLock<'static>,
    csv: Option<CsvOut<std::io::Stdout>>,
    header_done: bool,
}

impl Output {
    fn new(format: QueryFormat) -> Self {
        let csv = (format == QueryFormat::Csv).then(|| CsvOut::new(std::io::stdout()));
        Output {
            format,
            stdout: std::io::stdout().lock(),
            csv,
            header_done: false,
        }
    }

    /// One matching event.
    fn event(&mut self, seq: u64, source: &str, event: &Value) -> Result<()> {
        match self.format {
            QueryFormat::Json => {
                let line = json!({"seq": seq, "source": source, "event": event});
                writeln!(self.stdout, "{line}")?;
            }
            QueryFormat::Ocsf => writeln!(self.stdout, "{event}")?,
            QueryFormat::Ecs => writeln!(self.stdout, "{}", entry_to_ecs(seq, source, event))?,
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
                    w.event(seq, source, event)?;
                }
            }
        }
        Ok(())
    }

    /// The rows of a pipe: a value and its count.
    fn rows(&mut self, rows: &[(String, u64)]) -> Result<()> {
        match self.format {
            QueryFormat::Json | QueryFormat::Ocsf | QueryFormat::Ecs => {
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
                    w.rows(rows)?;
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        if let Some(w) = self.csv.take() {
            w.finish()?;
        }
        self.stdout.flush()?;
        Ok(())
    }
}
