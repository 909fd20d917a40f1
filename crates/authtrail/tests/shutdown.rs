//! Graceful shutdown: `authtrail serve` gets SIGTERM while clients keep posting batches. Every
//! request is either answered 200 with seqs that hold its events after a restart, or refused
//! (connection refused or closed, or a non-200 answer after the signal); the process exits 0
//! having signed a final checkpoint whose size is the log's size; the log verifies.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{bearer_client, events, expect_code, init, ndjson, run_in, Rng, Server};
use serde_json::Value;

const CLIENTS: usize = 4;

/// One acknowledged batch: its first seq and its lines.
struct Acked {
    first: u64,
    lines: Vec<String>,
}

/// What the clients saw.
#[derive(Default)]
struct Seen {
    acked: Vec<Acked>,
    /// Failures before the signal (none may happen).
    failures: Vec<String>,
    /// Requests refused after the signal (how, for the log).
    refused: Vec<String>,
}

/// Posts batches until a request fails or is refused after the signal.
fn run_client(
    token: String,
    url: String,
    id: usize,
    mut rng: Rng,
    signalled: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
    in_flight: Arc<AtomicUsize>,
) {
    let http = bearer_client(&token);
    let endpoint = format!("{url}/v1/events?source=term-client-{id}");
    loop {
        let n = rng.range(1, 200) as usize;
        let lines = events(&format!("term-c{id}"), n);
        let before = signalled.load(Ordering::SeqCst);
        let outcome = http
            .post(&endpoint)
            .body(ndjson(&lines))
            .send()
            .and_then(|r| {
                let status = r.status();
                r.text().map(|t| (status, t))
            });
        let after = signalled.load(Ordering::SeqCst);
        let mut seen = seen.lock().unwrap();
        match outcome {
            Ok((status, text)) if status == reqwest::StatusCode::OK => {
                let v: Value = serde_json::from_str(&text).expect("a 200 has a JSON body");
                let first = v["first_seq"].as_u64().expect("first_seq");
                let last = v["last_seq"].as_u64().expect("last_seq");
                assert_eq!(last + 1 - first, n as u64, "{text}");
                if !before && after {
                    in_flight.fetch_add(1, Ordering::SeqCst);
                }
                seen.acked.push(Acked { first, lines });
            }
            Ok((status, text)) if after => {
                seen.refused.push(format!("HTTP {status}: {text}"));
                return;
            }
            Err(e) if after => {
                let mut why = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    why.push_str(&format!(": {s}"));
                    source = s.source();
                }
                seen.refused.push(why);
                return;
            }
            Ok((status, text)) => {
                seen.failures
                    .push(format!("client {id}: HTTP {status}: {text}"));
                return;
            }
            Err(e) => {
                seen.failures.push(format!("client {id}: {e}"));
                return;
            }
        }
    }
}

/// The tree size of `authtrail checkpoint`'s note (its second line).
fn checkpoint_size(dir: &std::path::Path) -> u64 {
    let (note, _) = expect_code(&run_in(dir, &["checkpoint"]), 0, "checkpoint");
    note.lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("a checkpoint note: {note}"))
}

#[test]
fn sigterm_answers_or_refuses_every_request_and_signs_a_final_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir);
    let mut server = Server::start(&dir);
    let signalled = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut rng = Rng::from_env_or_time("shutdown");
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| {
            let (token, url, rng, signalled, seen, in_flight) = (
                server.token.clone(),
                server.url.clone(),
                Rng::new(rng.next_u64()),
                signalled.clone(),
                seen.clone(),
                in_flight.clone(),
            );
            thread::spawn(move || run_client(token, url, id, rng, signalled, seen, in_flight))
        })
        .collect();

    // Let the clients get going, then signal while their requests are in flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().acked.len() < 20 {
        assert!(
            Instant::now() < deadline,
            "clients made no progress: {}",
            server.stderr()
        );
        assert!(
            seen.lock().unwrap().failures.is_empty(),
            "{:?}",
            seen.lock().unwrap().failures
        );
        thread::sleep(Duration::from_millis(5));
    }
    thread::sleep(Duration::from_millis(rng.range(0, 50)));
    signalled.store(true, Ordering::SeqCst);
    let pid = server.child.id().to_string();
    let kill = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(kill.success(), "kill -TERM {pid}");

    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("wait for serve") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "serve still running 120 s after SIGTERM: {}",
            server.stderr()
        );
        thread::sleep(Duration::from_millis(20));
    };
    for c in clients {
        c.join().expect("client thread");
    }
    let stderr = server.stderr();
    assert_eq!(
        status.code(),
        Some(0),
        "serve's exit after SIGTERM: {status:?}\n{stderr}"
    );
    let seen = Arc::try_unwrap(seen).ok().unwrap().into_inner().unwrap();
    assert!(
        seen.failures.is_empty(),
        "failures before the signal: {:?}",
        seen.failures
    );
    let final_size: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("shut down cleanly; final checkpoint at size "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no final checkpoint reported:\n{stderr}"));
    eprintln!(
        "acknowledged {} batches ({} sent before the signal and answered after it); refused {}: {:?}",
        seen.acked.len(),
        in_flight.load(Ordering::SeqCst),
        seen.refused.len(),
        seen.refused
    );

    // The final checkpoint is on disk and covers the whole log; the log verifies as it is.
    assert_eq!(checkpoint_size(&dir), final_size);
    expect_code(&run_in(&dir, &["verify"]), 0, "verify after SIGTERM");
    drop(server);
    let restarted = Server::start(&dir);
    assert_eq!(
        restarted.log_size, final_size,
        "the log's size is the final checkpoint's"
    );

    // Every acknowledged event is in the log at the seq it was acknowledged with.
    let http = restarted.client();
    let acked_events: usize = seen.acked.iter().map(|a| a.lines.len()).sum();
    assert!(acked_events as u64 <= final_size);
    for batch in &seen.acked {
        for (i, line) in batch.lines.iter().enumerate() {
            let seq = batch.first + i as u64;
            let entry: Value = http
                .get(format!("{}/v1/entries/{seq}", restarted.url))
                .send()
                .and_then(|r| r.error_for_status())
                .and_then(|r| r.json())
                .unwrap_or_else(|e| panic!("acknowledged seq {seq}: {e}"));
            assert_eq!(
                entry["raw"].as_str(),
                Some(line.as_str()),
                "acknowledged seq {seq}"
            );
        }
    }
    restarted.kill();
}
