//! Helpers parsers use to build events: the common fields, users and endpoints.

use std::net::IpAddr;

use authtrail_model::captions::OCSF_VERSION;
use authtrail_model::{Endpoint, Event, Metadata, Product, User};

/// The product that wrote a log (OCSF `metadata.product`).
#[derive(Clone, Copy, Debug)]
pub struct ProductInfo {
    /// Product name.
    pub name: &'static str,
    /// Vendor name.
    pub vendor: &'static str,
}

/// OCSF Authentication.
pub const AUTHENTICATION: u32 = 3002;
/// OCSF Account Change.
pub const ACCOUNT_CHANGE: u32 = 3001;
/// OCSF Authorize Session.
pub const AUTHORIZE_SESSION: u32 = 3003;
/// OCSF HTTP Activity.
pub const HTTP_ACTIVITY: u32 = 4002;

/// OCSF API Activity.
pub const API_ACTIVITY: u32 = 6003;

/// Activity (of any class): Unknown.
pub const ACTIVITY_UNKNOWN: i32 = 0;
/// Authentication activity: Logon.
pub const LOGON: i32 = 1;
/// Authentication activity: Logoff.
pub const LOGOFF: i32 = 2;
/// Authentication activity: Preauth (before the user is known or authenticated).
pub const PREAUTH: i32 = 6;
/// Authentication activity: Account Switch (su, sudo to another user).
pub const ACCOUNT_SWITCH: i32 = 7;
/// Authentication activity: Authentication Ticket (a token or temporary credentials issued).
pub const AUTHENTICATION_TICKET: i32 = 3;
/// Authentication activity: Service Ticket Request (a Kerberos service ticket).
pub const SERVICE_TICKET_REQUEST: i32 = 4;
/// Authentication activity: Service Ticket Renew.
pub const SERVICE_TICKET_RENEW: i32 = 5;
/// Authentication activity / status: Other.
pub const OTHER: i32 = 99;
/// Authorize Session activity: Assign Privileges.
pub const ASSIGN_PRIVILEGES: i32 = 1;
/// `logon_type_id`: Interactive (at the console).
pub const INTERACTIVE: i32 = 2;
/// `logon_type_id`: Remote Interactive (an SSH login, for instance).
pub const REMOTE_INTERACTIVE: i32 = 10;

/// Account Change activity: Create.
pub const ACCOUNT_CREATE: i32 = 1;
/// Account Change activity: Enable.
pub const ENABLE: i32 = 2;
/// Account Change activity: Disable.
pub const DISABLE: i32 = 5;
/// Account Change activity: Delete.
pub const ACCOUNT_DELETE: i32 = 6;
/// Account Change activity: Lock.
pub const LOCK: i32 = 9;
/// Account Change activity: Unlock.
pub const UNLOCK: i32 = 12;
/// Account Change activity: Password Change.
pub const PASSWORD_CHANGE: i32 = 3;
/// Account Change activity: Password Reset.
pub const PASSWORD_RESET: i32 = 4;
/// Account Change activity: MFA Factor Enable.
pub const MFA_FACTOR_ENABLE: i32 = 10;
/// Account Change activity: MFA Factor Disable.
pub const MFA_FACTOR_DISABLE: i32 = 11;

/// `auth_protocol_id`: NTLM.
pub const NTLM: i32 = 1;
/// `auth_protocol_id`: Kerberos.
pub const KERBEROS: i32 = 2;
/// `auth_protocol_id`: Digest.
pub const DIGEST: i32 = 3;
/// `auth_protocol_id`: OpenID.
pub const OPENID: i32 = 4;
/// `auth_protocol_id`: SAML.
pub const SAML: i32 = 5;
/// `auth_protocol_id`: OAuth 2.0.
pub const OAUTH2: i32 = 6;
/// `auth_protocol_id`: PAP.
pub const PAP: i32 = 7;
/// `auth_protocol_id`: CHAP.
pub const CHAP: i32 = 8;
/// `auth_protocol_id`: EAP.
pub const EAP: i32 = 9;
/// `auth_protocol_id`: RADIUS.
pub const RADIUS: i32 = 10;
/// `auth_protocol_id`: Basic Authentication.
pub const BASIC_AUTHENTICATION: i32 = 11;
/// `auth_protocol_id`: LDAP.
pub const LDAP: i32 = 12;

/// API Activity activity: Create.
pub const API_CREATE: i32 = 1;
/// API Activity activity: Read.
pub const API_READ: i32 = 2;
/// API Activity activity: Update.
pub const API_UPDATE: i32 = 3;
/// API Activity activity: Delete.
pub const API_DELETE: i32 = 4;

/// `user.type_id`: System (the host's own accounts, a cluster's components).
pub const USER_TYPE_SYSTEM: i32 = 3;
/// `user.type_id`: Service (service principals, service accounts).
pub const USER_TYPE_SERVICE: i32 = 4;

/// Status: Unknown.
pub const STATUS_UNKNOWN: i32 = 0;
/// Status: Success.
pub const SUCCESS: i32 = 1;
/// Status: Failure.
pub const FAILURE: i32 = 2;

/// Severity: Informational.
pub const INFORMATIONAL: i32 = 1;
/// Severity: Low.
pub const LOW: i32 = 2;
/// Severity: Medium.
pub const MEDIUM: i32 = 3;
/// Severity: High.
pub const HIGH: i32 = 4;

/// An event with the fields every event needs; the pipeline fills captions when it validates it.
/// Failures get severity Low, everything else Informational; parsers may raise it.
pub fn new_event(
    class_uid: u32,
    activity_id: i32,
    status_id: i32,
    time_ms: i64,
    product: ProductInfo,
) -> Event {
    Event {
        class_uid,
        activity_id,
        status_id,
        time: time_ms,
        severity_id: if status_id == FAILURE {
            LOW
        } else {
            INFORMATIONAL
        },
        metadata: Metadata {
            product: Some(Product {
                name: Some(product.name.into()),
                vendor_name: Some(product.vendor.into()),
                ..Product::default()
            }),
            version: Some(OCSF_VERSION.into()),
            ..Metadata::default()
        },
        ..Event::default()
    }
}

/// Set one attribute of the event's `actor` (creating it), e.g. `user` or `session`.
pub fn set_actor(event: &mut Event, key: &str, value: serde_json::Value) {
    let actor = event
        .actor
        .get_or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
    if let serde_json::Value::Object(map) = actor {
        map.insert(key.to_string(), value);
    }
}

/// A user by name.
pub fn user(name: &str) -> User {
    User {
        name: Some(name.into()),
        ..User::default()
    }
}

/// An endpoint for an address that may be an IP or a host name (syslog's `rhost=` is either).
pub fn endpoint(address: &str, port: Option<u16>) -> Endpoint {
    let mut e = Endpoint {
        port,
        ..Endpoint::default()
    };
    match address.parse::<IpAddr>() {
        Ok(ip) => e.ip = Some(ip.to_string()),
        Err(_) => e.hostname = Some(address.into()),
    }
    e
}

/// Puts an autonomous system on `endpoint` (`autonomous_system.{number,name}`, OCSF's object),
/// when either is known.
pub fn set_autonomous_system(endpoint: &mut Endpoint, number: Option<u64>, name: Option<&str>) {
    if number.is_none() && name.is_none() {
        return;
    }
    let mut system = serde_json::Map::new();
    if let Some(n) = number {
        system.insert("number".into(), n.into());
    }
    if let Some(n) = name {
        system.insert("name".into(), n.into());
    }
    endpoint.extra.insert(
        "autonomous_system".into(),
        serde_json::Value::Object(system),
    );
}

/// The host that logged the event, as the destination endpoint.
pub fn host(hostname: &str) -> Endpoint {
    Endpoint {
        hostname: Some(hostname.into()),
        ..Endpoint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_tell_addresses_from_names() {
        let e = endpoint("203.0.113.9", Some(22));
        assert_eq!(e.ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(e.port, Some(22));
        let e = endpoint("host.example.org", None);
        assert_eq!(e.ip, None);
        assert_eq!(e.hostname.as_deref(), Some("host.example.org"));
        // IPv6 is written in its canonical form.
        assert_eq!(
            endpoint("2001:DB8::1", None).ip.as_deref(),
            Some("2001:db8::1")
        );
    }

    #[test]
    fn failures_are_low_severity() {
        let p = ProductInfo {
            name: "x",
            vendor: "y",
        };
        assert_eq!(
            new_event(AUTHENTICATION, LOGON, FAILURE, 0, p).severity_id,
            LOW
        );
        assert_eq!(
            new_event(AUTHENTICATION, LOGON, SUCCESS, 0, p).severity_id,
            INFORMATIONAL
        );
    }
}
