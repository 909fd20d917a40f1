//! The CrowdSec hub's functional tests (the folders of `../shared/datasets` holding a
//! `scenario.assert`) replayed through `authtrail ingest`, each twice: with the built-in rules
//! only (what we raise as shipped), and with `tests/fixtures/crowdsec-thresholds.yaml` added
//! (CrowdSec's bucket sizes as authtrail rules; the pass/fail comparison).
//!
//! Per folder: `scenario.assert` gives the number of overflows CrowdSec expects and their
//! source IPs; for an authentication detection, the fixture run must flag exactly those IPs
//! (every one, and no other, in either run), and a folder where CrowdSec expects nothing must
//! raise nothing. Folders whose scenario is not an authentication detection are replayed
//! (ingest must succeed) and reported, not compared. The test prints the report's table
//! (docs/CROWDSEC.md) with `cargo test -p authtrail --test crowdsec_hub -- --nocapture`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use common::{expect_code, json_lines, run_in};
use serde_json::Value;

/// Whether a folder's scenario is compared with ours.
enum Scope {
    /// An authentication detection (or a sample where CrowdSec expects nothing).
    Compared,
    /// Not an authentication detection: replayed and reported, not compared; the reason.
    OutOfScope(&'static str),
}

/// One hub test folder: its path under `datasets/`, and the `ingest --format` for its log.
struct Case {
    dir: &'static str,
    format: &'static str,
    scope: Scope,
    /// Alerts we raise that CrowdSec's assert does not name, each `rule ip`, and why
    /// (docs/CROWDSEC.md): pinned, so a change in either direction fails.
    documented: Option<(&'static [&'static str], &'static str)>,
}

const CASES: &[Case] = &[
    Case {
        dir: "openssh/crowdsec-hub/ssh-bf",
        format: "syslog",
        scope: Scope::Compared,
        documented: None,
    },
    Case {
        dir: "openssh/crowdsec-hub/ssh-generic-test",
        format: "syslog",
        scope: Scope::Compared,
        documented: None,
    },
    Case {
        dir: "openssh/crowdsec-hub/sshd_banner_exchange",
        format: "syslog",
        scope: Scope::Compared,
        documented: None,
    },
    Case {
        dir: "openssh/crowdsec-hub/sshd-refused-conn",
        format: "syslog",
        scope: Scope::OutOfScope(
            "TCP wrappers refusing a connection is host access policy, before any credential is \
             offered (we store it as a Preauth Failure); CrowdSec's scenario is a trigger on one line",
        ),
        documented: None,
    },
    Case {
        dir: "openssh/crowdsec-hub/sshd-success-logs",
        format: "syslog",
        scope: Scope::Compared,
        documented: None,
    },
    Case {
        dir: "nginx/crowdsec-hub/nginx-http-generic-bf",
        format: "nginx",
        scope: Scope::Compared,
        documented: None,
    },
    Case {
        dir: "keycloak/crowdsec-hub/keycloak-bf",
        format: "keycloak",
        scope: Scope::Compared,
        documented: None,
    },
    Case {
        dir: "other-auth-portals/crowdsec-hub/authelia-logs",
        format: "authelia",
        scope: Scope::Compared,
        documented: Some((
            &[
                "brute-force-ip 192.0.2.1",
                "brute-force-ip-slow-1h 192.0.2.1",
                "brute-force-ip-slow-24h 192.0.2.1",
            ],
            "a parser test (CrowdSec runs no scenario on it) whose 24 failures from 192.0.2.1 \
             are stamped 2022 to 2025 in no time order; the first line is the newest, and the \
             engine counts an event more than 60 s behind its group's newest as of that newest \
             (docs/RULES.md, late events), so all 24 fall in one window",
        )),
    },
    Case {
        dir: "other-auth-portals/crowdsec-hub/authentik-logs",
        format: "authentik",
        scope: Scope::Compared,
        documented: None,
    },
    Case {
        dir: "envoy/crowdsec-hub/envoy-logs",
        format: "envoy",
        scope: Scope::Compared,
        documented: None,
    },
    Case {
        dir: "windows-security/crowdsec-hub/windows-logs",
        format: "windows",
        scope: Scope::Compared,
        documented: None,
    },
    Case {
        dir: "aws-cloudtrail/crowdsec-hub/aws-cloudtrail",
        format: "cloudtrail",
        scope: Scope::Compared,
        documented: None,
    },
    Case {
        dir: "aws-cloudtrail/crowdsec-hub/aws-nwo-login",
        format: "cloudtrail",
        scope: Scope::OutOfScope(
            "a successful console login outside working hours/days, grouped by IAM ARN (no IP): \
             a time-of-day policy, not a failure pattern; authtrail has no such rule",
        ),
        documented: None,
    },
    Case {
        dir: "kubernetes-audit/crowdsec-hub/k8s-audit-pod-exec-file",
        format: "kubernetes",
        scope: Scope::OutOfScope(
            "`kubectl exec` into a pod is an authorized API call (API Activity), not an \
             authentication",
        ),
        documented: None,
    },
];

/// What `scenario.assert` says CrowdSec raised.
#[derive(Debug, Default)]
struct Expected {
    /// `len(results) == N` (0 for an empty file).
    count: usize,
    /// Per result index: scenario name and sources (key → IP, empty for a non-IP scope).
    results: BTreeMap<usize, ExpectedResult>,
}

#[derive(Debug, Default)]
struct ExpectedResult {
    scenario: Option<String>,
    sources: BTreeMap<String, String>,
}

impl Expected {
    /// The source IPs of every result (non-IP scopes, e.g. an AWS ARN, left out).
    fn ips(&self) -> BTreeSet<String> {
        self.results
            .values()
            .flat_map(|r| r.sources.values())
            .filter(|ip| !ip.is_empty())
            .cloned()
            .collect()
    }

    /// The count, then each result's scenario and sources, for the report.
    fn describe(&self) -> String {
        if self.count == 0 {
            return "0".to_string();
        }
        let each: Vec<String> = self
            .results
            .values()
            .map(|r| {
                let sources: Vec<&str> = r
                    .sources
                    .iter()
                    .map(|(k, ip)| {
                        if ip.is_empty() {
                            k.as_str()
                        } else {
                            ip.as_str()
                        }
                    })
                    .collect();
                format!(
                    "`{}` {}",
                    r.scenario.as_deref().unwrap_or("?"),
                    sources.join(" ")
                )
            })
            .collect();
        format!("{}: {}", self.count, each.join("; "))
    }
}

/// The double-quoted strings of a line (the asserts hold no escaped quotes).
fn quoted(line: &str) -> Vec<&str> {
    line.split('"').skip(1).step_by(2).collect()
}

/// `results[I]…` → (I, the text after `]`).
fn result_index(line: &str) -> Option<(usize, &str)> {
    let at = line.find("results[")? + "results[".len();
    let (num, rest) = line[at..].split_once(']')?;
    Some((num.parse().ok()?, rest))
}

/// Parses `scenario.assert`: the count, and each result's scenario and sources. A line of a
/// shape this parser does not know that holds an IP address is refused (a panic naming it):
/// an IP must never be dropped unread.
fn parse_assert(text: &str, file: &Path) -> Expected {
    let mut exp = Expected::default();
    let mut event_ips: Vec<(usize, String)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let refuse = |why: &str| -> ! { panic!("{}:{}: {why}: {line}", file.display(), n + 1) };
        if line.is_empty() {
            continue;
        }
        if let Some(num) = line.strip_prefix("len(results) == ") {
            exp.count = num
                .trim()
                .parse()
                .unwrap_or_else(|_| refuse("bad result count"));
            continue;
        }
        let strings = quoted(line);
        let holds_ip = strings.iter().any(|s| s.parse::<IpAddr>().is_ok());
        let Some((i, rest)) = result_index(line) else {
            if holds_ip {
                refuse("a line of unknown shape holding an IP address");
            }
            continue;
        };
        let result = exp.results.entry(i).or_default();
        if rest == ".Overflow.GetSources()" && line.contains("\" in results[") {
            // `"KEY" in results[i].Overflow.GetSources()`
            let key = strings.first().unwrap_or_else(|| refuse("no source key"));
            result.sources.entry(key.to_string()).or_default();
        } else if let Some(field) = rest.strip_prefix(".Overflow.Sources[\"") {
            // `results[i].Overflow.Sources["KEY"].FIELD == "VALUE"`
            let [key, value] = strings[..] else {
                refuse("a source line without key and value");
            };
            let field = field
                .split_once("\"].")
                .map(|(_, f)| f)
                .unwrap_or_else(|| refuse("a source line of unknown shape"));
            let ip = result.sources.entry(key.to_string()).or_default();
            if field.starts_with("IP ==") {
                if !value.is_empty() && value.parse::<IpAddr>().is_err() {
                    refuse("a source IP that is not an IP address");
                }
                *ip = value.to_string();
            } else if ["Range ==", "GetScope() ==", "GetValue() =="]
                .iter()
                .any(|f| field.starts_with(f))
            {
                if field.starts_with("Range ==") && !value.is_empty() {
                    refuse("a source range (a range is not compared)");
                }
            } else {
                refuse("a source field this parser does not know");
            }
        } else if rest.starts_with(".Overflow.Alert.GetScenario() == ") {
            result.scenario = strings.first().map(|s| s.to_string());
        } else if rest.starts_with(".Overflow.Alert.Events[") && rest.contains(".GetMeta(\"") {
            // `…Events[j].GetMeta("KEY")… == "VALUE"`: only `source_ip` may hold an IP.
            let key = strings.first().copied().unwrap_or_default();
            let value = strings.get(1).copied().unwrap_or_default();
            if key == "source_ip" {
                event_ips.push((i, value.to_string()));
            } else if value.parse::<IpAddr>().is_ok() {
                refuse("an event meta field other than source_ip holding an IP address");
            }
        } else if rest.starts_with(".Overflow.Alert.Remediation ==")
            || rest.starts_with(".Overflow.Alert.GetEventsCount() ==")
        {
        } else if holds_ip {
            refuse("a line of unknown shape holding an IP address");
        }
    }
    // Every event's source_ip must be a source of its result, when the result is scoped by IP
    // (an AWS ARN scope has events with an IP and a source without).
    for (i, ip) in event_ips {
        let known = exp.results.get(&i).is_some_and(|r| {
            r.sources.values().all(String::is_empty) || r.sources.values().any(|s| *s == ip)
        });
        assert!(
            known,
            "{}: results[{i}] has an event from {ip} that is none of its sources",
            file.display()
        );
    }
    let indexes: Vec<usize> = exp.results.keys().copied().collect();
    assert_eq!(
        indexes,
        (0..exp.count).collect::<Vec<_>>(),
        "{}: results named do not match len(results) == {}",
        file.display(),
        exp.count
    );
    exp
}

/// `log_file` and the scenarios (non-empty entries of the `scenarios:` list) of `config.yaml`.
fn parse_config(text: &str, file: &Path) -> (String, Vec<String>) {
    let mut log_file = None;
    let mut scenarios = Vec::new();
    let mut in_scenarios = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if in_scenarios {
            if let Some(item) = trimmed.strip_prefix('-') {
                let item = item.trim().trim_matches('"');
                if !item.is_empty() {
                    scenarios.push(item.to_string());
                }
                continue;
            }
            in_scenarios = false;
        }
        if trimmed == "scenarios:" {
            in_scenarios = true;
        } else if let Some(v) = trimmed.strip_prefix("log_file:") {
            log_file = Some(v.trim().to_string());
        }
    }
    let log_file = log_file.unwrap_or_else(|| panic!("{}: no log_file", file.display()));
    (log_file, scenarios)
}

/// One alert `authtrail alerts --format json` listed.
struct Alert {
    rule: String,
    /// The alert's source IP (its group's `ip`, else its evidence's `src_endpoint.ip`).
    ip: Option<String>,
    /// The group as `field=value` pairs, for an alert without an IP.
    group: String,
}

/// What one `ingest` run stored and raised.
struct Run {
    /// Entries appended for the file (the unparsed among them).
    events: u64,
    unparsed: u64,
    alerts: Vec<Alert>,
}

impl Run {
    /// `rule ip, …` for the report (`none` when nothing was raised).
    fn describe(&self) -> String {
        if self.alerts.is_empty() {
            return "none".to_string();
        }
        let mut by_rule: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for a in &self.alerts {
            by_rule
                .entry(&a.rule)
                .or_default()
                .insert(a.ip.as_deref().unwrap_or(&a.group));
        }
        by_rule
            .iter()
            .map(|(rule, ips)| {
                format!(
                    "`{rule}` {}",
                    ips.iter().copied().collect::<Vec<_>>().join(" ")
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The IPs of the alerts whose rule id starts with `prefix` (every alert for `""`).
    fn ips(&self, prefix: &str) -> BTreeSet<String> {
        self.alerts
            .iter()
            .filter(|a| a.rule.starts_with(prefix))
            .filter_map(|a| a.ip.clone())
            .collect()
    }

    /// `rule ip` of every alert with an IP.
    fn rule_ips(&self) -> BTreeSet<String> {
        self.alerts
            .iter()
            .filter_map(|a| Some(format!("{} {}", a.rule, a.ip.as_deref()?)))
            .collect()
    }
}

/// `authtrail ingest` of `log` into a fresh data directory (with `rules` when given), then
/// `authtrail alerts --format json`.
fn replay(log: &Path, format: &str, rules: Option<&Path>) -> Run {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("data");
    let mut args = vec![
        "ingest",
        "--format",
        format,
        "--source",
        "crowdsec-hub",
        "--timezone",
        "UTC",
    ];
    if let Some(rules) = rules {
        args.extend(["--rules", rules.to_str().expect("utf-8 path")]);
    }
    args.push(log.to_str().expect("utf-8 path"));
    let (out, _) = expect_code(
        &run_in(&dir, &args),
        0,
        &format!("ingest {}", log.display()),
    );
    // `total: N events, M unparsed, in …`
    let total = out
        .lines()
        .find_map(|l| l.strip_prefix("total: "))
        .unwrap_or_else(|| panic!("no total line in:\n{out}"));
    let number = |s: &str, unit: &str| -> u64 {
        s.split(", ")
            .find_map(|part| part.strip_suffix(unit))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {unit:?} count in {s:?}"))
    };
    let events = number(total, " events");
    let unparsed = number(total, " unparsed");

    let (json, _) = expect_code(
        &run_in(&dir, &["alerts", "--format", "json"]),
        0,
        "alerts --format json",
    );
    let alerts = json_lines(&json)
        .iter()
        .map(|a| {
            let finding = &a["alert"];
            let evidence = &finding["evidences"][0];
            let ip = [
                &evidence["data"]["group"]["ip"],
                &evidence["src_endpoint"]["ip"],
            ]
            .into_iter()
            .find_map(Value::as_str)
            .map(str::to_string);
            let rule = a["rule"]
                .as_str()
                .or_else(|| finding["finding_info"]["analytic"]["uid"].as_str())
                .unwrap_or_else(|| panic!("an alert without a rule: {a}"))
                .to_string();
            let group = evidence["data"]["group"]
                .as_object()
                .map(|g| {
                    g.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            Alert { rule, ip, group }
        })
        .collect();
    Run {
        events,
        unparsed,
        alerts,
    }
}

/// One row of the report.
struct Row {
    test: String,
    log: String,
    format: &'static str,
    lines: usize,
    builtin: Run,
    fixture: Run,
    expected: Expected,
    verdict: String,
}

fn datasets_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} absent and CI is set",
        dir.display()
    );
    eprintln!(
        "NOTICE: {} absent; skipped (the CrowdSec hub tests live in ../shared)",
        dir.display()
    );
    None
}

/// Judges one folder: `Ok(verdict)` or `Err(why it fails)`.
fn judge(case: &Case, expected: &Expected, builtin: &Run, fixture: &Run) -> Result<String, String> {
    if let Scope::OutOfScope(why) = case.scope {
        return Ok(format!(
            "out of scope: not an authentication detection, not compared ({why})"
        ));
    }
    let want = expected.ips();
    let (documented, why) = case.documented.unwrap_or((&[], ""));
    let documented: BTreeSet<String> = documented.iter().map(|s| s.to_string()).collect();
    let mut raised = builtin.rule_ips();
    raised.extend(fixture.rule_ips());
    // `rule ip` on an IP CrowdSec does not name, and not documented.
    let outside: Vec<&String> = raised
        .iter()
        .filter(|r| !want.iter().any(|ip| r.ends_with(&format!(" {ip}"))))
        .filter(|r| !documented.contains(*r))
        .collect();
    if !outside.is_empty() {
        return Err(format!(
            "gap: we raise {outside:?}, on IPs CrowdSec's assert does not name"
        ));
    }
    let gone: Vec<&String> = documented.difference(&raised).collect();
    if !gone.is_empty() {
        return Err(format!(
            "documented alerts no longer raised: {gone:?} (update the case and docs/CROWDSEC.md)"
        ));
    }
    let extra = if documented.is_empty() {
        String::new()
    } else {
        format!("; documented extra alerts: {why}")
    };
    if expected.count == 0 {
        let without_ip = builtin
            .alerts
            .iter()
            .chain(&fixture.alerts)
            .any(|a| a.ip.is_none());
        return if without_ip {
            Err(format!(
                "gap: CrowdSec expects no alert, we raise {} (built-ins) / {} (fixture)",
                builtin.describe(),
                fixture.describe()
            ))
        } else if documented.is_empty() {
            Ok("match: CrowdSec expects no alert, none raised".to_string())
        } else {
            Ok(format!("match{extra}"))
        };
    }
    let got = fixture.ips("crowdsec-");
    if got != want {
        return Err(format!(
            "gap: the fixture's CrowdSec rules flag {got:?}, CrowdSec {want:?}"
        ));
    }
    let builtin_note = if builtin.ips("").is_empty() {
        "built-ins raise none (below their thresholds)".to_string()
    } else if builtin.ips("") == want {
        "built-ins flag the same IPs".to_string()
    } else {
        format!("built-ins flag {:?}", builtin.ips(""))
    };
    Ok(format!(
        "match: the fixture flags exactly CrowdSec's IPs; {builtin_note}{extra}"
    ))
}

#[test]
fn crowdsec_hub_tests_replayed_through_ingest() {
    let Some(datasets) = datasets_dir() else {
        return;
    };
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crowdsec-thresholds.yaml");
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for case in CASES {
        let folder = datasets.join(case.dir);
        let assert_file = folder.join("scenario.assert");
        let text = std::fs::read_to_string(&assert_file)
            .unwrap_or_else(|e| panic!("reading {}: {e}", assert_file.display()));
        let expected = parse_assert(&text, &assert_file);
        let config_file = folder.join("config.yaml");
        let config = std::fs::read_to_string(&config_file)
            .unwrap_or_else(|e| panic!("reading {}: {e}", config_file.display()));
        let (log_name, scenarios) = parse_config(&config, &config_file);
        // A scenario CrowdSec ran and expected nothing of, or none ran (a parser test): either
        // way, no alert is expected.
        if scenarios.is_empty() {
            assert_eq!(expected.count, 0, "{}: no scenario ran", case.dir);
        }
        let log = folder.join(&log_name);
        let lines = std::fs::read_to_string(&log)
            .unwrap_or_else(|e| panic!("reading {}: {e}", log.display()))
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count();
        let builtin = replay(&log, case.format, None);
        let with_fixture = replay(&log, case.format, Some(&fixture));
        let verdict = match judge(case, &expected, &builtin, &with_fixture) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{}: {e}", case.dir));
                e
            }
        };
        let test = case.dir.rsplit('/').next().unwrap_or(case.dir).to_string();
        rows.push(Row {
            test,
            log: log_name,
            format: case.format,
            lines,
            builtin,
            fixture: with_fixture,
            expected,
            verdict,
        });
    }

    println!("| test | log | format | lines / parsed / unparsed | CrowdSec expects | built-ins raise | with the fixture | verdict |");
    println!("|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | `{}` | `{}` | {} / {} / {} | {} | {} | {} | {} |",
            r.test,
            r.log,
            r.format,
            r.lines,
            r.builtin.events - r.builtin.unparsed,
            r.builtin.unparsed,
            r.expected.describe(),
            r.builtin.describe(),
            r.fixture.describe(),
            r.verdict
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} CrowdSec hub tests differ:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn the_assert_parser_reads_sources_and_refuses_unknown_ip_lines() {
    let text = r#"len(results) == 1
"192.0.2.7" in results[0].Overflow.GetSources()
results[0].Overflow.Sources["192.0.2.7"].IP == "192.0.2.7"
results[0].Overflow.Sources["192.0.2.7"].Range == ""
results[0].Overflow.Sources["192.0.2.7"].GetScope() == "Ip"
results[0].Overflow.Alert.Events[0].GetMeta("source_ip") == "192.0.2.7"
basename(results[0].Overflow.Alert.Events[0].GetMeta("datasource_path")) == "x.log"
results[0].Overflow.Alert.GetScenario() == "crowdsecurity/ssh-bf"
results[0].Overflow.Alert.Remediation == true
results[0].Overflow.Alert.GetEventsCount() == 6
"#;
    let exp = parse_assert(text, Path::new("t.assert"));
    assert_eq!(exp.count, 1);
    assert_eq!(exp.ips(), BTreeSet::from(["192.0.2.7".to_string()]));
    assert_eq!(exp.describe(), "1: `crowdsecurity/ssh-bf` 192.0.2.7");
    assert_eq!(parse_assert("", Path::new("e.assert")).count, 0);

    let unknown = "len(results) == 1\nresults[0].Overflow.Whatever[\"192.0.2.8\"] == true\n";
    let err = std::panic::catch_unwind(|| parse_assert(unknown, Path::new("u.assert")))
        .expect_err("an unknown line holding an IP is refused");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("u.assert:2:") && msg.contains("IP address"),
        "{msg}"
    );
}
