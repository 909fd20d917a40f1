//! AWS CloudTrail records (JSON): one record per call (`{"Records": [...]}` files are split by
//! the decoder), with `eventName`, `eventSource`, `eventTime`, `userIdentity`, `sourceIPAddress`,
//! `responseElements`, `errorCode`/`errorMessage` and `additionalEventData`.
//!
//! `ConsoleLogin`, the sign-in steps `CredentialChallenge`/`CredentialVerification` and
//! `SwitchRole` are Authentication events; the STS calls that issue temporary credentials
//! (`GetSessionToken`, `AssumeRole*`, `GetFederationToken`) are Authentication Tickets. Other
//! event names are not authentication events.

use std::net::IpAddr;

use authtrail_model::{HttpRequest, Service, Session, User};
use serde_json::{json, Map, Value};

use crate::parse::build::{
    self, ProductInfo, ACCOUNT_SWITCH, AUTHENTICATION, AUTHENTICATION_TICKET, FAILURE, LOGON,
    OPENID, PREAUTH, SAML, STATUS_UNKNOWN, SUCCESS,
};
use crate::parse::json_fields::{self, str_of};
use crate::parse::{ParseContext, ParseResult, Unrecognized};

/// CloudTrail, as `metadata.product`.
pub const PRODUCT: ProductInfo = ProductInfo {
    name: "CloudTrail",
    vendor: "AWS",
};

/// The AWS sign-in service, the source of console sign-in events.
const SIGNIN: &str = "signin.amazonaws.com";

/// Map one CloudTrail record to an OCSF event.
pub fn parse(text: &str, ctx: &mut ParseContext) -> ParseResult {
    let record = json_fields::object(text.trim(), "CloudTrail record")?;
    let name = str_of(&record, "eventName")
        .ok_or(Unrecognized::new("not a CloudTrail record: no eventName"))?;
    let source = str_of(&record, "eventSource");
    let error_code = str_of(&record, "errorCode");

    // The outcome CloudTrail states for sign-in events (`responseElements` or, for the sign-in
    // steps, `serviceEventDetails`), else failure when there is an error code.
    let stated = |key: &str| {
        ["responseElements", "serviceEventDetails"]
            .iter()
            .find_map(|k| record.get(*k)?.get(key)?.as_str())
    };
    let outcome = |key: &str| match stated(key) {
        Some("Success") => SUCCESS,
        Some("Failure") => FAILURE,
        _ if error_code.is_some() => FAILURE,
        Some(_) => STATUS_UNKNOWN,
        None if record.contains_key("errorMessage") => FAILURE,
        None => STATUS_UNKNOWN,
    };
    let ticket_status = if error_code.is_some() {
        FAILURE
    } else {
        SUCCESS
    };
    let additional = record.get("additionalEventData");
    let credential_type = additional
        .and_then(|a| a.get("CredentialType"))
        .and_then(Value::as_str);

    let (activity_id, status_id, protocol) = match name {
        "ConsoleLogin" => (LOGON, outcome(name), None),
        "CredentialChallenge" if source == Some(SIGNIN) => (PREAUTH, outcome(name), None),
        "CredentialVerification" if source == Some(SIGNIN) => (LOGON, outcome(name), None),
        "SwitchRole" => (ACCOUNT_SWITCH, outcome(name), None),
        "GetSessionToken" | "AssumeRole" | "GetFederationToken" => {
            (AUTHENTICATION_TICKET, ticket_status, None)
        }
        "AssumeRoleWithSAML" => (AUTHENTICATION_TICKET, ticket_status, Some(SAML)),
        "AssumeRoleWithWebIdentity" => (AUTHENTICATION_TICKET, ticket_status, Some(OPENID)),
        other => {
            return Err(Unrecognized::because(format!(
                "{other:?} is not an authentication event"
            )))
        }
    };

    let time_ms = json_fields::rfc3339_time(record.get("eventTime"), "eventTime", ctx)?;

    let mut e = build::new_event(AUTHENTICATION, activity_id, status_id, time_ms, PRODUCT);
    e.auth_protocol_id = protocol;
    e.metadata.uid = str_of(&record, "eventID").map(String::from);
    e.status_code = error_code.map(String::from);
    e.status_detail = str_of(&record, "errorMessage").map(String::from);
    e.unmapped
        .insert("cloudtrail.event_name".into(), name.into());

    // MFA: the console says whether it was used; a sign-in step is an MFA step unless it is
    // the password one.
    e.is_mfa = match name {
        "ConsoleLogin" => match additional.and_then(|a| a.get("MFAUsed")) {
            Some(Value::String(s)) if s == "Yes" => Some(true),
            Some(Value::String(s)) if s == "No" => Some(false),
            _ => None,
        },
        "CredentialChallenge" | "CredentialVerification" => {
            credential_type.map(|t| !t.eq_ignore_ascii_case("PASSWORD"))
        }
        _ => None,
    };
    // The console's own words, as Sigma rules test them (`is_mfa` and the status are derived).
    let console = [
        (
            additional.and_then(|a| a.get("MFAUsed")),
            "cloudtrail.mfa_used",
        ),
        (
            record
                .get("responseElements")
                .and_then(|r| r.get("ConsoleLogin")),
            "cloudtrail.console_login",
        ),
    ];
    for (value, slot) in console {
        if let Some(v) = value.and_then(Value::as_str).filter(|v| !v.is_empty()) {
            e.unmapped.insert(slot.into(), v.into());
        }
    }
    if let Some(t) = credential_type {
        e.unmapped
            .insert("cloudtrail.credential_type".into(), t.into());
    }

    if let Some(Value::Object(identity)) = record.get("userIdentity") {
        e.user = identity_user(identity);
        // `userName` as written too: `user.name` is the session name of an assumed role and
        // `root` for the root, which Sigma's `userIdentity.userName` is not.
        for (key, slot) in [
            ("accountId", "cloudtrail.account_id"),
            ("type", "cloudtrail.identity_type"),
            ("principalId", "cloudtrail.principal_id"),
            ("userName", "cloudtrail.user_name"),
        ] {
            if let Some(v) = str_of(identity, key) {
                e.unmapped.insert(slot.into(), v.into());
            }
        }
    }

    match str_of(&record, "sourceIPAddress") {
        Some(address) if address.parse::<IpAddr>().is_ok() => {
            e.src_endpoint = Some(build::endpoint(address, None));
        }
        // "AWS Internal" or a service's name: not an address.
        Some(other) => {
            e.unmapped
                .insert("cloudtrail.source_ip_address".into(), other.into());
        }
        None => {}
    }
    if let Some(ua) = str_of(&record, "userAgent") {
        e.http_request = Some(HttpRequest {
            user_agent: Some(ua.into()),
            ..HttpRequest::default()
        });
    }
    if let Some(s) = source {
        e.service = Some(Service {
            name: Some(s.into()),
            ..Service::default()
        });
    }
    if let Some(region) = str_of(&record, "awsRegion") {
        e.other.insert(
            "cloud".into(),
            json!({ "provider": "AWS", "region": region }),
        );
    }

    // The temporary credentials an STS call issued: the access key id only (never the secret
    // key or the session token).
    if activity_id == AUTHENTICATION_TICKET {
        let key_id = record
            .get("responseElements")
            .and_then(|r| r.get("credentials"))
            .and_then(|c| c.get("accessKeyId"))
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty());
        if let Some(key_id) = key_id {
            let mut session = Session::default();
            session
                .extra
                .insert("credential_uid".into(), Value::from(key_id));
            e.session = Some(session);
        }
    }

    for (key, slot) in [
        ("requestID", "cloudtrail.request_id"),
        ("recipientAccountId", "cloudtrail.recipient_account_id"),
        ("eventType", "cloudtrail.event_type"),
    ] {
        if let Some(v) = str_of(&record, key) {
            e.unmapped.insert(slot.into(), v.into());
        }
    }
    Ok(e)
}

/// Whether a line or JSON record looks like CloudTrail's (for `--format auto`).
pub fn looks_like(text: &str) -> bool {
    text.contains("\"Records\"")
        || (text.contains("\"eventSource\"")
            && text.contains("\"eventName\"")
            && (text.contains("\"eventVersion\"")
                || text.contains("\"awsRegion\"")
                || text.contains("\"userIdentity\"")))
}

/// The user of a `userIdentity`: `root` for the account's root, the role session name for an
/// assumed role (else the role's name), else `userName`; the ARN as `uid`.
fn identity_user(identity: &Map<String, Value>) -> Option<User> {
    let arn = str_of(identity, "arn");
    let name = match str_of(identity, "type") {
        Some("Root") => Some("root"),
        Some("AssumedRole") => arn
            .and_then(session_name)
            .or_else(|| {
                identity
                    .get("sessionContext")?
                    .get("sessionIssuer")?
                    .get("userName")?
                    .as_str()
                    .filter(|s| !s.is_empty())
            })
            .or_else(|| str_of(identity, "userName")),
        _ => str_of(identity, "userName"),
    };
    if name.is_none() && arn.is_none() {
        return None;
    }
    Some(User {
        name: name.map(String::from),
        uid: arn.map(String::from),
        ..User::default()
    })
}

/// The role session name of an assumed role's ARN (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/NAME`).
fn session_name(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":assumed-role/")?;
    let (_, name) = rest.split_once('/')?;
    Some(name).filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use authtrail_model::Event;

    use super::*;
    use crate::parse::test_support::{self, ctx, http, src, user};

    fn parsed(line: &str) -> Event {
        test_support::parsed(parse, line, &mut ctx())
    }

    const CONSOLE_FAILURE: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","accountId":"111122223333","accessKeyId":"","userName":"alice"},"eventTime":"2023-04-11T15:24:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"Mozilla/5.0","errorMessage":"Failed authentication","requestParameters":null,"responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"LoginTo":"https://console","MobileVersion":"No","MFAUsed":"Yes"},"eventID":"ev-1","eventType":"AwsConsoleSignIn","recipientAccountId":"111122223333"}"#;

    #[test]
    fn console_login_failures() {
        let e = parsed(CONSOLE_FAILURE);
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (AUTHENTICATION, LOGON, FAILURE)
        );
        assert_eq!(user(&e), Some("alice"));
        assert_eq!(src(&e), Some("198.51.100.7"));
        assert_eq!(e.time, 1_681_226_640_000);
        assert_eq!(e.status_detail.as_deref(), Some("Failed authentication"));
        assert_eq!(e.is_mfa, Some(true));
        assert_eq!(e.metadata.uid.as_deref(), Some("ev-1"));
        assert_eq!(
            e.service.as_ref().and_then(|s| s.name.as_deref()),
            Some(SIGNIN)
        );
        assert_eq!(
            e.http_request
                .as_ref()
                .and_then(|h| h.user_agent.as_deref()),
            Some("Mozilla/5.0")
        );
        assert_eq!(http(&e, "uid"), None);
        assert_eq!(e.other["cloud"]["provider"], "AWS");
        assert_eq!(e.other["cloud"]["region"], "us-east-1");
        assert_eq!(e.unmapped["cloudtrail.account_id"], "111122223333");
        assert_eq!(e.unmapped["cloudtrail.identity_type"], "IAMUser");
        assert_eq!(
            e.unmapped["cloudtrail.recipient_account_id"],
            "111122223333"
        );
        assert_eq!(e.unmapped["cloudtrail.event_type"], "AwsConsoleSignIn");
        let product = e.metadata.product.as_ref().unwrap();
        assert_eq!(product.name.as_deref(), Some("CloudTrail"));
        assert_eq!(product.vendor_name.as_deref(), Some("AWS"));
    }

    #[test]
    fn console_login_successes_name_root_and_role_sessions() {
        let e = parsed(
            r#"{"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","eventTime":"2020-11-01T08:29:10Z","userIdentity":{"type":"Root","arn":"arn:aws:iam::123456789012:root","accountId":"123456789012"},"sourceIPAddress":"2001:DB8::7","responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"}}"#,
        );
        assert_eq!((e.activity_id, e.status_id), (LOGON, SUCCESS));
        assert_eq!(user(&e), Some("root"));
        assert_eq!(
            e.user.as_ref().and_then(|u| u.uid.as_deref()),
            Some("arn:aws:iam::123456789012:root")
        );
        assert_eq!(src(&e), Some("2001:db8::7"));
        assert_eq!(e.is_mfa, Some(false));
        assert!(e.status_detail.is_none());

        let e = parsed(
            r#"{"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","eventTime":"2022-03-16 19:17:41","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/AWSReservedSSO_dev/foo@bar.com","sessionContext":{"sessionIssuer":{"userName":"AWSReservedSSO_dev"}}},"responseElements":{"ConsoleLogin":"Success"}}"#,
        );
        assert_eq!(user(&e), Some("foo@bar.com"));
        // A zone-less time is read in the configured zone (UTC by default).
        assert_eq!(e.time, 1_647_458_261_000);
        assert_eq!(e.is_mfa, None);

        // Without a session name in the ARN, the role's name.
        let e = parsed(
            r#"{"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","userIdentity":{"type":"AssumedRole","arn":"<arn>","sessionContext":{"sessionIssuer":{"userName":"admins"}}}}"#,
        );
        assert_eq!(user(&e), Some("admins"));
        assert_eq!(e.status_id, STATUS_UNKNOWN);
        // No eventTime: the time of receipt.
        assert_eq!(e.time, 1_700_000_000_000);
    }

    #[test]
    fn sts_calls_are_authentication_tickets_without_secrets() {
        let e = parsed(
            r#"{"eventVersion":"1.08","eventName":"AssumeRoleWithSAML","eventSource":"sts.amazonaws.com","eventTime":"2024-01-15T10:30:00Z","awsRegion":"eu-west-1","userIdentity":{"type":"SAMLUser","userName":"bob@example.org","principalId":"p"},"sourceIPAddress":"203.0.113.4","requestID":"req-9","responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLE","sessionToken":"SECRET-TOKEN","secretAccessKey":"SECRET-KEY","expiration":"Jan 15, 2024"}}}"#,
        );
        assert_eq!(
            (e.activity_id, e.status_id),
            (AUTHENTICATION_TICKET, SUCCESS)
        );
        assert_eq!(e.activity_name.as_deref(), Some("Authentication Ticket"));
        assert_eq!(e.auth_protocol_id, Some(SAML));
        assert_eq!(e.auth_protocol.as_deref(), Some("SAML"));
        assert_eq!(user(&e), Some("bob@example.org"));
        let session = e.session.as_ref().unwrap();
        assert_eq!(session.extra["credential_uid"], "ASIAEXAMPLE");
        assert_eq!(e.unmapped["cloudtrail.request_id"], "req-9");
        let json = String::from_utf8(e.canonical_bytes()).unwrap();
        assert!(!json.contains("SECRET"), "{json}");

        let e = parsed(
            r#"{"eventName":"AssumeRoleWithWebIdentity","eventSource":"sts.amazonaws.com","eventTime":"2024-01-15T10:30:00Z","userIdentity":{"type":"WebIdentityUser","userName":"sub-1"},"sourceIPAddress":"sts.amazonaws.com","errorCode":"InvalidIdentityToken","errorMessage":"bad token"}"#,
        );
        assert_eq!(e.status_id, FAILURE);
        assert_eq!(e.auth_protocol_id, Some(OPENID));
        assert_eq!(e.status_code.as_deref(), Some("InvalidIdentityToken"));
        assert_eq!(e.status_detail.as_deref(), Some("bad token"));
        // A service name is not an address.
        assert!(e.src_endpoint.is_none());
        assert_eq!(
            e.unmapped["cloudtrail.source_ip_address"],
            "sts.amazonaws.com"
        );
        assert!(e.session.is_none());

        for name in ["GetSessionToken", "AssumeRole", "GetFederationToken"] {
            let line = format!(
                r#"{{"eventName":"{name}","eventSource":"sts.amazonaws.com","eventTime":"2024-01-15T10:30:00Z","userIdentity":{{"type":"IAMUser","userName":"carol"}},"sourceIPAddress":"AWS Internal"}}"#
            );
            let e = parsed(&line);
            assert_eq!(
                (e.activity_id, e.status_id, e.auth_protocol_id),
                (AUTHENTICATION_TICKET, SUCCESS, None),
                "{name}"
            );
            assert_eq!(e.unmapped["cloudtrail.source_ip_address"], "AWS Internal");
        }
    }

    #[test]
    fn sign_in_steps_and_role_switches() {
        let e = parsed(
            r#"{"eventName":"CredentialChallenge","eventSource":"signin.amazonaws.com","eventTime":"2024-01-15T10:30:00Z","userIdentity":{"type":"IAMUser","userName":"dave"},"sourceIPAddress":"192.0.2.1","serviceEventDetails":{"CredentialChallenge":"Success"},"additionalEventData":{"CredentialType":"TOTP"}}"#,
        );
        assert_eq!((e.activity_id, e.status_id), (PREAUTH, SUCCESS));
        assert_eq!(e.is_mfa, Some(true));
        assert_eq!(e.unmapped["cloudtrail.credential_type"], "TOTP");

        let e = parsed(
            r#"{"eventName":"CredentialVerification","eventSource":"signin.amazonaws.com","eventTime":"2024-01-15T10:30:00Z","userIdentity":{"type":"IAMUser","userName":"dave"},"serviceEventDetails":{"CredentialVerification":"Failure"},"additionalEventData":{"CredentialType":"PASSWORD"}}"#,
        );
        assert_eq!((e.activity_id, e.status_id), (LOGON, FAILURE));
        assert_eq!(e.is_mfa, Some(false));

        let e = parsed(
            r#"{"eventName":"SwitchRole","eventSource":"signin.amazonaws.com","eventTime":"2024-01-15T10:30:00Z","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Ops/erin"},"responseElements":{"SwitchRole":"Success"}}"#,
        );
        assert_eq!((e.activity_id, e.status_id), (ACCOUNT_SWITCH, SUCCESS));
        assert_eq!(e.activity_name.as_deref(), Some("Account Switch"));
        assert_eq!(user(&e), Some("erin"));
    }

    #[test]
    fn other_records_are_unrecognized_with_a_reason() {
        let cases = [
            (
                r#"{"eventName":"GetCallerIdentity","eventSource":"sts.amazonaws.com"}"#,
                "\"GetCallerIdentity\" is not an authentication event",
            ),
            // Sign-in steps of other services are not the console's.
            (
                r#"{"eventName":"CredentialChallenge","eventSource":"example.amazonaws.com"}"#,
                "is not an authentication event",
            ),
            (r#"{"eventSource":"sts.amazonaws.com"}"#, "no eventName"),
            (r#"{"eventName":5}"#, "no eventName"),
            (r#"{"eventName":"ConsoleLogin""#, "invalid JSON"),
            ("[1]", "not an object"),
            (
                r#"{"eventName":"ConsoleLogin","eventTime":"later"}"#,
                "bad eventTime",
            ),
            (
                r#"{"eventName":"ConsoleLogin","eventTime":7}"#,
                "bad eventTime",
            ),
        ];
        test_support::assert_unrecognized(parse, ctx, cases);
    }

    #[test]
    fn looks_like_cloudtrail_and_not_other_json() {
        assert!(looks_like(CONSOLE_FAILURE));
        assert!(looks_like(r#"{"Records":[]}"#));
        assert!(looks_like(
            r#"{"eventSource":"s","eventName":"n","awsRegion":"us-east-1"}"#
        ));
        assert!(!looks_like(r#"{"eventSource":"s","eventName":"n"}"#));
        assert!(!looks_like(
            r#"{"action": "login", "client_ip": "1.2.3.4", "eventName": "x"}"#
        ));
        assert!(!looks_like(
            r#"{"eventType":"user.session.start","published":"2024"}"#
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        #[test]
        fn arbitrary_text_never_panics(
            s in "\\PC{0,160}",
            t in r#"\{"eventName": "(ConsoleLogin|AssumeRole|SwitchRole|CredentialChallenge|x)", "eventSource": "signin.amazonaws.com", "sourceIPAddress": "[0-9a-f.: A-Z]{0,12}", "userIdentity": \{"type": "(Root|AssumedRole|IAMUser)", "arn": "[a-z:/-]{0,30}"\}, "responseElements": \{"ConsoleLogin": "[A-Za-z]{0,8}", "credentials": \{"accessKeyId": "[A-Z]{0,4}"\}\}, "eventTime": "[0-9T:. Z-]{0,26}"\}"#,
        ) {
            test_support::parse_never_panics(parse, ctx, [s.as_str(), t.as_str()]);
        }

        #[test]
        fn console_words_are_kept_as_written_and_change_nothing_else(
            mfa in "(Yes|No|[A-Za-z]{1,6})",
            result in "(Success|Failure|[A-Za-z]{1,8})",
            name in "[a-z.@-]{1,16}",
        ) {
            let plain = parsed(CONSOLE_FAILURE);
            let line = CONSOLE_FAILURE
                .replace(r#""MFAUsed":"Yes""#, &format!(r#""MFAUsed":"{mfa}""#))
                .replace(r#""ConsoleLogin":"Failure""#, &format!(r#""ConsoleLogin":"{result}""#))
                .replace(r#""userName":"alice""#, &format!(r#""userName":"{name}""#));
            let mut e = parsed(&line);
            for (slot, want) in [
                ("cloudtrail.mfa_used", &mfa),
                ("cloudtrail.console_login", &result),
                ("cloudtrail.user_name", &name),
            ] {
                proptest::prop_assert_eq!(e.unmapped.remove(slot), Some(Value::from(want.as_str())));
            }
            // Everything else is what the outcome, MFA and user make of them.
            let mut want = plain;
            for slot in ["cloudtrail.mfa_used", "cloudtrail.console_login", "cloudtrail.user_name"] {
                want.unmapped.remove(slot);
            }
            want.status_id = e.status_id;
            want.status = e.status.clone();
            want.severity_id = e.severity_id;
            want.severity = e.severity.clone();
            want.is_mfa = e.is_mfa;
            want.user = e.user.clone();
            proptest::prop_assert_eq!(e, want);
        }
    }

    #[test]
    fn console_words_and_the_user_name_are_kept_as_written() {
        let e = parsed(CONSOLE_FAILURE);
        assert_eq!(e.unmapped["cloudtrail.mfa_used"], "Yes");
        assert_eq!(e.unmapped["cloudtrail.console_login"], "Failure");
        assert_eq!(e.unmapped["cloudtrail.user_name"], "alice");
        // An assumed role's session name is the user; `userName` is not there to keep.
        let e = parsed(
            r#"{"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","eventTime":"2022-03-16T19:17:41Z","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/foo@bar.com"},"responseElements":{"ConsoleLogin":"Success"}}"#,
        );
        assert_eq!(user(&e), Some("foo@bar.com"));
        assert!(!e.unmapped.contains_key("cloudtrail.user_name"));
        assert!(!e.unmapped.contains_key("cloudtrail.mfa_used"));
        assert_eq!(e.unmapped["cloudtrail.console_login"], "Success");
    }
}
