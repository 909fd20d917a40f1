//! The event model against hand-written and real OCSF events.

use authtrail_model::{Event, ModelError};
use serde_json::{json, Value};

fn minimal() -> Value {
    json!({
        "class_uid": 3002,
        "activity_id": 1,
        "time": 1764230400000i64,
        "severity_id": 1,
        "status_id": 2,
        "metadata": {"product": {"name": "sshd", "vendor_name": "OpenBSD"}},
        "user": {"name": "alice"},
        "src_endpoint": {"ip": "203.0.113.7", "port": 52100},
    })
}

#[test]
fn a_minimal_event_gets_its_derived_fields() {
    let e = Event::from_json(minimal().to_string().as_bytes()).unwrap();
    assert_eq!(e.class_name.as_deref(), Some("Authentication"));
    assert_eq!(e.category_uid, Some(3));
    assert_eq!(e.type_uid, Some(300201));
    assert_eq!(e.activity_name.as_deref(), Some("Logon"));
    assert_eq!(e.status.as_deref(), Some("Failure"));
    assert_eq!(e.severity.as_deref(), Some("Informational"));
}

#[test]
fn canonical_bytes_round_trip_and_are_deterministic() {
    let e = Event::from_json(minimal().to_string().as_bytes()).unwrap();
    let bytes = e.canonical_bytes();
    let back: Event = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(back, e);
    assert_eq!(back.canonical_bytes(), bytes);
    // Key order of the input does not change the canonical form.
    let reordered = r#"{"user":{"name":"alice"},"src_endpoint":{"port":52100,"ip":"203.0.113.7"},
        "metadata":{"product":{"vendor_name":"OpenBSD","name":"sshd"}},"status_id":2,
        "severity_id":1,"time":1764230400000,"activity_id":1,"class_uid":3002}"#;
    assert_eq!(
        Event::from_json(reordered.as_bytes())
            .unwrap()
            .canonical_bytes(),
        bytes
    );
}

#[test]
fn json_maps_serialize_sorted_so_canonical_bytes_do_not_depend_on_input_order() {
    // Guards against serde_json's `preserve_order` feature being switched on by any crate.
    let v: Value = serde_json::from_str(r#"{"b":1,"a":2}"#).unwrap();
    assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"a":2,"b":1}"#);
}

#[test]
fn unknown_fields_go_to_unmapped_and_ocsf_fields_stay_in_place() {
    let mut v = minimal();
    v["eventType"] = json!("user.session.start");
    v["cloud"] = json!({"provider": "AWS"});
    v["unmapped"] = json!({"already": true});
    v["user"]["email_addr"] = json!("alice@example.com");
    v["user"]["groups"] = json!([{"name": "admins"}]);
    let e = Event::from_json(v.to_string().as_bytes()).unwrap();
    assert_eq!(e.unmapped["eventType"], json!("user.session.start"));
    assert_eq!(e.unmapped["already"], json!(true));
    assert_eq!(e.other["cloud"], json!({"provider": "AWS"}));
    let out: Value = serde_json::from_slice(&e.canonical_bytes()).unwrap();
    assert_eq!(out["cloud"]["provider"], "AWS");
    assert_eq!(out["user"]["groups"][0]["name"], "admins");
    assert_eq!(out["user"]["email_addr"], "alice@example.com");
    assert_eq!(out["unmapped"]["eventType"], "user.session.start");
}

#[test]
fn missing_required_fields_are_named() {
    for field in [
        "class_uid",
        "activity_id",
        "time",
        "severity_id",
        "metadata",
    ] {
        let mut v = minimal();
        v.as_object_mut().unwrap().remove(field);
        let err = Event::from_json(v.to_string().as_bytes()).unwrap_err();
        assert_eq!(err, ModelError::MissingField(field), "without {field}");
    }
    let mut v = minimal();
    v["metadata"] = json!({"version": "1.1.0"});
    assert_eq!(
        Event::from_json(v.to_string().as_bytes()).unwrap_err(),
        ModelError::MissingField("metadata.product")
    );
}

#[test]
fn invalid_values_are_named_with_their_field() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("activity_id", json!(42), "activity_id"),
        ("severity_id", json!(7), "severity_id"),
        ("status_id", json!(3), "status_id"),
        ("type_uid", json!(300202), "type_uid"),
        (
            "src_endpoint",
            json!({"ip": "not-an-ip"}),
            "src_endpoint.ip",
        ),
        ("time", json!(-5), "time"),
    ];
    for (key, value, field) in cases {
        let mut v = minimal();
        v[key] = value;
        let err = Event::from_json(v.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(&err, ModelError::InvalidField { field: f, .. } if f == field),
            "{key}: {err}"
        );
    }
    let mut v = minimal();
    v["class_uid"] = json!(1007);
    assert_eq!(
        Event::from_json(v.to_string().as_bytes()).unwrap_err(),
        ModelError::UnsupportedClass(1007)
    );
    // An activity must be one of the event's own class.
    let mut v = minimal();
    v["class_uid"] = json!(3003);
    v["activity_id"] = json!(7);
    let err = Event::from_json(v.to_string().as_bytes()).unwrap_err();
    assert!(
        matches!(&err, ModelError::InvalidField { field, .. } if field == "activity_id"),
        "{err}"
    );
}

#[test]
fn sibling_classes_get_their_own_captions() {
    let cases = [
        (
            3001,
            4,
            3,
            "Account Change",
            "Identity & Access Management",
            "Password Reset",
        ),
        (
            3003,
            1,
            3,
            "Authorize Session",
            "Identity & Access Management",
            "Assign Privileges",
        ),
        (4002, 6, 4, "HTTP Activity", "Network Activity", "Post"),
        (6003, 2, 6, "API Activity", "Application Activity", "Read"),
    ];
    for (class, activity, category, name, category_name, activity_name) in cases {
        let mut v = minimal();
        v["class_uid"] = json!(class);
        v["activity_id"] = json!(activity);
        let e = Event::from_json(v.to_string().as_bytes()).unwrap();
        assert_eq!(e.class_name.as_deref(), Some(name));
        assert_eq!(e.category_uid, Some(category));
        assert_eq!(e.category_name.as_deref(), Some(category_name));
        assert_eq!(e.activity_name.as_deref(), Some(activity_name));
        assert_eq!(
            e.type_uid,
            Some(i64::from(class) * 100 + i64::from(activity))
        );
        assert_eq!(e.type_name, Some(format!("{name}: {activity_name}")));
        let mut wrong = v.clone();
        wrong["category_uid"] = json!(2);
        assert!(Event::from_json(wrong.to_string().as_bytes()).is_err());
    }
}

#[test]
fn wrong_types_and_bad_json_name_the_place() {
    let mut v = minimal();
    v["user"] = json!({"name": 5});
    let err = Event::from_json(v.to_string().as_bytes()).unwrap_err();
    assert!(err.to_string().contains("field user"), "{err}");
    let err = Event::from_json(b"{\"class_uid\": 3002,\n \"time\": }").unwrap_err();
    assert!(matches!(err, ModelError::Json { line: 2, .. }), "{err:?}");
    assert!(Event::from_json(b"[1,2]").is_err());
    assert!(Event::from_json(br#"{"class_uid":3002,"class_uid":3002}"#).is_err());
}

#[test]
fn rfc3339_time_is_accepted() {
    let mut v = minimal();
    v["time"] = json!("2025-11-27T10:00:00.250Z");
    let e = Event::from_json(v.to_string().as_bytes()).unwrap();
    assert_eq!(e.time, 1764237600250);
}

#[test]
fn unparsed_events_carry_their_reason_and_read_back() {
    let e = Event::unparsed("missing required field time", "json", 1764230400000);
    assert!(e.is_unparsed());
    let back: Event = serde_json::from_slice(&e.canonical_bytes()).unwrap();
    assert_eq!(back, e);
    assert_eq!(
        back.status_detail.as_deref(),
        Some("missing required field time")
    );
}

#[test]
fn the_ocsf_schema_example_authentication_event_loses_nothing() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/datasets/ocsf-schema/examples/1_1_0_OCSF_authentication.ocsf.json"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        assert!(std::env::var_os("CI").is_none(), "../shared missing in CI");
        println!("skipping: ../shared/datasets not found");
        return;
    };
    let input: Value = serde_json::from_str(&text).unwrap();
    let e = Event::from_json(text.as_bytes()).unwrap();
    let output: Value = serde_json::from_slice(&e.canonical_bytes()).unwrap();
    // Every input leaf is in the output at the same path (nulls may be dropped by typed fields).
    fn leaves(v: &Value, path: String, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(m) => m
                .iter()
                .for_each(|(k, v)| leaves(v, format!("{path}/{k}"), out)),
            Value::Null => {}
            other => out.push((path, other.clone())),
        }
    }
    let mut want = Vec::new();
    leaves(&input, String::new(), &mut want);
    assert!(want.len() > 20);
    for (path, value) in want {
        assert_eq!(output.pointer(&path), Some(&value), "lost {path}");
    }
}
