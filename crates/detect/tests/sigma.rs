//! Sigma rules and correlations compiled to our rules, run through the engine.

use authtrail_detect::sigma::compile;
use authtrail_detect::{Alert, Engine};
use authtrail_store::query::Record;
use serde_json::{json, Value};

/// A Windows Security event as the Windows parser writes it.
fn win(code: &str, t: i64, user: &str, ip: &str) -> Value {
    json!({"class_uid":3002,"activity_id":1,"time":t,
        "status": if code == "4625" {"Failure"} else {"Success"},
        "metadata":{"product":{"name":"Microsoft Windows","vendor_name":"Microsoft"},"event_code":code,"log_name":"Security"},
        "user":{"name":user,"domain":"CORP"},
        "actor":{"user":{"name":"WS01$"},"process":{"path":"C:\\Windows\\System32\\svchost.exe"}},
        "src_endpoint":{"ip":ip,"hostname":"WS01"},"logon_type_id":3,
        "unmapped":{"windows.status":"0xC000006D","windows.sub_status":"0xC0000064"}})
}

/// An sshd event as the sshd parser writes it.
fn sshd(t: i64, message: &str, ip: &str) -> Value {
    json!({"class_uid":3002,"time":t,"message":message,"service":{"name":"sshd"},
        "metadata":{"product":{"name":"OpenSSH","vendor_name":"OpenBSD"}},
        "user":{"name":"root"},"src_endpoint":{"ip":ip}})
}

fn run(yaml: &str, events: &[Value]) -> Vec<Alert> {
    let rules = compile(&[("t.yml", yaml)]).expect("compiles");
    let mut engine = Engine::new(rules.into_iter().map(|c| c.rule));
    let mut alerts = Vec::new();
    for (i, e) in events.iter().enumerate() {
        alerts.extend(engine.observe(&Record {
            seq: i as u64 + 1,
            source: "t",
            event: e,
        }));
    }
    alerts
}

fn refused(yaml: &str) -> String {
    compile(&[("bad.yml", yaml)])
        .expect_err("refused")
        .to_string()
}

const FAILED: &str = "title: Failed logon
name: failed_logon
level: low
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
    condition: selection
";

#[test]
fn detection_rule_fires_per_matching_event() {
    let a = run(
        FAILED,
        &[
            win("4625", 1000, "bob", "10.0.0.1"),
            win("4624", 2000, "bob", "10.0.0.1"),
            sshd(3000, "Failed password", "10.0.0.1"),
        ],
    );
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].evidence, vec![1]);
    assert_eq!(a[0].title, "Failed logon");
    // Two matches in one millisecond: two alerts, each of its own event.
    let a = run(
        FAILED,
        &[
            win("4625", 1000, "bob", "10.0.0.1"),
            win("4625", 1000, "eve", "10.0.0.2"),
        ],
    );
    assert_eq!(a.len(), 2, "{a:?}");
    assert_eq!(
        (a[0].evidence.as_slice(), a[1].evidence.as_slice()),
        (&[1][..], &[2][..])
    );
    assert_ne!(a[0].uid, a[1].uid);
}

#[test]
fn event_count_by_ip() {
    let yaml = format!(
        "{FAILED}---
title: Many failed logons from one address
id: many-failed
level: high
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [IpAddress]
    timespan: 5m
    condition:
        gte: 5
"
    );
    let five: Vec<Value> = (0..5)
        .map(|i| win("4625", 1000 + i * 1000, "bob", "10.0.0.1"))
        .collect();
    let a = run(&yaml, &five);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].rule_id, "many-failed");
    assert_eq!(a[0].group, vec![("ip".to_string(), "10.0.0.1".to_string())]);
    // Near misses: four from one address, the fifth from another; five spread over 10 minutes.
    let mut near: Vec<Value> = (0..4)
        .map(|i| win("4625", 1000 + i * 1000, "bob", "10.0.0.1"))
        .collect();
    near.push(win("4625", 6000, "bob", "10.0.0.2"));
    assert!(run(&yaml, &near).is_empty());
    let slow: Vec<Value> = (0..5)
        .map(|i| win("4625", i * 150_000, "bob", "10.0.0.1"))
        .collect();
    assert!(run(&yaml, &slow).is_empty());
    // Successes do not count.
    let ok: Vec<Value> = (0..5)
        .map(|i| win("4624", 1000 + i, "bob", "10.0.0.1"))
        .collect();
    assert!(run(&yaml, &ok).is_empty());
}

#[test]
fn value_count_distinct_users_from_one_ip() {
    let yaml = format!(
        "{FAILED}---
title: Password spraying
id: spray
correlation:
    type: value_count
    rules: [failed_logon]
    group-by: [IpAddress]
    timespan: 10m
    condition:
        field: TargetUserName
        gte: 5
"
    );
    let users: Vec<Value> = (0..5)
        .map(|i| win("4625", 1000 + i, &format!("u{i}"), "10.0.0.9"))
        .collect();
    assert_eq!(run(&yaml, &users).len(), 1);
    let same: Vec<Value> = (0..8)
        .map(|i| win("4625", 1000 + i, &format!("u{}", i % 4), "10.0.0.9"))
        .collect();
    assert!(run(&yaml, &same).is_empty());
}

#[test]
fn temporal_ordered_failures_then_success() {
    let yaml = format!(
        "{FAILED}---
title: Successful logon
name: success
logsource: {{product: windows, service: security}}
detection:
    selection:
        EventID: 4624
    condition: selection
---
title: Many failures
name: many_failures
id: many-failures
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [TargetUserName]
    timespan: 5m
    condition: {{gte: 3}}
---
title: Success after failures
id: success-after
level: critical
correlation:
    type: temporal_ordered
    rules: [many_failures, success]
    group-by: [TargetUserName]
    timespan: 10m
"
    );
    let mut ev: Vec<Value> = (0..3)
        .map(|i| win("4625", 1000 + i, "alice", "10.0.0.1"))
        .collect();
    ev.push(win("4624", 5000, "alice", "10.0.0.1"));
    let a = run(&yaml, &ev);
    assert!(a.iter().any(|x| x.rule_id == "success-after"), "{a:?}");
    // Near miss: the success first, or another user's success.
    let mut miss = vec![win("4624", 500, "alice", "10.0.0.1")];
    miss.extend((0..3).map(|i| win("4625", 1000 + i, "alice", "10.0.0.1")));
    miss.push(win("4624", 5000, "carol", "10.0.0.1"));
    let a = run(&yaml, &miss);
    assert!(!a.iter().any(|x| x.rule_id == "success-after"), "{a:?}");
}

fn one(detection: &str, event: &Value) -> bool {
    let yaml = format!(
        "title: T\nlogsource: {{product: windows, service: security}}\ndetection:\n{detection}"
    );
    !run(&yaml, std::slice::from_ref(event)).is_empty()
}

#[test]
fn modifiers_match_and_miss() {
    let e = win("4625", 1000, "Administrator", "192.168.5.7");
    let cases: &[(&str, bool)] = &[
        ("  s:\n    TargetUserName|contains: MINIST\n  condition: s\n", true),
        ("  s:\n    TargetUserName|contains: nobody\n  condition: s\n", false),
        ("  s:\n    TargetUserName|startswith: admin\n  condition: s\n", true),
        ("  s:\n    TargetUserName|startswith: trator\n  condition: s\n", false),
        ("  s:\n    TargetUserName|endswith: TRATOR\n  condition: s\n", true),
        ("  s:\n    TargetUserName|endswith: admin\n  condition: s\n", false),
        ("  s:\n    TargetUserName|contains|all: [adm, str]\n  condition: s\n", true),
        ("  s:\n    TargetUserName|contains|all: [adm, xyz]\n  condition: s\n", false),
        ("  s:\n    IpAddress|cidr: 192.168.0.0/16\n  condition: s\n", true),
        ("  s:\n    IpAddress|cidr: 10.0.0.0/8\n  condition: s\n", false),
        ("  s:\n    TargetUserName: 'adm*str?tor'\n  condition: s\n", true),
        ("  s:\n    TargetUserName: 'adm?str*'\n  condition: s\n", false),
        ("  s:\n    EventID: 4625\n  f:\n    LogonType: 3\n  condition: s and not f\n", false),
        ("  s:\n    EventID: 4625\n  f:\n    LogonType: 10\n  condition: s and not f\n", true),
        ("  sel_a:\n    EventID: 1\n  sel_b:\n    SubStatus: '0xc0000064'\n  condition: 1 of sel_*\n", true),
        ("  sel_a:\n    EventID: 1\n  sel_b:\n    SubStatus: '0xc0000064'\n  condition: all of sel_*\n", false),
        ("  s:\n    WorkstationName|exists: true\n  condition: s\n", true),
        ("  s:\n    TargetServerName|exists: true\n  condition: s\n", false),
        ("  s:\n    TargetServerName: null\n  condition: s\n", true),
        ("  s:\n    - TargetUserName: nobody\n    - EventID: 4625\n  condition: s\n", true),
        ("  a:\n    EventID: 4625\n  b:\n    TargetUserName: x\n  condition: a and (b or not b)\n", true),
    ];
    for (det, want) in cases {
        assert_eq!(one(det, &e), *want, "{det}");
    }
}

#[test]
fn linux_keywords_match_message_of_sshd_only() {
    let yaml = "title: Root login attempt
logsource: {product: linux, service: sshd}
detection:
    keywords:
        - 'Failed password for root'
    condition: keywords
";
    assert_eq!(
        run(
            yaml,
            &[sshd(
                1,
                "Failed password for root from 1.2.3.4 port 22 ssh2",
                "1.2.3.4"
            )]
        )
        .len(),
        1
    );
    assert!(run(yaml, &[sshd(1, "Accepted password for root", "1.2.3.4")]).is_empty());
}

#[test]
fn refuses_unsupported_modifier() {
    let m = refused("title: B64\nlogsource: {product: windows, service: security}\ndetection:\n  sel:\n    TargetUserName|base64offset|contains: admin\n  condition: sel\n");
    assert!(m.starts_with("bad.yml:5: sigma rule \"B64\": detection.sel.TargetUserName|base64offset|contains: unsupported modifier \"base64offset\""), "{m}");
}

#[test]
fn refuses_unmapped_field() {
    let m = refused("title: Cmd\nlogsource: {product: windows, service: security}\ndetection:\n  sel:\n    CommandLine: x\n  condition: sel\n");
    assert!(m.starts_with("bad.yml:5: sigma rule \"Cmd\": detection.sel.CommandLine: field \"CommandLine\" is not mapped for logsource windows/security"), "{m}");
}

/// SigmaHQ's "Use of Legacy Authentication Protocols" (azure/signinlogs) selects on
/// `ActivityDetails: Sign-ins` (a portal label, no column of the sign-in logs), `ClientApp`
/// (the logs' column is `ClientAppUsed`) and `Username: 'UPN'` (a placeholder): it is refused
/// by the first field with no mapping, while the same selection on `ClientAppUsed` loads.
#[test]
fn refuses_the_legacy_authentication_rule_by_its_unmapped_field() {
    let rule = |fields: &str| {
        format!("title: Legacy\nlogsource: {{product: azure, service: signinlogs}}\ndetection:\n  sel:\n{fields}  condition: sel\n")
    };
    let m = refused(&rule(
        "    ActivityDetails: Sign-ins\n    ClientApp: [IMAP, POP3]\n",
    ));
    assert!(
        m.starts_with("bad.yml:5: sigma rule \"Legacy\": detection.sel.ActivityDetails: field \"ActivityDetails\" is not mapped for logsource azure/signinlogs"),
        "{m}"
    );
    let m = refused(&rule("    ClientApp: [IMAP, POP3]\n"));
    assert!(m.contains("field \"ClientApp\" is not mapped"), "{m}");
    compile(&[("ok.yml", &rule("    ClientAppUsed: [IMAP, POP3]\n"))])
        .expect("ClientAppUsed is mapped to unmapped.entra.client_app_used");
}

#[test]
fn refuses_legacy_aggregation() {
    let m = refused("title: Agg\nlogsource: {product: windows, service: security}\ndetection:\n  sel:\n    EventID: 4625\n  condition: sel | count() by IpAddress > 5\n");
    assert!(
        m.starts_with(
            "bad.yml:6: sigma rule \"Agg\": detection.condition: unsupported aggregation"
        ),
        "{m}"
    );
}

#[test]
fn refuses_other_constructs() {
    let m = refused("title: Re\nlogsource: {product: windows, service: security}\ndetection:\n  sel:\n    TargetUserName|re: '^a'\n  condition: sel\n");
    assert!(m.contains("unsupported modifier \"re\""), "{m}");
    let m = refused("title: Proc\nlogsource: {category: process_creation, product: windows}\ndetection:\n  sel:\n    Image: x\n  condition: sel\n");
    assert!(m.contains("unsupported logsource category"), "{m}");
    let m = refused(&format!("{FAILED}---\ntitle: Lt\ncorrelation:\n  type: event_count\n  rules: [failed_logon]\n  group-by: [IpAddress]\n  timespan: 5m\n  condition: {{lt: 5}}\n"));
    assert!(
        m.starts_with(
            "bad.yml:18: sigma rule \"Lt\": correlation.condition: unsupported condition"
        ),
        "{m}"
    );
}

/// Two detections and a temporal correlation of them by user within 5 minutes.
fn temporal_rules(condition: &str) -> String {
    format!(
        "{FAILED}---
title: Explicit credentials
name: explicit_creds
logsource: {{product: windows, service: security}}
detection:
    selection:
        EventID: 4648
    condition: selection
---
title: Special privileges
name: special_privs
logsource: {{product: windows, service: security}}
detection:
    selection:
        EventID: 4672
    condition: selection
---
title: Failure, explicit credentials and privileges by one user
id: temporal-user
level: high
correlation:
    type: temporal
    rules: [failed_logon, explicit_creds, special_privs]
    group-by: [TargetUserName]
    timespan: 5m
{condition}"
    )
}

/// Events `(code, minute, user)` one second apart within their minute.
fn coded(spec: &[(&str, i64, &str)]) -> Vec<Value> {
    spec.iter()
        .enumerate()
        .map(|(i, (code, minute, user))| {
            win(code, minute * 60_000 + i as i64 * 1000, user, "10.0.0.1")
        })
        .collect()
}

fn temporal_alerts(condition: &str, spec: &[(&str, i64, &str)]) -> Vec<Alert> {
    run(&temporal_rules(condition), &coded(spec))
        .into_iter()
        .filter(|a| a.rule_id == "temporal-user")
        .collect()
}

#[test]
fn temporal_fires_in_any_order() {
    let yaml = temporal_rules("");
    for order in [
        ["4625", "4648", "4672"],
        ["4672", "4648", "4625"],
        ["4648", "4625", "4672"],
    ] {
        let spec: Vec<(&str, i64, &str)> = order.iter().map(|c| (*c, 1, "alice")).collect();
        let a = temporal_alerts("", &spec);
        assert_eq!(a.len(), 1, "{order:?}: {a:?}");
        assert_eq!(a[0].evidence, vec![1, 2, 3], "{order:?}");
        assert_eq!(a[0].group, vec![("user".to_string(), "alice".to_string())]);
        assert_eq!(
            a[0].distinct,
            [
                ("sigma:failed_logon".to_string(), 1),
                ("sigma:explicit_creds".to_string(), 1),
                ("sigma:special_privs".to_string(), 1)
            ]
        );
    }
    // The referenced detections raise nothing of their own (no `generate`).
    let all = run(&yaml, &coded(&[("4625", 1, "alice")]));
    assert!(all.is_empty(), "{all:?}");
}

#[test]
fn temporal_needs_every_rule_within_the_timespan_in_one_group() {
    // One rule missing (however many events of the others).
    let a = temporal_alerts(
        "",
        &[
            ("4625", 1, "alice"),
            ("4625", 1, "alice"),
            ("4648", 2, "alice"),
            ("4648", 2, "alice"),
        ],
    );
    assert!(a.is_empty(), "{a:?}");
    // All three, but the first more than 5 minutes before the last.
    let a = temporal_alerts(
        "",
        &[
            ("4625", 1, "alice"),
            ("4648", 4, "alice"),
            ("4672", 7, "alice"),
        ],
    );
    assert!(a.is_empty(), "{a:?}");
    // All three within 5 minutes, but spread over two users: only bob has all of them.
    let a = temporal_alerts(
        "",
        &[
            ("4625", 1, "alice"),
            ("4648", 1, "bob"),
            ("4672", 1, "alice"),
            ("4625", 2, "bob"),
            ("4672", 2, "bob"),
        ],
    );
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].group, vec![("user".to_string(), "bob".to_string())]);
    assert_eq!(a[0].evidence, vec![2, 4, 5]);
}

#[test]
fn temporal_gte_counts_the_rules_matched() {
    let cond = "    condition:\n        gte: 2\n";
    let a = temporal_alerts(cond, &[("4625", 1, "alice"), ("4625", 1, "alice")]);
    assert!(a.is_empty(), "the same rule twice is one rule: {a:?}");
    let a = temporal_alerts(cond, &[("4672", 1, "alice"), ("4625", 2, "alice")]);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(
        a[0].distinct,
        [
            ("sigma:failed_logon".to_string(), 1),
            ("sigma:explicit_creds".to_string(), 0),
            ("sigma:special_privs".to_string(), 1)
        ]
    );
    // gt 1 is gte 2.
    let gt = temporal_alerts(
        "    condition:\n        gt: 1\n",
        &[("4672", 1, "alice"), ("4625", 2, "alice")],
    );
    assert_eq!(gt.len(), 1, "{gt:?}");
}

#[test]
fn temporal_is_refused_where_it_cannot_be_matched_exactly() {
    let m = refused(&format!("{FAILED}---\ntitle: Tmp\ncorrelation:\n  type: temporal\n  rules: [failed_logon]\n  timespan: 5m\n"));
    assert!(
        m.starts_with(
            "bad.yml:15: sigma rule \"Tmp\": correlation.rules: temporal needs at least two rules"
        ),
        "{m}"
    );
    let m = refused(&temporal_rules("    condition:\n        gte: 4\n"));
    assert!(
        m.contains("correlation.condition: asks for 4 of the 3 rules"),
        "{m}"
    );
    let m = refused(&temporal_rules("    condition:\n        lte: 2\n"));
    assert!(
        m.contains("correlation.condition: unsupported condition"),
        "{m}"
    );
    let m = refused(&temporal_rules(
        "    condition:\n        field: IpAddress\n        gte: 2\n",
    ));
    assert!(
        m.contains("correlation.condition.field: only value_count takes a field"),
        "{m}"
    );
    let over = format!(
        "{}---\ntitle: Over\ncorrelation:\n  type: temporal\n  rules: [temporal-user, failed_logon]\n  timespan: 5m\n",
        temporal_rules("")
    );
    let m = refused(&over);
    assert!(
        m.contains("unsupported: temporal over another correlation's alerts"),
        "{m}"
    );
}

#[test]
fn temporal_state_survives_a_restart_and_a_changed_rule_starts_empty() {
    let compiled = |yaml: &str| -> Vec<authtrail_detect::Rule> {
        compile(&[("t.yml", yaml)])
            .expect("compiles")
            .into_iter()
            .map(|c| c.rule)
            .collect()
    };
    let observe = |engine: &mut Engine, seq: u64, e: &Value| {
        engine.observe(&Record {
            seq,
            source: "t",
            event: e,
        })
    };
    let ev = coded(&[
        ("4625", 1, "alice"),
        ("4648", 1, "alice"),
        ("4672", 1, "alice"),
    ]);
    let yaml = temporal_rules("");
    let mut before = Engine::new(compiled(&yaml));
    assert!(observe(&mut before, 1, &ev[0]).is_empty());
    assert!(observe(&mut before, 2, &ev[1]).is_empty());
    let state = before.state();
    let lateness = authtrail_detect::DEFAULT_LATENESS_MS;
    let mut after = Engine::restore(compiled(&yaml), lateness, &state);
    let a = observe(&mut after, 3, &ev[2]);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].evidence, vec![1, 2, 3]);
    // A referenced rule that now matches other events: the stored windows no longer mean the
    // same, so the correlation starts empty.
    let edited = yaml.replace("EventID: 4648", "EventID: 4647");
    let mut fresh = Engine::restore(compiled(&edited), lateness, &state);
    assert!(observe(&mut fresh, 3, &ev[2]).is_empty());
}

#[test]
fn the_temporal_example_of_the_docs_compiles_and_fires() {
    let doc = include_str!("../../../docs/SIGMA.md");
    let from = doc.find("### `temporal`").expect("section");
    let block = &doc[from..];
    let start = block.find("```yaml\n").expect("example") + "```yaml\n".len();
    let yaml = &block[start..start + block[start..].find("```").expect("end")];
    let ev = coded(&[("4672", 1, "alice"), ("4625", 1, "alice")]);
    let a = run(yaml, &ev);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].rule_id, "8d3c3f7e-2a8b-4a52-9d0e-5c1f0b6a7e21");
}
