//! Sequence rules and alerts on alerts: each built-in that follows a sequence or another alert
//! fires on its scenario and not on a near miss; chains end; rule files are checked.

mod support;

use authtrail_detect::{Engine, Rules, Severity};
use support::*;

/// An engine running the built-ins `ids`.
fn engine_with(ids: &[&str]) -> Engine {
    let rules = Rules::builtin().unwrap();
    Engine::new(ids.iter().map(|id| rules.get(id).unwrap().clone()))
}

/// Alerts of rule `id` only.
fn of<'a>(alerts: &'a [authtrail_detect::Alert], id: &str) -> Vec<&'a authtrail_detect::Alert> {
    alerts.iter().filter(|a| a.rule_id == id).collect()
}

const A: &str = "203.0.113.9";
const B: &str = "198.51.100.20";

#[test]
fn success_after_failures_fires_on_five_failures_then_a_success() {
    let mut ev: Vec<Ev> = (0..5)
        .map(|i| fail(i + 1, T0 + i as i64 * 20 * S, "alice", A))
        .collect();
    ev.push(logon(6, T0 + 3 * M, Some("alice"), A, true));
    let a = alerts("success-after-failures", &ev);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].evidence, [1, 2, 3, 4, 5, 6]);
    assert_eq!(
        a[0].group,
        [("user".into(), "alice".into()), ("ip".into(), A.into())]
    );
    assert_eq!((a[0].window_start_ms, a[0].window_end_ms), (T0, T0 + 3 * M));
}

#[test]
fn success_after_failures_near_misses() {
    let fails = |n: u64| -> Vec<Ev> {
        (0..n)
            .map(|i| fail(i + 1, T0 + i as i64 * 20 * S, "alice", A))
            .collect()
    };
    // Four failures.
    let mut ev = fails(4);
    ev.push(logon(9, T0 + 2 * M, Some("alice"), A, true));
    assert!(alerts("success-after-failures", &ev).is_empty());
    // The success from another address, or for another user.
    let mut ev = fails(5);
    ev.push(logon(9, T0 + 2 * M, Some("alice"), B, true));
    ev.push(logon(10, T0 + 2 * M, Some("bob"), A, true));
    assert!(alerts("success-after-failures", &ev).is_empty());
    // The success more than 5 minutes after the first of the five failures.
    let mut ev = fails(5);
    ev.push(logon(9, T0 + 5 * M + S, Some("alice"), A, true));
    assert!(alerts("success-after-failures", &ev).is_empty());
    // The success before the failures.
    let mut ev = vec![logon(1, T0, Some("alice"), A, true)];
    ev.extend(fails(5).into_iter().map(|mut e| {
        e.seq += 1;
        e
    }));
    assert!(alerts("success-after-failures", &ev).is_empty());
}

/// Ten failures in a minute from `ip` for ten users, seqs from 1.
fn brute_force_from(ip: &str) -> Vec<Ev> {
    (0..10)
        .map(|i| fail(i + 1, T0 + i as i64 * S, &format!("u{i}"), ip))
        .collect()
}

#[test]
fn success_after_brute_force_ip_follows_the_alert() {
    let rules = ["brute-force-ip", "success-after-brute-force-ip"];
    let mut ev = brute_force_from(A);
    ev.push(logon(50, T0 + 40 * M, Some("mallory"), A, true));
    let a = run(&mut engine_with(&rules), &ev);
    assert_eq!(ids(&a), ["brute-force-ip", "success-after-brute-force-ip"]);
    let chained = &a[1];
    assert_eq!(chained.severity, Severity::High);
    assert_eq!(chained.related_alerts, [a[0].uid.clone()]);
    assert_eq!(chained.group, [("ip".into(), A.into())]);
    // The evidence: the event that raised the first alert, then the success.
    assert_eq!(chained.evidence, [10, 50]);
    let finding = chained.to_ocsf();
    assert_eq!(
        finding["evidences"][0]["data"]["alerts"][0],
        a[0].uid.as_str()
    );

    // Without the alert it follows, the rule has nothing to follow.
    let alone = run(&mut engine_with(&rules[1..]), &ev);
    assert!(alone.is_empty(), "{alone:#?}");
}

#[test]
fn success_after_brute_force_ip_near_misses() {
    let rules = ["brute-force-ip", "success-after-brute-force-ip"];
    // A success from another address.
    let mut ev = brute_force_from(A);
    ev.push(logon(50, T0 + 10 * M, Some("mallory"), B, true));
    assert_eq!(ids(&run(&mut engine_with(&rules), &ev)), ["brute-force-ip"]);
    // A success more than an hour after the alert (raised at 9 s).
    let mut ev = brute_force_from(A);
    ev.push(logon(50, T0 + 9 * S + 60 * M + S, Some("mallory"), A, true));
    assert_eq!(ids(&run(&mut engine_with(&rules), &ev)), ["brute-force-ip"]);
    // Nine failures: no alert to follow.
    let mut ev = brute_force_from(A);
    ev.truncate(9);
    ev.push(logon(50, T0 + 10 * M, Some("mallory"), A, true));
    assert!(run(&mut engine_with(&rules), &ev).is_empty());
}

#[test]
fn success_after_brute_force_user_follows_the_account_alert() {
    let rules = ["brute-force-user", "success-after-brute-force-user"];
    let mut ev = guesses("bob");
    ev.push(logon(50, T0 + 20 * M, Some("bob"), B, true));
    let a = run(&mut engine_with(&rules), &ev);
    assert_eq!(
        ids(&a),
        ["brute-force-user", "success-after-brute-force-user"]
    );
    assert_eq!(a[1].group, [("user".into(), "bob".into())]);
    // Near miss: another user's success.
    let mut ev = guesses("bob");
    ev.push(logon(50, T0 + 20 * M, Some("carol"), B, true));
    assert_eq!(
        ids(&run(&mut engine_with(&rules), &ev)),
        ["brute-force-user"]
    );
}

#[test]
fn mfa_fatigue_fires_on_five_denials_in_ten_minutes() {
    let ev: Vec<Ev> = (0..5)
        .map(|i| mfa(i + 1, T0 + i as i64 * 2 * M, "dana", false))
        .collect();
    let a = alerts("mfa-fatigue", &ev);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].count, 5);
    assert_eq!(a[0].group, [("user".into(), "dana".into())]);
    // Near misses: four denials; five spread over more than ten minutes; five approvals.
    assert!(alerts("mfa-fatigue", &ev[..4]).is_empty());
    let slow: Vec<Ev> = (0..5)
        .map(|i| mfa(i + 1, T0 + i as i64 * 3 * M, "dana", false))
        .collect();
    assert!(alerts("mfa-fatigue", &slow).is_empty());
    let ok: Vec<Ev> = (0..5)
        .map(|i| mfa(i + 1, T0 + i as i64 * M, "dana", true))
        .collect();
    assert!(alerts("mfa-fatigue", &ok).is_empty());
}

#[test]
fn an_approval_after_mfa_fatigue_raises_a_critical_chained_alert() {
    let rules = ["mfa-fatigue", "mfa-fatigue-approved"];
    let mut ev: Vec<Ev> = (0..5)
        .map(|i| mfa(i + 1, T0 + i as i64 * M, "dana", false))
        .collect();
    ev.push(mfa(6, T0 + 6 * M, "dana", true));
    let a = run(&mut engine_with(&rules), &ev);
    assert_eq!(ids(&a), ["mfa-fatigue", "mfa-fatigue-approved"]);
    assert_eq!(a[1].severity, Severity::Critical);
    assert!(
        a[1].severity.id() > a[0].severity.id(),
        "the chain raises severity"
    );
    // Near misses: the approval 31 minutes after the alert; an approval with no fatigue.
    let mut late = ev[..5].to_vec();
    late.push(mfa(6, T0 + 4 * M + 31 * M, "dana", true));
    assert_eq!(ids(&run(&mut engine_with(&rules), &late)), ["mfa-fatigue"]);
    let calm = [mfa(1, T0, "dana", false), mfa(2, T0 + M, "dana", true)];
    assert!(run(&mut engine_with(&rules), &calm).is_empty());
}

/// Ten failures for `user` in five minutes, each from another address, seqs from 1.
fn guesses(user: &str) -> Vec<Ev> {
    (0..10)
        .map(|i| fail(i + 1, T0 + i as i64 * 30 * S, user, &format!("192.0.2.{i}")))
        .collect()
}

/// An account taken over: guessed at, logged into at 6 min (seq 20), granted privileges at
/// 12 min (seq 21).
fn takeover(user: &str) -> Vec<Ev> {
    let mut ev = guesses(user);
    ev.push(logon(20, T0 + 6 * M, Some(user), B, true));
    ev.push(grant(21, T0 + 12 * M, user));
    ev
}

#[test]
fn privilege_grant_after_an_alert_on_the_account() {
    let rules = [
        "brute-force-user",
        "success-after-brute-force-user",
        "privilege-grant-after-alert",
    ];
    let ev = takeover("erin");
    let a = run(&mut engine_with(&rules), &ev);
    assert_eq!(
        ids(&a),
        [
            "brute-force-user",
            "success-after-brute-force-user",
            "privilege-grant-after-alert"
        ]
    );
    let grant_alert = &a[2];
    assert_eq!(grant_alert.severity, Severity::Critical);
    assert_eq!(grant_alert.evidence.last(), Some(&21));
    // It followed the latest alert on the account.
    assert_eq!(grant_alert.related_alerts, [a[1].uid.clone()]);

    // Near misses: a grant with no alert on the account; a grant 16 minutes after the last.
    let quiet = [grant(1, T0, "erin")];
    assert!(run(&mut engine_with(&rules), &quiet).is_empty());
    let mut late = ev[..11].to_vec();
    late.push(grant(21, T0 + 6 * M + 16 * M, "erin"));
    assert_eq!(
        ids(&run(&mut engine_with(&rules), &late)),
        ["brute-force-user", "success-after-brute-force-user"]
    );
    // A grant to another user.
    let mut other = ev[..11].to_vec();
    other.push(grant(21, T0 + 12 * M, "frank"));
    assert_eq!(run(&mut engine_with(&rules), &other).len(), 2);
}

#[test]
fn privilege_grant_after_an_alert_by_address_on_a_user_it_touched() {
    // Ten users sprayed from A (one failure each), then a grant to one of them.
    let spray: Vec<Ev> = (0..10)
        .map(|i| fail(i + 1, T0 + i as i64 * S, &format!("u{i}"), A))
        .collect();
    let rules = ["password-spraying", "privilege-grant-after-alert"];
    let mut ev = spray.clone();
    ev.push(grant(20, T0 + 10 * M, "u3"));
    let a = run(&mut engine_with(&rules), &ev);
    assert_eq!(ids(&a), rules, "{a:#?}");
    // The alert by address names the users it counted.
    assert_eq!(
        a[0].details["distinct_values"]["user"],
        serde_json::json!(["u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"])
    );
    let g = &a[1];
    assert_eq!(g.group, [("user".to_string(), "u3".to_string())]);
    assert_eq!(g.related_alerts, [a[0].uid.clone()]);
    assert_eq!(g.evidence.last(), Some(&20));
    // Near misses: a grant to a user the spray did not touch; one 16 minutes after it.
    let mut other = spray.clone();
    other.push(grant(20, T0 + 10 * M, "zed"));
    assert_eq!(ids(&run(&mut engine_with(&rules), &other)), [rules[0]]);
    let mut late = spray;
    late.push(grant(20, T0 + 9 * S + 16 * M, "u3"));
    assert_eq!(ids(&run(&mut engine_with(&rules), &late)), [rules[0]]);
    // Credential stuffing from one address: fifteen users, one try each.
    let mut stuffing: Vec<Ev> = (0..15)
        .map(|i| fail(i + 1, T0 + i as i64 * S, &format!("s{i}"), B))
        .collect();
    stuffing.push(grant(30, T0 + 5 * M, "s14"));
    let a = run(
        &mut engine_with(&["credential-stuffing", "privilege-grant-after-alert"]),
        &stuffing,
    );
    assert_eq!(
        ids(&a),
        ["credential-stuffing", "privilege-grant-after-alert"],
        "{a:#?}"
    );
    assert_eq!(a[1].group, [("user".to_string(), "s14".to_string())]);
}

#[test]
fn a_user_rule_counting_user_name_by_address_is_followed_per_user() {
    let file = "rules:
  - id: spray-by-name
    title: users by name from one address
    severity: high
    filter: class=authentication status=failure
    group_by: [ip]
    window: 10m
    distinct: {field: user.name, min: 3}
";
    let mut rules = Rules::from_sources(&[("u.yaml", file)]).unwrap().into_vec();
    rules.push(
        Rules::builtin()
            .unwrap()
            .get("privilege-grant-after-alert")
            .unwrap()
            .clone(),
    );
    let mut ev: Vec<Ev> = (0..3)
        .map(|i| fail(i + 1, T0 + i as i64 * S, &format!("n{i}"), A))
        .collect();
    ev.push(grant(9, T0 + M, "n1"));
    let a = run(&mut Engine::new(rules), &ev);
    assert_eq!(
        ids(&a),
        ["spray-by-name", "privilege-grant-after-alert"],
        "{a:#?}"
    );
    assert_eq!(a[1].group, [("user".to_string(), "n1".to_string())]);
}

#[test]
fn an_alert_by_user_is_fed_back_once() {
    // brute-force-user names no other users: the grant follows it through its own group.
    let ev: Vec<Ev> = (0..10)
        .map(|i| fail(i + 1, T0 + i as i64 * S, "erin", &format!("192.0.2.{i}")))
        .collect();
    let a = run(&mut engine_with(&["brute-force-user"]), &ev);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].to_rule_events().len(), 1);
    // distributed-brute-force is grouped by user and counts addresses: still fed back once.
    let d = run(&mut engine_with(&["distributed-brute-force"]), &ev);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].to_rule_events().len(), 1);
}

#[test]
fn every_builtin_together_raises_the_whole_chain_once() {
    let ev = takeover("erin");
    let a = run(&mut all_builtins(), &ev);
    for id in [
        "brute-force-user",
        "success-after-brute-force-user",
        "privilege-grant-after-alert",
    ] {
        assert_eq!(of(&a, id).len(), 1, "{id}: {:?}", ids(&a));
    }
}

#[test]
fn a_rule_that_follows_its_own_alerts_stops_at_the_chain_depth() {
    let user = "rules:
  - id: echo
    title: every alert, again
    severity: low
    filter: class=2004
    window: 1h
    count: 1
    suppress: 1ms
";
    let mut echo = Rules::from_sources(&[("u.yaml", user)]).unwrap().into_vec();
    // No suppression at all (a file cannot say 0): each level's alert would fire again.
    echo[0].suppress_ms = 0;
    let base = Rules::builtin()
        .unwrap()
        .get("brute-force-ip")
        .unwrap()
        .clone();
    let mut engine = Engine::new([base].into_iter().chain(echo));
    let a = run(&mut engine, &brute_force_from(A));
    // The base alert, then one echo per level of the chain.
    assert_eq!(ids(&a), ["brute-force-ip", "echo", "echo", "echo"]);
}

fn refused(text: &str) -> String {
    match Rules::from_sources(&[("seq.yaml", text)]) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

const SEQ: &str = "rules:
  - id: s
    title: t
    severity: high
    type: sequence
    group_by: [user]
    maxspan: 5m
    steps:
      - filter: status=failure
        count: 3
      - filter: status=success
";

#[test]
fn sequence_rule_files_are_checked() {
    let rules = Rules::from_sources(&[("seq.yaml", SEQ)]).unwrap();
    let s = rules.get("s").unwrap();
    let sq = s.sequence().unwrap();
    assert_eq!(sq.steps.len(), 2);
    assert_eq!(sq.steps[0].count, 3);
    assert_eq!(sq.maxspan_ms, 5 * M);
    assert_eq!(s.suppress_ms, 5 * M, "suppress defaults to the span");

    let e = refused(&SEQ.replace("maxspan: 5m", "window: 5m"));
    assert!(
        e.starts_with("seq.yaml:2: rule \"s\": window: only a threshold rule takes this key"),
        "{e}"
    );
    let e = refused(&SEQ.replace("    maxspan: 5m\n", ""));
    assert!(e.contains("maxspan: missing"), "{e}");
    let e = refused(&SEQ.replace("      - filter: status=success\n", ""));
    assert!(
        e.contains("steps: a sequence needs at least two steps"),
        "{e}"
    );
    let e = refused(&SEQ.replace("type: sequence", "type: sequnce"));
    assert!(
        e.starts_with("seq.yaml:5: rule \"s\": type: unknown type \"sequnce\""),
        "{e}"
    );
    let e = refused(&SEQ.replace("filter: status=success", "filter: stauts=success"));
    assert!(
        e.starts_with("seq.yaml:11: rule \"s\": steps.filter:"),
        "{e}"
    );
    let e = refused(&SEQ.replace("count: 3", "count: 0"));
    assert!(e.contains("steps.count: must be at least 1"), "{e}");
    let e = refused(&SEQ.replace("type: sequence", "type: threshold"));
    assert!(e.contains("only a sequence rule takes this key"), "{e}");
    let e = refused(&format!("{SEQ}    cancel_on: \"user=a | count by ip\"\n"));
    assert!(e.contains("cancel_on: a pipe is not allowed"), "{e}");
}

#[test]
fn cancel_on_abandons_a_sequence() {
    let text = format!("{SEQ}    cancel_on: activity=logoff\n");
    let rules = Rules::from_sources(&[("seq.yaml", text.as_str())]).unwrap();
    let mut ev: Vec<Ev> = (0..3)
        .map(|i| fail(i + 1, T0 + i as i64 * S, "g", A))
        .collect();
    let mut logoff = logon(4, T0 + 4 * S, Some("g"), A, true);
    logoff.event["activity_id"] = 2.into();
    logoff.event["activity_name"] = "Logoff".into();
    ev.push(logoff);
    ev.push(logon(5, T0 + 5 * S, Some("g"), A, true));
    // The logoff is itself a success: the cancel wins over the step it would complete.
    assert!(run(&mut Engine::new(rules.into_vec()), &ev).is_empty());
    let rules = Rules::from_sources(&[("seq.yaml", SEQ)]).unwrap();
    let fired = run(&mut Engine::new(rules.into_vec()), &ev);
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].evidence, [1, 2, 3, 4]);
}
