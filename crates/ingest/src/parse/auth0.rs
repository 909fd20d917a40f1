//! Auth0 tenant log events: one JSON object, bare (`{"date", "type", "description", "client_id",
//! "ip", "user_agent", "user_id", "user_name", "log_id", "details", …}`) or as log streams and
//! Panther deliver it, `{"log_id": …, "data": {…}}`.
//!
//! The event `type` code decides: logins, logouts and their failures (including brute-force
//! blocks and breached passwords) and Guardian MFA are Authentication; token exchanges are
//! Authentication Ticket (OAuth 2.0); signups, password changes and MFA enrollment are Account
//! Change; management API calls (`sapi`/`fapi`) are API Activity. Other types are not
//! authentication events.

use authtrail_model::{Event, HttpRequest, Service, User};
use serde_json::{Map, Value};

use crate::parse::build::{
    self, ProductInfo, ACCOUNT_CHANGE, ACCOUNT_CREATE, API_ACTIVITY, API_CREATE, API_DELETE,
    API_READ, API_UPDATE, AUTHENTICATION, AUTHENTICATION_TICKET, FAILURE, HIGH, LOGOFF, LOGON,
    MEDIUM, MFA_FACTOR_ENABLE, OAUTH2, OTHER, PASSWORD_CHANGE, PASSWORD_RESET, SUCCESS,
};
use crate::parse::json_fields::{self, take_str};
use crate::parse::{ParseContext, ParseResult, Unrecognized};

/// Auth0, as `metadata.product`.
pub const PRODUCT: ProductInfo = ProductInfo {
    name: "Auth0",
    vendor: "Okta",
};

/// What a type code maps to.
struct Mapping {
    class_uid: u32,
    activity_id: i32,
    status_id: i32,
    /// A severity above the default one, if any.
    severity_id: Option<i32>,
    /// Whether the event is a second factor's.
    mfa: bool,
    /// Whether the event is an OAuth 2.0 token exchange.
    oauth: bool,
}

/// The mapping of an Auth0 type code, or `None` for types that are not authentication events.
fn mapping(code: &str) -> Option<Mapping> {
    let m = |class_uid, activity_id, status_id| Mapping {
        class_uid,
        activity_id,
        status_id,
        severity_id: None,
        mfa: false,
        oauth: false,
    };
    Some(match code {
        "s" => m(AUTHENTICATION, LOGON, SUCCESS),
        "slo" => m(AUTHENTICATION, LOGOFF, SUCCESS),
        "f" | "fp" | "fu" | "fc" | "fco" | "fcoa" | "fcpro" | "fens" | "fsa" => {
            m(AUTHENTICATION, LOGON, FAILURE)
        }
        "limit_wc" | "limit_mu" | "limit_sul" => Mapping {
            severity_id: Some(MEDIUM),
            ..m(AUTHENTICATION, LOGON, FAILURE)
        },
        "pwd_leak" | "signup_pwd_leak" => Mapping {
            severity_id: Some(HIGH),
            ..m(AUTHENTICATION, LOGON, FAILURE)
        },
        "gd_auth_succeed" => Mapping {
            mfa: true,
            ..m(AUTHENTICATION, LOGON, SUCCESS)
        },
        "gd_auth_failed" | "gd_auth_rejected" => Mapping {
            mfa: true,
            ..m(AUTHENTICATION, LOGON, FAILURE)
        },
        // A second factor's challenge sent: part of a logon, not a logon of its own.
        "gd_send_pn" | "gd_send_sms" | "gd_send_voice" => Mapping {
            mfa: true,
            ..m(AUTHENTICATION, OTHER, SUCCESS)
        },
        "gd_enrollment_complete" => Mapping {
            mfa: true,
            ..m(ACCOUNT_CHANGE, MFA_FACTOR_ENABLE, SUCCESS)
        },
        "seacft" | "sertft" | "seccft" | "sepft" => Mapping {
            oauth: true,
            ..m(AUTHENTICATION, AUTHENTICATION_TICKET, SUCCESS)
        },
        "feacft" | "fertft" | "feccft" | "fepft" | "ferrt" => Mapping {
            oauth: true,
            ..m(AUTHENTICATION, AUTHENTICATION_TICKET, FAILURE)
        },
        "ss" => m(ACCOUNT_CHANGE, ACCOUNT_CREATE, SUCCESS),
        "scp" => m(ACCOUNT_CHANGE, PASSWORD_CHANGE, SUCCESS),
        "fcp" => m(ACCOUNT_CHANGE, PASSWORD_CHANGE, FAILURE),
        "scpr" => m(ACCOUNT_CHANGE, PASSWORD_RESET, SUCCESS),
        "fcpr" => m(ACCOUNT_CHANGE, PASSWORD_RESET, FAILURE),
        // The activity is refined from the request method.
        "sapi" => m(API_ACTIVITY, OTHER, SUCCESS),
        "fapi" => m(API_ACTIVITY, OTHER, FAILURE),
        _ => return None,
    })
}

/// Map one Auth0 log event (bare, or `{"log_id", "data"}`) to an OCSF event.
pub fn parse(text: &str, ctx: &mut ParseContext) -> ParseResult {
    let value: Value = serde_json::from_str(text.trim())
        .map_err(|e| Unrecognized::because(format!("invalid JSON Auth0 record: {e}")))?;
    let Value::Object(mut map) = value else {
        return Err(Unrecognized::new("Auth0 record is not an object"));
    };
    // Log streams (and Panther) put the event under `data`, beside its `log_id`.
    let outer_id = take_str(&mut map, "log_id");
    if !map.contains_key("type") {
        if let Some(Value::Object(data)) = map.remove("data") {
            map = data;
        }
    }
    let code = match map.remove("type") {
        Some(Value::String(t)) => t,
        _ => return Err(Unrecognized::new("not an Auth0 event: no type")),
    };
    let Some(m) = mapping(&code) else {
        return Err(Unrecognized::because(format!(
            "{code} is not an authentication event"
        )));
    };
    let time_ms = json_fields::rfc3339_time(map.get("date"), "date", ctx)?;

    let mut e = build::new_event(m.class_uid, m.activity_id, m.status_id, time_ms, PRODUCT);
    if let Some(severity) = m.severity_id {
        e.severity_id = severity;
    }
    if m.mfa {
        e.is_mfa = Some(true);
    }
    if m.oauth {
        e.auth_protocol_id = Some(OAUTH2);
    }
    e.metadata.uid = take_str(&mut map, "log_id")
        .or(outer_id)
        .or_else(|| take_str(&mut map, "_id"));

    let description = take_str(&mut map, "description");
    if m.status_id == FAILURE {
        e.status_code = Some(code.clone());
        e.status_detail = description.clone();
    }
    e.message = description.clone();

    let name = take_str(&mut map, "user_name");
    let uid = take_str(&mut map, "user_id");
    // A management API call names its caller's email in the request's credentials.
    let email = map
        .get("details")
        .filter(|_| m.class_uid == API_ACTIVITY)
        .and_then(|d| d.pointer("/request/auth/user/email"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from);
    if name.is_some() || uid.is_some() || email.is_some() {
        e.user = Some(User {
            name,
            uid,
            email_addr: email,
            ..User::default()
        });
    }
    if let Some(ip) = take_str(&mut map, "ip") {
        e.src_endpoint = Some(build::endpoint(&ip, None));
    }
    if let Some(host) = take_str(&mut map, "hostname") {
        e.dst_endpoint = Some(build::host(&host));
    }
    let service = Service {
        uid: take_str(&mut map, "client_id"),
        name: take_str(&mut map, "client_name"),
        ..Service::default()
    };
    if service.uid.is_some() || service.name.is_some() {
        e.service = Some(service);
    }

    let mut http = HttpRequest {
        user_agent: take_str(&mut map, "user_agent"),
        ..HttpRequest::default()
    };
    if m.class_uid == API_ACTIVITY {
        let request = map.get("details").and_then(|d| d.get("request"));
        let method = request
            .and_then(|r| r.get("method"))
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase);
        e.activity_id = match method.as_deref() {
            Some("POST") => API_CREATE,
            Some("GET") => API_READ,
            Some("PUT" | "PATCH") => API_UPDATE,
            Some("DELETE") => API_DELETE,
            _ => OTHER,
        };
        if let Some(method) = method {
            http.extra.insert("http_method".into(), Value::from(method));
        }
        if let Some(path) = request.and_then(|r| r.get("path")).and_then(Value::as_str) {
            let mut url = Map::new();
            url.insert("path".into(), Value::from(path));
            http.extra.insert("url".into(), Value::Object(url));
        }
        let mut api = Map::new();
        api.insert(
            "operation".into(),
            Value::from(description.unwrap_or_else(|| code.clone())),
        );
        if let Some(status) = map
            .get("details")
            .and_then(|d| d.pointer("/response/statusCode"))
            .and_then(Value::as_i64)
        {
            let mut response = Map::new();
            response.insert("code".into(), Value::from(status));
            api.insert("response".into(), Value::Object(response));
        }
        e.other.insert("api".into(), Value::Object(api));
    }
    if http.user_agent.is_some() || !http.extra.is_empty() {
        e.http_request = Some(http);
    }
    if m.class_uid == API_ACTIVITY {
        api_actor(&mut e);
    }

    e.unmapped.insert("auth0.type".into(), Value::from(code));
    for key in ["connection", "connection_id", "strategy", "strategy_type"] {
        if let Some(v) = take_str(&mut map, key) {
            e.unmapped.insert(format!("auth0.{key}"), Value::from(v));
        }
    }
    if let Some(kind) = map
        .get("details")
        .and_then(|d| d.pointer("/error/type"))
        .and_then(Value::as_str)
    {
        e.unmapped
            .insert("auth0.error_type".into(), Value::from(kind));
    }
    Ok(e)
}

/// API Activity names its caller as `actor` (the user, and the client application it called
/// through) and the application as `api.service`; it has no `user` or `service` of its own.
fn api_actor(e: &mut Event) {
    let user = e.user.take().and_then(|u| serde_json::to_value(u).ok());
    let service = e.service.take();
    if let Some(user) = user {
        build::set_actor(e, "user", user);
    }
    if let Some(service) = service {
        if let Some(uid) = &service.uid {
            build::set_actor(e, "app_uid", Value::from(uid.as_str()));
        }
        if let Some(name) = &service.name {
            build::set_actor(e, "app_name", Value::from(name.as_str()));
        }
        if let (Some(Value::Object(api)), Ok(service)) =
            (e.other.get_mut("api"), serde_json::to_value(&service))
        {
            api.insert("service".into(), service);
        }
    }
}

/// Whether a line or JSON record looks like Auth0's (for `--format auto`).
pub fn looks_like(text: &str) -> bool {
    let has = |key: &str| text.contains(key);
    // Okta's System Log, Keycloak and CloudTrail name their fields otherwise.
    if has("\"eventType\"") || has("\"realmId\"") || has("\"eventSource\"") {
        return false;
    }
    has("\"log_id\"")
        || (has("\"type\"") && has("\"date\"") && (has("\"client_id\"") || has("\"user_name\"")))
}

#[cfg(test)]
mod tests {
    use authtrail_model::Event;

    use super::*;
    use crate::parse::test_support::{self, ctx, src, user};

    fn parsed(line: &str) -> Event {
        test_support::parsed(parse, line, &mut ctx())
    }

    /// A bare event of type `code` with the usual fields.
    fn event(code: &str) -> String {
        format!(
            r#"{{"date": "2021-11-03T03:07:24.384Z", "type": "{code}", "description": "Wrong email or password.", "connection": "Username-Password-Authentication", "connection_id": "con_1", "client_id": "aI61", "client_name": "Default App", "ip": "81.2.69.143", "user_agent": "Firefox/93.0", "details": {{"error": {{"type": "bad-pw"}}}}, "user_id": "auth0|6182", "user_name": "neo@example.org", "strategy": "auth0", "strategy_type": "database", "log_id": "900201"}}"#
        )
    }

    fn outcome(e: &Event) -> (u32, i32, i32) {
        (e.class_uid, e.activity_id, e.status_id)
    }

    #[test]
    fn failed_logins_map_every_field() {
        let e = parsed(&event("fp"));
        assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, FAILURE));
        assert_eq!(e.time, 1_635_908_844_384);
        assert_eq!(user(&e), Some("neo@example.org"));
        assert_eq!(
            e.user.as_ref().and_then(|u| u.uid.as_deref()),
            Some("auth0|6182")
        );
        assert_eq!(src(&e), Some("81.2.69.143"));
        assert_eq!(
            e.http_request
                .as_ref()
                .and_then(|h| h.user_agent.as_deref()),
            Some("Firefox/93.0")
        );
        let service = e.service.as_ref().unwrap();
        assert_eq!(service.uid.as_deref(), Some("aI61"));
        assert_eq!(service.name.as_deref(), Some("Default App"));
        assert_eq!(e.metadata.uid.as_deref(), Some("900201"));
        assert_eq!(e.status_detail.as_deref(), Some("Wrong email or password."));
        assert_eq!(e.status_code.as_deref(), Some("fp"));
        assert_eq!(e.severity_id, build::LOW);
        assert_eq!(e.unmapped["auth0.type"], "fp");
        assert_eq!(
            e.unmapped["auth0.connection"],
            "Username-Password-Authentication"
        );
        assert_eq!(e.unmapped["auth0.connection_id"], "con_1");
        assert_eq!(e.unmapped["auth0.strategy_type"], "database");
        assert_eq!(e.unmapped["auth0.error_type"], "bad-pw");
        assert!(!e.unmapped.contains_key("auth0.details"));
        let product = e.metadata.product.as_ref().unwrap();
        assert_eq!(product.name.as_deref(), Some("Auth0"));
        assert_eq!(product.vendor_name.as_deref(), Some("Okta"));
        for code in ["f", "fu", "fc", "fco", "fcoa", "fcpro", "fens", "fsa"] {
            let e = parsed(&event(code));
            assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, FAILURE), "{code}");
            assert_eq!(e.status_code.as_deref(), Some(code));
        }
    }

    #[test]
    fn logins_logouts_and_signups() {
        let e = parsed(&event("s"));
        assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, SUCCESS));
        assert_eq!(e.status_detail, None);
        assert_eq!(e.is_mfa, None);
        let e = parsed(&event("slo"));
        assert_eq!(outcome(&e), (AUTHENTICATION, LOGOFF, SUCCESS));
        let e = parsed(&event("ss"));
        assert_eq!(outcome(&e), (ACCOUNT_CHANGE, ACCOUNT_CREATE, SUCCESS));
        assert_eq!(e.activity_name.as_deref(), Some("Create"));
    }

    #[test]
    fn blocks_and_breached_passwords_raise_the_severity() {
        for code in ["limit_wc", "limit_mu", "limit_sul"] {
            let e = parsed(&event(code));
            assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, FAILURE), "{code}");
            assert_eq!(e.severity.as_deref(), Some("Medium"), "{code}");
        }
        for code in ["pwd_leak", "signup_pwd_leak"] {
            let e = parsed(&event(code));
            assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, FAILURE), "{code}");
            assert_eq!(e.severity.as_deref(), Some("High"), "{code}");
        }
    }

    #[test]
    fn guardian_events_are_mfa() {
        let e = parsed(&event("gd_auth_succeed"));
        assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, SUCCESS));
        assert_eq!(e.is_mfa, Some(true));
        for code in ["gd_auth_failed", "gd_auth_rejected"] {
            let e = parsed(&event(code));
            assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, FAILURE), "{code}");
            assert_eq!(e.is_mfa, Some(true));
        }
        let e = parsed(&event("gd_send_pn"));
        assert_eq!(outcome(&e), (AUTHENTICATION, OTHER, SUCCESS));
        assert_eq!(e.is_mfa, Some(true));
        let e = parsed(&event("gd_enrollment_complete"));
        assert_eq!(outcome(&e), (ACCOUNT_CHANGE, MFA_FACTOR_ENABLE, SUCCESS));
        assert_eq!(e.activity_name.as_deref(), Some("MFA Factor Enable"));
    }

    #[test]
    fn token_exchanges_are_oauth_tickets() {
        for code in ["seacft", "sertft", "seccft", "sepft"] {
            let e = parsed(&event(code));
            assert_eq!(
                outcome(&e),
                (AUTHENTICATION, AUTHENTICATION_TICKET, SUCCESS),
                "{code}"
            );
            assert_eq!(e.activity_name.as_deref(), Some("Authentication Ticket"));
            assert_eq!(e.auth_protocol.as_deref(), Some("OAUTH 2.0"));
        }
        for code in ["feacft", "fertft", "feccft", "fepft", "ferrt"] {
            let e = parsed(&event(code));
            assert_eq!(
                outcome(&e),
                (AUTHENTICATION, AUTHENTICATION_TICKET, FAILURE),
                "{code}"
            );
            assert_eq!(e.auth_protocol_id, Some(OAUTH2));
        }
    }

    #[test]
    fn password_changes_and_resets() {
        let cases = [
            ("scp", PASSWORD_CHANGE, SUCCESS),
            ("fcp", PASSWORD_CHANGE, FAILURE),
            ("scpr", PASSWORD_RESET, SUCCESS),
            ("fcpr", PASSWORD_RESET, FAILURE),
        ];
        for (code, activity, status) in cases {
            let e = parsed(&event(code));
            assert_eq!(outcome(&e), (ACCOUNT_CHANGE, activity, status), "{code}");
            assert_eq!(user(&e), Some("neo@example.org"));
        }
    }

    #[test]
    fn management_api_calls_are_api_activity() {
        let e = parsed(
            r#"{"log_id": "outer", "data": {"client_id": "1HXW", "client_name": "", "date": "2023-05-23 20:47:51.149000000", "description": "Update Brute-force settings", "details": {"request": {"auth": {"credentials": {"jti": "0000"}, "strategy": "jwt", "user": {"email": "admin@example.org", "name": "Admin", "user_id": "google-oauth2|1"}}, "method": "patch", "path": "/v2/attack-protection/brute-force-protection"}, "response": {"statusCode": 200}}, "ip": "12.12.12.12", "type": "sapi", "user_agent": "Chrome", "user_id": "google-oauth2|1"}}"#,
        );
        assert_eq!(outcome(&e), (API_ACTIVITY, 3, SUCCESS));
        assert_eq!(e.activity_name.as_deref(), Some("Update"));
        // Zone-less dates are read in the configured zone (UTC).
        assert_eq!(e.time, 1_684_874_871_149);
        // The outer log_id serves when the event has none.
        assert_eq!(e.metadata.uid.as_deref(), Some("outer"));
        // API Activity names the caller as the actor.
        assert_eq!(e.user, None);
        let u = e.actor.as_ref().unwrap().get("user").unwrap();
        assert_eq!(u["uid"], "google-oauth2|1");
        assert_eq!(u["email_addr"], "admin@example.org");
        assert_eq!(test_support::http(&e, "http_method"), Some("PATCH".into()));
        assert_eq!(
            test_support::http(&e, "url").unwrap()["path"],
            "/v2/attack-protection/brute-force-protection"
        );
        assert_eq!(e.other["api"]["operation"], "Update Brute-force settings");
        assert_eq!(e.other["api"]["response"]["code"], 200);
        // Empty names are left out (API Activity has no `service`: the client is the actor's
        // application); credentials are never copied.
        assert_eq!(e.service, None);
        assert_eq!(e.actor.as_ref().unwrap().get("app_name"), None);
        let json = String::from_utf8(e.canonical_bytes()).unwrap();
        assert!(!json.contains("jti"), "{json}");

        let e = parsed(
            r#"{"date": "2023-05-23T20:47:51Z", "type": "fapi", "description": "Delete a user", "details": {"request": {"method": "delete"}}, "client_id": "c"}"#,
        );
        assert_eq!(outcome(&e), (API_ACTIVITY, 4, FAILURE));
        assert_eq!(e.status_code.as_deref(), Some("fapi"));
    }

    #[test]
    fn log_stream_wrappers_are_unwrapped() {
        let wrapped = format!(r#"{{"log_id": "900201", "data": {}}}"#, event("fu"));
        assert_eq!(parsed(&wrapped), parsed(&event("fu")));
    }

    #[test]
    fn other_records_are_unrecognized_with_a_reason() {
        let cases = [
            (
                r#"{"date": "2023-05-23T20:47:51Z", "type": "du", "log_id": "1"}"#,
                "du is not an authentication event",
            ),
            (
                r#"{"date": "2023-05-23T20:47:51Z", "log_id": "1"}"#,
                "no type",
            ),
            (r#"{"type": 5, "log_id": "1"}"#, "no type"),
            (r#"{"log_id": "1", "data": 5}"#, "no type"),
            (r#"{"type": "s""#, "invalid JSON"),
            ("[1]", "not an object"),
            (r#"{"type": "s", "date": "later"}"#, "bad date"),
            (r#"{"type": "s", "date": 5}"#, "bad date"),
        ];
        test_support::assert_unrecognized(parse, ctx, cases);
    }

    #[test]
    fn looks_like_auth0_and_not_others() {
        assert!(looks_like(&event("s")));
        assert!(looks_like(r#"{"log_id": "1", "data": {"type": "s"}}"#));
        assert!(looks_like(
            r#"{"date": "x", "type": "s", "user_name": "u"}"#
        ));
        let others = [
            // Okta System Log.
            r#"{"uuid": "u", "published": "2024-01-01T00:00:00Z", "eventType": "user.session.start", "actor": {"type": "User"}, "client": {"ipAddress": "1.2.3.4"}, "outcome": {"result": "SUCCESS"}}"#,
            // Keycloak event.
            r#"{"time": 1, "type": "LOGIN", "realmId": "r", "clientId": "c", "userId": "u", "ipAddress": "1.2.3.4"}"#,
            // CloudTrail.
            r#"{"eventVersion": "1.08", "eventTime": "2024-01-01T00:00:00Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin"}"#,
            // authentik, OCSF.
            r#"{"action": "login", "client_ip": "1.2.3.4", "timestamp": "2023-10-17T17:32:24Z"}"#,
            r#"{"class_uid": 3002, "type": "x"}"#,
        ];
        for line in others {
            assert!(!looks_like(line), "{line}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        #[test]
        fn arbitrary_text_never_panics(
            s in "\\PC{0,160}",
            t in r#"\{"log_id": "[0-9]{0,4}", "data": \{"type": "(s|f|fp|ss|slo|sapi|fapi|gd_send_pn|seacft|x)", "ip": "[0-9a-f.:]{0,12}", "date": "[0-9T:. Z-]{0,26}", "user_name": "[a-z@]{0,6}", "details": \{"request": \{"method": "[a-z]{0,6}"\}\}\}\}"#,
        ) {
            test_support::parse_never_panics(parse, ctx, [s.as_str(), t.as_str()]);
        }
    }
}
