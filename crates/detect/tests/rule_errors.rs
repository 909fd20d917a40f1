//! Rule files that must be refused name the file, the line, the rule and the key.

use authtrail_detect::{RuleError, Rules};

fn load(text: &str) -> Result<Rules, RuleError> {
    Rules::from_sources(&[("rules.yaml", text)])
}

fn error(text: &str) -> String {
    match load(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// The error for GOOD with `from` replaced by `to`; it must start with `prefix`.
fn refused(from: &str, to: &str, prefix: &str) -> String {
    let e = error(&GOOD.replace(from, to));
    assert!(
        e.starts_with(prefix),
        "{e}\nexpected to start with {prefix}"
    );
    e
}

const GOOD: &str = "rules:
  - id: brute-force-ip
    title: t
    severity: high
    filter: class=authentication status=failure
    group_by: [ip]
    window: 1m
    count: 10
";

#[test]
fn a_good_file_loads() {
    let rules = load(GOOD).unwrap();
    let r = rules.get("brute-force-ip").unwrap();
    let th = r.threshold().unwrap();
    assert_eq!(th.window_ms, 60_000);
    assert_eq!(r.suppress_ms, 60_000, "suppress defaults to the window");
    assert_eq!(th.min_count, 10);
}

#[test]
fn bad_duration_names_file_line_rule_and_key() {
    let text = GOOD.replace("window: 1m", "window: 10x");
    assert_eq!(
        error(&text),
        "rules.yaml:7: rule \"brute-force-ip\": window: invalid duration \"10x\" \
         (a whole number and ms, s, m, h or d: 30s, 10m, 24h)"
    );
    let text = GOOD.replace("count: 10", "count: 10\n    suppress: soon");
    assert!(
        error(&text).starts_with(
            "rules.yaml:9: rule \"brute-force-ip\": suppress: invalid duration \"soon\""
        ),
        "{}",
        error(&text)
    );
}

#[test]
fn unknown_key_is_refused_with_its_line() {
    let e = refused(
        "count: 10",
        "count: 10\n    treshold: 5",
        "rules.yaml:9: rule \"brute-force-ip\": ",
    );
    assert!(e.contains("treshold"), "{e}");
}

#[test]
fn unknown_field_names_the_valid_ones() {
    let e = refused(
        "group_by: [ip]",
        "group_by: [usr]",
        "rules.yaml:6: rule \"brute-force-ip\": group_by: unknown field \"usr\" (did you mean user",
    );
    assert!(e.contains("valid fields: time, user,"), "{e}");
    let text = GOOD.replace("count: 10", "distinct: {field: nope, min: 3}");
    let e = error(&text);
    assert!(
        e.starts_with(
            "rules.yaml:8: rule \"brute-force-ip\": distinct.field: unknown field \"nope\""
        ),
        "{e}"
    );
}

#[test]
fn filter_syntax_error_and_pipe_and_since_are_refused() {
    refused(
        "status=failure",
        "status=failure (",
        "rules.yaml:5: rule \"brute-force-ip\": filter: column",
    );
    refused(
        "status=failure",
        "status=failure | count by user",
        "rules.yaml:5: rule \"brute-force-ip\": filter: a pipe is not allowed",
    );
    refused(
        "status=failure",
        "status=failure since=1h",
        "rules.yaml:5: rule \"brute-force-ip\": filter: since/until are not allowed",
    );
    let text = GOOD.replace("status=failure", "stat=failure");
    let e = error(&text);
    assert!(e.contains("unknown field \"stat\""), "{e}");
}

#[test]
fn wrong_types_and_bad_severity_name_their_key() {
    refused(
        "count: 10",
        "count: many",
        "rules.yaml:8: rule \"brute-force-ip\": count: ",
    );
    let e = refused(
        "severity: high",
        "severity: severe",
        "rules.yaml:4: rule \"brute-force-ip\": ",
    );
    assert!(e.contains("severe"), "{e}");
}

#[test]
fn incomplete_rules_and_duplicates_are_refused() {
    let text = GOOD.replace("    count: 10\n", "");
    assert_eq!(
        error(&text),
        "rules.yaml:2: rule \"brute-force-ip\": no condition: give count, distinct, or both"
    );
    let text = GOOD.replace("    window: 1m\n", "");
    assert_eq!(
        error(&text),
        "rules.yaml:2: rule \"brute-force-ip\": window: missing (an enabled rule needs it)"
    );
    let text = format!("{GOOD}{}", GOOD.replace("rules:\n", ""));
    assert!(error(&text)
        .starts_with("rules.yaml:9: rule \"brute-force-ip\": a rule with this id is already"));
    let text = "rules:\n  - title: no id\n";
    let e = error(text);
    assert!(e.starts_with("rules.yaml:2: "), "{e}");
    assert!(e.contains("id"), "{e}");
}

#[test]
fn user_file_overrides_and_disables_builtins() {
    let user = "rules:
  - id: brute-force-ip
    count: 25
  - id: password-spraying
    enabled: false
";
    let builtin = Rules::builtin().unwrap();
    let rules = Rules::load(Some(("user.yaml", user))).unwrap();
    assert_eq!(rules.len(), builtin.len() - 1);
    assert!(rules.get("password-spraying").is_none());
    let r = rules.get("brute-force-ip").unwrap();
    assert_eq!(r.threshold().unwrap().min_count, 25);
    assert_eq!(
        r.threshold().unwrap().window_ms,
        60_000,
        "the keys it does not give stay the built-in's"
    );
    let e = Rules::load(Some((
        "user.yaml",
        "rules:\n  - id: brute-force-ip\n    window: 1y\n",
    )))
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("user.yaml:3: rule \"brute-force-ip\": window: invalid duration"),
        "{e}"
    );
}

#[test]
fn builtins_load_with_stable_ids() {
    let rules = Rules::builtin().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "brute-force-ip",
            "brute-force-ip-slow-1h",
            "brute-force-ip-slow-24h",
            "brute-force-user",
            "password-spraying",
            "credential-stuffing",
            "credential-stuffing-distributed",
            "distributed-brute-force",
            "success-after-brute-force-ip",
            "success-after-brute-force-user",
            "success-after-failures",
            "mfa-fatigue",
            "mfa-fatigue-approved",
            "privilege-grant-after-alert",
            "refresh-token-reuse",
            "session-used-after-logoff",
            "token-used-after-revoke",
            "new-country",
            "new-asn",
            "dormant-account",
            "impossible-travel",
            "session-hijack",
            "token-hijack",
        ]
    );
}

#[test]
#[ignore = "prints the messages, for eyes"]
fn show_messages() {
    for (from, to) in [
        ("count: 10", "count: 10\n    treshold: 5"),
        ("count: 10", "count: many"),
        ("severity: high", "severity: severe"),
        ("group_by: [ip]", "group_by: [usr]"),
        ("status=failure", "status=failure ("),
    ] {
        println!("{}", error(&GOOD.replace(from, to)));
    }
    println!("{}", error("rules:\n  - title: no id\n"));
}
