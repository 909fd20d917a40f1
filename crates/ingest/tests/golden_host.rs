//! Golden tests of the host parsers (auditd, sudo, su) over public datasets, checked against
//! the expectations published with them: go-libaudit's `.golden` output for the audit logs and
//! Wazuh's rule ids for the sudo lines.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use authtrail_ingest::parse::syslog::parse_header;
use authtrail_ingest::parse::{ParseConfig, ParseContext, Parser};
use authtrail_ingest::pipeline::Normalized;
use authtrail_ingest::InputFormat;
use serde_json::Value;

const AUDIT_LOGS: &[&str] = &[
    "audit-rhel6.log",
    "audit-rhel7.log",
    "audit-ubuntu16.log",
    "test2.log",
];

/// The mapped fields a line of `render` leaves out: status_detail, ids, actor, other, unmapped.
fn detail(records: &[(usize, Normalized)]) -> String {
    let mut out = String::new();
    for (line, n) in records {
        let e = &n.event;
        if e.is_unparsed() {
            continue;
        }
        let mut shown = serde_json::Map::new();
        let value = serde_json::to_value(e).expect("event as JSON");
        for key in [
            "status_detail",
            "user",
            "actor",
            "src_endpoint",
            "dst_endpoint",
            "service",
            "count",
            "privileges",
            "unmapped",
        ] {
            if let Some(v) = value.get(key) {
                shown.insert(key.into(), v.clone());
            }
        }
        if let Some(uid) = e.metadata.uid.as_deref() {
            shown.insert("metadata.uid".into(), Value::from(uid));
        }
        out.push_str(&format!("L{line} {}\n", Value::Object(shown)));
    }
    out
}

/// `support::render`, except that records the PAM parser took (su's and sudo's `pam_…` lines,
/// someone else's parser) are shown as routed there, so this output does not depend on it.
fn render_routed(records: &[(usize, Normalized)]) -> String {
    let mut out = String::new();
    for record in records {
        if record.1.parser == Some(Parser::Pam) {
            out.push_str(&format!("L{} routed to the PAM parser\n", record.0));
        } else {
            out.push_str(&support::render(std::slice::from_ref(record)));
        }
    }
    out
}

fn audit(name: &str) -> Option<Vec<(usize, Normalized)>> {
    support::normalized(
        &format!("linux-auditd/go-libaudit/{name}"),
        InputFormat::Auditd,
    )
}

#[test]
fn auditd_go_libaudit_logs() {
    for name in AUDIT_LOGS {
        let Some(records) = audit(name) else { return };
        insta::assert_snapshot!(
            format!("auditd_{name}"),
            format!("{}\n{}", support::render(&records), detail(&records))
        );
    }
}

/// Record types whose events this parser maps, as go-libaudit names them.
const AUTH_RECORD_TYPES: &[&str] = &[
    "user_auth",
    "user_acct",
    "user_login",
    "user_start",
    "user_end",
    "user_logout",
    "cred_acq",
    "cred_refr",
    "cred_disp",
    "user_err",
    "login",
];

/// Our events agree with go-libaudit's parse of every authentication record on the account
/// (`acct`), the outcome (`result`) and the address (`addr`).
#[test]
fn auditd_agrees_with_go_libaudit_goldens() {
    let mut rows = Vec::new();
    let mut disagreements = Vec::new();
    for name in AUDIT_LOGS {
        let Some(records) = audit(name) else { return };
        let by_uid: BTreeMap<&str, &Normalized> = records
            .iter()
            .filter_map(|(_, n)| Some((n.event.metadata.uid.as_deref()?, n)))
            .collect();
        let golden = support::dataset(&format!("linux-auditd/go-libaudit/{name}.golden"))
            .expect("golden next to its log");
        let golden: Vec<Value> = serde_json::from_slice(&golden).expect("golden JSON");
        for g in &golden {
            let Some(kind) = g.get("record_type").and_then(Value::as_str) else {
                continue; // a record go-libaudit could not parse (`null`)
            };
            if !AUTH_RECORD_TYPES.contains(&kind) {
                continue;
            }
            let raw = g["raw_msg"].as_str().expect("raw_msg");
            let id = raw
                .strip_prefix("audit(")
                .and_then(|r| r.split_once(')'))
                .map(|(id, _)| id)
                .expect("audit id in raw_msg");
            let data = &g["data"];
            let want_acct = data.get("acct").and_then(Value::as_str);
            let want_status = match data.get("result").and_then(Value::as_str) {
                Some("success") => "Success",
                Some("fail") => "Failure",
                Some(other) => panic!("unexpected go-libaudit result {other:?}"),
                None => "Unknown",
            };
            let want_addr = data.get("addr").and_then(Value::as_str);
            let Some(ours) = by_uid.get(id) else {
                disagreements.push(format!("{name} {id} {kind}: no event of ours"));
                continue;
            };
            let e = &ours.event;
            let acct = support::user_name(e);
            let status = e.status.as_deref().unwrap_or("?");
            let src = e.src_endpoint.as_ref();
            let addr = src.and_then(|s| s.ip.as_deref());
            let addr_ok = match want_addr {
                Some(a) => addr == Some(a) || src.and_then(|s| s.hostname.as_deref()) == Some(a),
                None => addr.is_none(),
            };
            let ok = acct == want_acct && status == want_status && addr_ok;
            rows.push(format!(
                "{:<22} {:<22} {:<11} acct {:<16} {:<16} result {:<8} {:<8} addr {:<15} {:<15} {}",
                name,
                id,
                kind,
                want_acct.unwrap_or("-"),
                acct.unwrap_or("-"),
                want_status,
                status,
                want_addr.unwrap_or("-"),
                addr.unwrap_or("-"),
                if ok { "ok" } else { "DISAGREE" }
            ));
            if !ok {
                disagreements.push(rows.last().cloned().unwrap_or_default());
            }
        }
    }
    println!("file                   id                     type        acct (go-libaudit, ours)          result (theirs, ours)   addr (theirs, ours)");
    for row in &rows {
        println!("{row}");
    }
    assert!(rows.len() >= 18, "compared only {} events", rows.len());
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

/// The records of `body` whose syslog program is su or sudo: rendered when the su or sudo
/// parser took them; those whose message is a PAM module's go to the PAM parser (not this
/// test's) and are only counted.
fn su_sudo_lines(body: &[u8]) -> String {
    let records = support::normalize(body, InputFormat::Syslog);
    let text = String::from_utf8_lossy(body);
    let lines: Vec<&str> = text.lines().collect();
    let mut ctx = ParseContext::new(Arc::new(ParseConfig::default()), support::INGEST_MS);
    let mut mine = Vec::new();
    let mut to_pam = 0;
    for (line, n) in records {
        let raw = lines.get(line - 1).copied().unwrap_or("");
        let Ok(header) = parse_header(raw, &mut ctx) else {
            continue;
        };
        if !matches!(header.program(), "su" | "sudo") {
            continue;
        }
        match n.parser {
            Some(Parser::Pam) => to_pam += 1,
            _ => mine.push((line, n)),
        }
    }
    format!(
        "{} su/sudo lines for the su and sudo parsers, {to_pam} routed to the PAM parser\n{}\n{}",
        mine.len(),
        support::render(&mine),
        detail(&mine)
    )
}

#[test]
fn syslog_loghub_linux_su_sudo() {
    let Some(body) = support::dataset("linux-syslog/loghub/Linux_2k.log") else {
        return;
    };
    insta::assert_snapshot!(su_sudo_lines(&body));
}

#[test]
fn syslog_crowdsec_pam_logs() {
    let Some(body) = support::dataset("linux-syslog/crowdsec-hub/pam-logs/pam-logs.log") else {
        return;
    };
    insta::assert_snapshot!(su_sudo_lines(&body));
}

/// Lines written for this test (not from a dataset): every su and sudo form the parsers read.
const SYNTHETIC: &str = "\
<34>Mar  1 09:59:59 mymachine su: 'su root' failed for lonvick on /dev/pts/8
Mar  1 10:00:00 web1 su[100]: (to root) alice on pts/0
Mar  1 10:00:01 web1 su[101]: FAILED SU (to root) bob on pts/1
Mar  1 10:00:02 web1 su[102]: Successful su for postgres by carol
Mar  1 10:00:03 web1 su[103]: + pts/2 carol:postgres
Mar  1 10:00:04 web1 su[104]: - pts/3 dave:root
Mar  1 10:00:05 web1 su[105]: FAILED su for root by dave
Mar  1 10:00:06 web1 su[106]: pam_authenticate: Authentication failure
Mar  1 10:00:07 web1 su[107]: No passwd entry for user 'ghost'
Mar  1 10:00:08 web1 su[108]: pam_unix(su:session): session opened for user root by alice(uid=1000)
Mar  1 10:01:00 web1 sudo[200]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id
Mar  1 10:01:01 web1 sudo[201]:      bob : command not allowed ; TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/sh
Mar  1 10:01:02 web1 sudo[202]:      eve : user NOT in sudoers ; TTY=pts/4 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash
Mar  1 10:01:03 web1 sudo[203]:    alice : 2 incorrect password attempts ; TTY=pts/0 ; PWD=/ ; USER=postgres ; COMMAND=/usr/bin/psql
Mar  1 10:01:04 web1 sudo[204]:    alice : a password is required ; PWD=/ ; USER=root ; COMMAND=/bin/true
Mar  1 10:01:05 web1 sudo[205]:    alice : unable to resolve host web1: Name or service not known
Mar  1 10:01:06 web1 sudo[206]: message repeated 2 times: [   alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls]
";

#[test]
fn syslog_synthetic_su_sudo() {
    let records = support::normalize(SYNTHETIC.as_bytes(), InputFormat::Syslog);
    insta::assert_snapshot!(format!("{}\n{}", render_routed(&records), detail(&records)));
}

/// Wazuh's sudo test lines: the rendering, and our outcome against Wazuh's rule for each line.
///
/// The sudo rules carry no `authentication_success`/`authentication_failed` group (their groups
/// are `syslog,sudo` and compliance tags), so the expected outcome comes from the rule id:
/// 5403 "First time user executed sudo" (the command ran) is Success; 5401 "Failed attempt to
/// run sudo", 5404 "Three failed attempts to run sudo" and 5405 "Unauthorized user attempted to
/// use sudo" are Failure. The groups are used when they do name an outcome.
#[test]
fn syslog_wazuh_sudo_cases() {
    let Some(csv) = support::dataset("linux-syslog/wazuh-ruleset-tests/sudo.cases.csv") else {
        return;
    };
    let csv = String::from_utf8(csv).expect("UTF-8 CSV");
    let mut rows = csv.lines();
    let header = support::csv_fields(rows.next().expect("CSV header"));
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (log, rule, groups) = (col("log"), col("expected_rule_id"), col("rule_groups"));
    let mut body = String::new();
    let mut expected = Vec::new();
    for row in rows {
        let row = support::csv_fields(row);
        if row.get(log).is_none_or(|l| l.is_empty()) {
            continue;
        }
        let g = &row[groups];
        let want = if g.contains("authentication_failed") {
            "Failure"
        } else if g.contains("authentication_success") {
            "Success"
        } else {
            match row[rule].as_str() {
                "5403" => "Success",
                "5401" | "5404" | "5405" => "Failure",
                other => panic!("no expected outcome for Wazuh rule {other}"),
            }
        };
        body.push_str(&row[log]);
        body.push('\n');
        expected.push((row[rule].clone(), want, row[log].clone()));
    }
    let records = support::normalize(body.as_bytes(), InputFormat::Syslog);
    assert_eq!(records.len(), expected.len());
    let mut disagreements = Vec::new();
    for ((_, n), (rule, want, log)) in records.iter().zip(&expected) {
        let got = n.event.status.as_deref().unwrap_or("?");
        println!("rule {rule} want {want:<8} got {got:<8} {log}");
        if got != *want || n.parser != Some(Parser::Sudo) {
            disagreements.push(format!("rule {rule}: want {want}, got {got}: {log}"));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    insta::assert_snapshot!(format!(
        "{}\n{}",
        support::render(&records),
        detail(&records)
    ));
}
