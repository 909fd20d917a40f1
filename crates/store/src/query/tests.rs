//! Unit tests of the public API: matching, precedence, time bounds, pipes, errors, printing.

use super::*;
use serde_json::{json, Value as Json};

/// 2026-11-27T10:00:00Z.
const NOW: i64 = 1_795_773_600_000;
const HOUR: i64 = 3_600_000;

fn q(text: &str) -> Query {
    match Query::parse_at(text, NOW) {
        Ok(q) => q,
        Err(e) => panic!("{text:?}: {e}"),
    }
}

fn err(text: &str) -> QueryError {
    match Query::parse_at(text, NOW) {
        Ok(q) => panic!("{text:?} parsed as {q:?}"),
        Err(e) => e,
    }
}

fn logon(user: &str, ip: &str, status: &str, status_id: u8, time: i64) -> Json {
    json!({
        "class_uid": 3002, "class_name": "Authentication",
        "activity_id": 1, "activity_name": "Logon",
        "time": time, "status": status, "status_id": status_id,
        "user": {"name": user}, "src_endpoint": {"ip": ip},
        "metadata": {"product": {"name": "Okta"}, "correlation_uid": "tr-1"},
        "is_mfa": true, "session": {"uid": "s-1"},
    })
}

fn api_call() -> Json {
    json!({
        "class_uid": 6003, "class_name": "API Activity", "activity_id": 1,
        "activity_name": "Create", "time": NOW, "status": "Success", "status_id": 1,
        "actor": {"user": {"name": "carol"}, "session": {"uid": "s-9"}},
        "src_endpoint": {"ip": "2001:db8::7"},
        "http_request": {"user_agent": "aws-cli/2.15"},
    })
}

fn hit(query: &str, event: &Json) -> bool {
    q(query).matches(&Record {
        seq: 42,
        source: "okta-prod",
        event,
    })
}

#[test]
fn empty_query_matches_everything() {
    assert_eq!(q(""), Query::default());
    assert_eq!(q("   "), Query::default());
    assert!(hit("", &json!({})));
}

#[test]
fn operators_are_case_insensitive() {
    let ev = logon("Alice", "10.1.2.3", "Failure", 2, NOW);
    assert!(hit("user=alice", &ev));
    assert!(hit("user=ALICE", &ev));
    assert!(!hit("user=alic", &ev));
    assert!(hit("user!=bob", &ev));
    assert!(!hit("user!=alice", &ev));
    assert!(hit("user~LIC", &ev));
    assert!(!hit("user~bob", &ev));
    assert!(hit("is_mfa=true", &ev));
    assert!(hit(
        "class=3002 class=authentication activity=logon activity=1",
        &ev
    ));
    assert!(hit(
        "product=okta trace=tr-1 session=s-1 session.uid=s-1",
        &ev
    ));
    assert!(hit(
        "metadata.product.name=okta metadata.correlation_uid=TR-1",
        &ev
    ));
}

#[test]
fn status_by_caption_or_number() {
    let ev = logon("alice", "10.1.2.3", "Failure", 2, NOW);
    assert!(hit("status=failure", &ev));
    assert!(hit("status=2", &ev));
    assert!(!hit("status=success", &ev));
    assert!(!hit("status=1", &ev));
    assert!(hit("status!=1", &ev));
}

#[test]
fn user_and_session_also_read_the_actor_on_api_activity() {
    let ev = api_call();
    assert!(hit("user=carol", &ev));
    assert!(hit("actor.user.name=carol", &ev));
    assert!(!hit("user.name=carol", &ev));
    assert!(hit("session=s-9", &ev));
    assert!(!hit("session.uid=s-9", &ev));
    assert!(hit("class=6003 http_request.user_agent~aws-cli", &ev));
}

#[test]
fn source_and_seq_read_the_record() {
    let ev = json!({});
    assert!(hit("source=okta-prod", &ev));
    assert!(hit("source~OKTA", &ev));
    assert!(!hit("source=github", &ev));
    assert!(hit("seq=42", &ev));
}

#[test]
fn absent_fields_are_never_equal_and_always_unequal() {
    let ev = json!({"user": {"name": "alice"}});
    assert!(!hit("ip=10.0.0.1", &ev));
    assert!(hit("ip!=10.0.0.1", &ev));
    assert!(hit("ip!=10.0.0.0/8", &ev));
    assert!(!hit("country=FR", &ev));
    assert!(hit("country!=FR", &ev));
    assert!(!hit(r#"country~"""#, &ev));
    assert!(hit(r#"user~"""#, &ev));
}

#[test]
fn cidr_v4_and_v6() {
    let v4 = logon("alice", "10.1.2.3", "Success", 1, NOW);
    assert!(hit("ip=10.0.0.0/8", &v4));
    assert!(!hit("ip!=10.0.0.0/8", &v4));
    assert!(!hit("ip=192.168.0.0/16", &v4));
    assert!(hit("src_endpoint.ip=10.1.2.3", &v4));
    assert!(hit("ip~10.1.", &v4));
    let v6 = api_call();
    assert!(hit("ip=2001:db8::/32", &v6));
    assert!(
        hit("ip=2001:DB8:0:0::7", &v6),
        "addresses compare as addresses"
    );
    assert!(!hit("ip=2001:db9::/32", &v6));
    assert!(!hit("ip=10.0.0.0/8", &v6));
}

#[test]
fn quoting_and_escapes() {
    let ev = json!({"message": r#"said "hi" \ to (x) | y"#, "status_detail": "Wrong password"});
    assert!(hit(r#"message="said \"hi\" \\ to (x) | y""#, &ev));
    assert!(hit(r#"status_detail="wrong password""#, &ev));
    assert!(hit(r#"message~"(x) |""#, &ev));
}

#[test]
fn or_binds_tighter_than_and() {
    let parsed = q("user=alice ip=1.2.3.4 OR ip=5.6.7.8");
    let expected = q("user=alice (ip=1.2.3.4 OR ip=5.6.7.8)");
    assert_eq!(parsed, expected);
    let Some(Expr::And(items)) = &parsed.filter else {
        panic!("{parsed:?}")
    };
    assert!(matches!(items[1], Expr::Or(_)));
}

#[test]
fn grouping_changes_the_answer() {
    // a b OR c  =  a AND (b OR c);   (a b) OR c  =  (a AND b) OR c.
    let loose = q("user=alice status=failure OR ip=9.9.9.9");
    let grouped = q("(user=alice status=failure) OR ip=9.9.9.9");
    assert_ne!(loose, grouped);
    let events = [
        logon("alice", "1.1.1.1", "Failure", 2, NOW), // both
        logon("bob", "9.9.9.9", "Success", 1, NOW),   // only grouped
        logon("alice", "9.9.9.9", "Success", 1, NOW), // both
        logon("alice", "1.1.1.1", "Success", 1, NOW), // neither
    ];
    let run = |query: &Query| -> Vec<bool> {
        events
            .iter()
            .map(|e| {
                query.matches(&Record {
                    seq: 0,
                    source: "s",
                    event: e,
                })
            })
            .collect()
    };
    assert_eq!(run(&loose), [true, false, true, false]);
    assert_eq!(run(&grouped), [true, true, true, false]);
}

#[test]
fn time_bounds_since_inclusive_until_exclusive() {
    let at = |t: i64| logon("alice", "1.1.1.1", "Success", 1, t);
    assert_eq!(q("since=24h").since_ms, Some(NOW - 24 * HOUR));
    assert!(hit("since=1h", &at(NOW - HOUR)));
    assert!(!hit("since=1h", &at(NOW - HOUR - 1)));
    assert!(hit("until=2026-11-27T10:00:00Z", &at(NOW - 1)));
    assert!(!hit("until=2026-11-27T10:00:00Z", &at(NOW)));
    assert!(hit("since=2026-11-27 until=1h", &at(NOW - 10 * HOUR)));
    assert!(!hit("since=2026-11-27 until=1h", &at(NOW - 10 * HOUR - 1)));
    assert!(
        !hit("since=7d", &json!({"user": {"name": "alice"}})),
        "no time, no match"
    );
    // Bounds may sit anywhere among the ANDed terms.
    assert_eq!(
        q("since=1h user=a until=30m"),
        q("user=a since=1h until=30m")
    );
}

#[test]
fn count_by_and_top() {
    let mut events = vec![
        logon("alice", "1.1.1.1", "Failure", 2, NOW),
        logon("alice", "1.1.1.2", "Failure", 2, NOW),
        logon("bob", "1.1.1.1", "Failure", 2, NOW),
        logon("bob", "1.1.1.1", "Success", 1, NOW),
        logon("carol", "1.1.1.3", "Failure", 2, NOW),
    ];
    events.push(json!({"status": "Failure", "time": NOW}));
    let recs = || {
        events.iter().map(|e| Record {
            seq: 1,
            source: "s",
            event: e,
        })
    };
    let counted = q("status=failure | count by user").aggregate(recs());
    let rows = |v: &[(&str, u64)]| {
        v.iter()
            .map(|(k, n)| (k.to_string(), *n))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        counted,
        Some(rows(&[
            ("alice", 2),
            ("(none)", 1),
            ("bob", 1),
            ("carol", 1)
        ]))
    );
    assert_eq!(
        q("| top 2 ip").aggregate(recs()),
        Some(rows(&[("1.1.1.1", 3), ("(none)", 1)]))
    );
    assert_eq!(
        q("| top 1 status").aggregate(recs()),
        Some(rows(&[("Failure", 5)]))
    );
    assert_eq!(q("user=alice").aggregate(recs()), None);
}

#[test]
fn fields_lists_what_the_query_reads() {
    let names: Vec<&str> = q("user=a (ip=1.2.3.4 OR user.name=b) since=1h | count by status")
        .fields()
        .iter()
        .map(|f| f.name())
        .collect();
    assert_eq!(names, ["user", "ip", "user.name", "time", "status"]);
}

#[test]
fn display_is_canonical_and_reparses() {
    for text in [
        "",
        "user=alice",
        "src_endpoint.ip=10.0.0.0/8 metadata.product.name=okta",
        "user=alice ip=1.2.3.4 OR ip=5.6.7.8",
        "(user=a status=failure) OR ip!=2001:db8::/32",
        "((a=1 OR b=2) c=3) d~4",
        r#"message="x \"y\" (z)" user="""#,
        "since=24h until=2026-11-28 | top 5 user",
        "| count by source",
    ] {
        let text = text
            .replace("a=1", "user=1")
            .replace("b=2", "class=2")
            .replace("c=3", "seq=3")
            .replace("d~4", "message~4");
        let parsed = q(&text);
        let printed = parsed.to_string();
        assert_eq!(q(&printed), parsed, "{text:?} printed as {printed:?}");
    }
    assert_eq!(
        q("IP=10.0.0.0/8 since=2026-11-27 | COUNT BY product").to_string(),
        "ip=10.0.0.0/8 since=2026-11-27T00:00:00Z | count by product"
    );
    assert_eq!(
        q("(user=a OR user=b) OR user=c").to_string(),
        "(user=a OR user=b) OR user=c"
    );
}

#[test]
fn error_columns() {
    let cases: &[(&str, usize, &str)] = &[
        ("user=alice foo=bar", 12, "unknown field \"foo\""),
        ("usr=alice", 1, "did you mean user"),
        ("| count by nope", 12, "unknown field"),
        ("ip=10.0.0.0/33", 4, "bad CIDR"),
        ("user=a ip!=fe80::/129", 12, "bad CIDR"),
        ("ip=10.0.0.300", 4, "bad IP"),
        ("since=yesterday", 7, "bad time"),
        ("until=\"2026-11-27T25:00:00Z\"", 7, "bad time"),
        ("since!=1h", 6, "only takes"),
        ("since=1h since=2h", 10, "twice"),
        ("user=a OR", 8, "OR needs a term after"),
        ("OR user=a", 1, "OR needs a term before"),
        ("user=a OR OR user=b", 8, "OR needs a term after"),
        ("(user=a OR) user=b", 9, "OR needs a term after"),
        ("user=a OR | count by user", 8, "OR needs a term after"),
        ("user=a OR since=1h", 11, "cannot be combined with OR"),
        ("since=1h OR user=a", 1, "cannot be combined with OR"),
        ("(since=1h)", 2, "inside parentheses"),
        ("(user=a", 1, "unclosed"),
        ("user=a (ip=1.1.1.1 (user=b)", 8, "unclosed"),
        ("user=a)", 7, "unmatched ')'"),
        ("()", 2, "empty parentheses"),
        ("alice", 1, "needs an operator"),
        ("user=a |", 9, "expected 'count by"),
        ("| sort user", 3, "unknown pipe"),
        ("| count user", 9, "expected 'by'"),
        ("| top 0 user", 7, "1 to 10000"),
        ("| top 10001 user", 7, "1 to 10000"),
        ("| top ten user", 7, "1 to 10000"),
        ("| top 5 user extra", 14, "unexpected text"),
        ("| top 5 user | count by ip", 14, "unexpected text"),
        ("user=", 6, "missing value"),
    ];
    for (text, column, needle) in cases {
        let e = err(text);
        assert_eq!(e.column, *column, "{text:?}: {e}");
        assert!(e.message.contains(needle), "{text:?}: {e}");
    }
}

#[test]
fn error_display_and_render() {
    let e = err("user=alice foo=bar");
    assert!(e
        .to_string()
        .starts_with("column 12: unknown field \"foo\""));
    let rendered = e.render("user=alice foo=bar");
    let lines: Vec<&str> = rendered.lines().collect();
    assert_eq!(lines[0], "user=alice foo=bar");
    assert!(lines[1].starts_with("           ^ unknown field"));
}

#[test]
fn parse_uses_the_current_time() {
    let before = jiff::Timestamp::now().as_millisecond();
    let parsed = Query::parse("since=1h").map(|q| q.since_ms);
    let after = jiff::Timestamp::now().as_millisecond();
    let since = parsed.ok().flatten().unwrap_or(0);
    assert!(since >= before - HOUR && since <= after - HOUR);
}

#[test]
fn documented_examples_parse_and_round_trip() {
    let doc = include_str!("../../../../docs/QUERY.md");
    let section = doc
        .split("## Examples for investigators")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap_or_default();
    let mut seen = 0;
    for (i, chunk) in section.split('`').enumerate() {
        if i % 2 == 1
            && chunk.contains(['=', '~', '|'])
            && chunk != "~\"\""
            && !chunk.ends_with("!=true")
        {
            let parsed = q(chunk);
            assert_eq!(q(&parsed.to_string()), parsed, "{chunk}");
            seen += 1;
        }
    }
    assert!(seen >= 10, "only {seen} examples found");
    assert_eq!(err("user!alice").column, 5);
    assert!(hit(
        "time~2026-11-27T10",
        &logon("a", "1.1.1.1", "Success", 1, NOW)
    ));
}
