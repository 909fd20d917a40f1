//! `cargo bench -p authtrail --bench ingest_figures` (or `bench/ingest.sh`): the syslog ingest
//! figures, each with a baseline measured in the same run (the machine is noisy, so the ratio is
//! the figure to compare between runs).
//!
//! Input: a file of `AUTHTRAIL_BENCH_LINES` sshd lines made from the loghub OpenSSH sample
//! (`AUTHTRAIL_BENCH_SSHD_SAMPLE`, read at run time, never copied into the repository): its 2000
//! real lines repeated, each repetition with other IPv4 addresses (second and third octets moved),
//! other user names (the repetition number appended; `root` kept), other pids and later
//! timestamps (classic `Mmm dd hh:mm:ss` headers, running through a Dec -> Jan year boundary).
//! Repetition 0 is the sample as it is, apart from its timestamps.
//!
//! Phases (each prints `FIGURE <name> = <value> <unit> (goal ...)`):
//! 1. `parse`: in process, one thread: `Normalizer::records` + `Normalizer::normalize` per
//!    record (syslog header, sshd/PAM parsers, event validation), then the same plus
//!    `Event::canonical_bytes`, then the whole `Normalizer::prepare` (adds salts, digests, the raw
//!    copy), in 4 MiB chunks cut at line ends as `authtrail ingest` reads files; each
//!    `AUTHTRAIL_BENCH_PARSE_RUNS` times, the median kept. Baseline: SHA-256 of every line of the
//!    same buffer (the split-and-sum-lengths cost is printed too, but is too short to be a
//!    stable baseline). Also timed separately: the header alone, the parser dispatch without
//!    event validation, and prepare's entries without its batch summary, so the cost can be
//!    attributed stage by stage.
//! 2. `e2e`: the release binary, `authtrail --data <fresh dir> ingest --format syslog --source
//!    bench FILE`, wall time of the whole process (after an untimed `init`). Baseline: `ingest
//!    --format json` of as many generated ~300-byte OCSF events. The pair runs
//!    `AUTHTRAIL_BENCH_E2E_RUNS` times; best and median reported.
//!
//! Knobs are environment variables, listed in `Knobs::from_env` and in `bench/ingest.sh`.
//! Run as a test (`cargo test --benches`) it does nothing.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use authtrail_ingest::parse::syslog;
use authtrail_ingest::parse::text::escape_invalid_utf8;
use authtrail_ingest::parse::ParseContext;
use authtrail_ingest::{InputFormat, Limits, Normalizer, ParseConfig};
use sha2::{Digest, Sha256};

mod common;
use common::{
    bench_main, best, children_cpu_seconds, cpu_seconds, env_flag, env_parse, env_phases, fmt_num,
    fmt_ratios, machine_busy_seconds, median, temp_dir, Report, Rng,
};

/// The same allocator as the binary, so in-process figures match what `authtrail ingest` does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The binary under test.
const AUTHTRAIL: &str = env!("CARGO_BIN_EXE_authtrail");

const DEFAULT_SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/datasets/openssh/loghub/OpenSSH_2k.log"
);

const PHASES: [&str; 2] = ["parse", "e2e"];

/// Bytes per chunk, as `authtrail ingest` reads text files (crates/authtrail/src/commands/ingest.rs).
const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// Seconds between the starts of two repetitions of the sample (it spans 4 h 09 min).
const STEP_SECS: i64 = 15_000;

// ---------------------------------------------------------------------------------------------
// Knobs
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Knobs {
    /// Lines in the generated sshd file (and JSON events in the baseline).
    lines: usize,
    /// The loghub sample.
    sample: PathBuf,
    /// Runs of each in-process measurement (median kept).
    parse_runs: usize,
    /// Runs of the end-to-end pair.
    e2e_runs: usize,
    /// Phases to run.
    phases: Vec<String>,
    /// Where the temporary directory goes.
    tmp: Option<PathBuf>,
    /// Keep the temporary directory.
    keep: bool,
    /// Exit 1 if a figure misses its goal.
    strict: bool,
}

impl Knobs {
    fn from_env() -> Result<Knobs> {
        let phases: Vec<String> = env_phases("AUTHTRAIL_BENCH_INGEST_PHASES", &PHASES)?;
        let knobs = Knobs {
            lines: env_parse("AUTHTRAIL_BENCH_LINES", 1_000_000)?,
            sample: std::env::var_os("AUTHTRAIL_BENCH_SSHD_SAMPLE")
                .map_or_else(|| PathBuf::from(DEFAULT_SAMPLE), PathBuf::from),
            parse_runs: env_parse("AUTHTRAIL_BENCH_PARSE_RUNS", 3)?,
            e2e_runs: env_parse("AUTHTRAIL_BENCH_E2E_RUNS", 2)?,
            phases,
            tmp: std::env::var_os("AUTHTRAIL_BENCH_TMP").map(PathBuf::from),
            keep: env_flag("AUTHTRAIL_BENCH_KEEP"),
            strict: env_flag("AUTHTRAIL_BENCH_STRICT"),
        };
        if knobs.lines == 0 || knobs.parse_runs == 0 || knobs.e2e_runs == 0 {
            bail!("AUTHTRAIL_BENCH_LINES, _PARSE_RUNS and _E2E_RUNS must be at least 1");
        }
        Ok(knobs)
    }

    fn wants(&self, phase: &str) -> bool {
        self.phases.iter().any(|p| p == phase)
    }
}

// ---------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------

/// A rate per CPU second, or "n/a" when the pass was too short to time on CPU.
fn fmt_cpu(v: f64) -> String {
    if v.is_finite() {
        fmt_num(v)
    } else {
        "n/a (pass under 50 ms of CPU)".to_string()
    }
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// The sshd file
// ---------------------------------------------------------------------------------------------

/// A piece of a sample line's text after its timestamp.
enum Seg {
    Lit(Vec<u8>),
    Ip([u8; 4]),
    User(Vec<u8>),
    Pid(u64),
}

/// One sample line: seconds after the sample's first line, and the rest of it in pieces.
struct Template {
    secs: i64,
    segs: Vec<Seg>,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds since the epoch of `Mmm dd hh:mm:ss` at the start of `line`, taken in 2025 (UTC),
/// and the rest of the line after the space that follows it.
fn classic_time(line: &str) -> Option<(i64, &str)> {
    let b = line.as_bytes();
    if b.len() < 16 {
        return None;
    }
    let month = MONTHS.iter().position(|m| m.as_bytes() == &b[..3])? as i8 + 1;
    let day: i8 = line[4..6].trim().parse().ok()?;
    let h: i8 = line[7..9].parse().ok()?;
    let m: i8 = line[10..12].parse().ok()?;
    let s: i8 = line[13..15].parse().ok()?;
    if b[15] != b' ' {
        return None;
    }
    let dt = jiff::civil::date(2025, month, day).at(h, m, s, 0);
    let ts = dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    Some((ts.as_second(), &line[16..]))
}

/// `Mmm dd hh:mm:ss` of epoch seconds (UTC), day space-padded as syslog writes it.
fn classic_stamp(secs: i64, out: &mut Vec<u8>) {
    let ts = jiff::Timestamp::from_second(secs).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let dt = ts.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    let _ = write!(
        out,
        "{} {:>2} {:02}:{:02}:{:02}",
        MONTHS[dt.month() as usize - 1],
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
}

/// A dotted-quad IPv4 address at the start of `b`, and its length.
fn ipv4_at(b: &[u8]) -> Option<([u8; 4], usize)> {
    let mut ip = [0u8; 4];
    let mut i = 0;
    for (k, octet) in ip.iter_mut().enumerate() {
        if k > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 3 {
            i += 1;
        }
        if i == start {
            return None;
        }
        *octet = std::str::from_utf8(&b[start..i]).ok()?.parse().ok()?;
    }
    // Not followed by more of a number (a fifth part, a longer octet).
    match b.get(i) {
        Some(c) if c.is_ascii_digit() => None,
        Some(b'.') if b.get(i + 1).is_some_and(u8::is_ascii_digit) => None,
        _ => Some((ip, i)),
    }
}

/// Where user names are: after these words (case as sshd and PAM write them).
const USER_PREFIXES: [&str; 5] = [
    "Invalid user ",
    "invalid user ",
    "password for ",
    "for user ",
    "user=",
];

/// The sample line's rest (after the timestamp) in pieces: pid, IPv4 addresses, user names.
fn template_of(rest: &str) -> Vec<Seg> {
    let mut segs = Vec::new();
    let b = rest.as_bytes();
    let mut lit = Vec::new();
    let mut i = 0;
    // The tag's pid: `host prog[pid]: `.
    if let Some(colon) = rest.find("]: ") {
        if let Some(open) = rest[..colon].rfind('[') {
            if let Ok(pid) = rest[open + 1..colon].parse::<u64>() {
                lit.extend_from_slice(&b[..open + 1]);
                segs.push(Seg::Lit(std::mem::take(&mut lit)));
                segs.push(Seg::Pid(pid));
                i = colon;
            }
        }
    }
    'scan: while i < b.len() {
        let prev_ok = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.');
        if prev_ok {
            for p in USER_PREFIXES {
                if b[i..].starts_with(p.as_bytes()) {
                    let start = i + p.len();
                    let end = b[start..]
                        .iter()
                        .position(u8::is_ascii_whitespace)
                        .map_or(b.len(), |e| start + e);
                    let name = &b[start..end];
                    if !name.is_empty() && name != b"invalid" && name != b"root" {
                        lit.extend_from_slice(&b[i..start]);
                        segs.push(Seg::Lit(std::mem::take(&mut lit)));
                        segs.push(Seg::User(name.to_vec()));
                        i = end;
                        continue 'scan;
                    }
                }
            }
            if b[i].is_ascii_digit() {
                if let Some((ip, len)) = ipv4_at(&b[i..]) {
                    segs.push(Seg::Lit(std::mem::take(&mut lit)));
                    segs.push(Seg::Ip(ip));
                    i += len;
                    continue;
                }
            }
        }
        lit.push(b[i]);
        i += 1;
    }
    segs.push(Seg::Lit(lit));
    segs
}

/// What was generated.
struct SshdFile {
    body: Vec<u8>,
    lines: usize,
    first: String,
    last: String,
    months: Vec<String>,
}

/// `lines` sshd lines from the sample's, repeated and varied (see the top of the file).
fn make_sshd(sample: &str, lines: usize) -> Result<SshdFile> {
    let mut templates = Vec::new();
    let mut literal = 0;
    let mut t0 = None;
    for line in sample.lines().filter(|l| !l.trim().is_empty()) {
        match classic_time(line) {
            Some((secs, rest)) => {
                let t0 = *t0.get_or_insert(secs);
                templates.push(Template {
                    secs: secs - t0,
                    segs: template_of(rest),
                });
            }
            None => {
                literal += 1;
                templates.push(Template {
                    secs: i64::MIN,
                    segs: vec![Seg::Lit(line.as_bytes().to_vec())],
                });
            }
        }
    }
    if templates.is_empty() {
        bail!("the sample has no lines");
    }
    if literal > 0 {
        println!("  ({literal} sample lines without a classic timestamp are repeated as they are)");
    }
    let reps = lines.div_ceil(templates.len()) as i64;
    // Start so the Dec -> Jan boundary falls in the middle, but not before Dec 1 (a first line
    // in November would be read as this year's, in the future).
    let jan1 = 1_767_225_600; // 2026-01-01T00:00:00Z
    let dec1 = jan1 - 31 * 86_400;
    let start = (jan1 - reps * STEP_SECS / 2).max(dec1);
    let mut body = Vec::with_capacity(lines * 130);
    let mut n = 0;
    let mut months = Vec::new();
    'reps: for r in 0..reps {
        for t in &templates {
            if n == lines {
                break 'reps;
            }
            if t.secs != i64::MIN {
                let before = body.len();
                classic_stamp(start + t.secs + r * STEP_SECS, &mut body);
                let month = String::from_utf8_lossy(&body[before..before + 3]).into_owned();
                if months.last() != Some(&month) {
                    months.push(month);
                }
                body.push(b' ');
            }
            for seg in &t.segs {
                match seg {
                    Seg::Lit(l) => body.extend_from_slice(l),
                    Seg::Pid(p) if r == 0 => {
                        let _ = write!(body, "{p}");
                    }
                    Seg::Pid(p) => {
                        let pid = 1000 + (p + r as u64 * 9_973) % 4_000_000;
                        let _ = write!(body, "{pid}");
                    }
                    Seg::Ip([a, b, c, d]) => {
                        let (b2, c2) = if r == 0 {
                            (*b as i64, *c as i64)
                        } else {
                            ((*b as i64 + 37 * r) % 256, (*c as i64 + r) % 256)
                        };
                        let _ = write!(body, "{a}.{b2}.{c2}.{d}");
                    }
                    Seg::User(u) => {
                        body.extend_from_slice(u);
                        if r > 0 {
                            let _ = write!(body, "{r}");
                        }
                    }
                }
            }
            body.push(b'\n');
            n += 1;
        }
    }
    let text_lines: Vec<&[u8]> = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    Ok(SshdFile {
        first: String::from_utf8_lossy(text_lines[0]).into_owned(),
        last: String::from_utf8_lossy(text_lines[text_lines.len() - 1]).into_owned(),
        body,
        lines: n,
        months,
    })
}

/// The body cut into chunks of about `CHUNK_BYTES` at line ends, as `authtrail ingest` reads.
fn chunks(body: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let mut end = (start + CHUNK_BYTES).min(body.len());
        if end < body.len() {
            end = body[start..end]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(end, |i| start + i + 1);
        }
        out.push(&body[start..end]);
        start = end;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The JSON baseline's events
// ---------------------------------------------------------------------------------------------

const USERS: &[&str] = &[
    "root",
    "admin",
    "webmaster",
    "test",
    "oracle",
    "git",
    "ubuntu",
    "postgres",
    "support",
    "pi",
    "user",
    "guest",
    "ftpuser",
    "deploy",
    "alice",
    "bob",
];

/// `n` small OCSF Authentication events as NDJSON, like what the sshd parser makes of the lines.
fn make_json(n: usize) -> Vec<u8> {
    let mut rng = Rng(7);
    let mut body = Vec::with_capacity(n * 320);
    let base_ms: i64 = 1_765_349_746_000; // 2025-12-10T06:55:46Z
    for i in 0..n {
        let user = format!(
            "{}{}",
            USERS[rng.below(USERS.len() as u64) as usize],
            i / 2000
        );
        let ip = format!(
            "{}.{}.{}.{}",
            [173, 183, 112, 103, 5][rng.below(5) as usize],
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        );
        let port = 1024 + rng.below(64_000);
        let ok = rng.below(10) == 0;
        let (status_id, severity_id, code, verb) = if ok {
            (1, 1, "SUCCESS", "Accepted")
        } else {
            (2, 3, "FAILURE", "Failed")
        };
        let time = base_ms + i as i64 * 7;
        let _ = write!(
            body,
            concat!(
                r#"{{"class_uid":3002,"activity_id":1,"time":{time},"#,
                r#""severity_id":{sev},"status_id":{st},"status_code":"{code}","#,
                r#""message":"{verb} password for {user}","#,
                r#""metadata":{{"product":{{"name":"OpenSSH","vendor_name":"OpenBSD"}}}},"#,
                r#""user":{{"name":"{user}"}},"src_endpoint":{{"ip":"{ip}","port":{port}}},"#,
                r#""dst_endpoint":{{"hostname":"LabSZ"}}}}"#,
                "\n"
            ),
            time = time,
            sev = severity_id,
            st = status_id,
            code = code,
            verb = verb,
            user = user,
            ip = ip,
            port = port,
        );
    }
    body
}

// ---------------------------------------------------------------------------------------------
// 1. In process
// ---------------------------------------------------------------------------------------------

/// One timed pass: wall seconds, thread CPU seconds.
#[derive(Clone, Copy)]
struct Pass {
    wall: f64,
    cpu: f64,
}

fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, Pass)> {
    let cpu0 = cpu_seconds("thread-self");
    let t0 = Instant::now();
    let out = f()?;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu0
        .zip(cpu_seconds("thread-self"))
        .map_or(f64::NAN, |(a, b)| b - a);
    Ok((out, Pass { wall, cpu }))
}

/// What one pass over the file saw.
#[derive(Default, Clone)]
struct Counts {
    records: usize,
    unparsed: usize,
    by_parser: BTreeMap<String, usize>,
    reasons: BTreeMap<String, usize>,
    bytes: usize,
}

fn parse_limits() -> Limits {
    // As `authtrail ingest` sets them for files.
    Limits {
        max_body_bytes: usize::MAX,
        max_events_per_batch: usize::MAX,
        ..Limits::default()
    }
}

/// records + normalize (+ canonical_bytes) over every chunk, one fresh stream.
fn pass_normalize(chunks: &[&[u8]], canonical: bool, counts: Option<&mut Counts>) -> Result<usize> {
    let limits = parse_limits();
    let mut normalizer = Normalizer::new(InputFormat::Syslog, Arc::new(ParseConfig::default()));
    normalizer.set_received_ms(now_ns() / 1_000_000);
    let mut c = Counts::default();
    let keep = counts.is_some();
    let mut n = 0;
    let mut sink = 0usize;
    for chunk in chunks {
        let records = normalizer.records(chunk, &limits)?;
        for record in &records {
            let normalized = normalizer.normalize(record);
            n += 1;
            // Encoded once, for the sink and the counts alike.
            let len = if canonical || keep {
                normalized.event.canonical_bytes().len()
            } else {
                0
            };
            if canonical {
                sink = sink.wrapping_add(len);
            }
            if keep {
                c.records += 1;
                let parser = normalized.parser.map_or("none", |p| p.name());
                *c.by_parser.entry(parser.to_string()).or_default() += 1;
                if normalized.event.is_unparsed() {
                    c.unparsed += 1;
                    let reason = normalized.unparsed_reason.as_deref().unwrap_or("?");
                    // Group reasons that quote the line by their first words.
                    let short: String = reason.chars().take(70).collect();
                    *c.reasons.entry(short).or_default() += 1;
                }
                c.bytes += len;
            }
            std::hint::black_box(&normalized);
        }
    }
    std::hint::black_box(sink);
    if let Some(out) = counts {
        *out = c;
    }
    Ok(n)
}

/// normalize + canonical_bytes + salts + `PreparedEntry::with_salt` (two salted digests, the
/// record copy) per record, without the batch summary `prepare` also keeps.
fn pass_entries(chunks: &[&[u8]]) -> Result<usize> {
    let limits = parse_limits();
    let mut normalizer = Normalizer::new(InputFormat::Syslog, Arc::new(ParseConfig::default()));
    let received = now_ns();
    normalizer.set_received_ms(received / 1_000_000);
    let mut n = 0;
    for chunk in chunks {
        let records = normalizer.records(chunk, &limits)?;
        let salts = authtrail_store::prepare::random_salts(records.len())?;
        let mut entries = Vec::with_capacity(records.len());
        for (record, salt) in records.iter().zip(salts) {
            let normalized = normalizer.normalize(record);
            entries.push(authtrail_store::PreparedEntry::with_salt(
                "bench",
                received,
                normalized.event.class_uid,
                salt,
                &normalized.event.canonical_bytes(),
                record.raw,
            )?);
        }
        n += entries.len();
        drop(std::hint::black_box(entries));
    }
    Ok(n)
}

/// The whole `Normalizer::prepare` per chunk, one fresh stream.
fn pass_prepare(chunks: &[&[u8]]) -> Result<usize> {
    let limits = parse_limits();
    let mut normalizer = Normalizer::new(InputFormat::Syslog, Arc::new(ParseConfig::default()));
    let mut n = 0;
    for chunk in chunks {
        let batch = normalizer.prepare(chunk, "bench", now_ns(), &limits)?;
        n += batch.entries.len();
        drop(std::hint::black_box(batch));
    }
    Ok(n)
}

/// The syslog header alone (escape_invalid_utf8 + parse_header), or with the program's parser
/// (`syslog::dispatch`, no event validation), per line.
fn pass_header(chunks: &[&[u8]], dispatch: bool) -> Result<usize> {
    let limits = parse_limits();
    let normalizer = Normalizer::new(InputFormat::Syslog, Arc::new(ParseConfig::default()));
    let mut ctx = ParseContext::new(Arc::new(ParseConfig::default()), now_ns() / 1_000_000);
    let mut ok = 0;
    for chunk in chunks {
        for record in normalizer.records(chunk, &limits)? {
            let text = escape_invalid_utf8(record.raw);
            if dispatch {
                let (_, result) = syslog::dispatch(&text, &mut ctx);
                ok += usize::from(result.is_ok());
                std::hint::black_box(result.ok());
            } else {
                let header = syslog::parse_header(&text, &mut ctx);
                ok += usize::from(header.is_ok());
                std::hint::black_box(header.ok());
            }
        }
    }
    Ok(ok)
}

/// Baseline: split into lines and sum their lengths.
fn pass_split(body: &[u8]) -> (usize, usize) {
    let mut n = 0;
    let mut total = 0;
    for line in body.split(|&b| b == b'\n') {
        if !line.is_empty() {
            n += 1;
            total += line.len();
        }
    }
    (n, std::hint::black_box(total))
}

/// Baseline: SHA-256 of every line.
fn pass_sha(body: &[u8]) -> (usize, u8) {
    let mut n = 0;
    let mut x = 0u8;
    for line in body.split(|&b| b == b'\n') {
        if !line.is_empty() {
            n += 1;
            x ^= Sha256::digest(line)[0];
        }
    }
    (n, std::hint::black_box(x))
}

fn parse_phase(knobs: &Knobs, file: &SshdFile, report: &mut Report) -> Result<()> {
    let lines = file.lines as f64;
    let chunks = chunks(&file.body);
    println!(
        "  {} lines, {} bytes, {} chunks of <= 4 MiB; single thread; {} runs each, median kept",
        file.lines,
        file.body.len(),
        chunks.len(),
        knobs.parse_runs
    );
    // Warm-up and counts (not timed).
    let mut counts = Counts::default();
    pass_normalize(&chunks, true, Some(&mut counts))?;
    let parsed = counts.records - counts.unparsed;
    println!(
        "  parsed {} of {} lines ({:.1}%), unparsed {} ({:.1}%); {:.0} bytes of canonical event per line",
        parsed,
        counts.records,
        100.0 * parsed as f64 / counts.records as f64,
        counts.unparsed,
        100.0 * counts.unparsed as f64 / counts.records as f64,
        counts.bytes as f64 / counts.records as f64
    );
    println!("  by parser: {:?}", counts.by_parser);
    let mut reasons: Vec<_> = counts.reasons.iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(a.1));
    for (reason, n) in reasons.iter().take(8) {
        println!("    unparsed x{n}: {reason}");
    }

    type PassFn<'a> = Box<dyn Fn() -> Result<usize> + 'a>;
    let passes: Vec<(&str, PassFn)> = vec![
        ("baseline_split", Box::new(|| Ok(pass_split(&file.body).0))),
        ("baseline_sha256", Box::new(|| Ok(pass_sha(&file.body).0))),
        ("header", Box::new(|| pass_header(&chunks, false))),
        ("dispatch", Box::new(|| pass_header(&chunks, true))),
        ("parse", Box::new(|| pass_normalize(&chunks, false, None))),
        (
            "parse_canonical",
            Box::new(|| pass_normalize(&chunks, true, None)),
        ),
        ("entries", Box::new(|| pass_entries(&chunks))),
        ("prepare", Box::new(|| pass_prepare(&chunks))),
    ];
    let mut results: BTreeMap<&str, Vec<Pass>> = BTreeMap::new();
    // Interleaved, so a noisy second hits every measurement alike.
    for run in 0..knobs.parse_runs {
        let mut line = format!("  run {}:", run + 1);
        for (name, f) in &passes {
            let (n, pass) = timed(f)?;
            if *name != "header" && *name != "dispatch" && n != file.lines {
                bail!("{name}: {n} lines seen, {} expected", file.lines);
            }
            let _ = write!(line, " {name} {:.3}s", pass.wall);
            results.entry(name).or_default().push(pass);
        }
        println!("{line}");
    }
    let rate = |name: &str| -> (f64, f64) {
        let r = &results[name];
        let wall: Vec<f64> = r.iter().map(|p| lines / p.wall).collect();
        // Thread CPU time comes in 10 ms ticks: too short a pass says nothing.
        let cpu: Vec<f64> = r
            .iter()
            .map(|p| {
                if p.cpu >= 0.05 {
                    lines / p.cpu
                } else {
                    f64::NAN
                }
            })
            .collect();
        (median(&wall), median(&cpu))
    };
    let us = |rate: f64| 1e6 / rate;
    let (split, _) = rate("baseline_split");
    let (sha, sha_cpu) = rate("baseline_sha256");
    let (header, _) = rate("header");
    let (dispatch, _) = rate("dispatch");
    let (parse, parse_cpu) = rate("parse");
    let (canon, canon_cpu) = rate("parse_canonical");
    let (entries, _) = rate("entries");
    let (prep, prep_cpu) = rate("prepare");
    println!(
        "  per line (median): header {:.3} µs, header + sshd/PAM parser {:.3} µs, + log_format + Event::normalize = parse {:.3} µs, + canonical_bytes {:.3} µs, + salts + PreparedEntry::with_salt {:.3} µs, prepare (+ batch summary) {:.3} µs",
        us(header),
        us(dispatch),
        us(parse),
        us(canon),
        us(entries),
        us(prep)
    );
    println!(
        "  so: header {:.0}%, program parser {:.0}%, event validation {:.0}% of parse; canonical_bytes adds {:.3} µs, salts + entry (digests, copy) {:.3} µs, the batch summary {:.3} µs",
        100.0 * us(header) / us(parse),
        100.0 * (us(dispatch) - us(header)) / us(parse),
        100.0 * (us(parse) - us(dispatch)) / us(parse),
        us(canon) - us(parse),
        us(entries) - us(canon),
        us(prep) - us(entries)
    );
    report.note(format!(
        "  baseline split lines + sum lengths: {} lines/s (reference only)",
        fmt_num(split)
    ));
    report.figure(
        "baseline_sha256_per_line",
        sha,
        "lines/s",
        "none: the baseline",
        None,
    );
    report.figure(
        "sshd_parse",
        parse,
        "lines/s/core",
        ">= 500,000 lines/s/core",
        Some(parse >= 500_000.0),
    );
    report.figure(
        "sshd_parse_vs_sha256",
        parse / sha,
        "x",
        "none: compare between runs",
        None,
    );
    report.figure(
        "sshd_parse_canonical",
        canon,
        "lines/s/core",
        "none (>= 500,000 if stored form counts)",
        None,
    );
    report.figure(
        "sshd_parse_canonical_vs_sha256",
        canon / sha,
        "x",
        "none",
        None,
    );
    report.figure(
        "sshd_prepare",
        prep,
        "lines/s/core",
        "none (>= 500,000 if stored form counts)",
        None,
    );
    report.figure("sshd_prepare_vs_sha256", prep / sha, "x", "none", None);
    report.note(format!(
        "  per CPU second of the thread (medians): parse {} lines/s, parse+canonical {}, prepare {}, sha256 {}; parsed {:.1}% / unparsed {:.1}%",
        fmt_cpu(parse_cpu),
        fmt_cpu(canon_cpu),
        fmt_cpu(prep_cpu),
        fmt_cpu(sha_cpu),
        100.0 * parsed as f64 / counts.records as f64,
        100.0 * counts.unparsed as f64 / counts.records as f64,
    ));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 2. End to end
// ---------------------------------------------------------------------------------------------

struct E2e {
    wall: f64,
    events: u64,
    unparsed: u64,
    inner_secs: f64,
    user: f64,
    sys: f64,
    machine: f64,
}

/// `authtrail init`, then `authtrail ingest --format F` of `file` into a fresh data dir, timed.
fn ingest_run(format: &str, file: &Path, data: &Path, keep: bool) -> Result<E2e> {
    let init = Command::new(AUTHTRAIL)
        .arg("--data")
        .arg(data)
        .arg("init")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()?;
    if !init.status.success() {
        bail!(
            "authtrail init failed: {}",
            String::from_utf8_lossy(&init.stderr)
        );
    }
    let cpu0 = children_cpu_seconds();
    let busy0 = machine_busy_seconds();
    let t0 = Instant::now();
    let out = Command::new(AUTHTRAIL)
        .arg("--data")
        .arg(data)
        .args(["ingest", "--format", format, "--source", "bench"])
        .arg(file)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()?;
    let wall = t0.elapsed().as_secs_f64();
    let (user, sys) = match (cpu0, children_cpu_seconds()) {
        (Some(a), Some(b)) => (b.0 - a.0, b.1 - a.1),
        _ => (f64::NAN, f64::NAN),
    };
    let machine = busy0
        .zip(machine_busy_seconds())
        .map_or(f64::NAN, |(a, b)| b - a);
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "authtrail ingest --format {format} exited with {}: {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // "total: N events, U unparsed, in Xs (R events/s); log size S"
    let total = stdout
        .lines()
        .find_map(|l| l.strip_prefix("total: "))
        .with_context(|| format!("no total line in {stdout:?}"))?;
    let words: Vec<&str> = total.split_whitespace().collect();
    let num = |i: usize| -> f64 {
        words
            .get(i)
            .map(|w| w.trim_end_matches([',', 's']))
            .and_then(|w| w.parse().ok())
            .unwrap_or(f64::NAN)
    };
    let run = E2e {
        wall,
        events: num(0) as u64,
        unparsed: num(2) as u64,
        inner_secs: num(5),
        user,
        sys,
        machine,
    };
    if !keep {
        let _ = std::fs::remove_dir_all(data);
    }
    Ok(run)
}

fn e2e_phase(
    knobs: &Knobs,
    sshd: &Path,
    json: &Path,
    lines: usize,
    tmp: &Path,
    report: &mut Report,
) -> Result<()> {
    let mut syslog_rates = Vec::new();
    let mut json_rates = Vec::new();
    let mut ratios = Vec::new();
    for run in 0..knobs.e2e_runs {
        let mut pair = Vec::new();
        for (format, file) in [("syslog", sshd), ("json", json)] {
            let data = tmp.join(format!("data-{format}-{run}"));
            let r = ingest_run(format, file, &data, knobs.keep)?;
            if r.events != lines as u64 {
                bail!("{format}: {} events ingested, {lines} expected", r.events);
            }
            if format == "json" && r.unparsed != 0 {
                bail!("json baseline: {} events unparsed", r.unparsed);
            }
            let rate = lines as f64 / r.wall;
            println!(
                "  run {} {format:>6}: {:.3} s wall ({} lines/s; its own timer {:.3} s), CPU user {:.2} s + sys {:.2} s = {:.2} cores busy; whole machine {:.2} cores busy; {} unparsed",
                run + 1,
                r.wall,
                fmt_num(rate),
                r.inner_secs,
                r.user,
                r.sys,
                (r.user + r.sys) / r.wall,
                r.machine / r.wall,
                r.unparsed
            );
            pair.push(rate);
        }
        syslog_rates.push(pair[0]);
        json_rates.push(pair[1]);
        ratios.push(pair[0] / pair[1]);
    }
    let (sb, sm) = (best(&syslog_rates), median(&syslog_rates));
    let (jb, jm) = (best(&json_rates), median(&json_rates));
    report.figure(
        "ingest_syslog_e2e_best",
        sb,
        "lines/s",
        ">= 150,000 lines/s on 2 cores",
        Some(sb >= 150_000.0),
    );
    report.figure(
        "ingest_syslog_e2e_median",
        sm,
        "lines/s",
        ">= 150,000 lines/s on 2 cores",
        Some(sm >= 150_000.0),
    );
    report.figure(
        "ingest_json_baseline_best",
        jb,
        "events/s",
        "none: the baseline",
        None,
    );
    report.figure(
        "ingest_json_baseline_median",
        jm,
        "events/s",
        "none: the baseline",
        None,
    );
    report.figure(
        "ingest_syslog_vs_json",
        median(&ratios),
        "x",
        "none: compare between runs (median of per-pair ratios)",
        None,
    );
    report.note(format!(
        "  per-pair ratios syslog/json: {}",
        fmt_ratios(&ratios)
    ));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

fn main() {
    bench_main("ingest_figures", "bench/ingest.sh", run);
}

fn run() -> Result<bool> {
    let knobs = Knobs::from_env()?;
    let sample = match std::fs::read(&knobs.sample) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            println!(
                "ingest_figures: NOTICE: the loghub OpenSSH sample {} cannot be read ({e}); set AUTHTRAIL_BENCH_SSHD_SAMPLE. Skipped.",
                knobs.sample.display()
            );
            return Ok(true);
        }
    };
    let tmp = temp_dir(knobs.tmp.as_deref(), "authtrail-ingest-bench-")?;
    let tmp_path = tmp.path().to_path_buf();
    println!("ingest_figures: {AUTHTRAIL}");
    println!(
        "ingest_figures: {} cores (shared, noisy: compare the ratios); phases {:?}; {} lines; sample {}; tmp {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        knobs.phases,
        knobs.lines,
        knobs.sample.display(),
        tmp_path.display()
    );

    let gen_started = Instant::now();
    let file = make_sshd(&sample, knobs.lines)?;
    let sshd_path = tmp_path.join("sshd.log");
    std::fs::write(&sshd_path, &file.body)?;
    println!(
        "generated {} sshd lines ({} bytes, {:.0} bytes/line) in {:.1} s; months {}; first {:?}; last {:?}",
        file.lines,
        file.body.len(),
        file.body.len() as f64 / file.lines as f64,
        gen_started.elapsed().as_secs_f64(),
        file.months.join(" -> "),
        file.first,
        file.last
    );

    let mut report = Report::default();
    let result = (|| -> Result<()> {
        if knobs.wants("parse") {
            println!("\n== 1. sshd parsing throughput, in process, one thread ==");
            parse_phase(&knobs, &file, &mut report)?;
        }
        if knobs.wants("e2e") {
            let json = make_json(file.lines);
            let json_path = tmp_path.join("events.ndjson");
            std::fs::write(&json_path, &json)?;
            println!(
                "\n== 2. end to end: authtrail ingest --format syslog vs --format json ({} events, {:.0} bytes each), fresh data dir per run ==",
                file.lines,
                json.len() as f64 / file.lines as f64
            );
            e2e_phase(
                &knobs,
                &sshd_path,
                &json_path,
                file.lines,
                &tmp_path,
                &mut report,
            )?;
        }
        Ok(())
    })();
    report.finish(tmp, knobs.keep, knobs.strict, result)
}
