//! A restart neither loses a window nor raises an old alert again: an engine stopped at any
//! point, its state stored (as JSON here) and restored, goes on to raise exactly the alerts an
//! engine that never stopped raises.

mod support;

use authtrail_detect::rule::Condition;
use authtrail_detect::{Engine, EngineState, Rules, DEFAULT_LATENESS_MS};
use proptest::prelude::*;
use support::*;

/// The state through a JSON round trip, as a store would keep it.
fn stored(engine: &Engine) -> EngineState {
    let bytes = serde_json::to_vec(&engine.state()).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn builtins() -> Vec<authtrail_detect::Rule> {
    Rules::builtin().unwrap().into_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_restart_anywhere_raises_the_same_alerts(seed in any::<u64>(), cut in 0usize..1500) {
        let ev = mixed_stream(1500, seed);
        let whole = run(&mut Engine::new(builtins()), &ev);

        let mut first = Engine::new(builtins());
        let mut got = run(&mut first, &ev[..cut]);
        let state = stored(&first);
        drop(first);
        let mut again = Engine::restore(builtins(), DEFAULT_LATENESS_MS, &state);
        prop_assert_eq!(again.state(), state, "restored state");
        got.extend(run(&mut again, &ev[cut..]));
        prop_assert_eq!(got, whole);
    }

    #[test]
    fn a_frozen_state_is_the_state_when_frozen(seed in any::<u64>(), cut in 0usize..1500) {
        // The detector freezes its state (sharing the groups) and goes on while another thread
        // makes the stored state from the frozen one: what the engine changes after the freeze
        // must not leak into it, and restoring it must go on as if never stopped.
        let ev = mixed_stream(1500, seed);
        let whole = run(&mut Engine::new(builtins()), &ev);
        let mut engine = Engine::new(builtins());
        let mut got = run(&mut engine, &ev[..cut]);
        let then = engine.state();
        let frozen = engine.freeze();
        run(&mut engine, &ev[cut..]);
        engine.sweep();
        prop_assert!(cut > 1400 || engine.state() != then, "the engine moved on");
        let state = frozen.into_state();
        prop_assert_eq!(&state, &then);
        prop_assert!(cut < 300 || state.rules.iter().any(|r| r.groups.len() > 1));
        let mut again = Engine::restore(builtins(), DEFAULT_LATENESS_MS, &state);
        got.extend(run(&mut again, &ev[cut..]));
        prop_assert_eq!(got, whole);
    }
}

#[test]
fn the_stream_alerts_at_all() {
    let alerts = run(&mut Engine::new(builtins()), &mixed_stream(1500, 7));
    let rules: std::collections::BTreeSet<&str> =
        alerts.iter().map(|a| a.rule_id.as_str()).collect();
    assert!(rules.len() >= 3, "{rules:?}");
}

#[test]
fn an_edited_rule_starts_empty_and_a_changed_threshold_keeps_its_entries() {
    let rules = Rules::builtin().unwrap();
    let rule = rules.get("brute-force-ip").unwrap().clone();
    let ev = failures((0..9).map(|i| (T0 + i * S, "root".to_string(), "192.0.2.1".to_string())));
    let mut engine = Engine::new([rule.clone()]);
    assert!(run(&mut engine, &ev).is_empty(), "9 failures: no alert");
    let state = stored(&engine);
    let tenth = [fail(10, T0 + 9 * S, "root", "192.0.2.1")];

    // Same rule: the tenth failure fires, counting the nine before the restart.
    let mut same = Engine::restore([rule.clone()], DEFAULT_LATENESS_MS, &state);
    let a = run(&mut same, &tenth);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].count, 10);
    assert_eq!(a[0].evidence, (1..=10).collect::<Vec<u64>>());

    // A lower threshold over the same filter and groups keeps the nine as well.
    let mut lower = rule.clone();
    if let Condition::Threshold(th) = &mut lower.condition {
        th.min_count = 5;
    }
    let mut engine = Engine::restore([lower], DEFAULT_LATENESS_MS, &state);
    assert_eq!(run(&mut engine, &tenth).len(), 1);

    // An edited filter: what was counted no longer means the same; it starts empty.
    let mut edited = rule.clone();
    edited.filter = authtrail_store::query::Query::parse("status=failure user=root").unwrap();
    let mut engine = Engine::restore([edited], DEFAULT_LATENESS_MS, &state);
    assert!(run(&mut engine, &tenth).is_empty());
    assert_eq!(engine.group_count(), 1, "only the tenth event's group");

    // A rule no longer loaded is dropped from the state.
    let other = rules.get("brute-force-user").unwrap().clone();
    let engine = Engine::restore([other], DEFAULT_LATENESS_MS, &state);
    assert_eq!(engine.group_count(), 0);
}

#[test]
fn an_alert_before_the_restart_stays_suppressed_after_it() {
    let rule = Rules::builtin()
        .unwrap()
        .get("brute-force-ip")
        .unwrap()
        .clone();
    let ev = failures((0..10).map(|i| (T0 + i * S, "root".to_string(), "192.0.2.1".to_string())));
    let mut engine = Engine::new([rule.clone()]);
    assert_eq!(run(&mut engine, &ev).len(), 1);
    let state = stored(&engine);
    let mut engine = Engine::restore([rule], DEFAULT_LATENESS_MS, &state);
    let more = [fail(11, T0 + 10 * S, "root", "192.0.2.1")];
    assert!(
        run(&mut engine, &more).is_empty(),
        "the alert is not raised again"
    );
}
