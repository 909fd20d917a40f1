//! Engine semantics: suppression, late events, determinism, bounded state.

mod support;

use authtrail_detect::{Engine, Rules, DEFAULT_LATENESS_MS};
use proptest::prelude::*;
use support::*;

#[test]
fn suppression_holds_then_lets_a_new_alert_through() {
    // One failure a second for 100 s: fires at 9 s; suppressed (1 min) until 69 s.
    let ev = failures((0..100).map(|i| (T0 + i * S, "u".into(), "203.0.113.9".into())));
    let a = alerts("brute-force-ip", &ev);
    let ends: Vec<i64> = a.iter().map(|a| (a.window_end_ms - T0) / S).collect();
    assert_eq!(ends, [9, 69]);
    assert_ne!(a[0].uid, a[1].uid);
    // The second window is the minute before it (60 s: 10 s .. 69 s).
    assert_eq!(a[1].window_start_ms, T0 + 10 * S);
    assert_eq!(a[1].count, 60);
    // Another address is another group: not suppressed by the first.
    let mut both = ev[..10].to_vec();
    both.extend(failures(
        (0..10).map(|i| (T0 + 10 * S + i * S, "u".into(), "203.0.113.10".into())),
    ));
    assert_eq!(alerts("brute-force-ip", &both).len(), 2);
}

#[test]
fn late_event_within_lateness_counts_in_its_own_window() {
    let ip = "203.0.113.9";
    // Ten failures 0..9 s, but the one at 4 s arrives after an event at 35 s from elsewhere.
    let mut ev: Vec<Ev> = (0..10)
        .filter(|i| *i != 4)
        .map(|i| fail(i as u64 + 1, T0 + i * S, "u", ip))
        .collect();
    ev.push(fail(100, T0 + 35 * S, "u", "192.0.2.1"));
    assert!(alerts("brute-force-ip", &ev).is_empty());
    ev.push(fail(5, T0 + 4 * S, "u", ip));
    let a = alerts("brute-force-ip", &ev);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!((a[0].window_start_ms, a[0].window_end_ms), (T0, T0 + 9 * S));
    assert_eq!(a[0].count, 10);
    assert!(a[0].evidence.contains(&5));
}

#[test]
fn event_later_than_lateness_counts_as_of_its_groups_newest_time() {
    let ip = "203.0.113.9";
    let mut ev: Vec<Ev> = (0..9)
        .map(|i| fail(i as u64 + 1, T0 + i * S, "u", ip))
        .collect();
    ev.push(fail(100, T0 + 200 * S, "u", ip));
    // 195 s behind its group's newest: not in its own window (that would make ten), but not
    // dropped either.
    ev.push(fail(50, T0 + 5 * S, "u", ip));
    assert!(alerts("brute-force-ip", &ev).is_empty());
    ev.extend((0..8).map(|i| fail(200 + i as u64, T0 + 201 * S + i * S, "u", ip)));
    let a = alerts("brute-force-ip", &ev);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].count, 10);
    assert_eq!(a[0].window_start_ms, T0 + 200 * S, "counted at the newest");
    assert!(a[0].evidence.contains(&50), "{:?}", a[0].evidence);
}

#[test]
fn lateness_is_per_group_and_only_counted_events_move_the_watermark() {
    let ip = "203.0.113.9";
    let mut ev = vec![
        // Another address, far in the future (a skewed clock): its own group only.
        fail(1, T0 + 180 * 24 * 3600 * S, "u", "192.0.2.77"),
    ];
    // A line no rule counts, stamped with its arrival months later.
    let mut unparsed = logon(2, T0 + 200 * 24 * 3600 * S, Some("u"), ip, false);
    unparsed.event["class_uid"] = serde_json::json!(0);
    unparsed.event["class_name"] = serde_json::json!("Unparsed");
    ev.push(unparsed);
    ev.extend((0..10).map(|i| fail(10 + i as u64, T0 + i * S, "u", ip)));
    let mut engine = engine_for("brute-force-ip");
    let a = run(&mut engine, &ev);
    let mine: Vec<_> = a.iter().filter(|a| a.group[0].1 == ip).collect();
    assert_eq!(mine.len(), 1, "{a:#?}");
    assert_eq!(mine[0].window_start_ms, T0, "counted at their own times");
    assert_eq!(mine[0].window_end_ms, T0 + 9 * S);
    assert_eq!(
        engine.watermark(),
        Some(T0 + 180 * 24 * 3600 * S),
        "the unparsed line did not move it"
    );
}

#[test]
fn same_events_same_order_same_alerts() {
    let ev = mixed_stream(3_000, 0x9E37_79B9_7F4A_7C15);
    let rules = || Rules::builtin().unwrap().into_vec();
    let a = run(&mut Engine::new(rules()), &ev);
    let b = run(&mut Engine::new(rules()), &ev);
    assert!(!a.is_empty());
    assert_eq!(a, b);
    let ids: std::collections::BTreeSet<&str> = a.iter().map(|a| a.rule_id.as_str()).collect();
    assert!(ids.len() >= 3, "{ids:?}");
}

#[test]
fn idle_groups_are_forgotten() {
    let mut engine = engine_for("brute-force-ip");
    let ev = failures((0..10_000).map(|i| {
        (
            T0 + i * S,
            "u".into(),
            format!("10.0.{}.{}", i / 256, i % 256),
        )
    }));
    run(&mut engine, &ev);
    engine.sweep();
    // A sweep forgets the groups no event can still join (older than window + lateness, 2 min,
    // behind the newest) unless an event joined them since the last sweep (every 4096 events):
    // of 10,000 addresses, at most the last 4096 remain.
    assert!(engine.group_count() <= 4096, "{}", engine.group_count());
    assert!(engine.group_count() >= 121, "{}", engine.group_count());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Delivering events out of order by less than the lateness changes neither which groups
    /// alert nor whether any does.
    #[test]
    fn shuffling_within_lateness_keeps_the_alerting_groups(
        spec in prop::collection::vec((0i64..240_000, 0u8..4, 0i64..DEFAULT_LATENESS_MS), 1..150)
    ) {
        let events: Vec<(i64, i64, Ev)> = spec
            .iter()
            .enumerate()
            .map(|(i, (t, ip, delay))| {
                let ev = fail(i as u64, T0 + t, "u", &format!("203.0.113.{ip}"));
                (T0 + t, T0 + t + delay, ev)
            })
            .collect();
        let mut in_order = events.clone();
        in_order.sort_by_key(|(t, _, e)| (*t, e.seq));
        let mut shuffled = events;
        shuffled.sort_by_key(|(_, arrival, e)| (*arrival, e.seq));
        let groups = |evs: Vec<(i64, i64, Ev)>| {
            let evs: Vec<Ev> = evs.into_iter().map(|(_, _, e)| e).collect();
            alerts("brute-force-ip", &evs)
                .into_iter()
                .map(|a| a.group_text())
                .collect::<std::collections::BTreeSet<String>>()
        };
        prop_assert_eq!(groups(in_order), groups(shuffled));
    }
}
