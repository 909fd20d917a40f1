//! Impossible travel (velocity rules) and session/token hijack (change rules) against a tiny
//! GeoIP database the test writes itself: each built-in fires on its scenario and not on near
//! misses; events carrying their own place need no database; rule files are checked; the state
//! survives a restart.

mod support;

use std::path::Path;
use std::sync::Arc;

use authtrail_detect::{Engine, EngineState, GeoIp, Rules, DEFAULT_LATENESS_MS};
use proptest::prelude::*;
use serde_json::json;
use support::mmdb::{self, map, s, Val};
use support::*;

/// One hour, ms.
const H: i64 = 3_600_000;

const PARIS: &str = "192.0.2.10";
const PARIS_2: &str = "192.0.2.99";
const LYON: &str = "198.51.100.7";
const NEW_YORK: &str = "203.0.113.20";
const SYDNEY: &str = "198.51.100.200";
const VPN_NY: &str = "45.10.20.5";

const CHROME_119: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36";
const CHROME_121: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.6167.85 Safari/537.36";
const CURL: &str = "curl/8.5.0";

fn city(lat: f64, long: f64, country: &str) -> Val {
    map(vec![
        (
            "location",
            map(vec![
                ("latitude", Val::F64(lat)),
                ("longitude", Val::F64(long)),
            ]),
        ),
        ("country", map(vec![("iso_code", s(country))])),
    ])
}

fn asn(n: u32, org: &str) -> Val {
    map(vec![
        ("autonomous_system_number", Val::U32(n)),
        ("autonomous_system_organization", s(org)),
    ])
}

/// Writes the City and ASN test databases into `dir`; answers their paths.
fn databases(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (c, a) = (dir.join("city.mmdb"), dir.join("asn.mmdb"));
    mmdb::write(
        &c,
        "GeoLite2-City",
        &[
            ("192.0.2.0/24", city(48.8566, 2.3522, "FR")),
            ("198.51.100.0/25", city(45.7640, 4.8357, "FR")),
            ("198.51.100.128/25", city(-33.8688, 151.2093, "AU")),
            ("203.0.113.0/24", city(40.7128, -74.0060, "US")),
            ("45.10.20.0/24", city(40.7306, -73.9352, "US")),
        ],
    );
    mmdb::write(
        &a,
        "GeoLite2-ASN",
        &[
            ("192.0.2.0/24", asn(3215, "Orange")),
            ("198.51.100.0/25", asn(3215, "Orange")),
            ("198.51.100.128/25", asn(1221, "Telstra")),
            ("203.0.113.0/24", asn(7922, "Comcast")),
            ("45.10.20.0/24", asn(9009, "M247 VPN")),
        ],
    );
    (c, a)
}

/// The test GeoIP databases, opened.
fn geo() -> Arc<GeoIp> {
    let dir = tempfile::tempdir().unwrap();
    let (c, a) = databases(dir.path());
    Arc::new(GeoIp::open(Some(&c), Some(&a)).unwrap())
}

/// An engine running the rule `id` from the built-ins overridden by `user` (YAML), with `geo`.
fn engine(id: &str, user: Option<&str>, geo: Option<Arc<GeoIp>>) -> Engine {
    let rules = Rules::load(user.map(|u| ("rules.yaml", u))).unwrap();
    Engine::new([rules.get(id).unwrap().clone()]).with_geo(geo)
}

/// A successful logon of `user` from `ip`.
fn ok(seq: u64, t: i64, user: &str, ip: &str) -> Ev {
    logon(seq, t, Some(user), ip, true)
}

/// A web request in `session` from `ip` with user agent `ua`.
fn web(seq: u64, t: i64, session: &str, ip: &str, ua: &str) -> Ev {
    let mut e = ok(seq, t, "alice", ip);
    e.event["session"] = json!({ "uid": session });
    e.event["http_request"] = json!({ "user_agent": ua });
    e
}

#[test]
fn the_test_database_answers() {
    let g = geo();
    let paris = g.lookup(PARIS.parse().unwrap());
    assert_eq!(paris.country.as_deref(), Some("FR"));
    assert_eq!(paris.asn, Some(3215));
    assert_eq!(paris.as_org.as_deref(), Some("Orange"));
    assert_eq!((paris.lat, paris.long), (Some(48.8566), Some(2.3522)));
    assert_eq!(
        g.lookup(SYDNEY.parse().unwrap()).country.as_deref(),
        Some("AU")
    );
    // Not in the database; private addresses have no place.
    assert_eq!(g.lookup("8.8.8.8".parse().unwrap()).country, None);
    assert_eq!(g.lookup("10.0.0.1".parse().unwrap()).asn, None);
}

#[test]
fn a_missing_or_bad_database_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.mmdb");
    let e = GeoIp::open(Some(&missing), None).unwrap_err().to_string();
    assert!(e.contains("nope.mmdb"), "{e}");
    let bad = dir.path().join("bad.mmdb");
    std::fs::write(&bad, b"not a database").unwrap();
    let e = GeoIp::open(None, Some(&bad)).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("GeoIP database {}: ", bad.display())),
        "{e}"
    );
}

/// One day, ms.
const D: i64 = 24 * H;

/// `alice`'s seven daily logons from `ip` (seqs 1..=7), then one from `then` (seq 100).
fn routine_then(ip: &str, then: &str) -> Vec<Ev> {
    let mut ev: Vec<Ev> = (0..7)
        .map(|i| ok(i + 1, T0 + i as i64 * D, "alice", ip))
        .collect();
    ev.push(ok(100, T0 + 7 * D, "alice", then));
    ev
}

#[test]
fn new_country_and_new_asn_from_geoip_for_events_without_a_place() {
    let g = geo();
    // Paris (FR, AS3215) every day, then Sydney (AU, AS1221): both fire, naming the new value.
    let ev = routine_then(PARIS, SYDNEY);
    for (id, field, value, known) in [
        ("new-country", "country", "AU", "FR"),
        ("new-asn", "asn", "1221", "3215"),
    ] {
        let a = run(&mut engine(id, None, Some(g.clone())), &ev);
        assert_eq!(a.len(), 1, "{id}: {a:#?}");
        assert_eq!(a[0].evidence, [100], "{id}");
        let data = &a[0].to_ocsf()["evidences"][0]["data"];
        assert_eq!(data["field"], field);
        assert_eq!(data["new_value"], value);
        assert_eq!(data["known_values"], json!([known]));
    }
    // New York on a VPN's network (US, AS9009) after New York on Comcast (US, AS7922): a new AS
    // in a known country.
    let ev = routine_then(NEW_YORK, VPN_NY);
    assert_eq!(
        run(&mut engine("new-asn", None, Some(g.clone())), &ev).len(),
        1
    );
    assert!(run(&mut engine("new-country", None, Some(g.clone())), &ev).is_empty());
}

#[test]
fn new_asn_near_misses() {
    let g = geo();
    // Lyon is in Paris's AS and country.
    let ev = routine_then(PARIS, LYON);
    assert!(run(&mut engine("new-asn", None, Some(g.clone())), &ev).is_empty());
    assert!(run(&mut engine("new-country", None, Some(g.clone())), &ev).is_empty());
    // Without the databases an address has no AS or country: nothing to compare.
    let ev = routine_then(PARIS, SYDNEY);
    assert!(run(&mut engine("new-asn", None, None), &ev).is_empty());
    assert!(run(&mut engine("new-country", None, None), &ev).is_empty());
    // A private address is never looked up.
    let ev = routine_then(PARIS, "10.1.2.3");
    assert!(run(&mut engine("new-asn", None, Some(g.clone())), &ev).is_empty());
    // Still learning: two days of history.
    let mut ev = routine_then(PARIS, SYDNEY);
    ev.drain(2..7);
    ev[2] = ok(100, T0 + 2 * D, "alice", SYDNEY);
    assert!(run(&mut engine("new-asn", None, Some(g)), &ev).is_empty());
}

#[test]
fn an_events_own_asn_wins_over_geoip() {
    // Okta and Entra carry the AS: the event's number is used, GeoIP is not asked.
    let mut ev = routine_then(PARIS, SYDNEY);
    for e in &mut ev {
        e.event["src_endpoint"]["autonomous_system"] = json!({"number": 3215});
    }
    assert!(run(&mut engine("new-asn", None, Some(geo())), &ev).is_empty());
    let last = ev.last_mut().unwrap();
    last.event["src_endpoint"]["autonomous_system"] = json!({"number": 64500});
    let a = run(&mut engine("new-asn", None, None), &ev);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].to_ocsf()["evidences"][0]["data"]["new_value"], "64500");
}

#[test]
fn impossible_travel_paris_then_new_york_an_hour_later() {
    let mut e = engine("impossible-travel", None, Some(geo()));
    let a = run(
        &mut e,
        &[ok(1, T0, "alice", PARIS), ok(2, T0 + H, "alice", NEW_YORK)],
    );
    assert_eq!(a.len(), 1, "{a:#?}");
    let a = &a[0];
    assert_eq!(a.rule_id, "impossible-travel");
    assert_eq!(a.evidence, [1, 2]);
    assert_eq!(a.group, [("user".to_string(), "alice".to_string())]);
    let d = a.details["distance_km"].as_f64().unwrap();
    assert!((5800.0..5900.0).contains(&d), "{d}");
    let v = a.details["speed_kmh"].as_f64().unwrap();
    assert!((5800.0..5900.0).contains(&v), "{v}");
    assert_eq!(a.details["from"]["country"], "FR");
    assert_eq!(a.details["to"]["country"], "US");
    assert_eq!(a.details["to"]["ip"], NEW_YORK);
    // As OCSF: the details beside the common keys.
    let f = a.to_ocsf();
    let data = &f["evidences"][0]["data"];
    assert_eq!(data["rule_id"], "impossible-travel");
    assert_eq!(data["count"], 2);
    assert_eq!(data["from"]["country"], "FR");
    assert!(data["distance_km"].as_f64().unwrap() > 5800.0);
}

#[test]
fn impossible_travel_near_misses() {
    let g = geo();
    // Ten hours later: 584 km/h.
    let mut e = engine("impossible-travel", None, Some(g.clone()));
    let evs = [
        ok(1, T0, "alice", PARIS),
        ok(2, T0 + 10 * H, "alice", NEW_YORK),
    ];
    assert!(run(&mut e, &evs).is_empty());
    // Lyon ten minutes later: fast, but under 500 km.
    let mut e = engine("impossible-travel", None, Some(g.clone()));
    let evs = [ok(1, T0, "alice", PARIS), ok(2, T0 + 10 * M, "alice", LYON)];
    assert!(run(&mut e, &evs).is_empty());
    // Two users, one in each place.
    let mut e = engine("impossible-travel", None, Some(g.clone()));
    let evs = [ok(1, T0, "alice", PARIS), ok(2, T0 + H, "bob", NEW_YORK)];
    assert!(run(&mut e, &evs).is_empty());
    // A failed logon from New York is not a success.
    let mut e = engine("impossible-travel", None, Some(g.clone()));
    let evs = [
        ok(1, T0, "alice", PARIS),
        fail(2, T0 + H, "alice", NEW_YORK),
    ];
    assert!(run(&mut e, &evs).is_empty());
    // The second logon through the allowed VPN's AS, or its network.
    let evs = [ok(1, T0, "alice", PARIS), ok(2, T0 + H, "alice", VPN_NY)];
    let mut e = engine("impossible-travel", None, Some(g.clone()));
    assert_eq!(run(&mut e, &evs).len(), 1, "without an allow-list it fires");
    let by_asn = "rules:\n  - id: impossible-travel\n    allow_asns: [9009]\n";
    let mut e = engine("impossible-travel", Some(by_asn), Some(g.clone()));
    assert!(run(&mut e, &evs).is_empty());
    let by_net = "rules:\n  - id: impossible-travel\n    allow_networks: [45.10.20.0/24]\n";
    let mut e = engine("impossible-travel", Some(by_net), Some(g.clone()));
    assert!(run(&mut e, &evs).is_empty());
    // A stricter configured speed: 5,800 km/h is not over 6,000.
    let slow = "rules:\n  - id: impossible-travel\n    max_speed_kmh: 6000\n";
    let mut e = engine("impossible-travel", Some(slow), Some(g.clone()));
    let evs = [ok(1, T0, "alice", PARIS), ok(2, T0 + H, "alice", NEW_YORK)];
    assert!(run(&mut e, &evs).is_empty());
    // Private addresses have no place.
    let mut e = engine("impossible-travel", None, Some(g));
    let evs = [
        ok(1, T0, "alice", "10.0.0.1"),
        ok(2, T0 + H, "alice", NEW_YORK),
    ];
    assert!(run(&mut e, &evs).is_empty());
}

/// A logon carrying its own place, as Okta and Entra ID give it.
fn placed(seq: u64, t: i64, user: &str, lat: f64, long: f64, country: &str) -> Ev {
    let mut e = ok(seq, t, user, "10.9.9.9");
    e.event["src_endpoint"]["location"] = json!({"lat": lat, "long": long, "country": country});
    e
}

#[test]
fn events_carrying_their_place_need_no_database() {
    let mut e = engine("impossible-travel", None, None);
    let evs = [
        placed(1, T0, "alice", 48.8566, 2.3522, "FR"),
        placed(2, T0 + H, "alice", -33.8688, 151.2093, "AU"),
    ];
    let a = run(&mut e, &evs);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].details["to"]["country"], "AU");
    // Without a database, events with only an address have no place: nothing.
    let mut e = engine("impossible-travel", None, None);
    let evs = [ok(1, T0, "alice", PARIS), ok(2, T0 + H, "alice", NEW_YORK)];
    assert!(run(&mut e, &evs).is_empty());
    // The event's own place wins over the database's.
    let mut e = engine("impossible-travel", None, Some(geo()));
    let mut second = ok(2, T0 + H, "alice", NEW_YORK);
    second.event["src_endpoint"]["location"] = json!({"lat": 48.86, "long": 2.35});
    assert!(run(&mut e, &[ok(1, T0, "alice", PARIS), second]).is_empty());
}

#[test]
fn session_hijack_from_another_country_fires() {
    let mut e = engine("session-hijack", None, Some(geo()));
    let a = run(
        &mut e,
        &[
            web(1, T0, "s-1", PARIS, CHROME_119),
            web(2, T0 + M, "s-1", PARIS_2, CHROME_119),
            web(3, T0 + 2 * M, "s-1", NEW_YORK, CHROME_119),
        ],
    );
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].rule_id, "session-hijack");
    assert_eq!(a[0].evidence, [1, 3]);
    assert_eq!(a[0].group, [("session".to_string(), "s-1".to_string())]);
    assert_eq!(
        a[0].details["changed"]["country"],
        json!({"from": "FR", "to": "US"})
    );
    assert_eq!(
        a[0].details["changed"]["asn"],
        json!({"from": "3215", "to": "7922"})
    );
    assert!(a[0].details["changed"].get("user_agent").is_none());
}

#[test]
fn session_hijack_near_misses() {
    let g = geo();
    // Same AS and country (Paris, then Lyon), the browser updated.
    let mut e = engine("session-hijack", None, Some(g.clone()));
    let evs = [
        web(1, T0, "s-1", PARIS, CHROME_119),
        web(2, T0 + H, "s-1", LYON, CHROME_121),
    ];
    assert!(run(&mut e, &evs).is_empty());
    // Another session from New York.
    let mut e = engine("session-hijack", None, Some(g.clone()));
    let evs = [
        web(1, T0, "s-1", PARIS, CHROME_119),
        web(2, T0 + M, "s-2", NEW_YORK, CHROME_119),
    ];
    assert!(run(&mut e, &evs).is_empty());
    // Watching only the user agent, a move to New York is not watched.
    let ua_only = "rules:\n  - id: session-hijack\n    watch: [user_agent]\n";
    let mut e = engine("session-hijack", Some(ua_only), Some(g));
    let evs = [
        web(1, T0, "s-1", PARIS, CHROME_119),
        web(2, T0 + M, "s-1", NEW_YORK, CHROME_121),
    ];
    assert!(run(&mut e, &evs).is_empty());
}

#[test]
fn session_hijack_on_another_user_agent_family() {
    // No database: the user agent alone.
    let mut e = engine("session-hijack", None, None);
    let a = run(
        &mut e,
        &[
            web(1, T0, "s-1", PARIS, CHROME_119),
            web(2, T0 + M, "s-1", PARIS, CURL),
        ],
    );
    assert_eq!(a.len(), 1);
    assert_eq!(
        a[0].details["changed"]["user_agent"],
        json!({"from": "Chrome/Windows", "to": "curl"})
    );
    // Suppressed for the rest of the session: one alert, not one per request.
    let more = [web(3, T0 + 2 * M, "s-1", PARIS, CURL)];
    assert!(run(&mut e, &more).is_empty());
}

#[test]
fn token_hijack_from_another_country_fires() {
    let token = |seq, t, ip| {
        let mut e = ok(seq, t, "svc", ip);
        e.event["session"] = json!({ "credential_uid": "tok-1" });
        e
    };
    let mut e = engine("token-hijack", None, Some(geo()));
    let a = run(&mut e, &[token(1, T0, PARIS), token(2, T0 + M, SYDNEY)]);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].group, [("token".to_string(), "tok-1".to_string())]);
    let mut e = engine("token-hijack", None, Some(geo()));
    assert!(run(&mut e, &[token(1, T0, PARIS), token(2, T0 + M, LYON)]).is_empty());
}

fn load_error(text: &str) -> String {
    match Rules::from_sources(&[("rules.yaml", text)]) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

const VELOCITY: &str = "rules:
  - id: travel
    title: t
    severity: high
    type: velocity
    filter: status=success
    group_by: [user]
    allow_networks: [10.0.0.0/8]
";

#[test]
fn rule_file_errors_for_the_new_keys() {
    let rules = Rules::from_sources(&[("rules.yaml", VELOCITY)]).unwrap();
    let v = rules.get("travel").unwrap();
    let authtrail_detect::Condition::Velocity(c) = &v.condition else {
        panic!("{v:?}");
    };
    assert_eq!((c.min_distance_km, c.max_speed_kmh), (500.0, 900.0));
    assert_eq!(v.suppress_ms, H);
    assert_eq!(
        load_error(&VELOCITY.replace("10.0.0.0/8", "10.0.0.0/33")),
        "rules.yaml:8: rule \"travel\": allow_networks: invalid network \"10.0.0.0/33\" \
         (a CIDR such as 203.0.113.0/24 or 2001:db8::/32, or an address)"
    );
    let e = load_error(&VELOCITY.replace("group_by: [user]", "group_by: [user]\n    watch: [asn]"));
    assert_eq!(
        e,
        "rules.yaml:2: rule \"travel\": watch: only a change rule takes this key \
         (this rule's type is velocity)"
    );
    let e = load_error(&VELOCITY.replace("type: velocity", "type: change"));
    assert!(
        e.contains("allow_networks: only a velocity rule takes this key"),
        "{e}"
    );
    let e =
        load_error(&VELOCITY.replace("group_by: [user]", "group_by: [user]\n    max_speed_kmh: 0"));
    assert!(
        e.starts_with("rules.yaml:2: rule \"travel\": max_speed_kmh: must be"),
        "{e}"
    );
    let e = load_error(&VELOCITY.replace(
        "group_by: [user]",
        "group_by: [user]\n    allow_asns: [AS9009]",
    ));
    assert!(
        e.starts_with("rules.yaml:8: rule \"travel\": allow_asns:"),
        "{e}"
    );
    let change = VELOCITY
        .replace("type: velocity", "type: change")
        .replace("allow_networks: [10.0.0.0/8]", "watch: [asn, browser]");
    assert_eq!(
        load_error(&change),
        "rules.yaml:8: rule \"travel\": watch: unknown attribute \"browser\"; \
         valid: asn, country, user_agent"
    );
    let e = load_error(&change.replace("watch: [asn, browser]", "expire: 1y"));
    assert!(
        e.starts_with("rules.yaml:8: rule \"travel\": expire: invalid duration"),
        "{e}"
    );
}

/// The state through a JSON round trip.
fn stored(engine: &Engine) -> EngineState {
    let bytes = serde_json::to_vec(&engine.state()).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Logons and web requests of a few users and sessions from the five test places, some
/// carrying their own coordinates; seqs from 0.
fn geo_stream(n: u64, seed: u64) -> Vec<Ev> {
    let ips = [PARIS, LYON, NEW_YORK, SYDNEY, VPN_NY];
    let uas = [CHROME_119, CHROME_121, CURL];
    let mut x = seed | 1;
    (0..n)
        .map(|seq| {
            x = xorshift(x);
            let ip = ips[(x % 5) as usize];
            let t = T0 + seq as i64 * 20 * M - ((x >> 9) % 30_000) as i64;
            let mut e = web(
                seq,
                t,
                &format!("s{}", (x >> 3) % 6),
                ip,
                uas[((x >> 5) % 3) as usize],
            );
            e.event["user"]["name"] = json!(format!("u{}", (x >> 7) % 4));
            if (x >> 11).is_multiple_of(4) {
                e.event["src_endpoint"]["location"] =
                    json!({"lat": 35.68, "long": 139.69, "country": "JP"});
            }
            e
        })
        .collect()
}

fn geo_rules() -> Vec<authtrail_detect::Rule> {
    let rules = Rules::builtin().unwrap();
    ["impossible-travel", "session-hijack", "token-hijack"]
        .iter()
        .map(|id| rules.get(id).unwrap().clone())
        .collect()
}

#[test]
fn the_geo_stream_alerts() {
    let a = run(
        &mut Engine::new(geo_rules()).with_geo(Some(geo())),
        &geo_stream(300, 7),
    );
    assert!(ids(&a).contains(&"impossible-travel"), "{:?}", ids(&a));
    assert!(ids(&a).contains(&"session-hijack"), "{:?}", ids(&a));
}

#[test]
fn an_old_state_without_the_new_fields_loads() {
    let old = r#"{"watermark": 5, "observed": 1, "rules": [{"id": "impossible-travel", "fingerprint": "x", "groups": []}]}"#;
    let state: EngineState = serde_json::from_str(old).unwrap();
    assert!(state.rules[0].velocity.is_empty() && state.rules[0].changes.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn a_restart_anywhere_raises_the_same_geo_alerts(seed in any::<u64>(), cut in 0usize..300) {
        let g = geo();
        let ev = geo_stream(300, seed);
        let whole = run(&mut Engine::new(geo_rules()).with_geo(Some(g.clone())), &ev);
        let mut first = Engine::new(geo_rules()).with_geo(Some(g.clone()));
        let mut got = run(&mut first, &ev[..cut]);
        let state = stored(&first);
        let mut again =
            Engine::restore(geo_rules(), DEFAULT_LATENESS_MS, &state).with_geo(Some(g));
        prop_assert_eq!(again.state(), state);
        got.extend(run(&mut again, &ev[cut..]));
        prop_assert_eq!(got, whole);
    }
}
