//! Detection as users run it: `ingest` raises alerts and appends them once, `alerts` lists
//! them, `serve` answers `/v1/alerts` and `/v1/blocklist`, a bad rule file refuses the start
//! with file, line and key, SIGHUP with a bad file keeps the rules in force, and a webhook that
//! was down when an alert was raised gets it exactly once after a restart.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{assert_start_refused, expect_code, init, json_lines, run_in, serve_refused, Server};
use serde_json::Value;

/// `n` failed sshd logons for rotating users from `ip`, a second apart from `minute`:00.
fn failures(ip: &str, n: usize, minute: u32) -> String {
    (0..n)
        .map(|i| {
            format!(
                "Dec 10 07:{minute:02}:{i:02} web1 sshd[{}]: Failed password for user{} from {ip} port 4{i:03} ssh2\n",
                100 + i,
                i % 3
            )
        })
        .collect()
}

/// The rule ids of the alerts `query` finds with `filter` (besides `class=2004`).
fn alert_rules_found(dir: &Path, filter: &str) -> Vec<String> {
    let (out, _) = expect_code(
        &run_in(
            dir,
            &["query", &format!("class=2004 {filter}"), "--format", "json"],
        ),
        0,
        "query",
    );
    let mut rules: Vec<String> = json_lines(&out)
        .iter()
        .map(|h| {
            h["event"]["finding_info"]["analytic"]["uid"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    rules.sort();
    rules
}

fn ingest(dir: &Path, file: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["ingest", "--format", "syslog", "--source", "web1"];
    args.extend_from_slice(extra);
    args.push(file.to_str().unwrap());
    run_in(dir, &args)
}

#[test]
fn stored_alerts_are_found_by_their_user_and_address() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let file = tmp.path().join("auth.log");
    let lines: String = (0..12)
        .map(|i| format!("Dec 10 07:00:{i:02} web1 sshd[{}]: Failed password for alice from 203.0.113.9 port 4{i:03} ssh2\n", 100 + i))
        .collect();
    std::fs::write(&file, lines).unwrap();
    let (out, _) = expect_code(&ingest(&dir, &file, &[]), 0, "ingest");
    assert!(
        out.contains("brute-force-ip: 1") && out.contains("brute-force-user: 1"),
        "{out}"
    );

    // Each alert is found by what it is grouped by, and only by that.
    assert_eq!(
        alert_rules_found(&dir, "ip=203.0.113.9"),
        ["brute-force-ip", "brute-force-ip-slow-1h"]
    );
    assert_eq!(alert_rules_found(&dir, "user=alice"), ["brute-force-user"]);
    assert!(alert_rules_found(&dir, "ip=198.51.100.1").is_empty());

    // A trace from the address reaches the alert on it.
    let (out, _) = expect_code(
        &run_in(&dir, &["trace", "--ip", "203.0.113.9", "--format", "json"]),
        0,
        "trace --ip",
    );
    let steps = json_lines(&out);
    assert!(
        steps.iter().any(|s| s["event"]["class_uid"] == 2004
            && s["event"]["finding_info"]["analytic"]["uid"] == "brute-force-ip"),
        "{out}"
    );
}

#[test]
fn ingest_raises_alerts_once_and_alerts_lists_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let file = tmp.path().join("auth.log");
    std::fs::write(&file, failures("203.0.113.9", 12, 0)).unwrap();
    let (out, _) = expect_code(&ingest(&dir, &file, &[]), 0, "ingest");
    assert!(out.contains("brute-force-ip: 1"), "{out}");

    let (table, _) = expect_code(&run_in(&dir, &["alerts"]), 0, "alerts");
    assert!(table.starts_with("     SEQ  TIME"), "{table}");
    let row = table
        .lines()
        .find(|l| l.contains(" brute-force-ip "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        row.contains("ip=203.0.113.9") && row.contains(" 10 "),
        "{row}"
    );

    let (json, _) = expect_code(
        &run_in(&dir, &["alerts", "--format", "json"]),
        0,
        "alerts json",
    );
    let alerts = json_lines(&json);
    let brute: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["alert"]["finding_info"]["analytic"]["uid"] == "brute-force-ip")
        .collect();
    assert_eq!(brute.len(), 1, "{json}");
    assert_eq!(brute[0]["alert"]["class_uid"], 2004);
    // The evidence seqs are the first ten failures, and the alert comes after them.
    let related: Vec<&str> = brute[0]["alert"]["finding_info"]["related_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uid"].as_str().unwrap())
        .collect();
    assert_eq!(related, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    assert!(brute[0]["seq"].as_u64().unwrap() >= 12);

    // Ingesting quiet traffic later raises nothing and appends no alert again.
    let quiet = tmp.path().join("quiet.log");
    std::fs::write(
        &quiet,
        "Dec 10 09:00:00 web1 sshd[9]: Accepted publickey for alice from 198.51.100.4 port 1 ssh2\n",
    )
    .unwrap();
    let (out, _) = expect_code(&ingest(&dir, &quiet, &[]), 0, "second ingest");
    assert!(out.contains("alerts: 0"), "{out}");
    let (again, _) = expect_code(
        &run_in(&dir, &["alerts", "--format", "json"]),
        0,
        "alerts again",
    );
    assert_eq!(json_lines(&again).len(), alerts.len());

    // --no-detect raises nothing; a bad --since is a usage error naming the column.
    let (out, _) = expect_code(&ingest(&dir, &file, &["--no-detect"]), 0, "no detect");
    assert!(!out.contains("alerts:"), "{out}");
    let (_, err) = expect_code(
        &run_in(&dir, &["alerts", "--since", "yesterday"]),
        2,
        "bad since",
    );
    assert!(err.contains("column 1"), "{err}");
}

/// A rule file with an unknown key on line 3.
const BAD_RULES: &str = "rules:\n  - id: brute-force-ip\n    treshold: 5\n";

#[test]
fn a_bad_rule_file_refuses_ingest_and_serve_with_file_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir);
    let rules = tmp.path().join("rules.yaml");
    std::fs::write(&rules, BAD_RULES).unwrap();
    let file = tmp.path().join("auth.log");
    std::fs::write(&file, failures("203.0.113.9", 3, 0)).unwrap();
    let out = ingest(&dir, &file, &["--rules", rules.to_str().unwrap()]);
    let config = tmp.path().join("serve.toml");
    std::fs::write(&config, "[detect]\nrules = \"rules.yaml\"\n").unwrap();
    assert_start_refused(&dir, &out, &config, &["rules.yaml:3:", "treshold"]);
}

fn get(server: &Server, url: &str) -> reqwest::blocking::Response {
    server
        .client()
        .get(url)
        .send()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

fn post_raw(server: &Server, body: String) {
    let r = server
        .client()
        .post(format!("{}/v1/raw?format=syslog&source=web1", server.url))
        .body(body)
        .send()
        .unwrap();
    assert!(r.status().is_success(), "{:?}", r.text());
}

/// The rules of `/v1/alerts` grouped by `ip`, waiting up to 20 s for `want` of them.
fn alerted_ips(server: &Server, want: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page: Value = get(server, &format!("{}/v1/alerts", server.url))
            .json()
            .unwrap();
        let mut ips: Vec<String> = page["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["rule"] == "brute-force-ip")
            .map(|a| a["group"]["ip"].as_str().unwrap().to_string())
            .collect();
        ips.sort();
        if ips.len() >= want || Instant::now() > deadline {
            return ips;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn signal(server: &Server, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for the server's stderr to contain `text`.
fn wait_stderr(server: &Server, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !server.stderr().contains(text) {
        assert!(
            Instant::now() < deadline,
            "no {text:?} in:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_answers_alerts_and_blocklist_and_sighup_keeps_rules_on_a_bad_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir);
    let rules = tmp.path().join("rules.yaml");
    std::fs::write(&rules, "rules:\n  - id: brute-force-ip\n    count: 3\n").unwrap();
    let config = tmp.path().join("serve.toml");
    std::fs::write(&config, "[detect]\nrules = \"rules.yaml\"\n").unwrap();
    let mut server = Server::start_with(&dir, &["--config", config.to_str().unwrap()]);
    let mut started = Vec::new();
    while !started.contains(&"ready".to_string()) {
        started.push(server.next_line());
    }
    assert!(
        started.iter().any(|l| l.starts_with("detection: ")),
        "{started:?}"
    );
    post_raw(&server, failures("203.0.113.1", 3, 0));
    assert_eq!(alerted_ips(&server, 1), ["203.0.113.1"]);

    // A bad file on SIGHUP: logged, and the threshold of 3 stays.
    std::fs::write(&rules, BAD_RULES).unwrap();
    signal(&server, "HUP");
    wait_stderr(&server, "rules not reloaded");
    assert!(
        server.stderr().contains("rules.yaml:3:"),
        "{}",
        server.stderr()
    );
    post_raw(&server, failures("203.0.113.2", 3, 5));
    assert_eq!(alerted_ips(&server, 2), ["203.0.113.1", "203.0.113.2"]);

    // A good file on SIGHUP: a threshold of 50 from now on.
    std::fs::write(&rules, "rules:\n  - id: brute-force-ip\n    count: 50\n").unwrap();
    signal(&server, "HUP");
    let builtins = authtrail_detect::Rules::builtin().unwrap().len();
    assert_eq!(
        server.next_line(),
        format!("detection rules reloaded: {builtins} rules")
    );
    post_raw(&server, failures("203.0.113.3", 3, 10));
    // Something after it that is sure to alert, so the wait below has an end.
    post_raw(&server, failures("198.51.100.9", 60, 20));
    assert_eq!(
        alerted_ips(&server, 3),
        ["198.51.100.9", "203.0.113.1", "203.0.113.2"]
    );

    let text = get(
        &server,
        &format!("{}/v1/blocklist?since=2000-01-01", server.url),
    );
    assert_eq!(text.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(
        text.text().unwrap(),
        "198.51.100.9\n203.0.113.1\n203.0.113.2\n"
    );
    let none = get(
        &server,
        &format!(
            "{}/v1/blocklist?since=2000-01-01&min_severity=critical",
            server.url
        ),
    );
    assert_eq!(none.text().unwrap(), "");
    let bad = get(&server, &format!("{}/v1/alerts?since=soon", server.url));
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().unwrap();
    assert_eq!(body["error"]["details"]["column"], 1, "{body}");
    let bad = get(
        &server,
        &format!("{}/v1/blocklist?min_severity=urgent", server.url),
    );
    assert_eq!(bad.status(), 400);
    // No client can write entries that pass for the detector's.
    let forged = server
        .client()
        .post(format!(
            "{}/v1/raw?format=syslog&source=Authtrail-Detect",
            server.url
        ))
        .body(failures("192.0.2.1", 1, 30))
        .send()
        .unwrap();
    assert_eq!(forged.status(), 400);
    let body: Value = forged.json().unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("reserved"),
        "{body}"
    );
}

/// A webhook receiver on `port` recording each request's alert id header.
fn receiver(port: u16) -> (Arc<Mutex<HashMap<String, u32>>>, tokio::runtime::Runtime) {
    let seen: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let record = record.clone();
            async move {
                let id = headers["x-authtrail-alert-id"]
                    .to_str()
                    .unwrap()
                    .to_string();
                *record.lock().unwrap().entry(id).or_default() += 1;
                "ok"
            }
        }),
    );
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))
        .unwrap();
    rt.spawn(async move { axum::serve(listener, app).await });
    (seen, rt)
}

#[test]
fn a_webhook_down_when_alerts_were_raised_gets_each_exactly_once_after_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir);
    // A port with nothing listening (bound, noted, released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = tmp.path().join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "[[alerts.webhook]]\nurl = \"http://127.0.0.1:{port}/hook\"\nsecret = \"s3cret\"\n"
        ),
    )
    .unwrap();
    let args = ["--config", config.to_str().unwrap()];
    let server = Server::start_with(&dir, &args);
    let mut body = String::new();
    for (i, ip) in ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
        .iter()
        .enumerate()
    {
        body.push_str(&failures(ip, 12, i as u32 * 5));
    }
    post_raw(&server, body);
    let raised = alerted_ips(&server, 3);
    assert_eq!(raised.len(), 3);
    let page: Value = get(&server, &format!("{}/v1/alerts", server.url))
        .json()
        .unwrap();
    let ids: Vec<String> = page["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["uid"].as_str().unwrap().to_string())
        .collect();
    wait_stderr(&server, "webhook-1");
    // A clean stop (SIGTERM), the receiver comes up, the server starts again.
    signal(&server, "TERM");
    let mut server = server;
    let _ = server.child.wait();
    let (seen, _rt) = receiver(port);
    let _server = Server::start_with(&dir, &args);
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().len() < ids.len() {
        assert!(
            Instant::now() < deadline,
            "delivered {:?} of {ids:?}",
            seen.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let seen = seen.lock().unwrap();
    for id in &ids {
        assert_eq!(seen.get(id), Some(&1), "alert {id}: {seen:?}");
    }
    assert_eq!(seen.len(), ids.len(), "{seen:?}");
}

#[path = "../../detect/tests/support/mmdb.rs"]
#[allow(dead_code)]
mod mmdb;

/// A City database with Paris (192.0.2.0/24) and New York (203.0.113.0/24) written to `path`.
fn write_city(path: &Path) {
    let city = |lat: f64, long: f64, iso: &str| {
        mmdb::map(vec![
            (
                "location",
                mmdb::map(vec![
                    ("latitude", mmdb::Val::F64(lat)),
                    ("longitude", mmdb::Val::F64(long)),
                ]),
            ),
            ("country", mmdb::map(vec![("iso_code", mmdb::s(iso))])),
        ])
    };
    mmdb::write(
        path,
        "GeoLite2-City",
        &[
            ("192.0.2.0/24", city(48.8566, 2.3522, "FR")),
            ("203.0.113.0/24", city(40.7128, -74.0060, "US")),
        ],
    );
}

#[test]
fn ingest_with_a_geoip_database_raises_impossible_travel() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir);
    let db = tmp.path().join("city.mmdb");
    write_city(&db);
    let file = tmp.path().join("auth.log");
    std::fs::write(
        &file,
        "Dec 10 07:00:00 web1 sshd[100]: Accepted password for alice from 192.0.2.10 port 40000 ssh2\n\
         Dec 10 08:00:00 web1 sshd[101]: Accepted password for alice from 203.0.113.20 port 40001 ssh2\n",
    )
    .unwrap();
    let out = ingest(&dir, &file, &["--geoip-city", db.to_str().unwrap()]);
    expect_code(&out, 0, "ingest with a GeoIP database");
    let (listed, _) = expect_code(&run_in(&dir, &["alerts", "--format", "json"]), 0, "alerts");
    assert!(listed.contains("impossible-travel"), "{listed}");
}

#[test]
fn a_bad_geoip_database_refuses_ingest_and_serve_with_its_path() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir);
    let bad = tmp.path().join("asn.mmdb");
    std::fs::write(&bad, "not a database").unwrap();
    let file = tmp.path().join("auth.log");
    std::fs::write(&file, failures("203.0.113.9", 3, 0)).unwrap();
    let out = ingest(&dir, &file, &["--geoip-asn", bad.to_str().unwrap()]);
    let (_, err) = expect_code(&out, 2, "ingest with a bad GeoIP database");
    assert!(err.contains(&bad.display().to_string()), "{err}");
    let (listed, _) = expect_code(&run_in(&dir, &["checkpoint"]), 0, "checkpoint");
    assert!(listed.contains("\n0\n"), "nothing written: {listed}");

    let config = tmp.path().join("serve.toml");
    std::fs::write(&config, "[detect]\ngeoip_city = \"missing.mmdb\"\n").unwrap();
    let out = serve_refused(&dir, &config);
    let (_, err) = expect_code(&out, 2, "serve with a missing GeoIP database");
    let missing = tmp.path().join("missing.mmdb");
    assert!(err.contains(&missing.display().to_string()), "{err}");
}
