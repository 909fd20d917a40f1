//! `GET /v1/trace?session=|user=|ip=&since=&until=`: the timeline over HTTP (the same rules as
//! `authtrail trace`, docs/TRACE.md), and the 400s for a start that is not exactly one of the
//! three, a bad address or a bad time.

use authtrail_ingest::Limits;
use serde_json::{json, Value};

mod common;
use common::TestServer;

async fn post(s: &TestServer, path: &str, body: String) {
    let r = s
        .http
        .post(format!("{}{path}", s.base))
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
}

/// 2025-11-27T10:00:00Z plus `m` minutes, in ms.
fn at(m: i64) -> i64 {
    1_764_237_600_000 + m * 60_000
}

/// An OCSF Authentication event of `product` at minute `m`, with `extra` merged in.
fn event(product: &str, m: i64, extra: Value) -> String {
    let mut e = json!({
        "class_uid": 3002, "activity_id": 1, "time": at(m), "severity_id": 1, "status_id": 1,
        "metadata": {"product": {"name": product}},
    });
    if let (Some(e), Value::Object(extra)) = (e.as_object_mut(), extra) {
        e.extend(extra);
    }
    e.to_string()
}

/// seq 0-3 as JSON, 4-6 as syslog.
async fn scenario(s: &TestServer) {
    let events = [
        // 0: alice's login, session s-1, from 203.0.113.24.
        event(
            "login-api",
            0,
            json!({"user": {"name": "alice"}, "session": {"uid": "s-1"}, "src_endpoint": {"ip": "203.0.113.24"}}),
        ),
        // 1: the token issued in s-1.
        event(
            "login-api",
            1,
            json!({"user": {"name": "alice"}, "session": {"uid": "s-1", "credential_uid": "jti-1"}}),
        ),
        // 2: a gateway request carrying the token.
        event(
            "gateway",
            2,
            json!({"session": {"credential_uid": "jti-1"}, "src_endpoint": {"ip": "203.0.113.24"}}),
        ),
        // 3: bob from the same address.
        event(
            "login-api",
            3,
            json!({"user": {"name": "bob"}, "session": {"uid": "s-2"}, "src_endpoint": {"ip": "203.0.113.24"}}),
        ),
    ];
    post(s, "/v1/events?format=json&source=app", events.join("\n")).await;
    let host = [
        // 4: alice's sudo during the session.
        "2025-11-27T10:04:00Z web1 sudo[42]: alice : TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/id",
        // 5: bob's sudo.
        "2025-11-27T10:04:30Z web1 sudo[43]: bob : TTY=pts/1 ; PWD=/root ; USER=root ; COMMAND=/bin/id",
        // 6: alice's sudo hours later.
        "2025-11-27T15:00:00Z web1 sudo[44]: alice : TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/id",
    ];
    post(
        s,
        "/v1/raw?format=syslog&source=web1",
        host.join("\n") + "\n",
    )
    .await;
    s.publish().await;
}

async fn get(s: &TestServer, query: &[(&str, &str)]) -> (u16, Value) {
    s.get_query("/v1/trace", query).await
}

/// `(seq, rule, key, from)` of each step.
fn shape(body: &Value) -> Vec<(u64, String, String, Option<u64>)> {
    body["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            let lb = &s["linked_by"];
            (
                s["seq"].as_u64().expect("seq"),
                lb["rule"].as_str().unwrap_or("").into(),
                format!(
                    "{}={}",
                    lb["key"].as_str().unwrap_or(""),
                    lb["value"].as_str().unwrap_or("")
                ),
                lb["from"].as_u64(),
            )
        })
        .collect()
}

fn step(seq: u64, rule: &str, key: &str, from: Option<u64>) -> (u64, String, String, Option<u64>) {
    (seq, rule.into(), key.into(), from)
}

#[tokio::test]
async fn trace_follows_a_session_user_and_address() {
    let s = common::start(Limits::default(), "example.com/trace-test").await;
    scenario(&s).await;

    let (code, body) = get(&s, &[("session", "s-1")]).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        shape(&body),
        [
            step(0, "seed", "session=s-1", None),
            step(1, "seed", "session=s-1", None),
            step(2, "key", "token=jti-1", Some(1)),
            step(4, "window", "user=alice", Some(1)),
        ]
    );
    assert_eq!(body["start"], json!({"key": "session", "value": "s-1"}));
    assert_eq!(body["bounds_hit"], json!([]));
    assert_eq!(body["scanned_to"], 7);
    assert_eq!(body["steps"][0]["time"], "2025-11-27T10:00:00.000Z");
    assert_eq!(body["steps"][0]["src_ip"], "203.0.113.24");
    assert_eq!(
        body["steps"][3]["event"]["metadata"]["product"]["name"],
        "sudo"
    );

    let day = [("since", "2025-11-27"), ("until", "2025-11-28")];
    let (code, body) = get(&s, &[("user", "alice"), day[0], day[1]]).await;
    assert_eq!(code, 200, "{body}");
    let seqs: Vec<u64> = shape(&body).iter().map(|s| s.0).collect();
    assert_eq!(seqs, [0, 1, 2, 4, 6]);
    assert_eq!(body["since"], "2025-11-27T00:00:00.000Z");

    let (_, body) = get(&s, &[("ip", "203.0.113.24"), day[0], day[1]]).await;
    let seqs: Vec<u64> = shape(&body).iter().map(|s| s.0).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4, 5]);

    // Nothing found is an empty timeline, not an error.
    let (code, body) = get(&s, &[("session", "nope")]).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["steps"], json!([]));
}

#[tokio::test]
async fn trace_needs_exactly_one_start_and_good_values() {
    let s = common::start(Limits::default(), "example.com/trace-test").await;
    scenario(&s).await;
    for (query, words) in [
        (vec![], "exactly one of session, user, ip (given: none)"),
        (
            vec![("session", "s-1"), ("user", "alice")],
            "(given: session, user)",
        ),
        (vec![("ip", "203.0.113")], "not an IP address"),
        (vec![("session", "")], "session is empty"),
        (
            vec![("user", "alice"), ("since", "yesterday")],
            "since \"yesterday\" is not a time",
        ),
        (vec![("user", "alice"), ("until", "2025-13-01")], "until"),
        (
            vec![("user", "alice"), ("since", "1h"), ("until", "2h")],
            "since must be before until",
        ),
    ] {
        let (code, body) = get(&s, &query).await;
        assert_eq!(code, 400, "{query:?}: {body}");
        assert_eq!(body["error"]["code"], "bad_request", "{body}");
        let message = body["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(words), "{query:?}: {message}");
    }
    let (_, body) = get(&s, &[("ip", "203.0.113")]).await;
    assert_eq!(
        body["error"]["details"],
        json!({"param": "ip", "value": "203.0.113"})
    );
}
