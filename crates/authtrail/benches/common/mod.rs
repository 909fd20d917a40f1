//! What the `ingest_figures`, `json_figures` and `log_figures` benches share (each has `mod common;`; cargo does
//! not take `benches/common/mod.rs` for a bench target of its own): `main` with its test-mode
//! skip, knobs from the environment, the `FIGURE` report and its summary, number formatting, the
//! temporary directory, CPU time from /proc, and the splitmix64 generator.
//!
//! What only one bench needs stays in its file; each bench compiles this module and uses a part
//! of it, hence the module-wide `dead_code` allowance.
#![allow(dead_code)]

use std::path::Path;

use anyhow::{anyhow, bail, Result};

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

/// The bench's `main`: nothing in test mode (`cargo test --benches` runs it without `--bench`),
/// else `run`, exiting 0 (all well), 1 (`run` returned false: strict and a goal missed) or 2
/// (error). `script` is the wrapper named in the skip message.
pub fn bench_main(name: &str, script: &str, run: impl FnOnce() -> Result<bool>) {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        println!(
            "{name}: skipped in test mode; run `cargo bench -p authtrail --bench {name}` or {script}"
        );
        return;
    }
    let code = match run() {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("{name}: error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}

// ---------------------------------------------------------------------------------------------
// Knobs
// ---------------------------------------------------------------------------------------------

/// The environment variable `name` parsed (white space around it and `_` digit separators
/// ignored), or `default` when it is unset or blank.
pub fn env_parse<T: std::str::FromStr>(name: &str, default: T) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .replace('_', "")
            .parse()
            .map_err(|e| anyhow!("{name}={v:?}: {e}")),
        _ => Ok(default),
    }
}

/// True when the environment variable `name` is set to anything but empty, `0` or `false`.
pub fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// The phases listed (comma or space separated) in the environment variable `name`, every one of
/// `known` when it is unset or blank; an error names the first unknown one in `C`'s order.
pub fn env_phases<C>(name: &str, known: &[&str]) -> Result<C>
where
    C: FromIterator<String>,
    for<'a> &'a C: IntoIterator<Item = &'a String>,
{
    let phases: C = std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            v.split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_else(|| known.iter().map(|s| s.to_string()).collect());
    if let Some(bad) = (&phases).into_iter().find(|p| !known.contains(&p.as_str())) {
        bail!("{name}: unknown phase {bad:?} (known: {known:?})");
    }
    Ok(phases)
}

/// A fresh temporary directory named `prefix...`, in `parent` or else the system's.
pub fn temp_dir(parent: Option<&Path>, prefix: &str) -> Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    Ok(match parent {
        Some(dir) => builder.tempdir_in(dir)?,
        None => builder.tempdir()?,
    })
}

// ---------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------

/// Collected `FIGURE` lines, repeated in a summary at the end.
#[derive(Default)]
pub struct Report {
    lines: Vec<String>,
    missed: Vec<String>,
}

impl Report {
    /// Print and keep one figure; `met` is None when the figure has no goal of its own.
    pub fn figure(&mut self, name: &str, value: f64, unit: &str, goal: &str, met: Option<bool>) {
        let verdict = match met {
            Some(true) => ": MET",
            Some(false) => ": MISSED",
            None => "",
        };
        let line = format!(
            "FIGURE {name} = {} {unit} (goal {goal}{verdict})",
            fmt_num(value)
        );
        println!("{line}");
        if met == Some(false) {
            self.missed.push(name.to_string());
        }
        self.lines.push(line);
    }

    pub fn note(&mut self, line: String) {
        println!("{line}");
        self.lines.push(line);
    }

    /// The end of a run: the summary (printed even when the phases failed), `tmp` kept when asked
    /// (else removed), then the phases' error if any, the missed goals, and Ok(false) when
    /// `strict` and a goal was missed.
    pub fn finish(
        self,
        tmp: tempfile::TempDir,
        keep: bool,
        strict: bool,
        result: Result<()>,
    ) -> Result<bool> {
        println!("\n==== summary ====");
        for l in &self.lines {
            println!("{l}");
        }
        if keep {
            let kept = tmp.keep();
            println!("kept {}", kept.display());
        }
        result?;
        if !self.missed.is_empty() {
            println!("missed goals: {}", self.missed.join(", "));
        }
        Ok(!strict || self.missed.is_empty())
    }
}

/// Per-run ratios as a list for a report line: `0.873, 0.864, 0.943`.
pub fn fmt_ratios(ratios: &[f64]) -> String {
    ratios
        .iter()
        .map(|r| format!("{r:.3}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The median (mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if !n.is_multiple_of(2) {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The largest value.
pub fn best(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// `v` with thousands separated by commas (as the goals are written) from 1000 up, else with one
/// decimal from 10 up, else three.
pub fn fmt_num(v: f64) -> String {
    if v.abs() >= 1000.0 {
        let s = format!("{:.0}", v);
        let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}{out}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

// ---------------------------------------------------------------------------------------------
// CPU time, from /proc (USER_HZ is 100 on Linux)
// ---------------------------------------------------------------------------------------------

/// A process's parent pid and CPU seconds (user + system) used so far, from /proc.
pub fn proc_stat(pid: &str) -> Option<(u32, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ppid = f.get(1)?.parse().ok()?;
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some((ppid, ticks / 100.0))
}

/// CPU seconds (user + system) used so far by a process (or `self`, `thread-self`).
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    proc_stat(pid).map(|(_, cpu)| cpu)
}

/// (user, system) CPU seconds of this process's finished, waited-for children (cutime, cstime).
pub fn children_cpu_seconds() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let user: f64 = f.get(13)?.parse().ok()?;
    let sys: f64 = f.get(14)?.parse().ok()?;
    Some((user / 100.0, sys / 100.0))
}

/// CPU seconds the whole machine spent busy (all cores, everything but idle and iowait).
pub fn machine_busy_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().next()?.strip_prefix("cpu ")?;
    let f: Vec<f64> = cpu
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let busy = f.iter().take(8).sum::<f64>() - f.get(3)? - f.get(4)?;
    Some(busy / 100.0)
}

// ---------------------------------------------------------------------------------------------
// Generated data
// ---------------------------------------------------------------------------------------------

/// splitmix64: deterministic, fast, good enough to vary field values.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
