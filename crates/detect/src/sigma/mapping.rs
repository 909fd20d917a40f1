//! Sigma field names to OCSF paths, per log source, and the filter each log source implies.

/// A path into the OCSF event, one JSON key per segment (keys may hold dots:
/// `unmapped` / `windows.status`).
pub type Path = &'static [&'static str];

/// One Sigma field: its OCSF paths (the values of all are read) and the query field naming the
/// same thing, for `group-by` and `value_count` (none: the field cannot group).
#[derive(Debug)]
pub struct FieldMap {
    /// The Sigma field name (matched ASCII case-insensitively).
    pub sigma: &'static str,
    /// Where its values are in our events.
    pub paths: &'static [Path],
    /// The query field for grouping and distinct counts.
    pub query: Option<&'static str>,
}

/// A log source we map: what identifies its events and its fields.
#[derive(Debug)]
pub struct Source {
    /// How docs/SIGMA.md names it (`windows/security`).
    pub name: &'static str,
    /// The event must have one of these `metadata.product.name` values (case-insensitive).
    pub products: &'static [&'static str],
    /// And, when set, this `metadata.log_name` (case-insensitive).
    pub log_name: Option<&'static str>,
    /// The fields.
    pub fields: &'static [FieldMap],
}

const fn m(sigma: &'static str, paths: &'static [Path], query: Option<&'static str>) -> FieldMap {
    FieldMap {
        sigma,
        paths,
        query,
    }
}

/// Where `keywords` are searched: the event's message.
pub const MESSAGE: &[Path] = &[&["message"]];

/// Windows Security log, as the Windows parser writes 4624/4625/4648 and the others.
static WINDOWS: &[FieldMap] = &[
    m("EventID", &[&["metadata", "event_code"]], None),
    m("Channel", &[&["metadata", "log_name"]], None),
    m("Provider_Name", &[&["unmapped", "windows.provider"]], None),
    m("TargetUserName", &[&["user", "name"]], Some("user")),
    m("TargetDomainName", &[&["user", "domain"]], None),
    m("TargetUserSid", &[&["user", "uid"]], Some("user.uid")),
    m(
        "SubjectUserName",
        &[&["actor", "user", "name"]],
        Some("actor.user.name"),
    ),
    m("SubjectDomainName", &[&["actor", "user", "domain"]], None),
    m("SubjectUserSid", &[&["actor", "user", "uid"]], None),
    m(
        "IpAddress",
        &[&["src_endpoint", "ip"], &["unmapped", "windows.ip_address"]],
        Some("ip"),
    ),
    m("IpPort", &[&["src_endpoint", "port"]], None),
    m(
        "WorkstationName",
        &[&["src_endpoint", "hostname"]],
        Some("src_endpoint.hostname"),
    ),
    m(
        "TargetServerName",
        &[&["dst_endpoint", "hostname"]],
        Some("dst_endpoint.hostname"),
    ),
    m(
        "LogonType",
        &[&["logon_type_id"], &["unmapped", "windows.logon_type"]],
        Some("logon_type"),
    ),
    m("Status", &[&["unmapped", "windows.status"]], None),
    m("SubStatus", &[&["unmapped", "windows.sub_status"]], None),
    m(
        "FailureReason",
        &[&["unmapped", "windows.failure_reason"]],
        None,
    ),
    m(
        "LogonProcessName",
        &[&["unmapped", "windows.logon_process"]],
        None,
    ),
    m(
        "AuthenticationPackageName",
        &[&["auth_protocol"]],
        Some("auth_protocol"),
    ),
    m("ProcessName", &[&["actor", "process", "path"]], None),
    m("TargetInfo", &[&["unmapped", "windows.target_info"]], None),
];

/// Linux sshd / auth syslog lines.
static LINUX: &[FieldMap] = &[
    m("message", MESSAGE, None),
    m("user", &[&["user", "name"]], Some("user")),
    m("ip", &[&["src_endpoint", "ip"]], Some("ip")),
    m("service", &[&["service", "name"]], Some("service.name")),
];

/// Okta System Log.
static OKTA: &[FieldMap] = &[
    m("eventType", &[&["unmapped", "okta.event_type"]], None),
    m("outcome.result", &[&["unmapped", "okta.outcome"]], None),
    m("outcome.reason", &[&["status_detail"]], None),
    m("displayMessage", MESSAGE, None),
    m(
        "actor.alternateId",
        &[&["user", "name"], &["actor", "user", "name"]],
        Some("user"),
    ),
    m("client.ipAddress", &[&["src_endpoint", "ip"]], Some("ip")),
    m(
        "client.userAgent.rawUserAgent",
        &[&["http_request", "user_agent"]],
        Some("http_request.user_agent"),
    ),
];

/// AWS CloudTrail sign-in events.
static CLOUDTRAIL: &[FieldMap] = &[
    m("eventName", &[&["unmapped", "cloudtrail.event_name"]], None),
    m("eventType", &[&["unmapped", "cloudtrail.event_type"]], None),
    m("userIdentity.arn", &[&["user", "uid"]], Some("user.uid")),
    m(
        "userIdentity.type",
        &[&["unmapped", "cloudtrail.identity_type"]],
        None,
    ),
    m(
        "userIdentity.accountId",
        &[&["unmapped", "cloudtrail.account_id"]],
        None,
    ),
    m(
        "sourceIPAddress",
        &[
            &["src_endpoint", "ip"],
            &["unmapped", "cloudtrail.source_ip_address"],
        ],
        Some("ip"),
    ),
    m("errorCode", &[&["status_code"]], None),
    m("errorMessage", &[&["status_detail"]], None),
    m("eventSource", &[&["service", "name"]], Some("service.name")),
    m("eventID", &[&["metadata", "uid"]], None),
    m("awsRegion", &[&["cloud", "region"]], None),
    m(
        "userAgent",
        &[&["http_request", "user_agent"]],
        Some("http_request.user_agent"),
    ),
    m(
        "userIdentity.userName",
        &[&["unmapped", "cloudtrail.user_name"]],
        None,
    ),
    m(
        "userIdentity.principalId",
        &[&["unmapped", "cloudtrail.principal_id"]],
        None,
    ),
    m(
        "recipientAccountId",
        &[&["unmapped", "cloudtrail.recipient_account_id"]],
        None,
    ),
    m("requestID", &[&["unmapped", "cloudtrail.request_id"]], None),
    m(
        "responseElements.ConsoleLogin",
        &[&["unmapped", "cloudtrail.console_login"]],
        None,
    ),
    m(
        "additionalEventData.MFAUsed",
        &[&["unmapped", "cloudtrail.mfa_used"]],
        None,
    ),
    m(
        "additionalEventData.CredentialType",
        &[&["unmapped", "cloudtrail.credential_type"]],
        None,
    ),
];

/// Entra ID interactive user sign-ins (the `SigninLogs` table), as the Entra parser writes
/// them; Sigma names the Log Analytics columns (`Status.errorCode` the Graph resource's).
static ENTRA_SIGNIN: &[FieldMap] = &[
    m("ResultType", &[&["status_code"]], None),
    m("Status.errorCode", &[&["status_code"]], None),
    m("ResultDescription", &[&["status_detail"]], None),
    m("Status.failureReason", &[&["status_detail"]], None),
    m(
        "Status.additionalDetails",
        &[
            &["status_detail"],
            &["unmapped", "entra.status_additional_details"],
        ],
        None,
    ),
    // `Status: Success` as SigmaHQ writes it, and the failure reason `Status|contains` seeks.
    m("Status", &[&["status"], &["status_detail"]], None),
    m("UserPrincipalName", &[&["user", "name"]], Some("user")),
    m("UserId", &[&["user", "uid"]], Some("user.uid")),
    m("UserDisplayName", &[&["user", "full_name"]], None),
    m(
        "IPAddress",
        &[&["src_endpoint", "ip"], &["unmapped", "entra.ip_address"]],
        Some("ip"),
    ),
    m(
        "Location",
        &[&["src_endpoint", "location", "country"]],
        Some("country"),
    ),
    m(
        "AutonomousSystemNumber",
        &[&["src_endpoint", "autonomous_system", "number"]],
        Some("asn"),
    ),
    m(
        "AppDisplayName",
        &[&["service", "name"]],
        Some("service.name"),
    ),
    m("AppId", &[&["service", "uid"]], None),
    m(
        "ResourceDisplayName",
        &[&["unmapped", "entra.resource_display_name"]],
        None,
    ),
    m("ResourceId", &[&["unmapped", "entra.resource_id"]], None),
    m(
        "ResourceTenantId",
        &[&["unmapped", "entra.resource_tenant_id"]],
        None,
    ),
    m(
        "HomeTenantId",
        &[&["unmapped", "entra.home_tenant_id"]],
        None,
    ),
    m(
        "UserAgent",
        &[&["http_request", "user_agent"]],
        Some("http_request.user_agent"),
    ),
    m(
        "ClientAppUsed",
        &[&["unmapped", "entra.client_app_used"]],
        None,
    ),
    m(
        "AuthenticationRequirement",
        &[&["unmapped", "entra.authentication_requirement"]],
        None,
    ),
    m(
        "AuthenticationProtocol",
        &[&["unmapped", "entra.authentication_protocol"]],
        None,
    ),
    m(
        "ConditionalAccessStatus",
        &[&["unmapped", "entra.conditional_access_status"]],
        None,
    ),
    m(
        "IsInteractive",
        &[&["unmapped", "entra.is_interactive"]],
        None,
    ),
    m("UserType", &[&["unmapped", "entra.user_type"]], None),
    m(
        "TokenIssuerType",
        &[&["unmapped", "entra.token_issuer_type"]],
        None,
    ),
    m(
        "CrossTenantAccessType",
        &[&["unmapped", "entra.cross_tenant_access_type"]],
        None,
    ),
    m("RiskState", &[&["unmapped", "entra.risk_state"]], None),
    m("RiskDetail", &[&["unmapped", "entra.risk_detail"]], None),
    m(
        "RiskLevelDuringSignIn",
        &[&["unmapped", "entra.risk_level_during_sign_in"]],
        None,
    ),
    m(
        "RiskLevelAggregated",
        &[&["unmapped", "entra.risk_level_aggregated"]],
        None,
    ),
    m(
        "RiskEventTypes",
        &[&["unmapped", "entra.risk_event_types"]],
        None,
    ),
    m(
        "MfaDetail.authMethod",
        &[&["unmapped", "entra.mfa_auth_method"]],
        None,
    ),
    m(
        "MfaDetail.authDetail",
        &[&["unmapped", "entra.mfa_auth_detail"]],
        None,
    ),
    m(
        "DeviceDetail.deviceId",
        &[&["unmapped", "entra.device", "deviceId"]],
        None,
    ),
    m(
        "DeviceDetail.displayName",
        &[&["unmapped", "entra.device", "displayName"]],
        None,
    ),
    m(
        "DeviceDetail.operatingSystem",
        &[&["unmapped", "entra.device", "operatingSystem"]],
        None,
    ),
    m(
        "DeviceDetail.browser",
        &[&["unmapped", "entra.device", "browser"]],
        None,
    ),
    m(
        "DeviceDetail.isCompliant",
        &[&["unmapped", "entra.device", "isCompliant"]],
        None,
    ),
    m(
        "DeviceDetail.isManaged",
        &[&["unmapped", "entra.device", "isManaged"]],
        None,
    ),
    m(
        "DeviceDetail.trustType",
        &[&["unmapped", "entra.device", "trustType"]],
        None,
    ),
    m(
        "CorrelationId",
        &[&["metadata", "correlation_uid"]],
        Some("trace"),
    ),
    m("SessionId", &[&["session", "uid"]], Some("session.uid")),
];

/// The log sources, by `(product, service)` as Sigma names them.
static SOURCES: &[(&str, &str, Source)] = &[
    (
        "windows",
        "security",
        Source {
            name: "windows/security",
            products: &["Microsoft Windows"],
            log_name: Some("Security"),
            fields: WINDOWS,
        },
    ),
    (
        "linux",
        "sshd",
        Source {
            name: "linux/sshd",
            products: &["OpenSSH"],
            log_name: None,
            fields: LINUX,
        },
    ),
    (
        "linux",
        "auth",
        Source {
            name: "linux/auth",
            products: &["OpenSSH", "Linux-PAM", "su", "sudo"],
            log_name: None,
            fields: LINUX,
        },
    ),
    (
        "okta",
        "okta",
        Source {
            name: "okta/okta",
            products: &["Okta"],
            log_name: None,
            fields: OKTA,
        },
    ),
    (
        "azure",
        "signinlogs",
        Source {
            name: "azure/signinlogs",
            products: &["Entra ID"],
            log_name: Some("SignInLogs"),
            fields: ENTRA_SIGNIN,
        },
    ),
    (
        "aws",
        "cloudtrail",
        Source {
            name: "aws/cloudtrail",
            products: &["CloudTrail"],
            log_name: None,
            fields: CLOUDTRAIL,
        },
    ),
];

/// The log sources supported, as `product/service`, for messages.
pub fn supported() -> String {
    let names: Vec<&str> = SOURCES.iter().map(|(_, _, s)| s.name).collect();
    names.join(", ")
}

/// The source for a `logsource` (product and service, ASCII case-insensitive).
pub fn source(product: &str, service: &str) -> Option<&'static Source> {
    SOURCES
        .iter()
        .find(|(p, s, _)| p.eq_ignore_ascii_case(product) && s.eq_ignore_ascii_case(service))
        .map(|(_, _, src)| src)
}

impl Source {
    /// The mapping of a Sigma field name.
    pub fn field(&self, name: &str) -> Option<&'static FieldMap> {
        self.fields
            .iter()
            .find(|f| f.sigma.eq_ignore_ascii_case(name))
    }

    /// The Sigma fields it maps, for messages.
    pub fn field_names(&self) -> String {
        let names: Vec<&str> = self.fields.iter().map(|f| f.sigma).collect();
        names.join(", ")
    }
}
