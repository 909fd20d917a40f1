//! Property tests: the JSON decoder and the pipeline never panic, and keep raw bytes exactly.

use authtrail_ingest::decode::json::decode;
use authtrail_ingest::{prepare_batch, InputFormat, Limits};
use proptest::prelude::*;
use serde_json::{json, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-z0-9 .:@\u{e9}\u{2014}]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map("[a-z_]{1,10}", arb_json(), 0..6)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
        let _ = prepare_batch(&bytes, InputFormat::Json, "prop", 0, &Limits::default());
        let _ = authtrail_model::Event::from_json(&bytes);
    }

    #[test]
    fn ndjson_records_keep_their_exact_bytes_and_lines(values in prop::collection::vec(arb_object(), 1..8), pretty in any::<bool>()) {
        let lines: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        let body = if pretty {
            // One value per line, with blank lines between some of them.
            lines.iter().enumerate().map(|(i, l)| if i % 2 == 1 { format!("\n{l}") } else { l.clone() }).collect::<Vec<_>>().join("\n")
        } else {
            lines.join("\n")
        };
        let records = decode(body.as_bytes()).unwrap();
        prop_assert_eq!(records.len(), lines.len());
        for (r, l) in records.iter().zip(&lines) {
            prop_assert_eq!(r.raw, l.as_bytes());
            // The line number points at the record's first byte.
            let line_start = body.lines().nth(r.line - 1).unwrap();
            prop_assert!(line_start.starts_with(l.as_str()));
        }
        // Every record becomes exactly one entry, valid or unparsed; nothing is dropped.
        let batch = prepare_batch(body.as_bytes(), InputFormat::Json, "prop", 0, &Limits::default()).unwrap();
        prop_assert_eq!(batch.entries.len(), lines.len());
        for (e, l) in batch.entries.iter().zip(&lines) {
            prop_assert_eq!(e.raw(), l.as_bytes());
        }
    }

    #[test]
    fn events_that_parse_round_trip_through_their_canonical_bytes(extra in prop::collection::btree_map("[a-z_]{1,10}", arb_json(), 0..5)) {
        let mut v = json!({"class_uid":3002,"activity_id":1,"time":1764230400000i64,"severity_id":1,
            "metadata":{"product":{"name":"p"}}});
        for (k, val) in extra {
            v.as_object_mut().unwrap().entry(k).or_insert(val);
        }
        if let Ok(e) = authtrail_model::Event::from_json(v.to_string().as_bytes()) {
            let bytes = e.canonical_bytes();
            let back: authtrail_model::Event = serde_json::from_slice(&bytes).unwrap();
            prop_assert_eq!(back.canonical_bytes(), bytes);
        }
    }
}
