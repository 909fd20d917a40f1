//! `authtrail export` through the CLI: the events a query matches in each form (the same as
//! `query` prints), an evidence set that `verify-evidence` accepts and whose tampered copies it
//! rejects naming the entry, and queries it refuses.

mod common;

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use common::{expect_code, ingest_syslog, json_lines, run, run_in};
use serde_json::Value;

/// A data directory holding six sshd events from two sources; returns (data dir, verifier key).
fn log_with_events(tmp: &Path) -> (PathBuf, String) {
    let dir = tmp.join("data");
    let vkey = common::init(&dir);
    let web = tmp.join("web.log");
    std::fs::write(
        &web,
        "Nov 27 10:00:00 web1 sshd[1]: Failed password for alice from 203.0.113.9 port 5000 ssh2\n\
         Nov 27 10:00:05 web1 sshd[1]: Failed password for alice from 203.0.113.9 port 5001 ssh2\n\
         Nov 27 10:00:09 web1 sshd[1]: Accepted password for alice from 10.1.2.3 port 5002 ssh2\n",
    )
    .expect("write");
    let db = tmp.join("db.log");
    std::fs::write(
        &db,
        "Nov 27 11:00:00 db1 sshd[2]: Failed password for bob from 203.0.113.9 port 6000 ssh2\n\
         Nov 27 11:00:01 db1 sshd[2]: Accepted publickey for carol from 10.9.9.9 port 6001 ssh2: RSA SHA256:x\n\
         Nov 27 11:00:02 db1 sshd[2]: Failed password for alice from 198.51.100.4 port 6002 ssh2\n",
    )
    .expect("write");
    for (source, file) in [("web1", &web), ("db1", &db)] {
        ingest_syslog(&dir, source, file);
    }
    (dir, vkey)
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn verify_evidence(key: &str, file: &Path) -> std::process::Output {
    run(&["verify-evidence", "--key", key, path_str(file)])
}

/// The base64 text of `field` of the entry with `seq` in an evidence set file.
fn entry_field(set: &str, seq: u64, field: &str) -> String {
    let value: Value = serde_json::from_str(set).expect("set JSON");
    let entry = value["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["seq"] == seq)
        .unwrap_or_else(|| panic!("entry {seq} in the set"));
    match &entry[field] {
        Value::String(s) => s.clone(),
        Value::Array(a) => a[0].as_str().expect("a proof hash").to_owned(),
        other => panic!("{field} is {other}"),
    }
}

/// `text` with the first `from` inside the entry of `seq` replaced by `to`.
fn replace_in_entry(text: &str, seq: u64, from: &str, to: &str) -> String {
    let start = text
        .find(&format!("\"seq\": {seq},"))
        .unwrap_or_else(|| panic!("entry {seq} in the set"));
    let at = start + text[start..].find(from).expect("the field in its entry");
    format!("{}{to}{}", &text[..at], &text[at + from.len()..])
}

/// `b64` with one bit of its decoded byte `at` flipped, re-encoded (so the file stays canonical).
fn flip_decoded(b64: &str, at: usize) -> String {
    let mut bytes = BASE64.decode(b64).expect("base64");
    bytes[at] ^= 0x01;
    BASE64.encode(bytes)
}

#[test]
fn every_form_holds_what_query_finds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (dir, _) = log_with_events(tmp.path());
    let query = "user=alice status=failure";

    // ndjson: the stored OCSF events, the same ones `query --format ocsf` prints.
    let (ndjson, err) = expect_code(
        &run_in(&dir, &["export", "--query", query]),
        0,
        "export ndjson",
    );
    let (ocsf, _) = expect_code(
        &run_in(&dir, &["query", query, "--format", "ocsf"]),
        0,
        "query ocsf",
    );
    assert_eq!(json_lines(&ndjson), json_lines(&ocsf));
    assert_eq!(json_lines(&ndjson).len(), 3, "{ndjson}");
    assert!(err.contains("exported 3 events (ndjson)"), "{err}");
    assert!(err.contains("checkpoint of size 6"), "{err}");
    // As stored: compact, in the canonical order (class_uid first), one per line.
    assert!(
        ndjson
            .lines()
            .all(|l| l.starts_with("{\"class_uid\":3002,")),
        "{ndjson}"
    );

    // csv: byte for byte what `query --format csv` prints, here into a file.
    let csv_file = tmp.path().join("out.csv");
    expect_code(
        &run_in(
            &dir,
            &[
                "export",
                "--query",
                query,
                "--format",
                "csv",
                "--out",
                path_str(&csv_file),
            ],
        ),
        0,
        "export csv",
    );
    let (csv, _) = expect_code(
        &run_in(&dir, &["query", query, "--format", "csv"]),
        0,
        "query csv",
    );
    let exported = std::fs::read_to_string(&csv_file).expect("csv file");
    assert_eq!(exported, csv);
    assert_eq!(
        exported.lines().next(),
        Some("seq,time,source,kind,status,user,src_ip")
    );
    assert!(
        exported.lines().nth(3).unwrap_or("").starts_with("5,"),
        "{exported}"
    );

    // ecs: the same documents as `query --format ecs`, one per matching event, in seq order.
    let (ecs, _) = expect_code(
        &run_in(&dir, &["export", "--query", query, "--format", "ecs"]),
        0,
        "export ecs",
    );
    let (query_ecs, _) = expect_code(
        &run_in(&dir, &["query", query, "--format", "ecs"]),
        0,
        "query ecs",
    );
    assert_eq!(ecs, query_ecs);
    let docs = json_lines(&ecs);
    let seqs: Vec<u64> = docs
        .iter()
        .map(|d| d["authtrail"]["seq"].as_u64().expect("authtrail.seq"))
        .collect();
    assert_eq!(seqs, [0, 1, 5]);
    let first = &docs[0];
    assert_eq!(
        first["@timestamp"]
            .as_str()
            .map(|t| t.ends_with("-11-27T10:00:00.000Z")),
        Some(true)
    );
    assert_eq!(
        first["event"]["category"],
        serde_json::json!(["authentication"])
    );
    assert_eq!(first["event"]["outcome"], "failure");
    assert_eq!(first["event"]["kind"], "event");
    assert_eq!(first["user"]["name"], "alice");
    assert_eq!(first["source"]["ip"], "203.0.113.9");
    assert_eq!(first["source"]["port"], 5000);
    assert_eq!(first["authtrail"]["source"], "web1");
    assert_eq!(docs[2]["authtrail"]["source"], "db1");

    // Nothing matched: still a CSV header, and no partial files anywhere.
    let empty = tmp.path().join("empty.csv");
    let (_, err) = expect_code(
        &run_in(
            &dir,
            &[
                "export",
                "--query",
                "user=nobody",
                "--format",
                "csv",
                "--out",
                path_str(&empty),
            ],
        ),
        0,
        "export of nothing",
    );
    assert!(err.contains("exported 0 events"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&empty).expect("empty csv"),
        "seq,time,source,kind,status,user,src_ip\n"
    );
    let leftovers: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("read tmp")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_evidence_set_verifies_and_tampered_copies_name_the_entry() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (dir, vkey) = log_with_events(tmp.path());
    let out = tmp.path().join("alice.ndjson");
    let evidence = tmp.path().join("alice.evidence.json");
    let (_, err) = expect_code(
        &run_in(
            &dir,
            &[
                "export",
                "--query",
                "user=alice",
                "--out",
                path_str(&out),
                "--evidence",
                path_str(&evidence),
            ],
        ),
        0,
        "export --evidence",
    );
    assert!(
        err.contains("evidence set for 4 entries against checkpoint size 6"),
        "{err}"
    );

    let (stdout, _) = expect_code(&verify_evidence(&vkey, &evidence), 0, "verify-evidence");
    assert!(stdout.contains("OK: 4 entries proven"), "{stdout}");
    assert!(stdout.contains("at size 6"), "{stdout}");
    assert!(stdout.contains("bodies checked: 4 of 4"), "{stdout}");
    assert!(stdout.contains("\"user=alice\""), "{stdout}");

    // The exported lines are exactly the event bodies the set proves.
    let set_text = std::fs::read_to_string(&evidence).expect("evidence file");
    let set: Value = serde_json::from_str(&set_text).expect("set JSON");
    assert_eq!(set["format"], "authtrail-evidence-set/v1");
    assert_eq!(set["tree_size"], 6);
    let proven: Vec<String> = set["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            let b64 = e["event"].as_str().expect("event body");
            String::from_utf8(BASE64.decode(b64).expect("base64")).expect("utf-8")
        })
        .collect();
    let exported = std::fs::read_to_string(&out).expect("export file");
    assert_eq!(exported.lines().collect::<Vec<_>>(), proven);
    let seqs: Vec<u64> = set["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(seqs, [0, 1, 2, 5]);

    // Tampered copies, each still in canonical form: the first bad entry is named, exit 1.
    let tampered = tmp.path().join("tampered.json");
    for (seq, field, at, words) in [
        (1u64, "event", 40usize, "the event body does not match"),
        (5, "raw", 3, "the raw body does not match"),
        (2, "inclusion_proof", 0, "inclusion proof"),
        (0, "header", 30, "entry 0"),
    ] {
        let original = entry_field(&set_text, seq, field);
        let changed = replace_in_entry(&set_text, seq, &original, &flip_decoded(&original, at));
        assert_ne!(changed, set_text);
        std::fs::write(&tampered, &changed).expect("write tampered copy");
        let (_, err) = expect_code(
            &verify_evidence(&vkey, &tampered),
            1,
            &format!("tampered {field} of entry {seq}"),
        );
        assert!(err.contains(&format!("entry {seq}:")), "{field}: {err}");
        assert!(err.contains(words), "{field}: {err}");
    }

    // The checkpoint's signature, and an edit that breaks the canonical form.
    let note = set["checkpoint"].as_str().expect("checkpoint note");
    let sig_line = note.lines().last().expect("signature line");
    let sig = sig_line.rsplit(' ').next().expect("signature");
    let changed = set_text.replacen(sig, &flip_decoded(sig, 20), 1);
    std::fs::write(&tampered, &changed).expect("write tampered copy");
    let (_, err) = expect_code(&verify_evidence(&vkey, &tampered), 1, "tampered signature");
    assert!(err.contains("signature"), "{err}");
    std::fs::write(
        &tampered,
        set_text.replacen("  \"query\"", "   \"query\"", 1),
    )
    .expect("write edited copy");
    let (_, err) = expect_code(&verify_evidence(&vkey, &tampered), 1, "reindented");
    assert!(err.contains("canonical"), "{err}");

    // Another log's key, a missing file.
    let other = common::init(&tmp.path().join("other"));
    expect_code(&verify_evidence(&other, &evidence), 1, "another log's key");
    expect_code(
        &verify_evidence(&vkey, &tmp.path().join("missing.json")),
        2,
        "missing file",
    );

    // A set of nothing is still a valid statement about the checkpoint.
    let nothing = tmp.path().join("nothing.json");
    expect_code(
        &run_in(
            &dir,
            &[
                "export",
                "--query",
                "user=nobody",
                "--evidence",
                path_str(&nothing),
            ],
        ),
        0,
        "export of nothing with evidence",
    );
    let (stdout, _) = expect_code(&verify_evidence(&vkey, &nothing), 0, "empty set");
    assert!(stdout.contains("OK: 0 entries proven"), "{stdout}");
}

#[test]
fn pipes_and_bad_queries_are_refused_with_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (dir, _) = log_with_events(tmp.path());
    let out = tmp.path().join("never.ndjson");
    for query in ["status=failure | count by user", "| top 3 ip"] {
        let (stdout, err) = expect_code(
            &run_in(&dir, &["export", "--query", query, "--out", path_str(&out)]),
            2,
            query,
        );
        assert!(stdout.is_empty(), "{stdout}");
        assert!(err.contains("pipe"), "{query}: {err}");
        assert!(err.contains("authtrail query"), "{query}: {err}");
    }
    for (query, column, words) in [
        ("user=alice foo=bar", 12, "foo"),
        ("ip=10.0.0.0/33", 4, "10.0.0.0/33"),
    ] {
        let (_, err) = expect_code(
            &run_in(&dir, &["export", "--query", query, "--out", path_str(&out)]),
            2,
            query,
        );
        assert!(err.contains(&format!("column {column}:")), "{query}: {err}");
        assert!(err.contains(words), "{query}: {err}");
        assert!(
            err.contains(&format!("{}^", " ".repeat(column - 1))),
            "{query}: {err}"
        );
    }
    assert!(!out.exists(), "nothing is written for a refused query");
    let same = tmp.path().join("same.json");
    expect_code(
        &run_in(
            &dir,
            &[
                "export",
                "--query",
                "",
                "--out",
                path_str(&same),
                "--evidence",
                path_str(&same),
            ],
        ),
        2,
        "--out and --evidence the same file",
    );
}
