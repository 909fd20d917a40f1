//! Windows Security event log: logons, logoffs, explicit-credential logons, special privileges,
//! lockouts, Kerberos and NTLM credential validation, and RDP session reconnects, read from the
//! shapes they are shipped in:
//!
//! - Winlogbeat/ECS JSON (`winlog.event_id`, `winlog.event_data`, `@timestamp`),
//! - NXLog `im_msvistalog` JSON as OTRF/Mordor datasets have it (flat `EventID`, `Hostname`,
//!   `TargetUserName`, local `EventTime`),
//! - Wazuh eventchannel JSON (`{"win":{"system":{…},"eventdata":{…}}}`, camelCase names),
//! - the `evtx` JSON rendering (`{"Event":{"System":{…},"EventData":{…}}}`), which is also what
//!   binary `.evtx` files are transcoded to (see [`crate::decode::evtx`]),
//! - event XML text (`<Event xmlns=…>`, also the Event Viewer copy with `- ` tree markers),
//! - Splunk WinEventLog text (a date line, `LogName=`, `EventCode=`, …, `Message=` and the
//!   rendered message's `Label:\tvalue` lines).
//!
//! Each reader ([`json`], [`xml`], [`splunk`]) turns a record into one neutral [`WinEvent`]
//! (event id, time, computer, channel, provider, record id and the named data fields), and one
//! mapping turns that into OCSF, so a 4624 means the same whatever shape it came in.
//!
//! 4624, 4648, 4776 and 4778 are Logons, 4625 a failed Logon, 4634, 4647 and 4779 Logoffs (all
//! Authentication); 4768/4772 Authentication Ticket, 4769/4773 Service Ticket Request, 4770
//! Service Ticket Renew, 4771 Preauth failure; 4672 is Authorize Session (Assign Privileges);
//! 4740 Account Change (Lock). Other event ids, and events of other channels, are not
//! authentication events. The logon id becomes `session.uid` as `computer/0xhex` (lower case),
//! so a 4634 logoff, a 4672 and a 4778 reconnect link to their 4624 on the same host.

pub mod codes;
pub mod data;
pub mod json;
pub mod names;
pub mod splunk;
pub mod xml;

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};

use authtrail_model::{Endpoint, Event, Service, Session, User};
use serde_json::{json, Map, Value};

use crate::parse::build::{
    self, ProductInfo, ACCOUNT_CHANGE, ASSIGN_PRIVILEGES, AUTHENTICATION, AUTHENTICATION_TICKET,
    AUTHORIZE_SESSION, DIGEST, FAILURE, INTERACTIVE, KERBEROS, LOCK, LOGOFF, LOGON, MEDIUM, NTLM,
    OTHER, PREAUTH, SERVICE_TICKET_RENEW, SERVICE_TICKET_REQUEST, SUCCESS,
};
use crate::parse::{ParseContext, ParseResult, Unrecognized};

pub use data::Data;
pub use names::Name;

/// Microsoft Windows, as `metadata.product`.
pub const PRODUCT: ProductInfo = ProductInfo {
    name: "Microsoft Windows",
    vendor: "Microsoft",
};

/// `authentication_token.type_id`: Ticket Granting Ticket.
const TGT: i32 = 1;
/// `authentication_token.type_id`: Service Ticket.
const SERVICE_TICKET: i32 = 2;

/// Which shape a record came in, named on the event as `metadata.log_provider`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Winlogbeat / Elastic Common Schema JSON.
    Winlogbeat,
    /// NXLog `im_msvistalog` JSON.
    Nxlog,
    /// Wazuh eventchannel JSON.
    Wazuh,
    /// The `evtx` crate's JSON rendering (also what `.evtx` files are transcoded to).
    Evtx,
    /// Event XML text.
    Xml,
    /// Splunk WinEventLog text.
    Splunk,
}

impl Shape {
    /// The shape's name.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Winlogbeat => "Winlogbeat",
            Shape::Nxlog => "NXLog",
            Shape::Wazuh => "Wazuh",
            Shape::Evtx => "EVTX",
            Shape::Xml => "Event XML",
            Shape::Splunk => "Splunk WinEventLog",
        }
    }
}

/// One Windows event, whatever shape it came in.
#[derive(Clone, Debug, PartialEq)]
pub struct WinEvent<'a> {
    /// The event id (4624, ...).
    pub event_id: u32,
    /// When it happened, ms since the epoch.
    pub time_ms: i64,
    /// The computer that logged it.
    pub computer: Option<Cow<'a, str>>,
    /// The event log channel ("Security").
    pub channel: Option<Cow<'a, str>>,
    /// The provider ("Microsoft-Windows-Security-Auditing").
    pub provider: Option<Cow<'a, str>>,
    /// The record id in the computer's log.
    pub record_id: Option<Cow<'a, str>>,
    /// The named data fields (`EventData/Data[@Name]`): those the mapping reads (the JSON
    /// reader keeps no others).
    pub data: Data<'a>,
    /// The shape it came in.
    pub shape: Shape,
}

impl WinEvent<'_> {
    /// A data field's value as written (names compared without regard to case, so Wazuh's
    /// `targetUserName` is `TargetUserName`).
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.data.raw(name)
    }

    /// A data field's value, trimmed, when it says something (not empty, not `-`).
    pub fn field(&self, name: Name) -> Option<&str> {
        self.data
            .get(name)
            .map(trim)
            .filter(|v| !v.is_empty() && *v != "-")
    }

    /// The first of several fields that says something.
    fn first(&self, names: &[Name]) -> Option<&str> {
        names.iter().find_map(|n| self.field(*n))
    }
}

/// `str::trim`, answered at once for the usual value that starts and ends with a printable
/// ASCII character (no whitespace to take off).
pub fn trim(v: &str) -> &str {
    match (v.as_bytes().first(), v.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => v,
        _ => v.trim(),
    }
}

/// Map one record (any shape) to an OCSF event.
pub fn parse(text: &str, ctx: &mut ParseContext) -> ParseResult {
    let event = read(text, ctx)?;
    map(&event)
}

/// The record as a [`WinEvent`], by its shape.
pub fn read<'a>(text: &'a str, ctx: &ParseContext) -> Result<WinEvent<'a>, Unrecognized> {
    let t = text.trim_start();
    if t.starts_with('{') {
        json::read(t, ctx)
    } else if xml::looks_like(t) {
        xml::read(t, ctx)
    } else if splunk::looks_like(t) {
        splunk::read(t, ctx)
    } else {
        Err(Unrecognized::new(
            "not a Windows event: neither JSON, event XML nor Splunk WinEventLog text",
        ))
    }
}

/// Whether a record looks like a Windows event (for `--format auto`).
pub fn looks_like(text: &str) -> bool {
    let t = text.trim_start();
    if t.starts_with('{') {
        json::looks_like(t)
    } else {
        xml::looks_like(t) || splunk::looks_like(t)
    }
}

/// The OCSF event of a Windows event.
pub fn map(ev: &WinEvent<'_>) -> ParseResult {
    if let Some(channel) = ev.channel.as_deref() {
        if !channel.eq_ignore_ascii_case("Security") {
            return Err(Unrecognized::because(format!(
                "Windows event {} of the {channel:?} channel is not an authentication event",
                ev.event_id
            )));
        }
    }
    let mut e = match ev.event_id {
        4624 | 4625 => logon(ev),
        4634 | 4647 => logoff(ev),
        4648 => explicit_logon(ev),
        4672 => privileges(ev),
        4740 => lockout(ev),
        4768..=4773 => kerberos(ev),
        4776 => ntlm_validation(ev),
        4778 | 4779 => rdp_session(ev),
        id => {
            return Err(Unrecognized::because(format!(
                "Windows event {id} is not an authentication event"
            )))
        }
    };
    if e.user.is_none() {
        return Err(Unrecognized::because(format!(
            "Windows event {} names no account",
            ev.event_id
        )));
    }
    describe(ev, &mut e);
    Ok(e)
}

/// What every event carries: the record's id, the event code, the channel and the shape.
fn describe(ev: &WinEvent<'_>, e: &mut Event) {
    e.metadata.uid = match (ev.computer.as_deref(), ev.record_id.as_deref()) {
        (Some(c), Some(r)) => Some([c, "/", r].concat()),
        (None, Some(r)) => Some(r.to_string()),
        _ => None,
    };
    let extra = &mut e.metadata.extra;
    extra.insert("event_code".into(), Value::from(ev.event_id.to_string()));
    extra.insert(
        "log_name".into(),
        Value::from(ev.channel.as_deref().unwrap_or("Security")),
    );
    extra.insert("log_provider".into(), Value::from(ev.shape.name()));
    if let Some(p) = ev.provider.as_deref() {
        e.unmapped.insert("windows.provider".into(), Value::from(p));
    }
    keep_guid(ev, Name::LogonGuid, "windows.logon_guid", &mut e.unmapped);
    e.message = Some(description(ev.event_id).into());
}

/// The event's title as Windows words it.
fn description(event_id: u32) -> &'static str {
    match event_id {
        4624 => "An account was successfully logged on.",
        4625 => "An account failed to log on.",
        4634 => "An account was logged off.",
        4647 => "User initiated logoff.",
        4648 => "A logon was attempted using explicit credentials.",
        4672 => "Special privileges assigned to new logon.",
        4740 => "A user account was locked out.",
        4768 => "A Kerberos authentication ticket (TGT) was requested.",
        4769 => "A Kerberos service ticket was requested.",
        4770 => "A Kerberos service ticket was renewed.",
        4771 => "Kerberos pre-authentication failed.",
        4772 => "A Kerberos authentication ticket request failed.",
        4773 => "A Kerberos service ticket request failed.",
        4776 => "The computer attempted to validate the credentials for an account.",
        4778 => "A session was reconnected to a Window Station.",
        4779 => "A session was disconnected from a Window Station.",
        _ => "Windows event.",
    }
}

/// A new event of `class`/`activity`/`status` at the event's time.
fn event(ev: &WinEvent<'_>, class_uid: u32, activity_id: i32, status_id: i32) -> Event {
    build::new_event(class_uid, activity_id, status_id, ev.time_ms, PRODUCT)
}

/// 4624 (success) and 4625 (failure): a logon.
fn logon(ev: &WinEvent<'_>) -> Event {
    let failed = ev.event_id == 4625;
    let mut e = event(
        ev,
        AUTHENTICATION,
        LOGON,
        if failed { FAILURE } else { SUCCESS },
    );
    e.user = target_user(ev);
    e.actor = actor(ev);
    e.session = session(ev, Name::TargetLogonId, Some(Name::TargetLinkedLogonId));
    logon_type(ev, &mut e);
    protocol(ev, &mut e);
    e.src_endpoint = source(
        ev,
        &[Name::IpAddress],
        &[Name::IpPort],
        &[Name::WorkstationName],
        &mut e.unmapped,
    );
    e.dst_endpoint = host(ev);
    if failed {
        logon_failure(ev, &mut e);
    }
    for (field, key) in [
        (Name::ImpersonationLevel, "windows.impersonation_level"),
        (Name::LmPackageName, "windows.lm_package_name"),
        (Name::TransmittedServices, "windows.transmitted_services"),
        (
            Name::TargetOutboundUserName,
            "windows.target_outbound_user_name",
        ),
        (
            Name::TargetOutboundDomainName,
            "windows.target_outbound_domain_name",
        ),
    ] {
        keep_text(ev, field, key, &mut e.unmapped);
    }
    for (field, key) in [
        (Name::ElevatedToken, "windows.elevated_token"),
        (Name::VirtualAccount, "windows.virtual_account"),
        (Name::RestrictedAdminMode, "windows.restricted_admin_mode"),
    ] {
        if let Some(b) = ev.field(field).and_then(codes::yes_no) {
            e.unmapped.insert(key.into(), Value::Bool(b));
        }
    }
    if let Some(n) = ev
        .field(Name::KeyLength)
        .and_then(|k| k.parse::<u32>().ok())
    {
        e.unmapped
            .insert("windows.key_length".into(), Value::from(n));
    }
    e
}

/// 4625's `Status`, `SubStatus` and `FailureReason`: the code is the more specific of the two
/// NTSTATUS values (`SubStatus` unless it is `0x0`), the detail its meaning.
fn logon_failure(ev: &WinEvent<'_>, e: &mut Event) {
    let status = ev.field(Name::Status);
    let sub = ev
        .field(Name::SubStatus)
        .filter(|s| codes::parse_hex(s) != Some(0));
    if let Some(code) = sub.or(status) {
        e.status_code = Some(codes::normalize_hex(code));
        e.status_detail = codes::parse_hex(code)
            .and_then(codes::ntstatus_meaning)
            .map(String::from);
    }
    if let Some(s) = status {
        e.unmapped.insert(
            "windows.status".into(),
            Value::from(codes::normalize_hex(s)),
        );
    }
    if let Some(s) = ev.field(Name::SubStatus) {
        e.unmapped.insert(
            "windows.sub_status".into(),
            Value::from(codes::normalize_hex(s)),
        );
    }
    if let Some(reason) = ev.field(Name::FailureReason) {
        e.unmapped.insert(
            "windows.failure_reason".into(),
            Value::from(codes::resolve(reason)),
        );
        if e.status_detail.is_none() {
            e.status_detail = Some(codes::resolve(reason).to_string());
        }
    }
}

/// 4634 (logged off) and 4647 (user-initiated logoff).
fn logoff(ev: &WinEvent<'_>) -> Event {
    let mut e = event(ev, AUTHENTICATION, LOGOFF, SUCCESS);
    e.user = target_user(ev);
    e.session = session(ev, Name::TargetLogonId, None);
    logon_type(ev, &mut e);
    e.dst_endpoint = host(ev);
    if ev.event_id == 4647 {
        e.status_detail = Some("LOGOFF_USER_INITIATED".into());
    }
    e
}

/// 4648: a process used explicit credentials (the user) to log on to a target server.
fn explicit_logon(ev: &WinEvent<'_>) -> Event {
    let mut e = event(ev, AUTHENTICATION, LOGON, SUCCESS);
    e.user = target_user(ev);
    e.actor = actor(ev);
    // The computer the credentials were used on is the source; the server they were meant
    // for (and its address, when Windows gives one) the destination.
    e.src_endpoint = host(ev);
    let mut dst = Endpoint {
        hostname: ev.field(Name::TargetServerName).map(String::from),
        ..Endpoint::default()
    };
    if let Some(ip) = ev.field(Name::IpAddress) {
        match clean_ip(ip) {
            Some(ip) => dst.ip = Some(ip),
            None => keep(&mut e.unmapped, "windows.ip_address", ip),
        }
    }
    if dst.hostname.is_some() || dst.ip.is_some() {
        e.dst_endpoint = Some(dst);
    } else {
        e.dst_endpoint = host(ev);
    }
    keep_text(ev, Name::TargetInfo, "windows.target_info", &mut e.unmapped);
    keep_guid(
        ev,
        Name::TargetLogonGuid,
        "windows.target_logon_guid",
        &mut e.unmapped,
    );
    e
}

/// 4672: special privileges assigned to a new logon (the subject's).
fn privileges(ev: &WinEvent<'_>) -> Event {
    let mut e = event(ev, AUTHORIZE_SESSION, ASSIGN_PRIVILEGES, SUCCESS);
    e.user = subject_user(ev);
    e.session = session(ev, Name::SubjectLogonId, None);
    e.dst_endpoint = host(ev);
    let list: Vec<Value> = ev
        .field(Name::PrivilegeList)
        .map(|p| p.split_whitespace().map(Value::from).collect())
        .unwrap_or_default();
    if !list.is_empty() {
        e.other.insert("privileges".into(), Value::Array(list));
    }
    e
}

/// 4740: an account was locked out (on a domain controller, or locally).
fn lockout(ev: &WinEvent<'_>) -> Event {
    let mut e = event(ev, ACCOUNT_CHANGE, LOCK, SUCCESS);
    e.severity_id = MEDIUM;
    // `TargetDomainName` of a 4740 is the caller computer, where the bad attempts came from.
    e.user = account(
        ev.field(Name::TargetUserName),
        None,
        ev.first(&[Name::TargetSid, Name::TargetUserSid]),
    );
    e.actor = actor(ev);
    if let Some(caller) = ev.field(Name::TargetDomainName) {
        e.src_endpoint = Some(build::host(caller.trim_start_matches('\\')));
    }
    if let Some(c) = computer(ev) {
        e.other.insert("device".into(), json!({ "hostname": c }));
    }
    e
}

/// 4768-4773: Kerberos ticket requests, renewals and pre-authentication failures.
fn kerberos(ev: &WinEvent<'_>) -> Event {
    let (activity, token_type) = match ev.event_id {
        4768 | 4772 => (AUTHENTICATION_TICKET, TGT),
        4769 | 4773 => (SERVICE_TICKET_REQUEST, SERVICE_TICKET),
        4770 => (SERVICE_TICKET_RENEW, SERVICE_TICKET),
        _ => (PREAUTH, TGT),
    };
    let status = ev.first(&[Name::Status, Name::FailureCode]);
    let always_fails = matches!(ev.event_id, 4771..=4773);
    let status_id = match status.and_then(codes::parse_hex) {
        _ if always_fails => FAILURE,
        Some(0) => SUCCESS,
        Some(_) => FAILURE,
        None if ev.event_id == 4770 => SUCCESS,
        None => OTHER,
    };
    let mut e = event(ev, AUTHENTICATION, activity, status_id);
    if let Some(code) = status {
        e.status_code = Some(codes::normalize_hex(code));
        if status_id == FAILURE {
            e.status_detail = codes::parse_hex(code)
                .and_then(codes::kerberos_meaning)
                .map(String::from);
        }
    }
    e.user = target_user(ev);
    e.auth_protocol_id = Some(KERBEROS);
    if let Some(name) = ev.field(Name::ServiceName) {
        e.service = Some(Service {
            name: Some(name.to_string()),
            uid: ev.field(Name::ServiceSid).map(String::from),
            ..Service::default()
        });
    }
    e.src_endpoint = source(
        ev,
        &[Name::IpAddress],
        &[Name::IpPort],
        &[],
        &mut e.unmapped,
    );
    e.dst_endpoint = host(ev);
    e.other.insert(
        "authentication_token".into(),
        ticket(ev, token_type, &mut e.unmapped),
    );
    for (field, key) in [
        (Name::PreAuthType, "windows.pre_auth_type"),
        (Name::TransmittedServices, "windows.transmitted_services"),
        (Name::CertIssuerName, "windows.cert_issuer_name"),
        (Name::CertSerialNumber, "windows.cert_serial_number"),
    ] {
        keep_text(ev, field, key, &mut e.unmapped);
    }
    e
}

/// The Kerberos ticket as OCSF `authentication_token`: its type, options and encryption type;
/// the encryption type's code is kept in `unmapped` too (`0x17` RC4 tells overpass-the-hash).
fn ticket(
    ev: &WinEvent<'_>,
    type_id: i32,
    unmapped: &mut std::collections::BTreeMap<String, Value>,
) -> Value {
    let mut token = Map::new();
    token.insert("type_id".into(), Value::from(type_id));
    let caption = if type_id == TGT {
        "Ticket Granting Ticket"
    } else {
        "Service Ticket"
    };
    token.insert("type".into(), Value::from(caption));
    if let Some(options) = ev.field(Name::TicketOptions) {
        token.insert(
            "kerberos_flags".into(),
            Value::from(codes::normalize_hex(options).to_ascii_lowercase()),
        );
    }
    if let Some(code) = ev.field(Name::TicketEncryptionType) {
        unmapped.insert(
            "windows.ticket_encryption_type".into(),
            Value::from(codes::normalize_hex(code)),
        );
        if let Some(enc) = codes::parse_hex(code).and_then(codes::ticket_encryption) {
            let mut details = Map::new();
            details.insert("type".into(), Value::from(enc.name));
            if let Some(id) = enc.algorithm_id {
                details.insert("algorithm_id".into(), Value::from(id));
                let algorithm = if id == 1 { "DES" } else { "AES" };
                details.insert("algorithm".into(), Value::from(algorithm));
            }
            if let Some(bits) = enc.key_length {
                details.insert("key_length".into(), Value::from(bits));
            }
            token.insert("encryption_details".into(), Value::Object(details));
        }
    }
    Value::Object(token)
}

/// 4776: NTLM credential validation (on a domain controller, or locally for local accounts).
fn ntlm_validation(ev: &WinEvent<'_>) -> Event {
    let status = ev.first(&[Name::Status, Name::ErrorCode]);
    let status_id = match status.and_then(codes::parse_hex) {
        Some(0) => SUCCESS,
        Some(_) => FAILURE,
        None => OTHER,
    };
    let mut e = event(ev, AUTHENTICATION, LOGON, status_id);
    if let Some(code) = status {
        e.status_code = Some(codes::normalize_hex(code));
        if status_id == FAILURE {
            e.status_detail = codes::parse_hex(code)
                .and_then(codes::ntstatus_meaning)
                .map(String::from);
        }
    }
    e.user = account(ev.field(Name::TargetUserName), None, None);
    e.auth_protocol_id = Some(NTLM);
    e.src_endpoint = source(ev, &[], &[], &[Name::Workstation], &mut e.unmapped);
    e.dst_endpoint = host(ev);
    keep_text(
        ev,
        Name::PackageName,
        "windows.package_name",
        &mut e.unmapped,
    );
    e
}

/// 4778 (reconnected: a Logon) and 4779 (disconnected: a Logoff) of a Remote Desktop or
/// console session.
fn rdp_session(ev: &WinEvent<'_>) -> Event {
    let activity = if ev.event_id == 4778 { LOGON } else { LOGOFF };
    let mut e = event(ev, AUTHENTICATION, activity, SUCCESS);
    e.user = account(
        ev.field(Name::AccountName),
        ev.field(Name::AccountDomain),
        None,
    );
    e.session = session(ev, Name::LogonID, None);
    let name = ev.field(Name::SessionName);
    let console = name.is_some_and(|n| n.eq_ignore_ascii_case("Console"));
    e.logon_type_id = Some(if console {
        INTERACTIVE
    } else {
        build::REMOTE_INTERACTIVE
    });
    e.other.insert("is_remote".into(), Value::Bool(!console));
    if let (Some(s), Some(n)) = (e.session.as_mut(), name) {
        s.extra.insert("terminal".into(), Value::from(n));
    }
    e.src_endpoint = source(
        ev,
        &[Name::ClientAddress],
        &[],
        &[Name::ClientName],
        &mut e.unmapped,
    );
    e.dst_endpoint = host(ev);
    e
}

/// `LogonType` as `logon_type_id` (and whether the logon is remote).
fn logon_type(ev: &WinEvent<'_>, e: &mut Event) {
    let Some(raw) = ev.field(Name::LogonType) else {
        return;
    };
    match raw.parse::<u32>() {
        Ok(n) => {
            let id = codes::logon_type_id(n);
            e.logon_type_id = Some(id);
            if id == OTHER {
                e.logon_type = Some(format!("Windows logon type {n}"));
            }
            if let Some(remote) = codes::logon_type_is_remote(n) {
                e.other.insert("is_remote".into(), Value::Bool(remote));
            }
        }
        Err(_) => keep(&mut e.unmapped, "windows.logon_type", raw),
    }
}

/// The authentication package (or, without one, the logon process) as `auth_protocol_id`, and
/// the logon process in `unmapped.windows.logon_process` (OCSF's `logon_process` needs a pid).
fn protocol(ev: &WinEvent<'_>, e: &mut Event) {
    let process = ev.field(Name::LogonProcessName);
    if let Some(p) = process {
        // OCSF's `logon_process` needs a process id, which the logon events do not give.
        e.unmapped
            .insert("windows.logon_process".into(), Value::from(p));
    }
    let (id, text) = match ev.field(Name::AuthenticationPackageName).or(process) {
        None => return,
        Some(p) if p.eq_ignore_ascii_case("Kerberos") => (KERBEROS, None),
        Some(p) if p.eq_ignore_ascii_case("NTLM") || p.eq_ignore_ascii_case("NtLmSsp") => {
            (NTLM, None)
        }
        Some(p) if p.eq_ignore_ascii_case("WDigest") => (DIGEST, None),
        // A logon process that is no protocol (User32, Advapi, Chrome): nothing to say.
        Some(_) if ev.field(Name::AuthenticationPackageName).is_none() => return,
        Some(p) => (OTHER, Some(p)),
    };
    e.auth_protocol_id = Some(id);
    e.auth_protocol = text.map(String::from);
}

/// The account logged on to (or failing to): `Target*`.
fn target_user(ev: &WinEvent<'_>) -> Option<User> {
    account(
        ev.field(Name::TargetUserName),
        ev.field(Name::TargetDomainName),
        ev.first(&[Name::TargetUserSid, Name::TargetSid]),
    )
}

/// The account that asked for the action: `Subject*`.
fn subject_user(ev: &WinEvent<'_>) -> Option<User> {
    account(
        ev.field(Name::SubjectUserName),
        ev.field(Name::SubjectDomainName),
        ev.field(Name::SubjectUserSid),
    )
}

/// The subject as OCSF `actor`: its user, logon session and process (the user and session
/// built as the JSON that [`subject_user`] and [`session`] serialize to).
fn actor(ev: &WinEvent<'_>) -> Option<Value> {
    let mut actor = Map::new();
    if let Some(user) = account_value(
        ev.field(Name::SubjectUserName),
        ev.field(Name::SubjectDomainName),
        ev.field(Name::SubjectUserSid),
    ) {
        actor.insert("user".into(), user);
        if let Some(uid) = ev
            .field(Name::SubjectLogonId)
            .and_then(|id| session_uid(ev, id))
        {
            let mut session = Map::new();
            session.insert("uid".into(), Value::String(uid));
            actor.insert("session".into(), Value::Object(session));
        }
    }
    if let Some(p) = process(ev) {
        actor.insert("process".into(), p);
    }
    (!actor.is_empty()).then_some(Value::Object(actor))
}

/// `ProcessName` and `ProcessId` (hex) as an OCSF process.
fn process(ev: &WinEvent<'_>) -> Option<Value> {
    let path = ev.field(Name::ProcessName);
    let pid = ev
        .field(Name::ProcessId)
        .and_then(|p| codes::parse_hex(p).or_else(|| p.parse().ok()))
        .filter(|&p| p != 0);
    if path.is_none() && pid.is_none() {
        return None;
    }
    let mut process = Map::new();
    if let Some(path) = path {
        let name = path.rsplit(['\\', '/']).next().unwrap_or(path);
        process.insert("name".into(), Value::from(name));
        process.insert("path".into(), Value::from(path));
    }
    if let Some(pid) = pid {
        process.insert("pid".into(), Value::from(pid));
    }
    Some(Value::Object(process))
}

/// A Windows account as an OCSF user: name, domain, SID as `uid`, and the account type where
/// OCSF has one (machine accounts and SYSTEM are System, LOCAL/NETWORK SERVICE Service, the
/// built-in Administrator Admin, ANONYMOUS LOGON Other). `None` without a name or SID.
fn account(name: Option<&str>, domain: Option<&str>, sid: Option<&str>) -> Option<User> {
    let sid = account_sid(sid);
    if name.is_none() && sid.is_none() {
        return None;
    }
    let mut user = User {
        name: name.map(String::from),
        uid: sid.map(String::from),
        ..User::default()
    };
    if let Some(d) = domain {
        user.extra.insert("domain".into(), Value::from(d));
    }
    if let Some((id, caption)) = account_type(name, sid) {
        user.extra.insert("type_id".into(), Value::from(id));
        user.extra.insert("type".into(), Value::from(caption));
    }
    Some(user)
}

/// The JSON the user of [`account`] serializes to, built directly.
fn account_value(name: Option<&str>, domain: Option<&str>, sid: Option<&str>) -> Option<Value> {
    let sid = account_sid(sid);
    if name.is_none() && sid.is_none() {
        return None;
    }
    let mut user = Map::new();
    if let Some(n) = name {
        user.insert("name".into(), Value::from(n));
    }
    if let Some(s) = sid {
        user.insert("uid".into(), Value::from(s));
    }
    if let Some(d) = domain {
        user.insert("domain".into(), Value::from(d));
    }
    if let Some((id, caption)) = account_type(name, sid) {
        user.insert("type_id".into(), Value::from(id));
        user.insert("type".into(), Value::from(caption));
    }
    Some(Value::Object(user))
}

/// A SID that names an account (not the NULL SID).
fn account_sid(sid: Option<&str>) -> Option<&str> {
    sid.filter(|s| *s != "S-1-0-0" && !s.eq_ignore_ascii_case("NULL SID"))
}

/// The authority that well-known accounts may be named under in place of their SID.
const AUTHORITY: &str = "NT AUTHORITY\\";

/// OCSF `user.type_id` and its caption, when the name or SID tells it.
fn account_type(name: Option<&str>, sid: Option<&str>) -> Option<(i32, &'static str)> {
    let sid = sid.unwrap_or("");
    let name = name.unwrap_or("");
    // What follows the authority when `sid` names the account `NT AUTHORITY\{n}`.
    let authority = sid
        .as_bytes()
        .split_at_checked(AUTHORITY.len())
        .filter(|(prefix, _)| prefix.eq_ignore_ascii_case(AUTHORITY.as_bytes()))
        .map(|(_, rest)| rest);
    let is = |s: &str, n: &str| {
        sid == s
            || name.eq_ignore_ascii_case(n)
            || authority.is_some_and(|rest| rest.eq_ignore_ascii_case(n.as_bytes()))
    };
    if is("S-1-5-18", "SYSTEM") || name.ends_with('$') {
        Some((3, "System"))
    } else if is("S-1-5-19", "LOCAL SERVICE") || is("S-1-5-20", "NETWORK SERVICE") {
        Some((4, "Service"))
    } else if is("S-1-5-7", "ANONYMOUS LOGON") {
        Some((99, "Anonymous"))
    } else if sid.starts_with("S-1-5-21-") && sid.ends_with("-500") {
        Some((2, "Admin"))
    } else {
        None
    }
}

/// The logon session named by a logon id field, as `computer/0xhex` (lower case); the linked
/// logon (the other half of a split admin token) as `uid_alt`.
fn session(ev: &WinEvent<'_>, id_field: Name, linked_field: Option<Name>) -> Option<Session> {
    let uid = session_uid(ev, ev.field(id_field)?)?;
    let mut session = Session {
        uid: Some(uid),
        ..Session::default()
    };
    if let Some(alt) = linked_field
        .and_then(|f| ev.field(f))
        .and_then(|l| session_uid(ev, l))
    {
        session.extra.insert("uid_alt".into(), Value::from(alt));
    }
    Some(session)
}

/// `computer/0xhex` of a logon id (`None` for `0x0`, which names no session).
pub fn session_uid(ev: &WinEvent<'_>, logon_id: &str) -> Option<String> {
    let hex = codes::parse_hex(logon_id);
    if hex == Some(0) {
        return None;
    }
    let computer = computer(ev);
    let mut uid = String::with_capacity(computer.map_or(0, |c| c.len() + 1) + logon_id.len() + 2);
    if let Some(c) = computer {
        uid.push_str(c);
        uid.push('/');
    }
    match hex {
        Some(n) => codes::push_hex(&mut uid, n),
        None => uid.push_str(trim(logon_id)),
    }
    uid.make_ascii_lowercase();
    Some(uid)
}

/// The computer that logged the event.
fn computer<'e>(ev: &'e WinEvent<'_>) -> Option<&'e str> {
    ev.computer
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty() && *c != "-")
}

/// The computer that logged the event, as the endpoint logged on to.
fn host(ev: &WinEvent<'_>) -> Option<Endpoint> {
    computer(ev).map(build::host)
}

/// The source endpoint from the first address, port and host name fields that say something.
/// An address that is not an IP is kept in `unmapped` as `windows.ip_address`.
fn source(
    ev: &WinEvent<'_>,
    ips: &[Name],
    ports: &[Name],
    hosts: &[Name],
    unmapped: &mut std::collections::BTreeMap<String, Value>,
) -> Option<Endpoint> {
    let mut src = Endpoint::default();
    if let Some(ip) = ev.first(ips) {
        match clean_ip(ip) {
            Some(ip) => src.ip = Some(ip),
            None => keep(unmapped, "windows.ip_address", ip),
        }
    }
    src.port = ev
        .first(ports)
        .and_then(|p| p.parse::<u16>().ok())
        .filter(|&p| p != 0);
    src.hostname = ev
        .first(hosts)
        .map(|h| h.trim_start_matches('\\'))
        .filter(|h| !h.is_empty())
        .map(String::from);
    (src.ip.is_some() || src.port.is_some() || src.hostname.is_some()).then_some(src)
}

/// An address as Windows writes it (`::ffff:10.0.0.1`, `fe80::1%12`) in canonical form.
fn clean_ip(text: &str) -> Option<String> {
    let text = text.split('%').next().unwrap_or(text);
    // An IPv4 address parses only as it is written out (no leading zeros).
    if text.parse::<Ipv4Addr>().is_ok() {
        return Some(text.to_string());
    }
    let ip: IpAddr = text.parse().ok()?;
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    Some(ip.to_string())
}

/// Keep a field's text (message references resolved) in `unmapped` under `key`.
fn keep_text(
    ev: &WinEvent<'_>,
    field: Name,
    key: &str,
    unmapped: &mut std::collections::BTreeMap<String, Value>,
) {
    if let Some(v) = ev.field(field) {
        keep(unmapped, key, codes::resolve(v));
    }
}

/// Keep a GUID field in `unmapped`, written one way (lower case, no braces), unless it is
/// all zeros (no GUID).
fn keep_guid(
    ev: &WinEvent<'_>,
    field: Name,
    key: &str,
    unmapped: &mut std::collections::BTreeMap<String, Value>,
) {
    if let Some(v) = ev.field(field) {
        let guid = v
            .trim_matches(|c| c == '{' || c == '}')
            .to_ascii_lowercase();
        if guid.bytes().any(|b| b != b'0' && b != b'-') {
            unmapped.insert(key.into(), Value::String(guid));
        }
    }
}

/// Keep a string in `unmapped`.
fn keep(unmapped: &mut std::collections::BTreeMap<String, Value>, key: &str, value: &str) {
    unmapped.insert(key.into(), Value::from(value));
}

#[cfg(test)]
mod tests;
