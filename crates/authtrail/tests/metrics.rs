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
