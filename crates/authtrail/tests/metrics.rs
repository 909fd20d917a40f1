//! `GET /metrics` end to end: events of three sources (one line unparsed; over HTTP a line over
//! the line limit refused; from a tailed file one line cut to the line limit and one event with
//! a field over the field limit kept unparsed), one alert whose webhook delivery fails and waits,
//! then the scrape's values are checked against what was sent and what the log holds
//! (docs/METRICS.md); and refusals (401, 403, 429, 404) counted exactly.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{event, init, unique_marker, Server};
use serde_json::Value;

/// One sample of the exposition: metric name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The samples of a Prometheus text exposition (comments skipped). Label values here never
/// hold `"`, `,` or `}`, which this small reader does not unescape.
fn parse_exposition(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("a sample line has a value: {line:?}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|e| panic!("value of {line:?}: {e}"));
        let (name, labels) = match series.split_once('{') {
            None => (series.to_string(), BTreeMap::new()),
            Some((name, rest)) => {
                let inner = rest.strip_suffix('}').expect("labels end with }");
                let labels = inner
                    .split(',')
                    .filter(|kv| !kv.is_empty())
                    .map(|kv| {
                        let (k, v) = kv.split_once('=').expect("label=value");
                        (k.to_string(), v.trim_matches('"').to_string())
                    })
                    .collect();
                (name.to_string(), labels)
            }
        };
        samples.push(Sample {
            name,
            labels,
            value,
        });
    }
    samples
}

/// The value of the sample `name` whose labels are exactly `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let want: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    samples
        .iter()
        .find(|s| s.name == name && s.labels == want)
        .map(|s| s.value)
}

/// The sum of the samples `name` that carry every label of `labels`.
fn sum(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

/// The HTTP request counter.
const HTTP: &str = "authtrail_http_requests_total";

/// The HTTP request counter of `route`, `method` and `status`.
fn requests(samples: &[Sample], route: &str, method: &str, status: &str) -> Option<f64> {
    let labels = [("route", route), ("method", method), ("status", status)];
    value(samples, HTTP, &labels)
}

const RULES: &str = "rules:
  - id: e2e-two-failures
    title: Two failed logons for one user
    severity: low
    filter: class=authentication status=failure
    group_by: [user]
    window: 1h
    count: 2
";

#[test]
fn metrics_count_what_was_ingested_alerted_and_queued() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir);
    // A port nothing listens on: the webhook's delivery fails and stays queued.
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(tmp.path().join("rules.yaml"), RULES).unwrap();
    // Source gamma, a followed file: a line over the 4096-byte line limit, and an sshd line
    // whose user name is over the 1024-byte field limit.
    let gamma = tmp.path().join("gamma.log");
    std::fs::write(
        &gamma,
        format!(
            "Dec 10 06:55:48 h sshd[3]: {}\nDec 10 06:55:49 h sshd[4]: Invalid user {} from \
             198.51.100.4 port 4711\n",
            "x".repeat(5000),
            "u".repeat(1500)
        ),
    )
    .unwrap();
    let config = tmp.path().join("authtrail.toml");
    std::fs::write(
        &config,
        format!(
            "max_line_bytes = 4096\nmax_field_bytes = 1024\n\n[[tail]]\npath = {gamma:?}\n\
             format = \"syslog\"\nsource = \"gamma\"\n\n[detect]\nrules = \"rules.yaml\"\n\n\
             [[alerts.webhook]]\nname = \"hook\"\nurl = \"http://127.0.0.1:{dead_port}/alerts\"\n"
        ),
    )
    .unwrap();
    let server = Server::start_with(&dir, &["--config", config.to_str().unwrap()]);
    let http = server.client();

    // Source alpha: three valid OCSF failures of one user (the rule fires once, at the second).
    let alpha: Vec<String> = (0..3).map(|_| event(&unique_marker("alpha"))).collect();
    let post = |path: &str, body: String| -> Value {
        let url = format!("{}{path}", server.url);
        let answer = http.post(url).body(body).send().unwrap();
        answer.error_for_status().unwrap().json().unwrap()
    };
    let answer = post("/v1/events?source=alpha", alpha.join("\n"));
    assert_eq!(answer["accepted"], 3, "{answer}");

    // Source beta: an sshd line and a line no parser reads; with a line over the 4096-byte line
    // limit the whole request is refused first.
    let beta = "Dec 10 06:55:46 h sshd[1]: Invalid user bob from 198.51.100.4 port 4711\n\
                this is no log line anyone writes\n";
    let long = format!("{beta}Dec 10 06:55:47 h sshd[2]: {}\n", "x".repeat(5000));
    let refused = http
        .post(format!("{}/v1/raw?format=auto&source=beta", server.url))
        .body(long)
        .send()
        .unwrap();
    assert_eq!(refused.status(), 413);
    let v: Value = refused.json().unwrap();
    assert_eq!(v["error"]["code"], "line_too_long", "{v}");
    assert_eq!(v["error"]["details"]["line"], 3, "{v}");
    let answer = post("/v1/raw?format=auto&source=beta", beta.to_string());
    assert_eq!(answer["accepted"], 2, "{answer}");
    assert_eq!(answer["unparsed"], 1, "{answer}");
    assert_eq!(answer["truncated"], 0, "{answer}");
    let sshd_parser = answer["by_parser"]
        .as_object()
        .unwrap()
        .keys()
        .find(|p| *p != "none")
        .cloned()
        .unwrap_or_else(|| panic!("the sshd line was parsed: {answer}"));

    // Detection and the failed delivery happen on their own threads: scrape until they show.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (text, samples) = loop {
        let response = http
            .get(format!("{}/metrics", server.url))
            .send()
            .unwrap()
            .error_for_status()
            .unwrap();
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        let text = response.text().unwrap();
        let samples = parse_exposition(&text);
        let alerted = value(
            &samples,
            "authtrail_alerts_total",
            &[("rule", "e2e-two-failures")],
        );
        let queued = value(
            &samples,
            "authtrail_alert_queue_depth",
            &[("output", "hook")],
        );
        let failed = value(
            &samples,
            "authtrail_alert_deliveries_total",
            &[("output", "hook"), ("outcome", "failed")],
        );
        let tailed = sum(&samples, "authtrail_events_total", &[("source", "gamma")]);
        if alerted == Some(1.0) && queued == Some(1.0) && failed >= Some(1.0) && tailed == 2.0 {
            break (text, samples);
        }
        assert!(
            Instant::now() < deadline,
            "no alert queued and tried after 60 s:\n{text}\nserver stderr:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(100));
    };

    let events = |s, p, o| {
        value(
            &samples,
            "authtrail_events_total",
            &[("source", s), ("parser", p), ("outcome", o)],
        )
    };
    assert_eq!(events("alpha", "ocsf", "accepted"), Some(3.0), "{text}");
    assert_eq!(
        events("beta", &sshd_parser, "accepted"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(events("beta", "none", "unparsed"), Some(1.0), "{text}");
    assert_eq!(events("gamma", "none", "truncated"), Some(1.0), "{text}");
    assert_eq!(
        events("gamma", &sshd_parser, "field_too_long"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sum(&samples, "authtrail_events_total", &[]), 7.0, "{text}");

    // The log holds the seven events and the alerts counted (no other rule fired on so few).
    assert_eq!(sum(&samples, "authtrail_alerts_total", &[]), 1.0, "{text}");
    let size = 8.0;
    let health: Value = http
        .get(format!("{}/healthz", server.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(health["size"], 8, "{health}");
    assert_eq!(
        value(&samples, "authtrail_log_tree_size_entries", &[]),
        Some(size),
        "{text}"
    );
    let checkpoint = value(&samples, "authtrail_checkpoint_size_entries", &[]).unwrap();
    assert!(checkpoint <= size, "{text}");
    let age = value(&samples, "authtrail_checkpoint_age_seconds", &[]).unwrap();
    assert!(age >= 0.0, "{text}");

    // A group commit per request at least (the alert may share one); every entry was in
    // exactly one group.
    let groups = value(&samples, "authtrail_log_append_batch_entries_count", &[]).unwrap();
    assert!(groups >= 2.0, "{text}");
    assert_eq!(
        value(&samples, "authtrail_log_append_batch_entries_sum", &[]),
        Some(size),
        "{text}"
    );
    assert_eq!(
        value(
            &samples,
            "authtrail_log_append_batch_entries_bucket",
            &[("le", "+Inf")]
        ),
        Some(groups),
        "{text}"
    );
    assert_eq!(
        value(&samples, "authtrail_log_fsync_duration_seconds_count", &[]),
        Some(groups),
        "{text}"
    );
    assert!(
        text.contains("# TYPE authtrail_log_fsync_duration_seconds histogram"),
        "{text}"
    );
    assert!(text.contains("# HELP authtrail_events_total "), "{text}");

    // Requests by route pattern, method and status.
    let requests = |r, m, s| requests(&samples, r, m, s);
    assert_eq!(requests("/v1/events", "POST", "200"), Some(1.0), "{text}");
    assert_eq!(requests("/v1/raw", "POST", "200"), Some(1.0), "{text}");
    assert_eq!(requests("/v1/raw", "POST", "413"), Some(1.0), "{text}");
    // The scrapes count too (each after its answer is made, so the next one shows it).
    let again = http
        .get(format!("{}/metrics", server.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let scrapes = [("route", "/metrics"), ("method", "GET"), ("status", "200")];
    let scraped = value(&parse_exposition(&again), HTTP, &scrapes);
    assert!(scraped >= Some(1.0), "{again}");
    server.kill();
}

/// Open a POST to `/v1/events` whose chunked body is left unfinished, so the request stays in
/// progress (and holds a request slot) until the returned stream finishes it.
fn hold_a_request(url: &str, token: &str) -> std::net::TcpStream {
    use std::io::Write;
    let addr = url.trim_start_matches("http://");
    let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
    let first = event(&unique_marker("held")) + "\n";
    let head = format!(
        "POST /v1/events?source=held HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{first}\r\n",
        first.len()
    );
    tcp.write_all(head.as_bytes()).expect("write");
    tcp
}

#[test]
fn refusals_are_counted_by_reason_and_limit() {
    let (_tmp, dir, config) = common::with_config(
        "max_concurrent_requests = 1\ningest_events_per_second = 1\ningest_burst_events = 5\n",
    );
    let server = Server::start_with(&dir, &["--config", config.to_str().unwrap()]);
    let reader = common::bearer_client(&common::create_token(&dir, &["--scope", "read"]));
    let okta = common::bearer_client(&common::create_token(
        &dir,
        &["--scope", "ingest", "--source", "okta"],
    ));
    let anonymous = reqwest::blocking::Client::new();
    let unknown = common::bearer_client(
        "at_0123456789abcdef_0000000000000000000000000000000000000000000000000000000000000000",
    );
    let url = |path: &str| format!("{}{path}", server.url);
    let status = |r: reqwest::blocking::RequestBuilder| r.send().unwrap().status().as_u16();
    // An OTLP/JSON request of five log records.
    let otlp = |client: &reqwest::blocking::Client, source: &str| {
        let record = r#"{"body":{"stringValue":"x"}}"#;
        let records = [record; 5].join(",");
        client
            .post(url(&format!("/v1/logs?source={source}")))
            .header("content-type", "application/json")
            .body(format!(
                r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{records}]}}]}}]}}"#
            ))
    };

    // 401: twice without a token, three times with one no one made (and once with a header
    // that is not a bearer token, the same reason).
    for _ in 0..2 {
        assert_eq!(status(anonymous.get(url("/v1/alerts"))), 401);
    }
    for _ in 0..3 {
        assert_eq!(status(unknown.get(url("/v1/alerts"))), 401);
    }
    let basic = anonymous
        .get(url("/v1/alerts"))
        .header("authorization", "Basic eDp5");
    assert_eq!(status(basic), 401);
    // 403: a read token ingesting; the okta token writing as sshd, by the API and by OTLP.
    assert_eq!(status(reader.post(url("/v1/events")).body(event("r"))), 403);
    let sshd = okta.post(url("/v1/events?source=sshd")).body(event("s"));
    assert_eq!(status(sshd), 403);
    assert_eq!(status(otlp(&okta, "sshd")), 403);
    // 429 past the rate: the bucket holds 5 events, refilled at 1 a second; the next batches
    // of 5, by the API and by OTLP, each need 5 s of refill.
    let five = (0..5)
        .map(|i| event(&format!("o{i}")))
        .collect::<Vec<_>>()
        .join("\n");
    let post_five = || okta.post(url("/v1/events?source=okta")).body(five.clone());
    assert_eq!(status(post_five()), 200);
    assert_eq!(status(post_five()), 429);
    assert_eq!(status(otlp(&okta, "okta")), 429);
    // 429 past the concurrency limit: one request held, the next refused at once.
    let mut held = hold_a_request(&server.url, &server.token);
    let deadline = Instant::now() + Duration::from_secs(30);
    while status(anonymous.get(url("/healthz"))) != 429 {
        assert!(
            Instant::now() < deadline,
            "the held request never took its slot"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    {
        use std::io::{Read, Write};
        held.write_all(b"0\r\n\r\n").unwrap();
        let mut answer = String::new();
        held.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    // A path no route serves.
    assert_eq!(status(anonymous.get(url("/no/such/path"))), 404);

    let text = server
        .client()
        .get(url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let samples = parse_exposition(&text);
    let refused = |reason| {
        value(
            &samples,
            "authtrail_auth_refused_total",
            &[("reason", reason)],
        )
    };
    assert_eq!(refused("unauthenticated"), Some(2.0), "{text}");
    assert_eq!(refused("invalid_token"), Some(4.0), "{text}");
    assert_eq!(refused("insufficient_scope"), Some(1.0), "{text}");
    assert_eq!(refused("source_forbidden"), Some(2.0), "{text}");
    assert_eq!(
        sum(&samples, "authtrail_auth_refused_total", &[]),
        9.0,
        "{text}"
    );
    let limited = |limit| value(&samples, "authtrail_limited_total", &[("limit", limit)]);
    assert_eq!(limited("rate"), Some(2.0), "{text}");
    // The polls that met the held request, at least one.
    let concurrency = limited("concurrency").unwrap_or(0.0);
    assert!(concurrency >= 1.0, "{text}");
    assert_eq!(
        sum(&samples, "authtrail_limited_total", &[]),
        2.0 + concurrency
    );
    // The request counter has every answer, refusals and the unmatched path included.
    let requests = |r, m, s| requests(&samples, r, m, s);
    assert_eq!(requests("/v1/alerts", "GET", "401"), Some(6.0), "{text}");
    assert_eq!(requests("/v1/events", "POST", "403"), Some(2.0), "{text}");
    assert_eq!(requests("/v1/logs", "POST", "403"), Some(1.0), "{text}");
    assert_eq!(requests("/v1/events", "POST", "429"), Some(1.0), "{text}");
    assert_eq!(requests("/v1/logs", "POST", "429"), Some(1.0), "{text}");
    assert_eq!(
        requests("/healthz", "GET", "429"),
        Some(concurrency),
        "{text}"
    );
    assert_eq!(requests("unmatched", "GET", "404"), Some(1.0), "{text}");
}
