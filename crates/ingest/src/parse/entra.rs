//! Microsoft Entra ID (Azure AD) sign-in and directory audit logs (JSON), in three shapes:
//!
//! - the Microsoft Graph resources: a `signIn` (`/auditLogs/signIns`: `createdDateTime`,
//!   `userPrincipalName`, `ipAddress`, `status`, `appDisplayName`, …) or a `directoryAudit`
//!   (`/auditLogs/directoryAudits`: `activityDisplayName`, `activityDateTime`, `initiatedBy`,
//!   `targetResources`, `result`); `{"value": [...]}` pages are split by the decoder;
//! - the records diagnostic settings send to storage or an Event Hub (`{"records": [...]}`,
//!   split by the decoder): `time`, `category`, `operationName`, `callerIpAddress`,
//!   `correlationId`, `resultType`, `resultDescription`, `tenantId`, with the Graph resource
//!   under `properties`; the envelope's keys are read in any case (Panther lower-cases some);
//! - rows of the Log Analytics tables (`SigninLogs`, `AADNonInteractiveUserSignInLogs`,
//!   `AADServicePrincipalSignInLogs`, `AADManagedIdentitySignInLogs`, `AuditLogs`): the same
//!   fields as PascalCase columns (`TimeGenerated`, `UserPrincipalName`, `IPAddress`,
//!   `ResultType`, `LocationDetails`, …), dynamic columns as objects or as JSON text.
//!
//! Sign-ins (categories `SignInLogs`, `NonInteractiveUserSignInLogs`, `ADFSSignInLogs`,
//! `ServicePrincipalSignInLogs`, `ManagedIdentitySignInLogs`, or a Graph `signIn`) are
//! Authentication Logon events. Directory audits grant roles (Authorize Session), reset or
//! change passwords, register or delete MFA methods, lock or disable accounts (Account Change);
//! other audit activities and other categories are not authentication events.

use std::net::IpAddr;

use authtrail_model::{Event, HttpRequest, Location, Service, Session, User};
use serde_json::{json, Map, Value};

use crate::parse::build::{
    self, ProductInfo, ACCOUNT_CHANGE, ASSIGN_PRIVILEGES, AUTHENTICATION, AUTHORIZE_SESSION,
    DISABLE, ENABLE, FAILURE, HIGH, LOGON, MEDIUM, MFA_FACTOR_DISABLE, MFA_FACTOR_ENABLE, OAUTH2,
    OTHER, PASSWORD_CHANGE, PASSWORD_RESET, SAML, STATUS_UNKNOWN, SUCCESS, UNLOCK,
    USER_TYPE_SERVICE,
};
use crate::parse::json_fields::{self, str_of};
use crate::parse::{ParseContext, ParseResult, Unrecognized};

/// Microsoft Entra ID, as `metadata.product`.
pub const PRODUCT: ProductInfo = ProductInfo {
    name: "Entra ID",
    vendor: "Microsoft",
};

/// Sign-in error codes that interrupt a sign-in rather than refuse it: the first factor was
/// accepted and Entra asks for another step before it issues a token. They are status Other,
/// not Failure, so that counting failures (brute force, password spraying) does not count them
/// as wrong passwords. Meanings from Microsoft's AADSTS error code reference:
/// - 16000 SelectUserAccount: an interrupt that lets the user pick among valid SSO sessions;
/// - 50072 UserStrongAuthEnrollmentRequiredInterrupt: the user must enrol a second factor;
/// - 50074 UserStrongAuthClientAuthNRequiredInterrupt: strong authentication (MFA) required;
/// - 50076 UserStrongAuthClientAuthNRequired: MFA required (policy, new location) — retry;
/// - 50079 UserStrongAuthEnrollmentRequired: the user must register for MFA;
/// - 50097 DeviceAuthenticationRequired: the device must authenticate too;
/// - 50125 PasswordResetRegistrationRequiredInterrupt: password reset registration prompt;
/// - 50129 DeviceIsNotWorkplaceJoined: workplace join required to register the device;
/// - 50140 KmsiInterrupt: the "Keep me signed in?" prompt;
/// - 50158 ExternalSecurityChallenge: an external (custom control, federated MFA) challenge
///   is pending or was not satisfied;
/// - 50199 CmsiInterrupt: the user must confirm the sign-in ("are you trying to sign in to…").
///
/// Not interrupts: 81010 (DesktopSsoAuthTokenInvalid, Seamless SSO's Kerberos ticket expired
/// or invalid) refuses the credential that was presented, so it is a Failure even though the
/// browser then falls back to a password prompt; 53003 (blocked by Conditional Access) and
/// 500121 (failed MFA) are Failures too.
const INTERRUPTS: &[i64] = &[
    16000, 50072, 50074, 50076, 50079, 50097, 50125, 50129, 50140, 50158, 50199,
];

/// Sign-in categories and who signs in with them.
const SIGN_IN_CATEGORIES: &[(&str, Who)] = &[
    ("SignInLogs", Who::User),
    ("NonInteractiveUserSignInLogs", Who::User),
    ("ADFSSignInLogs", Who::User),
    ("ServicePrincipalSignInLogs", Who::ServicePrincipal),
    ("ManagedIdentitySignInLogs", Who::ManagedIdentity),
];

/// Log Analytics table names and the diagnostic category each holds.
const LOG_ANALYTICS_TABLES: &[(&str, &str)] = &[
    ("SigninLogs", "SignInLogs"),
    (
        "AADNonInteractiveUserSignInLogs",
        "NonInteractiveUserSignInLogs",
    ),
    ("ADFSSignInLogs", "ADFSSignInLogs"),
    (
        "AADServicePrincipalSignInLogs",
        "ServicePrincipalSignInLogs",
    ),
    ("AADManagedIdentitySignInLogs", "ManagedIdentitySignInLogs"),
    ("AuditLogs", "AuditLogs"),
];

/// The audit activity Entra logs when a Global Administrator elevates themselves.
const ELEVATE_ACCESS: &str =
    "User has elevated their access to User Access Administrator for their Azure Resources";

/// Who a sign-in is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    /// A user (interactive or not).
    User,
    /// An application's service principal.
    ServicePrincipal,
    /// A managed identity of an Azure resource.
    ManagedIdentity,
}

/// What a record is.
enum Kind {
    /// A sign-in.
    SignIn(Who),
    /// A directory audit event.
    Audit,
}

/// One record, whatever its shape: the diagnostic envelope (keys lower-cased; empty for a Graph
/// resource) and the Graph resource's fields.
struct Record {
    envelope: Map<String, Value>,
    props: Map<String, Value>,
}

/// Map one Entra ID record to an OCSF event.
pub fn parse(text: &str, ctx: &mut ParseContext) -> ParseResult {
    let top = json_fields::object(text.trim(), "Entra record")?;
    let record = Record::of(top)?;
    match record.kind()? {
        Kind::SignIn(principal) => sign_in(&record, principal, ctx),
        Kind::Audit => audit(&record, ctx),
    }
}

/// Whether a line or JSON record looks like an Entra ID record (for `--format auto`).
pub fn looks_like(text: &str) -> bool {
    let has = |key: &str| text.contains(key);
    let either = |camel: &str, lower: &str| has(camel) || has(lower);
    let diagnostic = has("\"category\"")
        && either("\"operationName\"", "\"operationname\"")
        && has("\"properties\"")
        && (has("SignInLogs\"")
            || has("\"AuditLogs\"")
            || has("\"Sign-in activity\"")
            || has("/providers/Microsoft.aadiam"));
    let graph_sign_in = has("\"createdDateTime\"")
        && (has("\"conditionalAccessStatus\"")
            || (has("\"userPrincipalName\"") && has("\"appDisplayName\"")));
    let graph_audit = has("\"activityDisplayName\"") && has("\"initiatedBy\"");
    let log_analytics = has("\"TimeGenerated\"")
        && (has("SignInLogs\"")
            || has("\"SigninLogs\"")
            || has("\"AuditLogs\"")
            || (has("\"UserPrincipalName\"") && has("\"ResultType\"")));
    diagnostic || graph_sign_in || graph_audit || log_analytics
}

impl Record {
    /// The record of a JSON object: a diagnostic record when it has `properties`, a Log
    /// Analytics row when it has `TimeGenerated`, else a Graph resource.
    fn of(top: Map<String, Value>) -> Result<Record, Unrecognized> {
        let mut envelope: Map<String, Value> = Map::new();
        let mut props = None;
        if !top.keys().any(|k| k.eq_ignore_ascii_case("properties")) {
            if top.contains_key("TimeGenerated") {
                return Ok(log_analytics(top));
            }
            return Ok(Record {
                envelope,
                props: top,
            });
        }
        for (key, value) in top {
            let key = key.to_ascii_lowercase();
            if key == "properties" {
                match value {
                    Value::Object(map) => props = Some(map),
                    other => {
                        return Err(Unrecognized::because(format!(
                            "bad properties {}: not an object",
                            short(&other)
                        )))
                    }
                }
            } else {
                envelope.insert(key, value);
            }
        }
        Ok(Record {
            envelope,
            props: props.unwrap_or_default(),
        })
    }

    /// What the record is, from its category, else from its fields.
    fn kind(&self) -> Result<Kind, Unrecognized> {
        match str_of(&self.envelope, "category") {
            Some("AuditLogs") => Ok(Kind::Audit),
            Some(category) => SIGN_IN_CATEGORIES
                .iter()
                .find(|(c, _)| *c == category)
                .map(|(_, principal)| Kind::SignIn(*principal))
                .ok_or_else(|| {
                    let operation = str_of(&self.envelope, "operationname")
                        .map(|o| format!(" ({o:?})"))
                        .unwrap_or_default();
                    Unrecognized::because(format!(
                        "Entra {category:?} record{operation} is not an authentication event"
                    ))
                }),
            None if self.props.contains_key("createdDateTime")
                || str_of(&self.envelope, "operationname") == Some("Sign-in activity") =>
            {
                Ok(Kind::SignIn(self.principal()))
            }
            None if self.props.contains_key("activityDisplayName")
                || self.props.contains_key("activityDateTime") =>
            {
                Ok(Kind::Audit)
            }
            None => Err(Unrecognized::new(
                "not an Entra record: no category, createdDateTime or activityDisplayName",
            )),
        }
    }

    /// Who a sign-in without a category is of: a service principal or managed identity when
    /// `signInEventTypes` says so or there is no user but a service principal.
    fn principal(&self) -> Who {
        let types = self.props.get("signInEventTypes").and_then(Value::as_array);
        let has_type = |t: &str| types.is_some_and(|a| a.iter().any(|v| v.as_str() == Some(t)));
        if has_type("managedIdentity") {
            Who::ManagedIdentity
        } else if has_type("servicePrincipal")
            || (str_of(&self.props, "userPrincipalName").is_none()
                && str_of(&self.props, "servicePrincipalName").is_some())
        {
            Who::ServicePrincipal
        } else {
            Who::User
        }
    }

    /// A string of the envelope (lower-cased key).
    fn env(&self, key: &str) -> Option<&str> {
        str_of(&self.envelope, key)
    }

    /// The event time: the resource's own time field, else the envelope's `time`, else the time
    /// of receipt.
    fn time(&self, key: &str, ctx: &ParseContext) -> Result<i64, Unrecognized> {
        match self.props.get(key).filter(|v| !v.is_null()) {
            Some(t) => json_fields::rfc3339_time(Some(t), key, ctx),
            None => {
                let t = self.envelope.get("time").filter(|v| !v.is_null());
                json_fields::rfc3339_time(t, "time", ctx)
            }
        }
    }

    /// The common metadata: the resource's `id`, the correlation id, the tenant and the
    /// category as the log's name.
    fn metadata(&self, e: &mut Event) {
        e.metadata.uid = str_of(&self.props, "id").map(String::from);
        let meta = &mut e.metadata.extra;
        let correlation =
            str_of(&self.props, "correlationId").or_else(|| self.env("correlationid"));
        let tenant = self
            .env("tenantid")
            .or_else(|| str_of(&self.props, "tenantId"));
        for (key, value) in [
            ("correlation_uid", correlation),
            ("tenant_uid", tenant),
            ("log_name", self.env("category")),
        ] {
            if let Some(v) = value {
                meta.insert(key.into(), Value::from(v));
            }
        }
    }
}

/// A Log Analytics row as a record: `TimeGenerated`, `Type` (the table, for the category),
/// `ResultType` and `ResultDescription` as the envelope; the other columns as the Graph fields
/// (first letter lower-cased; `IPAddress`, `LocationDetails`, `ConditionalAccessPolicies`
/// renamed), dynamic columns given as JSON text read as JSON.
fn log_analytics(top: Map<String, Value>) -> Record {
    let mut envelope = Map::new();
    let mut props = Map::new();
    let table_category = str_of(&top, "Type")
        .and_then(|t| LOG_ANALYTICS_TABLES.iter().find(|(table, _)| *table == t))
        .map(|(_, category)| *category);
    for (key, value) in top {
        let value = match value {
            Value::String(s) if s.starts_with(['{', '[']) => {
                serde_json::from_str(&s).unwrap_or(Value::String(s))
            }
            v => v,
        };
        let envelope_key = match key.as_str() {
            "TimeGenerated" => Some("time"),
            "OperationName" => Some("operationname"),
            "ResultType" => Some("resulttype"),
            "ResultDescription" => Some("resultdescription"),
            "TenantId" | "AADTenantId" => Some("tenantid"),
            // The table's category, unless the table is not one we know.
            "Category" if table_category.is_none() => Some("category"),
            _ => None,
        };
        if let Some(k) = envelope_key {
            envelope.insert(k.into(), value);
            continue;
        }
        let name = match key.as_str() {
            "IPAddress" => "ipAddress".to_string(),
            "LocationDetails" => "location".to_string(),
            "ConditionalAccessPolicies" => "appliedConditionalAccessPolicies".to_string(),
            // The country code; `LocationDetails` has it with the rest.
            "Location" | "Type" => continue,
            other => lower_first(other),
        };
        props.insert(name, value);
    }
    if let Some(category) = table_category {
        envelope.insert("category".into(), Value::from(category));
    }
    Record { envelope, props }
}

/// `PascalCase` → `camelCase`.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// A sign-in as an Authentication Logon.
fn sign_in(record: &Record, principal: Who, ctx: &ParseContext) -> ParseResult {
    let p = &record.props;
    let time_ms = record.time("createdDateTime", ctx)?;
    let status = match p.get("status") {
        Some(Value::Object(s)) => Some(s),
        Some(Value::Null) | None => None,
        Some(other) => {
            return Err(Unrecognized::because(format!(
                "bad status {}: not an object",
                short(other)
            )))
        }
    };
    let code = match status.and_then(|s| s.get("errorCode")) {
        Some(v) if !v.is_null() => error_code(v, "status.errorCode")?,
        _ => match record.envelope.get("resulttype") {
            Some(v) => error_code(v, "resultType")?,
            None => None,
        },
    };
    let status_id = match code {
        None => STATUS_UNKNOWN,
        Some(0) => SUCCESS,
        Some(c) if INTERRUPTS.contains(&c) => OTHER,
        Some(_) => FAILURE,
    };

    let mut e = build::new_event(AUTHENTICATION, LOGON, status_id, time_ms, PRODUCT);
    e.status_code = code.map(|c| c.to_string());
    let failure_reason = status
        .and_then(|s| str_of(s, "failureReason"))
        .or_else(|| record.env("resultdescription"));
    let additional = status.and_then(|s| str_of(s, "additionalDetails"));
    e.status_detail = match (code, failure_reason) {
        (Some(c), Some(reason)) if c != 0 => {
            if let Some(more) = additional {
                e.unmapped
                    .insert("entra.status_additional_details".into(), more.into());
            }
            Some(reason.to_string())
        }
        _ => additional.map(String::from),
    };
    if let Some(risk) = risk_severity(p) {
        e.severity_id = e.severity_id.max(risk);
    }
    e.is_mfa = is_mfa(p, status_id);
    e.user = sign_in_user(p, principal);
    e.src_endpoint = source(&mut e.unmapped, p, record.env("calleripaddress"));
    if let Some(ua) = str_of(p, "userAgent") {
        e.http_request = Some(HttpRequest {
            user_agent: Some(ua.into()),
            ..HttpRequest::default()
        });
    }
    let (service_name, service_uid) = match principal {
        Who::User => ("appDisplayName", "appId"),
        // A service principal is the application itself: what it signs in to is the resource.
        Who::ServicePrincipal | Who::ManagedIdentity => ("resourceDisplayName", "resourceId"),
    };
    e.service = service(p, service_name, service_uid);
    e.session = session(p);
    protocol(&mut e, p);
    if let Some(factors) = auth_factors(p) {
        e.other.insert("auth_factors".into(), factors);
    }
    record.metadata(&mut e);
    sign_in_unmapped(&mut e, p, principal);
    Ok(e)
}

/// An error code given as a number or as a string of digits (`""` is none).
fn error_code(value: &Value, key: &str) -> Result<Option<i64>, Unrecognized> {
    let bad = || Unrecognized::because(format!("bad {key} {}", short(value)));
    match value {
        Value::Number(n) => n.as_i64().map(Some).ok_or_else(bad),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s.trim().parse::<i64>().map(Some).map_err(|_| bad()),
        Value::Null => Ok(None),
        _ => Err(bad()),
    }
}

/// A severity raised by the sign-in's risk (`riskLevelDuringSignIn`, `riskLevelAggregated`):
/// High for high, Medium for medium, none when an administrator dismissed the risk or confirmed
/// the sign-in safe.
fn risk_severity(p: &Map<String, Value>) -> Option<i32> {
    if matches!(str_of(p, "riskState"), Some("dismissed" | "confirmedSafe")) {
        return None;
    }
    ["riskLevelDuringSignIn", "riskLevelAggregated"]
        .iter()
        .filter_map(|key| match str_of(p, key)? {
            "high" => Some(HIGH),
            "medium" => Some(MEDIUM),
            _ => None,
        })
        .max()
}

/// Whether MFA was used: a succeeded second-factor step in `authenticationDetails`, an MFA
/// method in `mfaDetail`, or a successful sign-in that required MFA; `false` when only a
/// single factor was required; unknown otherwise.
fn is_mfa(p: &Map<String, Value>, status_id: i32) -> Option<bool> {
    let second_step = steps(p).any(|step| {
        let succeeded = step.get("succeeded") == Some(&Value::Bool(true));
        let method = str_of(step, "authenticationMethod").unwrap_or("");
        let requirement = str_of(step, "authenticationStepRequirement")
            .unwrap_or("")
            .to_ascii_lowercase();
        succeeded
            && (is_second_factor(method)
                || requirement.contains("multi")
                || requirement.contains("mfa"))
    });
    let mfa_detail = p
        .get("mfaDetail")
        .and_then(|m| m.get("authMethod"))
        .and_then(Value::as_str)
        .is_some_and(|m| !m.is_empty());
    let requirement = str_of(p, "authenticationRequirement");
    if second_step
        || mfa_detail
        || (requirement == Some("multiFactorAuthentication") && status_id == SUCCESS)
    {
        Some(true)
    } else if requirement == Some("singleFactorAuthentication") {
        Some(false)
    } else {
        None
    }
}

/// Whether an `authenticationMethod` is a second factor (or a passwordless method that
/// satisfies MFA).
fn is_second_factor(method: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "Mobile app",
        "Text message",
        "OATH",
        "Phone call",
        "FIDO2",
        "Windows Hello",
        "Microsoft Authenticator",
        "Passkey",
        "Authenticator app",
    ];
    PREFIXES.iter().any(|p| method.starts_with(p))
}

/// The steps of `authenticationDetails`.
fn steps(p: &Map<String, Value>) -> impl Iterator<Item = &Map<String, Value>> {
    p.get("authenticationDetails")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// The methods of `authenticationDetails` as OCSF `auth_factors` (each method once; "Previously
/// satisfied" is not a method).
fn auth_factors(p: &Map<String, Value>) -> Option<Value> {
    let mut methods: Vec<&str> = Vec::new();
    for step in steps(p) {
        if let Some(m) = str_of(step, "authenticationMethod") {
            if m != "Previously satisfied" && !methods.contains(&m) {
                methods.push(m);
            }
        }
    }
    let factors: Vec<Value> = methods
        .into_iter()
        .map(|m| {
            let (id, caption) = factor_type(m);
            json!({ "factor_type_id": id, "factor_type": caption.unwrap_or(m) })
        })
        .collect();
    (!factors.is_empty()).then_some(Value::Array(factors))
}

/// OCSF `factor_type_id` (and its caption) of an Entra `authenticationMethod`; Other (99),
/// without a caption, for methods OCSF has no type for.
fn factor_type(method: &str) -> (i32, Option<&'static str>) {
    match method {
        "Password" => (11, Some("Password")),
        "Text message" => (1, Some("SMS")),
        "Mobile app notification" => (5, Some("Push Notification")),
        "OATH verification code" | "Mobile app verification code" => (7, Some("OTP")),
        "OATH hardware token" => (6, Some("Hardware Token")),
        "FIDO2 security key" => (10, Some("WebAuthn")),
        "Email" | "Email OTP" => (8, Some("Email")),
        m if m.starts_with("Phone call") => (3, Some("Phone Call")),
        _ => (OTHER, None),
    }
}

/// The user of a sign-in: the user (`userPrincipalName` → name, and email when it has an `@`;
/// `userId` → uid; `userDisplayName` → full name), or the service principal or managed
/// identity (`servicePrincipalName`, `servicePrincipalId`) as a user of type Service.
fn sign_in_user(p: &Map<String, Value>, principal: Who) -> Option<User> {
    match principal {
        Who::User => person(
            str_of(p, "userPrincipalName"),
            str_of(p, "userId"),
            str_of(p, "userDisplayName"),
        ),
        Who::ServicePrincipal | Who::ManagedIdentity => service_user(
            str_of(p, "servicePrincipalName").or_else(|| str_of(p, "appDisplayName")),
            str_of(p, "servicePrincipalId"),
        ),
    }
}

/// A person: the principal name as `name` (and `email_addr` when it has an `@`), the object id
/// as `uid`, the display name as `full_name`.
fn person(upn: Option<&str>, id: Option<&str>, display: Option<&str>) -> Option<User> {
    if upn.is_none() && id.is_none() && display.is_none() {
        return None;
    }
    let mut user = User {
        name: upn.map(String::from),
        uid: id.map(String::from),
        email_addr: upn.filter(|n| n.contains('@')).map(String::from),
        ..User::default()
    };
    if let Some(full) = display {
        user.extra.insert("full_name".into(), Value::from(full));
    }
    Some(user)
}

/// A service principal or managed identity as an OCSF user of type Service.
fn service_user(name: Option<&str>, id: Option<&str>) -> Option<User> {
    if name.is_none() && id.is_none() {
        return None;
    }
    let mut user = User {
        name: name.map(String::from),
        uid: id.map(String::from),
        ..User::default()
    };
    user.extra
        .insert("type_id".into(), Value::from(USER_TYPE_SERVICE));
    user.extra.insert("type".into(), Value::from("Service"));
    Some(user)
}

/// The source: `ipAddress` (else the envelope's `callerIpAddress`) with `location` and the
/// autonomous system; a value that is not an IP address goes to `unmapped.entra.ip_address`.
fn source(
    unmapped: &mut std::collections::BTreeMap<String, Value>,
    p: &Map<String, Value>,
    caller: Option<&str>,
) -> Option<authtrail_model::Endpoint> {
    let address = str_of(p, "ipAddress").or(caller)?;
    if address.parse::<IpAddr>().is_err() {
        unmapped.insert("entra.ip_address".into(), Value::from(address));
        return None;
    }
    let mut src = build::endpoint(address, None);
    if let Some(Value::Object(loc)) = p.get("location") {
        src.location = location(loc);
    }
    let asn = p.get("autonomousSystemNumber").and_then(Value::as_u64);
    build::set_autonomous_system(&mut src, asn, None);
    Some(src)
}

/// A sign-in's `location` as an OCSF location (`countryOrRegion` → country, `state` →
/// region, `geoCoordinates` → lat/long).
fn location(loc: &Map<String, Value>) -> Option<Location> {
    let coordinates = loc.get("geoCoordinates");
    let coordinate = |key| coordinates.and_then(|c| c.get(key)).and_then(Value::as_f64);
    let mut out = Location {
        country: str_of(loc, "countryOrRegion").map(String::from),
        city: str_of(loc, "city").map(String::from),
        lat: coordinate("latitude"),
        long: coordinate("longitude"),
        ..Location::default()
    };
    if let Some(state) = str_of(loc, "state") {
        out.extra.insert("region".into(), Value::from(state));
    }
    let empty = out.country.is_none()
        && out.city.is_none()
        && out.lat.is_none()
        && out.long.is_none()
        && out.extra.is_empty();
    (!empty).then_some(out)
}

/// A service from a name field and an id field.
fn service(p: &Map<String, Value>, name: &str, uid: &str) -> Option<Service> {
    let name = str_of(p, name);
    let uid = str_of(p, uid);
    (name.is_some() || uid.is_some()).then(|| Service {
        name: name.map(String::from),
        uid: uid.map(String::from),
        ..Service::default()
    })
}

/// The session: `sessionId` as its uid, the token's `uniqueTokenIdentifier` as its
/// `credential_uid`.
fn session(p: &Map<String, Value>) -> Option<Session> {
    let uid = str_of(p, "sessionId");
    let token = str_of(p, "uniqueTokenIdentifier");
    if uid.is_none() && token.is_none() {
        return None;
    }
    let mut session = Session {
        uid: uid.map(String::from),
        ..Session::default()
    };
    if let Some(t) = token {
        session
            .extra
            .insert("credential_uid".into(), Value::from(t));
    }
    Some(session)
}

/// `authenticationProtocol` as `auth_protocol_id`: OAuth 2.0 for `oAuth2` and its grants
/// (`ropc`, `deviceCode`), SAML for `saml20`, Other with the name for the rest; `none` is none.
/// The name itself is kept in `unmapped.entra.authentication_protocol`.
fn protocol(e: &mut Event, p: &Map<String, Value>) {
    let Some(name) = str_of(p, "authenticationProtocol") else {
        return;
    };
    match name.to_ascii_lowercase().as_str() {
        "none" => return,
        "oauth2" | "ropc" | "devicecode" => e.auth_protocol_id = Some(OAUTH2),
        "saml20" | "saml" => e.auth_protocol_id = Some(SAML),
        _ => {
            e.auth_protocol_id = Some(OTHER);
            e.auth_protocol = Some(name.to_string());
        }
    }
    e.unmapped
        .insert("entra.authentication_protocol".into(), Value::from(name));
}

/// The sign-in facts OCSF has no slot for, in `unmapped.entra.*`.
fn sign_in_unmapped(e: &mut Event, p: &Map<String, Value>, principal: Who) {
    keep(
        e,
        p,
        &[
            ("isInteractive", "is_interactive"),
            ("signInEventTypes", "sign_in_event_types"),
            ("conditionalAccessStatus", "conditional_access_status"),
            ("clientAppUsed", "client_app_used"),
            ("authenticationRequirement", "authentication_requirement"),
            ("tokenIssuerType", "token_issuer_type"),
            ("tokenIssuerName", "token_issuer_name"),
            ("riskLevelDuringSignIn", "risk_level_during_sign_in"),
            ("riskLevelAggregated", "risk_level_aggregated"),
            ("riskState", "risk_state"),
            ("riskDetail", "risk_detail"),
            ("riskEventTypes", "risk_event_types"),
            ("userType", "user_type"),
            ("homeTenantId", "home_tenant_id"),
            ("resourceTenantId", "resource_tenant_id"),
            ("crossTenantAccessType", "cross_tenant_access_type"),
            ("clientCredentialType", "client_credential_type"),
            ("managedIdentityType", "managed_identity_type"),
            ("servicePrincipalCredentialKeyId", "credential_key_id"),
        ],
    );
    match principal {
        Who::User => keep(
            e,
            p,
            &[
                ("resourceDisplayName", "resource_display_name"),
                ("resourceId", "resource_id"),
            ],
        ),
        Who::ServicePrincipal | Who::ManagedIdentity => keep(
            e,
            p,
            &[("appId", "app_id"), ("appDisplayName", "app_display_name")],
        ),
    }
    if let Some(client) = str_of(p, "clientAppUsed") {
        // Conditional Access calls every client but browsers and modern (MSAL/ADAL) apps a
        // legacy authentication client.
        let modern = matches!(client, "Browser" | "Mobile Apps and Desktop clients");
        e.unmapped
            .insert("entra.is_legacy_auth".into(), Value::Bool(!modern));
    }
    if let Some(mfa) = p.get("mfaDetail").and_then(Value::as_object) {
        keep(
            e,
            mfa,
            &[
                ("authMethod", "mfa_auth_method"),
                ("authDetail", "mfa_auth_detail"),
            ],
        );
    }
    let policies: Vec<Value> = p
        .get("appliedConditionalAccessPolicies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|policy| {
            json!({
                "name": str_of(policy, "displayName"),
                "result": str_of(policy, "result"),
            })
        })
        .collect();
    if !policies.is_empty() {
        e.unmapped.insert(
            "entra.conditional_access_policies".into(),
            Value::Array(policies),
        );
    }
    let steps: Vec<Value> = steps(p)
        .map(|step| {
            json!({
                "method": str_of(step, "authenticationMethod"),
                "succeeded": step.get("succeeded").and_then(Value::as_bool),
                "detail": str_of(step, "authenticationStepResultDetail"),
            })
        })
        .collect();
    if !steps.is_empty() {
        e.unmapped
            .insert("entra.authentication_steps".into(), Value::Array(steps));
    }
    if let Some(Value::Object(device)) = p.get("deviceDetail") {
        let device: Map<String, Value> = device
            .iter()
            .filter(|(_, v)| !matches!(v, Value::Null) && v.as_str() != Some(""))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !device.is_empty() {
            e.unmapped
                .insert("entra.device".into(), Value::Object(device));
        }
    }
}

/// Copy each field of `from` that has a value to `unmapped.entra.<name>`: non-empty strings
/// other than `none`, booleans, numbers and non-empty arrays.
fn keep(e: &mut Event, from: &Map<String, Value>, fields: &[(&str, &str)]) {
    for (key, name) in fields {
        let value = match from.get(*key) {
            Some(Value::String(s)) if s.is_empty() || s.eq_ignore_ascii_case("none") => continue,
            Some(Value::Array(a)) if a.is_empty() => continue,
            Some(v @ (Value::String(_) | Value::Bool(_) | Value::Number(_) | Value::Array(_))) => {
                v.clone()
            }
            _ => continue,
        };
        e.unmapped.insert(format!("entra.{name}"), value);
    }
}

/// What an audit activity maps to: class and activity, or `None` for activities that are not
/// authentication events.
fn audit_kind(activity: &str) -> Option<(u32, i32)> {
    let role_grant = ["Add member to role", "Add eligible member to role", "Add scoped member to role"]
        .iter()
        .any(|prefix| activity.starts_with(prefix))
        // PIM requests, approvals and denials are not grants yet.
        && !["request", "denied", "cancel", "expired"]
            .iter()
            .any(|word| activity.contains(word));
    if role_grant || activity == ELEVATE_ACCESS {
        return Some((AUTHORIZE_SESSION, ASSIGN_PRIVILEGES));
    }
    let activity_id = match activity {
        "Reset password (by admin)" | "Reset user password" | "Reset password (self-service)" => {
            PASSWORD_RESET
        }
        "Change user password" | "Change password (self-service)" => PASSWORD_CHANGE,
        "User registered security info"
        | "User registered all required security info"
        | "Admin registered security info"
        | "Enable Strong Authentication" => MFA_FACTOR_ENABLE,
        "User deleted security info"
        | "Admin deleted security info"
        | "Disable Strong Authentication" => MFA_FACTOR_DISABLE,
        "User changed default security info" | "Admin updated security info" => OTHER,
        "Unlock user account (self-service)" => UNLOCK,
        "Disable account" => DISABLE,
        "Enable account" => ENABLE,
        _ => return None,
    };
    Some((ACCOUNT_CHANGE, activity_id))
}

/// A directory audit event: a role grant as Authorize Session Assign Privileges (the role in
/// `privileges`), password and security-info changes as Account Change. The target user is the
/// `user`, the initiator (a user or an application) the `actor`.
fn audit(record: &Record, ctx: &ParseContext) -> ParseResult {
    let p = &record.props;
    let activity = str_of(p, "activityDisplayName")
        .or_else(|| str_of(p, "operationName"))
        .or_else(|| record.env("operationname"))
        .ok_or(Unrecognized::new(
            "Entra audit record without activityDisplayName or operationName",
        ))?;
    let Some((class_uid, activity_id)) = audit_kind(activity) else {
        return Err(Unrecognized::because(format!(
            "Entra audit {activity:?} is not an authentication event"
        )));
    };
    let time_ms = record.time("activityDateTime", ctx)?;
    let result = str_of(p, "result").or_else(|| record.env("result"));
    let status_id = match result.map(str::to_ascii_lowercase).as_deref() {
        Some("success") => SUCCESS,
        Some("failure" | "failed") => FAILURE,
        _ => STATUS_UNKNOWN,
    };
    let mut e = build::new_event(class_uid, activity_id, status_id, time_ms, PRODUCT);
    e.status_detail = str_of(p, "resultReason").map(String::from);
    e.message = Some(activity.to_string());

    let initiated_by = p.get("initiatedBy").and_then(Value::as_object);
    let initiator_user = initiated_by
        .and_then(|i| i.get("user"))
        .and_then(Value::as_object);
    let initiator = initiator_user.and_then(|u| {
        person(
            str_of(u, "userPrincipalName"),
            str_of(u, "id"),
            str_of(u, "displayName"),
        )
    });
    let app = initiated_by
        .and_then(|i| i.get("app"))
        .and_then(Value::as_object)
        .and_then(actor_app);
    let target = targets(p).find_map(target_user);
    let same = |a: &User, b: &User| {
        (a.uid.is_some() && a.uid == b.uid) || (a.name.is_some() && a.name == b.name)
    };
    // The target is the account changed; without one, the initiator changed their own.
    let (account, actor_user) = match (target, initiator) {
        (Some(t), Some(i)) if same(&t, &i) => (Some(t), None),
        (Some(t), i) => (Some(t), i),
        (None, i) => (i, None),
    };
    e.user = account;
    let mut actor = app.unwrap_or_default();
    if let Some(u) = actor_user {
        actor.insert("user".into(), json!(u));
    }
    if !actor.is_empty() {
        e.actor = Some(Value::Object(actor));
    }

    if class_uid == AUTHORIZE_SESSION {
        let role = if activity == ELEVATE_ACCESS {
            Some("User Access Administrator".to_string())
        } else {
            role_name(p)
        };
        if let Some(r) = role {
            e.other.insert("privileges".into(), json!([r]));
        }
    }
    let caller = initiator_user
        .and_then(|u| str_of(u, "ipAddress"))
        .or_else(|| record.env("calleripaddress"));
    if let Some(ip) = caller.filter(|ip| ip.parse::<IpAddr>().is_ok()) {
        e.src_endpoint = Some(build::endpoint(ip, None));
    }
    if let Some(ua) = additional_detail(p, "User-Agent") {
        e.http_request = Some(HttpRequest {
            user_agent: Some(ua.into()),
            ..HttpRequest::default()
        });
    }
    record.metadata(&mut e);
    e.unmapped
        .insert("entra.activity".into(), Value::from(activity));
    keep(
        &mut e,
        p,
        &[
            ("operationType", "operation_type"),
            ("loggedByService", "logged_by_service"),
            ("category", "audit_category"),
            ("result", "result"),
        ],
    );
    Ok(e)
}

/// The `targetResources` entries.
fn targets(p: &Map<String, Value>) -> impl Iterator<Item = &Map<String, Value>> {
    p.get("targetResources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// A target that is a user (a person) or a service principal (a user of type Service).
fn target_user(t: &Map<String, Value>) -> Option<User> {
    match str_of(t, "type") {
        Some("User") => person(
            str_of(t, "userPrincipalName"),
            str_of(t, "id"),
            str_of(t, "displayName"),
        ),
        Some("ServicePrincipal") => service_user(str_of(t, "displayName"), str_of(t, "id")),
        _ => None,
    }
}

/// An initiating application as OCSF actor fields (`app_name`, `app_uid`).
fn actor_app(app: &Map<String, Value>) -> Option<Map<String, Value>> {
    let name = str_of(app, "displayName").or_else(|| str_of(app, "servicePrincipalName"));
    let uid = str_of(app, "appId").or_else(|| str_of(app, "servicePrincipalId"));
    let mut out = Map::new();
    if let Some(n) = name {
        out.insert("app_name".into(), Value::from(n));
    }
    if let Some(u) = uid {
        out.insert("app_uid".into(), Value::from(u));
    }
    (!out.is_empty()).then_some(out)
}

/// The role a grant gives: the `Role.DisplayName` modified property (a JSON string), else the
/// display name of a target of type Role.
fn role_name(p: &Map<String, Value>) -> Option<String> {
    let modified = targets(p)
        .filter_map(|t| t.get("modifiedProperties")?.as_array())
        .flatten()
        .filter_map(Value::as_object)
        .find(|m| str_of(m, "displayName") == Some("Role.DisplayName"))
        .and_then(|m| str_of(m, "newValue"))
        .map(|v| serde_json::from_str::<String>(v).unwrap_or_else(|_| v.trim_matches('"').into()))
        .filter(|v| !v.is_empty());
    modified.or_else(|| {
        targets(p)
            .find(|t| str_of(t, "type") == Some("Role"))
            .and_then(|t| str_of(t, "displayName"))
            .map(String::from)
    })
}

/// The value of an `additionalDetails` entry (`[{"key": …, "value": …}]`).
fn additional_detail<'a>(p: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    p.get("additionalDetails")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .find(|d| str_of(d, "key") == Some(key))
        .and_then(|d| str_of(d, "value"))
}

/// A JSON value shortened for a reason.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::test_support::{self, ctx, src, user};

    fn parsed(line: &str) -> Event {
        test_support::parsed(parse, line, &mut ctx())
    }

    /// The Graph fields of an interactive sign-in with `status` and otherwise typical fields.
    fn graph_fields(status: &str) -> String {
        format!(
            r#""id": "si-1", "createdDateTime": "2024-05-01T10:00:00.1234567Z", "userDisplayName": "Alice Adams", "userPrincipalName": "alice@contoso.example", "userId": "u-1", "appId": "app-1", "appDisplayName": "Office 365 Exchange Online", "ipAddress": "203.0.113.7", "clientAppUsed": "Browser", "userAgent": "Mozilla/5.0", "correlationId": "corr-1", "sessionId": "sess-1", "uniqueTokenIdentifier": "uti-1", "conditionalAccessStatus": "success", "isInteractive": true, "authenticationRequirement": "multiFactorAuthentication", "authenticationProtocol": "oAuth2", "tokenIssuerType": "AzureAD", "riskLevelDuringSignIn": "none", "riskState": "none", "resourceDisplayName": "Microsoft Graph", "resourceId": "res-1", "status": {status}, "deviceDetail": {{"deviceId": "", "operatingSystem": "Windows 10", "browser": "Edge 120.0.0", "isCompliant": false}}, "location": {{"city": "Paris", "state": "Ile-de-France", "countryOrRegion": "FR", "geoCoordinates": {{"latitude": 48.85, "longitude": 2.35}}}}, "appliedConditionalAccessPolicies": [{{"id": "p1", "displayName": "Require MFA", "result": "success"}}], "authenticationDetails": [{{"authenticationMethod": "Password", "succeeded": true, "authenticationStepResultDetail": "Correct password"}}, {{"authenticationMethod": "Mobile app notification", "succeeded": true, "authenticationStepResultDetail": "MFA successfully completed"}}], "mfaDetail": {{"authMethod": "PhoneAppNotification", "authDetail": null}}"#
        )
    }

    /// A Graph `signIn` resource.
    fn graph(status: &str) -> String {
        format!("{{{}}}", graph_fields(status))
    }

    /// The same sign-in as diagnostic settings deliver it.
    fn diagnostic(category: &str, status: &str, result_type: &str) -> String {
        format!(
            r#"{{"time": "2024-05-01T10:00:05.0000000Z", "resourceId": "/tenants/t-1/providers/Microsoft.aadiam", "operationName": "Sign-in activity", "operationVersion": "1.0", "category": "{category}", "tenantId": "t-1", "resultType": "{result_type}", "resultSignature": "None", "durationMs": 0, "callerIpAddress": "203.0.113.7", "correlationId": "corr-1", "identity": "Alice Adams", "Level": 4, "location": "FR", "properties": {{{}}}}}"#,
            graph_fields(status)
        )
    }

    const OK: &str = r#"{"errorCode": 0, "failureReason": "Other.", "additionalDetails": "MFA requirement satisfied by claim in the token"}"#;

    fn unmapped<'a>(e: &'a Event, key: &str) -> Option<&'a Value> {
        e.unmapped.get(&format!("entra.{key}"))
    }

    #[test]
    fn interactive_sign_in_with_mfa_maps_everything() {
        let e = parsed(&diagnostic("SignInLogs", OK, "0"));
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (AUTHENTICATION, LOGON, SUCCESS)
        );
        assert_eq!(e.time, 1_714_557_600_123);
        assert_eq!(e.status_code.as_deref(), Some("0"));
        assert_eq!(
            e.status_detail.as_deref(),
            Some("MFA requirement satisfied by claim in the token")
        );
        assert_eq!(e.is_mfa, Some(true));
        assert_eq!(e.severity_id, build::INFORMATIONAL);
        let u = e.user.as_ref().unwrap();
        assert_eq!(u.name.as_deref(), Some("alice@contoso.example"));
        assert_eq!(u.email_addr.as_deref(), Some("alice@contoso.example"));
        assert_eq!(u.uid.as_deref(), Some("u-1"));
        assert_eq!(u.extra["full_name"], "Alice Adams");
        assert!(!u.extra.contains_key("type_id"));
        assert_eq!(src(&e), Some("203.0.113.7"));
        let loc = e.src_endpoint.as_ref().unwrap().location.as_ref().unwrap();
        assert_eq!(loc.country.as_deref(), Some("FR"));
        assert_eq!(loc.city.as_deref(), Some("Paris"));
        assert_eq!((loc.lat, loc.long), (Some(48.85), Some(2.35)));
        assert_eq!(loc.extra["region"], "Ile-de-France");
        assert_eq!(
            e.http_request.as_ref().unwrap().user_agent.as_deref(),
            Some("Mozilla/5.0")
        );
        let service = e.service.as_ref().unwrap();
        assert_eq!(service.name.as_deref(), Some("Office 365 Exchange Online"));
        assert_eq!(service.uid.as_deref(), Some("app-1"));
        let session = e.session.as_ref().unwrap();
        assert_eq!(session.uid.as_deref(), Some("sess-1"));
        assert_eq!(session.extra["credential_uid"], "uti-1");
        assert_eq!(e.auth_protocol_id, Some(OAUTH2));
        assert_eq!(e.auth_protocol.as_deref(), Some("OAUTH 2.0"));
        assert_eq!(e.metadata.uid.as_deref(), Some("si-1"));
        assert_eq!(e.metadata.extra["correlation_uid"], "corr-1");
        assert_eq!(e.metadata.extra["tenant_uid"], "t-1");
        assert_eq!(e.metadata.extra["log_name"], "SignInLogs");
        let product = e.metadata.product.as_ref().unwrap();
        assert_eq!(product.name.as_deref(), Some("Entra ID"));
        assert_eq!(product.vendor_name.as_deref(), Some("Microsoft"));
        assert_eq!(
            e.other["auth_factors"],
            json!([
                {"factor_type_id": 11, "factor_type": "Password"},
                {"factor_type_id": 5, "factor_type": "Push Notification"}
            ])
        );
        assert_eq!(
            unmapped(&e, "conditional_access_status").unwrap(),
            "success"
        );
        assert_eq!(
            unmapped(&e, "conditional_access_policies").unwrap(),
            &json!([{"name": "Require MFA", "result": "success"}])
        );
        assert_eq!(unmapped(&e, "client_app_used").unwrap(), "Browser");
        assert_eq!(unmapped(&e, "is_legacy_auth").unwrap(), false);
        assert_eq!(unmapped(&e, "is_interactive").unwrap(), true);
        assert_eq!(unmapped(&e, "token_issuer_type").unwrap(), "AzureAD");
        assert_eq!(
            unmapped(&e, "resource_display_name").unwrap(),
            "Microsoft Graph"
        );
        assert_eq!(
            unmapped(&e, "mfa_auth_method").unwrap(),
            "PhoneAppNotification"
        );
        assert_eq!(
            unmapped(&e, "device").unwrap(),
            &json!({"operatingSystem": "Windows 10", "browser": "Edge 120.0.0", "isCompliant": false})
        );
        assert_eq!(
            unmapped(&e, "authentication_steps").unwrap()[1],
            json!({"method": "Mobile app notification", "succeeded": true, "detail": "MFA successfully completed"})
        );
        // `none` risk is left out.
        assert!(unmapped(&e, "risk_state").is_none());
    }

    #[test]
    fn graph_and_diagnostic_shapes_give_the_same_event() {
        let from_graph = parsed(&graph(OK));
        let mut from_diagnostic = parsed(&diagnostic("SignInLogs", OK, "0"));
        // Only the envelope knows the category and the tenant.
        for key in ["log_name", "tenant_uid"] {
            assert!(
                from_diagnostic.metadata.extra.remove(key).is_some(),
                "{key}"
            );
        }
        assert_eq!(from_graph, from_diagnostic);
    }

    #[test]
    fn wrong_passwords_and_conditional_access_blocks_are_failures() {
        let e = parsed(&diagnostic(
            "SignInLogs",
            r#"{"errorCode": 50126, "failureReason": "Error validating credentials due to invalid username or password."}"#,
            "50126",
        ));
        assert_eq!((e.activity_id, e.status_id), (LOGON, FAILURE));
        assert_eq!(e.status_code.as_deref(), Some("50126"));
        assert_eq!(
            e.status_detail.as_deref(),
            Some("Error validating credentials due to invalid username or password.")
        );
        assert_eq!(e.severity_id, build::LOW);

        let e = parsed(&graph(
            r#"{"errorCode": 53003, "failureReason": "Access has been blocked by Conditional Access policies.", "additionalDetails": "The policy blocks legacy clients"}"#,
        ));
        assert_eq!(e.status_id, FAILURE);
        assert_eq!(e.status_code.as_deref(), Some("53003"));
        assert_eq!(
            e.status_detail.as_deref(),
            Some("Access has been blocked by Conditional Access policies.")
        );
        assert_eq!(
            unmapped(&e, "status_additional_details").unwrap(),
            "The policy blocks legacy clients"
        );
        // 81010 (Seamless SSO ticket invalid) refuses the credential presented.
        let e = parsed(&graph(r#"{"errorCode": "81010"}"#));
        assert_eq!(e.status_id, FAILURE);
        assert_eq!(e.status_code.as_deref(), Some("81010"));
    }

    #[test]
    fn interrupts_are_neither_success_nor_failure() {
        for code in INTERRUPTS {
            let status = format!(
                r#"{{"errorCode": {code}, "failureReason": "Strong Authentication is required."}}"#
            );
            let e = parsed(&graph(&status));
            assert_eq!((e.activity_id, e.status_id), (LOGON, OTHER), "{code}");
            assert_eq!(e.status.as_deref(), Some("Other"), "{code}");
            assert_eq!(e.status_code, Some(code.to_string()));
            assert_eq!(
                e.status_detail.as_deref(),
                Some("Strong Authentication is required.")
            );
            assert_eq!(e.severity_id, build::INFORMATIONAL);
        }
        // The envelope's result type decides when `status` has no code.
        let e = parsed(&diagnostic(
            "SignInLogs",
            r#"{"failureReason": "x"}"#,
            "50074",
        ));
        assert_eq!(e.status_id, OTHER);
        assert_eq!(e.status_detail.as_deref(), Some("x"));
        // Without the MFA step done, a required MFA is not MFA used.
        let e = parsed(
            r#"{"createdDateTime": "2024-05-01T10:00:00Z", "userPrincipalName": "bob@contoso.example", "appDisplayName": "Azure Portal", "authenticationRequirement": "multiFactorAuthentication", "status": {"errorCode": 50074}, "authenticationDetails": [{"authenticationMethod": "Password", "succeeded": true}]}"#,
        );
        assert_eq!(e.status_id, OTHER);
        assert_eq!(e.is_mfa, None);
    }

    #[test]
    fn non_interactive_and_legacy_sign_ins() {
        let e = parsed(
            r#"{"time": "2024-05-01 10:00:00.5", "category": "NonInteractiveUserSignInLogs", "operationName": "Sign-in activity", "callerIpAddress": "2001:DB8::5", "resultType": 0, "properties": {"userPrincipalName": "carol@contoso.example", "appDisplayName": "Outlook", "isInteractive": false, "clientAppUsed": "IMAP4", "authenticationRequirement": "singleFactorAuthentication", "authenticationProtocol": "ropc", "status": {"errorCode": 0}}}"#,
        );
        assert_eq!((e.activity_id, e.status_id), (LOGON, SUCCESS));
        // No createdDateTime: the envelope's time, zone-less in the configured zone (UTC).
        assert_eq!(e.time, 1_714_557_600_500);
        assert_eq!(src(&e), Some("2001:db8::5"));
        assert_eq!(e.is_mfa, Some(false));
        assert_eq!(e.auth_protocol_id, Some(OAUTH2));
        assert_eq!(unmapped(&e, "authentication_protocol").unwrap(), "ropc");
        assert_eq!(unmapped(&e, "is_interactive").unwrap(), false);
        assert_eq!(unmapped(&e, "is_legacy_auth").unwrap(), true);
        assert_eq!(e.metadata.extra["log_name"], "NonInteractiveUserSignInLogs");
        assert!(e.session.is_none());
    }

    #[test]
    fn service_principals_and_managed_identities_are_service_users() {
        let e = parsed(
            r#"{"time": "2024-05-01T10:00:00Z", "category": "ServicePrincipalSignInLogs", "operationName": "Sign-in activity", "callerIpAddress": "198.51.100.4", "resultType": "7000215", "resultDescription": "Invalid client secret provided.", "properties": {"appId": "app-9", "servicePrincipalId": "sp-9", "servicePrincipalName": "backup-job", "resourceDisplayName": "Azure Storage", "resourceId": "res-9", "ipAddress": "198.51.100.4", "status": {"errorCode": 7000215}, "riskLevelDuringSignIn": "high", "riskState": "atRisk", "clientCredentialType": "clientSecret", "servicePrincipalCredentialKeyId": "key-1", "uniqueTokenIdentifier": "uti-9"}}"#,
        );
        assert_eq!(e.status_id, FAILURE);
        assert_eq!(
            e.status_detail.as_deref(),
            Some("Invalid client secret provided.")
        );
        assert_eq!(e.severity_id, HIGH);
        let u = e.user.as_ref().unwrap();
        assert_eq!(u.name.as_deref(), Some("backup-job"));
        assert_eq!(u.uid.as_deref(), Some("sp-9"));
        assert_eq!(u.email_addr, None);
        assert_eq!(u.extra["type_id"], 4);
        assert_eq!(u.extra["type"], "Service");
        let service = e.service.as_ref().unwrap();
        assert_eq!(service.name.as_deref(), Some("Azure Storage"));
        assert_eq!(service.uid.as_deref(), Some("res-9"));
        assert_eq!(unmapped(&e, "app_id").unwrap(), "app-9");
        assert!(unmapped(&e, "resource_display_name").is_none());
        assert_eq!(unmapped(&e, "risk_level_during_sign_in").unwrap(), "high");
        assert_eq!(unmapped(&e, "risk_state").unwrap(), "atRisk");
        assert_eq!(
            unmapped(&e, "client_credential_type").unwrap(),
            "clientSecret"
        );
        assert_eq!(unmapped(&e, "credential_key_id").unwrap(), "key-1");
        assert_eq!(e.session.as_ref().unwrap().extra["credential_uid"], "uti-9");

        let e = parsed(
            r#"{"time": "2024-05-01T10:00:00Z", "category": "ManagedIdentitySignInLogs", "operationName": "Sign-in activity", "properties": {"servicePrincipalId": "mi-1", "servicePrincipalName": "vm-web-01", "managedIdentityType": "systemAssigned", "status": {"errorCode": 0}, "riskLevelAggregated": "medium"}}"#,
        );
        assert_eq!(e.status_id, SUCCESS);
        assert_eq!(e.severity_id, MEDIUM);
        assert_eq!(user(&e), Some("vm-web-01"));
        assert_eq!(e.user.as_ref().unwrap().extra["type_id"], 4);
        assert_eq!(
            unmapped(&e, "managed_identity_type").unwrap(),
            "systemAssigned"
        );

        // A Graph resource says it by its event types, or by having no user.
        let e = parsed(
            r#"{"createdDateTime": "2024-05-01T10:00:00Z", "signInEventTypes": ["servicePrincipal"], "servicePrincipalName": "sp", "conditionalAccessStatus": "notApplied", "status": {"errorCode": 0}}"#,
        );
        assert_eq!(e.user.as_ref().unwrap().extra["type_id"], 4);
        let e = parsed(
            r#"{"createdDateTime": "2024-05-01T10:00:00Z", "servicePrincipalName": "sp", "conditionalAccessStatus": "notApplied"}"#,
        );
        assert_eq!(e.user.as_ref().unwrap().extra["type_id"], 4);
        assert_eq!(e.status_id, STATUS_UNKNOWN);
    }

    #[test]
    fn dismissed_risk_does_not_raise_severity() {
        let e = parsed(
            r#"{"createdDateTime": "2024-05-01T10:00:00Z", "userPrincipalName": "d@contoso.example", "status": {"errorCode": 0}, "riskLevelDuringSignIn": "high", "riskState": "dismissed"}"#,
        );
        assert_eq!(e.severity_id, build::INFORMATIONAL);
        assert_eq!(unmapped(&e, "risk_state").unwrap(), "dismissed");
    }

    #[test]
    fn protocols() {
        for (name, id, caption) in [
            ("saml20", SAML, "SAML"),
            ("deviceCode", OAUTH2, "OAUTH 2.0"),
            ("wsFederation", OTHER, "wsFederation"),
        ] {
            let line = format!(
                r#"{{"createdDateTime": "2024-05-01T10:00:00Z", "userPrincipalName": "u", "authenticationProtocol": "{name}"}}"#
            );
            let e = parsed(&line);
            assert_eq!(e.auth_protocol_id, Some(id), "{name}");
            assert_eq!(e.auth_protocol.as_deref(), Some(caption), "{name}");
            assert_eq!(unmapped(&e, "authentication_protocol").unwrap(), name);
        }
        let e = parsed(
            r#"{"createdDateTime": "2024-05-01T10:00:00Z", "userPrincipalName": "u", "authenticationProtocol": "none"}"#,
        );
        assert_eq!(e.auth_protocol_id, None);
        assert!(unmapped(&e, "authentication_protocol").is_none());
    }

    /// A directory audit record of `activity` with `targets` and a user initiator.
    fn audit_record(activity: &str, result: &str, targets: &str) -> String {
        format!(
            r#"{{"time": "2024-05-02T09:00:00Z", "resourceId": "/tenants/t-1/providers/Microsoft.aadiam", "operationName": "{activity}", "category": "AuditLogs", "tenantId": "t-1", "resultSignature": "None", "callerIpAddress": "192.0.2.50", "correlationId": "c-9", "properties": {{"id": "Directory_1", "category": "RoleManagement", "correlationId": "c-9", "result": "{result}", "resultReason": "", "activityDisplayName": "{activity}", "activityDateTime": "2024-05-02T08:59:59.5Z", "loggedByService": "Core Directory", "operationType": "Assign", "initiatedBy": {{"user": {{"id": "admin-1", "displayName": "Admin", "userPrincipalName": "admin@contoso.example", "ipAddress": "192.0.2.9"}}}}, "targetResources": {targets}, "additionalDetails": [{{"key": "User-Agent", "value": "PowerShell/7"}}]}}}}"#
        )
    }

    const ROLE_TARGETS: &str = r#"[{"id": "u-2", "displayName": "Bob", "type": "User", "userPrincipalName": "bob@contoso.example", "modifiedProperties": [{"displayName": "Role.DisplayName", "oldValue": null, "newValue": "\"Global Administrator\""}, {"displayName": "Role.TemplateId", "newValue": "\"62e9\""}]}]"#;

    #[test]
    fn role_grants_assign_privileges_to_the_target() {
        for activity in [
            "Add member to role",
            "Add eligible member to role",
            "Add scoped member to role",
            "Add member to role completed (PIM activation)",
        ] {
            let e = parsed(&audit_record(activity, "success", ROLE_TARGETS));
            assert_eq!(
                (e.class_uid, e.activity_id, e.status_id),
                (AUTHORIZE_SESSION, ASSIGN_PRIVILEGES, SUCCESS),
                "{activity}"
            );
            assert_eq!(e.activity_name.as_deref(), Some("Assign Privileges"));
            assert_eq!(e.time, 1_714_640_399_500);
            assert_eq!(user(&e), Some("bob@contoso.example"));
            assert_eq!(e.user.as_ref().unwrap().uid.as_deref(), Some("u-2"));
            let actor = e.actor.as_ref().unwrap();
            assert_eq!(actor["user"]["name"], "admin@contoso.example");
            assert_eq!(actor["user"]["uid"], "admin-1");
            assert_eq!(e.other["privileges"], json!(["Global Administrator"]));
            assert_eq!(src(&e), Some("192.0.2.9"));
            assert_eq!(
                e.http_request.as_ref().unwrap().user_agent.as_deref(),
                Some("PowerShell/7")
            );
            assert_eq!(e.message.as_deref(), Some(activity));
            assert_eq!(e.metadata.uid.as_deref(), Some("Directory_1"));
            assert_eq!(e.metadata.extra["correlation_uid"], "c-9");
            assert_eq!(e.metadata.extra["log_name"], "AuditLogs");
            assert_eq!(unmapped(&e, "activity").unwrap(), activity);
            assert_eq!(unmapped(&e, "audit_category").unwrap(), "RoleManagement");
            assert_eq!(unmapped(&e, "logged_by_service").unwrap(), "Core Directory");
        }
        // A PIM request is not a grant.
        let line = audit_record(
            "Add member to role requested (PIM activation)",
            "success",
            ROLE_TARGETS,
        );
        test_support::assert_unrecognized(
            parse,
            ctx,
            [(line.as_str(), "is not an authentication event")],
        );
        // A role target names the role; an application initiator is the actor's app.
        let e = parsed(
            r#"{"activityDisplayName": "Add member to role", "activityDateTime": "2024-05-02T09:00:00Z", "result": "failure", "resultReason": "Insufficient privileges", "initiatedBy": {"app": {"displayName": "Automation", "appId": "a-1", "servicePrincipalId": "sp-1"}}, "targetResources": [{"type": "ServicePrincipal", "id": "sp-2", "displayName": "ci-bot"}, {"type": "Role", "displayName": "Application Administrator"}]}"#,
        );
        assert_eq!(e.status_id, FAILURE);
        assert_eq!(e.status_detail.as_deref(), Some("Insufficient privileges"));
        assert_eq!(user(&e), Some("ci-bot"));
        assert_eq!(e.user.as_ref().unwrap().extra["type_id"], 4);
        assert_eq!(e.other["privileges"], json!(["Application Administrator"]));
        assert_eq!(
            e.actor,
            Some(json!({"app_name": "Automation", "app_uid": "a-1"}))
        );
        assert!(e.src_endpoint.is_none());
    }

    #[test]
    fn elevated_access_is_a_grant_to_the_initiator() {
        let e = parsed(&audit_record(ELEVATE_ACCESS, "SUCCESS", "[]"));
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (AUTHORIZE_SESSION, ASSIGN_PRIVILEGES, SUCCESS)
        );
        assert_eq!(user(&e), Some("admin@contoso.example"));
        assert!(e.actor.is_none());
        assert_eq!(e.other["privileges"], json!(["User Access Administrator"]));
    }

    #[test]
    fn password_and_security_info_changes_are_account_changes() {
        let user_target =
            r#"[{"id": "u-2", "type": "User", "userPrincipalName": "bob@contoso.example"}]"#;
        for (activity, id, name) in [
            (
                "Reset password (by admin)",
                PASSWORD_RESET,
                "Password Reset",
            ),
            ("Reset user password", PASSWORD_RESET, "Password Reset"),
            (
                "Reset password (self-service)",
                PASSWORD_RESET,
                "Password Reset",
            ),
            ("Change user password", PASSWORD_CHANGE, "Password Change"),
            (
                "Change password (self-service)",
                PASSWORD_CHANGE,
                "Password Change",
            ),
            (
                "User registered security info",
                MFA_FACTOR_ENABLE,
                "MFA Factor Enable",
            ),
            (
                "Admin registered security info",
                MFA_FACTOR_ENABLE,
                "MFA Factor Enable",
            ),
            (
                "User deleted security info",
                MFA_FACTOR_DISABLE,
                "MFA Factor Disable",
            ),
            (
                "Disable Strong Authentication",
                MFA_FACTOR_DISABLE,
                "MFA Factor Disable",
            ),
            ("User changed default security info", OTHER, "Other"),
            ("Unlock user account (self-service)", UNLOCK, "Unlock"),
            ("Disable account", DISABLE, "Disable"),
            ("Enable account", ENABLE, "Enable"),
        ] {
            let e = parsed(&audit_record(activity, "success", user_target));
            assert_eq!(
                (e.class_uid, e.activity_id),
                (ACCOUNT_CHANGE, id),
                "{activity}"
            );
            assert_eq!(e.activity_name.as_deref(), Some(name), "{activity}");
            assert_eq!(e.status_id, SUCCESS);
            assert_eq!(user(&e), Some("bob@contoso.example"));
            assert_eq!(
                e.actor.as_ref().unwrap()["user"]["name"],
                "admin@contoso.example"
            );
            assert!(!e.other.contains_key("privileges"));
        }
        // Self-service: the initiator is the target, so there is no actor.
        let self_target =
            r#"[{"id": "admin-1", "type": "User", "userPrincipalName": "admin@contoso.example"}]"#;
        let e = parsed(&audit_record(
            "Change password (self-service)",
            "failed",
            self_target,
        ));
        assert_eq!(e.status_id, FAILURE);
        assert_eq!(user(&e), Some("admin@contoso.example"));
        assert!(e.actor.is_none());
        let e = parsed(&audit_record("Reset user password", "timeout", self_target));
        assert_eq!(e.status_id, STATUS_UNKNOWN);
    }

    #[test]
    fn log_analytics_rows_are_read() {
        let e = parsed(
            r#"{"TenantId": "t-1", "TimeGenerated": "2024-05-01T10:00:01Z", "OperationName": "Sign-in activity", "Category": "SignInLogs", "ResultType": "50126", "ResultDescription": "Invalid username or password.", "CreatedDateTime": "2024-05-01T10:00:00Z", "UserPrincipalName": "alice@contoso.example", "UserId": "u-1", "AppDisplayName": "Azure Portal", "IPAddress": "203.0.113.7", "Location": "FR", "LocationDetails": "{\"city\":\"Paris\",\"countryOrRegion\":\"FR\"}", "Status": "{\"errorCode\":50126,\"failureReason\":\"Invalid username or password.\"}", "ConditionalAccessPolicies": [{"displayName": "Block legacy", "result": "notApplied"}], "SessionId": "s-1", "Type": "SigninLogs"}"#,
        );
        assert_eq!((e.activity_id, e.status_id), (LOGON, FAILURE));
        assert_eq!(e.time, 1_714_557_600_000);
        assert_eq!(user(&e), Some("alice@contoso.example"));
        assert_eq!(src(&e), Some("203.0.113.7"));
        let loc = e.src_endpoint.as_ref().unwrap().location.as_ref().unwrap();
        assert_eq!(loc.city.as_deref(), Some("Paris"));
        assert_eq!(
            e.status_detail.as_deref(),
            Some("Invalid username or password.")
        );
        assert_eq!(e.session.as_ref().unwrap().uid.as_deref(), Some("s-1"));
        assert_eq!(e.metadata.extra["log_name"], "SignInLogs");
        assert_eq!(e.metadata.extra["tenant_uid"], "t-1");
        assert_eq!(
            unmapped(&e, "conditional_access_policies").unwrap(),
            &json!([{"name": "Block legacy", "result": "notApplied"}])
        );
        let e = parsed(
            r#"{"TimeGenerated": "2024-05-02T09:00:00Z", "Type": "AuditLogs", "Category": "UserManagement", "ActivityDisplayName": "Reset user password", "Result": "success", "InitiatedBy": "{\"user\":{\"userPrincipalName\":\"admin@contoso.example\"}}", "TargetResources": [{"type": "User", "userPrincipalName": "bob@contoso.example"}]}"#,
        );
        assert_eq!(
            (e.class_uid, e.activity_id),
            (ACCOUNT_CHANGE, PASSWORD_RESET)
        );
        assert_eq!(user(&e), Some("bob@contoso.example"));
        assert_eq!(unmapped(&e, "audit_category").unwrap(), "UserManagement");
        assert_eq!(e.metadata.extra["log_name"], "AuditLogs");
    }

    #[test]
    fn other_records_are_unrecognized_with_a_reason() {
        let cases = [
            (
                r#"{"category": "AuditLogs", "operationName": "Update policy", "time": "2024-05-02T09:00:00Z", "properties": {"activityDisplayName": "Update policy"}}"#,
                "Entra audit \"Update policy\" is not an authentication event",
            ),
            (
                r#"{"activityDisplayName": "Add user", "activityDateTime": "2024-05-02T09:00:00Z"}"#,
                "Entra audit \"Add user\" is not an authentication event",
            ),
            (
                r#"{"category": "ProvisioningLogs", "operationName": "Provisioning activity", "properties": {}}"#,
                "Entra \"ProvisioningLogs\" record (\"Provisioning activity\") is not an authentication event",
            ),
            (
                r#"{"category": "AuditLogs", "properties": {}}"#,
                "without activityDisplayName or operationName",
            ),
            (r#"{"foo": 1}"#, "not an Entra record"),
            (r#"{"category": "SignInLogs""#, "invalid JSON Entra record"),
            ("[1]", "JSON Entra record is not an object"),
            ("\"text\"", "not an object"),
            (
                r#"{"createdDateTime": "yesterday", "userPrincipalName": "u"}"#,
                "bad createdDateTime \"yesterday\"",
            ),
            (
                r#"{"createdDateTime": 5, "userPrincipalName": "u"}"#,
                "bad createdDateTime 5",
            ),
            (
                r#"{"category": "SignInLogs", "time": "later", "properties": {}}"#,
                "bad time \"later\"",
            ),
            (
                r#"{"category": "SignInLogs", "properties": {"createdDateTime": "2024-05-01T10:00:00Z", "status": {"errorCode": "x"}}}"#,
                "bad status.errorCode \"x\"",
            ),
            (
                r#"{"category": "SignInLogs", "resultType": true, "properties": {}}"#,
                "bad resultType true",
            ),
            (
                r#"{"category": "SignInLogs", "properties": {"status": "failed"}}"#,
                "bad status \"failed\": not an object",
            ),
            (
                r#"{"category": "SignInLogs", "properties": "{}"}"#,
                "bad properties \"{}\": not an object",
            ),
            (
                r#"{"category": "AuditLogs", "properties": {"activityDisplayName": "Reset user password", "activityDateTime": []}}"#,
                "bad activityDateTime []",
            ),
        ];
        test_support::assert_unrecognized(parse, ctx, cases);
    }

    #[test]
    fn odd_but_valid_values_are_tolerated() {
        // Wrong types in fields read leniently are ignored, not fatal.
        let e = parsed(
            r#"{"createdDateTime": "2024-05-01T10:00:00Z", "userPrincipalName": 7, "userId": "u-7", "ipAddress": "not-an-ip", "location": "Paris", "authenticationDetails": "none", "mfaDetail": [], "deviceDetail": 3, "appliedConditionalAccessPolicies": {}, "status": null}"#,
        );
        assert_eq!(e.user.as_ref().unwrap().uid.as_deref(), Some("u-7"));
        assert_eq!(e.user.as_ref().unwrap().name, None);
        assert!(e.src_endpoint.is_none());
        assert_eq!(unmapped(&e, "ip_address").unwrap(), "not-an-ip");
        assert_eq!(e.status_id, STATUS_UNKNOWN);
        assert!(!e.other.contains_key("auth_factors"));
        // No time anywhere: the time of receipt.
        let e = parsed(r#"{"category": "SignInLogs", "properties": {"userPrincipalName": "u"}}"#);
        assert_eq!(e.time, test_support::RECEIVED_MS);
        // A huge error code stays a string code, and is a failure.
        let e = parsed(
            r#"{"createdDateTime": "2024-05-01T10:00:00Z", "userPrincipalName": "u", "status": {"errorCode": "9999999999"}}"#,
        );
        assert_eq!(e.status_code.as_deref(), Some("9999999999"));
        assert_eq!(e.status_id, FAILURE);
    }

    #[test]
    fn looks_like_entra_records_only() {
        for yes in [
            graph(OK),
            diagnostic("SignInLogs", OK, "0"),
            diagnostic("ServicePrincipalSignInLogs", OK, "0"),
            audit_record("Update policy", "success", "[]"),
            r#"{"calleripaddress": "1.2.3.4", "category": "Policy", "operationname": "x", "properties": {}, "resourceid": "/tenants/t/providers/Microsoft.aadiam"}"#.to_string(),
            r#"{"id": "a", "activityDisplayName": "Add user", "activityDateTime": "2024", "initiatedBy": {}}"#.to_string(),
            r#"{"TimeGenerated": "2024", "Type": "SigninLogs", "UserPrincipalName": "u"}"#.to_string(),
            r#"{"TimeGenerated": "2024", "Type": "AADNonInteractiveUserSignInLogs"}"#.to_string(),
        ] {
            assert!(looks_like(&yes), "{yes}");
        }
        for no in [
            r#"{"eventType": "user.session.start", "published": "2024", "displayMessage": "x"}"#,
            r#"{"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "awsRegion": "us-east-1"}"#,
            r#"{"log_id": "1", "type": "s", "date": "2024"}"#,
            r#"{"type": "LOGIN", "realmId": "r", "time": 1}"#,
            r#"{"class_uid": 3002}"#,
            r#"{"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": "a", "verb": "get"}"#,
            r#"{"category": "kube-audit", "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read", "properties": {"log": "{}"}}"#,
            r#"{"TimeGenerated": "2024", "EventID": 4625, "Account": "x"}"#,
            "Jan  1 00:00:00 host sshd[1]: Accepted password for x",
        ] {
            assert!(!looks_like(no), "{no}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        #[test]
        fn arbitrary_text_never_panics(
            s in "\\PC{0,160}",
            t in r#"\{"category": "(SignInLogs|ServicePrincipalSignInLogs|AuditLogs|x)", "time": "[0-9T:. Z-]{0,26}", "resultType": "[0-9a-z]{0,6}", "properties": \{"createdDateTime": "[0-9T:. Z-]{0,26}", "userPrincipalName": "[a-z@]{0,5}", "ipAddress": "[0-9a-f.:]{0,12}", "status": \{"errorCode": [0-9]{0,6}\}, "activityDisplayName": "(Add member to role|Reset user password|x)", "location": \{"geoCoordinates": \{"latitude": [0-9.e-]{0,6}\}\}, "targetResources": \[\{"type": "(User|Role|ServicePrincipal)", "modifiedProperties": \[\{"displayName": "Role.DisplayName", "newValue": "[a-z\\"]{0,6}"\}\]\}\]\}\}"#,
        ) {
            test_support::parse_never_panics(parse, ctx, [s.as_str(), t.as_str()]);
        }

        #[test]
        fn the_resource_tenant_is_kept_and_changes_nothing_else(
            tenant in "[A-Za-z0-9-]{1,36}",
        ) {
            let plain = parsed(&diagnostic("SignInLogs", OK, "0"));
            let with = diagnostic("SignInLogs", OK, "0")
                .replace(r#""properties": {"#, &format!(r#""properties": {{"resourceTenantId": "{tenant}", "#));
            let mut e = parsed(&with);
            let kept = e.unmapped.remove("entra.resource_tenant_id");
            if tenant.eq_ignore_ascii_case("none") {
                proptest::prop_assert_eq!(kept, None);
            } else {
                proptest::prop_assert_eq!(kept, Some(Value::from(tenant.as_str())));
            }
            proptest::prop_assert_eq!(e, plain);
        }
    }
}
