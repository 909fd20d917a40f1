//! The crash test: `authtrail serve` is SIGKILLed while clients post batches, again and again.
//! After each kill the data directory must verify, and every acknowledged event must be in the
//! log at the seq it was acknowledged with, byte for byte (DESIGN.md §4 "Durability").
//!
//! Rounds: `$AUTHTRAIL_KILL_ROUNDS` (default 20). Seed: `$AUTHTRAIL_TEST_SEED` (printed).

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{events, expect_code, init, ndjson, run_in, Rng, Server};
use serde_json::Value;

const CLIENTS: usize = 4;
const CHECKERS: usize = 4;
const EARLIER_SAMPLE: usize = 50;

/// One acknowledged batch.
#[derive(Clone, Debug)]
struct Acked {
    round: usize,
    first: u64,
    last: u64,
    lines: Vec<String>,
}

fn client(token: &str) -> reqwest::blocking::Client {
    common::bearer_client(token)
}

/// Post batches until the server goes away; record every 200 answer. An error or a non-200
/// answer before the kill is a failure.
#[allow(clippy::too_many_arguments)]
fn run_client(
    url: String,
    token: String,
    id: usize,
    round: usize,
    mut rng: Rng,
    killed: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<Acked>>>,
    failures: Arc<Mutex<Vec<String>>>,
) {
    let http = client(&token);
    let endpoint = format!("{url}/v1/events?source=e2e-client-{id}");
    while !killed.load(Ordering::SeqCst) {
        let n = rng.range(1, 50) as usize;
        let lines = events(&format!("r{round}c{id}"), n);
        let body = ndjson(&lines);
        let resp = match http.post(&endpoint).body(body).send() {
            Ok(r) => r,
            Err(e) => {
                if !killed.load(Ordering::SeqCst) {
                    failures.lock().unwrap().push(format!("client {id}: {e}"));
                }
                return;
            }
        };
        let status = resp.status();
        let text = resp.text();
        if status != reqwest::StatusCode::OK {
            if !killed.load(Ordering::SeqCst) {
                failures
                    .lock()
                    .unwrap()
                    .push(format!("client {id}: HTTP {status}: {text:?}"));
            }
            return;
        }
        // A 200 whose body could not be read was never seen as acknowledged by the client.
        let Ok(text) = text else { return };
        let v: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                failures
                    .lock()
                    .unwrap()
                    .push(format!("client {id}: 200 with a bad body {text:?}: {e}"));
                return;
            }
        };
        let (Some(first), Some(last), Some(accepted)) = (
            v["first_seq"].as_u64(),
            v["last_seq"].as_u64(),
            v["accepted"].as_u64(),
        ) else {
            failures
                .lock()
                .unwrap()
                .push(format!("client {id}: 200 without seqs: {text}"));
            return;
        };
        if accepted != n as u64 || last + 1 - first != n as u64 || v["unparsed"] != 0 {
            failures
                .lock()
                .unwrap()
                .push(format!("client {id}: sent {n} valid events, answer {text}"));
            return;
        }
        acked.lock().unwrap().push(Acked {
            round,
            first,
            last,
            lines,
        });
        // A short random pause keeps the log (and each round's checks) from growing too fast
        // on a quick disk, while four clients still keep requests in flight at the kill.
        thread::sleep(Duration::from_micros(rng.range(0, 2000)));
    }
}

/// Check that `GET /v1/entries/{seq}` gives `line` as the raw body for every (seq, line, round).
fn check_entries(url: &str, token: &str, checks: Vec<(u64, String, usize)>) -> Vec<String> {
    let per = checks.len().div_ceil(CHECKERS).max(1);
    let chunks: Vec<Vec<(u64, String, usize)>> = checks.chunks(per).map(<[_]>::to_vec).collect();
    let handles: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let (url, token) = (url.to_string(), token.to_string());
            thread::spawn(move || {
                let http = client(&token);
                let mut bad = Vec::new();
                for (seq, line, round) in chunk {
                    let got = http
                        .get(format!("{url}/v1/entries/{seq}"))
                        .send()
                        .and_then(|r| r.error_for_status())
                        .and_then(|r| r.json::<Value>());
                    match got {
                        Ok(v) if v["raw"].as_str() == Some(line.as_str()) => {}
                        Ok(v) => bad.push(format!(
                            "seq {seq} (acknowledged in round {round}): raw {:?}, expected {:?}",
                            v["raw"].as_str().map(|s| &s[..s.len().min(160)]),
                            &line[..160]
                        )),
                        Err(e) => {
                            bad.push(format!("seq {seq} (acknowledged in round {round}): {e}"))
                        }
                    }
                    if bad.len() >= 5 {
                        break;
                    }
                }
                bad
            })
        })
        .collect();
    handles
        .into_iter()
        .flat_map(|h| h.join().expect("checker thread"))
        .collect()
}

#[test]
fn acknowledged_events_survive_sigkill_and_the_log_verifies() {
    let started = Instant::now();
    let rounds: usize = std::env::var("AUTHTRAIL_KILL_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let mut rng = Rng::from_env_or_time("durability");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let vkey = init(&dir);

    let mut all: Vec<Acked> = Vec::new();
    // Every acknowledged seq range, by first seq: acknowledged ranges never overlap.
    let mut ranges: BTreeMap<u64, u64> = BTreeMap::new();
    let mut acked_end = 0u64; // highest acknowledged seq + 1

    for round in 0..rounds {
        let round_started = Instant::now();
        let server = Server::start(&dir);
        assert_eq!(server.vkey, vkey, "round {round}: the key changed");
        assert!(
            server.log_size >= acked_end,
            "round {round}: log size {} at start, but seqs up to {} were acknowledged",
            server.log_size,
            acked_end.saturating_sub(1)
        );
        let size_at_start = server.log_size;

        let killed = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(Vec::new()));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|id| {
                let (url, token, killed, acked, failures) = (
                    server.url.clone(),
                    server.token.clone(),
                    killed.clone(),
                    acked.clone(),
                    failures.clone(),
                );
                let client_rng = Rng::new(rng.next_u64());
                thread::spawn(move || {
                    run_client(url, token, id, round, client_rng, killed, acked, failures)
                })
            })
            .collect();
        let wait = rng.range(50, 600);
        thread::sleep(Duration::from_millis(wait));
        killed.store(true, Ordering::SeqCst);
        let stderr_path = server.stderr_path.clone();
        server.kill();
        for c in clients {
            c.join().expect("client thread");
        }
        let failures = std::mem::take(&mut *failures.lock().unwrap());
        let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        assert!(
            failures.is_empty(),
            "round {round}: requests failed before the kill: {failures:#?}\nserver stderr:\n{stderr}"
        );
        let mut round_acked = std::mem::take(&mut *acked.lock().unwrap());
        round_acked.sort_by_key(|a| a.first);
        let events: u64 = round_acked.iter().map(|a| a.last + 1 - a.first).sum();
        for a in &round_acked {
            assert!(
                a.first >= size_at_start,
                "round {round}: seqs {}..={} acknowledged, but the log already held {size_at_start} entries at start",
                a.first,
                a.last
            );
            if let Some((&f, &l)) = ranges.range(..=a.last).next_back() {
                assert!(
                    l < a.first,
                    "round {round}: seqs {}..={} acknowledged twice (also {f}..={l})",
                    a.first,
                    a.last
                );
            }
            ranges.insert(a.first, a.last);
            acked_end = acked_end.max(a.last + 1);
        }

        // The killed log verifies as it is, incomplete tail and all.
        let out = run_in(&dir, &["verify", "--key", &vkey]);
        expect_code(&out, 0, &format!("round {round}: verify after SIGKILL"));

        // Every other round, a restart is killed too, 0..30 ms in: likely during recovery.
        let interrupted = rng.range(0, 1) == 1;
        if interrupted {
            let mut child = common::authtrail()
                .args(["serve", "--listen", "127.0.0.1:0", "--data"])
                .arg(&dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("spawn serve");
            thread::sleep(Duration::from_millis(rng.range(0, 30)));
            let _ = child.kill();
            let _ = child.wait();
            let out = run_in(&dir, &["verify", "--key", &vkey]);
            expect_code(
                &out,
                0,
                &format!("round {round}: verify after a restart was killed"),
            );
        }

        // A new server recovers everything acknowledged.
        let server = Server::start(&dir);
        assert!(
            server.log_size >= acked_end,
            "round {round}: log size {} after recovery, but seq {} was acknowledged",
            server.log_size,
            acked_end.saturating_sub(1)
        );
        let recovered_size = server.log_size;
        let mut checks: Vec<(u64, String, usize)> = Vec::new();
        for a in &round_acked {
            for (i, line) in a.lines.iter().enumerate() {
                checks.push((a.first + i as u64, line.clone(), a.round));
            }
        }
        let fresh = checks.len();
        if !all.is_empty() {
            for _ in 0..EARLIER_SAMPLE.min(all.len()) {
                let a = &all[rng.range(0, all.len() as u64 - 1) as usize];
                let mid = rng.range(0, a.lines.len() as u64 - 1) as usize;
                for i in [0, mid, a.lines.len() - 1] {
                    checks.push((a.first + i as u64, a.lines[i].clone(), a.round));
                }
            }
        }
        let checked = checks.len();
        let bad = check_entries(&server.url, &server.token, checks);
        assert!(
            bad.is_empty(),
            "round {round}: acknowledged events lost or changed after recovery: {bad:#?}\nserver stderr:\n{}",
            server.stderr()
        );
        server.kill();
        eprintln!(
            "round {round:2}: killed after {wait:3} ms; {:3} batches / {events:5} events acknowledged; \
             log {size_at_start} -> {recovered_size} after recovery{} ({} unacknowledged kept); \
             {checked} entries checked ({fresh} from this round); {:.2} s",
            round_acked.len(),
            if interrupted { " (a restart killed first)" } else { "" },
            recovered_size - acked_end.max(size_at_start),
            round_started.elapsed().as_secs_f64()
        );
        all.extend(round_acked);
    }
    assert!(!all.is_empty(), "no batch was ever acknowledged");
    let total: u64 = all.iter().map(|a| a.last + 1 - a.first).sum();
    eprintln!(
        "{rounds} rounds: {} batches / {total} events acknowledged, all recovered; {:.1} s",
        all.len(),
        started.elapsed().as_secs_f64()
    );
}
