//! authentik events as its server logs them: one JSON object per line with `action`,
//! `client_ip`, `context` (`geo`, `http_request`, `auth_method`, the `username` tried, …), the
//! acting `user` or the `identifier` typed, `host`, `request_id` and a `timestamp`.
//!
//! `login`, `login_failed`, `invalid_identifier` and `logout` are Authentication events;
//! `password_set` and `password_changed` are Account Change (Password Change); other actions are
//! not authentication events.

use authtrail_model::{Endpoint, HttpRequest, Location, User};
use serde_json::{Map, Value};

use crate::parse::build::{
    self, ProductInfo, ACCOUNT_CHANGE, AUTHENTICATION, FAILURE, LOGOFF, LOGON, PASSWORD_CHANGE,
    SUCCESS,
};
use crate::parse::json_fields::{self, take_str};
use crate::parse::{ParseContext, ParseResult, Unrecognized};

/// authentik, as `metadata.product`.
pub const PRODUCT: ProductInfo = ProductInfo {
    name: "authentik",
    vendor: "Authentik Security",
};

/// The user authentik records for requests nobody is logged in to.
const ANONYMOUS: &str = "AnonymousUser";

/// Map one authentik event (a JSON line) to an OCSF event.
pub fn parse(text: &str, ctx: &mut ParseContext) -> ParseResult {
    let line = text.trim_end_matches(['\r', '\n']).trim();
    let mut map = json_fields::object(line, "authentik line")?;
    let action = match map.remove("action") {
        Some(Value::String(a)) => a,
        _ => return Err(Unrecognized::new("not an authentik event: no action")),
    };
    let (class_uid, activity_id, status_id) = match action.as_str() {
        "login" => (AUTHENTICATION, LOGON, SUCCESS),
        "login_failed" | "invalid_identifier" => (AUTHENTICATION, LOGON, FAILURE),
        "logout" => (AUTHENTICATION, LOGOFF, SUCCESS),
        "password_set" | "password_changed" => (ACCOUNT_CHANGE, PASSWORD_CHANGE, SUCCESS),
        other => {
            return Err(Unrecognized::because(format!(
                "authentik action {other:?} is not an authentication event"
            )))
        }
    };
    let timestamp = map.remove("timestamp");
    let time_ms = json_fields::rfc3339_time(timestamp.as_ref(), "timestamp", ctx)?;
    let mut context = match map.remove("context") {
        Some(Value::Object(c)) => c,
        Some(other) => {
            map.insert("context".into(), other);
            Map::new()
        }
        None => Map::new(),
    };

    let mut e = build::new_event(class_uid, activity_id, status_id, time_ms, PRODUCT);

    // The account: the name tried for failures, else the event's user.
    let event_user = map.remove("user");
    let tried = if status_id == FAILURE {
        take_str(&mut context, "username").or_else(|| take_str(&mut map, "identifier"))
    } else {
        None
    };
    let target = match &tried {
        Some(name) => Some(build::user(name)),
        None => event_user.as_ref().and_then(user_of),
    };
    e.user = target;
    if tried.is_some() {
        // The request's user is someone else (or nobody: AnonymousUser).
        match event_user.as_ref().and_then(user_of) {
            Some(actor) if actor.name.as_deref() != Some(ANONYMOUS) => {
                e.actor = Some(serde_json::json!({ "user": actor }));
            }
            _ => {
                if let Some(u) = event_user {
                    e.unmapped.insert("authentik.user".into(), u);
                }
            }
        }
    } else if e.user.is_none() {
        if let Some(u) = event_user {
            e.unmapped.insert("authentik.user".into(), u);
        }
    }

    if let Some(ip) = take_str(&mut map, "client_ip") {
        let mut src = build::endpoint(&ip, None);
        if let Some(Value::Object(geo)) = context.remove("geo") {
            src.location = Some(location(geo));
        }
        e.src_endpoint = Some(src);
    }
    if let Some(host) = take_str(&mut map, "host") {
        e.dst_endpoint = Some(host_endpoint(&host));
    }

    let mut http = HttpRequest::default();
    if let Some(Value::Object(mut req)) = context.remove("http_request") {
        if let Some(m) = take_str(&mut req, "method") {
            http.extra.insert("http_method".into(), Value::from(m));
        }
        if let Some(p) = take_str(&mut req, "path") {
            let mut url = Map::new();
            url.insert("path".into(), Value::from(p));
            http.extra.insert("url".into(), Value::Object(url));
        }
        if let Some(ua) = take_str(&mut req, "user_agent") {
            http.user_agent = Some(ua);
        }
        for (k, v) in req {
            e.unmapped
                .insert(format!("authentik.context.http_request.{k}"), v);
        }
    }
    if let Some(id) = take_str(&mut map, "request_id") {
        http.extra.insert("uid".into(), Value::from(id));
    }
    if http.user_agent.is_some() || !http.extra.is_empty() {
        e.http_request = Some(http);
    }

    // MFA: authentik lists the devices used in the login's `auth_method_args`.
    if action == "login" {
        let mfa = context
            .get("auth_method_args")
            .and_then(|a| a.get("mfa_devices"))
            .and_then(Value::as_array)
            .is_some_and(|d| !d.is_empty());
        e.is_mfa = Some(mfa);
    }
    e.status_detail = match action.as_str() {
        "invalid_identifier" => Some("invalid identifier".into()),
        "login_failed" => take_str(&mut context, "message").or_else(|| {
            context
                .get("stage")
                .and_then(|s| s.get("name"))
                .and_then(Value::as_str)
                .map(|stage| format!("failed at stage {stage}"))
        }),
        _ => None,
    };
    if let Some(event) = take_str(&mut map, "event") {
        e.message = Some(event);
    }
    e.unmapped
        .insert("authentik.action".into(), Value::from(action));
    for (k, v) in context {
        e.unmapped.insert(format!("authentik.context.{k}"), v);
    }
    for (k, v) in map {
        e.unmapped.insert(format!("authentik.{k}"), v);
    }
    Ok(e)
}

/// An authentik user object (`username`, `pk`, `email`) as an OCSF user.
fn user_of(value: &Value) -> Option<User> {
    let name = value.get("username").and_then(Value::as_str)?;
    let mut user = build::user(name);
    user.uid = match value.get("pk") {
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    user.email_addr = value
        .get("email")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .map(String::from);
    Some(user)
}

/// `context.geo` as an OCSF location (the continent kept as OCSF's `continent`).
fn location(mut geo: Map<String, Value>) -> Location {
    let mut loc = Location {
        country: take_str(&mut geo, "country"),
        city: take_str(&mut geo, "city"),
        lat: geo.remove("lat").and_then(|v| v.as_f64()),
        long: geo.remove("long").and_then(|v| v.as_f64()),
        ..Location::default()
    };
    for (k, v) in geo {
        loc.extra.insert(k, v);
    }
    loc
}

/// The `host` authentik was reached at (`name` or `name:port`).
fn host_endpoint(host: &str) -> Endpoint {
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') || name.ends_with(']') => match port.parse() {
            Ok(port) => build::endpoint(
                name.trim_start_matches('[').trim_end_matches(']'),
                Some(port),
            ),
            Err(_) => build::endpoint(host, None),
        },
        _ => build::endpoint(host, None),
    }
}

#[cfg(test)]
mod tests {
    use authtrail_model::Event;

    use super::*;
    use crate::parse::test_support::{self, ctx, src, user};

    fn parsed(line: &str) -> Event {
        test_support::parsed(parse, line, &mut ctx())
    }

    const FAILED: &str = r#"{"action": "login_failed", "auth_via": "unauthenticated", "client_ip": "1.2.3.4", "context": {"geo": {"city": "Washington", "continent": "NA", "country": "US", "lat": 38.8894, "long": -77.0353}, "http_request": {"args": {"next": "/"}, "method": "POST", "path": "/api/v3/flows/executor/default-authentication-flow/"}, "password": "****", "stage": {"app": "authentik_stages_password", "name": "default-authentication-password", "pk": "abc"}, "username": "myuser"}, "event": "Created Event", "host": "auth.example.org", "level": "info", "pid": 1, "request_id": "a60c", "timestamp": "2023-10-17T17:39:46.598288", "user": {"email": "", "pk": 2, "username": "AnonymousUser"}}"#;

    #[test]
    fn failed_logins_name_the_user_tried() {
        let e = parsed(FAILED);
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (AUTHENTICATION, LOGON, FAILURE)
        );
        assert_eq!(user(&e), Some("myuser"));
        assert_eq!(src(&e), Some("1.2.3.4"));
        assert_eq!(e.time, 1_697_564_386_598);
        assert_eq!(
            e.status_detail.as_deref(),
            Some("failed at stage default-authentication-password")
        );
        let loc = e
            .src_endpoint
            .as_ref()
            .and_then(|s| s.location.as_ref())
            .unwrap();
        assert_eq!(loc.country.as_deref(), Some("US"));
        assert_eq!(loc.city.as_deref(), Some("Washington"));
        assert_eq!((loc.lat, loc.long), (Some(38.8894), Some(-77.0353)));
        assert_eq!(loc.extra["continent"], "NA");
        // Nobody was logged in: AnonymousUser is kept, not made the actor.
        assert!(e.actor.is_none());
        assert_eq!(e.unmapped["authentik.user"]["username"], ANONYMOUS);
        let http = e.http_request.as_ref().unwrap();
        assert_eq!(http.extra["http_method"], "POST");
        assert_eq!(http.extra["uid"], "a60c");
        assert_eq!(
            http.extra["url"]["path"],
            "/api/v3/flows/executor/default-authentication-flow/"
        );
        assert_eq!(
            e.dst_endpoint.as_ref().and_then(|d| d.hostname.as_deref()),
            Some("auth.example.org")
        );
        assert_eq!(e.unmapped["authentik.auth_via"], "unauthenticated");
        assert_eq!(
            e.unmapped["authentik.context.http_request.args"]["next"],
            "/"
        );
        assert_eq!(e.message.as_deref(), Some("Created Event"));
        let product = e.metadata.product.as_ref().unwrap();
        assert_eq!(product.name.as_deref(), Some("authentik"));
        assert_eq!(product.vendor_name.as_deref(), Some("Authentik Security"));
    }

    #[test]
    fn invalid_identifiers_are_failures() {
        let e = parsed(
            r#"{"action": "invalid_identifier", "client_ip": "2001:DB8::5", "context": {"stage": "<view>"}, "event": "invalid_login", "host": "h", "identifier": "wronguser", "timestamp": "2023-10-17T17:31:29.487016Z"}"#,
        );
        assert_eq!(e.status_id, FAILURE);
        assert_eq!(user(&e), Some("wronguser"));
        assert_eq!(src(&e), Some("2001:db8::5"));
        assert_eq!(e.status_detail.as_deref(), Some("invalid identifier"));
        assert_eq!(e.time, 1_697_563_889_487);
    }

    #[test]
    fn logins_logouts_and_password_changes() {
        let e = parsed(
            r#"{"action": "login", "client_ip": "1.2.3.4", "context": {"auth_method": "password", "auth_method_args": {"mfa_devices": [{"pk": 1}]}}, "timestamp": "2023-10-17T17:32:24.328552", "user": {"email": "m@example.org", "pk": 6, "username": "myuser"}}"#,
        );
        assert_eq!((e.activity_id, e.status_id), (LOGON, SUCCESS));
        let u = e.user.as_ref().unwrap();
        assert_eq!(u.name.as_deref(), Some("myuser"));
        assert_eq!(u.uid.as_deref(), Some("6"));
        assert_eq!(u.email_addr.as_deref(), Some("m@example.org"));
        assert_eq!(e.is_mfa, Some(true));
        assert_eq!(e.unmapped["authentik.context.auth_method"], "password");

        let e = parsed(
            r#"{"action": "logout", "client_ip": "1.2.3.4", "timestamp": "2023-10-17T17:32:24Z", "user": {"pk": 6, "username": "myuser"}}"#,
        );
        assert_eq!((e.class_uid, e.activity_id), (AUTHENTICATION, LOGOFF));
        assert_eq!(user(&e), Some("myuser"));

        let e = parsed(
            r#"{"action": "password_set", "client_ip": "1.2.3.4", "timestamp": "2023-10-17T17:32:24Z", "user": {"pk": 6, "username": "myuser"}}"#,
        );
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (ACCOUNT_CHANGE, PASSWORD_CHANGE, SUCCESS)
        );
        assert_eq!(e.activity_name.as_deref(), Some("Password Change"));
        assert_eq!(user(&e), Some("myuser"));
    }

    #[test]
    fn a_failure_by_a_logged_in_user_keeps_them_as_actor() {
        let e = parsed(
            r#"{"action": "login_failed", "client_ip": "1.2.3.4", "context": {"username": "other"}, "timestamp": "2023-10-17T17:32:24Z", "user": {"pk": 6, "username": "admin"}}"#,
        );
        assert_eq!(user(&e), Some("other"));
        assert_eq!(e.actor.as_ref().unwrap()["user"]["name"], "admin");
    }

    #[test]
    fn other_records_are_unrecognized_with_a_reason() {
        let cases = [
            (
                r#"{"action": "model_created", "client_ip": "1.2.3.4"}"#,
                "\"model_created\" is not an authentication event",
            ),
            (r#"{"event": "x", "client_ip": "1.2.3.4"}"#, "no action"),
            (r#"{"action": 5}"#, "no action"),
            (r#"{"action": "login""#, "invalid JSON"),
            ("[1]", "not an object"),
            (
                r#"{"action": "login", "timestamp": "later"}"#,
                "bad timestamp",
            ),
        ];
        test_support::assert_unrecognized(parse, ctx, cases);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        #[test]
        fn arbitrary_text_never_panics(
            s in "\\PC{0,160}",
            t in r#"\{"action": "(login|login_failed|logout|password_set|invalid_identifier|x)", "client_ip": "[0-9a-f.:]{0,12}", "host": "[a-z0-9:\[\]]{0,10}", "context": \{"geo": \{"lat": [0-9.e-]{0,6}\}\}, "timestamp": "[0-9T:.Z-]{0,26}"\}"#,
        ) {
            test_support::parse_never_panics(parse, ctx, [s.as_str(), t.as_str()]);
        }
    }
}
