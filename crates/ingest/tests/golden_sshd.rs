//! Golden tests of the sshd and PAM parsers over real logs in `../shared/datasets`: insta
//! snapshots of what each line became, and checks against the labels that come with the data
//! (loghub's templates, Wazuh's rule groups).

mod support;

use std::collections::BTreeMap;

use authtrail_ingest::pipeline::Normalized;
use authtrail_ingest::InputFormat;

/// `support::render` plus the fields the sshd/PAM mapping decides: severity, status detail,
/// protocol, service, and the unmapped keys.
fn render_full(records: &[(usize, Normalized)]) -> String {
    let mut out = String::new();
    for record in records {
        let base = support::render(std::slice::from_ref(record));
        let base = base.trim_end();
        let e = &record.1.event;
        if e.is_unparsed() {
            out.push_str(base);
            out.push('\n');
            continue;
        }
        out.push_str(base);
        out.push_str(&format!(
            " | sev={} | detail={}",
            e.severity.as_deref().unwrap_or("?"),
            e.status_detail.as_deref().unwrap_or("-"),
        ));
        if let Some(p) = &e.auth_protocol {
            out.push_str(&format!(" | proto={p}"));
        }
        if let Some(port) = e.src_endpoint.as_ref().and_then(|s| s.port) {
            out.push_str(&format!(" | port={port}"));
        }
        if let Some(s) = e.service.as_ref().and_then(|s| s.name.as_deref()) {
            out.push_str(&format!(" | svc={s}"));
        }
        if let Some(code) = &e.status_code {
            out.push_str(&format!(" | code={code}"));
        }
        if let Some(actor) = &e.actor {
            out.push_str(&format!(" | actor={actor}"));
        }
        for (k, v) in &e.other {
            out.push_str(&format!(" | {k}={v}"));
        }
        for (k, v) in &e.unmapped {
            out.push_str(&format!(" | {k}={v}"));
        }
        out.push('\n');
    }
    out
}

#[test]
fn csv_splitter_handles_quotes() {
    assert_eq!(
        support::csv_fields(r#"a,"b,c","say ""hi""",,d"#),
        vec!["a", "b,c", "say \"hi\"", "", "d"]
    );
}

#[test]
fn openssh_loghub() {
    let Some(records) = support::normalized("openssh/loghub/OpenSSH_2k.log", InputFormat::Syslog)
    else {
        return;
    };
    assert_eq!(records.len(), 2000);
    // Every line is from December: with ingest on 2026-11-27 they are read as 2025.
    assert!(records
        .iter()
        .all(|(_, n)| n.event.is_unparsed() || n.event.time < 1_767_225_600_000));
    insta::assert_snapshot!("openssh_loghub", render_full(&records));
}

#[test]
fn openssh_crowdsec_hub() {
    let Some(dir) = support::datasets() else {
        return;
    };
    let mut logs: Vec<_> = std::fs::read_dir(dir.join("openssh/crowdsec-hub"))
        .expect("crowdsec-hub")
        .flat_map(|d| {
            std::fs::read_dir(d.expect("entry").path())
                .into_iter()
                .flatten()
        })
        .map(|f| f.expect("file").path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    logs.sort();
    assert!(logs.len() >= 6, "{logs:?}");
    for log in logs {
        let name = log
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        let body = std::fs::read(&log).expect("read");
        let records = support::normalize(&body, InputFormat::Syslog);
        insta::assert_snapshot!(format!("crowdsec_{name}"), render_full(&records));
    }
}

#[test]
fn linux_loghub_sshd_and_pam_lines() {
    let Some(body) = support::dataset("linux-syslog/loghub/Linux_2k.log") else {
        return;
    };
    let text = String::from_utf8_lossy(&body);
    let lines: Vec<&str> = text.lines().collect();
    let records = support::normalize(&body, InputFormat::Syslog);
    let ours: Vec<_> = records
        .into_iter()
        .filter(|(line, _)| {
            let tag = lines
                .get(line - 1)
                .and_then(|l| l.split_whitespace().nth(4))
                .unwrap_or("");
            let app = tag.split('[').next().unwrap_or(tag);
            app == "sshd" || app.contains("pam_unix")
        })
        .collect();
    assert!(ours.len() > 800, "{}", ours.len());
    // All of these are mapped: PAM's old-style lines and sshd's.
    let unparsed: Vec<_> = ours
        .iter()
        .filter(|(_, n)| n.event.is_unparsed())
        .map(|(l, n)| (l, n.unparsed_reason.clone()))
        .collect();
    assert!(unparsed.is_empty(), "{unparsed:?}");
    insta::assert_snapshot!("linux_loghub_sshd_pam", render_full(&ours));
}

/// Wazuh's expected outcome of a rule's groups: Some(true) success, Some(false) failure.
fn wazuh_expectation(groups: &str) -> Option<bool> {
    let groups: Vec<&str> = groups.split(',').collect();
    if groups.contains(&"authentication_success") {
        Some(true)
    } else if groups.contains(&"authentication_failed") || groups.contains(&"invalid_login") {
        Some(false)
    } else {
        None
    }
}

/// Rows we knowingly leave unmapped, with why: (file, section, log_no, reason). None so far.
const WAZUH_EXCEPTIONS: &[(&str, &str, &str, &str)] = &[];

/// Some Wazuh rows carry macOS `log show` timestamps (`2020-03-23 06:47:42.801612-0700  host`),
/// which the syslog header parser does not read (not the sshd parser's concern). Rewrite them
/// as RFC 3339 (`2020-03-23T06:47:42.801612-07:00 host`) so the message is still checked.
fn rfc3339_header(log: &str) -> Option<String> {
    let b = log.as_bytes();
    if b.len() < 40 || b.get(10) != Some(&b' ') || !b[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (stamp, rest) = log.split_once("  ")?;
    let (date, time) = stamp.split_once(' ')?;
    let (clock, offset) = time.split_at(time.len().checked_sub(5)?);
    let (oh, om) = offset.split_at(3);
    Some(format!("{date}T{clock}{oh}:{om} {rest}"))
}

#[test]
fn wazuh_cases_agree_on_success_and_failure() {
    let mut disagreements = Vec::new();
    let mut checked = 0;
    let mut rewritten_headers = 0;
    for file in [
        "openssh/wazuh-ruleset-tests/sshd.cases.csv",
        "linux-syslog/wazuh-ruleset-tests/pam.cases.csv",
    ] {
        let Some(body) = support::dataset(file) else {
            return;
        };
        let text = String::from_utf8(body).expect("utf-8");
        for row in text.lines().skip(1) {
            let f = support::csv_fields(row);
            let [ini, section, log_no, _, log, _, _, _, _, groups] = &f[..] else {
                panic!("bad row {row}");
            };
            let Some(expect_success) = wazuh_expectation(groups) else {
                continue;
            };
            checked += 1;
            let log = match rfc3339_header(log) {
                Some(rewritten) => {
                    rewritten_headers += 1;
                    rewritten
                }
                None => log.clone(),
            };
            let records = support::normalize(log.as_bytes(), InputFormat::Syslog);
            let e = &records[0].1.event;
            let got = if e.is_unparsed() {
                format!(
                    "unparsed: {}",
                    records[0].1.unparsed_reason.as_deref().unwrap_or("")
                )
            } else {
                e.status.clone().unwrap_or_default()
            };
            let agrees = match got.as_str() {
                "Success" => expect_success,
                "Failure" => !expect_success,
                _ => false,
            };
            if !agrees
                && !WAZUH_EXCEPTIONS
                    .iter()
                    .any(|(i, s, n, _)| i == ini && s == section && n == log_no)
            {
                disagreements.push(format!(
                    "{ini} | {section} #{log_no} | expected {} | got {got} | {log}",
                    if expect_success { "Success" } else { "Failure" }
                ));
            }
        }
    }
    println!("{checked} labelled rows checked ({rewritten_headers} with macOS headers rewritten)");
    for d in &disagreements {
        println!("DISAGREE {d}");
    }
    assert!(checked >= 30, "{checked}");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// What each loghub OpenSSH template must become: (class, activity, status), or None for a
/// line that is not an authentication event (kept unparsed).
fn loghub_expectation(template: &str) -> Option<(&'static str, &'static str, &'static str)> {
    const LOGON_OK: (&str, &str, &str) = ("Authentication", "Logon", "Success");
    const LOGON_FAIL: (&str, &str, &str) = ("Authentication", "Logon", "Failure");
    const LOGOFF_OK: (&str, &str, &str) = ("Authentication", "Logoff", "Success");
    const PREAUTH_FAIL: (&str, &str, &str) = ("Authentication", "Preauth", "Failure");
    const PREAUTH_UNKNOWN: (&str, &str, &str) = ("Authentication", "Preauth", "Unknown");
    Some(match template {
        // Accepted password.
        "E1" => LOGON_OK,
        // Connection closed by IP [preauth]; no identification string; Received disconnect
        // (Auth fail, no more methods, Bye Bye, Closed due to user request) [preauth];
        // fatal: Write failed [preauth].
        "E2" | "E3" | "E6" | "E7" | "E11" | "E24" | "E25" => PREAUTH_FAIL,
        // Too many authentication failures; Failed none/password; invalid user (both forms);
        // repeated failures; PAM N more failures; pam_unix auth failure and user unknown.
        "E4" | "E5" | "E8" | "E9" | "E10" | "E12" | "E13" | "E14" | "E15" | "E16" | "E17"
        | "E19" | "E20" | "E21" => LOGON_FAIL,
        // PAM session closed; Received disconnect: disconnected by user (after login).
        "E22" | "E26" => LOGOFF_OK,
        // PAM session opened.
        "E23" => LOGON_OK,
        // reverse mapping checking … POSSIBLE BREAK-IN ATTEMPT!
        "E27" => PREAUTH_UNKNOWN,
        // PAM service(sshd) ignoring max retries: a configuration note, not an event.
        "E18" => return None,
        other => panic!("template {other} has no expectation"),
    })
}

#[test]
fn openssh_loghub_templates() {
    let Some(body) = support::dataset("openssh/loghub/OpenSSH_2k.log") else {
        return;
    };
    let Some(structured) = support::dataset("openssh/loghub/OpenSSH_2k.log_structured.csv") else {
        return;
    };
    let Some(templates) = support::dataset("openssh/loghub/OpenSSH_2k.log_templates.csv") else {
        return;
    };
    let templates: BTreeMap<String, String> = String::from_utf8(templates)
        .expect("utf-8")
        .lines()
        .skip(1)
        .map(|l| {
            let f = support::csv_fields(l);
            (f[0].clone(), f[1].clone())
        })
        .collect();
    let records = support::normalize(&body, InputFormat::Syslog);
    let by_line: BTreeMap<usize, &Normalized> = records.iter().map(|(l, n)| (*l, n)).collect();
    let mut counts: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut wrong = Vec::new();
    for row in String::from_utf8(structured)
        .expect("utf-8")
        .lines()
        .skip(1)
    {
        let f = support::csv_fields(row);
        let line: usize = f[0].parse().expect("LineId");
        let template = f[f.len() - 2].clone();
        let n = by_line.get(&line).expect("record for line");
        let e = &n.event;
        let got = if e.is_unparsed() {
            None
        } else {
            Some((
                e.class_name.clone().unwrap_or_default(),
                e.activity_name.clone().unwrap_or_default(),
                e.status.clone().unwrap_or_default(),
            ))
        };
        let want = loghub_expectation(&template);
        let ok = match (&got, want) {
            (None, None) => true,
            (Some((c, a, s)), Some((wc, wa, ws))) => c == wc && a == wa && s == ws,
            _ => false,
        };
        if !ok {
            wrong.push(format!("L{line} {template}: want {want:?}, got {got:?}"));
        }
        let entry = counts.entry(template.clone()).or_insert((0, String::new()));
        entry.0 += 1;
        entry.1 = match want {
            Some((c, a, s)) => format!("{c}: {a} ({s})"),
            None => "not auth (unparsed)".into(),
        };
    }
    let mut total = 0;
    for (template, (count, kind)) in &counts {
        total += count;
        println!(
            "{template:>4} {count:>4}  {kind:<40} {}",
            templates.get(template).map_or("", String::as_str)
        );
    }
    assert_eq!(total, 2000);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
