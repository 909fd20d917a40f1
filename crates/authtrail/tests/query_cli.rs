//! `authtrail query` over a local log: matching events in each output form, pipes, a limit, and
//! bad queries refused with exit 2 and the column of the mistake.

mod common;

use common::{expect_code, ingest_syslog, json_lines, run_in};

/// A data directory holding five sshd events from two sources.
fn log_with_events(tmp: &std::path::Path) -> std::path::PathBuf {
    let dir = tmp.join("data");
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
         Nov 27 11:00:01 db1 sshd[2]: Accepted publickey for carol from 10.9.9.9 port 6001 ssh2: RSA SHA256:x\n",
    )
    .expect("write");
    for (source, file) in [("web1", &web), ("db1", &db)] {
        ingest_syslog(&dir, source, file);
    }
    dir
}

#[test]
fn queries_find_the_matching_events_in_every_form() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = log_with_events(tmp.path());

    let (out, _) = expect_code(
        &run_in(
            &dir,
            &["query", "user=alice status=failure", "--format", "json"],
        ),
        0,
        "query json",
    );
    let found = json_lines(&out);
    assert_eq!(found.len(), 2, "{out}");
    assert_eq!(
        found.iter().map(|v| v["seq"].as_u64()).collect::<Vec<_>>(),
        [Some(0), Some(1)]
    );
    assert!(found.iter().all(|v| v["source"] == "web1"));
    assert_eq!(found[0]["event"]["user"]["name"], "alice");

    // OR binds tighter than the implicit AND; CIDR on the source address; the entry's source.
    let (out, _) = expect_code(
        &run_in(
            &dir,
            &[
                "query",
                "ip!=10.0.0.0/8 user=alice OR user=bob",
                "--format",
                "ocsf",
            ],
        ),
        0,
        "query ocsf",
    );
    let found = json_lines(&out);
    assert_eq!(found.len(), 3, "{out}");
    assert!(found.iter().all(|e| e["status"] == "Failure"), "{out}");
    let (out, _) = expect_code(
        &run_in(&dir, &["query", "source=db1", "--format", "csv"]),
        0,
        "query csv",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "seq,time,source,kind,status,user,src_ip");
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[1].starts_with("3,2"), "{out}");
    assert!(lines[2].ends_with(",carol,10.9.9.9"), "{out}");

    let (out, _) = expect_code(&run_in(&dir, &["query", "ip=203.0.113.9"]), 0, "table");
    assert!(out.lines().next().unwrap_or("").contains("SRC_IP"), "{out}");
    assert_eq!(out.lines().count(), 4, "{out}");
    let (out, _) = expect_code(
        &run_in(&dir, &["query", "", "--limit", "2", "--format", "json"]),
        0,
        "limit",
    );
    assert_eq!(json_lines(&out).len(), 2);
}

#[test]
fn pipes_count_and_rank() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = log_with_events(tmp.path());
    let (out, _) = expect_code(
        &run_in(
            &dir,
            &[
                "query",
                "status=failure | count by user",
                "--format",
                "json",
            ],
        ),
        0,
        "count by",
    );
    let rows = json_lines(&out);
    assert_eq!(
        rows,
        [
            serde_json::json!({"value": "alice", "count": 2}),
            serde_json::json!({"value": "bob", "count": 1}),
        ]
    );
    let (out, _) = expect_code(&run_in(&dir, &["query", "| top 1 ip"]), 0, "top");
    assert_eq!(out.trim(), "3  203.0.113.9");
}

#[test]
fn bad_queries_exit_2_naming_the_column() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = log_with_events(tmp.path());
    for (query, column, words) in [
        ("user=alice foo=bar", 12, "foo"),
        ("ip=10.0.0.0/33", 4, "10.0.0.0/33"),
        ("since=yesterday", 7, "yesterday"),
        ("user=a OR", 8, "OR"),
    ] {
        let (_, err) = expect_code(&run_in(&dir, &["query", query]), 2, query);
        assert!(err.contains(&format!("column {column}:")), "{query}: {err}");
        assert!(err.contains(words), "{query}: {err}");
        assert!(
            err.contains(&format!("{}^", " ".repeat(column - 1))),
            "{query}: {err}"
        );
    }
}

#[test]
fn ingest_keeps_an_index_and_reindex_rebuilds_it_with_the_same_answers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = log_with_events(tmp.path());
    let index = dir.join("index");
    assert!(index.join("watermark").exists(), "ingest leaves an index");
    assert!(
        index.join("tail").exists(),
        "the open segment is saved on close"
    );
    let queries = [
        "status=failure | count by user",
        "ip=203.0.113.0/24 user!=bob",
        "user~ali OR source=db1",
    ];
    let answers = |dir: &std::path::Path| -> Vec<String> {
        queries
            .iter()
            .map(|q| expect_code(&run_in(dir, &["query", q, "--format", "json"]), 0, q).0)
            .collect()
    };
    let before = answers(&dir);
    assert_eq!(json_lines(&before[1]).len(), 2, "{}", before[1]);
    std::fs::remove_dir_all(&index).expect("remove index");
    assert_eq!(answers(&dir), before, "without an index, a scan answers");
    let (out, _) = expect_code(&run_in(&dir, &["reindex"]), 0, "reindex");
    assert!(out.contains("indexed 5 entries"), "{out}");
    assert!(index.join("watermark").exists());
    assert_eq!(answers(&dir), before);
}
