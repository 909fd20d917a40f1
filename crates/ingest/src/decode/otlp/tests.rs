use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, EntityRef, InstrumentationScope, KeyValue,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use serde_json::{json, Value};

use super::samples::{self, array, boolean, bytes, double, int, kv, kvlist, record, s};
use super::*;

fn limits() -> Limits {
    Limits::default()
}

/// The one-record requests of an NDJSON split, as values.
fn lines(ndjson: &[u8]) -> Vec<Value> {
    std::str::from_utf8(ndjson)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A request with every kind of value and every field of a record set.
fn everything() -> ExportLogsServiceRequest {
    let mut r = record(
        "authtrail.login",
        vec![
            kv("s", s("text")),
            kv("b", boolean(true)),
            kv("i", int(-9_007_199_254_740_993)),
            kv("d", double(0.25)),
            kv("inf", double(f64::INFINITY)),
            kv("ninf", double(f64::NEG_INFINITY)),
            kv("nan", double(f64::NAN)),
            kv("bytes", bytes(&[0, 1, 254, 255])),
            kv("list", array(vec![s("a"), int(2)])),
            kv("map", kvlist(vec![kv("k", s("v"))])),
            kv("empty", AnyValue { value: None }),
            KeyValue {
                key: "novalue".into(),
                value: None,
                key_strindex: 0,
            },
        ],
    );
    r.flags = 1;
    r.dropped_attributes_count = 2;
    let mut request = samples::request_of(vec![r]);
    let resource_logs = &mut request.resource_logs[0];
    if let Some(resource) = resource_logs.resource.as_mut() {
        resource.dropped_attributes_count = 3;
        resource.entity_refs = vec![EntityRef {
            schema_url: String::new(),
            r#type: "service".into(),
            id_keys: vec!["service.name".into()],
            description_keys: vec![],
        }];
    }
    request
}

#[test]
fn transcoding_follows_the_otlp_json_encoding() {
    let got = write::request(&everything());
    let schema = "https://opentelemetry.io/schemas/1.37.0";
    let want = json!({"resourceLogs": [{
        "resource": {
            "attributes": [
                {"key": "service.name", "value": {"stringValue": "login-api"}},
                {"key": "service.namespace", "value": {"stringValue": "acme"}},
                {"key": "service.version", "value": {"stringValue": "2.4.1"}},
                {"key": "host.name", "value": {"stringValue": "login-1.acme.internal"}},
                {"key": "deployment.environment.name", "value": {"stringValue": "prod"}}
            ],
            "droppedAttributesCount": 3,
            "entityRefs": [{"type": "service", "idKeys": ["service.name"]}]
        },
        "schemaUrl": schema,
        "scopeLogs": [{
            "scope": {
                "name": "com.acme.auth",
                "version": "1.0.0",
                "attributes": [{"key": "acme.module", "value": {"stringValue": "sessions"}}]
            },
            "schemaUrl": schema,
            "logRecords": [{
                "timeUnixNano": "1764230400123456789",
                "observedTimeUnixNano": "1764230400128456789",
                "severityNumber": 9,
                "severityText": "INFO",
                "body": {"stringValue": "user signed in"},
                "attributes": [
                    {"key": "s", "value": {"stringValue": "text"}},
                    {"key": "b", "value": {"boolValue": true}},
                    {"key": "i", "value": {"intValue": "-9007199254740993"}},
                    {"key": "d", "value": {"doubleValue": 0.25}},
                    {"key": "inf", "value": {"doubleValue": "Infinity"}},
                    {"key": "ninf", "value": {"doubleValue": "-Infinity"}},
                    {"key": "nan", "value": {"doubleValue": "NaN"}},
                    {"key": "bytes", "value": {"bytesValue": "AAH+/w=="}},
                    {"key": "list", "value": {"arrayValue": {"values": [
                        {"stringValue": "a"}, {"intValue": "2"}
                    ]}}},
                    {"key": "map", "value": {"kvlistValue": {"values": [
                        {"key": "k", "value": {"stringValue": "v"}}
                    ]}}},
                    {"key": "empty", "value": {}},
                    {"key": "novalue"}
                ],
                "droppedAttributesCount": 2,
                "flags": 1,
                "traceId": "5b8efff798038103d269b633813fc60c",
                "spanId": "eba21c093f6e4a01",
                "eventName": "authtrail.login"
            }]
        }]
    }]});
    assert_eq!(got, want, "{got:#}");
}

#[test]
fn reading_the_json_form_gives_the_request_back() {
    let request = everything();
    let back = read::request(&write::request(&request)).unwrap();
    // NaN is not equal to itself: compare the rest, and NaN on its own.
    let strip_nan = |mut r: ExportLogsServiceRequest| {
        r.resource_logs[0].scope_logs[0].log_records[0]
            .attributes
            .retain(|kv| kv.key != "nan");
        r
    };
    let nan = |r: &ExportLogsServiceRequest| match &r.resource_logs[0].scope_logs[0].log_records[0]
        .attributes
        .iter()
        .find(|kv| kv.key == "nan")
        .and_then(|kv| kv.value.clone())
        .and_then(|v| v.value)
    {
        Some(any_value::Value::DoubleValue(d)) => d.is_nan(),
        _ => false,
    };
    assert!(nan(&back));
    assert_eq!(strip_nan(back), strip_nan(request));
}

#[test]
fn protobuf_and_json_bodies_split_into_the_same_one_record_requests() {
    let mut request = samples::request_of(vec![
        record("authtrail.login", vec![kv("user.name", s("alice"))]),
        record("authtrail.logout", vec![kv("user.name", s("alice"))]),
    ]);
    // A second resource with two scopes, one of them empty.
    request.resource_logs.push(ResourceLogs {
        resource: Some(Resource {
            attributes: vec![kv("service.name", s("admin-console"))],
            ..Resource::default()
        }),
        scope_logs: vec![
            ScopeLogs::default(),
            ScopeLogs {
                scope: None,
                log_records: vec![record("authtrail.privilege.grant", vec![])],
                schema_url: String::new(),
            },
        ],
        schema_url: String::new(),
    });
    let protobuf = request.encode_to_vec();
    let json = samples::json_text(&request);
    let from_protobuf = split(&protobuf, Some(Encoding::Protobuf), &limits()).unwrap();
    let from_json = split(json.as_bytes(), Some(Encoding::Json), &limits()).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&from_protobuf),
        String::from_utf8_lossy(&from_json)
    );
    // Told from the body alike.
    assert_eq!(split(&protobuf, None, &limits()).unwrap(), from_protobuf);
    assert_eq!(split(json.as_bytes(), None, &limits()).unwrap(), from_json);

    let docs = lines(&from_json);
    assert_eq!(docs.len(), 3);
    for (doc, (name, service)) in docs.iter().zip([
        ("authtrail.login", "login-api"),
        ("authtrail.logout", "login-api"),
        ("authtrail.privilege.grant", "admin-console"),
    ]) {
        let one = read::request(doc).unwrap();
        assert_eq!(one.resource_logs.len(), 1, "{doc}");
        assert_eq!(one.resource_logs[0].scope_logs.len(), 1, "{doc}");
        let records = &one.resource_logs[0].scope_logs[0].log_records;
        assert_eq!(records.len(), 1, "{doc}");
        assert_eq!(records[0].event_name, name);
        let resource = one.resource_logs[0].resource.as_ref().unwrap();
        assert_eq!(resource.attributes[0].value, Some(s(service)), "{doc}");
    }
    // The first two keep the scope and both schema URLs.
    assert_eq!(
        docs[0]["resourceLogs"][0]["scopeLogs"][0]["scope"]["name"],
        "com.acme.auth"
    );
    assert!(docs[1]["resourceLogs"][0]["schemaUrl"].is_string());
    assert!(docs[1]["resourceLogs"][0]["scopeLogs"][0]["schemaUrl"].is_string());
    // Ids in hex, times as decimal strings.
    let r = &docs[0]["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
    assert_eq!(r["traceId"], "5b8efff798038103d269b633813fc60c");
    assert_eq!(r["timeUnixNano"], "1764230400123456789");
}

#[test]
fn a_json_record_keeps_every_field_it_was_sent_with() {
    let body = br#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"a"}}]},"futureField":1,"scopeLogs":[{"scope":{"name":"s"},"logRecords":[{"timeUnixNano":1764230400000000000,"eventName":"authtrail.login","futureRecordField":{"x":true}},{"timeUnixNano":"1764230400000000001","traceId":"5B8EFFF798038103D269B633813FC60C"}]}]}],"extra":"kept"}"#;
    let docs = lines(&split(body, None, &limits()).unwrap());
    assert_eq!(docs.len(), 2);
    assert_eq!(
        docs[0],
        json!({"extra": "kept", "resourceLogs": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "a"}}]},
            "futureField": 1,
            "scopeLogs": [{"scope": {"name": "s"}, "logRecords": [
                {"timeUnixNano": 1764230400000000000u64, "eventName": "authtrail.login",
                 "futureRecordField": {"x": true}}
            ]}]
        }]})
    );
    // Both forms of a 64-bit integer, and upper-case hex, read alike.
    let record = |doc: &Value| {
        read::request(doc).unwrap().resource_logs[0].scope_logs[0].log_records[0].clone()
    };
    assert_eq!(record(&docs[0]).time_unix_nano, 1_764_230_400_000_000_000);
    assert_eq!(record(&docs[1]).time_unix_nano, 1_764_230_400_000_000_001);
    assert_eq!(record(&docs[1]).trace_id, samples::TRACE.to_vec());
}

#[test]
fn ndjson_and_arrays_of_requests_are_read_request_by_request() {
    let one = samples::json_text(&samples::request_of(vec![record(
        "authtrail.login",
        vec![],
    )]));
    let two = samples::json_text(&samples::request_of(vec![
        record("authtrail.logout", vec![]),
        record("authtrail.mfa", vec![]),
    ]));
    let ndjson = format!("{one}\n\n{two}\n");
    assert_eq!(
        lines(&split(ndjson.as_bytes(), None, &limits()).unwrap()).len(),
        3
    );
    let array = format!("[{one},\n{two}]");
    assert_eq!(
        lines(&split(array.as_bytes(), None, &limits()).unwrap()).len(),
        3
    );
}

/// The error of splitting `body` (JSON), as `(line, path, message)`.
fn otlp_error(body: &str) -> (usize, String, String) {
    match split(body.as_bytes(), Some(Encoding::Json), &limits()) {
        Err(IngestError::InvalidOtlp {
            line,
            path,
            message,
        }) => (line, path, message),
        other => panic!("{body}: {other:?}"),
    }
}

#[test]
fn bad_shapes_reject_the_batch_naming_their_path() {
    let records =
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[]},{"logRecords":[{},{},{},RECORD]}]}]}"#;
    let with = |record: &str| records.replace("RECORD", record);
    let cases: Vec<(String, &str, &str)> = vec![
        (r#"{"resourceLogs":{}}"#.into(), "resourceLogs", "expected an array, found an object"),
        (r#"[1]"#.into(), "request", "expected an object, found a number"),
        (r#"{"resourceLogs":[{"resource":[]}]}"#.into(), "resourceLogs[0].resource", "expected an object"),
        (with("7"), "resourceLogs[0].scopeLogs[1].logRecords[3]", "expected an object, found a number"),
        (with(r#"{"traceId":"5b8efff798038103d269b633813fc60"}"#), "resourceLogs[0].scopeLogs[1].logRecords[3].traceId", "expected 32 hex digits, found 31 characters"),
        (with(r#"{"traceId":"zb8efff798038103d269b633813fc60c"}"#), "resourceLogs[0].scopeLogs[1].logRecords[3].traceId", "not hexadecimal"),
        (with(r#"{"spanId":"W6jAjw=="}"#), "resourceLogs[0].scopeLogs[1].logRecords[3].spanId", "expected 16 hex digits"),
        (with(r#"{"timeUnixNano":-1}"#), "resourceLogs[0].scopeLogs[1].logRecords[3].timeUnixNano", "not an unsigned 64-bit integer"),
        (with(r#"{"timeUnixNano":"soon"}"#), "resourceLogs[0].scopeLogs[1].logRecords[3].timeUnixNano", "not an unsigned 64-bit integer"),
        (with(r#"{"severityNumber":"SEVERITY_NUMBER_INFO"}"#), "resourceLogs[0].scopeLogs[1].logRecords[3].severityNumber", "enums as integers"),
        (with(r#"{"flags":4294967296}"#), "resourceLogs[0].scopeLogs[1].logRecords[3].flags", "over the 32-bit range"),
        (with(r#"{"eventName":5}"#), "resourceLogs[0].scopeLogs[1].logRecords[3].eventName", "expected a string, found a number"),
        (with(r#"{"attributes":[{"key":"k","value":{"intValue":"1.5"}}]}"#), "resourceLogs[0].scopeLogs[1].logRecords[3].attributes[0].value.intValue", "not a 64-bit integer"),
        (with(r#"{"attributes":[{"key":"k","value":{"stringValue":"a","intValue":"1"}}]}"#), "resourceLogs[0].scopeLogs[1].logRecords[3].attributes[0].value", "holds both stringValue and intValue"),
        (with(r#"{"attributes":[{"key":"k","value":{"bytesValue":"%%%"}}]}"#), "resourceLogs[0].scopeLogs[1].logRecords[3].attributes[0].value.bytesValue", "not base64"),
        (with(r#"{"attributes":[{"key":"k","value":{"doubleValue":"inf"}}]}"#), "resourceLogs[0].scopeLogs[1].logRecords[3].attributes[0].value.doubleValue", "not a double"),
        (with(r#"{"body":{"arrayValue":{"values":[{"kvlistValue":{"values":[{"key":1}]}}]}}}"#), "resourceLogs[0].scopeLogs[1].logRecords[3].body.arrayValue.values[0].kvlistValue.values[0].key", "expected a string"),
        (with(r#"{"attributes":[{"key":"k","keyStrindex":3}]}"#), "resourceLogs[0].scopeLogs[1].logRecords[3].attributes[0].keyStrindex", "profiles"),
        (with(r#"{"attributes":[{"value":{"stringValueStrindex":3}}]}"#), "resourceLogs[0].scopeLogs[1].logRecords[3].attributes[0].value.stringValueStrindex", "profiles"),
        (r#"{"resourceLogs":[{"scopeLogs":[{"scope":{"attributes":[{"key":"k","value":{"boolValue":"yes"}}]}}]}]}"#.into(), "resourceLogs[0].scopeLogs[0].scope.attributes[0].value.boolValue", "expected a boolean, found a string"),
    ];
    for (body, path, message) in cases {
        let (line, got_path, got_message) = otlp_error(&body);
        assert_eq!(line, 1, "{body}");
        assert_eq!(got_path, path, "{body}");
        assert!(got_message.contains(message), "{body}: {got_message}");
    }
    // The document's line is named in NDJSON input, and the message reads whole.
    let good = samples::json_text(&samples::request_of(vec![record(
        "authtrail.login",
        vec![],
    )]));
    let body = format!("{good}\n{good}\n{}\n", with("7"));
    let (line, ..) = otlp_error(&body);
    assert_eq!(line, 3);
    let message = split(body.as_bytes(), None, &limits())
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "invalid OTLP/JSON request at line 3: resourceLogs[0].scopeLogs[1].logRecords[3]: \
         expected an object, found a number"
    );
}

#[test]
fn nulls_are_defaults_and_unknown_kinds_are_empty() {
    let body = r#"{"resourceLogs":[{"resource":null,"scopeLogs":[{"logRecords":[{"timeUnixNano":null,"body":{"futureValue":1},"traceId":"","attributes":null}]}]}]}"#;
    let docs = lines(&split(body.as_bytes(), None, &limits()).unwrap());
    let r = read::request(&docs[0]).unwrap();
    let record = &r.resource_logs[0].scope_logs[0].log_records[0];
    assert_eq!(record.time_unix_nano, 0);
    assert_eq!(record.body, Some(AnyValue { value: None }));
    assert!(record.trace_id.is_empty());
}

#[test]
fn empty_requests_are_empty() {
    let empty_protobuf = ExportLogsServiceRequest::default().encode_to_vec();
    let no_records = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs::default()],
            ..ResourceLogs::default()
        }],
    }
    .encode_to_vec();
    for (body, encoding) in [
        (&b""[..], None),
        (b" \n", Some(Encoding::Json)),
        (b"{}", None),
        (b"{\"resourceLogs\":[]}", Some(Encoding::Json)),
        (b"{\"resourceLogs\":[{\"scopeLogs\":[{}]}]}\n{}", None),
        (&empty_protobuf, Some(Encoding::Protobuf)),
        (&no_records, Some(Encoding::Protobuf)),
        (&no_records, None),
    ] {
        assert!(
            matches!(split(body, encoding, &limits()), Err(IngestError::Empty)),
            "{body:?}"
        );
    }
}

#[test]
fn a_body_that_is_neither_json_nor_protobuf_is_rejected_clearly() {
    let text = b"Nov 27 10:00:00 host sshd[1]: Accepted password for alice\n";
    match split(text, None, &limits()) {
        Err(IngestError::InvalidProtobuf(why)) => {
            assert!(why.contains("neither OTLP/JSON"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        split(text, Some(Encoding::Protobuf), &limits()),
        Err(IngestError::InvalidProtobuf(_))
    ));
    // Bytes that decode as protobuf but hold no field of a request.
    match split(&[0x78, 0x01], Some(Encoding::Protobuf), &limits()) {
        Err(IngestError::InvalidProtobuf(why)) => assert!(why.contains("no field"), "{why}"),
        other => panic!("{other:?}"),
    }
    // Protobuf declared as JSON is bad JSON; bad JSON that is no protobuf either stays so.
    let protobuf = samples::request_of(vec![record("authtrail.login", vec![])]).encode_to_vec();
    assert!(matches!(
        split(&protobuf, Some(Encoding::Json), &limits()),
        Err(IngestError::InvalidJson { .. })
    ));
    assert!(matches!(
        split(b"{\"resourceLogs\": [", None, &limits()),
        Err(IngestError::InvalidJson { .. })
    ));
    // A protobuf record whose ids have the wrong length is named by its path.
    let mut request = samples::request_of(vec![record("authtrail.login", vec![])]);
    request.resource_logs[0].scope_logs[0].log_records[0].span_id = vec![1, 2, 3];
    match split(
        &request.encode_to_vec(),
        Some(Encoding::Protobuf),
        &limits(),
    ) {
        Err(IngestError::InvalidProtobuf(why)) => assert!(
            why.starts_with("resourceLogs[0].scopeLogs[0].logRecords[0].spanId: expected 16"),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_protobuf_body_that_opens_like_json_is_still_read() {
    // A request whose one ResourceLogs is 123 bytes long encodes as 0x0a 0x7b ("\n{").
    let mut request = samples::request_of(vec![]);
    request.resource_logs[0].resource = None;
    request.resource_logs[0].scope_logs[0].scope = Some(InstrumentationScope::default());
    request.resource_logs[0].scope_logs[0].log_records = vec![LogRecord {
        event_name: "authtrail.login".into(),
        ..LogRecord::default()
    }];
    let fixed = request.resource_logs[0].encoded_len() - request.resource_logs[0].schema_url.len();
    request.resource_logs[0].schema_url = "x".repeat(123 - fixed);
    let body = request.encode_to_vec();
    assert_eq!(&body[..2], b"\n{");
    assert!(looks_like_json(&body));
    let docs = lines(&split(&body, None, &limits()).unwrap());
    assert_eq!(docs.len(), 1);
    assert_eq!(
        docs[0]["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["eventName"],
        "authtrail.login"
    );
}

#[test]
fn limits_bound_the_records_and_what_they_expand_to() {
    let request = samples::request_of(vec![
        record("authtrail.login", vec![]),
        record("authtrail.login", vec![]),
        record("authtrail.login", vec![]),
    ]);
    let body = request.encode_to_vec();
    let few = Limits {
        max_events_per_batch: 2,
        ..limits()
    };
    assert!(matches!(
        split(&body, None, &few),
        Err(IngestError::TooManyEvents { limit: 2 })
    ));
    // A large resource repeated over many small records.
    let mut request = samples::request_of((0..200).map(|_| LogRecord::default()).collect());
    if let Some(resource) = request.resource_logs[0].resource.as_mut() {
        resource.attributes.push(kv("big", s(&"x".repeat(4000))));
    }
    let body = request.encode_to_vec();
    let small = Limits {
        max_body_bytes: body.len() * 2,
        ..limits()
    };
    assert!(matches!(
        split(&body, None, &small),
        Err(IngestError::ExpandedTooLarge { .. })
    ));
    assert!(split(&body, None, &limits()).is_ok());
}

mod props {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::parse::test_support;

    fn any_value() -> impl Strategy<Value = AnyValue> {
        let leaf = prop_oneof![
            "\\PC{0,8}".prop_map(|v| s(&v)),
            any::<bool>().prop_map(boolean),
            any::<i64>().prop_map(int),
            // Doubles whose decimal form reads back exactly, and the infinities.
            any::<i32>().prop_map(|v| double(f64::from(v) / 64.0)),
            Just(double(f64::INFINITY)),
            vec(any::<u8>(), 0..6).prop_map(|v| bytes(&v)),
            Just(AnyValue { value: None }),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..4).prop_map(array),
                vec(("[a-z.]{0,6}", inner), 0..4)
                    .prop_map(|kvs| kvlist(kvs.into_iter().map(|(k, v)| kv(&k, v)).collect())),
            ]
        })
    }

    fn attributes() -> impl Strategy<Value = Vec<KeyValue>> {
        vec(
            (
                prop_oneof![
                    Just("user.name".to_string()),
                    Just("client.address".to_string()),
                    Just("authtrail.outcome".to_string()),
                    Just("event.name".to_string()),
                    "[a-z.]{0,8}"
                ],
                any_value(),
            )
                .prop_map(|(k, v)| kv(&k, v)),
            0..4,
        )
    }

    fn log_record() -> impl Strategy<Value = LogRecord> {
        (
            any::<u64>(),
            any::<u64>(),
            0i32..30,
            prop_oneof![
                Just(String::new()),
                Just("authtrail.login".to_string()),
                "[a-z.]{0,12}"
            ],
            attributes(),
            proptest::option::of(any_value()),
            prop_oneof![Just(vec![]), vec(any::<u8>(), 16)],
            prop_oneof![Just(vec![]), vec(any::<u8>(), 8)],
            any::<u32>(),
        )
            .prop_map(
                |(time, observed, severity, name, attributes, body, trace, span, flags)| {
                    LogRecord {
                        time_unix_nano: time,
                        observed_time_unix_nano: observed,
                        severity_number: severity,
                        severity_text: String::new(),
                        body,
                        attributes,
                        dropped_attributes_count: flags % 3,
                        flags,
                        trace_id: trace,
                        span_id: span,
                        event_name: name,
                    }
                },
            )
    }

    fn request() -> impl Strategy<Value = ExportLogsServiceRequest> {
        let scope_logs = (
            proptest::option::of(("[a-z]{0,5}", attributes()).prop_map(|(name, attributes)| {
                InstrumentationScope {
                    name,
                    attributes,
                    ..InstrumentationScope::default()
                }
            })),
            vec(log_record(), 0..4),
            "[a-z:/.]{0,6}",
        )
            .prop_map(|(scope, log_records, schema_url)| ScopeLogs {
                scope,
                log_records,
                schema_url,
            });
        let resource_logs = (
            proptest::option::of(attributes().prop_map(|attributes| Resource {
                attributes,
                ..Resource::default()
            })),
            vec(scope_logs, 0..3),
            "[a-z:/.]{0,6}",
        )
            .prop_map(|(resource, scope_logs, schema_url)| ResourceLogs {
                resource,
                scope_logs,
                schema_url,
            });
        vec(resource_logs, 0..3)
            .prop_map(|resource_logs| ExportLogsServiceRequest { resource_logs })
    }

    /// Each record with what it was sent under: resource, its schema URL, scope, its schema URL.
    type Flat = (
        Option<Resource>,
        String,
        Option<InstrumentationScope>,
        String,
        LogRecord,
    );

    fn flatten(r: ExportLogsServiceRequest) -> Vec<Flat> {
        let mut out = Vec::new();
        for rl in r.resource_logs {
            for sl in rl.scope_logs {
                for record in sl.log_records {
                    out.push((
                        rl.resource.clone(),
                        rl.schema_url.clone(),
                        sl.scope.clone(),
                        sl.schema_url.clone(),
                        record,
                    ));
                }
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn requests_split_into_one_record_requests_that_reassemble(request in request()) {
            // The JSON form reads back as the request.
            prop_assert_eq!(&read::request(&write::request(&request)).unwrap(), &request);
            let want = flatten(request.clone());
            for (body, encoding) in [
                (request.encode_to_vec(), Encoding::Protobuf),
                (samples::json_text(&request).into_bytes(), Encoding::Json),
            ] {
                let ndjson = match split(&body, Some(encoding), &limits()) {
                    Err(IngestError::Empty) => {
                        prop_assert!(want.is_empty());
                        continue;
                    }
                    other => other.unwrap(),
                };
                let mut got = Vec::new();
                for line in std::str::from_utf8(&ndjson).unwrap().lines() {
                    let one = read::request(&serde_json::from_str(line).unwrap()).unwrap();
                    let flat = flatten(one);
                    prop_assert_eq!(flat.len(), 1);
                    got.extend(flat);
                    // Parsing the one-record request never panics.
                    test_support::parse_never_panics(
                        crate::parse::otlp::parse,
                        test_support::ctx,
                        [line],
                    );
                }
                prop_assert_eq!(&got, &want);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(body in vec(any::<u8>(), 0..64), json in "\\PC{0,64}") {
            for encoding in [None, Some(Encoding::Json), Some(Encoding::Protobuf)] {
                let _ = split(&body, encoding, &limits());
                let _ = split(json.as_bytes(), encoding, &limits());
            }
        }
    }
}
