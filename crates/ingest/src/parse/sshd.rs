//! OpenSSH's sshd (and sshd-session) messages from syslog, as OCSF Authentication events.
//!
//! Logons (`Accepted`, `Failed`, `Invalid user`, `maximum authentication attempts exceeded`, an
//! authenticating user's connection closed), logoffs (`Disconnected from user`, a disconnect
//! after login), and the pre-authentication phase (closed connections, failed key exchange,
//! banners, reverse-DNS warnings) as activity Preauth. A connection that ends before any user
//! authenticated is a Preauth *Failure*: the exchange did not reach a logon. DNS warnings
//! (`POSSIBLE BREAK-IN ATTEMPT`) are Preauth with status Unknown: sshd goes on, and the logon
//! may still succeed or fail. Messages that are not about authentication are [`Unrecognized`].
//!
//! The parser works on `&str` slices only (no regex): `strip_prefix`, `split_once`, `rsplit_once`.

use authtrail_model::Event;
use serde_json::Value;

use crate::parse::build::{
    self, ProductInfo, AUTHENTICATION, FAILURE, LOGOFF, LOGON, MEDIUM, OTHER, PREAUTH,
    REMOTE_INTERACTIVE, STATUS_UNKNOWN, SUCCESS,
};
use crate::parse::pam;
use crate::parse::syslog::SyslogLine;
use crate::parse::{ParseResult, Unrecognized};

/// The product on sshd's events.
pub const OPENSSH: ProductInfo = ProductInfo {
    name: "OpenSSH",
    vendor: "OpenBSD",
};

/// What a message says, before it becomes an event.
#[derive(Default)]
struct Facts<'a> {
    activity: i32,
    status: i32,
    user: Option<&'a str>,
    addr: Option<&'a str>,
    port: Option<u16>,
    /// Host name sshd reported for the address (reverse-DNS warnings).
    src_hostname: Option<&'a str>,
    method: Option<&'a str>,
    detail: Option<&'a str>,
    status_code: Option<&'a str>,
    invalid_user: bool,
    medium: bool,
    key: Option<&'a str>,
    count: Option<u64>,
    /// Further `ssh.*` facts for `unmapped`.
    extra: Option<(&'static str, &'a str)>,
    /// The message ended in `[preauth]`.
    preauth: bool,
}

impl<'a> Facts<'a> {
    fn new(activity: i32, status: i32) -> Self {
        Facts {
            activity,
            status,
            ..Facts::default()
        }
    }

    fn detail(mut self, detail: &'a str) -> Self {
        self.detail = Some(detail);
        self
    }

    fn from(mut self, (addr, port): (&'a str, Option<u16>)) -> Self {
        self.addr = Some(addr);
        self.port = port;
        self
    }
}

/// Map one sshd syslog message to an OCSF event.
pub fn parse(line: &SyslogLine<'_>) -> ParseResult {
    let facts = classify(line.message)?;
    Ok(build_event(line, facts))
}

fn not_auth() -> Unrecognized {
    Unrecognized::new("not an authentication message")
}

/// What the message says, or why it is not one we map.
fn classify(message: &str) -> Result<Facts<'_>, Unrecognized> {
    let msg = message.trim_end();
    // Solaris puts `[ID 800047 auth.notice] ` before the message.
    let msg = match msg.strip_prefix("[ID ") {
        Some(rest) => rest.split_once("] ").map_or(msg, |(_, m)| m),
        None => msg,
    };
    let (msg, preauth) = match msg.strip_suffix("[preauth]") {
        Some(m) => (m.trim_end(), true),
        None => (msg, false),
    };
    let mut facts = classify_body(msg, preauth).ok_or_else(not_auth)?;
    facts.preauth = preauth;
    Ok(facts)
}

fn classify_body(msg: &str, preauth: bool) -> Option<Facts<'_>> {
    // Methods: Accepted/Failed/Postponed/Partial METHOD for [invalid user] USER from ADDR ...
    if let Some(rest) = msg.strip_prefix("Accepted ") {
        return attempt(rest, LOGON, SUCCESS);
    }
    if let Some(rest) = msg.strip_prefix("Failed ") {
        return attempt(rest, LOGON, FAILURE);
    }
    if let Some(rest) = msg.strip_prefix("Postponed ") {
        let mut f = attempt(rest, LOGON, STATUS_UNKNOWN)?;
        if f.invalid_user {
            // A method postponed for a user that does not exist can only fail.
            f.status = FAILURE;
            f.detail = Some("invalid user");
        } else {
            f.detail = Some("authentication postponed: in progress");
        }
        return Some(f);
    }
    if let Some(rest) = msg.strip_prefix("Partial ") {
        let f = attempt(rest, LOGON, STATUS_UNKNOWN)?;
        return Some(f.detail("partial success: more authentication required"));
    }
    if let Some(rest) = msg
        .strip_prefix("Invalid user ")
        .or_else(|| msg.strip_prefix("Illegal user "))
    {
        let (user, tail) = rest.rsplit_once(" from ")?;
        let mut f = Facts::new(LOGON, FAILURE)
            .detail("invalid user")
            .from(address(tail)?);
        f.user = Some(user);
        f.invalid_user = true;
        return Some(f);
    }
    if let Some(rest) = msg.strip_prefix("input_userauth_request: ") {
        let user = rest
            .strip_prefix("invalid user ")
            .or_else(|| rest.strip_prefix("illegal user "))?;
        let mut f = Facts::new(LOGON, FAILURE).detail("invalid user");
        f.user = Some(user);
        f.invalid_user = true;
        return Some(f);
    }
    if let Some(rest) = msg.strip_prefix("error: ") {
        return classify_error(rest, preauth);
    }
    if let Some(rest) = msg.strip_prefix("fatal: ") {
        return classify_fatal(rest, preauth);
    }
    if let Some(rest) = msg.strip_prefix("Disconnecting") {
        return disconnecting(rest);
    }
    if let Some(rest) = msg.strip_prefix("Disconnected from ") {
        return closed(rest, preauth, "disconnected before authentication");
    }
    if let Some(rest) = msg.strip_prefix("Connection closed by ") {
        return closed(rest, preauth, "connection closed before authentication");
    }
    if let Some(rest) = msg.strip_prefix("Connection reset by ") {
        return closed(rest, preauth, "connection reset before authentication");
    }
    if let Some(rest) = msg.strip_prefix("Received disconnect from ") {
        return received_disconnect(rest, preauth);
    }
    if let Some(rest) = msg.strip_prefix("reverse mapping checking getaddrinfo for ") {
        let (host, rest) = rest.split_once(" [")?;
        let (ip, rest) = rest.split_once(']')?;
        if !rest.contains("POSSIBLE BREAK") {
            return None;
        }
        let mut f = Facts::new(PREAUTH, STATUS_UNKNOWN)
            .detail("reverse DNS lookup of the address failed: possible break-in attempt")
            .from((ip, None));
        f.src_hostname = Some(host);
        f.medium = true;
        return Some(f);
    }
    if let Some(rest) = msg.strip_prefix("Address ") {
        let (ip, rest) = rest.split_once(" maps to ")?;
        let (host, rest) = rest.split_once(", but this does not map back")?;
        if !rest.contains("POSSIBLE BREAK") {
            return None;
        }
        let mut f = Facts::new(PREAUTH, STATUS_UNKNOWN)
            .detail("host name of the address does not map back to it: possible break-in attempt")
            .from((ip, None));
        f.src_hostname = Some(host);
        f.medium = true;
        return Some(f);
    }
    if let Some(rest) = msg.strip_prefix("PAM ") {
        return pam_more_failures(rest);
    }
    if let Some(rest) = msg.strip_prefix("Did not receive identification string from ") {
        return Some(
            Facts::new(PREAUTH, FAILURE)
                .detail("no identification string received")
                .from(address(rest)?),
        );
    }
    if let Some(rest) = msg.strip_prefix("Bad protocol version identification ") {
        let (version, tail) = rest.rsplit_once(" from ")?;
        let mut f = Facts::new(PREAUTH, FAILURE)
            .detail("bad protocol version identification")
            .from(address(tail)?);
        f.extra = Some(("ssh.client_version", trim_quotes(version)));
        return Some(f);
    }
    if let Some(rest) = msg.strip_prefix("Unable to negotiate ") {
        return unable_to_negotiate(rest);
    }
    if let Some(rest) = msg.strip_prefix("Timeout before authentication for ") {
        return Some(
            Facts::new(PREAUTH, FAILURE)
                .detail("timeout before authentication")
                .from(address(rest)?),
        );
    }
    if let Some(rest) = msg.strip_prefix("User ") {
        // `User X from ADDR not allowed because REASON` (AllowUsers, DenyUsers, groups, shell).
        let (who, _) = rest.split_once(" not allowed because ")?;
        let reason = rest.get(who.len() + 1..)?;
        let mut f = Facts::new(LOGON, FAILURE).detail(reason);
        match who.rsplit_once(" from ") {
            Some((user, tail)) => {
                f.user = Some(user);
                let (addr, port) = address(tail)?;
                f.addr = Some(addr);
                f.port = port;
            }
            None => f.user = Some(who),
        }
        return Some(f);
    }
    if let Some(rest) = msg.strip_prefix("Authentication refused: ") {
        return Some(Facts::new(LOGON, FAILURE).detail(rest));
    }
    if let Some(rest) = msg.strip_prefix("ssh_dispatch_run_fatal: Connection from ") {
        return connection_from(rest);
    }
    if let Some(rest) = msg.strip_prefix("banner exchange: Connection from ") {
        return connection_from(rest);
    }
    if let Some(rest) = msg.strip_prefix("refused connect from ") {
        // tcp_wrappers: `refused connect from HOST (IP)`.
        let (host, ip) = rest.rsplit_once(" (")?;
        let ip = ip.strip_suffix(')')?;
        let mut f = Facts::new(PREAUTH, FAILURE)
            .detail("connection refused by TCP wrappers")
            .from((ip, None));
        if host != ip {
            f.src_hostname = Some(host);
        }
        return Some(f);
    }
    if let Some(rest) = msg.strip_prefix("Magic value check failed (") {
        let (_, tail) = rest.split_once(" from ")?;
        return Some(
            Facts::new(PREAUTH, FAILURE)
                .detail("magic value check failed on obfuscated handshake")
                .from(address(tail)?),
        );
    }
    None
}

/// `error: …`.
fn classify_error(rest: &str, preauth: bool) -> Option<Facts<'_>> {
    if let Some(r) = rest.strip_prefix("maximum authentication attempts exceeded for ") {
        let (user, tail) = r.rsplit_once(" from ")?;
        let mut f = Facts::new(LOGON, FAILURE)
            .detail("maximum authentication attempts exceeded")
            .from(address(tail)?);
        set_user(&mut f, user);
        f.medium = true;
        return Some(f);
    }
    if let Some(r) = rest.strip_prefix("Received disconnect from ") {
        return received_disconnect(r, preauth);
    }
    if let Some(r) = rest.strip_prefix("PAM: ") {
        // `PAM: REASON for [illegal user] USER from ADDR`.
        let (reason, who) = r.split_once(" for ")?;
        let (user, tail) = who.rsplit_once(" from ")?;
        let mut f = Facts::new(LOGON, FAILURE)
            .detail(reason)
            .from(address(tail)?);
        set_user(&mut f, user);
        return Some(f);
    }
    if let Some(r) = rest.strip_prefix("kex_exchange_identification: ") {
        return Some(Facts::new(PREAUTH, FAILURE).detail(r));
    }
    None
}

/// `fatal: …`: named pre-authentication failures, and any other fatal error before login.
fn classify_fatal(rest: &str, preauth: bool) -> Option<Facts<'_>> {
    if let Some(r) = rest.strip_prefix("Unable to negotiate ") {
        return unable_to_negotiate(r);
    }
    if let Some(r) = rest.strip_prefix("Timeout before authentication for ") {
        return Some(
            Facts::new(PREAUTH, FAILURE)
                .detail("timeout before authentication")
                .from(address(r)?),
        );
    }
    if preauth {
        return Some(Facts::new(PREAUTH, FAILURE).detail(rest));
    }
    None
}

/// `Unable to negotiate with ADDR port N: REASON. Their offer: …` (or `a key exchange method`).
fn unable_to_negotiate(rest: &str) -> Option<Facts<'_>> {
    let Some(r) = rest.strip_prefix("with ") else {
        return Some(Facts::new(PREAUTH, FAILURE).detail(rest.trim_start()));
    };
    let (who, reason) = r.split_once(": ")?;
    let (reason, offer) = match reason.split_once(". Their offer: ") {
        Some((reason, offer)) => (reason, Some(offer)),
        None => (reason, None),
    };
    let mut f = Facts::new(PREAUTH, FAILURE)
        .detail(reason)
        .from(address(who)?);
    if let Some(offer) = offer {
        f.extra = Some(("ssh.client_offer", offer));
    }
    Some(f)
}

/// `ADDR port N: REASON` after `Connection from`.
fn connection_from(rest: &str) -> Option<Facts<'_>> {
    let (who, reason) = rest.split_once(": ")?;
    Some(
        Facts::new(PREAUTH, FAILURE)
            .detail(reason)
            .from(address(who)?),
    )
}

/// After `Accepted `/`Failed `: `METHOD for [invalid user ]USER from ADDR port N ssh2[: KEY]`.
fn attempt(rest: &str, activity: i32, status: i32) -> Option<Facts<'_>> {
    let (method, rest) = rest.split_once(" for ")?;
    if method.is_empty() || method.contains(' ') {
        return None;
    }
    let (user, tail) = rest.rsplit_once(" from ")?;
    let (addr, port, after) = address_rest(tail)?;
    let mut f = Facts::new(activity, status);
    f.addr = Some(addr);
    f.port = port;
    f.method = Some(method);
    set_user(&mut f, user);
    if let Some(key) = after.strip_prefix(": ") {
        f.key = Some(key);
    }
    if status == FAILURE {
        f.detail = Some(if f.invalid_user {
            "invalid user"
        } else {
            failure_detail(method)
        });
    }
    Some(f)
}

/// The failure reason of a failed method.
fn failure_detail(method: &str) -> &'static str {
    match base_method(method) {
        "password" => "wrong password",
        "publickey" => "public key not accepted",
        "keyboard-interactive" => "keyboard-interactive authentication failed",
        "none" => "authentication method none rejected",
        "hostbased" => "host-based authentication failed",
        "gssapi-with-mic" => "GSSAPI authentication failed",
        _ => "authentication failed",
    }
}

/// `keyboard-interactive/pam` → `keyboard-interactive`.
fn base_method(method: &str) -> &str {
    method.split_once('/').map_or(method, |(base, _)| base)
}

/// A user that may be written `invalid user X` (or the old `illegal user X`).
fn set_user<'a>(f: &mut Facts<'a>, user: &'a str) {
    match user
        .strip_prefix("invalid user ")
        .or_else(|| user.strip_prefix("illegal user "))
    {
        Some(u) => {
            f.user = Some(u);
            f.invalid_user = true;
        }
        None => f.user = Some(user),
    }
}

/// `Disconnecting…`: `: Too many authentication failures [for USER]`, `: REASON`, or the newer
/// `authenticating user X ADDR port N: REASON` / `invalid user X ADDR port N[: REASON]`.
fn disconnecting(rest: &str) -> Option<Facts<'_>> {
    if let Some(reason) = rest.strip_prefix(": ") {
        if let Some(r) = reason.strip_prefix("Too many authentication failures") {
            let mut f = Facts::new(LOGON, FAILURE).detail("too many authentication failures");
            f.medium = true;
            if let Some(user) = r.strip_prefix(" for ") {
                set_user(&mut f, user);
            }
            return Some(f);
        }
        return Some(Facts::new(PREAUTH, FAILURE).detail(reason));
    }
    let rest = rest.strip_prefix(' ')?;
    let (who, reason) = match rest.split_once(": ") {
        Some((who, reason)) => (who, Some(reason)),
        None => (rest, None),
    };
    let (kind, user, addr, port) = user_address(who)?;
    let mut f = Facts::new(LOGON, FAILURE);
    f.user = Some(user);
    f.addr = Some(addr);
    f.port = port;
    match kind {
        UserKind::Invalid => f.invalid_user = true,
        UserKind::Authenticating => {}
        UserKind::LoggedIn => return None,
    }
    f.detail = Some(match reason {
        Some(r) if r.starts_with("Too many authentication failures") => {
            f.medium = true;
            "too many authentication failures"
        }
        Some(r) => r,
        None if f.invalid_user => "invalid user",
        None => "disconnected during authentication",
    });
    Some(f)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum UserKind {
    Authenticating,
    Invalid,
    LoggedIn,
}

/// `authenticating user X ADDR port N`, `invalid user X ADDR port N`, `user X ADDR port N`.
fn user_address(who: &str) -> Option<(UserKind, &str, &str, Option<u16>)> {
    let (kind, rest) = if let Some(r) = who.strip_prefix("authenticating user ") {
        (UserKind::Authenticating, r)
    } else if let Some(r) = who.strip_prefix("invalid user ") {
        (UserKind::Invalid, r)
    } else if let Some(r) = who.strip_prefix("user ") {
        (UserKind::LoggedIn, r)
    } else {
        return None;
    };
    let (rest, port) = match rest.rsplit_once(" port ") {
        Some((r, p)) => (r, Some(p.parse().ok()?)),
        None => (rest, None),
    };
    let (user, addr) = rest.rsplit_once(' ')?;
    if !plausible_address(addr) {
        return None;
    }
    Some((kind, user, addr, port))
}

/// `Disconnected from …`, `Connection closed by …`, `Connection reset by …`.
fn closed<'a>(rest: &'a str, preauth: bool, no_user_detail: &'static str) -> Option<Facts<'a>> {
    if let Some((kind, user, addr, port)) = user_address(rest) {
        let mut f = match kind {
            UserKind::LoggedIn => Facts::new(LOGOFF, SUCCESS).detail("disconnected"),
            UserKind::Authenticating => {
                Facts::new(LOGON, FAILURE).detail("authentication abandoned: connection closed")
            }
            UserKind::Invalid => {
                let mut f = Facts::new(LOGON, FAILURE).detail("invalid user");
                f.invalid_user = true;
                f
            }
        };
        f.user = Some(user);
        f.addr = Some(addr);
        f.port = port;
        return Some(f);
    }
    let (addr, port, after) = address_rest(rest)?;
    if !after.is_empty() {
        return None;
    }
    let f = if preauth {
        Facts::new(PREAUTH, FAILURE).detail(no_user_detail)
    } else {
        Facts::new(LOGOFF, SUCCESS).detail("connection closed")
    };
    Some(f.from((addr, port)))
}

/// `ADDR port N:CODE: REASON` or the older `ADDR: CODE: REASON`.
fn received_disconnect(rest: &str, preauth: bool) -> Option<Facts<'_>> {
    let (addr, port, after) = address_rest(rest)?;
    let after = after.trim_start_matches([':', ' ']);
    let (code, reason) = after.split_once(':').unwrap_or(("", after));
    let (code, reason) = if code.bytes().all(|b| b.is_ascii_digit()) && !code.is_empty() {
        (Some(code), reason.trim())
    } else {
        (None, after.trim())
    };
    let mut f = if preauth {
        Facts::new(PREAUTH, FAILURE)
    } else {
        Facts::new(LOGOFF, SUCCESS)
    };
    f.status_code = code;
    f.detail = Some(if reason.is_empty() {
        "client disconnected"
    } else {
        reason
    });
    Some(f.from((addr, port)))
}

/// `N more authentication failure[s]; logname= … rhost=ADDR [user=X]` after `PAM `.
fn pam_more_failures(rest: &str) -> Option<Facts<'_>> {
    let (n, kv) = rest.split_once(" more authentication failure")?;
    let count: u64 = n.parse().ok()?;
    let kv = kv.strip_prefix('s').unwrap_or(kv).strip_prefix("; ")?;
    let fields = pam::fields(kv);
    let mut f = Facts::new(LOGON, FAILURE).detail("more authentication failures (PAM)");
    f.count = Some(count);
    f.user = fields.user.filter(|u| !u.is_empty());
    f.addr = fields.rhost.filter(|h| !h.is_empty());
    Some(f)
}

/// `ADDR[ port N]` and nothing after it.
fn address(text: &str) -> Option<(&str, Option<u16>)> {
    let (addr, port, after) = address_rest(text)?;
    let after = after.trim_start();
    if !after.is_empty() && !after.starts_with("ssh") && !after.starts_with(':') {
        return None;
    }
    Some((addr, port))
}

/// `ADDR[:][ port N][ ssh2]` and what follows it.
fn address_rest(text: &str) -> Option<(&str, Option<u16>, &str)> {
    let (addr, rest) = match text.find(' ') {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    let (addr, rest) = match addr.strip_suffix(':') {
        // `ADDR: reason` (older sshd); an IPv6 address may end in `::`, so keep one colon then.
        Some(a) if !rest.is_empty() || !a.ends_with(':') => (a, rest),
        _ => (addr, rest),
    };
    if !plausible_address(addr) {
        return None;
    }
    let mut port = None;
    let mut rest = rest;
    if let Some(r) = rest.strip_prefix(" port ") {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        port = Some(r[..digits].parse().ok()?);
        rest = &r[digits..];
    }
    let rest = rest
        .strip_prefix(" ssh2")
        .or_else(|| rest.strip_prefix(" ssh1"))
        .unwrap_or(rest);
    Some((addr, port, rest))
}

/// An IP address or host name: no spaces, not empty, only address and name characters.
fn plausible_address(addr: &str) -> bool {
    !addr.is_empty()
        && addr.len() <= 255
        && addr
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'-' | b'_' | b'%'))
}

fn trim_quotes(s: &str) -> &str {
    s.strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or(s)
}

/// The event for the facts.
fn build_event(line: &SyslogLine<'_>, f: Facts<'_>) -> Event {
    let mut e = build::new_event(AUTHENTICATION, f.activity, f.status, line.time_ms, OPENSSH);
    if f.medium {
        e.severity_id = MEDIUM;
    }
    e.message = Some(line.message.into());
    e.status_detail = f.detail.map(Into::into);
    e.status_code = f.status_code.map(Into::into);
    e.user = f.user.filter(|u| !u.is_empty()).map(build::user);
    if let Some(addr) = f.addr {
        let mut ep = build::endpoint(addr, f.port);
        if let Some(host) = f.src_hostname {
            if ep.hostname.is_none() {
                ep.hostname = Some(host.into());
            }
        }
        e.src_endpoint = Some(ep);
    }
    line.mark_origin(&mut e, "sshd");
    if let Some(method) = f.method {
        // `auth_protocol_id` Other: the SSH method is named in `auth_protocol`.
        e.auth_protocol_id = Some(OTHER);
        e.auth_protocol = Some(base_method(method).into());
        if let Some((_, sub)) = method.split_once('/') {
            e.unmapped
                .insert("ssh.auth_submethod".into(), Value::from(sub));
        }
    }
    if f.activity == LOGON || f.activity == LOGOFF {
        e.logon_type_id = Some(REMOTE_INTERACTIVE);
    }
    if let Some(key) = f.key {
        let mut parts = key.splitn(3, ' ');
        if let Some(kind) = parts.next() {
            e.unmapped.insert("ssh.key_type".into(), Value::from(kind));
        }
        if let Some(fp) = parts.next() {
            e.unmapped
                .insert("ssh.key_fingerprint".into(), Value::from(fp));
        }
        if let Some(more) = parts.next() {
            e.unmapped
                .insert("ssh.key_details".into(), Value::from(more));
        }
    }
    if f.invalid_user {
        e.unmapped
            .insert("ssh.invalid_user".into(), Value::Bool(true));
    }
    if let Some((k, v)) = f.extra {
        e.unmapped.insert(k.into(), Value::from(v));
    }
    if f.preauth {
        e.unmapped.insert("ssh.preauth".into(), Value::Bool(true));
    }
    if let Some(n) = f.count {
        e.other.insert("count".into(), Value::from(n));
    }
    e
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;
    use crate::parse::build::{INFORMATIONAL, LOW};
    use crate::parse::syslog::parse_header;
    use crate::parse::test_support::user;
    use crate::parse::{ParseConfig, ParseContext};

    /// 2026-11-27T00:00:00Z.
    const NOW_MS: i64 = 1_795_737_600_000;

    fn ctx() -> ParseContext {
        ParseContext::new(Arc::new(ParseConfig::default()), NOW_MS)
    }

    fn parse_msg(message: &str) -> ParseResult {
        let text = format!("Dec 10 06:55:46 LabSZ sshd[24200]: {message}");
        let line = parse_header(&text, &mut ctx()).expect("header");
        parse(&line)
    }

    fn event(message: &str) -> Event {
        let mut e = parse_msg(message).unwrap_or_else(|e| panic!("{message}: {e}"));
        e.normalize().expect("valid event");
        e
    }

    fn outcome(e: &Event) -> (i32, i32) {
        (e.activity_id, e.status_id)
    }

    fn src(e: &Event) -> (Option<&str>, Option<u16>) {
        let s = e.src_endpoint.as_ref();
        (
            s.and_then(|s| s.ip.as_deref().or(s.hostname.as_deref())),
            s.and_then(|s| s.port),
        )
    }

    fn unmapped<'a>(e: &'a Event, key: &str) -> Option<&'a Value> {
        e.unmapped.get(key)
    }

    #[test]
    fn accepted_publickey_with_key_and_session() {
        let e = event(
            "Accepted publickey for vagrant from 192.168.121.1 port 56296 ssh2: RSA SHA256:1M4Rz",
        );
        assert_eq!(outcome(&e), (LOGON, SUCCESS));
        assert_eq!(e.severity_id, INFORMATIONAL);
        assert_eq!(user(&e), Some("vagrant"));
        assert_eq!(src(&e), (Some("192.168.121.1"), Some(56296)));
        assert_eq!(e.auth_protocol_id, Some(99));
        assert_eq!(e.auth_protocol.as_deref(), Some("publickey"));
        assert_eq!(e.logon_type_id, Some(10));
        assert_eq!(
            e.session.as_ref().and_then(|s| s.uid.as_deref()),
            Some("LabSZ/sshd[24200]")
        );
        assert_eq!(
            e.dst_endpoint.as_ref().and_then(|d| d.hostname.as_deref()),
            Some("LabSZ")
        );
        assert_eq!(
            e.service.as_ref().and_then(|s| s.name.as_deref()),
            Some("sshd")
        );
        assert_eq!(unmapped(&e, "ssh.key_type"), Some(&Value::from("RSA")));
        assert_eq!(
            unmapped(&e, "ssh.key_fingerprint"),
            Some(&Value::from("SHA256:1M4Rz"))
        );
        let product = e.metadata.product.as_ref().expect("product");
        assert_eq!(product.name.as_deref(), Some("OpenSSH"));
        assert_eq!(product.vendor_name.as_deref(), Some("OpenBSD"));
    }

    #[test]
    fn accepted_password_and_keyboard_interactive() {
        let e = event("Accepted password for fztu from 119.137.62.142 port 49116 ssh2");
        assert_eq!(outcome(&e), (LOGON, SUCCESS));
        assert_eq!(e.auth_protocol.as_deref(), Some("password"));
        let e = event("Accepted keyboard-interactive/pam for bob from 2001:db8::7 port 22 ssh2");
        assert_eq!(e.auth_protocol.as_deref(), Some("keyboard-interactive"));
        assert_eq!(
            unmapped(&e, "ssh.auth_submethod"),
            Some(&Value::from("pam"))
        );
        assert_eq!(src(&e), (Some("2001:db8::7"), Some(22)));
    }

    #[test]
    fn failed_methods_and_invalid_users() {
        let e = event("Failed password for root from 5.36.59.76 port 42393 ssh2");
        assert_eq!(outcome(&e), (LOGON, FAILURE));
        assert_eq!(e.severity_id, LOW);
        assert_eq!(e.status_detail.as_deref(), Some("wrong password"));
        assert_eq!(user(&e), Some("root"));
        assert_eq!(unmapped(&e, "ssh.invalid_user"), None);
        let e =
            event("Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2");
        assert_eq!(user(&e), Some("webmaster"));
        assert_eq!(e.status_detail.as_deref(), Some("invalid user"));
        assert_eq!(unmapped(&e, "ssh.invalid_user"), Some(&Value::Bool(true)));
        let e = event("Failed none for invalid user 0 from 5.188.10.180 port 49811 ssh2");
        assert_eq!(e.auth_protocol.as_deref(), Some("none"));
        assert_eq!(user(&e), Some("0"));
        let e = event("Failed publickey for git from fe80::1%eth0 port 4 ssh2: ED25519 SHA256:x");
        assert_eq!(e.auth_protocol.as_deref(), Some("publickey"));
        assert_eq!(src(&e).1, Some(4));
        let e =
            event("Failed keyboard-interactive/pam for invalid user u from 172.18.1.1 port 3 ssh2");
        assert_eq!(outcome(&e), (LOGON, FAILURE));
        // A user name with spaces, and one that looks like the next field.
        let e = event("Failed password for invalid user a b from 1.2.3.4 port 5 ssh2");
        assert_eq!(user(&e), Some("a b"));
        let e = event("Failed password for from from 1.2.3.4 port 5 ssh2");
        assert_eq!(user(&e), Some("from"));
    }

    #[test]
    fn invalid_user_forms() {
        for msg in [
            "Invalid user webmaster from 173.234.31.186",
            "Invalid user webmaster from 173.234.31.186 port 53502",
            "input_userauth_request: invalid user webmaster [preauth]",
            "Illegal user webmaster from 173.234.31.186",
        ] {
            let e = event(msg);
            assert_eq!(outcome(&e), (LOGON, FAILURE), "{msg}");
            assert_eq!(user(&e), Some("webmaster"), "{msg}");
            assert_eq!(e.status_detail.as_deref(), Some("invalid user"), "{msg}");
            assert_eq!(e.message.as_deref(), Some(msg));
        }
        let e = event("input_userauth_request: invalid user webmaster [preauth]");
        assert_eq!(unmapped(&e, "ssh.preauth"), Some(&Value::Bool(true)));
        // An empty user name is no user.
        let e = event("Invalid user  from 1.2.3.4 port 22");
        assert_eq!(user(&e), None);
    }

    #[test]
    fn too_many_failures_are_medium() {
        for (msg, who) in [
            (
                "error: maximum authentication attempts exceeded for invalid user badguy from 192.168.33.1 port 55146 ssh2 [preauth]",
                "badguy",
            ),
            (
                "error: maximum authentication attempts exceeded for root from 183.106.179.1 port 34100 ssh2 [preauth]",
                "root",
            ),
            ("Disconnecting: Too many authentication failures for admin [preauth]", "admin"),
            (
                "Disconnecting authenticating user root 1.2.3.4 port 22: Too many authentication failures [preauth]",
                "root",
            ),
            (
                "Disconnecting invalid user oracle 1.2.3.4 port 22: Too many authentication failures [preauth]",
                "oracle",
            ),
        ] {
            let e = event(msg);
            assert_eq!(outcome(&e), (LOGON, FAILURE), "{msg}");
            assert_eq!(e.severity_id, MEDIUM, "{msg}");
            assert_eq!(user(&e), Some(who), "{msg}");
        }
        let e = event("Disconnecting: Too many authentication failures [preauth]");
        assert_eq!((e.severity_id, user(&e)), (MEDIUM, None));
    }

    #[test]
    fn abandoned_authentications_are_logon_failures() {
        for msg in [
            "Disconnected from authenticating user ftp 92.255.85.135 port 26138 [preauth]",
            "Connection closed by authenticating user ftp 92.255.85.135 port 26138 [preauth]",
            "Connection reset by authenticating user ftp 92.255.85.135 port 26138 [preauth]",
            "Connection closed by invalid user ftp 92.255.85.135 port 26138 [preauth]",
        ] {
            let e = event(msg);
            assert_eq!(outcome(&e), (LOGON, FAILURE), "{msg}");
            assert_eq!(user(&e), Some("ftp"), "{msg}");
            assert_eq!(src(&e), (Some("92.255.85.135"), Some(26138)), "{msg}");
        }
        assert!(
            parse_msg("Disconnected from totobad user ftp 92.255.85.135 port 26138 [preauth]")
                .is_err()
        );
    }

    #[test]
    fn preauth_closes_are_preauth_failures() {
        for (msg, ip, port) in [
            ("Connection closed by 173.234.31.186 [preauth]", "173.234.31.186", None),
            ("Connection closed by 118.27.24.104 port 33594 [preauth]", "118.27.24.104", Some(33594)),
            ("Disconnected from 2001:db8::1 port 22 [preauth]", "2001:db8::1", Some(22)),
            ("Received disconnect from 52.80.34.196: 11: Bye Bye [preauth]", "52.80.34.196", None),
            ("Received disconnect from 2001:db8::1 port 4:11: Bye Bye [preauth]", "2001:db8::1", Some(4)),
            ("error: Received disconnect from 103.99.0.122: 14: No more user authentication methods available. [preauth]", "103.99.0.122", None),
            ("Did not receive identification string from 123.235.32.19", "123.235.32.19", None),
            ("Did not receive identification string from 172.18.1.1 port 45824", "172.18.1.1", Some(45824)),
            ("Bad protocol version identification 'ls' from 172.18.1.1 port 59920", "172.18.1.1", Some(59920)),
            ("Unable to negotiate with 206.189.59.169 port 34386: no matching host key type found. Their offer: ssh-rsa,ssh-dss [preauth]", "206.189.59.169", Some(34386)),
            ("fatal: Unable to negotiate with 108.229.36.174: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]", "108.229.36.174", None),
            ("fatal: Timeout before authentication for 192.168.9.212 port 47056", "192.168.9.212", Some(47056)),
        ] {
            let e = event(msg);
            assert_eq!(outcome(&e), (PREAUTH, FAILURE), "{msg}");
            assert_eq!(src(&e), (Some(ip), port), "{msg}");
            assert_eq!(user(&e), None, "{msg}");
            assert_eq!(e.logon_type_id, None, "{msg}");
        }
        let e = event("Received disconnect from 52.80.34.196: 11: Bye Bye [preauth]");
        assert_eq!(e.status_code.as_deref(), Some("11"));
        assert_eq!(e.status_detail.as_deref(), Some("Bye Bye"));
        let e = event("Unable to negotiate with 1.2.3.4 port 5: no matching MAC found. Their offer: a,b [preauth]");
        assert_eq!(e.status_detail.as_deref(), Some("no matching MAC found"));
        assert_eq!(unmapped(&e, "ssh.client_offer"), Some(&Value::from("a,b")));
        let e = event("fatal: Write failed: Connection reset by peer [preauth]");
        assert_eq!(outcome(&e), (PREAUTH, FAILURE));
        assert_eq!(
            e.status_detail.as_deref(),
            Some("Write failed: Connection reset by peer")
        );
    }

    #[test]
    fn logoffs() {
        let e = event("Disconnected from user alice 10.0.0.5 port 50000");
        assert_eq!(outcome(&e), (LOGOFF, SUCCESS));
        assert_eq!(user(&e), Some("alice"));
        assert_eq!(src(&e), (Some("10.0.0.5"), Some(50000)));
        assert_eq!(e.logon_type_id, Some(10));
        let e = event("Received disconnect from 119.137.62.142: 11: disconnected by user");
        assert_eq!(outcome(&e), (LOGOFF, SUCCESS));
        let e = event("Received disconnect from 10.0.0.5 port 50000:11: disconnected by user");
        assert_eq!(outcome(&e), (LOGOFF, SUCCESS));
        assert_eq!(src(&e), (Some("10.0.0.5"), Some(50000)));
        assert_eq!(e.status_detail.as_deref(), Some("disconnected by user"));
    }

    #[test]
    fn break_in_warnings_are_preauth_unknown_medium() {
        let e = event("reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!");
        assert_eq!(outcome(&e), (PREAUTH, STATUS_UNKNOWN));
        assert_eq!(e.severity_id, MEDIUM);
        let s = e.src_endpoint.as_ref().expect("src");
        assert_eq!(s.ip.as_deref(), Some("173.234.31.186"));
        assert_eq!(s.hostname.as_deref(), Some("ns.marryaldkfaczcz.com"));
        let e = event("Address 192.168.18.54 maps to nmap.18.168.192.in-addr.arpa, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!");
        assert_eq!(
            (outcome(&e), e.severity_id),
            ((PREAUTH, STATUS_UNKNOWN), MEDIUM)
        );
        assert_eq!(src(&e).0, Some("192.168.18.54"));
    }

    #[test]
    fn pam_more_failures_counts() {
        let e = event("PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=106.5.5.195  user=root");
        assert_eq!(outcome(&e), (LOGON, FAILURE));
        assert_eq!(e.other.get("count"), Some(&Value::from(5)));
        assert_eq!(user(&e), Some("root"));
        assert_eq!(src(&e).0, Some("106.5.5.195"));
        let e = event("PAM 1 more authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.188.10.180");
        assert_eq!(
            (e.other.get("count"), user(&e)),
            (Some(&Value::from(1)), None)
        );
    }

    #[test]
    fn other_auth_failures() {
        let e = event("User root from 192.168.33.1 not allowed because not listed in AllowUsers");
        assert_eq!(outcome(&e), (LOGON, FAILURE));
        assert_eq!(user(&e), Some("root"));
        assert_eq!(
            e.status_detail.as_deref(),
            Some("not allowed because not listed in AllowUsers")
        );
        let e =
            event("error: PAM: Authentication failure for illegal user badguy from 192.168.33.1");
        assert_eq!((outcome(&e), user(&e)), ((LOGON, FAILURE), Some("badguy")));
        assert_eq!(unmapped(&e, "ssh.invalid_user"), Some(&Value::Bool(true)));
        let e = event("Postponed keyboard-interactive for invalid user warez from 192.241.237.101 port 54197 ssh2 [preauth]");
        assert_eq!(outcome(&e), (LOGON, FAILURE));
        let e = event("Postponed publickey for alice from 10.0.0.1 port 22 ssh2 [preauth]");
        assert_eq!(outcome(&e), (LOGON, STATUS_UNKNOWN));
        let e =
            event("[ID 800047 auth.notice] Failed none for root from 192.168.1.1 port 36942 ssh2");
        assert_eq!((outcome(&e), user(&e)), ((LOGON, FAILURE), Some("root")));
    }

    #[test]
    fn non_authentication_messages_are_unrecognized() {
        for msg in [
            "Server listening on 0.0.0.0 port 22.",
            "Received signal 15; terminating.",
            "subsystem request for sftp by user alice",
            "PAM service(sshd) ignoring max retries; 6 > 3",
            "Connection from 1.2.3.4 port 5 on 10.0.0.1 port 22",
            "fatal: mm_request_receive: read: Connection reset by peer",
            "",
            "Accepted",
            "Failed password for",
            "Received disconnect from",
        ] {
            let e = parse_msg(msg).expect_err(msg);
            assert_eq!(e.0, "not an authentication message", "{msg}");
        }
    }

    fn arb_ip() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<std::net::Ipv4Addr>().prop_map(|ip| ip.to_string()),
            any::<std::net::Ipv6Addr>().prop_map(|ip| ip.to_string()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_messages_never_panic(msg in "\\PC{0,120}") {
            let _ = parse_msg(&msg);
            let _ = parse_msg(&format!("{msg} [preauth]"));
            let _ = parse_msg(&format!("Failed {msg}"));
            let _ = parse_msg(&format!("Received disconnect from {msg}"));
            let _ = parse_msg(&format!("Disconnecting {msg}"));
        }

        #[test]
        fn structured_prefixes_with_noise_never_panic(
            prefix in prop::sample::select(vec![
                "Accepted ", "Failed ", "Invalid user ", "Connection closed by ",
                "Disconnected from ", "error: maximum authentication attempts exceeded for ",
                "PAM ", "reverse mapping checking getaddrinfo for ", "Address ",
                "User ", "Unable to negotiate ", "refused connect from ",
                "Magic value check failed (", "error: PAM: ", "fatal: ",
            ]),
            rest in "[ a-z0-9:.\\[\\]()=;]{0,60}",
        ) {
            let _ = parse_msg(&format!("{prefix}{rest}"));
        }

        #[test]
        fn failed_password_round_trips(
            user in "[a-zA-Z0-9_.-]{1,32}",
            ip in arb_ip(),
            port in any::<u16>(),
            invalid in any::<bool>(),
        ) {
            let who = if invalid { format!("invalid user {user}") } else { user.clone() };
            let e = event(&format!("Failed password for {who} from {ip} port {port} ssh2"));
            prop_assert_eq!(outcome(&e), (LOGON, FAILURE));
            prop_assert_eq!(e.user.as_ref().and_then(|u| u.name.as_deref()), Some(user.as_str()));
            let s = e.src_endpoint.as_ref().expect("src");
            prop_assert_eq!(s.ip.as_deref(), Some(ip.as_str()));
            prop_assert_eq!(s.port, Some(port));
            prop_assert_eq!(e.unmapped.contains_key("ssh.invalid_user"), invalid);
        }
    }
}
