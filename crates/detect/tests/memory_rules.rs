//! first_seen and dormant rules: each built-in fires on its scenario and not on a near miss;
//! their memory survives a restart; their rule files are checked.

mod support;

use authtrail_detect::{Engine, Rules, DEFAULT_LATENESS_MS};
use serde_json::json;
use support::*;

/// One day, ms.
const D: i64 = 86_400_000;

/// A successful logon for `user` from `country` at `t`.
fn login(seq: u64, t: i64, user: &str, country: &str) -> Ev {
    let mut e = logon(seq, t, Some(user), "198.51.100.7", true);
    e.event["src_endpoint"]["location"] = json!({"country": country});
    e
}

/// `n` daily logons of `user` from `country`, from day 0, seqs from 1.
fn routine(user: &str, country: &str, n: u64) -> Vec<Ev> {
    (0..n)
        .map(|i| login(i + 1, T0 + i as i64 * D, user, country))
        .collect()
}

#[test]
fn new_country_fires_past_the_learning_gate() {
    let mut ev = routine("alice", "FR", 7);
    ev.push(login(100, T0 + 7 * D, "alice", "BR"));
    ev.push(login(101, T0 + 7 * D + 60_000, "alice", "BR"));
    let a = alerts("new-country", &ev);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].evidence, [100]);
    let data = &a[0].to_ocsf()["evidences"][0]["data"];
    assert_eq!(data["new_value"], "BR");
    assert_eq!(data["known_values"], json!(["FR"]));
    assert_eq!(data["field"], "country");
}

#[test]
fn new_country_near_misses() {
    // Still learning: two days and two logons of history.
    let mut ev = routine("alice", "FR", 2);
    ev.push(login(100, T0 + 2 * D, "alice", "BR"));
    assert!(alerts("new-country", &ev).is_empty());
    // A country seen within 30 days.
    let mut ev = routine("alice", "FR", 7);
    ev.insert(1, login(50, T0 + D / 2, "alice", "BR"));
    ev.push(login(100, T0 + 8 * D, "alice", "BR"));
    assert!(alerts("new-country", &ev).is_empty());
    // Another user's country; an event without a country.
    let mut ev = routine("alice", "FR", 7);
    ev.push(login(100, T0 + 8 * D, "bob", "BR"));
    ev.push(logon(101, T0 + 8 * D, Some("alice"), "198.51.100.7", true));
    assert!(alerts("new-country", &ev).is_empty());
    // A failed logon from the new country is not a logon from it.
    let mut ev = routine("alice", "FR", 7);
    let mut failed = login(100, T0 + 8 * D, "alice", "BR");
    failed.event["status_id"] = 2.into();
    failed.event["status"] = "Failure".into();
    ev.push(failed);
    assert!(alerts("new-country", &ev).is_empty());
}

#[test]
fn ten_logons_open_the_gate_before_five_days() {
    let mut ev: Vec<Ev> = (0..10)
        .map(|i| login(i + 1, T0 + i as i64 * 3_600_000, "carol", "DE"))
        .collect();
    ev.push(login(100, T0 + D, "carol", "US"));
    assert_eq!(alerts("new-country", &ev).len(), 1);
    ev.remove(0);
    assert!(
        alerts("new-country", &ev).is_empty(),
        "nine logons in a day"
    );
}

#[test]
fn dormant_account_fires_after_ninety_days_without_a_success() {
    let ev = [
        login(1, T0, "svc-backup", "FR"),
        login(2, T0 + 91 * D, "svc-backup", "FR"),
        login(3, T0 + 92 * D, "svc-backup", "FR"),
    ];
    let a = alerts("dormant-account", &ev);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].evidence, [2]);
    assert_eq!(a[0].to_ocsf()["evidences"][0]["data"]["dormant_days"], 91);
    // Near misses: 89 days; a user never seen before (no history, not dormant); failures in
    // between do not count as activity either way.
    let ev = [
        login(1, T0, "svc-backup", "FR"),
        login(2, T0 + 89 * D, "svc-backup", "FR"),
    ];
    assert!(alerts("dormant-account", &ev).is_empty());
    assert!(alerts("dormant-account", &[login(1, T0 + 200 * D, "new", "FR")]).is_empty());
    let ev = [
        login(1, T0, "svc-backup", "FR"),
        fail(2, T0 + 50 * D, "svc-backup", "198.51.100.7"),
        login(3, T0 + 91 * D, "svc-backup", "FR"),
    ];
    assert_eq!(alerts("dormant-account", &ev).len(), 1);
}

#[test]
fn the_memory_survives_a_restart() {
    let rules = || {
        let r = Rules::builtin().unwrap();
        vec![
            r.get("new-country").unwrap().clone(),
            r.get("dormant-account").unwrap().clone(),
        ]
    };
    let mut ev = routine("alice", "FR", 7);
    ev.push(login(50, T0 + 7 * D, "bob", "FR"));
    let mut first = Engine::new(rules());
    assert!(run(&mut first, &ev).is_empty());
    let bytes = serde_json::to_vec(&first.state()).unwrap();
    let state = serde_json::from_slice(&bytes).unwrap();
    let mut again = Engine::restore(rules(), DEFAULT_LATENESS_MS, &state);
    assert_eq!(again.state(), state);
    let later = [
        login(100, T0 + 8 * D, "alice", "BR"),
        login(101, T0 + 100 * D, "bob", "FR"),
    ];
    assert_eq!(
        ids(&run(&mut again, &later)),
        ["new-country", "dormant-account"]
    );
}

fn refused(text: &str) -> String {
    match Rules::from_sources(&[("mem.yaml", text)]) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

const FIRST_SEEN: &str = "rules:
  - id: f
    title: t
    severity: low
    type: first_seen
    filter: status=success
    group_by: [user]
    field: country
    learning: {min_age: 5d}
";

#[test]
fn memory_rule_files_are_checked() {
    let rules = Rules::from_sources(&[("mem.yaml", FIRST_SEEN)]).unwrap();
    assert_eq!(
        rules.get("f").unwrap().suppress_ms,
        0,
        "no suppression by default"
    );
    let e = refused(&FIRST_SEEN.replace("field: country", "field: contry"));
    assert!(
        e.starts_with("mem.yaml:8: rule \"f\": field: unknown field \"contry\""),
        "{e}"
    );
    let e = refused(&FIRST_SEEN.replace("    field: country\n", ""));
    assert!(e.contains("field: missing"), "{e}");
    let e = refused(&FIRST_SEEN.replace("{min_age: 5d}", "{}"));
    assert!(
        e.starts_with("mem.yaml:9: rule \"f\": learning: give min_age"),
        "{e}"
    );
    let e = refused(&FIRST_SEEN.replace("{min_age: 5d}", "{min_age: 5x}"));
    assert!(e.contains("learning.min_age: invalid duration"), "{e}");
    let e = refused(&FIRST_SEEN.replace("field: country", "field: country\n    gap: 1d"));
    assert!(e.contains("gap: only a dormant rule takes this key"), "{e}");
    let dormant = FIRST_SEEN
        .replace("type: first_seen", "type: dormant")
        .replace(
            "    field: country\n    learning: {min_age: 5d}\n",
            "    gap: 90d\n    history: 30d\n",
        );
    let e = refused(&dormant);
    assert!(e.contains("history: must be longer than gap"), "{e}");
}
