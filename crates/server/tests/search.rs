//! `GET /v1/events?q=&limit=&cursor=`: query results a page at a time, pages that neither skip
//! nor repeat while new events arrive, the limit cap stated, pipes, and bad queries (400 with
//! the column).

use authtrail_ingest::Limits;
use serde_json::Value;

mod common;
use common::TestServer;

/// Post sshd lines as source `source` and publish a checkpoint so queries see them.
async fn ingest(s: &TestServer, source: &str, lines: &str) {
    let r = s
        .http
        .post(format!("{}/v1/raw?format=syslog&source={source}", s.base))
        .body(lines.to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    // The tree integrates appended entries in the background: wait for it, then sign.
    s.publish().await;
}

async fn get(s: &TestServer, query: &[(&str, &str)]) -> (u16, Value) {
    s.get_query("/v1/events", query).await
}

fn failures(user: &str, from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| {
            format!(
                "Nov 27 10:{:02}:{:02} web1 sshd[1]: Failed password for {user} from 203.0.113.{} port 5000 ssh2\n",
                i / 60 % 60,
                i % 60,
                i % 200 + 1
            )
        })
        .collect()
}

fn seqs(page: &Value) -> Vec<u64> {
    page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect()
}

#[tokio::test]
async fn pages_neither_skip_nor_repeat_while_events_arrive() {
    let s = common::start(Limits::default(), "example.com/search-test").await;
    ingest(&s, "web1", &failures("alice", 0, 5)).await;
    ingest(&s, "web1", &failures("bob", 5, 3)).await;
    ingest(&s, "web1", &failures("alice", 8, 2)).await;

    let (code, page1) = get(&s, &[("q", "user=alice"), ("limit", "4")]).await;
    assert_eq!(code, 200, "{page1}");
    assert_eq!(seqs(&page1), [0, 1, 2, 3]);
    assert_eq!(page1["limit_capped"], false);
    let cursor = page1["next_cursor"].as_str().expect("a cursor").to_string();

    // New events arrive between the pages: they come after the cursor, never before it.
    ingest(&s, "web1", &failures("alice", 10, 3)).await;
    let (_, page2) = get(
        &s,
        &[("q", "user=alice"), ("limit", "4"), ("cursor", &cursor)],
    )
    .await;
    assert_eq!(seqs(&page2), [4, 8, 9, 10]);
    let cursor = page2["next_cursor"].as_str().expect("a cursor").to_string();
    let (_, page3) = get(
        &s,
        &[("q", "user=alice"), ("limit", "4"), ("cursor", &cursor)],
    )
    .await;
    assert_eq!(seqs(&page3), [11, 12]);
    assert!(page3["next_cursor"].is_null());
    assert_eq!(page3["scanned_to"], 13);
    let event = &page3["events"][0];
    assert_eq!(event["source"], "web1");
    assert_eq!(event["event"]["user"]["name"], "alice");
}

#[tokio::test]
async fn limits_are_capped_and_pipes_give_rows() {
    let s = common::start(Limits::default(), "example.com/search-test").await;
    ingest(&s, "web1", &failures("alice", 0, 3)).await;
    ingest(&s, "db1", &failures("bob", 3, 1)).await;

    let (code, page) = get(&s, &[("limit", "5000")]).await;
    assert_eq!(code, 200);
    assert_eq!(page["limit"], 1000);
    assert_eq!(page["limit_capped"], true);
    assert_eq!(seqs(&page), [0, 1, 2, 3]);

    let (_, rows) = get(&s, &[("q", "status=failure | count by source")]).await;
    assert_eq!(
        rows["rows"],
        serde_json::json!([{"value": "web1", "count": 3}, {"value": "db1", "count": 1}])
    );
}

#[tokio::test]
async fn bad_queries_and_cursors_are_400_with_the_column() {
    let s = common::start(Limits::default(), "example.com/search-test").await;
    ingest(&s, "web1", &failures("alice", 0, 1)).await;
    for (q, column) in [
        ("user=alice foo=bar", 12),
        ("ip=10.0.0.0/33", 4),
        ("since=yesterday", 7),
        ("user=a OR", 8),
    ] {
        let (code, body) = get(&s, &[("q", q)]).await;
        assert_eq!(code, 400, "{q}: {body}");
        assert_eq!(body["error"]["details"]["column"], column, "{q}: {body}");
    }
    let (code, body) = get(&s, &[("cursor", "abc")]).await;
    assert_eq!(code, 400, "{body}");
}
