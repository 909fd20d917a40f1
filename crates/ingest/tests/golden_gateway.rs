//! Golden tests of the gateway parsers (nginx, Envoy) over the shared datasets: snapshots of
//! what each line becomes, and checks against what the datasets' own expectations (CrowdSec's
//! `parser.assert`, Wazuh's rule tests) say about each line.

mod support;

use std::collections::BTreeMap;

use authtrail_ingest::pipeline::Normalized;
use authtrail_ingest::InputFormat;
use support::Explained;

/// The CrowdSec nginx test logs.
const NGINX_FILES: [&str; 2] = [
    "nginx/crowdsec-hub/nginx-http-generic-bf/nginx-http-generic-bf.log",
    "nginx/crowdsec-hub/nginx_http-logs/nginx_http-logs.log",
];

/// The CrowdSec Envoy test log.
const ENVOY_FILE: &str = "envoy/crowdsec-hub/envoy-logs/envoy.log";

fn snapshot_name(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.trim_end_matches(".log").replace(['.', '-'], "_")
}

#[test]
fn nginx_crowdsec_logs() {
    for path in NGINX_FILES {
        let Some(records) = support::normalized(path, InputFormat::Nginx) else {
            return;
        };
        insta::assert_snapshot!(
            format!("nginx_{}", snapshot_name(path)),
            support::render_with_events(&records)
        );
    }
}

#[test]
fn envoy_crowdsec_log() {
    let Some(records) = support::normalized(ENVOY_FILE, InputFormat::Envoy) else {
        return;
    };
    insta::assert_snapshot!("envoy_envoy_logs", support::render_with_events(&records));
}

/// The README of `nginx-http-generic-bf` says what its 22 lines are: 16 error-log Basic failures
/// of user `foo` and 6 access-log 401s of user `test`, all from 127.0.0.1.
#[test]
fn nginx_generic_bf_lines_are_basic_auth_failures() {
    let Some(records) = support::normalized(NGINX_FILES[0], InputFormat::Nginx) else {
        return;
    };
    assert_eq!(records.len(), 22);
    for (line, n) in &records {
        let e = &n.event;
        let user = e.user.as_ref().and_then(|u| u.name.as_deref());
        let ip = e.src_endpoint.as_ref().and_then(|s| s.ip.as_deref());
        let expected_user = if *line <= 16 { "foo" } else { "test" };
        assert_eq!(e.class_uid, 3002, "L{line}: {:?}", n.unparsed_reason);
        assert_eq!(e.status_id, 2, "L{line}");
        assert_eq!(e.auth_protocol_id, Some(11), "L{line}");
        assert_eq!(user, Some(expected_user), "L{line}");
        assert_eq!(ip, Some("127.0.0.1"), "L{line}");
    }
}

/// A Wazuh rule test case: the section, the rule it expects, and the log line.
struct WazuhCase {
    section: String,
    rule: u32,
    log: String,
}

/// The `log N pass = …` lines of a Wazuh rule-test `.ini`, with their section's `rule`.
fn wazuh_cases(ini: &str) -> Vec<WazuhCase> {
    let mut cases = Vec::new();
    let mut section = String::new();
    let mut logs: Vec<String> = Vec::new();
    let flush = |section: &str, logs: &mut Vec<String>, rule: u32, out: &mut Vec<WazuhCase>| {
        for log in logs.drain(..) {
            out.push(WazuhCase {
                section: section.to_string(),
                rule,
                log,
            });
        }
    };
    for line in ini.lines() {
        let line = line.trim();
        if line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            logs.clear();
        } else if let Some((key, value)) = line.split_once(" = ") {
            if key.starts_with("log ") && key.ends_with(" pass") {
                logs.push(value.to_string());
            } else if key == "rule" {
                let rule = value.trim().parse().expect("rule id");
                flush(&section, &mut logs, rule, &mut cases);
            }
        }
    }
    cases
}

/// Wazuh rules whose lines are HTTP Basic authentication failures: 31315 "Web authentication
/// failed" and 31312 "Initial 401 authentication request" (no credentials were sent).
const WAZUH_AUTH_FAILURE_RULES: [u32; 2] = [31312, 31315];

#[test]
fn nginx_wazuh_cases() {
    let Some(ini) = support::dataset("nginx/wazuh-ruleset-tests/nginx.ini") else {
        return;
    };
    let cases = wazuh_cases(&String::from_utf8(ini).expect("utf-8"));
    assert!(cases.len() >= 10, "only {} cases read", cases.len());
    // The CSV lists the same lines.
    if let Some(csv) = support::dataset("nginx/wazuh-ruleset-tests/nginx.cases.csv") {
        let csv = String::from_utf8(csv).expect("utf-8");
        for case in &cases {
            assert!(csv.contains(&case.log), "{} not in the CSV", case.log);
        }
    }
    let body: String = cases.iter().map(|c| format!("{}\n", c.log)).collect();
    let records = support::normalize(body.as_bytes(), InputFormat::Nginx);
    assert_eq!(records.len(), cases.len());
    let mut table = String::new();
    let mut disagreements = Vec::new();
    for (case, (line, n)) in cases.iter().zip(&records) {
        let e = &n.event;
        let expect_failure = WAZUH_AUTH_FAILURE_RULES.contains(&case.rule);
        let got = if e.is_unparsed() {
            format!("unparsed: {}", n.unparsed_reason.as_deref().unwrap_or(""))
        } else {
            format!(
                "{} {} user={} src={}",
                e.type_name.as_deref().unwrap_or("?"),
                e.status.as_deref().unwrap_or("?"),
                support::user_name(e).unwrap_or("-"),
                e.src_endpoint
                    .as_ref()
                    .and_then(|s| s.ip.as_deref())
                    .unwrap_or("-"),
            )
        };
        // The Wazuh lines hold placeholder text ("yadda") where nginx writes the user and the
        // client, so the events have neither.
        let agrees = if expect_failure {
            e.class_uid == 3002
                && e.status_id == 2
                && e.auth_protocol_id == Some(11)
                && support::user_name(e).is_none()
                && e.src_endpoint.is_none()
        } else {
            e.is_unparsed()
                && n.unparsed_reason
                    .as_deref()
                    .is_some_and(|r| r.contains("not an authentication failure"))
        };
        table.push_str(&format!(
            "L{line} rule {} [{}] {} -> {got}\n",
            case.rule,
            case.section,
            if agrees { "ok" } else { "DISAGREES" }
        ));
        if !agrees {
            disagreements.push(*line);
        }
    }
    println!("{table}");
    assert!(
        disagreements.is_empty(),
        "disagreements on lines {disagreements:?}\n{table}"
    );
    insta::assert_snapshot!("nginx_wazuh_cases", table);
}

/// From `results["s01-parse"]["<parser>"][N].Evt.<Parsed|Meta>["<key>"] == "<value>"` lines:
/// line number (N + 1) → key → value.
fn crowdsec_expectations(assert_file: &str) -> BTreeMap<usize, BTreeMap<String, String>> {
    let mut out: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    for (line, rest) in support::crowdsec_s01_entries(assert_file) {
        if let Some((_map, key, value)) = support::crowdsec_evt_value(rest) {
            out.entry(line).or_default().insert(key.to_string(), value);
        }
    }
    out
}

/// What CrowdSec states of a line, compared with our event, where we disagree on purpose.
const EXPLAINED: &[Explained] = &[
    Explained {
        file: ENVOY_FILE,
        line: 9,
        field: "ip",
        why: "Envoy's text format logs no peer address: CrowdSec takes the left-most \
              X-Forwarded-For hop (chosen by the client); we take the right-most, the peer \
              Envoy appends, and walk left only past trusted proxies. The JSON twin of this \
              request (L7) has peer 10.42.0.1, which CrowdSec reports there too.",
    },
    Explained {
        file: ENVOY_FILE,
        line: 10,
        field: "ip",
        why: "as L9, for IPv6: the right-most hop [fd00:1234:5678::1]:54321 is the peer \
              (the JSON twin L8 has it as downstream_remote_address).",
    },
];

#[test]
fn crowdsec_parser_asserts_agree() {
    let files = [
        (NGINX_FILES[0], InputFormat::Nginx),
        (NGINX_FILES[1], InputFormat::Nginx),
        (ENVOY_FILE, InputFormat::Envoy),
    ];
    let mut cmp = support::CrowdsecComparison::new(EXPLAINED);
    for (path, format) in files {
        let Some((body, asserts)) = support::crowdsec_test(path) else {
            return;
        };
        let expectations = crowdsec_expectations(&asserts);
        let text = String::from_utf8(body.clone()).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        let records = support::normalize(&body, format);
        let by_line: BTreeMap<usize, &Normalized> = records.iter().map(|(l, n)| (*l, n)).collect();
        cmp.table.push_str(&format!("== {path}\n"));
        for (line, expect) in &expectations {
            // The index→line mapping holds only if the messages CrowdSec quotes are our lines.
            if let Some(message) = expect.get("message") {
                assert!(
                    lines
                        .get(line - 1)
                        .is_some_and(|l| l.contains(message.as_str())),
                    "{path}: CrowdSec's entry {} is not line {line}",
                    line - 1
                );
            }
            let n = by_line.get(line).expect("a record for every line");
            let e = &n.event;
            if e.is_unparsed() {
                let reason = n.unparsed_reason.as_deref().unwrap_or("");
                let by_design = reason.contains("not an authentication failure");
                cmp.table.push_str(&format!(
                    "L{line} not an event{}: {reason}\n",
                    if by_design { " (by design)" } else { "" }
                ));
                if !by_design {
                    cmp.unexplained
                        .push(format!("{path} L{line}: unparsed: {reason}"));
                }
                continue;
            }
            let ours_ip = e.src_endpoint.as_ref().and_then(|s| s.ip.clone());
            let ours_user = e.user.as_ref().and_then(|u| u.name.clone());
            let ours_status = e.status_code.clone();
            let theirs_ip = expect.get("source_ip").or(expect.get("remote_addr"));
            let theirs_user = expect
                .get("remote_user")
                .filter(|u| u.as_str() != "-" && !u.is_empty());
            let theirs_status = expect.get("http_status").or(expect.get("status"));
            let mut checks = vec![("ip", theirs_ip.cloned(), ours_ip)];
            if expect.contains_key("remote_user") {
                checks.push(("user", theirs_user.cloned(), ours_user));
            }
            if theirs_status.is_some() {
                checks.push(("status", theirs_status.cloned(), ours_status));
            }
            for (field, theirs, ours) in checks {
                let Some(theirs) = theirs else {
                    // CrowdSec states no value: "-" user, or nothing asserted.
                    if field == "user" {
                        cmp.compared += 1;
                        let ok = ours.is_none();
                        cmp.table.push_str(&format!(
                            "L{line} {field:6} crowdsec=- ours={} {}\n",
                            ours.as_deref().unwrap_or("-"),
                            if ok { "ok" } else { "DISAGREES" }
                        ));
                        if !ok {
                            cmp.unexplained.push(format!("{path} L{line} {field}"));
                        }
                    }
                    continue;
                };
                cmp.compare(path, *line, field, &theirs, ours);
            }
        }
    }
    cmp.finish(40);
}

#[test]
fn auto_picks_the_same_parser() {
    let files = [
        (NGINX_FILES[0], InputFormat::Nginx),
        (NGINX_FILES[1], InputFormat::Nginx),
        (ENVOY_FILE, InputFormat::Envoy),
    ];
    let mut gaps = Vec::new();
    let mut report = String::new();
    for (path, format) in files {
        let Some(body) = support::dataset(path) else {
            return;
        };
        for (line, a, b) in support::explicit_and_auto(path, &body, format) {
            if a.parser != b.parser {
                report.push_str(&format!(
                    "{path} L{line}: explicit {:?}, auto {:?} ({})\n",
                    a.parser,
                    b.parser,
                    b.unparsed_reason.as_deref().unwrap_or("")
                ));
                gaps.push((path, line));
            } else {
                // Same parser, same event.
                assert_eq!(a.event, b.event, "{path} L{line}");
            }
        }
    }
    println!("{report}");
    assert!(
        gaps.is_empty(),
        "auto-detection differs on {gaps:?}:\n{report}"
    );
}
