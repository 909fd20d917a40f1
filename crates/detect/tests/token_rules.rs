//! Token replay (built-in 13): a refresh token used twice, a session or token used after its
//! logoff or revocation. Each fires on its scenario and not on a near miss.

mod support;

use serde_json::json;
use support::*;

/// An application's Authentication event (`activity_id`, name) for `user` carrying a session
/// and a token id, as the OTLP vocabulary maps them.
fn app(seq: u64, t: i64, activity: (i64, &str), session: &str, token: &str) -> Ev {
    let mut e = logon(seq, t, Some("alice"), "198.51.100.7", true);
    e.event["activity_id"] = activity.0.into();
    e.event["activity_name"] = activity.1.into();
    e.event["session"] = json!({"uid": session, "credential_uid": token});
    e
}

const REFRESH: (i64, &str) = (5, "Service Ticket Renew");
const LOGOFF: (i64, &str) = (2, "Logoff");
const ISSUE: (i64, &str) = (3, "Authentication Ticket");

/// An API call by the session with the token (a gateway's HTTP Activity).
fn api_call(seq: u64, t: i64, session: &str, token: &str) -> Ev {
    Ev {
        seq,
        event: json!({
            "class_uid": 4002, "class_name": "HTTP Activity", "activity_id": 3,
            "activity_name": "Get", "time": t, "status_id": 1,
            "session": {"uid": session, "credential_uid": token},
            "src_endpoint": {"ip": "203.0.113.50"},
        }),
    }
}

#[test]
fn a_refresh_token_presented_twice_is_reuse() {
    let ev = [
        app(1, T0, ISSUE, "s1", "rt-1"),
        app(2, T0 + 10 * M, REFRESH, "s1", "rt-1"),
        app(3, T0 + 20 * M, REFRESH, "s1", "rt-2"),
        // rt-1 again, from the thief's copy.
        app(4, T0 + 25 * M, REFRESH, "s1", "rt-1"),
    ];
    let a = alerts("refresh-token-reuse", &ev);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].evidence, [2, 4]);
    assert_eq!(a[0].group, [("token".into(), "rt-1".into())]);
    // Near miss: each token refreshed once (rotation working).
    assert!(alerts("refresh-token-reuse", &ev[..3]).is_empty());
}

#[test]
fn a_session_used_after_its_logoff() {
    let ev = [
        api_call(1, T0, "s1", "at-1"),
        app(2, T0 + M, LOGOFF, "s1", "at-1"),
        api_call(3, T0 + 5 * M, "s1", "at-1"),
    ];
    let a = alerts("session-used-after-logoff", &ev);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].evidence, [2, 3]);
    let t = alerts("token-used-after-revoke", &ev);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].group, [("token".into(), "at-1".into())]);
    // Near misses: use before the logoff only; another session after it; a second logoff
    // record of the same session; use more than 24 hours later.
    assert!(alerts("session-used-after-logoff", &ev[..2]).is_empty());
    let other = [ev[1].clone(), api_call(3, T0 + 5 * M, "s2", "at-2")];
    assert!(alerts("session-used-after-logoff", &other).is_empty());
    assert!(alerts("token-used-after-revoke", &other).is_empty());
    let twice = [ev[1].clone(), app(3, T0 + 2 * M, LOGOFF, "s1", "at-1")];
    assert!(alerts("session-used-after-logoff", &twice).is_empty());
    let late = [
        ev[1].clone(),
        api_call(3, T0 + M + 24 * 60 * M + S, "s1", "at-1"),
    ];
    assert!(alerts("session-used-after-logoff", &late).is_empty());
}
