//! The endpoints the web UI reads beside the query API, and the UI's files:
//! `GET /v1/stats` (events over time by outcome, checked against known input), `GET /v1/log`
//! (tree size and checkpoint), `POST /v1/verify` (success, then failure on a damaged log),
//! `GET /v1/evidence/{seq}` (a bundle that verifies), and `/`, `/ui/...` (content types, CSP).

use std::io::{Seek, SeekFrom, Write};

use authtrail_ingest::Limits;
use authtrail_ledger::evidence::Evidence;
use serde_json::Value;

mod common;
use common::TestServer;

/// 2026-11-27T10:00:00Z in ms.
const T0: i64 = 1_795_773_600_000;
const MINUTE: i64 = 60_000;

/// An OCSF authentication event at `time` with `status_id`, from `ip`.
fn event(time: i64, status_id: u8, user: &str, ip: &str) -> String {
    format!(
        r#"{{"class_uid":3002,"activity_id":1,"time":{time},"severity_id":1,"status_id":{status_id},"metadata":{{"product":{{"name":"sshd"}}}},"user":{{"name":"{user}"}},"src_endpoint":{{"ip":"{ip}"}}}}"#
    )
}

/// Post NDJSON events as `source` and wait until a checkpoint covers them.
async fn ingest(s: &TestServer, source: &str, events: &[String]) {
    let body: String = events.iter().map(|e| format!("{e}\n")).collect();
    let r = s
        .http
        .post(format!("{}/v1/events?format=json&source={source}", s.base))
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    s.publish().await;
}

/// The known input: minute 0 has 2 successes and 1 failure, minute 1 nothing, minute 2 has
/// 3 failures and 1 event of unknown status, and one failure falls just outside the span.
fn known_events() -> Vec<String> {
    vec![
        event(T0 + 1_000, 1, "alice", "198.51.100.1"),
        event(T0 + 59_999, 1, "alice", "198.51.100.1"),
        event(T0 + 30_000, 2, "bob", "203.0.113.9"),
        event(T0 + 2 * MINUTE, 2, "bob", "203.0.113.9"),
        event(T0 + 2 * MINUTE + 5, 2, "bob", "203.0.113.9"),
        event(T0 + 2 * MINUTE + 59_000, 2, "carol", "203.0.113.9"),
        event(T0 + 2 * MINUTE + 7, 0, "dave", "203.0.113.10"),
        event(T0 - 1, 2, "early", "203.0.113.11"),
        event(T0 + 3 * MINUTE, 2, "late", "203.0.113.12"),
    ]
}

/// The `error.message` of an error answer.
fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

fn counts(bucket: &Value) -> (u64, u64, u64) {
    let n = |k: &str| {
        bucket[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{k} in {bucket}"))
    };
    (n("success"), n("failure"), n("other"))
}

/// `GET /v1/stats?since=&until=` on a server holding [`known_events`].
async fn stats_of_known_events(since: &str, until: &str) -> Value {
    let s = common::start(Limits::default(), "example.com/ui-stats").await;
    ingest(&s, "web1", &known_events()).await;
    let (code, stats) = s
        .get_query("/v1/stats", &[("since", since), ("until", until)])
        .await;
    assert_eq!(code, 200, "{stats}");
    stats
}

#[tokio::test]
async fn stats_counts_each_minute_by_outcome() {
    let stats = stats_of_known_events("2026-11-27T10:00:00Z", "2026-11-27T10:03:00Z").await;
    assert_eq!(stats["bucket_ms"], MINUTE, "{stats}");
    assert_eq!(stats["since"], T0);
    let buckets = stats["buckets"].as_array().expect("buckets");
    assert_eq!(buckets.len(), 3, "{stats}");
    let starts: Vec<i64> = buckets
        .iter()
        .map(|b| b["start"].as_i64().expect("start"))
        .collect();
    assert_eq!(starts, [T0, T0 + MINUTE, T0 + 2 * MINUTE]);
    assert_eq!(counts(&buckets[0]), (2, 1, 0));
    assert_eq!(counts(&buckets[1]), (0, 0, 0));
    assert_eq!(counts(&buckets[2]), (0, 3, 1));
    assert_eq!(counts(&stats["totals"]), (2, 4, 1));
    assert_eq!(stats["events"], 7);
    assert_eq!(stats["complete"], true);
}

#[tokio::test]
async fn stats_over_a_day_uses_wider_buckets() {
    let stats = stats_of_known_events("2026-11-27", "2026-11-28").await;
    assert_eq!(stats["bucket_ms"], 12 * MINUTE, "{stats}");
    assert_eq!(stats["buckets"].as_array().expect("buckets").len(), 120);
    // 10:00 starts bucket 50 of the day (50 × 12 min); the event a millisecond before is in 49.
    assert_eq!(counts(&stats["buckets"][49]), (0, 1, 0), "{stats}");
    assert_eq!(counts(&stats["buckets"][50]), (2, 5, 1), "{stats}");
    assert_eq!(counts(&stats["totals"]), (2, 6, 1));
}

#[tokio::test]
async fn stats_refuses_bad_times_by_name() {
    let s = common::start(Limits::default(), "example.com/ui-stats-bad").await;
    let (code, body) = s.get_query("/v1/stats", &[("since", "yesterday")]).await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
    assert!(
        message(&body).contains("since \"yesterday\" is not a time"),
        "{body}"
    );
    assert_eq!(body["error"]["details"]["param"], "since");

    let (code, body) = s
        .get_query("/v1/stats", &[("since", "1h"), ("until", "2h")])
        .await;
    assert_eq!(code, 400, "{body}");
    assert!(
        message(&body).contains("since must be before until"),
        "{body}"
    );
}

#[tokio::test]
async fn log_state_names_sizes_and_the_checkpoint() {
    let s = common::start(Limits::default(), "example.com/ui-log").await;
    ingest(&s, "web1", &known_events()).await;
    let (code, state) = s.get_query("/v1/log", &[]).await;
    assert_eq!(code, 200, "{state}");
    assert_eq!(state["size"], 9, "{state}");
    assert_eq!(state["checkpoint"]["size"], 9, "{state}");
    assert_eq!(state["checkpoint"]["origin"], "example.com/ui-log");
    let note = state["checkpoint"]["note"].as_str().expect("note");
    assert!(note.starts_with("example.com/ui-log\n9\n"), "{note}");
    assert!(
        state["checkpoint"]["written_at"].as_i64().is_some(),
        "{state}"
    );
    assert!(state["checkpoint"]["age_ms"]
        .as_i64()
        .is_some_and(|a| a >= 0));
    assert!(state["verifier_key"]
        .as_str()
        .is_some_and(|k| k.starts_with("example.com/ui-log+")));
}

async fn verify(s: &TestServer) -> Value {
    let r = s
        .http
        .post(format!("{}/v1/verify", s.base))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    r.json().await.expect("JSON")
}

#[tokio::test]
async fn verify_reports_success_then_the_damage() {
    let s = common::start(Limits::default(), "example.com/ui-verify").await;
    ingest(&s, "web1", &known_events()).await;
    let ok = verify(&s).await;
    assert_eq!(ok["ok"], true, "{ok}");
    assert_eq!(ok["size"], 9, "{ok}");
    assert_eq!(ok["entries"], 9, "{ok}");

    // Change one byte of entry 3's header slot (its seq field area) on disk.
    let headers = s.log.layout().headers();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .read(true)
        .open(&headers)
        .expect("open headers");
    file.seek(SeekFrom::Start(3 * 192 + 20)).expect("seek");
    file.write_all(&[0xff]).expect("write");
    file.sync_all().expect("sync");
    drop(file);

    let bad = verify(&s).await;
    assert_eq!(bad["ok"], false, "{bad}");
    assert_eq!(bad["damage"]["seq"], 3, "{bad}");
    assert_eq!(bad["damage"]["kind"], "entry altered", "{bad}");
    let said = bad["message"].as_str().unwrap_or_default();
    assert!(said.starts_with("first bad seq 3: entry altered"), "{bad}");
}

#[tokio::test]
async fn evidence_is_a_download_that_verifies() {
    let s = common::start(Limits::default(), "example.com/ui-evidence").await;
    ingest(&s, "web1", &known_events()).await;
    let r = s
        .http
        .get(format!("{}/v1/evidence/4", s.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"authtrail-evidence-4.json\""
    );
    let text = r.text().await.expect("body");
    let evidence = Evidence::from_json(&text).expect("a bundle");
    let proven = evidence.verify(&s.log.verifier()).expect("verifies");
    assert_eq!(proven.header.seq, 4);
    assert!(proven.bodies_checked);

    let (code, body) = s.get_query("/v1/evidence/99", &[]).await;
    assert_eq!(code, 404, "{body}");
    assert!(
        message(&body).contains("entry 99 is not covered by the latest checkpoint (size 9)"),
        "{body}"
    );
    let (code, body) = s.get_query("/v1/evidence/x", &[]).await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(
        body["error"]["message"],
        "seq \"x\" is not a non-negative integer"
    );
}

#[tokio::test]
async fn the_ui_is_served_with_types_and_a_strict_policy() {
    let s = common::start(Limits::default(), "example.com/ui-files").await;
    for (path, want) in [
        ("/", "text/html; charset=utf-8"),
        ("/ui/app.css", "text/css; charset=utf-8"),
        ("/ui/js/main.js", "text/javascript; charset=utf-8"),
        (
            "/ui/js/pages/dashboard.js",
            "text/javascript; charset=utf-8",
        ),
        ("/ui/icon.svg", "image/svg+xml"),
    ] {
        let r = s
            .http
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], want, "{path}");
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .expect("ascii");
        assert!(csp.starts_with("default-src 'self';"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    }
    let page = s
        .http
        .get(format!("{}/", s.base))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(page.contains(r#"<script type="module" src="/ui/js/main.js"></script>"#));

    let (code, body) = s.get_query("/ui/js/nope.js", &[]).await;
    assert_eq!(code, 404, "{body}");
    assert_eq!(body["error"]["message"], "no UI file /ui/js/nope.js");
}
