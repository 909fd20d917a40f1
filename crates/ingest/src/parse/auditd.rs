//! The Linux audit log: the authentication records PAM-aware programs and the kernel write.
//!
//! A record is `[node=HOST ]type=TYPE msg=audit(EPOCH.mmm:SERIAL): key=value …`; user-space
//! records nest their own fields in `msg='key=value …'`. Consecutive records of one event (same
//! `EPOCH.mmm:SERIAL`) arrive joined by `\n`; the event is mapped from its most
//! authentication-relevant record and the other record types are listed in
//! `unmapped["auditd.records"]`.
//!
//! Values are read as go-libaudit's `auparse` reads them: quoted (`"…"` or `'…'`) or bare up to
//! white space; `""`, `?`, `?,` and `(null)` mean absent; `4294967295` and `-1` in `auid`/`ses`
//! mean unset; a bare value of upper-case hex digits, of even length, in one of the fields audit
//! hex-encodes when they hold odd characters (`acct`, `exe`, `hostname`, `terminal`, `cmd`, …),
//! is decoded (NULs become spaces), unless the bytes it decodes to hold control characters (so
//! that a plain `acct=1234` of the old format stays a name); `res=` is success when it is `1`,
//! `yes` or starts with `suc`, failure otherwise. The old formats are read too: `LOGIN … old
//! auid=X new auid=Y` and `(hostname=?, addr=?, terminal=cron res=success)`.
//!
//! Mapping (OCSF 1.6), with the reasons for the choices the record types leave open:
//! - `USER_AUTH` (the PAM authentication step), `USER_LOGIN` (the login as a whole) and
//!   `USER_START` (PAM session opened) → Authentication / Logon, status from `res`;
//!   `USER_ERR` (a PAM error before authentication) → Logon, Failure.
//! - `USER_END` (session closed) and `USER_LOGOUT` → Logoff.
//! - `USER_ACCT` (PAM account management: is the account valid, unexpired, allowed here) →
//!   Authentication / Other with status from `res` and status_detail "account check". It is a
//!   step of a logon, not a logon: counting it as Logon would make one ssh login three Logons
//!   (and every cron job one), which breaks logon counting and brute-force detection, while a
//!   denied account check stays visible as an Authentication Failure.
//! - `CRED_ACQ`, `CRED_REFR`, `CRED_DISP` (PAM setcred: credentials established, refreshed,
//!   deleted) → Authentication / Other with status_detail saying which. Not "Authentication
//!   Ticket": that activity is a Kerberos TGT request, and setcred is usually no such thing.
//! - `LOGIN` (the kernel set a process's login uid and audit session: `auid`, `ses`) →
//!   Authorize Session / Other: it assigns an identity to a session at login time and is the
//!   record that ties `auid` to `ses`, but it is neither an authentication nor a privilege, group
//!   or role. Status from `res` (Unknown when the old format has none).
//!
//! Fields: `user.name` = `acct`; without `acct`, `user.uid` = `id` (or, for `LOGIN` and records
//! with neither, the set `auid`). `src_endpoint` = `addr` (ip) and `rport`, with `hostname` when
//! it is a name; `hostname` alone when there is no `addr`. `session.uid` =
//! `NODE/audit-ses-N` from `ses` (node= is the audited host when auditd writes it, else `-`; the
//! record's `hostname=` is the remote peer, so it cannot qualify the session). `dst_endpoint` =
//! `node`. `service.name` = the last part of `exe`. `exe`, `op`, `terminal`, `pid`, `uid`,
//! `auid`, `ses`, `id`, `grantors` and `LOGIN`'s `old-auid`/`old-ses` go to
//! `unmapped["auditd.*"]`, with `auditd.type`. `metadata.uid` = `EPOCH.mmm:SERIAL`; `time` is
//! the epoch in the id (audit times carry their zone).

use std::borrow::Cow;

use authtrail_model::{Event, Service, Session, User};
use serde_json::Value;

use crate::parse::build::{
    self, ProductInfo, AUTHENTICATION, AUTHORIZE_SESSION, FAILURE, LOGOFF, LOGON, OTHER,
    STATUS_UNKNOWN, SUCCESS,
};
use crate::parse::{ParseContext, ParseResult, Unrecognized};

const PRODUCT: ProductInfo = ProductInfo {
    name: "auditd",
    vendor: "Linux",
};

/// The record types this parser maps, most authentication-relevant first (the order picks the
/// record an event of several is mapped from).
const AUTH_TYPES: &[&str] = &[
    "USER_AUTH",
    "USER_LOGIN",
    "USER_ERR",
    "USER_ACCT",
    "USER_START",
    "USER_END",
    "USER_LOGOUT",
    "CRED_ACQ",
    "CRED_REFR",
    "CRED_DISP",
    "LOGIN",
];

/// Fields audit hex-encodes when their value holds a space, a quote or a control character.
const HEX_FIELDS: &[&str] = &[
    "acct",
    "cmd",
    "comm",
    "cwd",
    "exe",
    "hostname",
    "name",
    "new-acct",
    "old-acct",
    "proctitle",
    "terminal",
];

/// Map one audit event (its records' lines joined by `\n`) to an OCSF event.
pub fn parse(text: &str, _ctx: &mut ParseContext) -> ParseResult {
    let mut headers: Vec<Header<'_>> = Vec::with_capacity(1);
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        headers.push(parse_header(line)?);
    }
    let primary = AUTH_TYPES
        .iter()
        .find_map(|t| headers.iter().position(|h| h.kind == *t));
    let Some(primary) = primary else {
        return Err(not_authentication(&headers));
    };
    let header = &headers[primary];
    let mut fields = Fields::default();
    fields.scan(header.body, 0);
    let mut event = map(header, &fields)?;
    let others: Vec<Value> = headers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != primary)
        .map(|(_, h)| Value::from(h.kind))
        .collect();
    if !others.is_empty() {
        event
            .unmapped
            .insert("auditd.records".into(), Value::Array(others));
    }
    Ok(event)
}

/// The reason an event with no authentication record is not mapped.
fn not_authentication(headers: &[Header<'_>]) -> Unrecognized {
    match headers {
        [] => Unrecognized::new("empty record"),
        [one] => Unrecognized::because(format!(
            "record type {} is not an authentication event",
            truncate(one.kind, 64)
        )),
        many => {
            let kinds: Vec<&str> = many.iter().map(|h| truncate(h.kind, 64)).collect();
            Unrecognized::because(format!(
                "event of record types {} is not an authentication event",
                kinds.join(", ")
            ))
        }
    }
}

/// One record's header: `[node=HOST ]type=TYPE msg=audit(ID):` and the body after it.
#[derive(Debug)]
struct Header<'a> {
    node: Option<&'a str>,
    kind: &'a str,
    id: &'a str,
    time_ms: i64,
    body: &'a str,
}

const NOT_AUDIT: Unrecognized =
    Unrecognized::new("not an audit record (expected type=TYPE msg=audit(EPOCH.mmm:SERIAL))");

fn parse_header(line: &str) -> Result<Header<'_>, Unrecognized> {
    let mut rest = line.trim_start();
    let mut node = None;
    if let Some(r) = rest.strip_prefix("node=") {
        let (n, r) = r.split_once(' ').ok_or(NOT_AUDIT)?;
        node = Some(n).filter(|n| !n.is_empty() && *n != "?");
        rest = r.trim_start();
    }
    let r = rest.strip_prefix("type=").ok_or(NOT_AUDIT)?;
    let (kind, r) = r.split_once(' ').ok_or(NOT_AUDIT)?;
    let r = r.trim_start().strip_prefix("msg=audit(").ok_or(NOT_AUDIT)?;
    let (id, body) = r.split_once(')').ok_or(NOT_AUDIT)?;
    let time_ms = id_time_ms(id).ok_or_else(|| {
        Unrecognized::because(format!(
            "bad event id {:?} (expected EPOCH.mmm:SERIAL)",
            truncate(id, 64)
        ))
    })?;
    let body = body.strip_prefix(':').unwrap_or(body);
    Ok(Header {
        node,
        kind,
        id,
        time_ms,
        body,
    })
}

/// Epoch ms of an event id `EPOCH.mmm:SERIAL` (the serial checked to be a number).
fn id_time_ms(id: &str) -> Option<i64> {
    let (stamp, serial) = id.split_once(':')?;
    if serial.is_empty() || !serial.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (secs, frac) = stamp.split_once('.').unwrap_or((stamp, ""));
    if secs.is_empty() || secs.len() > 12 || !secs.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    let mut ms = 0i64;
    for i in 0..3 {
        let digit = frac.as_bytes().get(i).map_or(0, |c| i64::from(c - b'0'));
        ms = ms * 10 + digit;
    }
    secs.checked_mul(1000)?.checked_add(ms)
}

/// A record's fields in order (nested `msg='…'` ones flattened in); a later key wins.
#[derive(Debug, Default)]
struct Fields<'a> {
    list: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Fields<'a> {
    /// The value of `key`, the last one if it repeats.
    fn get(&self, key: &str) -> Option<&str> {
        self.list
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// Read `key=value` pairs from `text` (as auparse finds them, skipping anything else).
    fn scan(&mut self, text: &'a str, depth: u8) {
        let b = text.as_bytes();
        let mut i = 0;
        // The old LOGIN format writes `old auid=X new auid=Y`.
        let mut old_prefix = false;
        while i < b.len() {
            if !is_key_byte(b[i]) {
                if b[i] != b' ' {
                    old_prefix = false;
                }
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && is_key_byte(b[i]) {
                i += 1;
            }
            let key = sub(text, start, i);
            if b.get(i) != Some(&b'=') {
                old_prefix = key == "old";
                continue;
            }
            i += 1;
            let (raw, quoted, next) = match b.get(i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let end = b[i + 1..]
                        .iter()
                        .position(|&c| c == q)
                        .map_or(b.len(), |p| i + 1 + p);
                    (sub(text, i + 1, end), true, end + 1)
                }
                _ => {
                    let end = b[i..]
                        .iter()
                        .position(|&c| {
                            c.is_ascii_whitespace() || c == b'"' || c == b'\'' || c == 0x1d
                        })
                        .map_or(b.len(), |p| i + p);
                    (sub(text, i, end), false, end)
                }
            };
            i = next;
            let key: Cow<'a, str> = if std::mem::take(&mut old_prefix) {
                Cow::Owned(format!("old-{key}"))
            } else {
                Cow::Borrowed(key)
            };
            let value = raw.trim_matches(|c| c == '"' || c == '\'' || c == ' ');
            if key == "msg" {
                if depth == 0 {
                    // `(hostname=?, addr=?, terminal=cron res=success)` of old user records.
                    let inner = if value.contains("(hostname=") {
                        value.strip_suffix(')').unwrap_or(value)
                    } else {
                        value
                    };
                    self.scan(inner, depth + 1);
                }
                continue;
            }
            if matches!(value, "" | "?" | "?," | "(null)") {
                continue;
            }
            let value = match (quoted, HEX_FIELDS.contains(&key.as_ref())) {
                (false, true) => decode_hex(value).map_or(Cow::Borrowed(value), Cow::Owned),
                _ => Cow::Borrowed(value),
            };
            self.list.push((key, value));
        }
    }
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// `text[a..b]`, or "" if that is not a slice of it (it always is: the bounds are at ASCII bytes).
fn sub(text: &str, a: usize, b: usize) -> &str {
    text.get(a..b.min(text.len())).unwrap_or("")
}

/// An audit hex-encoded value, decoded: upper-case hex of even length whose bytes hold no
/// control characters but NULs (which separate strings and become spaces).
fn decode_hex(value: &str) -> Option<String> {
    let b = value.as_bytes();
    if b.is_empty()
        || !b.len().is_multiple_of(2)
        || !b
            .iter()
            .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c))
    {
        return None;
    }
    let bytes = hex::decode(value).ok()?;
    if bytes.iter().any(|&c| c != 0 && (c < 0x20 || c == 0x7f)) {
        return None;
    }
    let text = String::from_utf8_lossy(&bytes);
    Some(text.split('\0').collect::<Vec<_>>().join(" "))
}

/// `4294967295` and `-1` are audit's "not set" for `auid` and `ses`.
fn is_unset(value: &str) -> bool {
    matches!(value, "4294967295" | "-1")
}

/// Whether an audit result means success (auparse's rule).
fn succeeded(value: &str) -> bool {
    value == "1"
        || value.eq_ignore_ascii_case("yes")
        || value
            .get(..3)
            .is_some_and(|p| p.eq_ignore_ascii_case("suc"))
}

/// The event for one authentication record.
fn map(header: &Header<'_>, f: &Fields<'_>) -> ParseResult {
    let result = f.get("res").or_else(|| f.get("result"));
    let status = match result {
        Some(r) if succeeded(r) => SUCCESS,
        Some(_) => FAILURE,
        None => STATUS_UNKNOWN,
    };
    let (class, activity, status, detail) = match header.kind {
        "USER_AUTH" | "USER_LOGIN" | "USER_START" => (AUTHENTICATION, LOGON, status, None),
        "USER_ERR" => (
            AUTHENTICATION,
            LOGON,
            FAILURE,
            Some(f.get("op").unwrap_or("PAM error").to_string()),
        ),
        "USER_END" | "USER_LOGOUT" => (AUTHENTICATION, LOGOFF, status, None),
        "USER_ACCT" => (AUTHENTICATION, OTHER, status, Some("account check".into())),
        "CRED_ACQ" => (
            AUTHENTICATION,
            OTHER,
            status,
            Some("credentials acquired".into()),
        ),
        "CRED_REFR" => (
            AUTHENTICATION,
            OTHER,
            status,
            Some("credentials refreshed".into()),
        ),
        "CRED_DISP" => (
            AUTHENTICATION,
            OTHER,
            status,
            Some("credentials disposed".into()),
        ),
        "LOGIN" => (
            AUTHORIZE_SESSION,
            OTHER,
            status,
            Some("login uid and audit session assigned".into()),
        ),
        other => {
            return Err(Unrecognized::because(format!(
                "record type {} is not an authentication event",
                truncate(other, 64)
            )))
        }
    };
    let mut event = build::new_event(class, activity, status, header.time_ms, PRODUCT);
    if class == AUTHORIZE_SESSION {
        // What a LOGIN record assigns: the login uid (and audit session) of the new session.
        event.other.insert(
            "privileges".into(),
            serde_json::Value::Array(vec!["login uid".into()]),
        );
    }
    event.status_detail = detail;
    event.metadata.uid = Some(header.id.to_string());
    event.user = user(header.kind, f);
    event.src_endpoint = source(f);
    if let Some(node) = header.node {
        event.dst_endpoint = Some(build::host(node));
    }
    if let Some(ses) = f.get("ses").filter(|s| !is_unset(s)) {
        event.session = Some(Session {
            uid: Some(format!("{}/audit-ses-{ses}", header.node.unwrap_or("-"))),
            ..Session::default()
        });
    }
    if let Some(exe) = f.get("exe") {
        let name = exe.rsplit('/').next().unwrap_or(exe);
        if !name.is_empty() {
            event.service = Some(Service {
                name: Some(name.to_string()),
                ..Service::default()
            });
        }
    }
    unmapped(&mut event, header.kind, f);
    Ok(event)
}

/// The user: `acct` by name, else `id` (or the login uid) by number.
fn user(kind: &str, f: &Fields<'_>) -> Option<User> {
    if kind != "LOGIN" {
        if let Some(acct) = f.get("acct") {
            return Some(build::user(acct));
        }
        if let Some(id) = f.get("id") {
            return Some(numeric_user(id, f.get("ID")));
        }
    }
    let auid = f.get("auid").filter(|a| !is_unset(a))?;
    Some(numeric_user(auid, f.get("AUID")))
}

/// A user by uid, named when the enriched log format gave the name.
fn numeric_user(uid: &str, enriched_name: Option<&str>) -> User {
    User {
        uid: Some(uid.to_string()),
        name: enriched_name
            .filter(|n| !n.is_empty() && !n.starts_with("unknown("))
            .map(str::to_string),
        ..User::default()
    }
}

/// Where the attempt came from: `addr` (and `rport`), with `hostname` when it names the host.
fn source(f: &Fields<'_>) -> Option<authtrail_model::Endpoint> {
    let hostname = f.get("hostname");
    let Some(addr) = f.get("addr") else {
        return hostname.map(|h| build::endpoint(h, None));
    };
    let port = f.get("rport").and_then(|p| p.parse().ok());
    let mut endpoint = build::endpoint(addr, port);
    if let Some(h) = hostname {
        if endpoint.hostname.is_none() && h != addr && h.parse::<std::net::IpAddr>().is_err() {
            endpoint.hostname = Some(h.to_string());
        }
    }
    Some(endpoint)
}

/// The record's fields OCSF has no slot for.
fn unmapped(event: &mut Event, kind: &str, f: &Fields<'_>) {
    event
        .unmapped
        .insert("auditd.type".into(), Value::from(kind));
    for key in [
        "exe", "op", "terminal", "pid", "uid", "id", "grantors", "auid", "ses",
    ] {
        if let Some(v) = f.get(key) {
            let v = if (key == "auid" || key == "ses") && is_unset(v) {
                "unset"
            } else {
                v
            };
            event
                .unmapped
                .insert(format!("auditd.{key}"), Value::from(v));
        }
    }
    if kind == "LOGIN" {
        for (key, name) in [
            ("old-auid", "auditd.old_auid"),
            ("old-ses", "auditd.old_ses"),
        ] {
            if let Some(v) = f.get(key) {
                let v = if is_unset(v) { "unset" } else { v };
                event.unmapped.insert(name.into(), Value::from(v));
            }
        }
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The event id of an audit record line: the `EPOCH.mmm:SERIAL` in `msg=audit(…)`. Records of
/// one event share it.
pub fn audit_id(line: &[u8]) -> Option<&[u8]> {
    let start = memchr::memmem::find(line, b"msg=audit(")? + b"msg=audit(".len();
    let len = line[start..].iter().position(|&b| b == b')')?;
    let id = &line[start..start + len];
    (!id.is_empty() && id.contains(&b':')).then_some(id)
}

#[cfg(test)]
mod id_tests {
    use super::*;

    #[test]
    fn audit_ids_are_found() {
        assert_eq!(
            audit_id(b"type=USER_AUTH msg=audit(1464013861.151:2316): pid=1"),
            Some(&b"1464013861.151:2316"[..])
        );
        assert_eq!(
            audit_id(b"node=h type=X msg=audit(1.2:3): a"),
            Some(&b"1.2:3"[..])
        );
        assert_eq!(audit_id(b"type=X msg=audit(): a"), None);
        assert_eq!(audit_id(b"no id"), None);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;
    use crate::parse::ParseConfig;

    fn ctx() -> ParseContext {
        ParseContext::new(Arc::new(ParseConfig::default()), 1_795_737_600_000)
    }

    fn ok(text: &str) -> Event {
        let mut e = parse(text, &mut ctx()).unwrap();
        e.normalize().unwrap();
        e
    }

    fn un(e: &Event, key: &str) -> Option<String> {
        e.unmapped
            .get(key)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
    }

    #[test]
    fn user_auth_is_a_logon_with_user_address_and_id() {
        let e = ok("type=USER_AUTH msg=audit(1481077043.046:408): pid=1298 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=pubkey_auth rport=63927 acct=\"andrew_kroh\" exe=\"/usr/sbin/sshd\" hostname=? addr=96.241.146.97 terminal=? res=success'");
        assert_eq!((e.class_uid, e.activity_id, e.status_id), (3002, 1, 1));
        assert_eq!(e.time, 1_481_077_043_046);
        assert_eq!(e.metadata.uid.as_deref(), Some("1481077043.046:408"));
        assert_eq!(e.user.clone().unwrap().name.as_deref(), Some("andrew_kroh"));
        let src = e.src_endpoint.clone().unwrap();
        assert_eq!(src.ip.as_deref(), Some("96.241.146.97"));
        assert_eq!(src.port, Some(63927));
        assert_eq!(src.hostname, None);
        assert_eq!(e.session, None, "ses unset: no session");
        assert_eq!(e.service.clone().unwrap().name.as_deref(), Some("sshd"));
        assert_eq!(un(&e, "auditd.exe").as_deref(), Some("/usr/sbin/sshd"));
        assert_eq!(un(&e, "auditd.op").as_deref(), Some("pubkey_auth"));
        assert_eq!(un(&e, "auditd.auid").as_deref(), Some("unset"));
        assert_eq!(un(&e, "auditd.terminal"), None, "terminal=? is absent");
        assert_eq!(un(&e, "auditd.type").as_deref(), Some("USER_AUTH"));
        assert_eq!(
            e.metadata.product.clone().unwrap().vendor_name.as_deref(),
            Some("Linux")
        );
    }

    #[test]
    fn hex_accounts_failures_and_numeric_users() {
        let e = ok("type=USER_LOGIN msg=audit(1492896301.818:19955): pid=12635 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=28696E76616C6964207573657229 exe=\"/usr/sbin/sshd\" hostname=? addr=179.38.151.221 terminal=sshd res=failed'");
        assert_eq!((e.class_uid, e.activity_id, e.status_id), (3002, 1, 2));
        assert_eq!(
            e.user.clone().unwrap().name.as_deref(),
            Some("(invalid user)")
        );
        let e = ok("type=USER_LOGIN msg=audit(1492810797.778:12651): pid=11396 uid=0 auid=1001 ses=36 msg='op=login id=1001 exe=\"/usr/sbin/sshd\" hostname=72.83.230.100 addr=72.83.230.100 terminal=/dev/pts/1 res=success'");
        let user = e.user.clone().unwrap();
        assert_eq!((user.name, user.uid.as_deref()), (None, Some("1001")));
        assert_eq!(
            e.session.clone().unwrap().uid.as_deref(),
            Some("-/audit-ses-36")
        );
        let src = e.src_endpoint.clone().unwrap();
        assert_eq!(
            (src.ip.as_deref(), src.hostname),
            (Some("72.83.230.100"), None)
        );
    }

    #[test]
    fn node_names_the_session_host_and_hostnames_the_source() {
        let e = ok("node=web1 type=USER_START msg=audit(1481077043.170:416): pid=1298 uid=0 auid=1000 ses=1 msg='op=PAM:session_open grantors=pam_unix acct=\"andrew_kroh\" exe=\"/usr/sbin/sshd\" hostname=pool-96.example.net addr=96.241.146.97 terminal=ssh res=success'");
        assert_eq!((e.class_uid, e.activity_id, e.status_id), (3002, 1, 1));
        assert_eq!(
            e.session.clone().unwrap().uid.as_deref(),
            Some("web1/audit-ses-1")
        );
        assert_eq!(
            e.dst_endpoint.clone().unwrap().hostname.as_deref(),
            Some("web1")
        );
        let src = e.src_endpoint.clone().unwrap();
        assert_eq!(src.ip.as_deref(), Some("96.241.146.97"));
        assert_eq!(src.hostname.as_deref(), Some("pool-96.example.net"));
        assert_eq!(un(&e, "auditd.grantors").as_deref(), Some("pam_unix"));
        // A host name without an address is the source's name.
        let e = ok("type=USER_AUTH msg=audit(1.5:2): pid=1 msg='op=PAM:authentication acct=\"bob\" exe=\"/usr/sbin/sshd\" hostname=client.example addr=? terminal=ssh res=failed'");
        let src = e.src_endpoint.clone().unwrap();
        assert_eq!(
            (src.ip, src.hostname.as_deref()),
            (None, Some("client.example"))
        );
        assert_eq!(e.time, 1500);
        assert_eq!(e.status_id, 2);
    }

    #[test]
    fn each_record_type_has_its_activity() {
        let body = "pid=1 uid=0 auid=1000 ses=3 msg='op=x acct=\"a\" exe=\"/bin/login\" hostname=? addr=? terminal=tty1 res=success'";
        for (kind, class, activity, detail) in [
            ("USER_AUTH", 3002, 1, None),
            ("USER_ACCT", 3002, 99, Some("account check")),
            ("USER_LOGIN", 3002, 1, None),
            ("USER_START", 3002, 1, None),
            ("USER_END", 3002, 2, None),
            ("USER_LOGOUT", 3002, 2, None),
            ("CRED_ACQ", 3002, 99, Some("credentials acquired")),
            ("CRED_REFR", 3002, 99, Some("credentials refreshed")),
            ("CRED_DISP", 3002, 99, Some("credentials disposed")),
        ] {
            let e = ok(&format!("type={kind} msg=audit(10.000:1): {body}"));
            assert_eq!((e.class_uid, e.activity_id), (class, activity), "{kind}");
            assert_eq!(e.status_detail.as_deref(), detail, "{kind}");
            assert_eq!(e.status_id, 1, "{kind}");
            assert_eq!(
                e.session.clone().unwrap().uid.as_deref(),
                Some("-/audit-ses-3")
            );
        }
        let e = ok("type=USER_ERR msg=audit(1489641207.587:518): pid=1560 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:bad_ident grantors=? acct=\"?\" exe=\"/usr/sbin/sshd\" hostname=190.48.233.76 addr=190.48.233.76 terminal=ssh res=failed'");
        assert_eq!((e.class_uid, e.activity_id, e.status_id), (3002, 1, 2));
        assert_eq!(
            crate::parse::test_support::user(&e),
            None,
            "acct=\"?\" is no user"
        );
        assert_eq!(e.status_detail.as_deref(), Some("PAM:bad_ident"));
    }

    #[test]
    fn login_records_new_and_old() {
        let e = ok("type=LOGIN msg=audit(1481077043.057:414): pid=1298 uid=0 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 old-auid=4294967295 auid=1000 old-ses=4294967295 ses=1 res=1");
        assert_eq!((e.class_uid, e.activity_id, e.status_id), (3003, 99, 1));
        assert_eq!(e.user.clone().unwrap().uid.as_deref(), Some("1000"));
        assert_eq!(
            e.session.clone().unwrap().uid.as_deref(),
            Some("-/audit-ses-1")
        );
        assert_eq!(un(&e, "auditd.old_auid").as_deref(), Some("unset"));
        let e = ok("type=LOGIN msg=audit(1170021601.343:296): login pid=13015 uid=0 old auid=4294967295 new auid=0");
        assert_eq!((e.class_uid, e.status_id), (3003, 0));
        assert_eq!(e.user.clone().unwrap().uid.as_deref(), Some("0"));
        assert_eq!(un(&e, "auditd.old_auid").as_deref(), Some("unset"));
        assert_eq!(un(&e, "auditd.auid").as_deref(), Some("0"));
    }

    #[test]
    fn old_pam_format_is_read() {
        let e = ok("type=USER_START msg=audit(1170021601.344:297): user pid=13015 uid=0 auid=0 subj=system_u:system_r:crond_t:s0-s0:c0.c1023 msg='PAM: session open acct=root : exe=\"/usr/sbin/crond\" (hostname=?, addr=?, terminal=cron res=success)'");
        assert_eq!((e.activity_id, e.status_id), (1, 1));
        assert_eq!(e.user.clone().unwrap().name.as_deref(), Some("root"));
        assert_eq!(un(&e, "auditd.terminal").as_deref(), Some("cron"));
        assert_eq!(e.src_endpoint, None);
    }

    #[test]
    fn events_of_several_records_use_the_authentication_one() {
        let e = ok("type=SYSCALL msg=audit(1.0:7): arch=c000003e syscall=1 success=yes exe=\"/usr/sbin/sshd\"\ntype=LOGIN msg=audit(1.0:7): pid=5 uid=0 old-auid=4294967295 auid=1000 old-ses=4294967295 ses=9 res=1\ntype=PROCTITLE msg=audit(1.0:7): proctitle=737368");
        assert_eq!(e.class_uid, 3003);
        assert_eq!(
            e.unmapped.get("auditd.records"),
            Some(&serde_json::json!(["SYSCALL", "PROCTITLE"]))
        );
    }

    #[test]
    fn other_records_and_garbage_are_unrecognized_with_reasons() {
        let e = parse(
            "type=SYSCALL msg=audit(1.0:7): arch=c000003e syscall=1",
            &mut ctx(),
        )
        .unwrap_err();
        assert_eq!(e.0, "record type SYSCALL is not an authentication event");
        let e = parse(
            "type=SYSCALL msg=audit(1.0:7): a\ntype=CWD msg=audit(1.0:7): cwd=\"/\"",
            &mut ctx(),
        )
        .unwrap_err();
        assert_eq!(
            e.0,
            "event of record types SYSCALL, CWD is not an authentication event"
        );
        let e = parse("type=UNKNOWN[1329] msg=?", &mut ctx()).unwrap_err();
        assert!(e.0.contains("not an audit record"), "{e}");
        let e = parse("hello", &mut ctx()).unwrap_err();
        assert!(e.0.contains("not an audit record"), "{e}");
        let e = parse(
            "type=USER_AUTH msg=audit(05/24/2016 12:31:01.151:2316): a=b",
            &mut ctx(),
        )
        .unwrap_err();
        assert!(e.0.contains("bad event id"), "{e}");
    }

    #[test]
    fn hex_is_decoded_only_where_audit_writes_it() {
        assert_eq!(
            decode_hex("2F746D702F6120622063").as_deref(),
            Some("/tmp/a b c")
        );
        assert_eq!(
            decode_hex("6100620063").as_deref(),
            Some("a b c"),
            "NULs split strings"
        );
        assert_eq!(
            decode_hex("1234"),
            None,
            "decodes to control characters: a name"
        );
        assert_eq!(
            decode_hex("2f746d70"),
            None,
            "lower case is not audit's hex"
        );
        assert_eq!(decode_hex("2F7"), None);
        assert_eq!(decode_hex(""), None);
        let mut f = Fields::default();
        f.scan("acct=\"414243\" exe=414243 op=414243 id=1000", 0);
        assert_eq!(f.get("acct"), Some("414243"), "quoted values are text");
        assert_eq!(f.get("exe"), Some("ABC"));
        assert_eq!(f.get("op"), Some("414243"), "op is never hex");
        assert_eq!(f.get("id"), Some("1000"));
    }

    #[test]
    fn enriched_names_name_numeric_users() {
        let e = ok("type=USER_END msg=audit(2.0:3): pid=1 uid=0 auid=1000 ses=1 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=? addr=? terminal=/dev/pts/0 res=success'\u{1d}UID=\"root\" AUID=\"alice\" ID=\"alice\"");
        let user = e.user.clone().unwrap();
        assert_eq!(
            (user.uid.as_deref(), user.name.as_deref()),
            (Some("1000"), Some("alice"))
        );
        assert_eq!(e.activity_id, 2);
    }

    /// Values as a generator writes them: (text as written, value expected back).
    fn written_value() -> impl Strategy<Value = (String, String, &'static str)> {
        let text = "[a-zA-Z0-9/._:@,()-][a-zA-Z0-9 /._:@,()-]{0,20}[a-zA-Z0-9/._:@-]";
        prop_oneof![
            "[a-z0-9/._:@-]{1,20}".prop_map(|v| (v.clone(), v, "op")),
            text.prop_map(|v| (format!("\"{v}\""), v, "terminal")),
            text.prop_map(|v| (hex::encode_upper(&v), v, "acct")),
        ]
        .prop_filter("absent markers", |(_, v, _)| v != "?" && v != "(null)")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn anything_after_a_header_is_safe(body in "\\PC{0,200}", kind in prop::sample::select(AUTH_TYPES)) {
            let _ = parse(&format!("type={kind} msg=audit(1.000:1): {body}"), &mut ctx());
            let _ = parse(&format!("type={kind} msg=audit(1.000:1): msg='{body}"), &mut ctx());
            let _ = parse(&format!("node={body} type={kind} msg=audit({body}"), &mut ctx());
        }

        #[test]
        fn values_round_trip((written, value, key) in written_value(), nested in any::<bool>()) {
            let pair = format!("{key}={written}");
            let body = if nested && !written.contains('\'') {
                format!("pid=7 msg='{pair} res=success'")
            } else {
                format!("pid=7 {pair} res=success")
            };
            let mut f = Fields::default();
            f.scan(&body, 0);
            prop_assert_eq!(f.get(key), Some(value.as_str()));
            prop_assert_eq!(f.get("pid"), Some("7"));
            prop_assert_eq!(f.get("res"), Some("success"));
        }
    }
}
