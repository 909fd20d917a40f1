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

/// Attributes OCSF defines for Authentication, its base event and the profiles (sorted).
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
    "api",
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
    "confidence",
    "confidence_id",
    "confidence_score",
    "container",
    "count",
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
    "firewall_rule",
    "http_request",
    "http_response",
    "impact",
    "impact_id",
    "impact_score",
    "is_alert",
    "is_cleartext",
    "is_mfa",
    "is_new_logon",
    "is_remote",
    "is_suspected_breach",
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
    "observables",
    "osint",
    "policy",
    "priority",
    "priority_id",
    "proxy_connection_info",
    "proxy_endpoint",
    "proxy_http_request",
    "proxy_http_response",
    "proxy_tls",
    "proxy_traffic",
    "raw_data",
    "raw_data_hash",
    "raw_data_size",
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
    "trace",
    "type_name",
    "type_uid",
    "unmapped",
    "user",
    "verdict",
    "verdict_id",
];

/// Whether OCSF defines `name` as a top-level attribute of Authentication events.
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
