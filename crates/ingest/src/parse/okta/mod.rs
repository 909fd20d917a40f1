//! Okta System Log events (the LogEvent JSON of `/api/v1/logs`): one object per record with
//! `eventType`, `published`, `outcome` (`result`, `reason`), the `actor`, `client` (IP address,
//! geographical context, user agent), `authenticationContext` (session ids, credential type),
//! `debugContext.debugData`, `target` and `displayMessage`.
//!
//! Sign-ons (`user.session.start`, `user.authentication.*`), MFA challenges (`user.mfa.*`,
//! `system.push.send_factor_verify_push`), sign-outs, sign-on policy evaluations and detected
//! threats are Authentication events; lock-outs, unlocks, password resets and changes and MFA
//! factor enrolment changes are Account Change; Okta Support impersonation is Authorize Session.
//! Other event types are not authentication events. Some exporters (Panther) lower-case the
//! top-level keys (`eventtype`, `displaymessage`): those are read too.

use authtrail_model::{HttpRequest, Location, Session, User};
use serde_json::Value;

use crate::parse::build::{
    self, ProductInfo, ACCOUNT_CHANGE, ASSIGN_PRIVILEGES, AUTHENTICATION, AUTHORIZE_SESSION,
    FAILURE, HIGH, LOCK, LOGOFF, LOGON, MFA_FACTOR_DISABLE, MFA_FACTOR_ENABLE, OTHER,
    PASSWORD_CHANGE, PASSWORD_RESET, PREAUTH, STATUS_UNKNOWN, SUCCESS, UNLOCK,
};
use crate::parse::json_fields;
use crate::parse::lenient::Obj;
use crate::parse::{ParseContext, ParseResult, Unrecognized};

mod record;

use record::{Geo, Party, Record, SecurityContext};

/// Okta, as `metadata.product`.
pub const PRODUCT: ProductInfo = ProductInfo {
    name: "Okta",
    vendor: "Okta",
};

/// What an event type becomes: class, activity, and whether it is an MFA step.
struct Kind {
    class_uid: u32,
    activity_id: i32,
    is_mfa: Option<bool>,
}

/// The class and activity of an Okta event type, or `None` for other events.
fn kind(event_type: &str) -> Option<Kind> {
    let k = |class_uid, activity_id, is_mfa| {
        Some(Kind {
            class_uid,
            activity_id,
            is_mfa,
        })
    };
    match event_type {
        "user.session.start" => k(AUTHENTICATION, LOGON, None),
        "user.session.end" => k(AUTHENTICATION, LOGOFF, None),
        "user.authentication.auth_via_mfa" | "user.authentication.verify" => {
            k(AUTHENTICATION, LOGON, Some(true))
        }
        t if t.starts_with("user.authentication.") => k(AUTHENTICATION, LOGON, None),
        // Factor enrolment changes are changes to the account, not sign-ins.
        "user.mfa.factor.activate" => k(ACCOUNT_CHANGE, MFA_FACTOR_ENABLE, None),
        "user.mfa.factor.deactivate" | "user.mfa.factor.reset_all" | "user.mfa.factor.suspend" => {
            k(ACCOUNT_CHANGE, MFA_FACTOR_DISABLE, None)
        }
        "user.mfa.factor.update" => k(ACCOUNT_CHANGE, OTHER, None),
        t if t.starts_with("user.mfa.") => k(AUTHENTICATION, LOGON, Some(true)),
        "system.push.send_factor_verify_push" => k(AUTHENTICATION, LOGON, Some(true)),
        "policy.evaluate_sign_on" => k(AUTHENTICATION, OTHER, None),
        "security.threat.detected" => k(AUTHENTICATION, PREAUTH, None),
        t if t == "user.account.lock" || t.starts_with("user.account.lock.") => {
            k(ACCOUNT_CHANGE, LOCK, None)
        }
        t if t.starts_with("user.account.unlock") => k(ACCOUNT_CHANGE, UNLOCK, None),
        "user.account.reset_password" => k(ACCOUNT_CHANGE, PASSWORD_RESET, None),
        "user.account.update_password" => k(ACCOUNT_CHANGE, PASSWORD_CHANGE, None),
        "user.session.impersonation.grant" => k(AUTHORIZE_SESSION, ASSIGN_PRIVILEGES, None),
        t if t.starts_with("user.session.impersonation.") => k(AUTHORIZE_SESSION, OTHER, None),
        _ => None,
    }
}

/// `outcome.result` as a status.
fn status_of(result: Option<&str>) -> i32 {
    match result.map(str::to_ascii_uppercase).as_deref() {
        Some("SUCCESS" | "ALLOW") => SUCCESS,
        Some("FAILURE" | "DENY") => FAILURE,
        Some("CHALLENGE" | "SKIPPED") => OTHER,
        _ => STATUS_UNKNOWN,
    }
}

/// Map one Okta System Log event (a JSON object) to an OCSF event.
pub fn parse(text: &str, ctx: &mut ParseContext) -> ParseResult {
    let Obj(record) = serde_json::from_str::<Obj<Record<'_>>>(text.trim())
        .map_err(|e| Unrecognized::because(format!("invalid JSON Okta event: {e}")))?;
    let Some(record) = record else {
        return Err(Unrecognized::new("JSON Okta event is not an object"));
    };
    let Some(event_type) = record.event_type.non_empty() else {
        return Err(Unrecognized::new("not an Okta event: no eventType"));
    };
    let Some(kind) = kind(event_type) else {
        return Err(Unrecognized::because(format!(
            "{event_type:?} is not an authentication event"
        )));
    };
    let time_ms = json_fields::rfc3339_time(record.published.as_ref(), "published time", ctx)?;

    let outcome = record.outcome.0.as_ref();
    let result = outcome.and_then(|o| o.result.0.as_deref());
    let deny_push = event_type.ends_with(".deny_push");
    let status_id = if deny_push {
        FAILURE
    } else {
        status_of(result)
    };

    let mut e = build::new_event(
        kind.class_uid,
        kind.activity_id,
        status_id,
        time_ms,
        PRODUCT,
    );
    if event_type == "security.threat.detected" {
        e.severity_id = HIGH;
    }
    e.is_mfa = kind.is_mfa;
    e.status_detail = outcome
        .and_then(|o| o.reason.non_empty())
        .map(String::from)
        .or_else(|| deny_push.then(|| "push denied".to_string()));
    if let Some(r) = result {
        e.unmapped.insert("okta.outcome".into(), Value::from(r));
    }

    // Who: the actor; for account changes and impersonation, a target user is the account
    // changed and the actor is who changed it.
    let actor_party = record.actor.0.as_ref();
    let actor = actor_party.and_then(user_of);
    let target_user = match kind.class_uid {
        ACCOUNT_CHANGE | AUTHORIZE_SESSION => targets(&record, "User").find_map(user_of),
        _ => None,
    };
    if kind.class_uid == AUTHORIZE_SESSION {
        // What Okta grants is the right to impersonate: named by the event type.
        e.other.insert(
            "privileges".into(),
            Value::Array(vec![Value::from(event_type)]),
        );
    }
    match target_user {
        Some(target) => {
            if let Some(a) = actor.filter(|a| a.uid != target.uid || a.name != target.name) {
                e.actor = Some(serde_json::json!({ "user": a }));
            }
            e.user = Some(target);
        }
        None => e.user = actor,
    }
    if let Some(t) = actor_party
        .and_then(|a| a.kind.0.as_deref())
        .filter(|t| *t != "User")
    {
        e.unmapped.insert("okta.actor_type".into(), Value::from(t));
    }
    // The application signed in to.
    if let Some(app) = targets(&record, "AppInstance").find_map(|t| t.display_name.non_empty()) {
        e.service = Some(authtrail_model::Service {
            name: Some(app.to_string()),
            ..Default::default()
        });
    }

    if let Some(client) = &record.client.0 {
        if let Some(ip) = client.ip_address.non_empty() {
            let mut src = build::endpoint(ip, None);
            if let Some(geo) = &client.geo.0 {
                src.location = location(geo);
            }
            if let Some(sc) = &record.security_context.0 {
                network(sc, &mut src, &mut e.unmapped);
            }
            e.src_endpoint = Some(src);
        }
        if let Some(ua) = client.user_agent.0.as_ref().and_then(|u| u.raw.non_empty()) {
            e.http_request = Some(HttpRequest {
                user_agent: Some(ua.to_string()),
                ..HttpRequest::default()
            });
        }
    }

    if let Some(auth) = &record.authentication_context.0 {
        let mut session = Session {
            uid: auth
                .external_session_id
                .non_empty()
                .filter(|s| *s != "unknown")
                .map(String::from),
            ..Session::default()
        };
        if let Some(root) = auth.root_session_id.non_empty().filter(|s| *s != "unknown") {
            session.extra.insert("uid_alt".into(), Value::from(root));
        }
        if session.uid.is_some() || !session.extra.is_empty() {
            if kind.class_uid == ACCOUNT_CHANGE {
                // Account Change has no `session`: the session is the actor's.
                if let Ok(session) = serde_json::to_value(&session) {
                    build::set_actor(&mut e, "session", session);
                }
            } else {
                e.session = Some(session);
            }
        }
        if let Some(cred) = auth.credential_type.non_empty() {
            e.auth_protocol = Some(cred.to_string());
            e.auth_protocol_id = Some(OTHER);
        }
    }

    if let Some(id) = record
        .debug_context
        .0
        .as_ref()
        .and_then(|d| d.request_id.non_empty())
    {
        e.unmapped.insert("okta.request_id".into(), Value::from(id));
    }
    if let Some(id) = record.transaction.0.as_ref().and_then(|t| t.id.non_empty()) {
        e.unmapped
            .insert("okta.transaction_id".into(), Value::from(id));
    }
    if let Some(s) = record.severity.non_empty() {
        e.unmapped.insert("okta.severity".into(), Value::from(s));
    }
    e.metadata.uid = record.uuid.non_empty().map(String::from);
    e.message = record.display_message.non_empty().map(String::from);
    e.unmapped
        .insert("okta.event_type".into(), Value::from(event_type));
    Ok(e)
}

/// Whether a line or JSON record looks like an Okta System Log event (for `--format auto`).
pub fn looks_like(text: &str) -> bool {
    let has = |camel: &str, lower: &str| text.contains(camel) || text.contains(lower);
    has("\"eventType\"", "\"eventtype\"")
        && (has("\"legacyEventType\"", "\"legacyeventtype\"")
            || has("\"displayMessage\"", "\"displaymessage\"")
            || text.contains("\"published\""))
        // CloudTrail records have an `eventType` too.
        && !text.contains("\"eventSource\"")
}

/// The `target` entries of a given `type`.
fn targets<'r, 'a>(record: &'r Record<'a>, kind: &'r str) -> impl Iterator<Item = &'r Party<'a>> {
    record
        .target
        .0
        .iter()
        .filter_map(|t| t.0.as_ref())
        .filter(move |t| t.kind.0.as_deref() == Some(kind))
}

/// An Okta actor or target (`alternateId`, `id`, `displayName`) as an OCSF user.
fn user_of(party: &Party<'_>) -> Option<User> {
    let name = party.alternate_id.non_empty().filter(|n| *n != "unknown");
    let uid = party.id.non_empty();
    if name.is_none() && uid.is_none() {
        return None;
    }
    let mut user = User {
        name: name.map(String::from),
        uid: uid.map(String::from),
        email_addr: name.filter(|n| n.contains('@')).map(String::from),
        ..User::default()
    };
    if let Some(full) = party.display_name.non_empty() {
        user.extra.insert("full_name".into(), Value::from(full));
    }
    Some(user)
}

/// `securityContext`: the autonomous system on the source endpoint, the ISP and proxy flag to
/// `unmapped`.
fn network(
    sc: &SecurityContext<'_>,
    src: &mut authtrail_model::Endpoint,
    unmapped: &mut std::collections::BTreeMap<String, Value>,
) {
    let number = sc
        .as_number
        .0
        .filter(|n| n.fract() == 0.0 && *n > 0.0 && *n <= f64::from(u32::MAX))
        .map(|n| n as u64);
    build::set_autonomous_system(src, number, sc.as_org.non_empty());
    if let Some(isp) = sc.isp.non_empty() {
        unmapped.insert("okta.isp".into(), Value::from(isp));
    }
    if let Some(proxy) = sc.is_proxy {
        unmapped.insert("okta.is_proxy".into(), Value::from(proxy));
    }
}

/// `client.geographicalContext` as an OCSF location (`state` as `region`).
fn location(geo: &Geo<'_>) -> Option<Location> {
    let point = geo.point.0.as_ref();
    let mut loc = Location {
        country: geo.country.non_empty().map(String::from),
        city: geo.city.non_empty().map(String::from),
        lat: point.and_then(|p| p.lat.0),
        long: point.and_then(|p| p.lon.0),
        ..Location::default()
    };
    for (value, to) in [(&geo.state, "region"), (&geo.postal_code, "postal_code")] {
        if let Some(v) = value.non_empty() {
            loc.extra.insert(to.into(), Value::from(v));
        }
    }
    let empty = loc.country.is_none()
        && loc.city.is_none()
        && loc.lat.is_none()
        && loc.long.is_none()
        && loc.extra.is_empty();
    (!empty).then_some(loc)
}

#[cfg(test)]
mod tests {
    use authtrail_model::Event;

    use super::*;
    use crate::parse::test_support::{self, ctx, src, user};

    fn parsed(line: &str) -> Event {
        test_support::parsed(parse, line, &mut ctx())
    }

    /// An Okta event of `event_type` with `outcome` and otherwise typical fields.
    fn event(event_type: &str, outcome: &str) -> String {
        format!(
            r#"{{"uuid": "e-1", "published": "2024-05-01T10:00:00.123Z", "eventType": "{event_type}", "legacyEventType": "x", "displayMessage": "Something happened", "severity": "INFO", "actor": {{"id": "00u1", "type": "User", "alternateId": "alice@example.com", "displayName": "Alice A"}}, "client": {{"ipAddress": "203.0.113.7", "userAgent": {{"rawUserAgent": "Mozilla/5.0"}}, "geographicalContext": {{"city": "Paris", "country": "France", "state": "IDF", "geolocation": {{"lat": 48.85, "lon": 2.35}}}}}}, "authenticationContext": {{"externalSessionId": "102abc", "rootSessionId": "idx1", "credentialType": "PASSWORD"}}, "debugContext": {{"debugData": {{"requestId": "req-9", "dtHash": "h"}}}}, "outcome": {outcome}, "transaction": {{"id": "tx-1", "type": "WEB"}}, "target": [{{"id": "00u2", "type": "User", "alternateId": "bob@example.com", "displayName": "Bob B"}}, {{"id": "0oa1", "type": "AppInstance", "alternateId": "App", "displayName": "Salesforce"}}]}}"#
        )
    }

    const OK: &str = r#"{"result": "SUCCESS"}"#;

    #[test]
    fn the_security_context_gives_the_autonomous_system() {
        let line = event("user.session.start", OK).replacen(
            r#""uuid": "e-1","#,
            r#""uuid": "e-1", "securityContext": {"asNumber": 940252, "asOrg": "t-mobile", "domain": ".", "isProxy": false, "isp": "t-mobile usa  inc."},"#,
            1,
        );
        let e = parsed(&line);
        let src = e.src_endpoint.as_ref().unwrap();
        assert_eq!(
            src.extra["autonomous_system"],
            serde_json::json!({"number": 940252, "name": "t-mobile"})
        );
        assert_eq!(e.unmapped["okta.isp"], "t-mobile usa  inc.");
        assert_eq!(e.unmapped["okta.is_proxy"], false);
        // An empty context (Okta's own tests have them) or a number that is not an AS adds nothing.
        for context in [r#"{}"#, r#"{"asNumber": -3}"#, r#"{"asNumber": "x"}"#] {
            let line = event("user.session.start", OK).replacen(
                r#""uuid": "e-1","#,
                &format!(r#""uuid": "e-1", "securityContext": {context},"#),
                1,
            );
            let e = parsed(&line);
            assert!(
                !e.src_endpoint
                    .unwrap()
                    .extra
                    .contains_key("autonomous_system"),
                "{context}"
            );
        }
    }

    #[test]
    fn session_start_is_a_logon_with_everything_mapped() {
        let e = parsed(&event("user.session.start", OK));
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (AUTHENTICATION, LOGON, SUCCESS)
        );
        assert_eq!(e.time, 1_714_557_600_123);
        let u = e.user.as_ref().unwrap();
        assert_eq!(u.name.as_deref(), Some("alice@example.com"));
        assert_eq!(u.uid.as_deref(), Some("00u1"));
        assert_eq!(u.email_addr.as_deref(), Some("alice@example.com"));
        assert_eq!(u.extra["full_name"], "Alice A");
        assert!(e.actor.is_none());
        assert_eq!(src(&e), Some("203.0.113.7"));
        let loc = e
            .src_endpoint
            .as_ref()
            .and_then(|s| s.location.as_ref())
            .unwrap();
        assert_eq!(loc.country.as_deref(), Some("France"));
        assert_eq!(loc.city.as_deref(), Some("Paris"));
        assert_eq!((loc.lat, loc.long), (Some(48.85), Some(2.35)));
        assert_eq!(loc.extra["region"], "IDF");
        assert_eq!(
            e.http_request.as_ref().unwrap().user_agent.as_deref(),
            Some("Mozilla/5.0")
        );
        let session = e.session.as_ref().unwrap();
        assert_eq!(session.uid.as_deref(), Some("102abc"));
        assert_eq!(session.extra["uid_alt"], "idx1");
        assert_eq!(e.auth_protocol.as_deref(), Some("PASSWORD"));
        assert_eq!(e.auth_protocol_id, Some(OTHER));
        assert_eq!(e.metadata.uid.as_deref(), Some("e-1"));
        assert_eq!(e.message.as_deref(), Some("Something happened"));
        assert_eq!(
            e.service.as_ref().and_then(|s| s.name.as_deref()),
            Some("Salesforce")
        );
        assert_eq!(e.unmapped["okta.event_type"], "user.session.start");
        assert_eq!(e.unmapped["okta.request_id"], "req-9");
        assert_eq!(e.unmapped["okta.transaction_id"], "tx-1");
        assert_eq!(e.unmapped["okta.outcome"], "SUCCESS");
        assert!(!e.unmapped.contains_key("okta.debugContext"));
        assert_eq!(e.is_mfa, None);
        let product = e.metadata.product.as_ref().unwrap();
        assert_eq!(product.name.as_deref(), Some("Okta"));
        assert_eq!(product.vendor_name.as_deref(), Some("Okta"));
    }

    #[test]
    fn failed_sign_ons_carry_the_reason() {
        let e = parsed(&event(
            "user.session.start",
            r#"{"result": "FAILURE", "reason": "INVALID_CREDENTIALS"}"#,
        ));
        assert_eq!((e.activity_id, e.status_id), (LOGON, FAILURE));
        assert_eq!(e.status_detail.as_deref(), Some("INVALID_CREDENTIALS"));
        let e = parsed(&event("user.session.start", r#"{"result": "DENY"}"#));
        assert_eq!(e.status_id, FAILURE);
        let e = parsed(&event("user.session.start", r#"{"result": "ALLOW"}"#));
        assert_eq!(e.status_id, SUCCESS);
        let e = parsed(&event("user.session.start", r#"{"result": "UNKNOWN"}"#));
        assert_eq!(e.status_id, STATUS_UNKNOWN);
    }

    #[test]
    fn authentication_events_are_logons_mfa_for_factor_steps() {
        for (t, mfa) in [
            ("user.authentication.sso", None),
            ("user.authentication.auth_via_radius", None),
            ("user.authentication.auth_via_mfa", Some(true)),
            ("user.authentication.verify", Some(true)),
            ("user.mfa.okta_verify", Some(true)),
            ("user.mfa.attempt_bypass", Some(true)),
            ("system.push.send_factor_verify_push", Some(true)),
        ] {
            let e = parsed(&event(t, OK));
            assert_eq!(
                (e.class_uid, e.activity_id, e.status_id),
                (AUTHENTICATION, LOGON, SUCCESS),
                "{t}"
            );
            assert_eq!(e.is_mfa, mfa, "{t}");
            assert_eq!(user(&e), Some("alice@example.com"), "{t}");
        }
    }

    #[test]
    fn denied_pushes_are_failures() {
        let e = parsed(&event("user.mfa.okta_verify.deny_push", OK));
        assert_eq!((e.activity_id, e.status_id), (LOGON, FAILURE));
        assert_eq!(e.is_mfa, Some(true));
        assert_eq!(e.status_detail.as_deref(), Some("push denied"));
        let e = parsed(&event(
            "user.mfa.okta_verify.deny_push",
            r#"{"result": "FAILURE", "reason": "User rejected Okta push verify"}"#,
        ));
        assert_eq!(
            e.status_detail.as_deref(),
            Some("User rejected Okta push verify")
        );
    }

    #[test]
    fn session_end_is_a_logoff() {
        let e = parsed(&event("user.session.end", OK));
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (AUTHENTICATION, LOGOFF, SUCCESS)
        );
        assert_eq!(
            e.session.as_ref().and_then(|s| s.uid.as_deref()),
            Some("102abc")
        );
    }

    #[test]
    fn account_changes_name_the_target_and_the_actor() {
        for (t, activity, name) in [
            ("user.account.lock", LOCK, "Lock"),
            ("user.account.lock.limit", LOCK, "Lock"),
            ("user.account.unlock", UNLOCK, "Unlock"),
            ("user.account.unlock_by_admin", UNLOCK, "Unlock"),
            (
                "user.account.reset_password",
                PASSWORD_RESET,
                "Password Reset",
            ),
            (
                "user.account.update_password",
                PASSWORD_CHANGE,
                "Password Change",
            ),
            (
                "user.mfa.factor.activate",
                MFA_FACTOR_ENABLE,
                "MFA Factor Enable",
            ),
            (
                "user.mfa.factor.deactivate",
                MFA_FACTOR_DISABLE,
                "MFA Factor Disable",
            ),
            (
                "user.mfa.factor.reset_all",
                MFA_FACTOR_DISABLE,
                "MFA Factor Disable",
            ),
        ] {
            let e = parsed(&event(t, OK));
            assert_eq!(
                (e.class_uid, e.activity_id),
                (ACCOUNT_CHANGE, activity),
                "{t}"
            );
            assert_eq!(e.activity_name.as_deref(), Some(name), "{t}");
            assert_eq!(user(&e), Some("bob@example.com"), "{t}");
            assert_eq!(
                e.actor.as_ref().unwrap()["user"]["name"],
                "alice@example.com",
                "{t}"
            );
        }
        // Without a target user, the actor is the account.
        let e = parsed(
            r#"{"eventType": "user.account.lock", "published": "2024-05-01 10:00:00", "actor": {"id": "00u1", "alternateId": "alice@example.com", "type": "User"}, "outcome": {"result": "SUCCESS"}}"#,
        );
        assert_eq!(user(&e), Some("alice@example.com"));
        assert!(e.actor.is_none());
        // A zone-less time is read in the configured zone (UTC by default).
        assert_eq!(e.time, 1_714_557_600_000);
    }

    #[test]
    fn policy_evaluation_threats_and_impersonation() {
        let e = parsed(&event(
            "policy.evaluate_sign_on",
            r#"{"result": "CHALLENGE", "reason": "Sign-on policy evaluation resulted in CHALLENGE"}"#,
        ));
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (AUTHENTICATION, OTHER, OTHER)
        );
        assert_eq!(
            e.status_detail.as_deref(),
            Some("Sign-on policy evaluation resulted in CHALLENGE")
        );
        let e = parsed(&event("policy.evaluate_sign_on", r#"{"result": "DENY"}"#));
        assert_eq!(e.status_id, FAILURE);

        let e = parsed(&event(
            "security.threat.detected",
            r#"{"result": "DENY", "reason": "Password Spray"}"#,
        ));
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (AUTHENTICATION, PREAUTH, FAILURE)
        );
        assert_eq!(e.severity_id, HIGH);
        assert_eq!(e.status_detail.as_deref(), Some("Password Spray"));

        let e = parsed(&event("user.session.impersonation.grant", OK));
        assert_eq!(
            (e.class_uid, e.activity_id),
            (AUTHORIZE_SESSION, ASSIGN_PRIVILEGES)
        );
        let e = parsed(&event("user.session.impersonation.initiate", OK));
        assert_eq!((e.class_uid, e.activity_id), (AUTHORIZE_SESSION, OTHER));
    }

    #[test]
    fn lower_cased_keys_are_read() {
        let e = parsed(
            r#"{"eventtype": "user.authentication.auth_via_mfa", "displaymessage": "Authentication of user via MFA", "published": "2022-06-22 18:18:29.015", "authenticationcontext": {"externalSessionId": "s1"}, "debugcontext": {"debugData": {"requestId": "r1"}}, "actor": {"alternateId": "homer@example.com", "id": "00abc"}, "outcome": {"result": "SUCCESS"}}"#,
        );
        assert_eq!(e.is_mfa, Some(true));
        assert_eq!(e.message.as_deref(), Some("Authentication of user via MFA"));
        assert_eq!(
            e.session.as_ref().and_then(|s| s.uid.as_deref()),
            Some("s1")
        );
        assert_eq!(e.unmapped["okta.request_id"], "r1");
        assert_eq!(e.time, 1_655_921_909_015);
    }

    #[test]
    fn a_missing_time_is_the_time_of_receipt() {
        let e = parsed(
            r#"{"eventType": "user.authentication.sso", "displayMessage": "User single sign on to app", "outcome": {"result": "SUCCESS"}}"#,
        );
        assert_eq!(e.time, 1_700_000_000_000);
        assert_eq!(user(&e), None);
    }

    #[test]
    fn other_records_are_unrecognized_with_a_reason() {
        let cases = [
            (
                r#"{"eventType": "system.api_token.create", "published": "2024-05-01T10:00:00Z"}"#,
                "\"system.api_token.create\" is not an authentication event",
            ),
            (r#"{"displayMessage": "x"}"#, "no eventType"),
            (r#"{"eventType": 5}"#, "no eventType"),
            (r#"{"eventType": "user.session.start""#, "invalid JSON"),
            ("[1]", "not an object"),
            (
                r#"{"eventType": "user.session.start", "published": "later"}"#,
                "bad published time",
            ),
            (
                r#"{"eventType": "user.session.start", "published": 5}"#,
                "bad published time",
            ),
        ];
        test_support::assert_unrecognized(parse, ctx, cases);
    }

    #[test]
    fn looks_like_okta_events_only() {
        for t in ["user.session.start", "system.api_token.create"] {
            assert!(looks_like(&event(t, OK)), "{t}");
        }
        assert!(looks_like(
            r#"{"eventtype": "x", "legacyeventtype": "y", "published": "z"}"#
        ));
        assert!(looks_like(
            r#"{"eventType": "user.authentication.sso", "displayMessage": "User single sign on to app"}"#
        ));
        for other in [
            r#"{"eventType": "AwsApiCall", "eventSource": "signin.amazonaws.com", "eventTime": "2024-01-01T00:00:00Z"}"#,
            r#"{"action": "login", "client_ip": "1.2.3.4"}"#,
            r#"{"eventType": "x"}"#,
            r#"{"type": "LOGIN", "realmId": "r", "time": 1}"#,
            "Jan  1 00:00:00 host sshd[1]: Accepted password for x",
        ] {
            assert!(!looks_like(other), "{other}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        #[test]
        fn arbitrary_text_never_panics(
            s in "\\PC{0,160}",
            t in r#"\{"eventType": "(user\.session\.start|user\.mfa\.okta_verify\.deny_push|user\.account\.lock|security\.threat\.detected|x)", "published": "[0-9T:. Z-]{0,26}", "outcome": \{"result": "[A-Z]{0,8}"\}, "client": \{"ipAddress": "[0-9a-f.:]{0,12}", "geographicalContext": \{"geolocation": \{"lat": [0-9.e-]{0,6}\}\}\}, "target": \[\{"type": "User", "id": "[a-z]{0,3}"\}\]\}"#,
        ) {
            test_support::parse_never_panics(parse, ctx, [s.as_str(), t.as_str()]);
        }
    }
}
