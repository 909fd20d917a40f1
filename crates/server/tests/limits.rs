//! Every input and request limit answered over HTTP: 413 for a body, a batch, an event, a line
//! or a field over its limit on each ingest route (in the route's error shape, naming the line,
//! the field and the limit), 429 with `Retry-After` past the concurrent-request limit and past a
//! token's ingest rate; nothing written by a refused batch.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use authtrail_ingest::Limits;
use authtrail_server::auth::{Access, Scope, TokenSpec, TokenStore};
use authtrail_server::limits::ServerLimits;
use reqwest::StatusCode;
use serde_json::Value;

mod common;
use common::TestServer;

const ORIGIN: &str = "example.com/limits-test";

fn event(i: usize) -> String {
    format!(
        r#"{{"class_uid":3002,"activity_id":1,"time":1764230400000,"severity_id":1,"status_id":2,"metadata":{{"product":{{"name":"sshd"}},"uid":"e{i}"}},"user":{{"name":"alice"}}}}"#
    )
}

fn events(n: usize) -> String {
    (0..n).map(|i| event(i) + "\n").collect()
}

fn lines(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "Dec 10 06:55:46 h sshd[{i}]: Failed password for a from 192.0.2.1 port {i} ssh2\n"
            )
        })
        .collect()
}

/// An OTLP/JSON request with `n` log records.
fn otlp(n: usize) -> String {
    let records: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"body":{{"stringValue":"record {i}"}}}}"#))
        .collect();
    format!(
        r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{}]}}]}}]}}"#,
        records.join(",")
    )
}

struct Answer {
    status: StatusCode,
    retry_after: Option<String>,
    body: Value,
}

impl Answer {
    /// The `{"error": …}` code, or OTLP's `google.rpc.Status` code as text.
    fn code(&self) -> String {
        match &self.body["error"]["code"] {
            Value::String(s) => s.clone(),
            _ => self.body["code"].to_string(),
        }
    }

    fn message(&self) -> &str {
        self.body["error"]["message"]
            .as_str()
            .or(self.body["message"].as_str())
            .unwrap_or("")
    }
}

async fn post(s: &TestServer, path: &str, token: Option<&str>, body: String) -> Answer {
    let mut req = s.http.post(format!("{}{path}", s.base)).body(body);
    if path.starts_with("/v1/logs") {
        req = req.header("content-type", "application/json");
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("post");
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        retry_after,
        body,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_ingest_route_answers_413_past_the_body_and_batch_limits() {
    let limits = Limits {
        max_body_bytes: 4096,
        max_event_bytes: 2048,
        max_events_per_batch: 3,
        max_line_bytes: 1024,
        ..Limits::default()
    };
    let s = common::start(limits, ORIGIN).await;
    let big = || "x".repeat(5000);
    for path in ["/v1/events", "/v1/raw"] {
        let a = post(&s, path, None, big()).await;
        assert_eq!(
            a.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{path}: {}",
            a.body
        );
        assert_eq!(a.code(), "body_too_large", "{path}");
        assert_eq!(a.body["error"]["details"]["limit"], 4096);
        assert!(a.message().contains("4096-byte limit"), "{}", a.message());
    }
    let a = post(&s, "/v1/logs", None, big()).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(a.code(), "8", "RESOURCE_EXHAUSTED");
    assert!(a.message().contains("4096-byte limit"), "{}", a.message());

    for (path, body) in [
        ("/v1/events", events(4)),
        ("/v1/raw", lines(4)),
        ("/v1/logs", otlp(4)),
    ] {
        assert!(body.len() < 4096);
        let a = post(&s, path, None, body).await;
        assert_eq!(
            a.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{path}: {}",
            a.body
        );
        assert!(a.message().contains("3"), "{path}: {}", a.message());
        if path != "/v1/logs" {
            assert_eq!(a.code(), "too_many_events", "{path}");
            assert_eq!(a.body["error"]["details"]["limit"], 3, "{path}");
        }
    }
    assert_eq!(s.log.size(), 0, "nothing written");
    // At the limits, each route accepts.
    for (path, body) in [
        ("/v1/events", events(3)),
        ("/v1/raw", lines(3)),
        ("/v1/logs", otlp(3)),
    ] {
        let a = post(&s, path, None, body).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.body);
    }
    assert_eq!(s.log.size(), 9);
}

/// An OTLP/JSON request with two log records, the second a login (authtrail's event
/// vocabulary) of user `name`.
fn otlp_login(name: &str) -> String {
    let login = format!(
        r#"{{"timeUnixNano":"1764230400000000000","eventName":"authtrail.login","attributes":[{{"key":"user.name","value":{{"stringValue":"{name}"}}}},{{"key":"authtrail.outcome","value":{{"stringValue":"success"}}}}]}}"#
    );
    format!(
        r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{{"body":{{"stringValue":"ok"}}}},{login}]}}]}}]}}"#
    )
}

/// One request refused past a size limit: the status, the error code (OTLP's is `8`,
/// RESOURCE_EXHAUSTED), and the line, limit and field named in the details (the API's shape)
/// or the message (OTLP's).
struct Refusal<'a> {
    path: &'a str,
    body: String,
    code: &'a str,
    line: usize,
    limit: usize,
    field: Option<&'a str>,
}

async fn assert_refused(s: &TestServer, r: Refusal<'_>) {
    let Refusal {
        path,
        body,
        code,
        line,
        limit,
        field,
    } = r;
    let a = post(s, path, None, body).await;
    assert_eq!(
        a.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{path}: {}",
        a.body
    );
    let message = a.message();
    assert!(
        message.contains(&format!("{limit}-byte")),
        "{path}: {message}"
    );
    assert!(
        message.contains(&format!("line {line}")),
        "{path}: {message}"
    );
    if let Some(field) = field {
        assert!(
            message.contains(&format!("field {field} ")),
            "{path}: {message}"
        );
    }
    if path.starts_with("/v1/logs") {
        assert_eq!(a.code(), "8", "{path}: RESOURCE_EXHAUSTED");
        return;
    }
    assert_eq!(a.code(), code, "{path}: {}", a.body);
    let details = &a.body["error"]["details"];
    assert_eq!(details["line"], line, "{path}: {details}");
    assert_eq!(details["limit"], limit, "{path}: {details}");
    if let Some(field) = field {
        assert_eq!(details["field"], field, "{path}: {details}");
    }
}

/// An OCSF event (line `n` of its batch) whose user name is `name`.
fn event_named(name: &str) -> String {
    event(0).replace(r#""name":"alice""#, &format!(r#""name":"{name}""#))
}

/// An sshd line naming user `name`.
fn sshd_line(name: &str) -> String {
    format!("Dec 10 06:55:46 h sshd[7]: Invalid user {name} from 192.0.2.1 port 22\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_ingest_route_answers_413_past_the_event_line_and_field_limits_writing_nothing() {
    let limits = Limits {
        max_body_bytes: 64 * 1024,
        max_event_bytes: 8192,
        max_events_per_batch: 100,
        max_line_bytes: 4096,
        max_field_bytes: 1024,
    };
    let s = common::start(limits, ORIGIN).await;
    let first = event(1) + "\n";
    let field = "u".repeat(1025);
    let cases = [
        // One event (record) over 8192 bytes.
        Refusal {
            path: "/v1/events",
            body: format!("{first}{{\"pad\":\"{}\"}}\n", "p".repeat(9000)),
            code: "event_too_large",
            line: 2,
            limit: 8192,
            field: None,
        },
        Refusal {
            path: "/v1/logs",
            body: otlp_login(&"p".repeat(9000)),
            code: "event_too_large",
            line: 2,
            limit: 8192,
            field: None,
        },
        // One text line over 4096 bytes (JSON records are bounded by the event limit).
        Refusal {
            path: "/v1/raw",
            body: format!("{}{}", lines(2), sshd_line(&"l".repeat(5000))),
            code: "line_too_long",
            line: 3,
            limit: 4096,
            field: None,
        },
        Refusal {
            path: "/v1/events?format=syslog",
            body: format!("{}{}", lines(1), sshd_line(&"l".repeat(5000))),
            code: "line_too_long",
            line: 2,
            limit: 4096,
            field: None,
        },
        // One string of the event over 1024 bytes, typed or not.
        Refusal {
            path: "/v1/events",
            body: format!("{first}{}\n", event_named(&field)),
            code: "field_too_long",
            line: 2,
            limit: 1024,
            field: Some("user.name"),
        },
        Refusal {
            path: "/v1/events",
            body: format!(
                "{first}\n\n{}\n",
                event(2).replace("}}", &format!("}},\"unmapped\":{{\"note\":\"{field}\"}}}}"))
            ),
            code: "field_too_long",
            line: 4,
            limit: 1024,
            field: Some("unmapped.note"),
        },
        Refusal {
            path: "/v1/raw",
            body: format!("{}{}", lines(1), sshd_line(&field)),
            code: "field_too_long",
            line: 2,
            limit: 1024,
            // The sshd parser's message (the line after its header) is the first string over.
            field: Some("message"),
        },
        Refusal {
            path: "/v1/logs",
            body: otlp_login(&field),
            code: "field_too_long",
            line: 2,
            limit: 1024,
            field: Some("user.name"),
        },
    ];
    for case in cases {
        assert_refused(&s, case).await;
    }
    assert_eq!(s.log.size(), 0, "a refused batch writes nothing");
    // At each limit, every route accepts (the sshd message is 36 bytes longer than the name).
    let at = "u".repeat(1024);
    for (path, body) in [
        ("/v1/events", event_named(&at)),
        ("/v1/raw", sshd_line(&at[36..])),
        ("/v1/logs", otlp_login(&at)),
    ] {
        let a = post(&s, path, None, body).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.body);
    }
    assert_eq!(s.log.size(), 4);
}

async fn healthz(s: &TestServer) -> reqwest::Response {
    let url = format!("{}/healthz", s.base);
    s.http.get(url).send().await.expect("GET /healthz")
}

/// Open a POST whose chunked body is left unfinished, so the request stays in progress.
fn hold_a_request(addr: std::net::SocketAddr) -> std::net::TcpStream {
    let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
    let first = event(0) + "\n";
    let head = format!(
        "POST /v1/events?source=slow HTTP/1.1\r\nHost: localhost\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{first}\r\n",
        first.len()
    );
    tcp.write_all(head.as_bytes()).expect("write");
    tcp
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_the_concurrency_limit_get_429_with_retry_after() {
    let one = ServerLimits {
        max_concurrent_requests: 1,
        ..ServerLimits::default()
    };
    let s = common::start_with(Limits::default(), ORIGIN, |state, _| {
        state.with_server_limits(one)
    })
    .await;
    let addr = s.addr;
    let mut held = tokio::task::spawn_blocking(move || hold_a_request(addr))
        .await
        .unwrap();
    // Once the held request is in its handler, every other request is refused at once.
    let deadline = Instant::now() + Duration::from_secs(30);
    let refused = loop {
        let resp = healthz(&s).await;
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            break resp;
        }
        assert!(Instant::now() < deadline, "never refused");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(refused.headers()["retry-after"], "1");
    let v: Value = refused.json().await.unwrap();
    assert_eq!(v["error"]["code"], "too_many_requests", "{v}");
    assert_eq!(v["error"]["details"]["limit"], 1, "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("limit of 1 requests at once"), "{message}");
    // The held request completes; then the server answers again.
    let response = tokio::task::spawn_blocking(move || {
        held.write_all(b"0\r\n\r\n").unwrap();
        let mut text = String::new();
        held.read_to_string(&mut text).unwrap();
        text
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert_eq!(healthz(&s).await.status(), StatusCode::OK);
}

/// A token in the server's data directory.
fn token(dir: &std::path::Path, scopes: &[Scope]) -> String {
    let spec = TokenSpec {
        scopes: scopes.to_vec(),
        ..TokenSpec::default()
    };
    TokenStore::in_data_dir(dir).create(&spec).unwrap().1
}

/// Whole seconds since `t`, rounded up: how far a bucket may have refilled.
fn secs_since(t: Instant) -> u64 {
    t.elapsed().as_secs() + 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_its_ingest_rate_gets_429_with_retry_after_and_writes_nothing() {
    let slow = ServerLimits {
        ingest_events_per_second: 1,
        ingest_burst_events: 20,
        ..ServerLimits::default()
    };
    let s = common::start_with(Limits::default(), ORIGIN, |state, dir| {
        let access = Access::tokens(TokenStore::in_data_dir(dir), true).unwrap();
        state.with_access(access).with_server_limits(slow)
    })
    .await;
    let (a, b) = (
        token(&s.dir, &[Scope::Ingest]),
        token(&s.dir, &[Scope::Admin]),
    );

    let t0 = Instant::now();
    let ok = post(&s, "/v1/events", Some(&a), events(20)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    for (path, body) in [
        ("/v1/events", events(15)),
        ("/v1/raw", lines(15)),
        ("/v1/logs", otlp(15)),
    ] {
        let refused = post(&s, path, Some(&a), body).await;
        assert_eq!(
            refused.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{path}: {}",
            refused.body
        );
        // 15 events at 1/s from an empty bucket, less what it refilled since.
        let wait: u64 = refused.retry_after.as_deref().unwrap().parse().unwrap();
        let least = 15u64.saturating_sub(secs_since(t0)).max(1);
        assert!((least..=15).contains(&wait), "{path}: Retry-After {wait}");
        assert!(
            refused
                .message()
                .contains("over its ingest rate of 1 events/s (burst 20)"),
            "{path}: {}",
            refused.message()
        );
        if path == "/v1/logs" {
            assert_eq!(refused.code(), "8", "RESOURCE_EXHAUSTED");
        } else {
            assert_eq!(refused.code(), "rate_limited");
            assert_eq!(
                refused.body["error"]["details"]["retry_after_seconds"],
                wait
            );
        }
    }
    assert_eq!(s.log.size(), 20, "the refused batches wrote nothing");

    // Another token has its own bucket, and a batch larger than the burst passes a full one,
    // leaving a debt (20 events) the next batch waits for.
    let t1 = Instant::now();
    let big = post(&s, "/v1/events", Some(&b), events(40)).await;
    assert_eq!(big.status, StatusCode::OK, "{}", big.body);
    let after = post(&s, "/v1/events", Some(&b), events(1)).await;
    assert_eq!(after.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = after.retry_after.as_deref().unwrap().parse().unwrap();
    let least = 21u64.saturating_sub(secs_since(t1)).max(1);
    assert!((least..=21).contains(&wait), "Retry-After {wait}");
    assert_eq!(s.log.size(), 60);
}
