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
