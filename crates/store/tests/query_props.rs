//! Property tests of the query language: no panics, print/parse round trips, and agreement
//! with a deliberately naive reference evaluator.

use authtrail_store::query::{Expr, Field, Kind, Op, Pipe, Query, Record, Term, Value};
use proptest::prelude::*;
use serde_json::{json, Value as Json};

fn field(name: &'static str) -> Field {
    Field::lookup(name).unwrap()
}

/// Token soup that reaches deep into the parser.
fn soupy() -> impl Strategy<Value = String> {
    let tok = prop_oneof![
        Just("user"),
        Just("ip"),
        Just("="),
        Just("!="),
        Just("~"),
        Just("!"),
        Just("OR"),
        Just("("),
        Just(")"),
        Just("|"),
        Just("count"),
        Just("by"),
        Just("top"),
        Just("5"),
        Just("since"),
        Just("until"),
        Just("24h"),
        Just("10.0.0.0/8"),
        Just("\""),
        Just("\\"),
        Just(" "),
        Just("alice"),
        Just("é"),
        Just("2026-11-27"),
        Just("status"),
        Just("foo"),
    ];
    prop::collection::vec(tok, 0..16).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics_and_columns_are_in_range(text in prop_oneof![any::<String>(), soupy()]) {
        if let Err(e) = Query::parse_at(&text, 0) {
            let len = text.chars().count();
            prop_assert!((1..=len + 1).contains(&e.column), "{text:?}: {e}");
            let _ = e.render(&text);
        }
    }
}

// ---- (2) round trips over the whole field table ----

fn any_field() -> impl Strategy<Value = Field> {
    let all: Vec<Field> = Field::all().collect();
    prop::sample::select(all)
}

fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![Just(Op::Eq), Just(Op::Ne), Just(Op::Contains)]
}

fn ip_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<std::net::IpAddr>().prop_map(Value::Ip),
        (any::<std::net::Ipv4Addr>(), 0u8..=32)
            .prop_map(|(a, p)| Value::Cidr(ipnet::Ipv4Net::new(a, p).unwrap().into())),
        (any::<std::net::Ipv6Addr>(), 0u8..=128)
            .prop_map(|(a, p)| Value::Cidr(ipnet::Ipv6Net::new(a, p).unwrap().into())),
    ]
}

fn text_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 .:/()|\"\\\\=!~-]{0,12}",
        Just("OR".to_string())
    ]
    .prop_map(Value::Text)
}

fn any_term() -> impl Strategy<Value = Expr> {
    (any_field(), any_op()).prop_flat_map(|(field, op)| {
        let value = if field.kind() == Kind::Ip && op != Op::Contains {
            ip_value().boxed()
        } else {
            text_value().boxed()
        };
        value.prop_map(move |value| Expr::Term(Term { field, op, value }))
    })
}

fn tree(leaf: BoxedStrategy<Expr>) -> impl Strategy<Value = Expr> {
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner, 2..4).prop_map(Expr::Or),
        ]
    })
}

fn any_pipe() -> impl Strategy<Value = Option<Pipe>> {
    prop::option::of(prop_oneof![
        any_field().prop_map(Pipe::CountBy),
        (1u32..=10_000, any_field()).prop_map(|(n, f)| Pipe::Top(n, f)),
    ])
}

fn bound() -> impl Strategy<Value = Option<i64>> {
    prop::option::of(-62_000_000_000_000i64..250_000_000_000_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn display_then_parse_is_identity(
        filter in prop::option::of(tree(any_term().boxed())),
        since_ms in bound(),
        until_ms in bound(),
        pipe in any_pipe(),
    ) {
        let q = Query { filter, since_ms, until_ms, pipe };
        let printed = q.to_string();
        let back = Query::parse_at(&printed, 0);
        prop_assert_eq!(back.as_ref().ok(), Some(&q), "printed {:?}: {:?}", printed, back);
    }
}

// ---- (3) agreement with a naive reference evaluator ----

/// An event as plain data; the JSON is built from it, the reference reads it directly.
#[derive(Debug, Clone)]
struct Plain {
    user: Option<(String, bool)>, // (name, under actor.user)
    ip: Option<String>,
    status: Option<(String, u8)>,
    source: String,
    time: Option<i64>,
}

impl Plain {
    fn to_json(&self) -> Json {
        let mut ev = json!({"class_uid": 3002});
        if let Some((name, actor)) = &self.user {
            if *actor {
                ev["actor"] = json!({"user": {"name": name}});
            } else {
                ev["user"] = json!({"name": name});
            }
        }
        if let Some(ip) = &self.ip {
            ev["src_endpoint"] = json!({"ip": ip});
        }
        if let Some((caption, id)) = &self.status {
            ev["status"] = json!(caption);
            ev["status_id"] = json!(id);
        }
        if let Some(t) = self.time {
            ev["time"] = json!(t);
        }
        ev
    }
}

const USERS: &[&str] = &["alice", "ALICE", "bob", "carol"];
const IPS: &[&str] = &[
    "10.0.0.1",
    "10.2.3.4",
    "192.168.1.1",
    "2001:db8::1",
    "8.8.8.8",
];
const STATUSES: &[(&str, u8)] = &[("Success", 1), ("Failure", 2), ("Unknown", 0)];
const SOURCES: &[&str] = &["okta", "github", "Okta-Prod"];

fn plain() -> impl Strategy<Value = Plain> {
    (
        prop::option::of((prop::sample::select(USERS), any::<bool>())),
        prop::option::of(prop::sample::select(IPS)),
        prop::option::of(prop::sample::select(STATUSES)),
        prop::sample::select(SOURCES),
        prop::option::of(0i64..100),
    )
        .prop_map(|(user, ip, status, source, time)| Plain {
            user: user.map(|(u, a)| (u.to_string(), a)),
            ip: ip.map(str::to_string),
            status: status.map(|(c, i)| (c.to_string(), i)),
            source: source.to_string(),
            time,
        })
}

fn small_term() -> impl Strategy<Value = Expr> {
    let texts = prop::sample::select(vec![
        "alice", "Bob", "carol", "ali", "failure", "SUCCESS", "2", "1", "0", "okta", "ok", "10.",
        "db8", "", "zed",
    ]);
    let nets = prop::sample::select(vec![
        "10.0.0.0/8",
        "192.168.0.0/16",
        "2001:db8::/32",
        "10.0.0.1",
        "2001:db8::1",
        "0.0.0.0/0",
    ]);
    let fields = prop::sample::select(vec!["user", "ip", "status", "source"]);
    (fields, any_op(), texts, nets).prop_map(|(name, op, text, net)| {
        let field = field(name);
        let value = if name == "ip" && op != Op::Contains {
            if net.contains('/') {
                Value::Cidr(net.parse().unwrap())
            } else {
                Value::Ip(net.parse().unwrap())
            }
        } else {
            Value::Text(text.to_string())
        };
        Expr::Term(Term { field, op, value })
    })
}

fn ref_values(name: &str, p: &Plain) -> Vec<String> {
    match name {
        "user" => p.user.iter().map(|(u, _)| u.clone()).collect(),
        "ip" => p.ip.iter().cloned().collect(),
        "status" => p
            .status
            .iter()
            .flat_map(|(c, i)| [c.clone(), i.to_string()])
            .collect(),
        "source" => vec![p.source.clone()],
        other => panic!("reference does not know {other}"),
    }
}

fn ref_equal(value: &Value, text: &str) -> bool {
    match value {
        Value::Text(s) => s.to_lowercase() == text.to_lowercase(),
        Value::Ip(ip) => text
            .parse::<std::net::IpAddr>()
            .map(|a| a == *ip)
            .unwrap_or(false),
        Value::Cidr(net) => text
            .parse::<std::net::IpAddr>()
            .map(|a| net.contains(&a))
            .unwrap_or(false),
    }
}

fn ref_eval(e: &Expr, p: &Plain) -> bool {
    match e {
        Expr::And(items) => {
            let mut all = true;
            for item in items {
                all = all && ref_eval(item, p);
            }
            all
        }
        Expr::Or(items) => {
            let mut any = false;
            for item in items {
                any = any || ref_eval(item, p);
            }
            any
        }
        Expr::Term(t) => {
            let values = ref_values(t.field.name(), p);
            let mut eq = false;
            for v in &values {
                if ref_equal(&t.value, v) {
                    eq = true;
                }
            }
            match t.op {
                Op::Eq => eq,
                Op::Ne => !eq,
                Op::Contains => {
                    let Value::Text(needle) = &t.value else {
                        panic!("~ takes text")
                    };
                    values
                        .iter()
                        .any(|v| v.to_lowercase().contains(&needle.to_lowercase()))
                }
            }
        }
    }
}

fn ref_query(q: &Query, p: &Plain) -> bool {
    if q.since_ms.is_some() || q.until_ms.is_some() {
        let Some(t) = p.time else { return false };
        if let Some(s) = q.since_ms {
            if t < s {
                return false;
            }
        }
        if let Some(u) = q.until_ms {
            if t >= u {
                return false;
            }
        }
    }
    match &q.filter {
        None => true,
        Some(e) => ref_eval(e, p),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn matches_agrees_with_the_reference(
        filter in prop::option::of(tree(small_term().boxed())),
        since_ms in prop::option::of(0i64..100),
        until_ms in prop::option::of(0i64..100),
        events in prop::collection::vec(plain(), 1..12),
    ) {
        let q = Query { filter, since_ms, until_ms, pipe: None };
        // Go through the text, so precedence mistakes in the parser show up too.
        let text = q.to_string();
        let parsed = Query::parse_at(&text, 0).unwrap();
        for p in &events {
            let ev = p.to_json();
            let rec = Record { seq: 1, source: &p.source, event: &ev };
            prop_assert_eq!(parsed.matches(&rec), ref_query(&q, p), "query {:?} event {:?}", text, p);
        }
    }
}
