//! The HTTP API in-process: `router(AppState)` over a log in a temporary directory, served by
//! `axum::serve` on 127.0.0.1:0 and called with reqwest (and raw TCP for a chunked body).

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use authtrail_ingest::Limits;
use authtrail_ledger::checkpoint::open_checkpoint;
use authtrail_ledger::entry::EntryHeader;
use authtrail_ledger::hash::{leaf_hash, node_hash};
use authtrail_ledger::proof::{verify_consistency, verify_inclusion};
use authtrail_ledger::Hash;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::Value;

mod common;
use common::TestServer;

const ORIGIN: &str = "example.com/http-api-test";

async fn start(limits: Limits) -> TestServer {
    common::start(limits, ORIGIN).await
}

fn small_limits() -> Limits {
    Limits {
        max_body_bytes: 4096,
        max_event_bytes: 2048,
        max_events_per_batch: 1000,
        max_line_bytes: 512,
        ..Limits::default()
    }
}

/// A valid OCSF Authentication event, one line, marked with `marker`.
fn event(marker: &str) -> String {
    format!(
        r#"{{"class_uid":3002,"activity_id":1,"time":1764230400000,"severity_id":1,"status_id":2,"metadata":{{"product":{{"name":"sshd"}},"uid":"{marker}"}},"user":{{"name":"alice"}},"src_endpoint":{{"ip":"203.0.113.7"}}}}"#
    )
}

fn ndjson(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

impl TestServer {
    async fn post(&self, query: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(format!("{}/v1/events{query}", self.base))
            .body(body)
            .send()
            .await
            .expect("POST /v1/events");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let v = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("HTTP {status}: not JSON ({e}): {text:?}"));
        (status, v)
    }

    async fn get(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = resp.status();
        (status, resp.bytes().await.expect("body").to_vec())
    }

    async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let (status, bytes) = self.get(path).await;
        let v = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "GET {path}: HTTP {status}: not JSON ({e}): {:?}",
                String::from_utf8_lossy(&bytes)
            )
        });
        (status, v)
    }

    /// Post valid events; returns their lines and the acknowledged first seq.
    async fn post_events(&self, tag: &str, n: usize) -> (Vec<String>, u64) {
        let lines: Vec<String> = (0..n).map(|i| event(&format!("{tag}-{i}"))).collect();
        let (status, v) = self.post("?source=test", ndjson(&lines)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["accepted"], n, "{v}");
        (lines, v["first_seq"].as_u64().expect("first_seq"))
    }

    /// Wait until the log has integrated (hashed) all `size` entries.
    async fn wait_integrated(&self, size: u64) {
        for _ in 0..2000 {
            if self.log.integrated_size() >= size {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!(
            "entries never integrated: {} of {size}",
            self.log.integrated_size()
        );
    }

    /// The header bytes of entry `seq`, read through the API.
    async fn header_bytes(&self, seq: u64) -> Vec<u8> {
        let (status, v) = self.get_json(&format!("/v1/entries/{seq}")).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        B64.decode(v["header_b64"].as_str().expect("header_b64"))
            .expect("base64")
    }
}

/// Assert the one error shape: `{"error": {"code", "message", "details"}}`.
fn assert_error(status: StatusCode, v: &Value, want_status: StatusCode, code: &str) {
    assert_eq!(status, want_status, "{v}");
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "message: {v}"
    );
    assert!(
        v["error"].as_object().unwrap().contains_key("details"),
        "details: {v}"
    );
}

fn b64_hash(s: &Value) -> Hash {
    let bytes = B64
        .decode(s.as_str().expect("base64 string"))
        .expect("base64");
    bytes.try_into().expect("32 bytes")
}

/// RFC 6962 Merkle tree hash of `leaves` (leaf hashes), written out independently.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => panic!("no leaves"),
        1 => leaves[0],
        n => {
            // The largest power of two below n.
            let p = n.next_power_of_two();
            let k = if p == n { n / 2 } else { p / 2 };
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_json_on_line_3_rejects_the_whole_batch() {
    let s = start(Limits::default()).await;
    s.post_events("before", 1).await;
    let body = format!(
        "{}\n{}\n{{\"class_uid\":3002,}}\n{}\n",
        event("a"),
        event("b"),
        event("c")
    );
    let (status, v) = s.post("", body).await;
    assert_error(status, &v, StatusCode::BAD_REQUEST, "invalid_json");
    assert_eq!(v["error"]["details"]["line"], 3, "{v}");
    assert!(v["error"]["details"]["column"].as_u64().is_some(), "{v}");
    assert_eq!(s.log.size(), 1, "nothing of the rejected batch is written");
    let (status, v) = s.get_json("/v1/entries/1").await;
    assert_error(status, &v, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_array_with_a_bad_element_is_rejected_naming_its_line() {
    let s = start(Limits::default()).await;
    let body = format!("[\n{},\n{},\n{{\"user\": tru}}\n]", event("a"), event("b"));
    let (status, v) = s.post("", body).await;
    assert_error(status, &v, StatusCode::BAD_REQUEST, "invalid_json");
    assert_eq!(v["error"]["details"]["line"], 4, "{v}");
    assert_eq!(s.log.size(), 0);
    // The same array without the bad element is accepted whole.
    let body = format!("[\n{},\n{}\n]", event("a"), event("b"));
    let (status, v) = s.post("", body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (v["first_seq"].as_u64(), v["last_seq"].as_u64()),
        (Some(0), Some(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_missing_required_fields_is_kept_as_unparsed_with_its_raw_bytes() {
    let s = start(Limits::default()).await;
    // No activity_id; odd spacing that a re-encoding would lose.
    let raw = r#"{"class_uid":3002,  "time":1764230400000,"severity_id":1,"status_id":2,"metadata":{"product":{"name":"sshd"}},"user":{"name":"bob"} }"#;
    let body = format!("{}\n{raw}\n", event("fine"));
    let (status, v) = s.post("?source=okta", body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["accepted"], 2, "{v}");
    assert_eq!(v["unparsed"], 1, "{v}");
    assert_eq!(v["by_class"]["Unparsed"], 1, "{v}");
    assert_eq!(v["by_class"]["Authentication"], 1, "{v}");
    assert_eq!(v["unparsed_reasons"][0]["line"], 2, "{v}");
    assert!(
        v["unparsed_reasons"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("activity_id")),
        "{v}"
    );
    let seq = v["last_seq"].as_u64().unwrap();
    let (status, e) = s.get_json(&format!("/v1/entries/{seq}")).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["event"]["class_uid"], 0, "{e}");
    assert_eq!(e["header"]["class_uid"], 0, "{e}");
    assert_eq!(e["header"]["source"], "okta", "{e}");
    assert!(
        e["event"]["status_detail"]
            .as_str()
            .is_some_and(|d| d.contains("activity_id")),
        "status_detail names the missing field: {e}"
    );
    assert_eq!(e["raw"], raw, "raw kept byte for byte");
    assert_eq!(
        B64.decode(e["raw_b64"].as_str().unwrap()).unwrap(),
        raw.as_bytes()
    );
    // The valid one is an Authentication event.
    let (_, first) = s.get_json(&format!("/v1/entries/{}", seq - 1)).await;
    assert_eq!(first["event"]["class_uid"], 3002, "{first}");
    assert_eq!(first["event"]["metadata"]["uid"], "fine", "{first}");
}

/// Send a chunked POST over raw TCP; returns the status code and the whole response.
async fn post_chunked(addr: std::net::SocketAddr, body: Vec<u8>) -> (u16, String) {
    tokio::task::spawn_blocking(move || {
        let mut request = b"POST /v1/events?source=chunked HTTP/1.1\r\nHost: localhost\r\n\
            Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\
            Connection: close\r\n\r\n"
            .to_vec();
        for chunk in body.chunks(1000) {
            request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            request.extend_from_slice(chunk);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
        let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
        tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        tcp.write_all(&request).expect("write request");
        let mut response = Vec::new();
        tcp.read_to_end(&mut response).expect("read response");
        let text = String::from_utf8_lossy(&response).into_owned();
        let code = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {text:?}"));
        (code, text)
    })
    .await
    .expect("chunked request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_413_with_or_without_content_length() {
    let s = start(small_limits()).await;
    let lines: Vec<String> = (0..40).map(|i| event(&format!("big-{i}"))).collect();
    let big = ndjson(&lines);
    assert!(big.len() > 4096 && big.len() < 16 * 1024);
    let (status, v) = s.post("", big.clone()).await;
    assert_error(status, &v, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    assert_eq!(v["error"]["details"]["limit"], 4096, "{v}");
    assert_eq!(s.log.size(), 0);

    // Chunked: no Content-Length to refuse up front.
    let (code, text) = post_chunked(s.addr, big.into_bytes()).await;
    assert_eq!(code, 413, "{text}");
    assert!(text.contains("body_too_large"), "{text}");
    assert_eq!(s.log.size(), 0, "nothing written");

    // A chunked body under the limit is accepted (the raw request itself is sound).
    let small = ndjson(&lines[..3]);
    let (code, text) = post_chunked(s.addr, small.into_bytes()).await;
    assert_eq!(code, 200, "{text}");
    assert_eq!(s.log.size(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_over_the_event_limit_is_413_naming_its_line() {
    let s = start(small_limits()).await;
    let big = format!(
        r#"{{"class_uid":3002,"activity_id":1,"time":1764230400000,"severity_id":1,"status_id":2,"metadata":{{"product":{{"name":"sshd"}}}},"message":"{}"}}"#,
        "x".repeat(2100)
    );
    let body = format!("{}\n{big}\n", event("ok"));
    assert!(body.len() < 4096);
    let (status, v) = s.post("", body).await;
    assert_error(status, &v, StatusCode::PAYLOAD_TOO_LARGE, "event_too_large");
    assert_eq!(v["error"]["details"]["line"], 2, "{v}");
    assert_eq!(v["error"]["details"]["limit"], 2048, "{v}");
    assert_eq!(s.log.size(), 0, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_bodies_unknown_formats_and_bad_sources_are_400() {
    let s = start(Limits::default()).await;
    for body in ["", " \n\t\n", "[]"] {
        let (status, v) = s.post("", body).await;
        assert_error(status, &v, StatusCode::BAD_REQUEST, "empty");
    }
    let (status, v) = s.post("?format=gelf", event("x")).await;
    assert_error(status, &v, StatusCode::BAD_REQUEST, "unknown_format");
    let long = "s".repeat(65);
    for source in ["bad%20source", "", "caf%C3%A9", long.as_str()] {
        let (status, v) = s.post(&format!("?source={source}"), event("x")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "source {source:?}: {v}");
        assert!(v["error"]["code"].is_string(), "{v}");
    }
    assert_eq!(s.log.size(), 0);
    // The same event with a good source and format is accepted.
    let (status, v) = s.post("?format=ndjson&source=vpn@edge-1", event("x")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_not_found_and_bad_seqs() {
    let s = start(Limits::default()).await;
    s.post_events("e", 3).await;
    let (status, v) = s.get_json("/v1/entries/999").await;
    assert_error(status, &v, StatusCode::NOT_FOUND, "not_found");
    let (status, v) = s.get_json("/v1/entries/3").await;
    assert_error(status, &v, StatusCode::NOT_FOUND, "not_found");
    for bad in ["abc", "-1", "1.5", "18446744073709551616"] {
        let (status, v) = s.get_json(&format!("/v1/entries/{bad}")).await;
        assert_error(status, &v, StatusCode::BAD_REQUEST, "bad_request");
    }
    let (status, v) = s.get_json("/v1/nothing-here").await;
    assert_error(status, &v, StatusCode::NOT_FOUND, "not_found");
    let (status, v) = s.get_json("/v1/entries/2").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["seq"], 2);
    assert_eq!(v["event"]["metadata"]["uid"], "e-2", "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proofs_checkpoint_and_tiles_match_the_entries() {
    let s = start(Limits::default()).await;
    for b in 0..3 {
        s.post_events(&format!("batch{b}"), 100).await;
    }
    s.wait_integrated(300).await;
    let mut headers = Vec::new();
    for seq in 0..300 {
        headers.push(s.header_bytes(seq).await);
    }
    let leaves: Vec<Hash> = headers.iter().map(|h| leaf_hash(h)).collect();
    for (seq, h) in headers.iter().enumerate() {
        assert_eq!(
            EntryHeader::decode(h).expect("header").seq,
            seq as u64,
            "header of entry {seq}"
        );
    }

    // Bad proof requests.
    for path in [
        "/v1/proof/inclusion?seq=5&size=301",
        "/v1/proof/inclusion?seq=5&size=100000",
        "/v1/proof/inclusion?seq=300&size=300",
        "/v1/proof/inclusion?seq=abc",
        "/v1/proof/inclusion",
        "/v1/proof/consistency?from=0&to=10",
        "/v1/proof/consistency?from=20&to=10",
        "/v1/proof/consistency?from=10&to=301",
    ] {
        let (status, v) = s.get_json(path).await;
        assert_error(status, &v, StatusCode::BAD_REQUEST, "bad_request");
    }

    // Inclusion proofs verify against the root, which is the tree of the entries' headers.
    for (seq, size) in [
        (0u64, 1u64),
        (0, 300),
        (1, 2),
        (137, 300),
        (255, 256),
        (255, 257),
        (256, 300),
        (299, 300),
        (42, 129),
    ] {
        let (status, v) = s
            .get_json(&format!("/v1/proof/inclusion?seq={seq}&size={size}"))
            .await;
        assert_eq!(status, StatusCode::OK, "seq {seq} size {size}: {v}");
        assert_eq!(v["tree_size"], size);
        let root = b64_hash(&v["root"]);
        assert_eq!(root, mth(&leaves[..size as usize]), "root of size {size}");
        let leaf = b64_hash(&v["leaf_hash"]);
        assert_eq!(leaf, leaves[seq as usize], "leaf hash of {seq}");
        let proof: Vec<Hash> = v["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(b64_hash)
            .collect();
        verify_inclusion(seq, size, &leaves[seq as usize], &proof, &root)
            .unwrap_or_else(|e| panic!("seq {seq} size {size}: {e}"));
        if seq + 1 < size {
            assert!(
                verify_inclusion(seq + 1, size, &leaves[seq as usize], &proof, &root).is_err(),
                "the proof is for seq {seq} only"
            );
        }
    }

    // Consistency proofs.
    for (from, to) in [(1u64, 300u64), (100, 300), (256, 257), (7, 7), (255, 299)] {
        let (status, v) = s
            .get_json(&format!("/v1/proof/consistency?from={from}&to={to}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{from}..{to}: {v}");
        let (r1, r2) = (b64_hash(&v["from_root"]), b64_hash(&v["to_root"]));
        assert_eq!(r1, mth(&leaves[..from as usize]));
        assert_eq!(r2, mth(&leaves[..to as usize]));
        let proof: Vec<Hash> = v["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(b64_hash)
            .collect();
        verify_consistency(from, to, &proof, &r1, &r2)
            .unwrap_or_else(|e| panic!("{from}..{to}: {e}"));
    }

    // The checkpoint opens with the log's verifier; once published it covers all 300.
    s.log.publish_now().expect("publish");
    let (status, note) = s.get("/checkpoint").await;
    assert_eq!(status, StatusCode::OK);
    let cp = open_checkpoint(&note, &s.log.verifier()).expect("checkpoint opens with the key");
    assert_eq!(cp.origin, ORIGIN);
    assert_eq!(cp.size, 300);
    assert_eq!(cp.root, mth(&leaves));
    let other = authtrail_ledger::note::Ed25519Signer::generate(ORIGIN).unwrap();
    assert!(
        open_checkpoint(&note, &other.verifier()).is_err(),
        "another key does not open it"
    );
    // Default sizes are the checkpoint's.
    let (status, v) = s.get_json("/v1/proof/inclusion?seq=10").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["tree_size"], 300, "{v}");
    let (status, v) = s.get_json("/v1/proof/consistency?from=10").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["to"], 300, "{v}");

    // Hash tiles: level 0 is the leaf hashes, level 1 the hashes of 256-leaf subtrees.
    let (status, tile) = s.get("/tile/0/000").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tile, leaves[..256].concat(), "tile/0/000");
    let (status, tile) = s.get("/tile/0/001.p/44").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tile, leaves[256..300].concat(), "tile/0/001.p/44");
    let (status, tile) = s.get("/tile/1/000.p/1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tile, mth(&leaves[..256]).to_vec(), "tile/1/000.p/1");
    // Entry bundles: u16 length and header bytes.
    let mut bundle = Vec::new();
    for h in &headers[256..300] {
        bundle.extend_from_slice(&(h.len() as u16).to_be_bytes());
        bundle.extend_from_slice(h);
    }
    let (status, got) = s.get("/tile/entries/001.p/44").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, bundle, "tile/entries/001.p/44");
    let (status, got) = s.get("/tile/entries/000").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        got.len(),
        headers[..256].iter().map(|h| h.len() + 2).sum::<usize>()
    );

    // Tiles that do not exist (yet) or paths that are not canonical are 404.
    for path in [
        "/tile/0/001.p/45",
        "/tile/0/002",
        "/tile/0/001",
        "/tile/1/000",
        "/tile/entries/001",
        "/tile/0/0",
        "/tile/0/000.p/0",
        "/tile/0/000.p/256",
        "/tile/0/001.p/044",
        "/tile/abc/000",
        "/tile/64/000",
        "/tile/0/x000/001",
        "/tile/",
    ] {
        let (status, body) = s.get(path).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            String::from_utf8_lossy(&body)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers() {
    let s = start(Limits::default()).await;
    s.post_events("h", 2).await;
    let (status, v) = s.get_json("/healthz").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "ok", "{v}");
    assert_eq!(v["size"], 2, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batches_get_disjoint_ranges_covering_the_log() {
    let s = Arc::new(start(Limits::default()).await);
    let tasks: Vec<_> = (0..16)
        .map(|t| {
            let s = s.clone();
            tokio::spawn(async move {
                let mut acked = Vec::new();
                for b in 0..20usize {
                    let n = 1 + (t * 7 + b * 13) % 10;
                    let lines: Vec<String> =
                        (0..n).map(|i| event(&format!("t{t}-b{b}-{i}"))).collect();
                    let (status, v) = s.post("?source=concurrent", ndjson(&lines)).await;
                    assert_eq!(status, StatusCode::OK, "task {t} batch {b}: {v}");
                    let first = v["first_seq"].as_u64().unwrap();
                    let last = v["last_seq"].as_u64().unwrap();
                    assert_eq!(last + 1 - first, n as u64, "{v}");
                    acked.push((first, last, lines));
                }
                acked
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    assert_eq!(all.len(), 16 * 20);
    all.sort_by_key(|a| a.0);
    let mut next = 0u64;
    for (first, last, _) in &all {
        assert_eq!(*first, next, "ranges are disjoint and leave no gap");
        next = last + 1;
    }
    assert_eq!(next, s.log.size(), "the ranges cover the whole log");
    // Each range holds the batch that was acknowledged with it.
    for (first, last, lines) in &all {
        for (seq, line) in [(*first, &lines[0]), (*last, &lines[lines.len() - 1])] {
            let (status, v) = s.get_json(&format!("/v1/entries/{seq}")).await;
            assert_eq!(status, StatusCode::OK, "{v}");
            assert_eq!(v["raw"].as_str(), Some(line.as_str()), "entry {seq}");
        }
    }
}

/// `POST /v1/raw`: text lines of any kind are all kept; what no parser understands is counted
/// as unparsed with its reason, invalid UTF-8 is stored exactly and shown escaped. (A line over
/// the line limit is a 413 over HTTP: `limits.rs`.)
#[tokio::test]
async fn raw_lines_are_parsed_kept_and_counted() {
    let server = start(small_limits()).await;
    let mut body = Vec::new();
    body.extend_from_slice(
        b"Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 203.0.113.9 port 5000 ssh2\n",
    );
    body.extend_from_slice(b"\x00\x01\x02\xff\xfe binary garbage\n");
    body.extend_from_slice(
        b"Dec 10 06:55:47 LabSZ sshd[24201]: Invalid user b\xffd from 203.0.113.10\n",
    );
    body.extend_from_slice(
        b"<999>Dec 10 06:55:48 LabSZ sshd[1]: Accepted password for a from 1.2.3.4 port 1 ssh2\n",
    );
    let resp = server
        .http
        .post(format!("{}/v1/raw?source=hostlogs", server.base))
        .body(body.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Value = resp.json().await.expect("json");
    assert_eq!(v["accepted"], 4, "{v}");
    assert_eq!(v["unparsed"], 2, "{v}");
    assert_eq!(v["truncated"], 0, "{v}");
    assert_eq!(v["by_parser"]["sshd"], 2, "{v}");
    let reasons = v["unparsed_reasons"].to_string();
    assert!(reasons.contains("matches no format"), "{reasons}");
    assert!(reasons.contains("bad syslog PRI"), "{reasons}");
    let first = v["first_seq"].as_u64().expect("first_seq");

    let entry = |seq: u64| {
        let server = &server;
        async move { server.get_json(&format!("/v1/entries/{seq}")).await.1 }
    };
    let e = entry(first).await;
    assert_eq!(e["event"]["class_uid"], 3002);
    assert_eq!(e["event"]["status_id"], 2);
    assert_eq!(e["event"]["user"]["name"], "root");
    assert_eq!(e["event"]["src_endpoint"]["ip"], "203.0.113.9");
    assert_eq!(e["event"]["metadata"]["log_format"], "sshd");
    assert_eq!(e["header"]["source"], "hostlogs");
    // Garbage: kept byte for byte, shown escaped.
    let e = entry(first + 1).await;
    assert_eq!(e["event"]["class_uid"], 0);
    assert_eq!(
        B64.decode(e["raw_b64"].as_str().unwrap()).unwrap(),
        b"\x00\x01\x02\xff\xfe binary garbage"
    );
    assert_eq!(e["raw"], "\u{0}\u{1}\u{2}\\xff\\xfe binary garbage");
    assert_eq!(e["raw_is_utf8"], false);
    // Invalid UTF-8 inside a parsed line: the user name shows the byte escaped.
    let e = entry(first + 2).await;
    assert_eq!(e["event"]["user"]["name"], "b\\xffd");
    // An unknown format is a 400 naming the formats.
    let resp = server
        .http
        .post(format!("{}/v1/raw?format=gelf", server.base))
        .body("x\n")
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let text = resp.text().await.unwrap();
    assert!(text.contains("auditd"), "{text}");
}
