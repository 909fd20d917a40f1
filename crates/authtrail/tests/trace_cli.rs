//! `authtrail trace` end to end: a multi-source scenario ingested through the real CLI and
//! parsers (an application's OTLP login, token and logout records; nginx and Envoy access logs
//! carrying the bearer token and traceparents; sshd and sudo on a host), with noise around it
//! (another user from the same address, the same user's activity far outside the session, another
//! session, the token reused beyond the horizon), traced by session, user and address. The exact
//! timeline is checked: the seqs in order and how each step was linked.

mod common;

use std::path::{Path, PathBuf};

use common::{expect_code, json_lines, run_in};
use serde_json::{json, Value};

/// 2025-11-27T10:00:00Z in seconds.
const T0: i64 = 1_764_237_600;
/// The session the application opened for alice.
const SESSION: &str = "s-5f2c1e";
/// The trace of alice's login: the gateway's POST /login, the login and token records, the first
/// API call.
const T1: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
/// The bearer token the application issued (the gateway logs see it; the log keeps its hash).
const BEARER: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWFsaWNl";
/// Bob's bearer token.
const BOB_BEARER: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLWJvYg";
/// The address alice (and bob) come from, behind the load balancer 10.0.0.2.
const ALICE_IP: &str = "203.0.113.24";

/// An OTLP/JSON request with one `login-api` record at `T0 + secs`.
fn otlp(event: &str, secs: f64, trace: &str, attrs: &[(&str, &str)]) -> String {
    let nanos = (T0 as f64 + secs) * 1e9;
    let attributes: Vec<Value> = attrs
        .iter()
        .map(|(k, v)| json!({"key": k, "value": {"stringValue": v}}))
        .collect();
    json!({"resourceLogs": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "login-api"}},
            {"key": "host.name", "value": {"stringValue": "login-1.example.internal"}}]},
        "scopeLogs": [{
            "scope": {"name": "com.example.login.audit"},
            "logRecords": [{
                "timeUnixNano": format!("{nanos:.0}"),
                "eventName": event,
                "traceId": trace,
                "spanId": "00f067aa0ba902b7",
                "attributes": attributes}]}]}]})
    .to_string()
}

/// A traceparent header for a trace id.
fn traceparent(trace: &str) -> String {
    format!("00-{trace}-b7ad6b7169203331-01")
}

/// An nginx JSON access-log line (`log_format escape=json`) behind the load balancer.
fn nginx(secs: f64, request: &str, status: u16, trace: &str, bearer: Option<&str>) -> String {
    let mut line = json!({
        "msec": format!("{:.3}", T0 as f64 + secs),
        "remote_addr": "10.0.0.2",
        "http_x_forwarded_for": ALICE_IP,
        "request": request,
        "status": status.to_string(),
        "body_bytes_sent": "512",
        "http_user_agent": "Mozilla/5.0",
        "http_host": "app.example.com",
        "http_traceparent": traceparent(trace),
    });
    if let Some(token) = bearer {
        line["http_authorization"] = json!(format!("Bearer {token}"));
    }
    line.to_string()
}

/// An Envoy JSON access-log line.
fn envoy(start: &str, method: &str, path: &str, trace: &str, bearer: &str) -> String {
    json!({
        "start_time": start, "method": method, "path": path, "protocol": "HTTP/1.1",
        "response_code": 200, "bytes_sent": 77,
        "downstream_remote_address": format!("{ALICE_IP}:40000"),
        "user_agent": "Mozilla/5.0", ":authority": "app.example.com",
        "traceparent": traceparent(trace), "authorization": format!("Bearer {bearer}"),
    })
    .to_string()
}

/// The scenario's data directory; each comment gives the entry's seq.
fn scenario(tmp: &Path) -> PathBuf {
    let dir = tmp.join("data");
    let ok = ("authtrail.outcome", "success");
    let token = ("authtrail.token.id", "jti-7f3a");
    let app = [
        // 0: alice signs in: session s-5f2c1e, trace T1.
        otlp(
            "authtrail.login",
            0.5,
            T1,
            &[
                ("user.name", "alice"),
                ("session.id", SESSION),
                ("client.address", ALICE_IP),
                ok,
            ],
        ),
        // 1: bob signs in from the same address.
        otlp(
            "authtrail.login",
            120.0,
            "5b8efff798038103d269b633813fc60c",
            &[
                ("user.name", "bob"),
                ("session.id", "s-b0b"),
                ("client.address", ALICE_IP),
                ok,
            ],
        ),
        // 2: the token issued to alice's session (its id, jti-7f3a), in trace T1.
        otlp(
            "authtrail.token.issue",
            1.0,
            T1,
            &[("user.name", "alice"), ("session.id", SESSION), token],
        ),
        // 3: the token refreshed (no session named, only the token id).
        otlp(
            "authtrail.token.refresh",
            1200.0,
            "7a3b9e0c1d2f4a5b6c7d8e9f0a1b2c3d",
            &[("user.name", "alice"), token],
        ),
        // 4: alice's other session, six hours later from elsewhere.
        otlp(
            "authtrail.login",
            21600.0,
            "8c2d4e6f8a0b1c3d5e7f9a1b3c5d7e9f",
            &[
                ("user.name", "alice"),
                ("session.id", "s-a2"),
                ("client.address", "198.51.100.7"),
                ok,
            ],
        ),
        // 5: alice signs out of s-5f2c1e.
        otlp(
            "authtrail.logout",
            1860.0,
            "9d1e3f5a7b9c0d2e4f6a8b0c2d4e6f8a",
            &[("user.name", "alice"), ("session.id", SESSION)],
        ),
    ];
    let gateway = [
        // 6: the POST /login of trace T1.
        nginx(0.3, "POST /login HTTP/1.1", 200, T1, None),
        // 7: bob's API call with his token, same address.
        nginx(
            180.0,
            "GET /api/me HTTP/1.1",
            200,
            "1f2e3d4c5b6a79880f1e2d3c4b5a6978",
            Some(BOB_BEARER),
        ),
        // 8: alice's first API call: trace T1, her bearer token.
        nginx(2.0, "GET /api/me HTTP/1.1", 200, T1, Some(BEARER)),
        // 9: a later call with the token, in its own trace.
        nginx(
            300.0,
            "GET /api/orders HTTP/1.1",
            200,
            "2a3b4c5d6e7f80910a1b2c3d4e5f6071",
            Some(BEARER),
        ),
    ];
    let mesh = [
        // 10: the token through the mesh.
        envoy(
            "2025-11-27T10:12:00.000Z",
            "POST",
            "/api/orders",
            "3b4c5d6e7f8091a20b1c2d3e4f506172",
            BEARER,
        ),
        // 11: the token again two days later: beyond the horizon.
        envoy(
            "2025-11-29T10:40:00.000Z",
            "GET",
            "/api/orders",
            "4c5d6e7f8091a2b30c1d2e3f40516273",
            BEARER,
        ),
    ];
    let host = [
        // 12: alice opens an ssh connection to web1 during the session.
        "2025-11-27T10:14:00Z web1 sshd[4100]: Accepted publickey for alice from 203.0.113.24 port 50522 ssh2: ED25519 SHA256:q1w2e3r4t5y6",
        // 13: and runs sudo.
        "2025-11-27T10:15:00Z web1 sudo[4242]: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx",
        // 14: bob's sudo at the same time.
        "2025-11-27T10:16:00Z web1 sudo[4300]: bob : TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/id",
        // 15: alice's sudo hours later.
        "2025-11-27T14:00:00Z web1 sudo[5555]: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/journalctl",
        // 16: the ssh connection closes after the session's window.
        "2025-11-27T10:40:00Z web1 sshd[4100]: Disconnected from user alice 203.0.113.24 port 50522",
        // 17: a scanner's connection during the session: a host event naming no user (the
        // placeholder `(unknown)`, like the gateway's POST /login), which attaches to nobody.
        "2025-11-27T10:10:00Z web1 sshd[4500]: Connection closed by 198.51.100.9 port 41234 [preauth]",
    ];
    let config = tmp.join("authtrail.toml");
    std::fs::write(&config, "[gateway]\ntrusted_proxies = [\"10.0.0.0/8\"]\n").expect("config");
    for (name, format, lines) in [
        ("app.jsonl", "otlp", app.join("\n")),
        ("nginx.log", "nginx", gateway.join("\n")),
        ("envoy.log", "envoy", mesh.join("\n")),
        ("auth.log", "syslog", host.join("\n")),
    ] {
        let file = tmp.join(name);
        std::fs::write(&file, lines + "\n").expect("write");
        let source = name.split('.').next().unwrap_or(name);
        let (out, _) = expect_code(
            &run_in(
                &dir,
                &[
                    "ingest",
                    "--format",
                    format,
                    "--source",
                    source,
                    "--config",
                    config.to_str().expect("path"),
                    file.to_str().expect("path"),
                ],
            ),
            0,
            name,
        );
        assert!(!out.contains("unparsed:"), "{name}: {out}");
    }
    dir
}

/// `(seq, rule, key, from)` of each step.
fn shape(steps: &[Value]) -> Vec<(u64, String, String, Option<u64>)> {
    steps
        .iter()
        .map(|s| {
            let lb = &s["linked_by"];
            (
                s["seq"].as_u64().expect("seq"),
                lb["rule"].as_str().unwrap_or("").to_string(),
                lb["key"].as_str().unwrap_or("").to_string(),
                lb["from"].as_u64(),
            )
        })
        .collect()
}

fn step(seq: u64, rule: &str, key: &str, from: Option<u64>) -> (u64, String, String, Option<u64>) {
    (seq, rule.to_string(), key.to_string(), from)
}

#[test]
fn trace_a_session_across_idp_gateway_and_host() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = scenario(tmp.path());
    let (out, err) = expect_code(
        &run_in(&dir, &["trace", "--session", SESSION, "--format", "json"]),
        0,
        "trace --session",
    );
    assert!(err.is_empty(), "no bound reached: {err}");
    let steps = json_lines(&out);
    assert_eq!(
        shape(&steps),
        [
            step(6, "key", "trace", Some(0)), // 10:00:00.300 nginx POST /login (T1)
            step(0, "seed", "session", None), // 10:00:00.500 login
            step(2, "seed", "session", None), // 10:00:01 token issued
            step(8, "key", "trace", Some(0)), // 10:00:02 nginx GET /api/me (T1, bearer)
            step(9, "key", "token", Some(8)), // 10:05 nginx, the bearer
            step(10, "key", "token", Some(8)), // 10:12 envoy, the bearer
            step(12, "window", "user", Some(2)), // 10:14 sshd login
            step(13, "window", "user", Some(2)), // 10:15 sudo
            step(3, "key", "token", Some(2)), // 10:20 token refreshed (jti-7f3a)
            step(5, "seed", "session", None), // 10:31 logout
            step(16, "key", "session", Some(12)), // 10:40 the ssh connection closes
        ]
    );
    // The keys that met, as the events carry them.
    let bearer_key = steps[4]["linked_by"]["value"].as_str().expect("token key");
    assert!(
        bearer_key.starts_with("sha256:") && bearer_key.len() == 39,
        "{bearer_key}"
    );
    assert_eq!(steps[0]["linked_by"]["value"], T1);
    assert_eq!(steps[8]["linked_by"]["value"], "jti-7f3a");
    assert_eq!(steps[10]["linked_by"]["value"], "web1/sshd[4100]");
    assert_eq!(steps[7]["linked_by"]["value"], "alice");
    // Each step carries what a person reads, and the full event.
    assert_eq!(steps[1]["source"], "app");
    assert_eq!(steps[1]["class"], "Authentication");
    assert_eq!(steps[1]["activity"], "Logon");
    assert_eq!(steps[1]["status"], "Success");
    assert_eq!(steps[1]["user"], "alice");
    assert_eq!(steps[1]["src_ip"], ALICE_IP);
    assert_eq!(steps[1]["time"], "2025-11-27T10:00:00.500Z");
    assert_eq!(
        steps[0]["src_ip"], ALICE_IP,
        "the client behind the trusted proxy"
    );
    assert_eq!(steps[7]["event"]["metadata"]["product"]["name"], "sudo");
    assert_eq!(
        steps[5]["event"]["trace"]["uid"],
        "3b4c5d6e7f8091a20b1c2d3e4f506172"
    );

    // The same timeline for people.
    let (table, _) = expect_code(&run_in(&dir, &["trace", "--session", SESSION]), 0, "table");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 12, "{table}");
    assert!(
        lines[0].trim_start().starts_with("SEQ") && lines[0].ends_with("LINKED BY"),
        "{table}"
    );
    assert!(
        lines[2].trim_start().starts_with("0 ")
            && lines[2].ends_with(&format!("seed session={SESSION}")),
        "{table}"
    );
    assert!(lines[8].ends_with("user=alice in window <- 2"), "{table}");
    assert!(lines[1].ends_with(&format!("trace={T1} <- 0")), "{table}");
}

#[test]
fn trace_a_user_or_an_address_within_a_day() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = scenario(tmp.path());
    let day = [
        "--since",
        "2025-11-27",
        "--until",
        "2025-11-28",
        "--format",
        "json",
    ];
    let seqs = |args: &[&str]| -> Vec<u64> {
        let mut all = vec!["trace"];
        all.extend_from_slice(args);
        all.extend_from_slice(&day);
        let (out, _) = expect_code(&run_in(&dir, &all), 0, &all.join(" "));
        json_lines(&out)
            .iter()
            .map(|s| s["seq"].as_u64().expect("seq"))
            .collect()
    };
    // Alice's own events are seeds (both sessions, the host), and her login's keys bring the
    // gateway requests; bob's events and the token's reuse two days later stay out.
    assert_eq!(
        seqs(&["--user", "alice"]),
        [6, 0, 2, 8, 9, 10, 12, 13, 3, 5, 16, 15, 4]
    );
    // From the address: alice's and bob's events from it, and what their keys reach; alice's
    // other session from elsewhere, and the hosts' unrelated sudo, stay out.
    let from_ip = seqs(&["--ip", ALICE_IP]);
    for seq in [0, 1, 6, 7, 8, 9, 10, 12, 13, 16] {
        assert!(from_ip.contains(&seq), "{seq} in {from_ip:?}");
    }
    for seq in [4, 11, 14, 15, 17] {
        assert!(!from_ip.contains(&seq), "{seq} in {from_ip:?}");
    }
}

#[test]
fn trace_exits_1_when_nothing_is_found_and_2_on_bad_usage() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = scenario(tmp.path());
    let (out, err) = expect_code(&run_in(&dir, &["trace", "--session", "nope"]), 1, "nothing");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("nothing found for session=nope"), "{err}");
    // A user trace looks back a week by default: the scenario is older.
    expect_code(
        &run_in(&dir, &["trace", "--user", "alice"]),
        1,
        "default window",
    );
    for (args, words) in [
        (vec!["trace", "--ip", "203.0.113"], "--ip"),
        (
            vec!["trace", "--user", "alice", "--since", "yesterday"],
            "--since \"yesterday\" is not a time",
        ),
        (
            vec!["trace", "--user", "alice", "--since", "1h", "--until", "2h"],
            "--since must be before --until",
        ),
        (vec!["trace"], "--session"),
        (
            vec!["trace", "--user", "alice", "--session", SESSION],
            "cannot be used with",
        ),
        (vec!["trace", "--session", ""], "empty"),
    ] {
        let (_, err) = expect_code(&run_in(&dir, &args), 2, &args.join(" "));
        assert!(err.contains(words), "{args:?}: {err}");
    }
}
