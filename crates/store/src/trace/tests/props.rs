//! Property: for random events, starts and bounds, the timeline is sorted by time then seq,
//! holds no seq twice, never exceeds `max_steps`, and every step is justified by the documented
//! rules (docs/TRACE.md), checked here by an independent reading of the events; when no bound
//! was reached, nothing the rules reach is missing.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::Value;

use super::events::{at, ev, E};
use super::memory::Memory;
use crate::trace::{trace, Bounds, Rule, Start, Step, Timeline};

const HOSTS: &[&str] = &["sudo", "su", "OpenSSH"];
const PRODUCTS: &[&str] = &["Okta", "nginx", "login-api", "sudo", "su", "OpenSSH"];
const USERS: &[&str] = &["alice", "bob", "alice@example.com"];
const SESSIONS: &[&str] = &["s1", "s2", "s3"];
const TOKENS: &[&str] = &["k1", "k2"];
const TRACES: &[&str] = &["t1", "t2", "t3"];
const IPS: &[&str] = &["192.0.2.1", "192.0.2.2"];

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![Just(None), proptest::sample::select(list).prop_map(Some)]
}

/// One event: a product, a minute (mostly within half an hour, some days away), and keys.
fn event() -> impl Strategy<Value = Value> {
    let minute = prop_oneof![4 => 0i64..30, 1 => 2000i64..4000];
    (
        proptest::sample::select(PRODUCTS),
        minute,
        (pick(USERS), pick(USERS)),
        (pick(SESSIONS), pick(TOKENS)),
        (pick(TRACES), pick(TRACES)),
        pick(IPS),
    )
        .prop_map(
            |(product, m, (user, actor), (session, token), (tr, corr), ip)| {
                let mut e: E = ev(product, m);
                let opt = |e: E, v: Option<&str>, f: fn(E, &str) -> E| match v {
                    Some(v) => f(e, v),
                    None => e,
                };
                e = opt(e, user, E::user);
                e = opt(e, actor, E::actor);
                e = opt(e, session, E::session);
                e = opt(e, token, E::token);
                e = opt(e, tr, E::trace);
                e = opt(e, corr, E::correlation);
                e = opt(e, ip, E::ip);
                e.0
            },
        )
}

fn start() -> impl Strategy<Value = Start> {
    prop_oneof![
        proptest::sample::select(&["s1", "s2", "none"][..]).prop_map(|s| Start::Session(s.into())),
        proptest::sample::select(USERS).prop_map(|u| Start::User(u.into())),
        proptest::sample::select(IPS).prop_map(|ip| Start::Ip(ip.parse().expect("ip"))),
    ]
}

fn bounds() -> impl Strategy<Value = Bounds> {
    (
        prop_oneof![Just(None), Just(Some(at(-60))), Just(Some(at(20)))],
        prop_oneof![Just(None), Just(Some(at(30)))],
        1usize..6,
        1usize..40,
        1usize..40,
        prop_oneof![Just(24 * 60), Just(100)],
    )
        .prop_map(|(since, until, depth, keys, steps, horizon_min)| Bounds {
            since_ms: since,
            until_ms: until,
            max_depth: depth,
            max_keys: keys,
            max_steps: steps,
            horizon_ms: horizon_min * 60_000,
            ..Bounds::new(at(0))
        })
}

/// The texts at `paths` (lower case).
fn texts(e: &Value, paths: &[&str]) -> Vec<String> {
    paths
        .iter()
        .filter_map(|p| e.pointer(p).and_then(Value::as_str))
        .map(str::to_ascii_lowercase)
        .collect()
}

/// The values of a key kind in an event, as its query field reads them.
fn carried(e: &Value, kind: &str) -> Vec<String> {
    match kind {
        "session" => texts(e, &["/session/uid", "/actor/session/uid"]),
        "token" => texts(e, &["/session/credential_uid"]),
        "trace" => texts(e, &["/metadata/correlation_uid", "/trace/uid"]),
        "user" => texts(e, &["/user/name", "/actor/user/name"]),
        "ip" => texts(e, &["/src_endpoint/ip"]),
        _ => Vec::new(),
    }
}

fn strong(e: &Value) -> Vec<(&'static str, String)> {
    ["session", "token", "trace"]
        .into_iter()
        .flat_map(|k| carried(e, k).into_iter().map(move |v| (k, v)))
        .collect()
}

/// The user names of an event with their host accounts (`a@b` also as `a`).
fn accounts(e: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for name in carried(e, "user") {
        if let Some((local, _)) = name.split_once('@') {
            out.push(local.to_string());
        }
        out.push(name);
    }
    out
}

fn time(e: &Value) -> i64 {
    e["time"].as_i64().unwrap_or(i64::MIN)
}

fn is_host(e: &Value) -> bool {
    let product = e.pointer("/metadata/product/name").and_then(Value::as_str);
    product.is_some_and(|p| HOSTS.iter().any(|h| h.eq_ignore_ascii_case(p)))
}

/// Components of `core` steps under `linked`: a union-find by repeated relaxation.
fn components(core: &[&Step], linked: impl Fn(&Step, &Step) -> bool) -> BTreeMap<u64, usize> {
    let mut comp: BTreeMap<u64, usize> = core.iter().enumerate().map(|(i, s)| (s.seq, i)).collect();
    loop {
        let mut changed = false;
        for a in core {
            for b in core {
                let (ca, cb) = (comp[&a.seq], comp[&b.seq]);
                if ca != cb && linked(a, b) {
                    let (keep, drop) = (ca.min(cb), ca.max(cb));
                    comp.values_mut()
                        .filter(|c| **c == drop)
                        .for_each(|c| *c = keep);
                    changed = true;
                }
            }
        }
        if !changed {
            return comp;
        }
    }
}

/// Each component's window: its span widened by the slack, inside `[since, until)`.
fn windows(
    core: &[&Step],
    comp: &BTreeMap<u64, usize>,
    b: &Bounds,
    span: (i64, i64),
) -> BTreeMap<usize, (i64, i64)> {
    let mut out: BTreeMap<usize, (i64, i64)> = BTreeMap::new();
    for s in core {
        let t = time(&s.event);
        let w = out.entry(comp[&s.seq]).or_insert((t, t));
        w.0 = w.0.min(t);
        w.1 = w.1.max(t);
    }
    out.values_mut().for_each(|w| {
        *w = (
            (w.0 - b.slack_ms).max(span.0),
            (w.1 + b.slack_ms).min(span.1 - 1),
        );
    });
    out
}

fn check(events: &[Value], start: &Start, b: &Bounds, t: &Timeline) -> Result<(), TestCaseError> {
    // Sorted, unique, within max_steps.
    let order: Vec<(i64, u64)> = t.steps.iter().map(|s| (time(&s.event), s.seq)).collect();
    prop_assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "not sorted: {order:?}"
    );
    prop_assert!(t.steps.len() <= b.max_steps);
    let by_seq: BTreeMap<u64, &Step> = t.steps.iter().map(|s| (s.seq, s)).collect();
    prop_assert_eq!(by_seq.len(), t.steps.len());
    for s in &t.steps {
        prop_assert_eq!(&events[s.seq as usize], &s.event);
    }

    let since = b.since_ms.or(match start {
        Start::Session(_) => None,
        _ => Some(b.now_ms - b.default_window_ms),
    });
    let span = (since.unwrap_or(i64::MIN), b.until_ms.unwrap_or(i64::MAX));
    let in_span = |e: &Value| (span.0..span.1).contains(&time(e));
    let key = start.key();
    let (start_kind, start_value) = (key.kind.name(), key.value.to_ascii_lowercase());
    let seeds_match = |e: &Value| in_span(e) && carried(e, start_kind).contains(&start_value);
    let seed_times: Vec<i64> = t
        .steps
        .iter()
        .filter(|s| s.linked_by.rule == Rule::Seed)
        .map(|s| time(&s.event))
        .collect();
    let horizon = match (seed_times.iter().min(), seed_times.iter().max()) {
        (Some(lo), Some(hi)) => (
            (lo - b.horizon_ms).max(span.0),
            (hi + b.horizon_ms + 1).min(span.1),
        ),
        _ => span,
    };
    let in_horizon = |e: &Value| (horizon.0..horizon.1).contains(&time(e));
    // Each step's root (the seed or attached host event its key links lead back to) and hops.
    let mut roots: BTreeMap<u64, (Rule, usize)> = BTreeMap::new();
    for s in &t.steps {
        let (mut at, mut hops) = (s, 0);
        while at.linked_by.rule == Rule::Key {
            hops += 1;
            prop_assert!(hops <= t.steps.len(), "a cycle through step {}", s.seq);
            let up = at.linked_by.from.and_then(|f| by_seq.get(&f));
            at = up
                .copied()
                .ok_or_else(|| TestCaseError::fail("broken chain"))?;
        }
        roots.insert(s.seq, (at.linked_by.rule, hops));
    }
    let core: Vec<&Step> = t
        .steps
        .iter()
        .filter(|s| roots[&s.seq].0 == Rule::Seed)
        .collect();
    // Threads as loosely as the rules allow (any shared strong key) for soundness …
    let loose = components(&core, |a, c| {
        strong(&a.event)
            .iter()
            .any(|k| strong(&c.event).contains(k))
    });
    let loose_windows = windows(&core, &loose, b, span);

    for s in &t.steps {
        let lb = &s.linked_by;
        let value = lb.key.value.to_ascii_lowercase();
        match lb.rule {
            Rule::Seed => {
                prop_assert!(
                    seeds_match(&s.event),
                    "seed {} does not match {start}",
                    s.seq
                );
                prop_assert_eq!(lb.from, None);
            }
            Rule::Key => {
                let kind = lb.key.kind.name();
                prop_assert!(["session", "token", "trace"].contains(&kind));
                let from = lb.from.and_then(|f| by_seq.get(&f)).copied();
                let from = from.ok_or_else(|| TestCaseError::fail("no from"))?;
                prop_assert!(strong(&from.event).contains(&(kind, value.clone())));
                prop_assert!(carried(&s.event, kind).contains(&value));
                prop_assert!(in_horizon(&s.event), "step {} outside the horizon", s.seq);
                // At most max_depth hops back to a seed, or exactly one to a host event.
                match roots[&s.seq] {
                    (Rule::Seed, hops) => {
                        prop_assert!(hops <= b.max_depth, "step {} is {hops} hops away", s.seq)
                    }
                    (Rule::Window, hops) => prop_assert_eq!(
                        hops,
                        1,
                        "step {} is {} hops from a host event",
                        s.seq,
                        hops
                    ),
                    (Rule::Key, _) => prop_assert!(false, "a chain of keys with no root"),
                }
            }
            Rule::Window => {
                prop_assert!(is_host(&s.event), "step {} is no host event", s.seq);
                prop_assert!(carried(&s.event, "user").contains(&value));
                let from = lb.from.and_then(|f| by_seq.get(&f)).copied();
                let from = from.ok_or_else(|| TestCaseError::fail("no from"))?;
                prop_assert!(
                    roots[&from.seq].0 == Rule::Seed,
                    "step {} hangs off {}",
                    s.seq,
                    from.seq
                );
                prop_assert!(accounts(&from.event).contains(&value));
                let w = loose_windows[&loose[&from.seq]];
                prop_assert!(
                    (w.0..=w.1).contains(&time(&s.event)),
                    "step {} outside {w:?}",
                    s.seq
                );
            }
        }
    }

    if !t.bounds_hit.is_empty() {
        return Ok(());
    }
    // … and as tightly (the links the steps name) for completeness.
    let present = |seq: usize| by_seq.contains_key(&(seq as u64));
    for (seq, e) in events.iter().enumerate() {
        if seeds_match(e) {
            prop_assert!(present(seq), "seed {seq} missing");
        }
    }
    // The keys of the threads and of the attached host events are all followed.
    let followed = t
        .steps
        .iter()
        .filter(|s| roots[&s.seq].0 == Rule::Seed || s.linked_by.rule == Rule::Window);
    for s in followed {
        for (kind, value) in strong(&s.event) {
            for (seq, e) in events.iter().enumerate() {
                if in_horizon(e) && carried(e, kind).contains(&value) {
                    prop_assert!(
                        present(seq),
                        "{seq} carries {kind}={value} of {} but is missing",
                        s.seq
                    );
                }
            }
        }
    }
    let tight = components(&core, |a, c| {
        a.linked_by.from == Some(c.seq) || c.linked_by.from == Some(a.seq)
    });
    let tight_windows = windows(&core, &tight, b, span);
    for s in &core {
        let w = tight_windows[&tight[&s.seq]];
        for account in accounts(&s.event) {
            for (seq, e) in events.iter().enumerate() {
                let inside = (w.0..=w.1).contains(&time(e));
                if inside && is_host(e) && carried(e, "user").contains(&account) {
                    prop_assert!(
                        present(seq),
                        "host event {seq} of {account} in {w:?} missing"
                    );
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn trace_steps_are_sorted_unique_and_justified_by_the_rules(
        events in proptest::collection::vec(event(), 0..24),
        start in start(),
        b in bounds(),
    ) {
        let search = Memory {
            entries: events.iter().map(|e| ("src".to_string(), e.clone())).collect(),
        };
        let t = trace(&search, &start, &b).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check(&events, &start, &b, &t)?;
    }
}

#[test]
fn trace_checker_rejects_a_made_up_link() {
    let events: Vec<Value> = vec![ev("Okta", 0).session("s1").0, ev("nginx", 1).token("k9").0];
    let search = Memory {
        entries: events
            .iter()
            .map(|e| ("src".to_string(), e.clone()))
            .collect(),
    };
    let start = Start::Session("s1".into());
    let b = Bounds::new(at(0));
    let mut t = trace(&search, &start, &b).expect("trace");
    assert!(check(&events, &start, &b, &t).is_ok());
    let mut forged = t.steps[0].clone();
    forged.seq = 1;
    forged.event = events[1].clone();
    forged.time_ms = Some(at(1));
    forged.linked_by.rule = Rule::Key;
    forged.linked_by.from = Some(0);
    t.steps.push(forged);
    assert!(check(&events, &start, &b, &t).is_err());
}
