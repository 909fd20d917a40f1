//! `authtrail trace (--session ID | --user NAME | --ip ADDR) [--since T] [--until T]`: the
//! timeline of a session, a user or a source address across sources, following the correlation
//! keys (docs/TRACE.md). Each step shows its seq, so `authtrail prove --seq` can prove it.
//!
//! Exit 1 when nothing is found; 2 on bad usage (a bad time, an empty id).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use authtrail_store::query::parse_time;
use authtrail_store::trace::{trace, Bounds, Start, Step, Timeline};
use authtrail_store::LogReader;

use crate::cli::{OutputFormat, TraceArgs};
use crate::exit::FAILED;

/// Trace over the local log and print the timeline in `format`.
pub fn run(data: &Path, args: TraceArgs) -> Result<ExitCode> {
    let now = jiff::Timestamp::now().as_millisecond();
    let start = match (args.session, args.user, args.ip) {
        (Some(id), None, None) => Start::Session(id),
        (None, Some(name), None) => Start::User(name),
        (None, None, Some(ip)) => Start::Ip(ip),
        _ => bail!("give exactly one of --session, --user, --ip"),
    };
    let bounds = Bounds {
        since_ms: time_flag("--since", args.since.as_deref(), now)?,
        until_ms: time_flag("--until", args.until.as_deref(), now)?,
        ..Bounds::new(now)
    };
    if let (Some(since), Some(until)) = (bounds.since_ms, bounds.until_ms) {
        if since >= until {
            bail!("--since must be before --until");
        }
    }
    let reader =
        LogReader::open(data).with_context(|| format!("opening the log in {}", data.display()))?;
    let search = reader.search();
    let timeline =
        trace(search.as_ref(), &start, &bounds).with_context(|| format!("tracing {start}"))?;
    report_bounds(&timeline);
    if timeline.steps.is_empty() {
        eprintln!(
            "nothing found for {start} in the {} entries of the log",
            timeline.scanned_to
        );
        return Ok(ExitCode::from(FAILED));
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            for step in &timeline.steps {
                writeln!(out, "{}", step.to_json())?;
            }
        }
        OutputFormat::Table => table(&mut out, &timeline.steps)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A `--since`/`--until` value as ms since the epoch.
fn time_flag(flag: &str, text: Option<&str>, now: i64) -> Result<Option<i64>> {
    let Some(text) = text else {
        return Ok(None);
    };
    match parse_time(text, now) {
        Some(ms) => Ok(Some(ms)),
        None => bail!(
            "{flag} {text:?} is not a time: give a duration back from now (30m, 24h, 7d), an \
             RFC 3339 time (2026-11-27T10:00:00Z) or a date (2026-11-27)"
        ),
    }
}

/// Says on stderr which bounds stopped the trace and which keys were left.
fn report_bounds(timeline: &Timeline) {
    for hit in &timeline.bounds_hit {
        eprintln!(
            "note: the trace stopped at {} = {}; the timeline may be incomplete",
            hit.bound.name(),
            hit.limit
        );
    }
    if !timeline.unfollowed.is_empty() {
        let keys: Vec<String> = timeline.unfollowed.iter().map(|k| k.to_string()).collect();
        eprintln!("note: keys not followed: {}", keys.join(" "));
    }
}

/// The table's header.
const HEADER: [&str; 8] = [
    "SEQ",
    "TIME",
    "SOURCE",
    "KIND",
    "STATUS",
    "USER",
    "IP",
    "LINKED BY",
];

/// The steps as aligned columns.
fn table(out: &mut impl Write, steps: &[Step]) -> Result<()> {
    let rows: Vec<[String; 8]> = steps
        .iter()
        .map(|s| {
            [
                s.seq.to_string(),
                s.time_text().unwrap_or_default(),
                s.source.clone(),
                s.kind(),
                s.status.clone().unwrap_or_default(),
                s.user.clone().unwrap_or_default(),
                s.src_ip.clone().unwrap_or_default(),
                s.linked_by.to_string(),
            ]
        })
        .collect();
    let mut widths = HEADER.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let header = HEADER.map(String::from);
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = format!("{:>w$}", row[0], w = widths[0]);
        for (cell, w) in row.iter().zip(widths).skip(1).take(6) {
            line.push_str(&format!("  {cell:<w$}"));
        }
        line.push_str(&format!("  {}", row[7]));
        writeln!(out, "{line}")?;
    }
    Ok(())
}
