//! `cargo bench -p authtrail --bench json_figures` (or `bench/json.sh`): events per second per
//! core of the JSON parsers for Okta System Log and Windows Security JSON (goal: 200,000 each),
//! each against a baseline measured in the same run (the machine is noisy, so the ratio is the
//! figure to compare between runs).
//!
//! Input, read at run time from `../shared/datasets` (never copied into the repository):
//! - Okta: the `log` objects of Panther's Okta rule tests (`okta/panther-analysis`), all of them
//!   (`okta`: three in four are event types that are not sign-ins, kept as unparsed events) and
//!   those the parser maps (`okta_mapped`);
//! - Windows: the NXLog/Mordor JSON records of `windows-security/otrf-security-datasets` and the
//!   records of the `.evtx` files in `windows-security/evtx-attack-samples` as authtrail renders
//!   them (the JSON an EVTX file is transcoded to before parsing).
//!
//! Each sample is repeated to `AUTHTRAIL_BENCH_EVENTS` records, each repetition with other user
//! names and source IPv4 addresses, written as NDJSON (one record a line).
//!
//! Passes, each on one thread, `AUTHTRAIL_BENCH_RUNS` times (the median kept), timed by the
//! thread's CPU time (so the rate is per core):
//! 1. baseline: `serde_json::from_slice::<Value>` of every record (a bare JSON parse);
//! 2. attribution: the product parser alone (`okta::parse`, `windows::parse`), what `parse` adds
//!    to it is the pipeline's part;
//! 3. `parse`: `Normalizer::normalize` of every record (the product's parser, the required
//!    attributes filled in, the event validated): the figure;
//! 4. `parse + canonical`: the same plus `Event::canonical_bytes` (the bytes that are hashed);
//! 5. `prepare`: `Normalizer::prepare` of the whole body (split, normalize, encode, salt, hash:
//!    everything before the append; it encodes on up to four threads, so this one is wall time).
//!
//! Knobs (environment variables; defaults in brackets): `AUTHTRAIL_BENCH_EVENTS` [200000],
//! `AUTHTRAIL_BENCH_PASSES` (name prefixes of the passes to run besides the baseline and `parse`,
//! for profiling) [all],
//! `AUTHTRAIL_BENCH_RUNS` [5], `AUTHTRAIL_BENCH_JSON_PHASES` (okta,windows) [all],
//! `AUTHTRAIL_BENCH_DATASETS` [../shared/datasets], `AUTHTRAIL_BENCH_STRICT=1` (exit 1 when a
//! figure misses its goal). Run as a test (`cargo test --benches`) it does nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use authtrail_ingest::decode::evtx;
use authtrail_ingest::parse::{okta, windows, ParseContext, ParseResult};
use authtrail_ingest::{InputFormat, Limits, Normalizer, ParseConfig};
use serde::de::IgnoredAny;
use serde_json::Value;

mod common;
use common::{
    bench_main, best, cpu_seconds, env_flag, env_parse, env_phases, fmt_num, median, temp_dir,
    Report,
};

/// The same allocator as the binary, so in-process figures match what `authtrail ingest` does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEFAULT_DATASETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/datasets");

const PHASES: [&str; 2] = ["okta", "windows"];

/// The goal, events per second per core.
const GOAL: f64 = 200_000.0;

struct Knobs {
    events: usize,
    runs: usize,
    phases: Vec<String>,
    datasets: PathBuf,
    strict: bool,
    /// Name prefixes of the passes to run besides the baseline and `parse` (all when empty).
    passes: Vec<String>,
}

impl Knobs {
    fn from_env() -> Result<Self> {
        Ok(Knobs {
            events: env_parse("AUTHTRAIL_BENCH_EVENTS", 200_000usize)?.max(1),
            runs: env_parse("AUTHTRAIL_BENCH_RUNS", 5usize)?.max(1),
            phases: env_phases("AUTHTRAIL_BENCH_JSON_PHASES", &PHASES)?,
            datasets: env_parse("AUTHTRAIL_BENCH_DATASETS", PathBuf::from(DEFAULT_DATASETS))?,
            strict: env_flag("AUTHTRAIL_BENCH_STRICT"),
            passes: std::env::var("AUTHTRAIL_BENCH_PASSES")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

/// Okta records: the `log` object of each Panther rule test.
fn okta_sample(datasets: &Path) -> Result<Vec<Value>> {
    let path = datasets.join("okta/panther-analysis/rule-tests.jsonl");
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let test: Value =
            serde_json::from_str(line).with_context(|| format!("{}:{}", path.display(), i + 1))?;
        if let Some(log) = test.get("log") {
            out.push(log.clone());
        }
    }
    Ok(out)
}

/// Windows records: the OTRF NXLog JSON lines and the EVTX attack samples as rendered.
fn windows_sample(datasets: &Path) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut ndjson = Vec::new();
    for dir in ["otrf-security-datasets", "evtx-attack-samples"] {
        let dir = datasets.join("windows-security").join(dir);
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| dir.display().to_string())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path).with_context(|| path.display().to_string())?;
            if evtx::is_evtx(&bytes) {
                ndjson.extend_from_slice(&evtx::to_ndjson(&bytes));
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                ndjson.extend_from_slice(&bytes);
            }
            ndjson.push(b'\n');
        }
    }
    for line in ndjson.split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        out.push(serde_json::from_slice(line).context("a Windows sample record")?);
    }
    Ok(out)
}

/// The sample repeated to `n` records as NDJSON, repetition `r` with user names suffixed `r`
/// and IPv4 addresses moved to `10.r.x.y`; `users` and `ips` name the fields changed.
fn repeat(sample: &[Value], n: usize, users: &[&str], ips: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 1500);
    for i in 0..n {
        let rep = i / sample.len();
        let mut record = sample[i % sample.len()].clone();
        if rep > 0 {
            vary(&mut record, rep, users, ips);
        }
        // Serializing a Value cannot fail.
        if let Ok(bytes) = serde_json::to_vec(&record) {
            out.extend_from_slice(&bytes);
        }
        out.push(b'\n');
    }
    out
}

/// Change the named string fields (at any depth) of one record for repetition `rep`.
fn vary(v: &mut Value, rep: usize, users: &[&str], ips: &[&str]) {
    match v {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if let Value::String(s) = value {
                    if users.contains(&key.as_str()) && !s.is_empty() && s != "-" {
                        s.push_str(&rep.to_string());
                    } else if ips.contains(&key.as_str()) && s.parse::<std::net::Ipv4Addr>().is_ok()
                    {
                        let last = s.rsplit('.').next().unwrap_or("1").to_string();
                        *s = format!("10.{}.{}.{last}", (rep / 250) % 250, rep % 250);
                    }
                } else {
                    vary(value, rep, users, ips);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| vary(x, rep, users, ips)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Passes
// ---------------------------------------------------------------------------------------------

fn limits() -> Limits {
    Limits {
        max_body_bytes: usize::MAX,
        max_events_per_batch: usize::MAX,
        ..Limits::default()
    }
}

/// Seconds a pass took: the thread's CPU time (`cpu`) or wall time.
fn timed(cpu: bool, f: &mut dyn FnMut() -> Result<usize>) -> Result<(usize, f64)> {
    let cpu0 = cpu_seconds("thread-self");
    let t0 = Instant::now();
    let n = f()?;
    let wall = t0.elapsed().as_secs_f64();
    let secs = match cpu0.zip(cpu_seconds("thread-self")) {
        Some((a, b)) if cpu && b > a => b - a,
        _ => wall,
    };
    Ok((n, secs))
}

/// One pass over the records: its name, whether it is timed by CPU (else wall) time, and the
/// work (returning how many records it handled).
struct PassSpec<'a> {
    name: &'static str,
    cpu: bool,
    run: Box<dyn FnMut() -> Result<usize> + 'a>,
}

/// A product parser on its own: one record's text to an event, before the pipeline's checks.
type ParserFn = fn(&str, &mut ParseContext) -> ParseResult;

fn format_phase(
    knobs: &Knobs,
    name: &str,
    (format, parser): (InputFormat, ParserFn),
    body: &[u8],
    report: &mut Report,
) -> Result<()> {
    let limits = limits();
    let config = Arc::new(ParseConfig::default());
    let normalizer = Normalizer::new(format, config.clone());
    let records = normalizer.records(body, &limits)?;
    let n = records.len();
    println!(
        "  {n} records, {} bytes ({:.0} bytes/record); one thread; {} runs, the passes interleaved in each",
        body.len(),
        body.len() as f64 / n as f64,
        knobs.runs
    );
    let texts: Vec<&str> = records
        .iter()
        .map(|r| std::str::from_utf8(r.raw).unwrap_or_default())
        .collect();
    let mut unparsed = 0usize;
    let mut passes: Vec<PassSpec<'_>> = vec![
        PassSpec {
            name: "baseline: serde_json::Value",
            cpu: true,
            run: Box::new(|| {
                let ok = records
                    .iter()
                    .filter(|r| serde_json::from_slice::<Value>(r.raw).is_ok())
                    .count();
                if ok != n {
                    bail!("{} of {n} records are not JSON", n - ok);
                }
                Ok(n)
            }),
        },
        PassSpec {
            name: "serde_json scan (IgnoredAny)",
            cpu: true,
            run: Box::new(|| {
                let ok = records
                    .iter()
                    .filter(|r| serde_json::from_slice::<IgnoredAny>(r.raw).is_ok())
                    .count();
                std::hint::black_box(ok);
                Ok(n)
            }),
        },
        PassSpec {
            name: "the product parser alone",
            cpu: true,
            run: Box::new(|| {
                let mut ctx = ParseContext::new(config.clone(), 0);
                let ok = texts.iter().filter(|t| parser(t, &mut ctx).is_ok()).count();
                std::hint::black_box(ok);
                Ok(n)
            }),
        },
        PassSpec {
            name: "parse",
            cpu: true,
            run: Box::new(|| {
                let mut normalizer = Normalizer::new(format, config.clone());
                unparsed = records
                    .iter()
                    .filter(|r| normalizer.normalize(r).unparsed_reason.is_some())
                    .count();
                Ok(n)
            }),
        },
        PassSpec {
            name: "parse + canonical",
            cpu: true,
            run: Box::new(|| {
                let mut normalizer = Normalizer::new(format, config.clone());
                let bytes: usize = records
                    .iter()
                    .map(|r| normalizer.normalize(r).event.canonical_bytes().len())
                    .sum();
                std::hint::black_box(bytes);
                Ok(n)
            }),
        },
        PassSpec {
            name: "prepare (wall; up to 4 encoding threads)",
            cpu: false,
            run: Box::new(|| {
                let mut normalizer = Normalizer::new(format, config.clone());
                Ok(normalizer.prepare(body, "bench", 0, &limits)?.entries.len())
            }),
        },
    ];
    passes.retain(|p| {
        knobs.passes.is_empty()
            || p.name == "parse"
            || p.name.starts_with("baseline")
            || knobs.passes.iter().any(|k| p.name.starts_with(k.as_str()))
    });
    let names: Vec<&str> = passes.iter().map(|p| p.name).collect();
    // rates[pass][run]
    let mut rates = vec![Vec::with_capacity(knobs.runs); passes.len()];
    for _ in 0..knobs.runs {
        for (i, pass) in passes.iter_mut().enumerate() {
            let (count, secs) = timed(pass.cpu, &mut pass.run)?;
            rates[i].push(count as f64 / secs);
        }
    }
    drop(passes);
    for (name, r) in names.iter().zip(&rates) {
        println!(
            "  {name}: median {} records/s, best {}",
            fmt_num(median(r)),
            fmt_num(best(r))
        );
    }
    println!(
        "  unparsed (kept as unparsed events, counted): {unparsed} of {n} ({:.1}%)",
        100.0 * unparsed as f64 / n as f64
    );
    let baseline = &rates[0];
    let parse_at = names.iter().position(|p| *p == "parse").unwrap_or(0);
    let parse = &rates[parse_at];
    let ratios: Vec<f64> = parse.iter().zip(baseline).map(|(p, b)| p / b).collect();
    let parse_median = median(parse);
    report.figure(
        &format!("{name}_json_parse"),
        parse_median,
        "events/s/core (median)",
        "≥ 200,000",
        Some(parse_median >= GOAL),
    );
    report.figure(
        &format!("{name}_json_parse_vs_value_baseline"),
        median(&ratios),
        "× the bare serde_json::Value parse of the same records, same run (median of per-run ratios)",
        "none: compare between runs",
        None,
    );
    Ok(())
}

fn main() {
    bench_main("json_figures", "bench/json.sh", run);
}

fn run() -> Result<bool> {
    let knobs = Knobs::from_env()?;
    if !knobs.datasets.is_dir() {
        println!(
            "json_figures: NOTICE: the datasets folder {} is absent; set AUTHTRAIL_BENCH_DATASETS. Skipped.",
            knobs.datasets.display()
        );
        return Ok(true);
    }
    println!(
        "json_figures: {} cores (shared, noisy: compare the ratios); phases {:?}; {} events per format; datasets {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        knobs.phases,
        knobs.events,
        knobs.datasets.display()
    );
    let tmp = temp_dir(None, "authtrail-json-bench-")?;
    let mut report = Report::default();
    let result = (|| -> Result<()> {
        if knobs.phases.iter().any(|p| p == "okta") {
            let sample = okta_sample(&knobs.datasets)?;
            // Panther's tests are mostly of event types that are not sign-ins (kept as unparsed
            // events, which costs less): the mapped ones alone are measured too.
            let mut ctx = ParseContext::new(Arc::new(ParseConfig::default()), 0);
            let mapped: Vec<Value> = sample
                .iter()
                .filter(|v| okta::parse(&v.to_string(), &mut ctx).is_ok())
                .cloned()
                .collect();
            for (name, sample) in [("okta", &sample), ("okta_mapped", &mapped)] {
                println!(
                    "\n== Okta System Log JSON, {name} ({} sample records) ==",
                    sample.len()
                );
                let body = repeat(
                    sample,
                    knobs.events,
                    &["alternateId", "displayName", "id"],
                    &["ipAddress", "ip"],
                );
                format_phase(
                    &knobs,
                    name,
                    (InputFormat::Okta, okta::parse),
                    &body,
                    &mut report,
                )?;
            }
        }
        if knobs.phases.iter().any(|p| p == "windows") {
            let sample = windows_sample(&knobs.datasets)?;
            println!(
                "\n== Windows Security JSON ({} sample records) ==",
                sample.len()
            );
            let body = repeat(
                &sample,
                knobs.events,
                &["TargetUserName", "SubjectUserName"],
                &["IpAddress"],
            );
            format_phase(
                &knobs,
                "windows",
                (InputFormat::Windows, windows::parse),
                &body,
                &mut report,
            )?;
        }
        Ok(())
    })();
    report.finish(tmp, false, knobs.strict, result)
}
