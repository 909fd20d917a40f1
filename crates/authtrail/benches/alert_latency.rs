//! `cargo bench -p authtrail --bench alert_latency` (or `bench/alert_latency.sh`): the latency
//! from an ingest acknowledgement to the webhook call of the alert it completes, at a steady
//! ingest rate (the real-time detection issue's figure: p99 ≤ 250 ms at 10,000 events/s).
//!
//! Setup: `authtrail serve` (the release binary) on a fresh data dir with one webhook pointing at
//! a receiver in this process. Load: `AUTHTRAIL_BENCH_SENDERS` threads POST OCSF Authentication
//! events to `/v1/events` on a fixed schedule adding up to `AUTHTRAIL_BENCH_RATE` events/s for
//! `AUTHTRAIL_BENCH_SECONDS`: noise (successes and scattered failures from many addresses and
//! users) and, every `AUTHTRAIL_BENCH_ATTACK_MS`, a burst of 10 failures from a fresh address
//! inside one batch, which completes `brute-force-ip`. Measured per burst: from the moment its
//! batch's HTTP answer arrives (the acknowledgement: the events are durable) to the moment the
//! receiver gets the webhook naming that address. The baseline in the same run is the
//! acknowledgement latency itself (request sent to answer received), so the ratio says what
//! detection and delivery add on top of a durable append.
//!
//! Run as a test it does nothing.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

mod common;
use common::{bench_main, env_parse, temp_dir, Report, Rng};

const BIN: &str = env!("CARGO_BIN_EXE_authtrail");

/// How many of the slowest alerts are listed with their times (to set against the server's log).
const SLOWEST: usize = 12;

/// Percentile `p` (0..=100) of `values` (nearest rank).
fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

fn main() {
    bench_main("alert_latency", "bench/alert_latency.sh", run);
}

struct Knobs {
    rate: u64,
    seconds: u64,
    senders: u64,
    attack_ms: u64,
}

/// When the receiver got the webhook for each attacking address.
type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

/// A receiver on 127.0.0.1:0 noting, per `brute-force-ip` alert, its address and arrival time.
fn start_receiver(arrivals: Arrivals) -> Result<(tokio::runtime::Runtime, u16)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let arrivals = arrivals.clone();
            async move {
                let now = Instant::now();
                let data = &body["alert"]["evidences"][0]["data"];
                if data["rule_id"] == "brute-force-ip" {
                    if let Some(ip) = data["group"]["ip"].as_str() {
                        if let Ok(mut a) = arrivals.lock() {
                            a.entry(ip.to_string()).or_insert(now);
                        }
                    }
                }
                "ok"
            }
        }),
    );
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let port = listener.local_addr()?.port();
    rt.spawn(async move { axum::serve(listener, app).await });
    Ok((rt, port))
}

/// `authtrail serve` on a fresh `data` with `config`; its URL and the admin token it printed.
fn start_server(
    data: &std::path::Path,
    config: &std::path::Path,
) -> Result<(Child, String, String)> {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .arg("--config")
        .arg(config)
        .env(
            "RUST_LOG",
            std::env::var("AUTHTRAIL_BENCH_SERVER_LOG").unwrap_or_else(|_| "error".into()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting authtrail serve")?;
    let stdout = child.stdout.take().context("serve's stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let (mut url, mut token) = (None, None);
    for line in lines.by_ref() {
        let line = line?;
        if let Some(u) = line.strip_prefix("authtrail listening on ") {
            url = Some(u.to_string());
        } else if let Some(t) = line.strip_prefix("admin token: ") {
            token = Some(t.to_string());
        }
        if line == "ready" {
            break;
        }
    }
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Ok((
        child,
        url.context("serve printed no address")?,
        token.context("serve printed no admin token")?,
    ))
}

/// One OCSF Authentication Logon.
fn logon(time_ms: i64, user: &str, ip: &str, ok: bool) -> Value {
    json!({
        "class_uid": 3002, "activity_id": 1, "time": time_ms, "severity_id": 1,
        "status_id": if ok { 1 } else { 2 },
        "metadata": {"product": {"name": "bench-idp", "vendor_name": "authtrail"}, "version": "1.6.0"},
        "user": {"name": user}, "src_endpoint": {"ip": ip}, "service": {"name": "bench"},
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// What one sender measured: ack latencies (s) and, per attack address, its ack instant.
#[derive(Default)]
struct Sent {
    acks: Vec<f64>,
    attacks: Vec<(String, Instant)>,
    events: u64,
    late_batches: u64,
}

fn sender(url: String, token: String, k: u64, knobs: &Knobs, start: Instant) -> Result<Sent> {
    let client = reqwest::blocking::Client::new();
    let mut rng = Rng(0x5eed + k);
    let interval = Duration::from_millis(10);
    let per_batch = (knobs.rate / knobs.senders / 100).max(1);
    let batches = knobs.seconds * 100;
    let attack_every = (knobs.attack_ms / 10).max(1);
    let mut out = Sent::default();
    for b in 0..batches {
        let due = start + interval * b as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        } else if Instant::now() - due > interval {
            out.late_batches += 1;
        }
        let t = now_ms();
        let mut events = Vec::with_capacity(per_batch as usize + 10);
        let attack = (b % attack_every == 0).then(|| {
            format!(
                "10.{}.{}.{}",
                k + 1,
                (b / attack_every) / 250,
                (b / attack_every) % 250 + 1
            )
        });
        for _ in 0..per_batch {
            let ip = format!("172.16.{}.{}", rng.below(200), rng.below(250) + 1);
            let user = format!("u{}", rng.below(50_000));
            events.push(logon(t, &user, &ip, rng.below(4) != 0));
        }
        if let Some(ip) = &attack {
            for i in 0..10 {
                events.push(logon(t, &format!("victim{k}-{b}-{i}"), ip, false));
            }
        }
        let body = events
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        let sent = Instant::now();
        let r = client
            .post(format!("{url}/v1/events?source=bench"))
            .bearer_auth(&token)
            .body(body)
            .send()
            .context("POST /v1/events")?;
        let acked = Instant::now();
        if !r.status().is_success() {
            bail!(
                "ingest answered {}: {}",
                r.status(),
                r.text().unwrap_or_default()
            );
        }
        out.events += events.len() as u64;
        out.acks.push((acked - sent).as_secs_f64());
        if let Some(ip) = attack {
            out.attacks.push((ip, acked));
        }
    }
    Ok(out)
}

fn run() -> Result<bool> {
    let knobs = Knobs {
        rate: env_parse("AUTHTRAIL_BENCH_RATE", 10_000u64)?,
        seconds: env_parse("AUTHTRAIL_BENCH_SECONDS", 60u64)?.max(1),
        senders: env_parse("AUTHTRAIL_BENCH_SENDERS", 4u64)?.max(1),
        attack_ms: env_parse("AUTHTRAIL_BENCH_ATTACK_MS", 200u64)?.max(10),
    };
    println!(
        "alert_latency: {} cores (shared, noisy: compare the ratio); {} events/s for {} s from {} senders, an attack every {} ms",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        knobs.rate, knobs.seconds, knobs.senders, knobs.attack_ms
    );
    let tmp = temp_dir(None, "authtrail-latency-bench-")?;
    let arrivals: Arrivals = Arc::default();
    let (_rt, port) = start_receiver(arrivals.clone())?;
    let config = tmp.path().join("serve.toml");
    std::fs::write(
        &config,
        format!("[[alerts.webhook]]\nurl = \"http://127.0.0.1:{port}/hook\"\nsecret = \"bench\"\n"),
    )?;
    let (mut child, url, token) = start_server(&tmp.path().join("data"), &config)?;
    let start = Instant::now() + Duration::from_millis(200);
    let start_wall = jiff::Timestamp::now() + Duration::from_millis(200);
    let sent: Vec<Result<Sent>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..knobs.senders)
            .map(|k| {
                let (url, token, knobs) = (url.clone(), token.clone(), &knobs);
                s.spawn(move || sender(url, token, k, knobs, start))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| bail!("a sender panicked")))
            .collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    // Give the last alerts time to arrive.
    std::thread::sleep(Duration::from_secs(2));
    let _ = child.kill();
    let _ = child.wait();
    let mut acks = Vec::new();
    let mut latencies = Vec::new();
    // (latency s, ack time after start s, address) of every attack, for the slowest list.
    let mut slow: Vec<(f64, f64, String)> = Vec::new();
    let mut missing = 0;
    let (mut events, mut late) = (0, 0);
    let arrivals = arrivals
        .lock()
        .map_err(|_| anyhow::anyhow!("lock"))?
        .clone();
    for s in sent {
        let s = s?;
        acks.extend(s.acks);
        events += s.events;
        late += s.late_batches;
        for (ip, acked) in s.attacks {
            match arrivals.get(&ip) {
                Some(at) => {
                    let l = at.saturating_duration_since(acked).as_secs_f64();
                    latencies.push(l);
                    slow.push((l, (acked - start).as_secs_f64(), ip));
                }
                None => missing += 1,
            }
        }
    }
    let mut report = Report::default();
    let rate = events as f64 / elapsed;
    report.note(format!(
        "sent {events} events in {elapsed:.1} s ({rate:.0} events/s; {late} batches sent late), {} attacks, {missing} without a webhook call",
        latencies.len() + missing
    ));
    slow.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (l, at, ip) in slow.iter().take(SLOWEST) {
        let wall = start_wall + Duration::from_secs_f64(*at);
        report.note(format!(
            "slow alert: {:.1} ms, acknowledged at {at:.2} s ({wall}), attack from {ip}",
            l * 1000.0
        ));
    }
    let p99 = percentile(&latencies, 99.0) * 1000.0;
    let ack99 = percentile(&acks, 99.0) * 1000.0;
    report.note(format!(
        "alert latency (ack -> webhook) p50 {:.1} ms, p99 {p99:.1} ms, max {:.1} ms; ack latency (baseline) p50 {:.1} ms, p99 {ack99:.1} ms; p99 ratio {:.2}x",
        percentile(&latencies, 50.0) * 1000.0,
        percentile(&latencies, 100.0) * 1000.0,
        percentile(&acks, 50.0) * 1000.0,
        p99 / ack99
    ));
    report.figure(
        "alert_latency_p99_ms",
        p99,
        "ms",
        "<= 250 at 10,000 events/s",
        Some(p99 <= 250.0 && missing == 0 && rate >= knobs.rate as f64 * 0.95),
    );
    report.finish(tmp, false, false, Ok(()))
}
