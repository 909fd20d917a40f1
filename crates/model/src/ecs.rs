//! The Elastic Common Schema (ECS) form of an event, for shipping authtrail's events to
//! Elasticsearch, OpenSearch or any tool that reads ECS.
//!
//! [`to_ecs`] maps one OCSF event (JSON, as stored) to one ECS document: `@timestamp`, the four
//! categorization fields (`event.kind`, `event.category`, `event.type`, `event.outcome`) chosen
//! by `class_uid` and `activity_id`, and the user, endpoint, HTTP, trace and product fields at
//! their ECS names. What core ECS has no field for (the session, MFA, the logon type, the log
//! entry's seq and source) goes under the custom `authtrail.*` namespace. The mapping is total:
//! any JSON value gives a document, absent or mistyped OCSF fields are left out, and nothing is
//! invented. `docs/QUERY.md` ("Export") has the field table.

use serde_json::{Map, Value};

/// The ECS version the mapping follows (`ecs.version` of every document).
pub const ECS_VERSION: &str = "8.11.0";

/// The ECS document of one OCSF event.
pub fn to_ecs(event: &Value) -> Value {
    let mut doc = Map::new();
    let class_uid = event.get("class_uid").and_then(Value::as_u64);
    let activity_id = event.get("activity_id").and_then(Value::as_i64);
    put(&mut doc, &["ecs", "version"], ECS_VERSION.into());

    if let Some(ts) = event
        .get("time")
        .and_then(Value::as_i64)
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
    {
        put(&mut doc, &["@timestamp"], format!("{ts:.3}").into());
    }

    let class = categorize(class_uid, activity_id);
    put(&mut doc, &["event", "kind"], class.kind.into());
    if !class.categories.is_empty() {
        put(&mut doc, &["event", "category"], strings(class.categories));
        put(&mut doc, &["event", "type"], strings(class.types));
    }
    if let Some(action) = text(event, "/activity_name") {
        put(&mut doc, &["event", "action"], kebab(action).into());
    }
    let status_id = event.get("status_id").and_then(Value::as_i64);
    let outcome = match status_id {
        Some(1) => "success",
        Some(2) => "failure",
        _ => "unknown",
    };
    put(&mut doc, &["event", "outcome"], outcome.into());
    copy_text(&mut doc, &["event", "reason"], event, "/status_detail");
    copy_text(&mut doc, &["event", "code"], event, "/metadata/event_code");
    copy_text(&mut doc, &["event", "id"], event, "/metadata/uid");
    if let Some(severity) = event.get("severity_id").and_then(Value::as_i64) {
        put(&mut doc, &["event", "severity"], severity.into());
    }
    if status_id == Some(2) {
        copy_text(&mut doc, &["error", "code"], event, "/status_code");
    }
    copy_text(&mut doc, &["message"], event, "/message");

    map_users(&mut doc, event, class_uid);
    map_endpoint(&mut doc, "source", event.get("src_endpoint"));
    map_endpoint(&mut doc, "destination", event.get("dst_endpoint"));
    if let Some(host) = text(event, "/device/hostname")
        .or_else(|| text(event, "/device/name"))
        .or_else(|| text(event, "/dst_endpoint/hostname"))
    {
        put(&mut doc, &["host", "name"], host.into());
    }

    copy_text(
        &mut doc,
        &["user_agent", "original"],
        event,
        "/http_request/user_agent",
    );
    copy_text(
        &mut doc,
        &["http", "request", "method"],
        event,
        "/http_request/http_method",
    );
    if let Some(code) = event.pointer("/http_response/code").and_then(Value::as_u64) {
        put(&mut doc, &["http", "response", "status_code"], code.into());
    }
    copy_text(
        &mut doc,
        &["url", "original"],
        event,
        "/http_request/url/url_string",
    );
    copy_text(&mut doc, &["url", "path"], event, "/http_request/url/path");
    copy_text(
        &mut doc,
        &["url", "domain"],
        event,
        "/http_request/url/hostname",
    );

    copy_text(
        &mut doc,
        &["trace", "id"],
        event,
        "/metadata/correlation_uid",
    );
    copy_text(&mut doc, &["service", "name"], event, "/service/name");
    copy_text(
        &mut doc,
        &["observer", "product"],
        event,
        "/metadata/product/name",
    );
    copy_text(
        &mut doc,
        &["observer", "vendor"],
        event,
        "/metadata/product/vendor_name",
    );
    copy_text(
        &mut doc,
        &["observer", "version"],
        event,
        "/metadata/product/version",
    );
    copy_text(
        &mut doc,
        &["rule", "name"],
        event,
        "/finding_info/analytic/name",
    );
    copy_text(
        &mut doc,
        &["rule", "id"],
        event,
        "/finding_info/analytic/uid",
    );

    // What core ECS has no field for.
    if let Some(uid) = class_uid {
        put(&mut doc, &["authtrail", "class_uid"], uid.into());
    }
    if let Some(session) = event
        .get("session")
        .or_else(|| event.pointer("/actor/session"))
        .filter(|s| s.as_object().is_some_and(|o| !o.is_empty()))
    {
        put(&mut doc, &["authtrail", "session"], session.clone());
    }
    if let Some(mfa) = event.get("is_mfa").and_then(Value::as_bool) {
        put(&mut doc, &["authtrail", "is_mfa"], mfa.into());
    }
    copy_text(
        &mut doc,
        &["authtrail", "auth_protocol"],
        event,
        "/auth_protocol",
    );
    copy_text(&mut doc, &["authtrail", "logon_type"], event, "/logon_type");
    Value::Object(doc)
}

/// [`to_ecs`] with the log entry's place: `authtrail.seq` and `authtrail.source`.
pub fn entry_to_ecs(seq: u64, source: &str, event: &Value) -> Value {
    let mut doc = to_ecs(event);
    if let Value::Object(map) = &mut doc {
        put(map, &["authtrail", "seq"], seq.into());
        put(map, &["authtrail", "source"], source.into());
    }
    doc
}

/// The ECS categorization of an OCSF class and activity.
struct Class {
    kind: &'static str,
    categories: &'static [&'static str],
    types: &'static [&'static str],
}

/// `event.kind`, `event.category` and `event.type` for a class and activity. Types are chosen
/// among those ECS expects for the category.
fn categorize(class_uid: Option<u64>, activity_id: Option<i64>) -> Class {
    let event = |categories, types| Class {
        kind: "event",
        categories,
        types,
    };
    match class_uid {
        // Authentication: Logon starts, Logoff ends, the rest (tickets, preauth) inform.
        Some(3002) => match activity_id {
            Some(1) => event(&["authentication"], &["start"]),
            Some(2) => event(&["authentication"], &["end"]),
            _ => event(&["authentication"], &["info"]),
        },
        // Account Change: Create, Delete, or a change of the account.
        Some(3001) => match activity_id {
            Some(1) => event(&["iam"], &["user", "creation"]),
            Some(6) => event(&["iam"], &["user", "deletion"]),
            Some(2..=5 | 7..=12) => event(&["iam"], &["user", "change"]),
            _ => event(&["iam"], &["user", "info"]),
        },
        // Authorize Session: privileges, groups or roles given to a new session.
        Some(3003) => event(&["iam", "session"], &["info"]),
        // API Activity: Create, Read, Update, Delete.
        Some(6003) => match activity_id {
            Some(1) => event(&["api"], &["creation"]),
            Some(2) => event(&["api"], &["access"]),
            Some(3) => event(&["api"], &["change"]),
            Some(4) => event(&["api"], &["deletion"]),
            _ => event(&["api"], &["info"]),
        },
        Some(4002) => event(&["web"], &["access"]),
        Some(2004) => Class {
            kind: "alert",
            categories: &["intrusion_detection"],
            types: &["info"],
        },
        // Unparsed input: ECS's kind for events that failed ingestion.
        Some(0) => Class {
            kind: "pipeline_error",
            categories: &[],
            types: &[],
        },
        _ => event(&[], &[]),
    }
}

/// `user.*` (and `user.target.*` for Account Change, where OCSF's `user` is the changed account
/// and `actor.user` who changed it; elsewhere `user` is the subject, `actor.user` a fallback).
fn map_users(doc: &mut Map<String, Value>, event: &Value, class_uid: Option<u64>) {
    let user = event.get("user").filter(|u| u.is_object());
    let actor = event.pointer("/actor/user").filter(|u| u.is_object());
    if class_uid == Some(3001) {
        if let Some(target) = user {
            map_user(doc, &["user", "target"], target);
        }
        if let Some(actor) = actor {
            map_user(doc, &["user"], actor);
        }
    } else if let Some(subject) = user.or(actor) {
        map_user(doc, &["user"], subject);
    }
}

/// One OCSF user object at an ECS user path.
fn map_user(doc: &mut Map<String, Value>, at: &[&str], user: &Value) {
    for (ocsf, ecs) in [
        ("/name", "name"),
        ("/uid", "id"),
        ("/email_addr", "email"),
        ("/domain", "domain"),
        ("/full_name", "full_name"),
    ] {
        if let Some(value) = text(user, ocsf) {
            let mut path = at.to_vec();
            path.push(ecs);
            put(doc, &path, value.into());
        }
    }
}

/// An OCSF endpoint at `source` or `destination`.
fn map_endpoint(doc: &mut Map<String, Value>, at: &str, endpoint: Option<&Value>) {
    let Some(endpoint) = endpoint.filter(|e| e.is_object()) else {
        return;
    };
    let ip = text(endpoint, "/ip");
    let hostname = text(endpoint, "/hostname");
    if let Some(ip) = ip {
        put(doc, &[at, "ip"], ip.into());
    }
    if let Some(address) = ip.or(hostname) {
        put(doc, &[at, "address"], address.into());
    }
    if let Some(hostname) = hostname {
        put(doc, &[at, "domain"], hostname.into());
    }
    if let Some(port) = endpoint.get("port").and_then(Value::as_u64) {
        put(doc, &[at, "port"], port.into());
    }
    if let Some(country) = text(endpoint, "/location/country") {
        put(doc, &[at, "geo", "country_iso_code"], country.into());
    }
    if let Some(city) = text(endpoint, "/location/city") {
        put(doc, &[at, "geo", "city_name"], city.into());
    }
    let lat = endpoint.pointer("/location/lat").and_then(Value::as_f64);
    let lon = endpoint.pointer("/location/long").and_then(Value::as_f64);
    if let (Some(lat), Some(lon)) = (lat, lon) {
        let mut point = Map::new();
        point.insert("lat".into(), lat.into());
        point.insert("lon".into(), lon.into());
        put(doc, &[at, "geo", "location"], Value::Object(point));
    }
}

/// A non-empty string at a JSON pointer.
fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Copy a non-empty string from the event to an ECS path.
fn copy_text(doc: &mut Map<String, Value>, at: &[&str], event: &Value, pointer: &str) {
    if let Some(value) = text(event, pointer) {
        put(doc, at, value.into());
    }
}

/// Set `value` at a dotted path of nested objects, creating them as needed (a non-object in
/// the way is replaced; the mapping never writes one where another path continues).
fn put(doc: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = doc;
    for key in parents {
        let slot = at
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else {
            return;
        };
        at = next;
    }
    at.insert((*last).to_owned(), value);
}

/// A JSON array of strings.
fn strings(values: &[&str]) -> Value {
    Value::Array(values.iter().map(|v| Value::from(*v)).collect())
}

/// An activity caption as an ECS action: lower case, words joined by `-` (`Password Change` →
/// `password-change`).
fn kebab(caption: &str) -> String {
    caption
        .split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ssh_failure() -> Value {
        json!({
            "class_uid": 3002, "class_name": "Authentication", "activity_id": 1,
            "activity_name": "Logon", "time": 1_764_230_400_123_i64, "severity_id": 1,
            "status_id": 2, "status": "Failure", "status_detail": "wrong password",
            "message": "Failed password for alice",
            "metadata": {"product": {"name": "sshd", "vendor_name": "OpenBSD", "version": "9.6"},
                         "uid": "web1/42", "correlation_uid": "4bf92f3577b34da6a3ce929d0e0e4736",
                         "event_code": "4625"},
            "user": {"name": "alice", "uid": "1000", "email_addr": "alice@example.com",
                     "domain": "EXAMPLE"},
            "src_endpoint": {"ip": "203.0.113.7", "port": 52113,
                             "location": {"country": "FR", "city": "Paris", "lat": 48.85, "long": 2.35}},
            "dst_endpoint": {"ip": "10.0.0.5", "port": 22, "hostname": "web1"},
            "service": {"name": "ssh"},
            "session": {"uid": "s-1", "is_mfa": false},
            "http_request": {"user_agent": "curl/8.0"},
            "is_mfa": false, "auth_protocol": "Password", "logon_type": "Network"
        })
    }

    #[test]
    fn an_authentication_failure_maps_to_its_ecs_fields() {
        let doc = entry_to_ecs(7, "web1", &ssh_failure());
        let want = json!({
            "@timestamp": "2025-11-27T08:00:00.123Z",
            "ecs": {"version": ECS_VERSION},
            "event": {"kind": "event", "category": ["authentication"], "type": ["start"],
                      "action": "logon", "outcome": "failure", "reason": "wrong password",
                      "code": "4625", "id": "web1/42", "severity": 1},
            "message": "Failed password for alice",
            "user": {"name": "alice", "id": "1000", "email": "alice@example.com", "domain": "EXAMPLE"},
            "source": {"ip": "203.0.113.7", "address": "203.0.113.7", "port": 52113,
                       "geo": {"country_iso_code": "FR", "city_name": "Paris",
                               "location": {"lat": 48.85, "lon": 2.35}}},
            "destination": {"ip": "10.0.0.5", "address": "10.0.0.5", "domain": "web1", "port": 22},
            "host": {"name": "web1"},
            "user_agent": {"original": "curl/8.0"},
            "trace": {"id": "4bf92f3577b34da6a3ce929d0e0e4736"},
            "service": {"name": "ssh"},
            "observer": {"product": "sshd", "vendor": "OpenBSD", "version": "9.6"},
            "authtrail": {"seq": 7, "source": "web1", "class_uid": 3002,
                          "session": {"uid": "s-1", "is_mfa": false}, "is_mfa": false,
                          "auth_protocol": "Password", "logon_type": "Network"}
        });
        assert_eq!(doc, want, "{doc:#}");
    }

    #[test]
    fn classes_and_activities_choose_the_categorization() {
        /// class_uid, activity_id, kind, categories, types.
        type Case = (
            u64,
            i64,
            &'static str,
            &'static [&'static str],
            &'static [&'static str],
        );
        let cases: &[Case] = &[
            (3002, 1, "event", &["authentication"], &["start"]),
            (3002, 2, "event", &["authentication"], &["end"]),
            (3002, 3, "event", &["authentication"], &["info"]),
            (3001, 1, "event", &["iam"], &["user", "creation"]),
            (3001, 3, "event", &["iam"], &["user", "change"]),
            (3001, 6, "event", &["iam"], &["user", "deletion"]),
            (3001, 99, "event", &["iam"], &["user", "info"]),
            (3003, 1, "event", &["iam", "session"], &["info"]),
            (6003, 1, "event", &["api"], &["creation"]),
            (6003, 2, "event", &["api"], &["access"]),
            (6003, 3, "event", &["api"], &["change"]),
            (6003, 4, "event", &["api"], &["deletion"]),
            (4002, 3, "event", &["web"], &["access"]),
            (2004, 1, "alert", &["intrusion_detection"], &["info"]),
        ];
        for (class, activity, kind, categories, types) in cases {
            let doc = to_ecs(&json!({"class_uid": class, "activity_id": activity}));
            assert_eq!(doc["event"]["kind"], *kind, "{class}/{activity}");
            assert_eq!(doc["event"]["category"], json!(categories), "{class}");
            assert_eq!(doc["event"]["type"], json!(types), "{class}/{activity}");
        }
        let unparsed = to_ecs(&json!({"class_uid": 0, "status_detail": "no parser"}));
        assert_eq!(unparsed["event"]["kind"], "pipeline_error");
        assert_eq!(unparsed["event"]["reason"], "no parser");
        assert!(unparsed["event"].get("category").is_none());
        let other = to_ecs(&json!({"class_uid": 1001}));
        assert_eq!(other["event"]["kind"], "event");
        assert!(other["event"].get("type").is_none());
    }

    #[test]
    fn outcome_follows_status_id() {
        for (status, outcome) in [
            (1, "success"),
            (2, "failure"),
            (0, "unknown"),
            (99, "unknown"),
        ] {
            let doc = to_ecs(&json!({"class_uid": 3002, "status_id": status}));
            assert_eq!(doc["event"]["outcome"], outcome, "{status}");
        }
        assert_eq!(to_ecs(&json!({}))["event"]["outcome"], "unknown");
        // The source's own code is an error code only on failure.
        let failed = to_ecs(&json!({"status_id": 2, "status_code": "AccessDenied"}));
        assert_eq!(failed["error"]["code"], "AccessDenied");
        let ok = to_ecs(&json!({"status_id": 1, "status_code": "s"}));
        assert!(ok.get("error").is_none());
    }

    #[test]
    fn account_changes_put_the_changed_account_in_user_target() {
        let event = json!({
            "class_uid": 3001, "activity_id": 3, "activity_name": "Password Change",
            "user": {"name": "bob"}, "actor": {"user": {"name": "admin", "uid": "0"}}
        });
        let doc = to_ecs(&event);
        assert_eq!(
            doc["user"],
            json!({"name": "admin", "id": "0", "target": {"name": "bob"}})
        );
        assert_eq!(doc["event"]["action"], "password-change");

        // Elsewhere `user` is the subject, and the actor stands in when there is none.
        let api =
            json!({"class_uid": 6003, "activity_id": 2, "actor": {"user": {"name": "carol"}}});
        assert_eq!(to_ecs(&api)["user"], json!({"name": "carol"}));
        let both =
            json!({"class_uid": 3002, "user": {"name": "u"}, "actor": {"user": {"name": "a"}}});
        assert_eq!(to_ecs(&both)["user"], json!({"name": "u"}));
    }

    #[test]
    fn http_fields_and_the_actor_session() {
        let event = json!({
            "class_uid": 4002, "activity_id": 6, "activity_name": "Post",
            "http_request": {"http_method": "POST", "user_agent": "Mozilla/5.0",
                             "url": {"url_string": "https://sso.example.com/login?x=1",
                                     "path": "/login", "hostname": "sso.example.com"}},
            "http_response": {"code": 401},
            "src_endpoint": {"hostname": "client.example.net"},
            "actor": {"session": {"uid": "cookie-1"}},
            "device": {"hostname": "gw1"}
        });
        let doc = to_ecs(&event);
        assert_eq!(
            doc["http"],
            json!({"request": {"method": "POST"}, "response": {"status_code": 401}})
        );
        assert_eq!(
            doc["url"],
            json!({"original": "https://sso.example.com/login?x=1", "path": "/login",
                   "domain": "sso.example.com"})
        );
        assert_eq!(
            doc["source"],
            json!({"address": "client.example.net", "domain": "client.example.net"})
        );
        assert_eq!(doc["host"]["name"], "gw1");
        assert_eq!(doc["authtrail"]["session"], json!({"uid": "cookie-1"}));
        assert_eq!(doc["event"]["action"], "post");
    }

    #[test]
    fn anything_maps_without_panicking_and_absent_fields_stay_absent() {
        for value in [
            json!(null),
            json!([1, 2]),
            json!("text"),
            json!({"time": "not a number", "user": "alice", "src_endpoint": [1],
                   "status_id": "2", "session": {}, "message": ""}),
            json!({"time": i64::MAX}),
        ] {
            let doc = to_ecs(&value);
            let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["ecs", "event"], "{value}");
            assert_eq!(doc["event"], json!({"kind": "event", "outcome": "unknown"}));
        }
    }

    #[test]
    fn dotted_paths_nest() {
        let mut doc = Map::new();
        put(&mut doc, &["a", "b", "c"], 1.into());
        put(&mut doc, &["a", "b", "d"], 2.into());
        put(&mut doc, &["a", "e"], 3.into());
        put(&mut doc, &[], 4.into());
        assert_eq!(
            Value::Object(doc),
            json!({"a": {"b": {"c": 1, "d": 2}, "e": 3}})
        );
        assert_eq!(kebab("  Assign   Privileges "), "assign-privileges");
    }
}
