//! What the JSON parsers (Okta, Auth0, CloudTrail, Keycloak, authentik) share: reading a record
//! as an object, taking and reading its string fields, and its RFC 3339 time.

use serde_json::{Map, Value};

use crate::parse::syslog::rfc3339_ms;
use crate::parse::{ParseContext, Unrecognized};

/// A record's JSON object; `what` names the record in the reasons it is refused for
/// (`invalid JSON {what}: …`, `JSON {what} is not an object`).
pub fn object(text: &str, what: &str) -> Result<Map<String, Value>, Unrecognized> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Unrecognized::because(format!("invalid JSON {what}: {e}")))?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(Unrecognized::because(format!(
            "JSON {what} is not an object"
        ))),
    }
}

/// Remove a key whose value is a non-empty string, and return it (a value of another type is
/// left in place).
pub fn take_str(map: &mut Map<String, Value>, key: &str) -> Option<String> {
    match map.remove(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        Some(Value::String(_)) | None => None,
        Some(other) => {
            map.insert(key.to_string(), other);
            None
        }
    }
}

/// A key's value when it is a non-empty string.
pub fn str_of<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The time of an RFC 3339 field (`key` names it in the reasons it is refused for), or the time
/// the record was received when there is none.
pub fn rfc3339_time(
    value: Option<&Value>,
    key: &str,
    ctx: &ParseContext,
) -> Result<i64, Unrecognized> {
    match value {
        Some(Value::String(t)) => {
            rfc3339_ms(t, ctx).ok_or_else(|| Unrecognized::because(format!("bad {key} {t:?}")))
        }
        Some(other) => Err(Unrecognized::because(format!("bad {key} {other}"))),
        None => Ok(ctx.received_ms),
    }
}
