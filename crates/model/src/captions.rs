//! OCSF names for the numbers: classes, activities, severities, statuses and the attribute list.
//!
//! Taken from the OCSF schema (`events/iam/authentication.json`, `dictionary.json`).

/// The OCSF schema version authtrail's model follows.
pub const OCSF_VERSION: &str = "1.6.0";

/// Activities of Authentication (3002).
pub const AUTHENTICATION_ACTIVITIES: &[(i32, &str)] = &[
    (0, "Unknown"),
    (1, "Logon"),
    (2, "Logoff"),
    (3, "Authentication Ticket"),
    (4, "Service Ticket Request"),
    (5, "Service Ticket Renew"),
    (6, "Preauth"),
    (7, "Account Switch"),
    (99, "Other"),
];

/// Activities of Account Change (3001).
pub const ACCOUNT_CHANGE_ACTIVITIES: &[(i32, &str)] = &[
    (0, "Unknown"),
    (1, "Create"),
    (2, "Enable"),
    (3, "Password Change"),
    (4, "Password Reset"),
    (5, "Disable"),
    (6, "Delete"),
    (7, "Attach Policy"),
    (8, "Detach Policy"),
    (9, "Lock"),
    (10, "MFA Factor Enable"),
    (11, "MFA Factor Disable"),
    (12, "Unlock"),
    (99, "Other"),
];

/// Activities of Authorize Session (3003).
pub const AUTHORIZE_SESSION_ACTIVITIES: &[(i32, &str)] = &[
    (0, "Unknown"),
    (1, "Assign Privileges"),
    (2, "Assign Groups"),
    (3, "Assign Roles"),
    (99, "Other"),
];

/// Activities of HTTP Activity (4002): the request methods.
pub const HTTP_ACTIVITIES: &[(i32, &str)] = &[
    (0, "Unknown"),
    (1, "Connect"),
    (2, "Delete"),
    (3, "Get"),
    (4, "Head"),
    (5, "Options"),
    (6, "Post"),
    (7, "Put"),
    (8, "Trace"),
    (9, "Patch"),
    (10, "ACL"),
    (11, "Baseline Control"),
    (12, "Bind"),
    (13, "Check In"),
    (14, "Check Out"),
    (15, "Copy"),
    (16, "Label"),
    (17, "Link"),
    (18, "Lock"),
    (19, "Merge"),
    (20, "Make Activity"),
    (21, "Make Calendar"),
    (22, "Make Collection"),
    (23, "Make Redirect Reference"),
    (24, "Make Workspace"),
    (25, "Move"),
    (26, "Order Patch"),
    (27, "PRI"),
    (28, "Property Find"),
    (29, "Property Patch"),
    (30, "Query"),
    (31, "Rebind"),
    (32, "Report"),
    (33, "Search"),
    (34, "Unbind"),
    (35, "Un-Check Out"),
    (36, "Unlink"),
    (37, "Unlock"),
    (38, "Update"),
    (39, "Update Redirect Reference"),
    (40, "Version Control"),
    (99, "Other"),
];

/// Activities of API Activity (6003).
pub const API_ACTIVITIES: &[(i32, &str)] = &[
    (0, "Unknown"),
    (1, "Create"),
    (2, "Read"),
    (3, "Update"),
    (4, "Delete"),
    (99, "Other"),
];

/// Activities of Detection Finding (2004).
pub const FINDING_ACTIVITIES: &[(i32, &str)] = &[
    (0, "Unknown"),
    (1, "Create"),
    (2, "Update"),
    (3, "Close"),
    (99, "Other"),
];

/// Values of a finding's `status_id` (Detection Finding 2004).
pub const FINDING_STATUSES: &[(i32, &str)] = &[
    (0, "Unknown"),
    (1, "New"),
    (2, "In Progress"),
    (3, "Suppressed"),
    (4, "Resolved"),
    (5, "Archived"),
    (6, "Deleted"),
    (99, "Other"),
];

/// An OCSF event class authtrail models: its names and activities.
#[derive(Debug)]
pub struct ClassInfo {
    /// `class_uid`.
    pub uid: u32,
    /// `class_name`.
    pub name: &'static str,
    /// `category_uid`.
    pub category_uid: u32,
    /// `category_name`.
    pub category_name: &'static str,
    /// The class's `activity_id` values and captions.
    pub activities: &'static [(i32, &'static str)],
    /// The class's `status_id` values and captions.
    pub statuses: &'static [(i32, &'static str)],
}

/// The classes authtrail accepts (DESIGN.md §2).
pub const CLASSES: &[ClassInfo] = &[
    ClassInfo {
        uid: 3002,
        name: "Authentication",
        category_uid: 3,
        category_name: "Identity & Access Management",
        activities: AUTHENTICATION_ACTIVITIES,
        statuses: STATUSES,
    },
    ClassInfo {
        uid: 3001,
        name: "Account Change",
        category_uid: 3,
        category_name: "Identity & Access Management",
        activities: ACCOUNT_CHANGE_ACTIVITIES,
        statuses: STATUSES,
    },
    ClassInfo {
        uid: 3003,
        name: "Authorize Session",
        category_uid: 3,
        category_name: "Identity & Access Management",
        activities: AUTHORIZE_SESSION_ACTIVITIES,
        statuses: STATUSES,
    },
    ClassInfo {
        uid: 4002,
        name: "HTTP Activity",
        category_uid: 4,
        category_name: "Network Activity",
        activities: HTTP_ACTIVITIES,
        statuses: STATUSES,
    },
    ClassInfo {
        uid: 6003,
        name: "API Activity",
        category_uid: 6,
        category_name: "Application Activity",
        activities: API_ACTIVITIES,
        statuses: STATUSES,
    },
    ClassInfo {
        uid: 2004,
        name: "Detection Finding",
        category_uid: 2,
        category_name: "Findings",
        activities: FINDING_ACTIVITIES,
        statuses: FINDING_STATUSES,
    },
];

/// The class with `class_uid` `uid`, if authtrail models it.
pub fn class_info(uid: u32) -> Option<&'static ClassInfo> {
    CLASSES.iter().find(|c| c.uid == uid)
}

/// The classes authtrail models in `class_uid` order, as `3001 Account Change, 3002 ...`.
pub(crate) fn supported_classes() -> String {
    let mut classes: Vec<&ClassInfo> = CLASSES.iter().collect();
    classes.sort_by_key(|c| c.uid);
    let named: Vec<String> = classes
        .iter()
        .map(|c| format!("{} {}", c.uid, c.name))
        .collect();
    named.join(", ")
}

/// Values of `severity_id`.
pub const SEVERITIES: &[(i32, &str)] = &[
    (0, "Unknown"),
    (1, "Informational"),
    (2, "Low"),
    (3, "Medium"),
    (4, "High"),
    (5, "Critical"),
    (6, "Fatal"),
    (99, "Other"),
];

/// Values of `status_id`.
pub const STATUSES: &[(i32, &str)] = &[
    (0, "Unknown"),
    (1, "Success"),
    (2, "Failure"),
    (99, "Other"),
];

/// Values of `auth_protocol_id`.
pub const AUTH_PROTOCOLS: &[(i32, &str)] = &[
    (0, "Unknown"),
    (1, "NTLM"),
    (2, "Kerberos"),
    (3, "Digest"),
    (4, "OpenID"),
    (5, "SAML"),
    (6, "OAUTH 2.0"),
    (7, "PAP"),
    (8, "CHAP"),
    (9, "EAP"),
    (10, "RADIUS"),
    (11, "Basic Authentication"),
    (12, "LDAP"),
    (99, "Other"),
];

/// Values of `logon_type_id`.
pub const LOGON_TYPES: &[(i32, &str)] = &[
    (0, "Unknown"),
    (1, "System"),
    (2, "Interactive"),
    (3, "Network"),
    (4, "Batch"),
    (5, "OS Service"),
    (7, "Unlock"),
    (8, "Network Cleartext"),
    (9, "New Credentials"),
    (10, "Remote Interactive"),
    (11, "Cached Interactive"),
    (12, "Cached Remote Interactive"),
    (13, "Cached Unlock"),
    (99, "Other"),
];

/// Caption of `id` in an enum table, if the value is defined.
pub fn caption(table: &[(i32, &'static str)], id: i32) -> Option<&'static str> {
    table.iter().find(|(v, _)| *v == id).map(|(_, c)| *c)
}

/// Top-level attributes OCSF defines for the classes authtrail models, their base events and the
/// profiles (sorted).
const OCSF_ATTRIBUTES: &[&str] = &[
    "account_switch_type",
    "account_switch_type_id",
    "action",
    "action_id",
    "activity_id",
    "activity_name",
    "actor",
    "ai_agent",
    "ai_model",
    "anomaly_analyses",
    "api",
    "app_name",
    "app_protocol_name",
    "assignee",
    "assignee_group",
    "attacks",
    "attestation_list",
    "auth_factors",
    "auth_protocol",
    "auth_protocol_id",
    "authentication_token",
    "authorizations",
    "category_name",
    "category_uid",
    "certificate",
    "class_name",
    "class_uid",
    "cloud",
    "comment",
    "confidence",
    "confidence_id",
    "confidence_score",
    "connection_info",
    "container",
    "count",
    "cumulative_traffic",
    "data_classification",
    "data_classifications",
    "device",
    "disposition",
    "disposition_id",
    "dst_endpoint",
    "duration",
    "end_time",
    "end_time_dt",
    "enrichments",
    "evidences",
    "file",
    "finding_info",
    "firewall_rule",
    "group",
    "groups",
    "http_cookies",
    "http_request",
    "http_response",
    "http_status",
    "iam_roles",
    "impact",
    "impact_id",
    "impact_score",
    "is_alert",
    "is_cleartext",
    "is_mfa",
    "is_new_logon",
    "is_remote",
    "is_suspected_breach",
    "ja4_fingerprint_list",
    "load_balancer",
    "logon_process",
    "logon_type",
    "logon_type_id",
    "malware",
    "malware_scan_info",
    "message",
    "message_context",
    "metadata",
    "namespace_pid",
    "network_observation_point",
    "notes",
    "observables",
    "observation_point",
    "observation_point_id",
    "osint",
    "packet_list",
    "policies",
    "policy",
    "priority",
    "priority_id",
    "privileges",
    "proxy",
    "proxy_connection_info",
    "proxy_endpoint",
    "proxy_http_request",
    "proxy_http_response",
    "proxy_tls",
    "proxy_traffic",
    "raw_data",
    "raw_data_hash",
    "raw_data_size",
    "remediation",
    "resources",
    "risk_details",
    "risk_level",
    "risk_level_id",
    "risk_score",
    "service",
    "session",
    "severity",
    "severity_id",
    "src_endpoint",
    "src_url",
    "start_time",
    "start_time_dt",
    "status",
    "status_code",
    "status_detail",
    "status_id",
    "ticket",
    "tickets",
    "time",
    "time_dt",
    "timezone_offset",
    "tls",
    "trace",
    "traffic",
    "type_name",
    "type_uid",
    "unmapped",
    "user",
    "user_result",
    "vendor_attributes",
    "verdict",
    "verdict_id",
    "vulnerabilities",
];

/// Whether OCSF defines `name` as a top-level attribute of the classes authtrail models.
pub fn is_ocsf_attribute(name: &str) -> bool {
    OCSF_ATTRIBUTES.binary_search(&name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_list_is_sorted_for_binary_search() {
        assert!(OCSF_ATTRIBUTES.windows(2).all(|w| w[0] < w[1]));
        assert!(is_ocsf_attribute("cloud"));
        assert!(!is_ocsf_attribute("eventType"));
    }
}
