//! OpenTelemetry log records that name an authtrail event: an application's own identity
//! service (a login page, a token endpoint, an admin console) reports what it did through its
//! OpenTelemetry logging, and each such record becomes an OCSF event.
//!
//! The input is one one-record OTLP/JSON request, as [`crate::decode::otlp::split`] makes them.
//! The record's event name (its `eventName` field, else its `event.name` attribute) decides the
//! class and activity ([`VOCABULARY`]); names must carry the `authtrail.` prefix, so that the
//! other logs an application or a Collector sends are kept unparsed rather than taken for
//! authentication. Attributes that OCSF has a place for go there (`user.id` → `user.uid`,
//! `client.address` → `src_endpoint`, …; docs/SOURCES.md has the table); every other attribute
//! of the record, its resource and its scope is kept, typed, under `unmapped.otel`.

use authtrail_model::{Endpoint, HttpRequest, Product, Service, Session, User};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use serde_json::{json, Map, Value};

use crate::decode::otlp::{read, write};
use crate::parse::build::{
    self, ProductInfo, ACCOUNT_CHANGE, ACCOUNT_CREATE, ACCOUNT_DELETE, ASSIGN_PRIVILEGES,
    AUTHENTICATION, AUTHENTICATION_TICKET, AUTHORIZE_SESSION, BASIC_AUTHENTICATION, CHAP, DIGEST,
    DISABLE, EAP, ENABLE, FAILURE, KERBEROS, LDAP, LOCK, LOGOFF, LOGON, MFA_FACTOR_DISABLE,
    MFA_FACTOR_ENABLE, NTLM, OAUTH2, OPENID, OTHER, PAP, PASSWORD_CHANGE, PASSWORD_RESET, RADIUS,
    SAML, SERVICE_TICKET_RENEW, STATUS_UNKNOWN, SUCCESS, UNLOCK,
};
use crate::parse::{ParseContext, ParseResult, Unrecognized};

/// The product of an event whose resource names no service (OpenTelemetry's own default name).
pub const PRODUCT: ProductInfo = ProductInfo {
    name: "unknown_service",
    vendor: "OpenTelemetry",
};

/// The prefix every event name of the vocabulary carries.
pub const PREFIX: &str = "authtrail.";

/// What an event name maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kind {
    /// OCSF class.
    pub class_uid: u32,
    /// Activity within the class.
    pub activity_id: i32,
    /// Whether the event is a second factor's (`is_mfa`).
    pub mfa: bool,
}

const fn kind(class_uid: u32, activity_id: i32) -> Kind {
    Kind {
        class_uid,
        activity_id,
        mfa: false,
    }
}

/// authtrail's event vocabulary: each event name and the OCSF class and activity it maps to.
pub const VOCABULARY: &[(&str, Kind)] = &[
    ("authtrail.login", kind(AUTHENTICATION, LOGON)),
    ("authtrail.logout", kind(AUTHENTICATION, LOGOFF)),
    (
        "authtrail.mfa",
        Kind {
            mfa: true,
            ..kind(AUTHENTICATION, LOGON)
        },
    ),
    (
        "authtrail.token.issue",
        kind(AUTHENTICATION, AUTHENTICATION_TICKET),
    ),
    // OCSF has no token refresh; renewing a ticket is the nearest.
    (
        "authtrail.token.refresh",
        kind(AUTHENTICATION, SERVICE_TICKET_RENEW),
    ),
    // A revoked token ends the access it gave; `unmapped.otel.event_name` tells it from a logout.
    ("authtrail.token.revoke", kind(AUTHENTICATION, LOGOFF)),
    (
        "authtrail.account.create",
        kind(ACCOUNT_CHANGE, ACCOUNT_CREATE),
    ),
    ("authtrail.account.enable", kind(ACCOUNT_CHANGE, ENABLE)),
    ("authtrail.account.disable", kind(ACCOUNT_CHANGE, DISABLE)),
    (
        "authtrail.account.delete",
        kind(ACCOUNT_CHANGE, ACCOUNT_DELETE),
    ),
    ("authtrail.account.lock", kind(ACCOUNT_CHANGE, LOCK)),
    ("authtrail.account.unlock", kind(ACCOUNT_CHANGE, UNLOCK)),
    (
        "authtrail.password.change",
        kind(ACCOUNT_CHANGE, PASSWORD_CHANGE),
    ),
    (
        "authtrail.password.reset",
        kind(ACCOUNT_CHANGE, PASSWORD_RESET),
    ),
    (
        "authtrail.mfa.enroll",
        kind(ACCOUNT_CHANGE, MFA_FACTOR_ENABLE),
    ),
    (
        "authtrail.mfa.remove",
        kind(ACCOUNT_CHANGE, MFA_FACTOR_DISABLE),
    ),
    (
        "authtrail.privilege.grant",
        kind(AUTHORIZE_SESSION, ASSIGN_PRIVILEGES),
    ),
];

/// The kind of an event name, if the vocabulary has it.
pub fn kind_of(name: &str) -> Option<Kind> {
    VOCABULARY
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, kind)| *kind)
}

/// Map one one-record OTLP/JSON request to an OCSF event.
pub fn parse(text: &str, ctx: &mut ParseContext) -> ParseResult {
    let value: Value = serde_json::from_str(text.trim())
        .map_err(|e| Unrecognized::because(format!("invalid JSON OTLP request: {e}")))?;
    let request = read::request(&value)
        .map_err(|e| Unrecognized::because(format!("not an OTLP logs request: {e}")))?;
    let count: usize = request
        .resource_logs
        .iter()
        .flat_map(|r| &r.scope_logs)
        .map(|s| s.log_records.len())
        .sum();
    if count != 1 {
        return Err(Unrecognized::because(format!(
            "the request holds {count} log records; authtrail maps requests of one (ingest \
             with --format otlp, which splits them)"
        )));
    }
    let has_record = |s: &ScopeLogs| !s.log_records.is_empty();
    let Some(mut resource_logs) = request
        .resource_logs
        .into_iter()
        .find(|r| r.scope_logs.iter().any(has_record))
    else {
        return Err(Unrecognized::new("the request holds no log record"));
    };
    let Some(mut scope_logs) = std::mem::take(&mut resource_logs.scope_logs)
        .into_iter()
        .find(has_record)
    else {
        return Err(Unrecognized::new("the request holds no log record"));
    };
    let Some(record) = scope_logs.log_records.pop() else {
        return Err(Unrecognized::new("the request holds no log record"));
    };
    map(resource_logs, scope_logs, record, ctx)
}

/// The record as an OCSF event, with its resource and scope.
fn map(
    resource_logs: ResourceLogs,
    scope_logs: ScopeLogs,
    record: LogRecord,
    ctx: &ParseContext,
) -> ParseResult {
    let resource = resource_logs.resource.unwrap_or_default();
    let scope = scope_logs.scope.unwrap_or_default();
    let mut attrs = Attributes(record.attributes);
    let mut res = Attributes(resource.attributes);

    let name = if record.event_name.is_empty() {
        attrs.take_str("event.name").ok_or_else(|| {
            Unrecognized::new(
                "no event name (the eventName field or the event.name attribute): not an \
                 authtrail event",
            )
        })?
    } else {
        record.event_name
    };
    let Some(kind) = kind_of(&name) else {
        return Err(Unrecognized::because(if name.starts_with(PREFIX) {
            format!("{name:?} is not an event name of authtrail's vocabulary")
        } else {
            format!("event {name:?} is not an authtrail event (their names start with {PREFIX:?})")
        }));
    };
    let (status_id, status_code, status_detail) = outcome(&mut attrs);
    let observed_ms =
        (record.observed_time_unix_nano > 0).then(|| ns_to_ms(record.observed_time_unix_nano));
    let time_ms = match record.time_unix_nano {
        0 => observed_ms.unwrap_or(ctx.received_ms),
        ns => ns_to_ms(ns),
    };

    let mut e = build::new_event(
        kind.class_uid,
        kind.activity_id,
        status_id,
        time_ms,
        PRODUCT,
    );
    e.status_code = status_code;
    e.status_detail = status_detail;
    if let Some(ms) = observed_ms {
        e.metadata
            .extra
            .insert("logged_time".into(), Value::from(ms));
    }
    let service_name = res
        .take_str("service.name")
        .or_else(|| attrs.take_str("service.name"));
    let service_version = res.take_str("service.version");
    e.metadata.product = Some(Product {
        name: Some(service_name.clone().unwrap_or_else(|| PRODUCT.name.into())),
        vendor_name: Some(
            res.take_str("service.namespace")
                .unwrap_or_else(|| PRODUCT.vendor.into()),
        ),
        version: service_version.clone(),
        ..Product::default()
    });
    e.metadata.uid = attrs.take_str("log.record.uid");
    if !record.trace_id.is_empty() {
        e.metadata.extra.insert(
            "correlation_uid".into(),
            Value::from(hex::encode(&record.trace_id)),
        );
    }
    let mut body = None;
    match record.body {
        Some(AnyValue {
            value: Some(any_value::Value::StringValue(text)),
        }) if !text.is_empty() => e.message = Some(text),
        Some(other) => body = Some(typed(&other)),
        None => {}
    }

    e.user = user(&mut attrs);
    e.src_endpoint = endpoint(&mut attrs, "client.address", "client.port")
        .or_else(|| endpoint(&mut attrs, "source.address", "source.port"));
    if let Some(agent) = attrs.take_str("user_agent.original") {
        e.http_request = Some(HttpRequest {
            user_agent: Some(agent),
            ..HttpRequest::default()
        });
    }
    let host = res
        .take_str("host.name")
        .or_else(|| attrs.take_str("host.name"));
    match kind.class_uid {
        AUTHENTICATION | AUTHORIZE_SESSION => {
            e.dst_endpoint = endpoint(&mut attrs, "server.address", "server.port")
                .or_else(|| host.as_deref().map(build::host));
            e.session = session(&mut attrs);
        }
        _ => {
            // Account Change has no session of its own: the change was made in the actor's.
            if let Some(s) = session(&mut attrs).and_then(|s| serde_json::to_value(s).ok()) {
                build::set_actor(&mut e, "session", s);
            }
        }
    }
    if kind.class_uid == AUTHENTICATION {
        if service_name.is_some() {
            let mut service = Service {
                name: service_name,
                ..Service::default()
            };
            if let Some(v) = service_version {
                service.extra.insert("version".into(), Value::from(v));
            }
            e.service = Some(service);
        }
        e.is_mfa = if kind.mfa {
            Some(true)
        } else {
            attrs.take("authtrail.mfa", |v| match v {
                any_value::Value::BoolValue(b) => Some(*b),
                _ => None,
            })
        };
        if let Some((id, caption)) = attrs.take_str("authtrail.auth_protocol").map(auth_protocol) {
            e.auth_protocol_id = Some(id);
            e.auth_protocol = caption;
        }
    }
    if kind.class_uid == AUTHORIZE_SESSION {
        // OCSF's Authorize Session says what was granted.
        let privileges = attrs.take("authtrail.privileges", strings).ok_or_else(|| {
            Unrecognized::because(format!(
                "{name} names no privileges (the authtrail.privileges attribute: a string or \
                 an array of strings)"
            ))
        })?;
        e.other.insert("privileges".into(), json!(privileges));
    }
    if let Some(host) = host {
        // `device` comes from OCSF's host profile, which the event then names.
        e.other.insert(
            "device".into(),
            json!({ "hostname": host, "type_id": 0, "type": "Unknown" }),
        );
        e.metadata.extra.insert("profiles".into(), json!(["host"]));
    }

    let mut otel = Map::new();
    otel.insert("event_name".into(), Value::from(name));
    let mut put = |key: &str, value: Value| {
        otel.insert(key.into(), value);
    };
    if !record.span_id.is_empty() {
        put("span_id", Value::from(hex::encode(&record.span_id)));
    }
    if record.severity_number != 0 {
        put("severity_number", Value::from(record.severity_number));
    }
    if !record.severity_text.is_empty() {
        put("severity_text", Value::from(record.severity_text));
    }
    if record.flags != 0 {
        put("flags", Value::from(record.flags));
    }
    if record.dropped_attributes_count != 0 {
        put(
            "dropped_attributes_count",
            Value::from(record.dropped_attributes_count),
        );
    }
    if let Some(body) = body {
        put("body", body);
    }
    if !attrs.0.is_empty() {
        put("attributes", attrs.into_json());
    }
    if !res.0.is_empty() {
        put("resource", res.into_json());
    }
    if resource.dropped_attributes_count != 0 {
        put(
            "resource_dropped_attributes_count",
            Value::from(resource.dropped_attributes_count),
        );
    }
    if !resource.entity_refs.is_empty() {
        let refs = resource.entity_refs.iter().map(write::entity_ref).collect();
        put("resource_entity_refs", Value::Array(refs));
    }
    if !resource_logs.schema_url.is_empty() {
        put("resource_schema_url", Value::from(resource_logs.schema_url));
    }
    scope_fields(scope, scope_logs.schema_url, &mut put);
    e.unmapped.insert("otel".into(), Value::Object(otel));
    Ok(e)
}

/// The instrumentation scope's fields, under `unmapped.otel`.
fn scope_fields(
    scope: InstrumentationScope,
    schema_url: String,
    put: &mut impl FnMut(&str, Value),
) {
    if !scope.name.is_empty() {
        put("scope_name", Value::from(scope.name));
    }
    if !scope.version.is_empty() {
        put("scope_version", Value::from(scope.version));
    }
    if !schema_url.is_empty() {
        put("scope_schema_url", Value::from(schema_url));
    }
    if scope.dropped_attributes_count != 0 {
        put(
            "scope_dropped_attributes_count",
            Value::from(scope.dropped_attributes_count),
        );
    }
    if !scope.attributes.is_empty() {
        put("scope", Attributes(scope.attributes).into_json());
    }
}

/// The outcome: `(status_id, status_code, status_detail)`.
///
/// `authtrail.outcome`, else `event.outcome` (`success`, `failure` or `unknown`, any case)
/// decides; without either, an `error.type` makes it a failure, and nothing makes it unknown.
/// `error.type` is the status code; the detail is `authtrail.reason`, else
/// `exception.message`, else (for a failure) the `error.type`.
fn outcome(attrs: &mut Attributes) -> (i32, Option<String>, Option<String>) {
    let declared = ["authtrail.outcome", "event.outcome"]
        .iter()
        .find_map(|key| {
            attrs.take(key, |v| match v {
                any_value::Value::StringValue(s) => match s.to_ascii_lowercase().as_str() {
                    "success" => Some(SUCCESS),
                    "failure" => Some(FAILURE),
                    "unknown" => Some(STATUS_UNKNOWN),
                    _ => None,
                },
                _ => None,
            })
        });
    let error_type = attrs.take_str("error.type");
    let status = declared.unwrap_or(if error_type.is_some() {
        FAILURE
    } else {
        STATUS_UNKNOWN
    });
    let detail = attrs
        .take_str("authtrail.reason")
        .or_else(|| attrs.take_str("exception.message"))
        .or_else(|| error_type.clone().filter(|_| status == FAILURE));
    (status, error_type, detail)
}

/// The user the record names (`user.id`, else `enduser.id`; `user.name`; `user.email`;
/// `user.full_name`), named by the email or full name when it has no name or id.
fn user(attrs: &mut Attributes) -> Option<User> {
    let mut user = User {
        uid: attrs
            .take_str("user.id")
            .or_else(|| attrs.take_str("enduser.id")),
        name: attrs.take_str("user.name"),
        email_addr: attrs.take_str("user.email"),
        ..User::default()
    };
    let full_name = attrs.take_str("user.full_name");
    if user.name.is_none() && user.uid.is_none() {
        // OCSF names a user by name or id.
        user.name = user.email_addr.clone().or_else(|| full_name.clone());
    }
    if let Some(full_name) = full_name {
        user.extra
            .insert("full_name".into(), Value::from(full_name));
    }
    (user != User::default()).then_some(user)
}

/// The endpoint at `address_key` (an IP address, else a host name) and `port_key`.
fn endpoint(attrs: &mut Attributes, address_key: &str, port_key: &str) -> Option<Endpoint> {
    let address = attrs.take_str(address_key)?;
    let port = attrs.take(port_key, |v| match v {
        any_value::Value::IntValue(p) => u16::try_from(*p).ok(),
        any_value::Value::StringValue(p) => p.parse().ok(),
        _ => None,
    });
    Some(build::endpoint(&address, port))
}

/// The session (`session.id`) and the token it was given (`authtrail.token.id`, as the
/// session's `credential_uid`).
fn session(attrs: &mut Attributes) -> Option<Session> {
    let mut session = Session {
        uid: attrs.take_str("session.id"),
        ..Session::default()
    };
    if let Some(token) = attrs.take_str("authtrail.token.id") {
        session
            .extra
            .insert("credential_uid".into(), Value::from(token));
    }
    (session != Session::default()).then_some(session)
}

/// `auth_protocol_id` of a protocol name, with the name as the caption when OCSF has no value
/// for it (Other).
fn auth_protocol(name: String) -> (i32, Option<String>) {
    let id = match name.to_ascii_lowercase().as_str() {
        "ntlm" => NTLM,
        "kerberos" => KERBEROS,
        "digest" => DIGEST,
        "oidc" | "openid" | "openid_connect" | "openid-connect" => OPENID,
        "saml" | "saml2" => SAML,
        "oauth" | "oauth2" | "oauth2.0" | "oauth 2.0" => OAUTH2,
        "pap" => PAP,
        "chap" => CHAP,
        "eap" => EAP,
        "radius" => RADIUS,
        "basic" => BASIC_AUTHENTICATION,
        "ldap" => LDAP,
        _ => return (OTHER, Some(name)),
    };
    (id, None)
}

/// A string, or an array of strings, as a list.
fn strings(v: &any_value::Value) -> Option<Vec<String>> {
    match v {
        any_value::Value::StringValue(s) if !s.is_empty() => Some(vec![s.clone()]),
        any_value::Value::ArrayValue(a) if !a.values.is_empty() => a
            .values
            .iter()
            .map(|item| match &item.value {
                Some(any_value::Value::StringValue(s)) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// Nanoseconds since the epoch as milliseconds.
fn ns_to_ms(ns: u64) -> i64 {
    i64::try_from(ns / 1_000_000).unwrap_or(i64::MAX)
}

/// An `AnyValue` as plain JSON of its type: strings, booleans, integers and doubles as such
/// (doubles that are not finite as `"NaN"`, `"Infinity"`, `"-Infinity"`), arrays as arrays,
/// key-value lists as objects, bytes as base64, nothing as `null`.
pub fn typed(v: &AnyValue) -> Value {
    use base64::Engine;
    match &v.value {
        None => Value::Null,
        Some(any_value::Value::StringValue(s)) => Value::from(s.as_str()),
        Some(any_value::Value::BoolValue(b)) => Value::Bool(*b),
        Some(any_value::Value::IntValue(i)) => Value::from(*i),
        Some(any_value::Value::DoubleValue(d)) => write::double(*d),
        Some(any_value::Value::ArrayValue(a)) => Value::Array(a.values.iter().map(typed).collect()),
        Some(any_value::Value::KvlistValue(list)) => Value::Object(
            list.values
                .iter()
                .map(|kv| (kv.key.clone(), kv.value.as_ref().map_or(Value::Null, typed)))
                .collect(),
        ),
        Some(any_value::Value::BytesValue(b)) => {
            Value::from(base64::engine::general_purpose::STANDARD.encode(b))
        }
        Some(any_value::Value::StringValueStrindex(i)) => Value::from(*i),
    }
}

/// Attributes, taken one by one as they are mapped; what is left goes to `unmapped`.
struct Attributes(Vec<KeyValue>);

impl Attributes {
    /// Remove `key` when `read` accepts its value (the last, if the key repeats) and return what
    /// `read` made of it; a value `read` refuses stays, to be kept unmapped.
    fn take<T>(&mut self, key: &str, read: impl Fn(&any_value::Value) -> Option<T>) -> Option<T> {
        let at = self.0.iter().rposition(|kv| kv.key == key)?;
        let value = self.0[at].value.as_ref()?.value.as_ref()?;
        let out = read(value)?;
        self.0.retain(|kv| kv.key != key);
        Some(out)
    }

    /// A non-empty string attribute.
    fn take_str(&mut self, key: &str) -> Option<String> {
        self.take(key, |v| match v {
            any_value::Value::StringValue(s) if !s.is_empty() => Some(s.clone()),
            _ => None,
        })
    }

    /// The attributes left, by key, with their typed values (a repeated key keeps its last).
    fn into_json(self) -> Value {
        Value::Object(
            self.0
                .into_iter()
                .map(|kv| (kv.key, kv.value.as_ref().map_or(Value::Null, typed)))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests;
