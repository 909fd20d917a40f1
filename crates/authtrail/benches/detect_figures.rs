//! `cargo bench -p authtrail --bench detect_figures` (or `bench/detect.sh`): the detection
//! engine's early figures (the real-time detection issue), ahead of its wiring into `ingest`.
//!
//! Input: the sshd log with injected attackers and its ground truth that
//! `../shared/peers/make-sshd-log.py` writes (`AUTHTRAIL_BENCH_LINES` lines, 1,000,000 by
//! default; seed 1), parsed by the real sshd parser (not timed here: `bench/ingest.sh` times it).
//!
//! Timed: every parsed event through `authtrail_detect::Engine` with the built-in rules, one
//! thread, `AUTHTRAIL_BENCH_RUNS` times; the baseline in the same run is the rules' distinct
//! filters alone over the same events (what any engine must do per event), so the ratio says
//! what the windows and groups cost on top.
//!
//! Scored: the source IPs of the alerts grouped by `ip` are the flagged IPs, scored by
//! `../shared/peers/score.py` against the truth (recall and precision on the injected
//! attackers), as the peers CrowdSec and fail2ban are scored by `replay-peers.sh`.
//!
//! Without `../shared` (a user's clone) it prints a notice and skips. Run as a test it does
//! nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use authtrail_detect::{Engine, Rules};
use authtrail_ingest::{InputFormat, Limits, Normalizer, ParseConfig};
use authtrail_store::query::Record;
use serde_json::Value;

mod common;
use common::{bench_main, env_flag, env_parse, median, temp_dir, Report};

/// The same allocator as the binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEFAULT_PEERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/peers");

struct Knobs {
    lines: usize,
    runs: usize,
    peers: PathBuf,
    keep: bool,
}

impl Knobs {
    fn from_env() -> Result<Self> {
        Ok(Knobs {
            lines: env_parse("AUTHTRAIL_BENCH_LINES", 1_000_000usize)?.max(1000),
            runs: env_parse("AUTHTRAIL_BENCH_RUNS", 3usize)?.max(1),
            peers: env_parse("AUTHTRAIL_BENCH_PEERS", PathBuf::from(DEFAULT_PEERS))?,
            keep: env_flag("AUTHTRAIL_BENCH_KEEP"),
        })
    }
}

fn main() {
    bench_main("detect_figures", "bench/detect.sh", run);
}

fn run() -> Result<bool> {
    let knobs = Knobs::from_env()?;
    let generator = knobs.peers.join("make-sshd-log.py");
    if !generator.is_file() {
        println!(
            "detect_figures: NOTICE: {} is absent (set AUTHTRAIL_BENCH_PEERS). Skipped.",
            generator.display()
        );
        return Ok(true);
    }
    println!(
        "detect_figures: {} cores (shared, noisy: compare the ratios); {} lines; {} runs",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        knobs.lines,
        knobs.runs
    );
    let tmp = temp_dir(None, "authtrail-detect-bench-")?;
    let mut report = Report::default();
    let result = phases(&knobs, tmp.path(), &mut report);
    report.finish(tmp, knobs.keep, false, result)
}

fn phases(knobs: &Knobs, tmp: &Path, report: &mut Report) -> Result<()> {
    let log = tmp.join("sshd.log");
    let status = Command::new("python3")
        .arg(knobs.peers.join("make-sshd-log.py"))
        .arg(&log)
        .arg(knobs.lines.to_string())
        .args(["--seed", "1"])
        .status()
        .context("running make-sshd-log.py")?;
    if !status.success() {
        bail!("make-sshd-log.py failed: {status}");
    }
    let truth = PathBuf::from(format!("{}.truth.json", log.display()));
    let events = parse(&log)?;
    println!(
        "  parsed {} events from {} lines",
        events.len(),
        knobs.lines
    );

    let rules = Rules::builtin().context("the built-in rules")?;
    let mut filters: Vec<&authtrail_store::query::Query> = Vec::new();
    for rule in rules.iter() {
        if !filters.contains(&&rule.filter) {
            filters.push(&rule.filter);
        }
    }
    let mut engine_s = Vec::new();
    let mut filter_s = Vec::new();
    let mut flagged = BTreeSet::new();
    let mut alerts = 0usize;
    for run in 0..knobs.runs {
        // Baseline: each distinct filter of the rules over each event, nothing else.
        let started = Instant::now();
        let mut matched = 0u64;
        for (seq, event) in events.iter().enumerate() {
            let record = record(seq, event);
            for filter in &filters {
                matched += u64::from(filter.matches(&record));
            }
        }
        filter_s.push(started.elapsed().as_secs_f64());
        std::hint::black_box(matched);

        let mut engine = Engine::new(rules.iter().cloned());
        let started = Instant::now();
        let mut raised = Vec::new();
        for (seq, event) in events.iter().enumerate() {
            raised.extend(engine.observe(&record(seq, event)));
        }
        engine_s.push(started.elapsed().as_secs_f64());
        println!(
            "  run {}: engine {:.2} s, filters alone {:.2} s, {} alerts, {} groups held at the end",
            run + 1,
            engine_s[run],
            filter_s[run],
            raised.len(),
            engine.group_count()
        );
        if run == 0 {
            alerts = raised.len();
            flagged = raised
                .iter()
                .flat_map(|a| a.group.iter())
                .filter(|(field, _)| field == "ip")
                .map(|(_, ip)| ip.clone())
                .collect();
            let mut by_rule = std::collections::BTreeMap::<&str, usize>::new();
            for a in &raised {
                *by_rule.entry(a.rule_id.as_str()).or_default() += 1;
            }
            println!("  alerts by rule: {by_rule:?}");
        }
    }
    let n = events.len() as f64;
    let engine = median(&engine_s);
    let filters = median(&filter_s);
    report.figure(
        "detect_events_per_s",
        n / engine,
        "events/s",
        "none: the engine alone (the issue's figure is bench/replay.sh, with ingest)",
        None,
    );
    report.figure(
        "detect_vs_filters_alone",
        engine / filters,
        "x the time of the rules' filters alone (same run, medians)",
        "none: compare between runs",
        None,
    );

    let flagged_file = tmp.join("authtrail.flagged");
    let list: String = flagged.iter().map(|ip| format!("{ip}\n")).collect();
    std::fs::write(&flagged_file, list)?;
    let score = Command::new("python3")
        .arg(knobs.peers.join("score.py"))
        .arg("authtrail-engine")
        .arg(format!("{engine:.3}"))
        .arg(format!("{engine:.3}"))
        .arg(knobs.lines.to_string())
        .arg(&flagged_file)
        .arg(&truth)
        .output()
        .context("running score.py")?;
    if !score.status.success() {
        bail!(
            "score.py failed: {}",
            String::from_utf8_lossy(&score.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&score.stdout).to_string();
    report.note(format!(
        "  {alerts} alerts; {} source IPs flagged by the rules grouped by ip",
        flagged.len()
    ));
    for line in text.lines() {
        report.note(format!("  score.py: {line}"));
    }
    for key in ["recall", "precision"] {
        if let Some(v) = score_value(&text, key) {
            report.figure(
                &format!("detect_{key}"),
                v,
                "(injected attackers, score.py)",
                "1.0 (bench/replay.sh scores the same through ingest)",
                None,
            );
        }
    }
    Ok(())
}

/// Every line of the sshd log through the real parser, as OCSF JSON.
fn parse(log: &Path) -> Result<Vec<Value>> {
    let body = std::fs::read(log).with_context(|| log.display().to_string())?;
    let mut normalizer = Normalizer::new(InputFormat::Syslog, Arc::new(ParseConfig::default()));
    let limits = Limits {
        max_body_bytes: usize::MAX,
        max_events_per_batch: usize::MAX,
        ..Limits::default()
    };
    let records = normalizer.records(&body, &limits)?;
    normalizer.set_received_ms(jiff::Timestamp::now().as_millisecond());
    records
        .iter()
        .map(|r| {
            let n = normalizer.normalize(r);
            serde_json::to_value(&n.event).context("event as JSON")
        })
        .collect()
}

fn record(seq: usize, event: &Value) -> Record<'_> {
    Record {
        seq: seq as u64,
        source: "sshd",
        event,
    }
}

/// `key=value` from score.py's first line, as a number.
fn score_value(text: &str, key: &str) -> Option<f64> {
    let first = text.lines().next()?;
    first
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
}
