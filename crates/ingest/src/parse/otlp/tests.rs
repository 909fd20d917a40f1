use authtrail_model::Event;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use serde_json::json;

use super::*;
use crate::decode::otlp::samples::{
    self, array, boolean, bytes, double, int, kv, kvlist, record, s, TIME_NS,
};
use crate::parse::build::{INFORMATIONAL, LOW};
use crate::parse::test_support::{self, assert_conforms, ctx, src, user, RECEIVED_MS};

/// The validated event of a one-record request, checked against the OCSF schema.
fn event_of(request: &ExportLogsServiceRequest) -> Event {
    let e = test_support::parsed(parse, &samples::json_text(request), &mut ctx());
    assert_conforms(&e);
    e
}

/// The event of one record under the sample resource and scope.
fn event(r: LogRecord) -> Event {
    event_of(&samples::request_of(vec![r]))
}

/// Why a one-record request is unrecognized.
fn refused(request: &ExportLogsServiceRequest) -> String {
    match parse(&samples::json_text(request), &mut ctx()) {
        Ok(e) => panic!("parsed as {e:?}"),
        Err(u) => u.0.into_owned(),
    }
}

fn outcome(e: &Event) -> (u32, i32, i32) {
    (e.class_uid, e.activity_id, e.status_id)
}

fn otel(e: &Event) -> &Value {
    &e.unmapped["otel"]
}

#[test]
fn every_name_of_the_vocabulary_maps_to_its_class_and_activity() {
    assert_eq!(VOCABULARY.len(), 17);
    for (name, kind) in VOCABULARY {
        let attrs = vec![
            kv("user.name", s("alice")),
            kv("authtrail.outcome", s("success")),
            kv("authtrail.privileges", s("admin")),
        ];
        // In the eventName field, and in the event.name attribute of older SDKs.
        let by_field = event(record(name, attrs.clone()));
        let mut old = record("", attrs);
        old.attributes.push(kv("event.name", s(name)));
        let by_attribute = event(old);
        for e in [&by_field, &by_attribute] {
            assert_eq!(
                outcome(e),
                (kind.class_uid, kind.activity_id, SUCCESS),
                "{name}"
            );
            assert_eq!(user(e), Some("alice"), "{name}");
            assert_eq!(otel(e)["event_name"], *name);
            assert_eq!(e.is_mfa, kind.mfa.then_some(true), "{name}");
        }
        let kept = otel(&by_attribute).get("attributes").cloned();
        if kind.class_uid == AUTHORIZE_SESSION {
            assert_eq!(kept, None, "{name}");
        } else {
            assert_eq!(
                kept,
                Some(json!({"authtrail.privileges": "admin"})),
                "{name}"
            );
        }
    }
    let names = |class: u32| {
        VOCABULARY
            .iter()
            .filter(|(_, k)| k.class_uid == class)
            .count()
    };
    assert_eq!(
        (
            names(AUTHENTICATION),
            names(ACCOUNT_CHANGE),
            names(AUTHORIZE_SESSION)
        ),
        (6, 10, 1)
    );
    let e = event(record("authtrail.token.refresh", vec![]));
    assert_eq!(e.activity_name.as_deref(), Some("Service Ticket Renew"));
    let e = event(record("authtrail.mfa.enroll", vec![]));
    assert_eq!(e.activity_name.as_deref(), Some("MFA Factor Enable"));
    let e = event(record(
        "authtrail.privilege.grant",
        vec![kv("authtrail.privileges", s("admin"))],
    ));
    assert_eq!(
        e.type_name.as_deref(),
        Some("Authorize Session: Assign Privileges")
    );
}

#[test]
fn the_eventname_field_wins_over_the_attribute() {
    let e = event(record(
        "authtrail.logout",
        vec![kv("event.name", s("authtrail.login"))],
    ));
    assert_eq!(e.activity_id, LOGOFF);
    assert_eq!(otel(&e)["attributes"]["event.name"], "authtrail.login");
}

#[test]
fn outcome_rules() {
    /// Attributes, and the status id, code and detail they make.
    type Case = (
        Vec<KeyValue>,
        i32,
        Option<&'static str>,
        Option<&'static str>,
    );
    let cases: Vec<Case> = vec![
        (vec![], STATUS_UNKNOWN, None, None),
        (
            vec![kv("authtrail.outcome", s("success"))],
            SUCCESS,
            None,
            None,
        ),
        (
            vec![kv("authtrail.outcome", s("FAILURE"))],
            FAILURE,
            None,
            None,
        ),
        (vec![kv("event.outcome", s("failure"))], FAILURE, None, None),
        (
            vec![kv("event.outcome", s("unknown"))],
            STATUS_UNKNOWN,
            None,
            None,
        ),
        // authtrail.outcome first; an unknown word does not count.
        (
            vec![
                kv("authtrail.outcome", s("success")),
                kv("event.outcome", s("failure")),
            ],
            SUCCESS,
            None,
            None,
        ),
        (
            vec![
                kv("authtrail.outcome", s("maybe")),
                kv("event.outcome", s("failure")),
            ],
            FAILURE,
            None,
            None,
        ),
        (
            vec![kv("authtrail.outcome", boolean(true))],
            STATUS_UNKNOWN,
            None,
            None,
        ),
        // error.type makes a failure unless the outcome says otherwise.
        (
            vec![kv("error.type", s("invalid_password"))],
            FAILURE,
            Some("invalid_password"),
            Some("invalid_password"),
        ),
        (
            vec![
                kv("error.type", s("invalid_password")),
                kv("authtrail.reason", s("wrong password (3rd attempt)")),
            ],
            FAILURE,
            Some("invalid_password"),
            Some("wrong password (3rd attempt)"),
        ),
        (
            vec![
                kv("error.type", s("TimeoutError")),
                kv("exception.message", s("directory timed out")),
            ],
            FAILURE,
            Some("TimeoutError"),
            Some("directory timed out"),
        ),
        (
            vec![
                kv("error.type", s("stale_session")),
                kv("authtrail.outcome", s("success")),
            ],
            SUCCESS,
            Some("stale_session"),
            None,
        ),
        (
            vec![
                kv("authtrail.outcome", s("success")),
                kv("authtrail.reason", s("remembered device")),
            ],
            SUCCESS,
            None,
            Some("remembered device"),
        ),
    ];
    for (attrs, status, code, detail) in cases {
        let what = format!("{attrs:?}");
        let e = event(record("authtrail.login", attrs));
        assert_eq!(e.status_id, status, "{what}");
        assert_eq!(e.status_code.as_deref(), code, "{what}");
        assert_eq!(e.status_detail.as_deref(), detail, "{what}");
        let severity = if status == FAILURE {
            LOW
        } else {
            INFORMATIONAL
        };
        assert_eq!(e.severity_id, severity, "{what}");
    }
    // What did not decide stays unmapped.
    let e = event(record(
        "authtrail.login",
        vec![
            kv("authtrail.outcome", s("maybe")),
            kv("authtrail.reason", s("r")),
            kv("exception.message", s("m")),
        ],
    ));
    assert_eq!(
        otel(&e)["attributes"],
        json!({"authtrail.outcome": "maybe", "exception.message": "m"})
    );
}

#[test]
fn attributes_map_to_their_ocsf_fields() {
    let e = event(record(
        "authtrail.login",
        vec![
            kv("user.id", s("u-1842")),
            kv("user.name", s("alice")),
            kv("user.email", s("alice@example.org")),
            kv("user.full_name", s("Alice Liddell")),
            kv("client.address", s("2001:DB8::7")),
            kv("client.port", int(51234)),
            kv("server.address", s("login.example.org")),
            kv("server.port", int(443)),
            kv("user_agent.original", s("Mozilla/5.0")),
            kv("session.id", s("sess-91")),
            kv("authtrail.token.id", s("jti-7")),
            kv("authtrail.mfa", boolean(true)),
            kv("authtrail.auth_protocol", s("OIDC")),
            kv("log.record.uid", s("01JD8X")),
            kv("authtrail.outcome", s("success")),
        ],
    ));
    assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, SUCCESS));
    assert_eq!(e.time, 1_764_230_400_123);
    assert_eq!(e.metadata.extra["logged_time"], 1_764_230_400_128i64);
    let u = e.user.as_ref().unwrap();
    assert_eq!(u.uid.as_deref(), Some("u-1842"));
    assert_eq!(u.name.as_deref(), Some("alice"));
    assert_eq!(u.email_addr.as_deref(), Some("alice@example.org"));
    assert_eq!(u.extra["full_name"], "Alice Liddell");
    assert_eq!(src(&e), Some("2001:db8::7"));
    assert_eq!(e.src_endpoint.as_ref().unwrap().port, Some(51234));
    let dst = e.dst_endpoint.as_ref().unwrap();
    assert_eq!(dst.hostname.as_deref(), Some("login.example.org"));
    assert_eq!(dst.port, Some(443));
    assert_eq!(
        e.http_request.as_ref().unwrap().user_agent.as_deref(),
        Some("Mozilla/5.0")
    );
    let session = e.session.as_ref().unwrap();
    assert_eq!(session.uid.as_deref(), Some("sess-91"));
    assert_eq!(session.extra["credential_uid"], "jti-7");
    assert_eq!(e.is_mfa, Some(true));
    assert_eq!(e.auth_protocol_id, Some(OPENID));
    assert_eq!(e.auth_protocol.as_deref(), Some("OpenID"));
    assert_eq!(e.metadata.uid.as_deref(), Some("01JD8X"));
    assert_eq!(
        e.metadata.extra["correlation_uid"],
        "5b8efff798038103d269b633813fc60c"
    );
    assert_eq!(otel(&e)["span_id"], "eba21c093f6e4a01");
    assert_eq!(e.message.as_deref(), Some("user signed in"));
    // The resource: service, product, host.
    let service = e.service.as_ref().unwrap();
    assert_eq!(service.name.as_deref(), Some("login-api"));
    assert_eq!(service.extra["version"], "2.4.1");
    let product = e.metadata.product.as_ref().unwrap();
    assert_eq!(product.name.as_deref(), Some("login-api"));
    assert_eq!(product.vendor_name.as_deref(), Some("acme"));
    assert_eq!(product.version.as_deref(), Some("2.4.1"));
    assert_eq!(
        e.other["device"],
        json!({"hostname": "login-1.acme.internal", "type_id": 0, "type": "Unknown"})
    );
    assert_eq!(e.metadata.extra["profiles"], json!(["host"]));
    // Everything mapped is gone from the attributes; the rest is kept.
    assert!(otel(&e).get("attributes").is_none(), "{}", otel(&e));
    assert_eq!(
        otel(&e)["resource"],
        json!({"deployment.environment.name": "prod"})
    );
}

#[test]
fn addresses_ports_and_protocols() {
    let e = event(record(
        "authtrail.login",
        vec![
            kv("source.address", s("203.0.113.9")),
            kv("source.port", s("4443")),
            kv("authtrail.auth_protocol", s("webauthn")),
        ],
    ));
    assert_eq!(src(&e), Some("203.0.113.9"));
    assert_eq!(e.src_endpoint.as_ref().unwrap().port, Some(4443));
    assert_eq!(e.auth_protocol_id, Some(OTHER));
    assert_eq!(e.auth_protocol.as_deref(), Some("webauthn"));
    // No server.address: the host the service runs on is what was logged on to.
    assert_eq!(
        e.dst_endpoint.as_ref().unwrap().hostname.as_deref(),
        Some("login-1.acme.internal")
    );

    // A host name as the client address; a port out of range stays unmapped; client.address
    // wins over source.address.
    let e = event(record(
        "authtrail.login",
        vec![
            kv("client.address", s("vpn-gw.example.org")),
            kv("client.port", int(70000)),
            kv("source.address", s("198.51.100.1")),
        ],
    ));
    let src_endpoint = e.src_endpoint.as_ref().unwrap();
    assert_eq!(src_endpoint.ip, None);
    assert_eq!(src_endpoint.hostname.as_deref(), Some("vpn-gw.example.org"));
    assert_eq!(src_endpoint.port, None);
    assert_eq!(
        otel(&e)["attributes"],
        json!({"client.port": 70000, "source.address": "198.51.100.1"})
    );
    for (name, id) in [
        ("saml", SAML),
        ("oauth2", OAUTH2),
        ("kerberos", KERBEROS),
        ("ntlm", NTLM),
        ("ldap", LDAP),
        ("basic", BASIC_AUTHENTICATION),
        ("radius", RADIUS),
    ] {
        let e = event(record(
            "authtrail.login",
            vec![kv("authtrail.auth_protocol", s(name))],
        ));
        assert_eq!(e.auth_protocol_id, Some(id), "{name}");
    }
}

#[test]
fn unmapped_keeps_every_other_attribute_with_its_type() {
    let mut r = record(
        "authtrail.login",
        vec![
            kv("user.name", s("alice")),
            kv("app.tenant", s("t-9")),
            kv("app.attempt", int(3)),
            kv("app.score", double(0.75)),
            kv("app.nan", double(f64::NAN)),
            kv("app.new", boolean(false)),
            kv("app.raw", bytes(&[1, 2, 3])),
            kv("app.roles", array(vec![s("admin"), s("dev")])),
            kv("app.ctx", kvlist(vec![kv("a", int(1)), kv("b", s("x"))])),
            kv("session.previous_id", s("sess-90")),
            kv("user.id", int(42)),
        ],
    );
    r.severity_number = 9;
    r.flags = 1;
    r.dropped_attributes_count = 2;
    r.body = Some(kvlist(vec![kv("msg", s("structured"))]));
    let mut request = samples::request_of(vec![r]);
    if let Some(resource) = request.resource_logs[0].resource.as_mut() {
        resource.dropped_attributes_count = 1;
    }
    let e = event_of(&request);
    assert_eq!(
        *otel(&e),
        json!({
            "event_name": "authtrail.login",
            "span_id": "eba21c093f6e4a01",
            "severity_number": 9,
            "severity_text": "INFO",
            "flags": 1,
            "dropped_attributes_count": 2,
            "body": {"msg": "structured"},
            "attributes": {
                "app.tenant": "t-9",
                "app.attempt": 3,
                "app.score": 0.75,
                "app.nan": "NaN",
                "app.new": false,
                "app.raw": "AQID",
                "app.roles": ["admin", "dev"],
                "app.ctx": {"a": 1, "b": "x"},
                "session.previous_id": "sess-90",
                // Not a string: kept, not taken for the user's id.
                "user.id": 42
            },
            "resource": {"deployment.environment.name": "prod"},
            "resource_dropped_attributes_count": 1,
            "resource_schema_url": "https://opentelemetry.io/schemas/1.37.0",
            "scope_name": "com.acme.auth",
            "scope_version": "1.0.0",
            "scope_schema_url": "https://opentelemetry.io/schemas/1.37.0",
            "scope": {"acme.module": "sessions"}
        })
    );
    // A body that is not a string is no message.
    assert_eq!(e.message, None);
}

#[test]
fn account_changes_and_privilege_grants_use_what_their_classes_have() {
    let attrs = vec![
        kv("user.name", s("bob")),
        kv("session.id", s("sess-3")),
        kv("authtrail.token.id", s("jti-3")),
        kv("server.address", s("admin.example.org")),
        kv("authtrail.mfa", boolean(true)),
        kv(
            "authtrail.privileges",
            array(vec![s("billing:admin"), s("users:write")]),
        ),
        kv("client.address", s("192.0.2.44")),
    ];
    let e = event(record("authtrail.password.reset", attrs.clone()));
    assert_eq!(
        outcome(&e),
        (ACCOUNT_CHANGE, PASSWORD_RESET, STATUS_UNKNOWN)
    );
    assert_eq!(user(&e), Some("bob"));
    assert_eq!(src(&e), Some("192.0.2.44"));
    // Account Change has no session, service, dst_endpoint or is_mfa.
    assert_eq!(
        e.actor,
        Some(json!({"session": {"uid": "sess-3", "credential_uid": "jti-3"}}))
    );
    assert_eq!((e.session.as_ref(), e.service.as_ref()), (None, None));
    assert_eq!((e.dst_endpoint.as_ref(), e.is_mfa), (None, None));
    assert_eq!(e.other["device"]["hostname"], "login-1.acme.internal");
    let kept = &otel(&e)["attributes"];
    for key in ["server.address", "authtrail.mfa", "authtrail.privileges"] {
        assert!(kept.get(key).is_some(), "{key}: {kept}");
    }

    let e = event(record("authtrail.privilege.grant", attrs));
    assert_eq!(
        outcome(&e),
        (AUTHORIZE_SESSION, ASSIGN_PRIVILEGES, STATUS_UNKNOWN)
    );
    assert_eq!(
        e.other["privileges"],
        json!(["billing:admin", "users:write"])
    );
    assert_eq!(e.session.as_ref().unwrap().uid.as_deref(), Some("sess-3"));
    assert_eq!(
        e.dst_endpoint.as_ref().unwrap().hostname.as_deref(),
        Some("admin.example.org")
    );
    assert_eq!(e.service, None);
    assert_eq!(otel(&e)["attributes"], json!({"authtrail.mfa": true}));
    let e = event(record(
        "authtrail.privilege.grant",
        vec![kv("authtrail.privileges", s("root"))],
    ));
    assert_eq!(e.other["privileges"], json!(["root"]));
}

#[test]
fn users_named_by_email_and_records_naming_nobody() {
    let e = event(record(
        "authtrail.login",
        vec![kv("user.email", s("carol@example.org"))],
    ));
    assert_eq!(user(&e), Some("carol@example.org"));
    let e = event(record("authtrail.login", vec![kv("enduser.id", s("e-5"))]));
    assert_eq!(e.user.as_ref().unwrap().uid.as_deref(), Some("e-5"));
    let e = event(record("authtrail.login", vec![]));
    assert_eq!(user(&e), None);
    assert!(e.user.is_some(), "OCSF requires a user: the unknown one");
}

#[test]
fn a_resource_without_a_service_is_an_unknown_service() {
    let mut request = samples::request_of(vec![record("authtrail.login", vec![])]);
    request.resource_logs[0].resource = None;
    request.resource_logs[0].scope_logs[0].scope = None;
    request.resource_logs[0].schema_url.clear();
    request.resource_logs[0].scope_logs[0].schema_url.clear();
    let e = event_of(&request);
    let product = e.metadata.product.as_ref().unwrap();
    assert_eq!(product.name.as_deref(), Some("unknown_service"));
    assert_eq!(product.vendor_name.as_deref(), Some("OpenTelemetry"));
    // OCSF's Authentication needs a service or a destination: the product stands in.
    assert_eq!(
        e.service.as_ref().unwrap().name.as_deref(),
        Some("unknown_service")
    );
    assert!(!e.other.contains_key("device"));
    assert!(!e.metadata.extra.contains_key("profiles"));
    assert_eq!(
        otel(&e).as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["event_name", "severity_number", "severity_text", "span_id"]
    );
}

#[test]
fn time_falls_back_to_observed_then_received() {
    let mut r = record("authtrail.login", vec![]);
    r.time_unix_nano = 0;
    let e = event(r.clone());
    assert_eq!(e.time, 1_764_230_400_128);
    r.observed_time_unix_nano = 0;
    let e = event(r);
    assert_eq!(e.time, RECEIVED_MS);
    assert!(!e.metadata.extra.contains_key("logged_time"));
    assert_eq!(TIME_NS / 1_000_000, 1_764_230_400_123);
}

#[test]
fn records_that_are_not_authtrail_events_are_unrecognized_with_a_reason() {
    let one = |r: LogRecord| samples::request_of(vec![r]);
    let cases = [
        (one(record("", vec![])), "no event name"),
        (
            one(record("", vec![kv("event.name", int(1))])),
            "no event name",
        ),
        (
            one(record("user.login", vec![])),
            "\"user.login\" is not an authtrail event",
        ),
        (
            one(record("authtrail.teleport", vec![])),
            "\"authtrail.teleport\" is not an event name of authtrail's vocabulary",
        ),
        (
            samples::request_of(vec![record("authtrail.login", vec![]); 2]),
            "holds 2 log records",
        ),
        (samples::request_of(vec![]), "holds 0 log records"),
        (
            one(record(
                "authtrail.privilege.grant",
                vec![kv("authtrail.privileges", int(1))],
            )),
            "authtrail.privilege.grant names no privileges",
        ),
    ];
    for (request, reason) in cases {
        let why = refused(&request);
        assert!(why.contains(reason), "{why}");
    }
    test_support::assert_unrecognized(
        parse,
        ctx,
        [
            ("{\"resourceLogs\": [", "invalid JSON"),
            (
                "[]",
                "not an OTLP logs request: request: expected an object",
            ),
            (
                r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"spanId":"00"}]}]}]}"#,
                "resourceLogs[0].scopeLogs[0].logRecords[0].spanId",
            ),
        ],
    );
}

#[test]
fn every_unsigned_time_is_within_the_years_ocsf_takes() {
    let mut r = record("authtrail.login", vec![]);
    r.time_unix_nano = u64::MAX;
    assert_eq!(event(r).time, 18_446_744_073_709);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(
        s in "\\PC{0,160}",
        t in r#"\{"resourceLogs":\[\{"resource":\{"attributes":\[\{"key":"(service.name|host.name)","value":\{"(stringValue|intValue)":"[a-z0-9]{0,4}"\}\}\]\},"scopeLogs":\[\{"logRecords":\[\{"timeUnixNano":"[0-9]{0,22}","eventName":"authtrail.(login|mfa|privilege.grant|password.reset|x)","attributes":\[\{"key":"(user.name|client.address|client.port|authtrail.outcome|error.type|authtrail.privileges|session.id)","value":\{"(stringValue|intValue|boolValue|arrayValue)":"[a-z0-9.:]{0,8}"\}\}\]\}\]\}\]\}\]\}"#,
    ) {
        test_support::parse_never_panics(parse, ctx, [s.as_str(), t.as_str()]);
    }
}
