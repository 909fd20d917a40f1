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
    let m = refused(&format!("{FAILED}---\ntitle: Tmp\ncorrelation:\n  type: temporal\n  rules: [failed_logon]\n  timespan: 5m\n"));
    assert!(
        m.contains("unsupported correlation type \"temporal\""),
        "{m}"
    );
}
