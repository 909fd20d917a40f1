//! Keycloak events, in either of the two forms Keycloak writes them:
//!
//! - the server log line of the `org.keycloak.events` logger (also abbreviated
//!   `org.key.events`): `YYYY-MM-DD HH:MM:SS,mmm LEVEL [org.keycloak.events] (thread) type=LOGIN,
//!   realmId=…, clientId=…, userId=…, ipAddress=…, key=value, …`, values bare or double-quoted,
//!   the event's details flattened among the other keys; the time has no zone (read in the
//!   configured `timezone`);
//! - the event API's JSON: `{"time": <ms>, "type", "realmId", "clientId", "userId", "sessionId",
//!   "ipAddress", "error", "details": {"username", "auth_method", …}}`.
//!
//! Logons, logoffs, token grants, impersonation, lock-outs and password and TOTP changes are
//! mapped (see [`classify`]); other event types are not authentication events.

use authtrail_model::{Service, Session, User};
use serde_json::{Map, Value};

use crate::parse::build::{
    self, ProductInfo, ACCOUNT_CHANGE, AUTHENTICATION, AUTHENTICATION_TICKET, AUTHORIZE_SESSION,
    FAILURE, LOGOFF, LOGON, MEDIUM, MFA_FACTOR_DISABLE, MFA_FACTOR_ENABLE, OAUTH2, OPENID, OTHER,
    PASSWORD_CHANGE, PASSWORD_RESET, SAML, SUCCESS,
};
use crate::parse::json_fields;
use crate::parse::syslog::rfc3339_ms;
use crate::parse::{ParseContext, ParseResult, Unrecognized};

/// Keycloak, as `metadata.product`.
pub const PRODUCT: ProductInfo = ProductInfo {
    name: "Keycloak",
    vendor: "Keycloak",
};

/// The error Keycloak gives a login refused because brute-force protection locked the account.
const TEMPORARILY_DISABLED: &str = "user_temporarily_disabled";

/// What an event type becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Mapping {
    class_uid: u32,
    activity_id: i32,
    status_id: i32,
    /// A token grant: the protocol is OAuth 2.0 whatever `auth_method` says.
    oauth: bool,
    /// An account locked by brute-force protection.
    lockout: bool,
}

/// The mapping of a Keycloak event type, or `None` for types that are not authentication events.
fn classify(ty: &str) -> Option<Mapping> {
    let (base, status_id) = match ty.strip_suffix("_ERROR") {
        Some(base) => (base, FAILURE),
        None => (ty, SUCCESS),
    };
    let plain = |class_uid, activity_id| Mapping {
        class_uid,
        activity_id,
        status_id,
        oauth: false,
        lockout: false,
    };
    let m = match base {
        "LOGIN" => plain(AUTHENTICATION, LOGON),
        "LOGOUT" => plain(AUTHENTICATION, LOGOFF),
        "CODE_TO_TOKEN" | "REFRESH_TOKEN" | "TOKEN_EXCHANGE" | "CLIENT_LOGIN" => Mapping {
            oauth: true,
            ..plain(AUTHENTICATION, AUTHENTICATION_TICKET)
        },
        "IMPERSONATE" => plain(AUTHORIZE_SESSION, OTHER),
        "USER_DISABLED_BY_PERMANENT_LOCKOUT" | "USER_DISABLED_BY_TEMPORARY_LOCKOUT"
            if status_id == SUCCESS =>
        {
            Mapping {
                status_id: FAILURE,
                lockout: true,
                ..plain(AUTHENTICATION, LOGON)
            }
        }
        "UPDATE_PASSWORD" => plain(ACCOUNT_CHANGE, PASSWORD_CHANGE),
        "RESET_PASSWORD" => plain(ACCOUNT_CHANGE, PASSWORD_RESET),
        "UPDATE_TOTP" => plain(ACCOUNT_CHANGE, MFA_FACTOR_ENABLE),
        "REMOVE_TOTP" => plain(ACCOUNT_CHANGE, MFA_FACTOR_DISABLE),
        _ => return None,
    };
    Some(m)
}

/// Map one Keycloak record (a log line or an event API JSON object) to an OCSF event.
pub fn parse(text: &str, ctx: &mut ParseContext) -> ParseResult {
    let line = text.trim_end_matches(['\r', '\n']).trim();
    let (time_ms, mut fields) = if line.starts_with('{') {
        json_record(line, ctx)?
    } else {
        log_record(line, ctx)?
    };
    let ty = match take(&mut fields, "type") {
        Some(ty) => ty,
        None => return Err(Unrecognized::new("no Keycloak event type")),
    };
    let Some(m) = classify(&ty) else {
        return Err(Unrecognized::because(format!(
            "{ty} is not an authentication event"
        )));
    };
    let time_ms = match time_ms {
        Some(t) => t,
        None => ctx.received_ms,
    };
    let mut e = build::new_event(m.class_uid, m.activity_id, m.status_id, time_ms, PRODUCT);

    let name = take(&mut fields, "username");
    let uid = take(&mut fields, "userId");
    if name.is_some() || uid.is_some() {
        e.user = Some(User {
            name,
            uid,
            ..User::default()
        });
    }
    // An impersonation: the admin who impersonates is the actor.
    let impersonator = take(&mut fields, "impersonator");
    let impersonator_id = take(&mut fields, "impersonator_id");
    if impersonator.is_some() || impersonator_id.is_some() {
        let actor = User {
            name: impersonator,
            uid: impersonator_id,
            ..User::default()
        };
        e.actor = Some(serde_json::json!({ "user": actor }));
    }
    if let Some(ip) = take(&mut fields, "ipAddress") {
        e.src_endpoint = Some(build::endpoint(&ip, None));
    }
    if let Some(sid) = take(&mut fields, "sessionId") {
        e.session = Some(Session {
            uid: Some(sid),
            ..Session::default()
        });
    }
    if let Some(client) = take(&mut fields, "clientId") {
        e.service = Some(Service {
            name: Some(client),
            ..Service::default()
        });
    }
    if m.oauth {
        e.auth_protocol_id = Some(OAUTH2);
    } else if let Some(method) = take(&mut fields, "auth_method") {
        let id = match method.as_str() {
            "openid-connect" => OPENID,
            "saml" => SAML,
            _ => OTHER,
        };
        e.auth_protocol_id = Some(id);
        if id == OTHER {
            e.auth_protocol = Some(method);
        }
    }
    let error = take(&mut fields, "error");
    let lockout = m.lockout || error.as_deref() == Some(TEMPORARILY_DISABLED);
    if lockout {
        e.severity_id = MEDIUM;
    }
    e.status_detail = match error {
        Some(error) => Some(error),
        None if m.lockout => Some(ty.to_ascii_lowercase().replace('_', " ")),
        None => None,
    };
    if let Some(realm) = take(&mut fields, "realmId") {
        e.unmapped
            .insert("keycloak.realm".into(), Value::from(realm));
    }
    e.unmapped.insert("keycloak.type".into(), Value::from(ty));
    for (k, v) in fields {
        if is_secret(&k) {
            continue;
        }
        match v {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                e.unmapped.insert(format!("keycloak.{k}"), v);
            }
            _ => {}
        }
    }
    Ok(e)
}

/// Whether a line or JSON record looks like Keycloak's (for `--format auto`).
pub fn looks_like(text: &str) -> bool {
    if text.trim_start().starts_with('{') {
        text.contains("\"realmId\"") && text.contains("\"type\"")
    } else {
        (text.contains("org.keycloak.events") || text.contains("[org.key"))
            && text.contains(" type=")
    }
}

/// The event API's JSON: its time (if any) and its fields, `details` flattened among them.
fn json_record(
    line: &str,
    ctx: &ParseContext,
) -> Result<(Option<i64>, Map<String, Value>), Unrecognized> {
    let mut map = json_fields::object(line, "Keycloak event")?;
    let time_ms = match map.remove("time") {
        Some(Value::Number(n)) => match n.as_i64() {
            Some(ms) => Some(ms),
            None => return Err(Unrecognized::because(format!("bad time {n}"))),
        },
        Some(Value::String(t)) => match rfc3339_ms(&t, ctx) {
            Some(ms) => Some(ms),
            None => return Err(Unrecognized::because(format!("bad time {t:?}"))),
        },
        Some(Value::Null) | None => None,
        Some(other) => return Err(Unrecognized::because(format!("bad time {other}"))),
    };
    if let Some(Value::Object(details)) = map.remove("details") {
        for (k, v) in details {
            map.entry(k).or_insert(v);
        }
    }
    Ok((time_ms, map))
}

/// The server log line: its time, and the `key=value` fields after the logger.
fn log_record(
    line: &str,
    ctx: &ParseContext,
) -> Result<(Option<i64>, Map<String, Value>), Unrecognized> {
    let (time_ms, rest) = log_time(line, ctx)
        .ok_or_else(|| Unrecognized::new("no YYYY-MM-DD HH:MM:SS time at the start of the line"))?;
    let logger = rest
        .find("[org.key")
        .or_else(|| rest.find("org.keycloak.events"))
        .ok_or_else(|| Unrecognized::new("not an org.keycloak.events line"))?;
    let after_logger = rest.get(logger..).unwrap_or("");
    let start = after_logger
        .find(" type=")
        .and_then(|i| after_logger.get(i + 1..))
        .ok_or_else(|| Unrecognized::new("no type= in the Keycloak event line"))?;
    let mut fields = key_values(start);
    // The level (WARN, DEBUG…) before the logger.
    if let Some(level) = rest.split_whitespace().next() {
        if !level.is_empty() && level.bytes().all(|b| b.is_ascii_uppercase()) {
            fields.entry("level").or_insert_with(|| Value::from(level));
        }
    }
    Ok((Some(time_ms), fields))
}

/// `YYYY-MM-DD HH:MM:SS[,fff]` (or `T` for the space, `.` for the comma) at the start of the line,
/// read in the configured zone, and the rest of the line.
fn log_time<'a>(line: &'a str, ctx: &ParseContext) -> Option<(i64, &'a str)> {
    let b = line.as_bytes();
    let shape = b.len() >= 19
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && matches!(b.get(10), Some(b' ' | b'T'))
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':');
    if !shape {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let s = line.get(from..to)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let year = i16::try_from(num(0, 4)?).ok()?;
    let month = i8::try_from(num(5, 7)?).ok()?;
    let day = i8::try_from(num(8, 10)?).ok()?;
    let hour = i8::try_from(num(11, 13)?).ok()?;
    let minute = i8::try_from(num(14, 16)?).ok()?;
    let second = i8::try_from(num(17, 19)?).ok()?;
    let mut end = 19;
    let mut nanos: i32 = 0;
    if matches!(b.get(19), Some(b',' | b'.')) {
        let digits = b
            .get(20..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        let mut scale = 100_000_000;
        for &c in b.get(20..20 + digits.min(9))? {
            nanos += i32::from(c - b'0') * scale;
            scale /= 10;
        }
        end = 20 + digits;
    }
    let ms = ctx.local_to_ms(year, month, day, (hour, minute, second), nanos)?;
    Some((ms, line.get(end..)?.trim_start()))
}

/// `key=value, key="value", …` into a map (strings; the first of a repeated key wins). A bare value
/// runs to the next `, key=`; a quoted one to its closing quote (`\"` and `\\` escaped).
fn key_values(text: &str) -> Map<String, Value> {
    let mut out = Map::new();
    let mut rest = text.trim_end();
    while let Some(eq) = rest.find('=') {
        let key = rest
            .get(..eq)
            .unwrap_or("")
            .trim()
            .trim_start_matches(',')
            .trim();
        let after = rest.get(eq + 1..).unwrap_or("");
        let (value, next) = match after.strip_prefix('"') {
            Some(quoted_value) => quoted(quoted_value),
            None => bare(after),
        };
        if !key.is_empty() && key.bytes().all(is_key_byte) {
            out.entry(key).or_insert_with(|| Value::from(value));
        }
        rest = next;
    }
    out
}

/// A byte that can be part of a key.
fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// A bare value up to the next `, key=`, and what follows that `, `.
fn bare(text: &str) -> (String, &str) {
    for (i, _) in text.match_indices(", ") {
        let Some(next) = text.get(i + 2..) else {
            continue;
        };
        let key_len = next.bytes().take_while(|&b| is_key_byte(b)).count();
        if key_len > 0 && next.as_bytes().get(key_len) == Some(&b'=') {
            return (text.get(..i).unwrap_or("").to_string(), next);
        }
    }
    (text.to_string(), "")
}

/// A quoted value (the opening quote already taken), and what follows its `, `.
fn quoted(text: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            }
            '"' => {
                let next = text.get(i + 1..).unwrap_or("");
                let next = next.trim_start_matches([',', ' ']);
                return (value, next);
            }
            c => value.push(c),
        }
    }
    (value, "")
}

/// Remove a field and return it as text; empty values and Keycloak's `null` are none.
fn take(map: &mut Map<String, Value>, key: &str) -> Option<String> {
    match map.remove(key)? {
        Value::String(s) if s.is_empty() || s == "null" => None,
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Keys whose values may be credentials, never stored (ids of tokens and codes are kept).
fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password")
        || k.contains("secret")
        || k.ends_with("token")
        || k == "code"
        || k == "assertion"
}

#[cfg(test)]
mod tests {
    use authtrail_model::Event;

    use super::*;
    use crate::parse::test_support::{self, ctx, src, user};

    fn parsed(line: &str) -> Event {
        test_support::parsed(parse, line, &mut ctx())
    }

    const LOG_FAILURE: &str = "2023-05-25 22:24:19,357 WARN  [org.keycloak.events] (executor-thread-3) type=LOGIN_ERROR, realmId=demo, clientId=web, userId=null, ipAddress=192.0.2.1, error=user_not_found, auth_method=openid-connect, auth_type=code, redirect_uri=https://app.example/cb?q=x, y, code_id=c0de-1d, username=alice";

    #[test]
    fn log_line_login_errors_are_logon_failures() {
        let e = parsed(LOG_FAILURE);
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (AUTHENTICATION, LOGON, FAILURE)
        );
        assert_eq!(e.severity_id, build::LOW);
        assert_eq!(e.time, 1_685_053_459_357);
        assert_eq!(user(&e), Some("alice"));
        // userId=null is no user id.
        assert_eq!(e.user.as_ref().unwrap().uid, None);
        assert_eq!(src(&e), Some("192.0.2.1"));
        assert_eq!(e.status_detail.as_deref(), Some("user_not_found"));
        assert_eq!(
            (e.auth_protocol_id, e.auth_protocol.as_deref()),
            (Some(4), Some("OpenID"))
        );
        assert_eq!(e.service.as_ref().unwrap().name.as_deref(), Some("web"));
        assert_eq!(e.unmapped["keycloak.realm"], "demo");
        assert_eq!(e.unmapped["keycloak.type"], "LOGIN_ERROR");
        assert_eq!(e.unmapped["keycloak.level"], "WARN");
        assert_eq!(e.unmapped["keycloak.code_id"], "c0de-1d");
        // A value with ", " that is not followed by a key stays whole.
        assert_eq!(
            e.unmapped["keycloak.redirect_uri"],
            "https://app.example/cb?q=x, y"
        );
        let product = e.metadata.product.as_ref().unwrap();
        assert_eq!(product.name.as_deref(), Some("Keycloak"));
        assert_eq!(product.vendor_name.as_deref(), Some("Keycloak"));
    }

    #[test]
    fn log_lines_with_quoted_values_and_the_short_logger() {
        let e = parsed(
            r#"2024-05-08 06:16:19,457 INFO  [org.key.events] (executor-thread-1) type="LOGIN", realmId="r1", clientId="am-qa", userId="7f3c", sessionId="s-1", ipAddress="2001:DB8::7", auth_method="saml", username="bob \"b\", jr""#,
        );
        assert_eq!((e.activity_id, e.status_id), (LOGON, SUCCESS));
        assert_eq!(user(&e), Some("bob \"b\", jr"));
        assert_eq!(e.user.as_ref().unwrap().uid.as_deref(), Some("7f3c"));
        assert_eq!(src(&e), Some("2001:db8::7"));
        assert_eq!(e.session.as_ref().unwrap().uid.as_deref(), Some("s-1"));
        assert_eq!(e.auth_protocol_id, Some(5));
        assert_eq!(e.unmapped["keycloak.realm"], "r1");
    }

    #[test]
    fn log_time_is_read_in_the_configured_zone() {
        let config = crate::parse::ParseConfig {
            zone: jiff::tz::TimeZone::get("Europe/Paris").unwrap(),
            ..crate::parse::ParseConfig::default()
        };
        let mut ctx = ParseContext::new(std::sync::Arc::new(config), 0);
        let e = test_support::parsed(parse, LOG_FAILURE, &mut ctx);
        // 22:24:19.357 in Paris (CEST, +02:00) is 20:24:19.357Z.
        assert_eq!(e.time, 1_685_053_459_357 - 2 * 3_600_000);
    }

    #[test]
    fn json_events_logins_and_logouts() {
        let e = parsed(
            r#"{"id": "ev1", "time": 1700000001234, "type": "LOGIN", "realmId": "demo", "clientId": "web", "userId": "u-1", "sessionId": "sess-9", "ipAddress": "198.51.100.4", "details": {"auth_method": "openid-connect", "auth_type": "code", "username": "alice", "code_id": "cid", "redirect_uri": "https://app/"}}"#,
        );
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (AUTHENTICATION, LOGON, SUCCESS)
        );
        assert_eq!(e.time, 1_700_000_001_234);
        assert_eq!(user(&e), Some("alice"));
        assert_eq!(e.user.as_ref().unwrap().uid.as_deref(), Some("u-1"));
        assert_eq!(src(&e), Some("198.51.100.4"));
        assert_eq!(e.session.as_ref().unwrap().uid.as_deref(), Some("sess-9"));
        assert_eq!(e.auth_protocol_id, Some(OPENID));
        assert_eq!(e.unmapped["keycloak.id"], "ev1");
        assert_eq!(e.unmapped["keycloak.code_id"], "cid");

        let e = parsed(
            r#"{"time": 1700000001234, "type": "LOGOUT", "realmId": "demo", "userId": "u-1", "sessionId": "sess-9", "ipAddress": "198.51.100.4", "details": {"redirect_uri": "https://app/"}}"#,
        );
        assert_eq!((e.activity_id, e.status_id), (LOGOFF, SUCCESS));
        assert_eq!(user(&e), None);
        assert_eq!(e.user.as_ref().unwrap().uid.as_deref(), Some("u-1"));

        let e = parsed(
            r#"{"time": 1700000001234, "type": "LOGOUT_ERROR", "realmId": "demo", "error": "invalid_token", "ipAddress": "198.51.100.4"}"#,
        );
        assert_eq!((e.activity_id, e.status_id), (LOGOFF, FAILURE));
        assert_eq!(e.status_detail.as_deref(), Some("invalid_token"));
        assert_eq!(user(&e), None);
    }

    #[test]
    fn token_grants_are_authentication_tickets_over_oauth() {
        for ty in [
            "CODE_TO_TOKEN",
            "REFRESH_TOKEN",
            "TOKEN_EXCHANGE",
            "CLIENT_LOGIN",
            "CODE_TO_TOKEN_ERROR",
            "REFRESH_TOKEN_ERROR",
            "TOKEN_EXCHANGE_ERROR",
            "CLIENT_LOGIN_ERROR",
        ] {
            let line = format!(
                r#"{{"time": 1700000001234, "type": "{ty}", "realmId": "demo", "clientId": "api", "userId": "u-1", "sessionId": "s", "ipAddress": "192.0.2.9", "details": {{"token_id": "jti-1", "grant_type": "authorization_code", "client_auth_method": "client-secret", "refresh_token": "eyJ.secret", "client_secret": "x"}}}}"#
            );
            let e = parsed(&line);
            assert_eq!(
                (e.class_uid, e.activity_id),
                (AUTHENTICATION, AUTHENTICATION_TICKET),
                "{ty}"
            );
            let failed = ty.ends_with("_ERROR");
            assert_eq!(e.status_id, if failed { FAILURE } else { SUCCESS }, "{ty}");
            assert_eq!(e.activity_name.as_deref(), Some("Authentication Ticket"));
            assert_eq!(e.auth_protocol.as_deref(), Some("OAUTH 2.0"));
            assert_eq!(e.service.as_ref().unwrap().name.as_deref(), Some("api"));
            assert_eq!(e.unmapped["keycloak.token_id"], "jti-1");
            assert_eq!(e.unmapped["keycloak.client_auth_method"], "client-secret");
            // Secrets are never stored.
            assert!(!e.unmapped.contains_key("keycloak.refresh_token"));
            assert!(!e.unmapped.contains_key("keycloak.client_secret"));
        }
    }

    #[test]
    fn impersonation_is_an_authorize_session_by_the_impersonator() {
        let e = parsed(
            r#"{"time": 1700000001234, "type": "IMPERSONATE", "realmId": "demo", "clientId": "security-admin-console", "userId": "u-2", "ipAddress": "192.0.2.9", "details": {"impersonator": "admin", "impersonator_id": "a-1", "impersonator_realm": "master", "username": "carol"}}"#,
        );
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (AUTHORIZE_SESSION, OTHER, SUCCESS)
        );
        assert_eq!(user(&e), Some("carol"));
        let actor = &e.actor.as_ref().unwrap()["user"];
        assert_eq!(actor["name"], "admin");
        assert_eq!(actor["uid"], "a-1");
        assert_eq!(e.unmapped["keycloak.impersonator_realm"], "master");
    }

    #[test]
    fn lockouts_are_medium_logon_failures() {
        let e = parsed(
            "2023-05-25 22:24:19,357 WARN  [org.keycloak.events] (t) type=LOGIN_ERROR, realmId=demo, clientId=web, userId=u-1, ipAddress=192.0.2.1, error=user_temporarily_disabled, username=alice",
        );
        assert_eq!((e.activity_id, e.status_id), (LOGON, FAILURE));
        assert_eq!(e.severity_id, MEDIUM);
        assert_eq!(e.status_detail.as_deref(), Some(TEMPORARILY_DISABLED));

        for ty in [
            "USER_DISABLED_BY_PERMANENT_LOCKOUT",
            "USER_DISABLED_BY_TEMPORARY_LOCKOUT",
        ] {
            let e = parsed(&format!(
                r#"{{"time": 1700000001234, "type": "{ty}", "realmId": "demo", "userId": "u-1", "ipAddress": "192.0.2.1", "details": {{"username": "alice"}}}}"#
            ));
            assert_eq!(
                (e.class_uid, e.activity_id, e.status_id),
                (AUTHENTICATION, LOGON, FAILURE),
                "{ty}"
            );
            assert_eq!(e.severity_id, MEDIUM);
            assert_eq!(user(&e), Some("alice"));
            assert!(e.status_detail.as_deref().unwrap().contains("lockout"));
        }
    }

    #[test]
    fn password_and_totp_changes_are_account_changes() {
        let cases = [
            (
                "UPDATE_PASSWORD",
                PASSWORD_CHANGE,
                SUCCESS,
                "Password Change",
            ),
            (
                "UPDATE_PASSWORD_ERROR",
                PASSWORD_CHANGE,
                FAILURE,
                "Password Change",
            ),
            ("RESET_PASSWORD", PASSWORD_RESET, SUCCESS, "Password Reset"),
            (
                "UPDATE_TOTP",
                MFA_FACTOR_ENABLE,
                SUCCESS,
                "MFA Factor Enable",
            ),
            (
                "REMOVE_TOTP",
                MFA_FACTOR_DISABLE,
                SUCCESS,
                "MFA Factor Disable",
            ),
        ];
        for (ty, activity, status, name) in cases {
            let e = parsed(&format!(
                "2023-05-25 22:24:19,357 INFO  [org.keycloak.events] (t) type={ty}, realmId=demo, clientId=account, userId=u-1, ipAddress=192.0.2.1, username=alice"
            ));
            assert_eq!(
                (e.class_uid, e.activity_id, e.status_id),
                (ACCOUNT_CHANGE, activity, status),
                "{ty}"
            );
            assert_eq!(e.activity_name.as_deref(), Some(name));
            assert_eq!(user(&e), Some("alice"));
        }
    }

    #[test]
    fn other_records_are_unrecognized_with_a_reason() {
        let cases = [
            (
                "2023-05-25 22:24:19,357 INFO  [org.keycloak.events] (t) type=SEND_VERIFY_EMAIL, realmId=demo, userId=u",
                "SEND_VERIFY_EMAIL is not an authentication event",
            ),
            (
                r#"{"time": 1, "type": "REGISTER", "realmId": "demo"}"#,
                "REGISTER is not an authentication event",
            ),
            (
                "2023-05-25 22:24:19,357 INFO  [org.keycloak.events] (t) type=USER_DISABLED_BY_PERMANENT_LOCKOUT_ERROR, realmId=demo",
                "is not an authentication event",
            ),
            (r#"{"time": 1, "realmId": "demo"}"#, "no Keycloak event type"),
            (r#"{"type": "LOGIN", "realmId": "#, "invalid JSON"),
            ("[1]", "no YYYY-MM-DD"),
            (r#"{"time": "later", "type": "LOGIN"}"#, "bad time"),
            (r#"{"time": 1.5, "type": "LOGIN"}"#, "bad time"),
            (
                "22:24:19,357 WARN [org.keycloak.events] (default task-1) type=LOGIN, realmId=demo",
                "no YYYY-MM-DD",
            ),
            (
                "2023-05-25 22:24:19,357 INFO  [org.hibernate] (t) type=LOGIN",
                "not an org.keycloak.events line",
            ),
            (
                "2023-05-25 22:24:19,357 INFO  [org.keycloak.events] (t) realmId=demo",
                "no type=",
            ),
            (
                "2023-13-25 22:24:19,357 INFO  [org.keycloak.events] (t) type=LOGIN",
                "no YYYY-MM-DD",
            ),
        ];
        test_support::assert_unrecognized(parse, ctx, cases);
    }

    #[test]
    fn looks_like_keycloak_and_not_others() {
        assert!(looks_like(LOG_FAILURE));
        assert!(looks_like(
            "2023-05-25 22:24:19,357 WARN  [org.key.events] (t) type=LOGIN_ERROR, realmId=k"
        ));
        assert!(looks_like(
            r#"{"time": 1, "type": "LOGIN", "realmId": "r"}"#
        ));
        // Admin events, other products' JSON, audit records.
        assert!(!looks_like(
            r#"{"time": 1, "realmId": "r", "operationType": "CREATE", "resourceType": "USER"}"#
        ));
        assert!(!looks_like(
            r#"{"action": "login", "client_ip": "1.2.3.4", "type": "x"}"#
        ));
        assert!(!looks_like(
            "type=USER_AUTH msg=audit(1.0:1): pid=1 acct=\"root\" res=success"
        ));
        assert!(!looks_like(
            "2023-05-25 22:24:19,357 INFO  [org.keycloak.services] (t) KC-SERVICES0050: started"
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        #[test]
        fn arbitrary_text_never_panics(
            s in "\\PC{0,160}",
            t in r#"20[0-9]{2}-[0-9]{2}-[0-9]{2}[ T][0-9:]{8}[,.]?[0-9]{0,12} [A-Z]{0,5} \[org\.key(cloak)?\.events\] \([a-z -]{0,8}\) type=("?)(LOGIN|LOGIN_ERROR|LOGOUT|IMPERSONATE|X)("?)(, [a-zA-Z_]{1,8}=("?)[^\n]{0,12}("?)){0,6}"#,
            j in r#"\{"time": [0-9.e"-]{0,14}, "type": "(LOGIN|CODE_TO_TOKEN|UPDATE_TOTP|USER_DISABLED_BY_TEMPORARY_LOCKOUT|X)", "realmId": "r", "ipAddress": "[0-9a-f.:]{0,12}", "userId": (null|"[a-z]{0,3}"|1), "details": \{"username": "[^"\\]{0,8}", "auth_method": "[a-z-]{0,14}"\}\}"#,
        ) {
            test_support::parse_never_panics(parse, ctx, [s.as_str(), t.as_str(), j.as_str()]);
        }
    }
}
