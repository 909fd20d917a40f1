//! `authtrail ingest` on text logs: per-kind and per-parser counts, bad input kept and counted
//! (binary garbage, invalid UTF-8, a 10 MB line, a bad PRI), the Dec → Jan year roll-over, stdin,
//! and the config file's parser settings.

mod common;

use std::io::Write;
use std::process::Stdio;

use authtrail_store::{EmbeddedLog, LogOptions};
use common::{authtrail, expect_code, run_in};
use serde_json::Value;

/// The events of a data directory, in order, with their raw bytes.
fn events(dir: &std::path::Path) -> Vec<(Value, Vec<u8>)> {
    let log = EmbeddedLog::open(dir, LogOptions::default()).expect("open");
    let out = (0..log.size())
        .map(|seq| {
            let e = log.entry(seq).expect("entry");
            (
                serde_json::from_slice(&e.body.event).expect("event"),
                e.body.raw,
            )
        })
        .collect();
    log.close().expect("close");
    out
}

#[test]
fn host_logs_with_bad_input_are_all_kept_and_counted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let file = tmp.path().join("auth.log");
    let mut body = Vec::new();
    body.extend_from_slice(b"Dec 31 23:59:00 web1 sshd[100]: Failed password for root from 203.0.113.9 port 5000 ssh2\n");
    body.extend_from_slice(
        b"Dec 31 23:59:30 web1 sshd[100]: Invalid user b\xffd from 203.0.113.9 port 5001\n",
    );
    body.extend_from_slice(b"\x00\x01\x02garbage\xfe\n");
    body.extend_from_slice(
        b"<999>Jan  1 00:00:00 web1 sshd[1]: Accepted password for x from 1.2.3.4 port 1 ssh2\n",
    );
    let mut long = b"Jan  1 00:00:30 web1 sshd[101]: ".to_vec();
    long.extend(std::iter::repeat_n(b'A', 10 * 1024 * 1024));
    body.extend_from_slice(&long);
    body.push(b'\n');
    body.extend_from_slice(b"Jan  1 00:01:00 web1 sshd[102]: Accepted publickey for alice from 198.51.100.4 port 5002 ssh2: RSA SHA256:abc\n");
    body.extend_from_slice(b"Jan  1 00:02:00 web1 sudo[7]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id\n");
    std::fs::write(&file, &body).unwrap();

    let out = run_in(
        &dir,
        &[
            "ingest",
            "--format",
            "syslog",
            "--source",
            "web1",
            file.to_str().unwrap(),
        ],
    );
    let (stdout, _) = expect_code(&out, 0, "ingest");
    assert!(stdout.contains("7 events"), "{stdout}");
    assert!(stdout.contains("3 unparsed"), "{stdout}");
    assert!(
        stdout.contains("1 lines over the line limit stored cut"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Authentication: Logon (Failure): 2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Authentication: Logon (Success): 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Authorize Session: Assign Privileges (Success): 1"),
        "{stdout}"
    );
    assert!(stdout.contains("Unparsed: 3"), "{stdout}");
    assert!(stdout.contains("sshd: 3"), "{stdout}");
    assert!(stdout.contains("sudo: 1"), "{stdout}");
    assert!(stdout.contains("bad syslog PRI"), "{stdout}");

    let events = events(&dir);
    assert_eq!(events.len(), 7);
    // Raw bytes are kept exactly, the garbage and the invalid UTF-8 included.
    let second_line = body.split(|&b| b == b'\n').nth(1).unwrap();
    assert_eq!(events[1].1, second_line);
    assert_eq!(events[2].1, b"\x00\x01\x02garbage\xfe");
    assert_eq!(events[1].0["user"]["name"], "b\\xffd");
    // The 10 MB line: cut to the 64 KiB default, flagged with its real size.
    assert_eq!(events[4].1.len(), 64 * 1024);
    assert_eq!(events[4].1, &long[..64 * 1024]);
    assert_eq!(events[4].0["metadata"]["is_truncated"], true);
    assert_eq!(events[4].0["metadata"]["untruncated_size"], long.len());
    // December then January: the year rolls over, so time keeps going forward by 2 minutes.
    let dec = events[0].0["time"].as_i64().unwrap();
    let jan = events[5].0["time"].as_i64().unwrap();
    assert_eq!(jan - dec, 120_000);
    let year_of = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .year()
    };
    assert_eq!(year_of(jan), year_of(dec) + 1);
    // The log verifies.
    expect_code(&run_in(&dir, &["verify"]), 0, "verify");
}

#[test]
fn stdin_with_auto_detection_records_the_parser_of_each_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let input = concat!(
        r#"{"class_uid":3002,"activity_id":1,"time":1764230400000,"severity_id":1,"status_id":1,"metadata":{"product":{"name":"app"}},"user":{"name":"carol"}}"#,
        "\n",
        "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for invalid user admin from 173.234.31.186 port 38926 ssh2\n",
        "type=USER_AUTH msg=audit(1464013861.151:2316): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=10.0.0.1 addr=10.0.0.1 terminal=ssh res=failed'\n",
        r#"10.1.2.3 - bob [10/Oct/2025:13:55:36 +0000] "POST /login HTTP/1.1" 401 12 "-" "curl/8""#,
        "\n",
        "what is this\n",
    );
    let mut child = authtrail()
        .args(["--data", dir.to_str().unwrap(), "ingest", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let (stdout, _) = expect_code(&out, 0, "ingest -");
    assert!(stdout.contains("5 events"), "{stdout}");
    assert!(stdout.contains("1 unparsed"), "{stdout}");
    let events = events(&dir);
    let formats: Vec<_> = events
        .iter()
        .map(|(e, _)| {
            e["metadata"]["log_format"]
                .as_str()
                .unwrap_or("-")
                .to_string()
        })
        .collect();
    assert_eq!(formats, ["-", "sshd", "auditd", "nginx", "-"]);
    let users: Vec<_> = events
        .iter()
        .map(|(e, _)| e["user"]["name"].as_str().unwrap_or("-").to_string())
        .collect();
    assert_eq!(users, ["carol", "admin", "root", "bob", "-"]);
    assert_eq!(events[4].0["class_uid"], 0);
}

#[test]
fn config_sets_the_line_limit_and_trusted_proxies_and_refuses_unknown_keys() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let config = tmp.path().join("authtrail.toml");
    std::fs::write(
        &config,
        "max_line_bytes = 200\n[gateway]\ntrusted_proxies = [\"10.0.0.0/8\"]\n",
    )
    .unwrap();
    let file = tmp.path().join("access.log");
    let line = format!(
        "10.0.0.2 - - [10/Oct/2025:13:55:36 +0000] \"GET /x HTTP/1.1\" 200 5 \"-\" \"curl\" \"198.51.100.20\"\n{}\n",
        "z".repeat(300)
    );
    std::fs::write(&file, line).unwrap();
    let out = run_in(
        &dir,
        &[
            "ingest",
            "--format",
            "nginx",
            "--config",
            config.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    );
    let (stdout, _) = expect_code(&out, 0, "ingest");
    assert!(stdout.contains("1 lines over the line limit"), "{stdout}");
    let events = events(&dir);
    assert_eq!(
        events[0].0["src_endpoint"]["ip"], "198.51.100.20",
        "{}",
        events[0].0
    );
    assert_eq!(events[1].1.len(), 200);

    std::fs::write(&config, "max_line_bites = 200\n").unwrap();
    let out = run_in(
        &dir,
        &[
            "ingest",
            "--config",
            config.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    );
    let (_, stderr) = expect_code(&out, 2, "bad config");
    assert!(stderr.contains("max_line_bites"), "{stderr}");
}

#[test]
fn json_documents_larger_than_a_read_chunk_are_read_whole() {
    // A pretty-printed CloudTrail file over 4 MiB: cutting it at newlines would break the JSON.
    let tmp = tempfile::tempdir().expect("tempdir");
    let n = 9000;
    let records: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "  {{\n    \"eventVersion\": \"1.08\",\n    \"eventSource\": \"signin.amazonaws.com\",\n    \"eventName\": \"ConsoleLogin\",\n    \"eventTime\": \"2025-01-01T10:00:00Z\",\n    \"awsRegion\": \"us-east-1\",\n    \"sourceIPAddress\": \"203.0.113.7\",\n    \"userIdentity\": {{\"type\": \"IAMUser\", \"userName\": \"user{i}\", \"arn\": \"arn:aws:iam::1:user/user{i}\"}},\n    \"responseElements\": {{\"ConsoleLogin\": \"Failure\"}},\n    \"errorMessage\": \"Failed authentication\",\n    \"padding\": \"{}\"\n  }}",
                "p".repeat(300)
            )
        })
        .collect();
    let body = format!("{{\n  \"Records\": [\n{}\n  ]\n}}\n", records.join(",\n"));
    assert!(body.len() > 4 * 1024 * 1024);
    let file = tmp.path().join("cloudtrail.json");
    std::fs::write(&file, &body).unwrap();
    for format in ["cloudtrail", "auto"] {
        let dir = tmp.path().join(format!("data-{format}"));
        let out = run_in(
            &dir,
            &["ingest", "--format", format, file.to_str().unwrap()],
        );
        let (stdout, _) = expect_code(&out, 0, format);
        assert!(
            stdout.contains(&format!("{n} events")),
            "{format}: {stdout}"
        );
        assert!(stdout.contains("0 unparsed"), "{format}: {stdout}");
        let events = events(&dir);
        assert_eq!(events[n - 1].0["user"]["name"], format!("user{}", n - 1));
    }
}
