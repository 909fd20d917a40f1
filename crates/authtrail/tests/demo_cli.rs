//! `authtrail demo`: soon after it starts, its brute force, password spray and impossible-travel
//! login have raised their alerts, a person's trace crosses the IdP and the gateway, the three
//! sources are in the log, and SIGTERM stops it cleanly with a log that verifies.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{authtrail, bearer_client, expect_code, run_in};
use serde_json::Value;

/// How long the attacks may take to show (they start within 30 s).
const PATIENCE: Duration = Duration::from_secs(150);

#[test]
fn the_demo_raises_its_alerts_and_links_its_sources() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let stderr = std::fs::File::create(tmp.path().join("demo.stderr")).unwrap();
    let mut child = authtrail()
        .args(["demo", "--listen", "127.0.0.1:0", "--dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .spawn()
        .expect("start authtrail demo");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut url, mut token) = (None, None);
    for line in lines.by_ref() {
        let line = line.expect("demo stdout");
        if let Some(rest) = line.strip_prefix("web UI: ") {
            url = rest
                .split_whitespace()
                .next()
                .map(|u| u.trim_end_matches('/').to_string());
        }
        if let Some(t) = line.strip_prefix("token: ") {
            token = Some(t.to_string());
        }
        if line == "ready" {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let (url, token) = (url.expect("a web UI line"), token.expect("a token line"));
    let http = bearer_client(&token);
    let get = |path: &str| -> Value {
        let answer = http.get(format!("{url}{path}")).send().expect("GET");
        assert!(
            answer.status().is_success(),
            "GET {path}: {}",
            answer.status()
        );
        answer.json().expect("JSON")
    };

    let want = ["brute-force-ip", "password-spraying", "impossible-travel"];
    let started = Instant::now();
    let rules = loop {
        let alerts = get("/v1/alerts?limit=1000");
        let rules: BTreeSet<String> = alerts["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["rule"].as_str().map(str::to_string))
            .collect();
        if want.iter().all(|w| rules.contains(*w)) {
            break rules;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "after {PATIENCE:?} the demo raised {rules:?}"
        );
        std::thread::sleep(Duration::from_secs(2));
    };
    eprintln!("alerts after {:?}: {rules:?}", started.elapsed());

    // A person's trace crosses the IdP and the gateway; the three sources are in the log.
    let trace = get("/v1/trace?user=alice%40example.com");
    let sources: BTreeSet<&str> = trace["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["source"].as_str())
        .collect();
    assert!(
        sources.contains("okta") && sources.contains("gateway"),
        "{sources:?}"
    );
    let counted = get("/v1/events?q=%7C%20count%20by%20source");
    let text = counted.to_string();
    for source in ["okta", "sshd", "gateway"] {
        assert!(text.contains(source), "{source} missing from {text}");
    }
    // An MFA login kept its factor.
    let mfa = get("/v1/events?q=is_mfa%3Dtrue&limit=1");
    assert_eq!(mfa["events"].as_array().map(Vec::len), Some(1), "{mfa}");

    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "demo exited {status:?}");
    let out = run_in(&dir, &["verify"]);
    expect_code(&out, 0, "verify after the demo");
}
