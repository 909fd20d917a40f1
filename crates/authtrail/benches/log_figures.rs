//! `cargo bench -p authtrail --bench log_figures` (or `bench/run.sh`): every figure of the log's
//! performance goals, measured end to end against the release binary, with a PostgreSQL baseline
//! measured in the same run on the same events.
//!
//! Phases (each prints `FIGURE <name> = <value> <unit> (goal ...)`):
//! 1. `ingest`: durable ingest through `POST /v1/events`, C concurrent keep-alive clients;
//!    `parts`: the same work split in process (no HTTP): the pipeline's CPU cost per event, stage
//!    by stage, and the embedded store's append rate alone (prepared entries, C appenders);
//! 2. `pg`: the same batches into a hash-chained PostgreSQL table (head row locked, one
//!    transaction per batch, `synchronous_commit = on`), and the ratio authtrail / PostgreSQL;
//! 3. `latency`: time from sending a batch to the first signed checkpoint covering it;
//! 4. `verify`: `authtrail verify` of a log of `AUTHTRAIL_BENCH_VERIFY_SIZE` entries;
//! 5. `evidence`: `Evidence::from_json` + `verify` of one bundle, in process.
//!
//! Knobs are environment variables, listed in `Knobs::from_env` and in `bench/README.md`.
//! Run as a test (`cargo test --benches`) it does nothing: the figures need release builds and
//! minutes of machine time.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use authtrail_ledger::evidence::Evidence;
use authtrail_ledger::note::NoteVerifier;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::NoTls;

mod common;
use common::{
    bench_main, children_cpu_seconds, cpu_seconds, env_flag, env_parse, env_phases, fmt_num,
    machine_busy_seconds, proc_stat, temp_dir, Report, Rng,
};

/// The server binary under test: `AUTHTRAIL_BENCH_BIN` (another build, for a before/after in
/// one run), else the one cargo built for the bench.
static AUTHTRAIL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    std::env::var("AUTHTRAIL_BENCH_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_authtrail").to_string())
});

const PHASES: [&str; 6] = ["ingest", "parts", "pg", "latency", "verify", "evidence"];

// ---------------------------------------------------------------------------------------------
// Knobs
// ---------------------------------------------------------------------------------------------

/// What to run and how big, from `AUTHTRAIL_BENCH_*` environment variables.
#[derive(Clone, Debug)]
struct Knobs {
    /// Events posted in the measured ingest run (and the PostgreSQL baseline).
    events: usize,
    /// Concurrent clients for ingest and the baseline.
    clients: usize,
    /// Events per request / per transaction.
    batch: usize,
    /// Batches posted before measuring (not counted).
    warmup_batches: usize,
    /// Size of the log `verify` and `prove` run on.
    verify_size: u64,
    /// Length of the checkpoint-latency phase.
    latency_secs: f64,
    /// Clients in the latency phase.
    latency_clients: usize,
    /// Events per request in the latency phase.
    latency_batch: usize,
    /// Pause between a client's requests in the latency phase.
    latency_sleep: Duration,
    /// How often the watcher polls `GET /checkpoint`.
    poll: Duration,
    /// Iterations of the in-process evidence check.
    evidence_iters: usize,
    /// PostgreSQL connection string (tokio-postgres key=value form or URL).
    pg: String,
    /// Column type of the baseline's event: bytea (default) or jsonb.
    pg_jsonb: bool,
    /// How the baseline inserts a batch: one binary COPY (default) or one multi-row INSERT.
    pg_insert: bool,
    /// Phases to run.
    phases: BTreeSet<String>,
    /// Where the temporary data directories go.
    tmp: Option<PathBuf>,
    /// Keep the data directory afterwards.
    keep: bool,
    /// Also time a verify with the page cache dropped (needs root; affects the whole machine).
    cold: bool,
    /// Exit 1 if a figure misses its goal.
    strict: bool,
}

impl Knobs {
    fn from_env() -> Result<Knobs> {
        let phases: BTreeSet<String> = env_phases("AUTHTRAIL_BENCH_PHASES", &PHASES)?;
        let pg_type = std::env::var("AUTHTRAIL_BENCH_PG_EVENT").unwrap_or_else(|_| "bytea".into());
        let knobs = Knobs {
            events: env_parse("AUTHTRAIL_BENCH_EVENTS", 400_000)?,
            clients: env_parse("AUTHTRAIL_BENCH_CLIENTS", 8)?,
            batch: env_parse("AUTHTRAIL_BENCH_BATCH", 1000)?,
            warmup_batches: env_parse("AUTHTRAIL_BENCH_WARMUP_BATCHES", 16)?,
            verify_size: env_parse("AUTHTRAIL_BENCH_VERIFY_SIZE", 1_000_000)?,
            latency_secs: env_parse("AUTHTRAIL_BENCH_LATENCY_SECS", 20.0)?,
            latency_clients: env_parse("AUTHTRAIL_BENCH_LATENCY_CLIENTS", 4)?,
            latency_batch: env_parse("AUTHTRAIL_BENCH_LATENCY_BATCH", 100)?,
            latency_sleep: Duration::from_millis(env_parse(
                "AUTHTRAIL_BENCH_LATENCY_SLEEP_MS",
                50,
            )?),
            poll: Duration::from_millis(env_parse("AUTHTRAIL_BENCH_POLL_MS", 5)?),
            evidence_iters: env_parse("AUTHTRAIL_BENCH_EVIDENCE_ITERS", 2000)?,
            pg: std::env::var("AUTHTRAIL_BENCH_PG").unwrap_or_else(|_| {
                "host=127.0.0.1 port=5432 user=postgres dbname=test".to_string()
            }),
            pg_jsonb: match pg_type.as_str() {
                "bytea" => false,
                "jsonb" => true,
                other => bail!("AUTHTRAIL_BENCH_PG_EVENT={other:?}: bytea or jsonb"),
            },
            pg_insert: match std::env::var("AUTHTRAIL_BENCH_PG_MODE")
                .unwrap_or_else(|_| "copy".into())
                .as_str()
            {
                "copy" => false,
                "insert" => true,
                other => bail!("AUTHTRAIL_BENCH_PG_MODE={other:?}: copy or insert"),
            },
            phases,
            tmp: std::env::var_os("AUTHTRAIL_BENCH_TMP").map(PathBuf::from),
            keep: env_flag("AUTHTRAIL_BENCH_KEEP"),
            cold: env_flag("AUTHTRAIL_BENCH_COLD"),
            strict: env_flag("AUTHTRAIL_BENCH_STRICT"),
        };
        if knobs.clients == 0 || knobs.batch == 0 || knobs.latency_clients == 0 {
            bail!("clients and batch sizes must be at least 1");
        }
        if knobs.latency_batch == 0 || knobs.evidence_iters == 0 {
            bail!("AUTHTRAIL_BENCH_LATENCY_BATCH and AUTHTRAIL_BENCH_EVIDENCE_ITERS must be at least 1");
        }
        Ok(knobs)
    }

    fn wants(&self, phase: &str) -> bool {
        self.phases.contains(phase)
    }
}

// ---------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------

/// The `q`-quantile (0..=1) of sorted values, nearest rank.
fn quantile<T: Copy>(sorted: &[T], q: f64) -> T {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// What only these events need of the shared generator.
impl Rng {
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
    fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            let _ = write!(s, "{:016x}", self.next());
        }
        s.truncate(n);
        s
    }
}

const FIRST: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yuki",
];
const LAST: &[&str] = &[
    "smith", "jones", "garcia", "miller", "davis", "martinez", "lopez", "wilson", "anderson",
    "thomas", "moore", "jackson", "martin", "lee", "thompson", "white", "harris", "clark",
];
const PRODUCTS: &[(&str, &str, &str)] = &[
    ("Okta", "Okta", "2024.11.2"),
    ("Entra ID", "Microsoft", "2.0"),
    ("Keycloak", "Red Hat", "26.0.5"),
    ("OpenSSH", "OpenBSD", "9.6p1"),
    ("Auth0", "Okta", "2024-10"),
];
const CITIES: &[(&str, &str)] = &[
    ("DE", "Berlin"),
    ("FR", "Paris"),
    ("US", "New York"),
    ("US", "San Francisco"),
    ("GB", "London"),
    ("JP", "Tokyo"),
    ("BR", "Sao Paulo"),
    ("IN", "Bengaluru"),
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "okta-sdk-java/8.2.5 java/17.0.9 Linux/6.1.0",
    "python-requests/2.32.3",
];
const SERVICES: &[&str] = &[
    "Salesforce",
    "GitHub Enterprise",
    "AWS IAM Identity Center",
    "Jira Cloud",
    "Slack",
    "Workday",
    "VPN Gateway",
];
const FAILURES: &[(&str, &str)] = &[
    (
        "INVALID_CREDENTIALS",
        "Authentication failed: invalid credentials",
    ),
    (
        "MFA_CHALLENGE_FAILED",
        "Authentication failed: MFA challenge was not completed",
    ),
    (
        "LOCKED_OUT",
        "Authentication failed: the account is locked out",
    ),
    (
        "VERIFICATION_ERROR",
        "Authentication failed: factor verification error",
    ),
];
const BEHAVIORS: &[&str] = &[
    "{New Geo-Location=NEGATIVE, New Device=NEGATIVE}",
    "{New Geo-Location=POSITIVE, New Device=NEGATIVE}",
    "{New Geo-Location=NEGATIVE, New Device=POSITIVE}",
];

/// One ~1 KB OCSF Authentication event (one NDJSON line, without the newline).
fn event(rng: &mut Rng, base_ms: i64, i: u64) -> String {
    let user = format!("{}.{}{}", rng.pick(FIRST), rng.pick(LAST), rng.below(500));
    let (product, vendor, pversion) = PRODUCTS[rng.below(PRODUCTS.len() as u64) as usize];
    let tenant = ["acme", "globex", "initech", "umbrella"][rng.below(4) as usize];
    let (cc, city) = CITIES[rng.below(CITIES.len() as u64) as usize];
    let ip = if rng.below(10) == 0 {
        format!(
            "2001:db8:{:x}:{:x}::{:x}",
            rng.below(65536),
            rng.below(65536),
            rng.below(65536)
        )
    } else {
        format!(
            "{}.{}.{}.{}",
            [198, 203, 192, 100][rng.below(4) as usize],
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        )
    };
    let failed = rng.below(8) == 0;
    let (status_id, severity_id, code, detail) = if failed {
        let (code, detail) = FAILURES[rng.below(FAILURES.len() as u64) as usize];
        (2, 3, code, detail)
    } else {
        (1, 1, "SUCCESS", "")
    };
    let activity_id = [1, 1, 1, 2, 3, 6][rng.below(6) as usize];
    let mfa = rng.below(3) != 0;
    let proto = [5, 4, 6, 2, 12][rng.below(5) as usize];
    let logon = [2, 3, 10][rng.below(3) as usize];
    let time = base_ms + (i as i64) * 3 + rng.below(3) as i64;
    let domain = format!("{tenant}.example.com");
    let service = rng.pick(SERVICES);
    let agent = rng.pick(AGENTS);
    let message = if failed {
        format!("User {user} failed to sign in to {service}")
    } else {
        format!("User {user} signed in to {service}")
    };
    // Failures say why; successes carry no status_detail at all.
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(r#""status_detail":"{detail}","#)
    };
    format!(
        concat!(
            r#"{{"class_uid":3002,"category_uid":3,"activity_id":{activity_id},"time":{time},"#,
            r#""severity_id":{severity_id},"status_id":{status_id},"status_code":"{code}","#,
            r#"{detail}"message":"{message}","#,
            r#""metadata":{{"version":"1.3.0","uid":"{uid}","#,
            r#""product":{{"name":"{product}","vendor_name":"{vendor}","version":"{pversion}"}}}},"#,
            r#""user":{{"name":"{user}","uid":"00u{useruid}","email_addr":"{user}@{domain}","type_id":1}},"#,
            r#""src_endpoint":{{"ip":"{ip}","port":{port},"hostname":"ws-{host}.corp.{domain}","#,
            r#""location":{{"country":"{cc}","city":"{city}"}}}},"#,
            r#""service":{{"name":"{service}","uid":"0oa{svcuid}"}},"#,
            r#""session":{{"uid":"{session}","is_mfa":{mfa}}},"#,
            r#""auth_protocol_id":{proto},"logon_type_id":{logon},"is_mfa":{mfa},"#,
            r#""http_request":{{"user_agent":"{agent}","http_method":"POST"}},"#,
            r#""unmapped":{{"transaction_id":"{txid}","debug_context.risk":"{risk}","#,
            r#""debug_context.behaviors":"{behaviors}"}}}}"#
        ),
        activity_id = activity_id,
        time = time,
        severity_id = severity_id,
        status_id = status_id,
        code = code,
        detail = detail,
        message = message,
        uid = rng.hex(32),
        product = product,
        vendor = vendor,
        pversion = pversion,
        user = user,
        useruid = rng.hex(17),
        domain = domain,
        ip = ip,
        port = 1024 + rng.below(64511),
        host = rng.below(10_000),
        cc = cc,
        city = city,
        service = service,
        svcuid = rng.hex(17),
        session = rng.hex(32),
        mfa = mfa,
        proto = proto,
        logon = logon,
        agent = agent,
        txid = rng.hex(27),
        risk = ["LOW", "LOW", "MEDIUM", "HIGH"][rng.below(4) as usize],
        behaviors = rng.pick(BEHAVIORS),
    )
}

/// `count` NDJSON bodies of `batch` events each, distinct events, leaked so requests borrow them.
fn make_batches(seed: u64, count: usize, batch: usize) -> Vec<&'static [u8]> {
    let mut rng = Rng(seed);
    let base_ms = 1_764_230_400_000 + (seed as i64 % 1000) * 86_400_000;
    let mut out = Vec::with_capacity(count);
    let mut i = 0u64;
    for _ in 0..count {
        let mut body = String::with_capacity(batch * 1150);
        for _ in 0..batch {
            body.push_str(&event(&mut rng, base_ms, i));
            body.push('\n');
            i += 1;
        }
        out.push(&*Box::leak(body.into_bytes().into_boxed_slice()));
    }
    out
}

/// The lines of an NDJSON body.
fn lines(body: &'static [u8]) -> Vec<&'static [u8]> {
    body.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------------------------

struct Server {
    child: Child,
    base: String,
    verifier: String,
    log: PathBuf,
    token: Option<String>,
}

impl Server {
    fn start(data: &Path, log: &Path) -> Result<Server> {
        let stderr = std::fs::File::create(log).context("creating the server log")?;
        let mut child = Command::new(&*AUTHTRAIL)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .env(
                "RUST_LOG",
                std::env::var("AUTHTRAIL_BENCH_SERVER_LOG").unwrap_or("warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .with_context(|| format!("starting {} serve", *AUTHTRAIL))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut reader = BufReader::new(stdout);
        let (mut base, mut verifier, mut token) = (None, None, None);
        let started = Instant::now();
        let mut line = String::new();
        while base.is_none() || verifier.is_none() {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                let _ = child.kill();
                bail!(
                    "the server exited before announcing its address and key; see {}",
                    log.display()
                );
            }
            let l = line.trim();
            if let Some(rest) = l.strip_prefix("authtrail listening on ") {
                base = Some(rest.trim_end_matches('/').to_string());
            } else if let Some(rest) = l.strip_prefix("verifier key: ") {
                verifier = Some(rest.to_string());
            } else if l.to_ascii_lowercase().contains("token:") {
                token = l.split_whitespace().last().map(str::to_string);
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("the server did not start within 60 s");
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        });
        Ok(Server {
            child,
            base: base.unwrap_or_default(),
            verifier: verifier.unwrap_or_default(),
            log: log.to_path_buf(),
            token: std::env::var("AUTHTRAIL_BENCH_TOKEN").ok().or(token),
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM (a clean shutdown signs the final checkpoint) and wait.
    fn stop(mut self) -> Result<()> {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .context("running kill")?;
        if !status.success() {
            bail!("kill -TERM {} failed", self.pid());
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(st) = self.child.try_wait()? {
                if !st.success() {
                    bail!("server exited with {st}; see {}", self.log.display());
                }
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                bail!("server did not stop within 120 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Bytes a process caused to be written to storage so far, from /proc.
fn write_bytes(pid: &str) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes: "))
        .and_then(|v| v.trim().parse().ok())
}

/// Whose CPU time a phase is about.
#[derive(Clone, Copy, Debug)]
enum Subject {
    /// The server process.
    Server(u32),
    /// Every PostgreSQL process.
    Postgres,
    /// This benchmark process itself (in-process measurements).
    InProcess,
}

/// Cumulative CPU seconds per group of processes at one moment.
#[derive(Clone, Copy, Debug, Default)]
struct Cpu {
    /// What is measured (the server, PostgreSQL, or this process for in-process phases).
    subject: f64,
    /// This benchmark (the clients), unless it is the subject.
    bench: f64,
    /// Kernel threads: page-cache writeback, ext4 extent conversion, block I/O, for every process.
    kernel: f64,
    /// The whole machine.
    machine: f64,
}

impl Cpu {
    fn now(subject: Subject) -> Cpu {
        let me = std::process::id();
        let mut cpu = Cpu {
            machine: machine_busy_seconds().unwrap_or(0.0),
            ..Cpu::default()
        };
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return cpu;
        };
        for entry in dir.filter_map(|e| e.ok()) {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let Some((ppid, secs)) = proc_stat(&pid.to_string()) else {
                continue;
            };
            let is_subject = match subject {
                Subject::Server(p) => pid == p,
                Subject::InProcess => pid == me,
                Subject::Postgres => std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|c| c.trim() == "postgres"),
            };
            if is_subject {
                cpu.subject += secs;
            } else if pid == me {
                cpu.bench += secs;
            } else if pid == 2 || ppid == 2 {
                cpu.kernel += secs;
            }
        }
        cpu
    }
}

/// CPU and I/O used over one phase, by group.
struct Usage {
    subject: Subject,
    start: Cpu,
    written: Option<u64>,
}

impl Usage {
    fn start(subject: Subject) -> Usage {
        Usage {
            subject,
            start: Cpu::now(subject),
            written: Usage::written(subject),
        }
    }

    fn written(subject: Subject) -> Option<u64> {
        match subject {
            Subject::Server(pid) => write_bytes(&pid.to_string()),
            Subject::InProcess => write_bytes("self"),
            Subject::Postgres => None,
        }
    }

    /// Lines saying who used the CPU, per event, and a warning when other processes took more
    /// than 5% of the machine.
    fn lines(&self, wall: f64, events: usize) -> String {
        let end = Cpu::now(self.subject);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let subject = end.subject - self.start.subject;
        let bench = end.bench - self.start.bench;
        let kernel = end.kernel - self.start.kernel;
        let machine = end.machine - self.start.machine;
        let other = (machine - subject - bench - kernel).max(0.0);
        let us = |c: f64| 1e6 * c / events as f64;
        let pct = |c: f64| 100.0 * c / wall;
        let name = match self.subject {
            Subject::Server(_) => "server",
            Subject::Postgres => "postgres",
            Subject::InProcess => "in-process",
        };
        let mut s = format!(
            "  CPU per event: {name} {:.1} µs ({:.0}% of a core) + kernel threads {:.1} µs ({:.0}%; writeback and ext4 work, ours mostly) + bench client {:.1} µs ({:.0}%) = {:.1} µs; other processes {:.0}% of the machine",
            us(subject),
            pct(subject),
            us(kernel),
            pct(kernel),
            us(bench),
            pct(bench),
            us(subject + kernel + bench),
            100.0 * other / (wall * cores)
        );
        if let Some(w) = self
            .written
            .zip(Usage::written(self.subject))
            .map(|(a, b)| b.saturating_sub(a))
        {
            let _ = write!(
                s,
                "\n  storage: {name} wrote {:.0} MB ({:.0} B/event)",
                w as f64 / 1e6,
                w as f64 / events as f64
            );
        }
        if other / (wall * cores) > 0.05 {
            let _ = write!(
                s,
                "\n  WARNING: other processes kept {:.0}% of the machine busy during this phase: the figure is not reliable; rerun on a quiet machine",
                100.0 * other / (wall * cores)
            );
        }
        s
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct Ack {
    accepted: u64,
    first_seq: u64,
    last_seq: u64,
    unparsed: u64,
}

#[derive(Clone)]
struct Http {
    client: reqwest::Client,
    events_url: String,
    checkpoint_url: String,
    token: Option<String>,
}

impl Http {
    fn new(server: &Server) -> Result<Http> {
        Ok(Http {
            client: reqwest::Client::builder()
                .no_proxy()
                .tcp_nodelay(true)
                .pool_max_idle_per_host(64)
                .build()?,
            events_url: format!("{}/v1/events?format=json&source=bench", server.base),
            checkpoint_url: format!("{}/checkpoint", server.base),
            token: server.token.clone(),
        })
    }

    /// POST one NDJSON batch; every event must be accepted as a valid OCSF event.
    async fn post(&self, body: &'static [u8], expect: usize) -> Result<Ack> {
        let mut req = self
            .client
            .post(&self.events_url)
            .header("content-type", "application/x-ndjson")
            .body(body);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.context("POST /v1/events")?;
        let status = resp.status();
        let bytes = resp.bytes().await.context("reading the answer")?;
        if !status.is_success() {
            bail!(
                "POST /v1/events: HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        let ack: Ack = serde_json::from_slice(&bytes)
            .with_context(|| format!("answer {:?}", String::from_utf8_lossy(&bytes)))?;
        if ack.unparsed != 0 {
            bail!(
                "{} events were unparsed: {}",
                ack.unparsed,
                String::from_utf8_lossy(&bytes)
            );
        }
        if ack.accepted as usize != expect || ack.last_seq + 1 - ack.first_seq != ack.accepted {
            bail!(
                "expected {expect} events accepted, got {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(ack)
    }

    /// The size of the latest signed checkpoint (its second line).
    async fn checkpoint_size(&self) -> Result<u64> {
        let text = self
            .client
            .get(&self.checkpoint_url)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        text.lines()
            .nth(1)
            .and_then(|l| l.trim().parse().ok())
            .ok_or_else(|| anyhow!("checkpoint without a size line: {text:?}"))
    }
}

/// Post `bodies` (each `per` events) with `clients` concurrent keep-alive clients.
/// Returns the wall time and the highest seq acknowledged.
async fn post_all(
    http: &Http,
    bodies: Vec<(&'static [u8], usize)>,
    clients: usize,
) -> Result<(Duration, u64)> {
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, bodies, next) = (http.clone(), bodies.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut top = 0u64;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(body, n)) = bodies.get(i) else {
                    return Ok::<u64, anyhow::Error>(top);
                };
                let ack = http.post(body, n).await?;
                top = top.max(ack.last_seq);
            }
        }));
    }
    let mut top = 0;
    for t in tasks {
        top = top.max(t.await??);
    }
    Ok((started.elapsed(), top))
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL baseline
// ---------------------------------------------------------------------------------------------

/// An event's bytes as jsonb in binary COPY (version byte 1, then the JSON text).
#[derive(Debug)]
struct RawJsonb<'a>(&'a [u8]);

impl ToSql for RawJsonb<'_> {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut tokio_postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(&[1]);
        out.extend_from_slice(self.0);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSONB
    }

    to_sql_checked!();
}

async fn pg_connect(conf: &str) -> Result<tokio_postgres::Client> {
    let (client, conn) = tokio_postgres::connect(conf, NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("postgres connection: {e}");
        }
    });
    Ok(client)
}

/// One transaction: lock the head, chain-hash and COPY (or INSERT) the rows, move the head, commit.
async fn pg_append(
    client: &mut tokio_postgres::Client,
    rows: &[&'static [u8]],
    jsonb: bool,
    insert: bool,
) -> Result<()> {
    let tx = client.transaction().await?;
    let head = tx
        .query_one(
            "SELECT seq, hash FROM authtrail_bench_head WHERE id = 1 FOR UPDATE",
            &[],
        )
        .await?;
    let mut seq: i64 = head.get(0);
    let mut prev: Vec<u8> = head.get(1);
    if insert {
        // One multi-row INSERT: VALUES ($1,$2,$3),($4,$5,$6),...
        let mut hashes = Vec::with_capacity(rows.len());
        let mut seqs = Vec::with_capacity(rows.len());
        for &row in rows {
            let hash = Sha256::new()
                .chain_update(&prev)
                .chain_update(row)
                .finalize();
            prev.clear();
            prev.extend_from_slice(&hash);
            hashes.push(prev.clone());
            seqs.push(seq);
            seq += 1;
        }
        let cast = if jsonb { "::text::jsonb" } else { "" };
        let mut sql = String::from("INSERT INTO authtrail_bench_chain (seq, event, hash) VALUES ");
        let texts: Vec<&str> = if jsonb {
            rows.iter()
                .map(|r| std::str::from_utf8(r))
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(rows.len() * 3);
        for i in 0..rows.len() {
            if i > 0 {
                sql.push(',');
            }
            let _ = write!(sql, "(${},${}{cast},${})", 3 * i + 1, 3 * i + 2, 3 * i + 3);
            params.push(&seqs[i]);
            if jsonb {
                params.push(&texts[i]);
            } else {
                params.push(&rows[i]);
            }
            params.push(&hashes[i]);
        }
        tx.execute(sql.as_str(), &params).await?;
    } else {
        let sink = tx
            .copy_in("COPY authtrail_bench_chain (seq, event, hash) FROM STDIN (FORMAT binary)")
            .await?;
        let event_type = if jsonb { Type::JSONB } else { Type::BYTEA };
        let mut writer = pin!(BinaryCopyInWriter::new(
            sink,
            &[Type::INT8, event_type, Type::BYTEA]
        ));
        for &row in rows {
            let hash = Sha256::new()
                .chain_update(&prev)
                .chain_update(row)
                .finalize();
            prev.clear();
            prev.extend_from_slice(&hash);
            if jsonb {
                writer
                    .as_mut()
                    .write(&[&seq, &RawJsonb(row), &prev.as_slice()])
                    .await?;
            } else {
                writer
                    .as_mut()
                    .write(&[&seq, &row, &prev.as_slice()])
                    .await?;
            }
            seq += 1;
        }
        writer.finish().await?;
    }
    tx.execute(
        "UPDATE authtrail_bench_head SET seq = $1, hash = $2 WHERE id = 1",
        &[&seq, &prev],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The baseline: events/s, or None when PostgreSQL is unreachable (outside CI).
async fn pg_baseline(
    knobs: &Knobs,
    warmup: &[&'static [u8]],
    measured: &[&'static [u8]],
) -> Result<Option<f64>> {
    let admin = match pg_connect(&knobs.pg).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                bail!("PostgreSQL at {:?} unreachable (CI is set): {e}", knobs.pg);
            }
            println!(
                "NOTICE PostgreSQL at {:?} unreachable ({e}): baseline skipped",
                knobs.pg
            );
            return Ok(None);
        }
    };
    let event_type = if knobs.pg_jsonb { "jsonb" } else { "bytea" };
    admin
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS authtrail_bench_chain, authtrail_bench_head;
             CREATE TABLE authtrail_bench_chain (seq bigint PRIMARY KEY, event {event_type} NOT NULL, hash bytea NOT NULL);
             CREATE TABLE authtrail_bench_head (id int PRIMARY KEY, seq bigint NOT NULL, hash bytea NOT NULL);
             INSERT INTO authtrail_bench_head VALUES (1, 0, decode(repeat('00', 32), 'hex'));"
        ))
        .await
        .context("creating the baseline tables")?;
    let mut settings = Vec::new();
    for name in [
        "server_version",
        "fsync",
        "synchronous_commit",
        "wal_sync_method",
        "full_page_writes",
        "shared_buffers",
    ] {
        let row = admin.query_one(&format!("SHOW {name}"), &[]).await?;
        settings.push(format!("{name}={}", row.get::<_, String>(0)));
    }
    println!(
        "  postgres: {}; event column {event_type}, one {} per batch",
        settings.join(" "),
        if knobs.pg_insert {
            "multi-row INSERT"
        } else {
            "binary COPY"
        }
    );

    let split = |bodies: &[&'static [u8]]| -> Vec<Vec<&'static [u8]>> {
        bodies.iter().map(|b| lines(b)).collect()
    };
    let warm = Arc::new(split(warmup));
    let batches = Arc::new(split(measured));
    let events: usize = batches.iter().map(Vec::len).sum();
    let mut clients = Vec::new();
    for _ in 0..knobs.clients {
        let c = pg_connect(&knobs.pg).await?;
        c.batch_execute("SET synchronous_commit = on").await?;
        clients.push(c);
    }
    let run = |clients: Vec<tokio_postgres::Client>, work: Arc<Vec<Vec<&'static [u8]>>>| {
        let next = Arc::new(AtomicUsize::new(0));
        let (jsonb, insert) = (knobs.pg_jsonb, knobs.pg_insert);
        let tasks: Vec<_> = clients
            .into_iter()
            .map(|mut c| {
                let (next, work) = (next.clone(), work.clone());
                tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(rows) = work.get(i) else { break };
                        pg_append(&mut c, rows, jsonb, insert).await?;
                    }
                    Ok::<_, anyhow::Error>(c)
                })
            })
            .collect();
        async move {
            let mut back = Vec::new();
            for t in tasks {
                back.push(t.await??);
            }
            Ok::<_, anyhow::Error>(back)
        }
    };
    let clients = run(clients, warm.clone()).await?;
    let usage = Usage::start(Subject::Postgres);
    let started = Instant::now();
    run(clients, batches).await?;
    let wall = started.elapsed().as_secs_f64();
    let usage = usage.lines(wall, events);

    let row = admin
        .query_one(
            "SELECT (SELECT count(*) FROM authtrail_bench_chain), (SELECT seq FROM authtrail_bench_head)",
            &[],
        )
        .await?;
    let (count, head): (i64, i64) = (row.get(0), row.get(1));
    let expected = (events + warm.iter().map(Vec::len).sum::<usize>()) as i64;
    if count != expected || head != expected {
        bail!("baseline table holds {count} rows, head at {head}; expected {expected}");
    }
    let size = admin
        .query_one(
            "SELECT pg_total_relation_size('authtrail_bench_chain')",
            &[],
        )
        .await?
        .get::<_, i64>(0);
    println!(
        "  postgres: {events} events in {wall:.2} s; table {:.0} MB",
        size as f64 / 1e6
    );
    println!("{usage}");
    Ok(Some(events as f64 / wall))
}

// ---------------------------------------------------------------------------------------------
// Checkpoint latency
// ---------------------------------------------------------------------------------------------

struct LatencyRun {
    /// (time sent, last seq acknowledged) per batch.
    sent: Vec<(Instant, u64)>,
    /// (time observed, size) each time the checkpoint grew.
    seen: Vec<(Instant, u64)>,
    events: u64,
    wall: f64,
}

async fn latency_run(
    http: &Http,
    knobs: &Knobs,
    pool: Arc<Vec<&'static [u8]>>,
) -> Result<LatencyRun> {
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::<(Instant, u64)>::new()));
    let watcher = {
        let (http, stop, seen, poll) = (http.clone(), stop.clone(), seen.clone(), knobs.poll);
        tokio::spawn(async move {
            let mut last = http.checkpoint_size().await?;
            let mut tick = tokio::time::interval(poll);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let size = http.checkpoint_size().await?;
                if size > last {
                    last = size;
                    seen.lock()
                        .map_err(|_| anyhow!("poisoned"))?
                        .push((Instant::now(), size));
                }
            }
            Ok::<_, anyhow::Error>(())
        })
    };
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(knobs.latency_secs);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..knobs.latency_clients {
        let (http, pool, next) = (http.clone(), pool.clone(), next.clone());
        let (per, sleep) = (knobs.latency_batch, knobs.latency_sleep);
        tasks.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            while Instant::now() < deadline {
                let body = pool[next.fetch_add(1, Ordering::Relaxed) % pool.len()];
                let t = Instant::now();
                let ack = http.post(body, per).await?;
                sent.push((t, ack.last_seq));
                tokio::time::sleep(sleep).await;
            }
            Ok::<_, anyhow::Error>(sent)
        }));
    }
    let mut sent = Vec::new();
    for t in tasks {
        sent.extend(t.await??);
    }
    let wall = started.elapsed().as_secs_f64();
    // Let the watcher see the checkpoint that covers the last batch (the interval is ≤ 1 s).
    let top = sent.iter().map(|s| s.1).max().unwrap_or(0);
    let wait_until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < wait_until {
        let covered = seen
            .lock()
            .map_err(|_| anyhow!("poisoned"))?
            .last()
            .is_some_and(|s| s.1 > top);
        if covered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    watcher.await??;
    let seen = std::mem::take(&mut *seen.lock().map_err(|_| anyhow!("poisoned"))?);
    Ok(LatencyRun {
        events: sent.len() as u64 * knobs.latency_batch as u64,
        sent,
        seen,
        wall,
    })
}

// ---------------------------------------------------------------------------------------------
// In-process breakdown of ingest
// ---------------------------------------------------------------------------------------------

/// CPU seconds this thread has used, from /proc (10 ms resolution).
fn thread_cpu_seconds() -> Option<f64> {
    cpu_seconds("thread-self")
}

/// The ingest pipeline stage by stage on one thread, then the store alone with C appenders.
fn parts_phase(
    knobs: &Knobs,
    bodies: &[&'static [u8]],
    tmp: &Path,
    report: &mut Report,
) -> Result<()> {
    use authtrail_ingest::{prepare_batch, InputFormat, Limits};
    use authtrail_model::Event;
    use authtrail_store::{EmbeddedLog, LogOptions, PreparedEntry};

    let limits = Limits::default();
    let now = 1_764_230_400_000_000_000i64;
    // Enough batches for a few seconds of work, at least one.
    let sample = &bodies[..bodies.len().clamp(1, 100)];
    let events: usize = sample.iter().map(|b| lines(b).len()).sum();
    let per = |d: Duration| d.as_secs_f64() * 1e6 / events as f64;

    // Rounds of (the whole prepare_batch, then stage by stage as it does them, see
    // crates/ingest/src/pipeline.rs); the first round warms the allocator up (memory touched for
    // the first time is slow on VMs) and is not counted; per figure the best later round is kept,
    // which filters out the neighbours' noise.
    let mut best = [f64::INFINITY; 7];
    for round in 0..3 {
        let cpu0 = thread_cpu_seconds();
        let t0 = Instant::now();
        for body in sample {
            let batch = prepare_batch(body, InputFormat::Json, "bench", now, &limits)?;
            if batch.summary.unparsed != 0 {
                bail!("{} events unparsed in process", batch.summary.unparsed);
            }
            drop(std::hint::black_box(batch));
        }
        let whole = t0.elapsed();
        let cpu = cpu0
            .zip(thread_cpu_seconds())
            .map_or(f64::NAN, |(a, b)| (b - a) * 1e6 / events as f64);
        let mut stages = [Duration::ZERO; 5];
        for body in sample {
            let t0 = Instant::now();
            let records = authtrail_ingest::decode::json::decode(body)?;
            let t1 = Instant::now();
            let parsed: Vec<Event> = records
                .iter()
                .map(|r| Event::from_json(r.raw))
                .collect::<Result<_, _>>()?;
            let t2 = Instant::now();
            let canon: Vec<Vec<u8>> = parsed.iter().map(Event::canonical_bytes).collect();
            let t3 = Instant::now();
            let entries: Vec<PreparedEntry> = records
                .iter()
                .zip(canon)
                .map(|(r, c)| PreparedEntry::new("bench", now, 3002, c, r.raw.to_vec()))
                .collect::<Result<_, _>>()?;
            let t4 = Instant::now();
            drop(std::hint::black_box(entries));
            drop(std::hint::black_box(parsed));
            let t5 = Instant::now();
            for (i, d) in [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4]
                .into_iter()
                .enumerate()
            {
                stages[i] += d;
            }
        }
        if round == 0 {
            continue;
        }
        let now_round = [
            per(whole),
            cpu,
            per(stages[0]),
            per(stages[1]),
            per(stages[2]),
            per(stages[3]),
            per(stages[4]),
        ];
        for (b, v) in best.iter_mut().zip(now_round) {
            *b = b.min(v);
        }
    }
    let [whole, cpu, decode, parse, canon, entry, drop_] = best;
    println!(
        "  prepare_batch, one thread, {events} events, best of 2 rounds: {whole:.2} µs/event wall ({cpu:.2} µs/event CPU); stage by stage: decode (split NDJSON) {decode:.2} + Event::from_json {parse:.2} + canonical_bytes {canon:.2} + PreparedEntry::new (salt, 2 digests, raw copy) {entry:.2} + drop {drop_:.2} µs/event",
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    report.note(format!(
        "  parts: prepare_batch costs {whole:.2} µs/event on one core: at most {} events/s on {cores} cores with nothing else running",
        fmt_num(cores * 1e6 / whole)
    ));

    // The store alone: entries prepared up front, C threads appending batches.
    let dir = tmp.join("store-only");
    authtrail_store::keys::init(&authtrail_store::Layout::new(&dir), "bench/authtrail")?;
    let log = EmbeddedLog::open(&dir, LogOptions::default())?;
    let mut prepared: Vec<Vec<PreparedEntry>> = Vec::new();
    for body in sample {
        prepared.push(prepare_batch(body, InputFormat::Json, "bench", now, &limits)?.entries);
    }
    let queue = Mutex::new(prepared);
    let usage = Usage::start(Subject::InProcess);
    let t0 = Instant::now();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..knobs.clients)
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let next = queue.lock().map_err(|_| anyhow!("poisoned"))?.pop();
                        let Some(batch) = next else { return Ok(()) };
                        log.append(batch)?;
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| anyhow!("appender panicked"))?)
            .collect::<Result<Vec<()>>>()
    })?;
    let wall = t0.elapsed().as_secs_f64();
    let usage = usage.lines(wall, events);
    log.close()?;
    let rate = events as f64 / wall;
    println!(
        "  store only (EmbeddedLog::append, {} appender threads, batches of {}): {events} events in {wall:.2} s",
        knobs.clients, knobs.batch,
    );
    println!("{usage}");
    report.figure(
        "store_append_only",
        rate,
        "events/s",
        "none, diagnostic: the embedded store alone, no HTTP, no parsing",
        None,
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

fn main() {
    bench_main("log_figures", "bench/run.sh", run);
}

/// Run every phase asked for; Ok(false) when strict and a goal was missed.
fn run() -> Result<bool> {
    let knobs = Knobs::from_env()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let tmp = temp_dir(knobs.tmp.as_deref(), "authtrail-bench-")?;
    let tmp_path = tmp.path().to_path_buf();
    let data = tmp_path.join("data");
    println!("log_figures: {}", *AUTHTRAIL);
    println!(
        "log_figures: {} cores; phases {:?}; events {} in batches of {} with {} clients; verify size {}; data {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        knobs.phases,
        knobs.events,
        knobs.batch,
        knobs.clients,
        knobs.verify_size,
        data.display()
    );

    let mut report = Report::default();
    let result = rt.block_on(phases(&knobs, &data, &tmp_path, &mut report));
    report.finish(tmp, knobs.keep, knobs.strict, result)
}

async fn phases(knobs: &Knobs, data: &Path, tmp: &Path, report: &mut Report) -> Result<()> {
    let measured_batches = knobs.events.div_ceil(knobs.batch);
    let need_big = knobs.wants("ingest") || knobs.wants("pg") || knobs.wants("parts");
    let need_log = knobs.wants("verify") || knobs.wants("evidence");
    let gen_started = Instant::now();
    let (warmup, measured) = if need_big || need_log {
        (
            make_batches(1, knobs.warmup_batches, knobs.batch),
            make_batches(2, measured_batches.max(1), knobs.batch),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    if let Some(b) = measured.first() {
        let n = lines(b).len();
        println!(
            "generated {} + {} batches of {} events ({} bytes/event on average) in {:.1} s",
            warmup.len(),
            measured.len(),
            n,
            b.len() / n,
            gen_started.elapsed().as_secs_f64()
        );
    }
    let measured_events = measured_batches * knobs.batch;
    let mut ingest_rate = None;

    let server_needed = knobs.wants("ingest") || knobs.wants("latency") || need_log;
    let mut server = if server_needed {
        Some(Server::start(data, &tmp.join("server.log"))?)
    } else {
        None
    };
    let mut log_size = 0u64;

    // 1. Durable ingest through HTTP.
    if knobs.wants("ingest") {
        let srv = server.as_ref().context("no server")?;
        let http = Http::new(srv)?;
        println!("\n== 1. durable ingest through HTTP ({}) ==", srv.base);
        let (_, top) = post_all(
            &http,
            warmup.iter().map(|b| (*b, knobs.batch)).collect(),
            knobs.clients,
        )
        .await?;
        let usage = Usage::start(Subject::Server(srv.pid()));
        let (wall, top2) = post_all(
            &http,
            measured.iter().map(|b| (*b, knobs.batch)).collect(),
            knobs.clients,
        )
        .await?;
        log_size = top.max(top2) + 1;
        let secs = wall.as_secs_f64();
        let rate = measured_events as f64 / secs;
        println!(
            "  {measured_events} events, {} requests of {}, {} clients: {secs:.2} s",
            measured.len(),
            knobs.batch,
            knobs.clients
        );
        println!("{}", usage.lines(secs, measured_events));
        report.figure(
            "ingest_http",
            rate,
            "events/s",
            ">= 100,000 events/s on 2 cores",
            Some(rate >= 100_000.0),
        );
        ingest_rate = Some(rate);
    }

    if knobs.wants("parts") {
        println!("\n== 1b. the same work in process, no HTTP (diagnostic) ==");
        parts_phase(knobs, &measured, tmp, report)?;
    }

    // 2. PostgreSQL baseline.
    if knobs.wants("pg") {
        println!(
            "\n== 2. PostgreSQL baseline: same events, batch {}, {} clients, hash chain under a locked head row ==",
            knobs.batch, knobs.clients
        );
        if let Some(pg) = pg_baseline(knobs, &warmup, &measured).await? {
            report.figure(
                "postgres_chain_baseline",
                pg,
                "events/s",
                "none: the baseline",
                None,
            );
            if let Some(ours) = ingest_rate {
                let ratio = ours / pg;
                report.figure(
                    "ingest_vs_postgres",
                    ratio,
                    "x",
                    ">= 10x",
                    Some(ratio >= 10.0),
                );
            }
        }
    }

    // 3. add -> covered by a signed checkpoint.
    if knobs.wants("latency") {
        let srv = server.as_ref().context("no server")?;
        let http = Http::new(srv)?;
        println!(
            "\n== 3. append -> signed checkpoint latency: {} clients, batch {}, {} ms pause, {} s, polling every {} ms ==",
            knobs.latency_clients,
            knobs.latency_batch,
            knobs.latency_sleep.as_millis(),
            knobs.latency_secs,
            knobs.poll.as_millis()
        );
        let pool = Arc::new(make_batches(3, 500, knobs.latency_batch));
        let run = latency_run(&http, knobs, pool).await?;
        log_size = log_size.max(run.sent.iter().map(|s| s.1 + 1).max().unwrap_or(0));
        let mut lat = Vec::with_capacity(run.sent.len());
        let mut uncovered = 0;
        for &(sent, last_seq) in &run.sent {
            let i = run.seen.partition_point(|&(_, size)| size <= last_seq);
            match run.seen.get(i) {
                Some(&(at, _)) => lat.push(at.saturating_duration_since(sent).as_secs_f64()),
                None => uncovered += 1,
            }
        }
        lat.sort_by(f64::total_cmp);
        println!(
            "  {} batches ({} events, {:.0} events/s), {} checkpoints observed, {} batches never covered",
            run.sent.len(),
            run.events,
            run.events as f64 / run.wall,
            run.seen.len(),
            uncovered
        );
        if lat.is_empty() {
            bail!("no batch was covered by a checkpoint");
        }
        let (p50, p99, max) = (
            quantile(&lat, 0.5),
            quantile(&lat, 0.99),
            quantile(&lat, 1.0),
        );
        report.figure("checkpoint_latency_p50", p50 * 1e3, "ms", "none", None);
        report.figure(
            "checkpoint_latency_p99",
            p99 * 1e3,
            "ms",
            "<= 2,000 ms",
            Some(p99 <= 2.0 && uncovered == 0),
        );
        report.figure("checkpoint_latency_max", max * 1e3, "ms", "none", None);
    }

    // 4. verify of a big log (built by topping the server's log up through HTTP).
    if need_log {
        let srv = server.as_ref().context("no server")?;
        let http = Http::new(srv)?;
        let have = http.checkpoint_size().await?.max(log_size);
        let want = knobs.verify_size.max(1);
        if have < want {
            let mut missing = (want - have) as usize;
            println!("\n== building the log: {have} -> {want} entries through HTTP ==");
            let mut bodies = Vec::new();
            let mut i = 0;
            while missing > 0 {
                let body = measured[i % measured.len()];
                let n = missing.min(knobs.batch);
                let body = if n == knobs.batch {
                    body
                } else {
                    // The first n lines of a batch.
                    let end = body
                        .iter()
                        .enumerate()
                        .filter(|(_, &b)| b == b'\n')
                        .nth(n - 1)
                        .map_or(body.len(), |(at, _)| at + 1);
                    &body[..end]
                };
                bodies.push((body, n));
                missing -= n;
                i += 1;
            }
            let events: usize = bodies.iter().map(|b| b.1).sum();
            let (wall, _) = post_all(&http, bodies, knobs.clients).await?;
            println!(
                "  {events} events in {:.1} s ({:.0} events/s)",
                wall.as_secs_f64(),
                events as f64 / wall.as_secs_f64()
            );
        }
        let verifier = srv.verifier.clone();
        let stop_started = Instant::now();
        server.take().context("no server")?.stop()?;
        println!(
            "  server stopped (final checkpoint signed) in {:.2} s",
            stop_started.elapsed().as_secs_f64()
        );

        if knobs.wants("verify") {
            println!("\n== 4. authtrail verify ==");
            let (out, wall) = timed_cmd(
                Command::new(&*AUTHTRAIL)
                    .args(["verify", "--format", "json", "--data"])
                    .arg(data),
            )?;
            report_verify(report, "verify", &out, wall, true)?;
            if knobs.cold {
                let dropped = Command::new("sh")
                    .args(["-c", "sync && echo 3 > /proc/sys/vm/drop_caches"])
                    .status()
                    .is_ok_and(|s| s.success());
                if dropped {
                    let (out, wall) = timed_cmd(
                        Command::new(&*AUTHTRAIL)
                            .args(["verify", "--format", "json", "--data"])
                            .arg(data),
                    )?;
                    report_verify(report, "verify_cold_cache", &out, wall, false)?;
                } else {
                    println!("  (could not drop the page cache: cold verify skipped)");
                }
            }
        }

        if knobs.wants("evidence") {
            println!("\n== 5. verify-evidence ==");
            evidence_phase(knobs, data, tmp, &verifier, report)?;
        }
    }
    if let Some(srv) = server.take() {
        srv.stop()?;
    }
    Ok(())
}

/// Run a command to completion; its stdout and wall time. Fails on a non-zero exit.
fn timed_cmd(cmd: &mut Command) -> Result<(String, f64)> {
    let started = Instant::now();
    // The children's user + system CPU seconds so far.
    let children = || children_cpu_seconds().map(|(user, sys)| user + sys);
    let children0 = children();
    let out = cmd.stdin(Stdio::null()).output()?;
    let wall = started.elapsed().as_secs_f64();
    if let Some((c0, c1)) = children0.zip(children()) {
        println!(
            "  ({:?}: {wall:.3} s wall, {:.2} s CPU)",
            cmd.get_args()
                .next()
                .map_or(String::new(), |a| a.to_string_lossy().into_owned()),
            c1 - c0
        );
    }
    if !out.status.success() {
        bail!(
            "{cmd:?} exited with {}: {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok((String::from_utf8_lossy(&out.stdout).into_owned(), wall))
}

#[derive(Deserialize)]
struct VerifyOut {
    ok: bool,
    entries: u64,
    seconds: f64,
    entries_per_second: f64,
}

fn report_verify(report: &mut Report, name: &str, out: &str, wall: f64, goal: bool) -> Result<()> {
    let v: VerifyOut =
        serde_json::from_str(out.trim()).with_context(|| format!("verify printed {out:?}"))?;
    if !v.ok {
        bail!("verify failed: {out}");
    }
    println!(
        "  {} entries verified in {:.3} s (process wall time {wall:.3} s)",
        v.entries, v.seconds
    );
    report.figure(
        name,
        v.entries_per_second,
        "entries/s",
        if goal {
            ">= 500,000 entries/s"
        } else {
            "none, cold page cache"
        },
        goal.then_some(v.entries_per_second >= 500_000.0),
    );
    let process_rate = v.entries as f64 / wall;
    report.note(format!(
        "  {name}: process wall time {wall:.3} s for {} entries ({} entries/s including start-up)",
        v.entries,
        fmt_num(process_rate)
    ));
    Ok(())
}

fn evidence_phase(
    knobs: &Knobs,
    data: &Path,
    tmp: &Path,
    verifier: &str,
    report: &mut Report,
) -> Result<()> {
    let key_text = if verifier.is_empty() {
        std::fs::read_to_string(data.join("log.vkey"))?
    } else {
        verifier.to_string()
    };
    let key = NoteVerifier::parse(key_text.trim())?;
    let size = knobs.verify_size.max(1);
    let seq = size / 2 + 7;
    let seq = seq.min(size - 1);
    let bundle = tmp.join("evidence.json");
    let (_, prove_wall) = timed_cmd(
        Command::new(&*AUTHTRAIL)
            .args(["prove", "--seq", &seq.to_string(), "--out"])
            .arg(&bundle)
            .arg("--data")
            .arg(data),
    )?;
    let text = std::fs::read_to_string(&bundle)?;
    let probe = Evidence::from_json(&text)?;
    println!(
        "  bundle for seq {seq}: {} bytes, tree size {}, {} proof hashes (prove took {:.3} s)",
        text.len(),
        probe.tree_size,
        probe.inclusion_proof.len(),
        prove_wall
    );
    let iters = knobs.evidence_iters;
    let mut total = Vec::with_capacity(iters);
    let mut parse = Vec::with_capacity(iters);
    let mut check = Vec::with_capacity(iters);
    for _ in 0..iters {
        let t0 = Instant::now();
        let e = Evidence::from_json(std::hint::black_box(&text))?;
        let t1 = Instant::now();
        let v = e.verify(&key)?;
        let t2 = Instant::now();
        std::hint::black_box(v);
        parse.push((t1 - t0).as_secs_f64() * 1e6);
        check.push((t2 - t1).as_secs_f64() * 1e6);
        total.push((t2 - t0).as_secs_f64() * 1e6);
    }
    for v in [&mut total, &mut parse, &mut check] {
        v.sort_by(f64::total_cmp);
    }
    let median = quantile(&total, 0.5);
    let p99 = quantile(&total, 0.99);
    println!(
        "  {iters} iterations: from_json median {:.1} µs, verify median {:.1} µs",
        quantile(&parse, 0.5),
        quantile(&check, 0.5)
    );
    report.figure(
        "verify_evidence_median",
        median,
        "µs",
        "< 1,000 µs",
        Some(median < 1000.0),
    );
    report.figure(
        "verify_evidence_p99",
        p99,
        "µs",
        "< 1,000 µs",
        Some(p99 < 1000.0),
    );
    let started = Instant::now();
    let out = Command::new(&*AUTHTRAIL)
        .args(["verify-evidence", "--key", key_text.trim()])
        .arg(&bundle)
        .stdin(Stdio::null())
        .output()?;
    let wall = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "verify-evidence failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let inner = stderr
        .lines()
        .find(|l| l.starts_with("verified in"))
        .unwrap_or("")
        .to_string();
    report.note(format!(
        "  verify_evidence_process: whole `authtrail verify-evidence` process {:.2} ms (reference; its own timer: {inner})",
        wall * 1e3
    ));
    Ok(())
}
