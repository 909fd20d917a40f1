//! `authtrail alerts`: the alerts detection raised, read from the local log's Detection Finding
//! entries (up to the signed checkpoint, like `query`).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use authtrail_detect::listing::{alerts_query, AlertSummary};
use authtrail_store::LogReader;
use serde_json::json;

use crate::cli::OutputFormat;
use crate::commands::results::for_each_hit;
use crate::exit::USAGE;

/// Print the alerts raised at or after `since`, oldest first.
pub fn run(
    data: &Path,
    since: Option<&str>,
    format: OutputFormat,
    limit: Option<u64>,
) -> Result<ExitCode> {
    let query = match alerts_query(since) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("error: bad --since at {e}");
            return Ok(ExitCode::from(USAGE));
        }
    };
    let reader =
        LogReader::open(data).with_context(|| format!("opening the log in {}", data.display()))?;
    let mut out = std::io::stdout().lock();
    if format == OutputFormat::Table {
        writeln!(
            out,
            "{:>8}  {:<24}  {:<8}  {:<32}  {:>6}  GROUP",
            "SEQ", "TIME", "SEVERITY", "RULE", "COUNT"
        )?;
    }
    for_each_hit(reader.search().as_ref(), &query, limit, |hit| {
        match format {
            OutputFormat::Json => {
                writeln!(out, "{}", json!({"seq": hit.seq, "alert": hit.event}))?;
            }
            OutputFormat::Table => {
                let a = AlertSummary::of(&hit.event);
                let time = jiff::Timestamp::from_millisecond(a.time_ms)
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{:>8}  {:<24}  {:<8}  {:<32}  {:>6}  {}",
                    hit.seq,
                    time,
                    a.severity,
                    a.rule,
                    a.count,
                    a.group_text()
                )?;
            }
        }
        Ok(())
    })?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
