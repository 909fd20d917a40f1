//! Linux-PAM module messages from syslog, from any program, as OCSF Authentication events.
//!
//! Two forms: the modern `pam_unix(SERVICE:TYPE): TEXT` message (any program's tag), and the
//! old (RHEL 4) tag `SERVICE(pam_unix)[pid]: TEXT`. Mapped texts: `authentication failure; k=v…`
//! and `check pass; user unknown` (Logon Failure), `N more authentication failures; …` (Logon
//! Failure with the count), `session opened for user X … by Y(uid=N)` (Logon Success),
//! `session closed for user X` (Logoff Success), account lock-outs of `pam_tally2` and
//! `pam_faillock`, and `pam_sss` results. Other texts are [`Unrecognized`].

use authtrail_model::Event;
use serde_json::{json, Value};

use crate::parse::build::{
    self, ProductInfo, AUTHENTICATION, FAILURE, LOGOFF, LOGON, REMOTE_INTERACTIVE, SUCCESS,
};
use crate::parse::syslog::SyslogLine;
use crate::parse::{ParseResult, Unrecognized};

/// The product on PAM's events.
pub const LINUX_PAM: ProductInfo = ProductInfo {
    name: "Linux-PAM",
    vendor: "Linux-PAM",
};

/// The `key=value` fields PAM writes after `authentication failure;`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PamFields<'a> {
    /// `logname=`: the login name of the process's terminal.
    pub logname: Option<&'a str>,
    /// `uid=`: the real uid of the calling process.
    pub uid: Option<&'a str>,
    /// `euid=`.
    pub euid: Option<&'a str>,
    /// `tty=`.
    pub tty: Option<&'a str>,
    /// `ruser=`: the requesting user (su's caller).
    pub ruser: Option<&'a str>,
    /// `rhost=`: the remote host, an address or a name.
    pub rhost: Option<&'a str>,
    /// `user=`: the user being authenticated.
    pub user: Option<&'a str>,
}

/// Read PAM's `logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root` (values may be
/// empty; unknown keys are ignored).
pub fn fields(text: &str) -> PamFields<'_> {
    let mut f = PamFields::default();
    for token in text.split(' ') {
        let Some((key, value)) = token.split_once('=') else {
            continue;
        };
        let slot = match key {
            "logname" => &mut f.logname,
            "uid" => &mut f.uid,
            "euid" => &mut f.euid,
            "tty" => &mut f.tty,
            "ruser" => &mut f.ruser,
            "rhost" => &mut f.rhost,
            "user" => &mut f.user,
            _ => continue,
        };
        *slot = Some(value);
    }
    f
}

/// Where the message came from: PAM module, service and management group.
struct Source<'a> {
    module: &'a str,
    service: &'a str,
    kind: Option<&'a str>,
}

/// What the message says.
struct Facts<'a> {
    activity: i32,
    status: i32,
    detail: Option<String>,
    user: Option<&'a str>,
    user_uid: Option<&'a str>,
    rhost: Option<&'a str>,
    actor: Option<(&'a str, Option<&'a str>)>,
    count: Option<u64>,
    fields: PamFields<'a>,
}

impl<'a> Facts<'a> {
    fn new(activity: i32, status: i32) -> Self {
        Facts {
            activity,
            status,
            detail: None,
            user: None,
            user_uid: None,
            rhost: None,
            actor: None,
            count: None,
            fields: PamFields::default(),
        }
    }

    fn detail(mut self, detail: &str) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Map one pam syslog message to an OCSF event.
pub fn parse(line: &SyslogLine<'_>) -> ParseResult {
    let (source, text) = split_source(line)?;
    let facts = classify(source.module, text.trim_end())
        .ok_or(Unrecognized::new("not a PAM authentication message"))?;
    Ok(build_event(line, &source, facts))
}

/// The module, service and type, and the text after them.
fn split_source<'a>(line: &'a SyslogLine<'a>) -> Result<(Source<'a>, &'a str), Unrecognized> {
    if let Some((head, text)) = line
        .message
        .starts_with("pam_")
        .then(|| line.message.split_once(": "))
        .flatten()
    {
        // `pam_unix(sshd:auth)`, or a bare `pam_ldap`.
        let (module, service, kind) = match head.split_once('(') {
            Some((module, inner)) => {
                let inner = inner.strip_suffix(')').unwrap_or(inner);
                match inner.split_once(':') {
                    Some((service, kind)) => (module, service, Some(kind)),
                    None => (module, inner, None),
                }
            }
            None => (head, line.program(), None),
        };
        return Ok((
            Source {
                module,
                service,
                kind,
            },
            text,
        ));
    }
    // Old form: tag `SERVICE(pam_MODULE)`.
    if let Some((service, module)) = line.app.split_once('(') {
        let module = module.strip_suffix(')').unwrap_or(module);
        if module.starts_with("pam_") {
            return Ok((
                Source {
                    module,
                    service,
                    kind: None,
                },
                line.message,
            ));
        }
    }
    Err(Unrecognized::new(
        "not a PAM message: no pam_module(service:type) prefix or service(pam_module) tag",
    ))
}

fn classify<'a>(module: &str, text: &'a str) -> Option<Facts<'a>> {
    if let Some(kv) = text
        .strip_prefix("authentication failure; ")
        .or_else(|| text.strip_prefix("Authentication failure; "))
    {
        let mut f = Facts::new(LOGON, FAILURE).detail("authentication failure");
        f.fields = fields(kv);
        return Some(with_fields(f));
    }
    if text.starts_with("check pass; user unknown") {
        return Some(Facts::new(LOGON, FAILURE).detail("user unknown"));
    }
    if let Some((n, kv)) = text.split_once(" more authentication failure") {
        let count: u64 = n.parse().ok()?;
        let kv = kv.strip_prefix('s').unwrap_or(kv);
        let mut f = Facts::new(LOGON, FAILURE).detail("more authentication failures");
        f.count = Some(count);
        f.fields = fields(kv.strip_prefix("; ").unwrap_or(kv));
        return Some(with_fields(f));
    }
    if let Some(rest) = text.strip_prefix("session opened for user ") {
        // `X[(uid=N)] by [Y](uid=M)`.
        let (who, by) = match rest.rsplit_once(" by ") {
            Some((who, by)) => (who, Some(by)),
            None => (rest, None),
        };
        let (user, user_uid) = name_and_uid(who);
        let mut f = Facts::new(LOGON, SUCCESS).detail("session opened");
        f.user = Some(user);
        f.user_uid = user_uid;
        if let Some(by) = by {
            let (name, uid) = name_and_uid(by);
            if !name.is_empty() || uid.is_some() {
                f.actor = Some((name, uid));
            }
        }
        return Some(f);
    }
    if let Some(rest) = text.strip_prefix("session closed for user ") {
        let (user, user_uid) = name_and_uid(rest);
        let mut f = Facts::new(LOGOFF, SUCCESS).detail("session closed");
        f.user = Some(user);
        f.user_uid = user_uid;
        return Some(f);
    }
    if let Some(rest) = text.strip_prefix("user ") {
        // pam_tally / pam_tally2: `user X (N) tally M, deny K`.
        if module.starts_with("pam_tally") {
            let (who, counts) = rest.split_once(" tally ")?;
            let (user, uid) = match who.split_once(" (") {
                Some((user, uid)) => (user, uid.strip_suffix(')')),
                None => (who, None),
            };
            let mut f = Facts::new(LOGON, FAILURE);
            f.detail = Some(format!("account locked by {module}: tally {counts}"));
            f.user = Some(user);
            f.user_uid = uid;
            return Some(f);
        }
    }
    if let Some(rest) = text.strip_prefix("Consecutive login failures for user ") {
        // pam_faillock: `Consecutive login failures for user X account temporarily locked`.
        let user = rest.split(' ').next().unwrap_or(rest);
        let mut f = Facts::new(LOGON, FAILURE)
            .detail("account temporarily locked after consecutive login failures");
        f.user = Some(user);
        return Some(f);
    }
    if module == "pam_faillock" && text.eq_ignore_ascii_case("user unknown") {
        return Some(Facts::new(LOGON, FAILURE).detail("user unknown"));
    }
    if let Some(rest) = text.strip_prefix("received for user ") {
        // pam_sss: `received for user X: N (REASON)`.
        let (user, result) = rest.rsplit_once(": ")?;
        let (code, reason) = result.split_once(' ').unwrap_or((result, ""));
        let reason = reason.trim_start_matches('(').trim_end_matches(')');
        let status = if code == "0" { SUCCESS } else { FAILURE };
        let mut f = Facts::new(LOGON, status).detail(if reason.is_empty() {
            "authentication result"
        } else {
            reason
        });
        f.user = Some(user);
        return Some(f);
    }
    if let Some(rest) = text.strip_prefix("account ") {
        if let Some((user, _)) = rest.split_once(" has expired") {
            let mut f = Facts::new(LOGON, FAILURE).detail("account expired");
            f.user = Some(user);
            return Some(f);
        }
    }
    None
}

/// User and remote host from the `key=value` fields.
fn with_fields(mut f: Facts<'_>) -> Facts<'_> {
    f.user = f.fields.user.filter(|u| !u.is_empty());
    f.rhost = f.fields.rhost.filter(|h| !h.is_empty());
    if let Some(ruser) = f.fields.ruser.filter(|r| !r.is_empty()) {
        f.actor = Some((ruser, f.fields.uid));
    }
    f
}

/// `name(uid=N)` or `name` (the name may be empty: `(uid=0)`).
fn name_and_uid(text: &str) -> (&str, Option<&str>) {
    match text.split_once("(uid=") {
        Some((name, uid)) => (name, uid.strip_suffix(')')),
        None => (text, None),
    }
}

fn build_event(line: &SyslogLine<'_>, source: &Source<'_>, f: Facts<'_>) -> Event {
    let mut e = build::new_event(
        AUTHENTICATION,
        f.activity,
        f.status,
        line.time_ms,
        LINUX_PAM,
    );
    e.message = Some(line.message.into());
    e.status_detail = f.detail;
    if let Some(name) = f.user.filter(|u| !u.is_empty()) {
        let mut user = build::user(name);
        user.uid = f.user_uid.map(Into::into);
        e.user = Some(user);
    }
    e.src_endpoint = f.rhost.map(|h| build::endpoint(h, None));
    line.mark_origin(&mut e, source.service);
    let remote = source.service == "sshd";
    if remote {
        e.logon_type_id = Some(REMOTE_INTERACTIVE);
    } else if let Some((name, uid)) = f.actor {
        // su, sudo, login: who ran the program.
        let mut user = serde_json::Map::new();
        if !name.is_empty() {
            user.insert("name".into(), Value::from(name));
        }
        if let Some(uid) = uid {
            user.insert("uid".into(), Value::from(uid));
        }
        e.actor = Some(json!({ "user": user }));
    }
    e.unmapped
        .insert("pam.module".into(), Value::from(source.module));
    if let Some(kind) = source.kind {
        e.unmapped.insert("pam.type".into(), Value::from(kind));
    }
    if let Some(tty) = f.fields.tty.filter(|t| !t.is_empty()) {
        e.unmapped.insert("pam.tty".into(), Value::from(tty));
    }
    if let Some(logname) = f.fields.logname.filter(|t| !t.is_empty()) {
        e.unmapped
            .insert("pam.logname".into(), Value::from(logname));
    }
    if let Some(n) = f.count {
        e.other.insert("count".into(), Value::from(n));
    }
    e
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::parse::build::{LOW, STATUS_UNKNOWN};
    use crate::parse::syslog::parse_header;
    use crate::parse::test_support::user;
    use crate::parse::{ParseConfig, ParseContext};

    /// 2026-11-27T00:00:00Z.
    const NOW_MS: i64 = 1_795_737_600_000;

    fn parse_line(text: &str) -> ParseResult {
        let mut ctx = ParseContext::new(Arc::new(ParseConfig::default()), NOW_MS);
        let line = parse_header(text, &mut ctx).expect("header");
        parse(&line)
    }

    fn event(text: &str) -> Event {
        let mut e = parse_line(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        e.normalize().expect("valid event");
        e
    }

    fn service(e: &Event) -> Option<&str> {
        e.service.as_ref().and_then(|s| s.name.as_deref())
    }

    fn session(e: &Event) -> Option<&str> {
        e.session.as_ref().and_then(|s| s.uid.as_deref())
    }

    fn src(e: &Event) -> Option<&str> {
        e.src_endpoint
            .as_ref()
            .and_then(|s| s.ip.as_deref().or(s.hostname.as_deref()))
    }

    #[test]
    fn fields_are_read_with_empty_values() {
        let f = fields("logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root");
        assert_eq!(f.logname, Some(""));
        assert_eq!(f.uid, Some("0"));
        assert_eq!(f.tty, Some("ssh"));
        assert_eq!(f.ruser, Some(""));
        assert_eq!(f.rhost, Some("1.2.3.4"));
        assert_eq!(f.user, Some("root"));
        assert_eq!(fields("nothing here"), PamFields::default());
    }

    #[test]
    fn modern_auth_failure_from_sshd() {
        let e = event("Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186  user=root");
        assert_eq!(
            (e.activity_id, e.status_id, e.severity_id),
            (LOGON, FAILURE, LOW)
        );
        assert_eq!(user(&e), Some("root"));
        assert_eq!(src(&e), Some("173.234.31.186"));
        assert_eq!(service(&e), Some("sshd"));
        assert_eq!(session(&e), Some("LabSZ/sshd[24200]"));
        assert_eq!(e.logon_type_id, Some(10));
        assert_eq!(e.actor, None);
        assert_eq!(e.unmapped.get("pam.module"), Some(&Value::from("pam_unix")));
        assert_eq!(e.unmapped.get("pam.type"), Some(&Value::from("auth")));
        let product = e.metadata.product.as_ref().expect("product");
        assert_eq!(product.name.as_deref(), Some("Linux-PAM"));
        // A host name in rhost, no user.
        let e = event("Dec 10 07:07:38 LabSZ sshd[24206]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=ec2.example.com");
        assert_eq!((user(&e), src(&e)), (None, Some("ec2.example.com")));
        assert_eq!(
            e.src_endpoint.as_ref().and_then(|s| s.hostname.as_deref()),
            Some("ec2.example.com")
        );
    }

    #[test]
    fn old_form_and_user_unknown() {
        let e = event("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ");
        assert_eq!((e.activity_id, e.status_id), (LOGON, FAILURE));
        assert_eq!(service(&e), Some("sshd"));
        assert_eq!(session(&e), Some("combo/sshd[19939]"));
        assert_eq!(src(&e), Some("218.188.2.4"));
        let e = event("Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown");
        assert_eq!(e.status_detail.as_deref(), Some("user unknown"));
        assert_eq!(e.status_id, FAILURE);
        let e = event("Nov 11 22:46:29 localhost sshd(pam_unix)[15794]: 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.3.1  user=root");
        assert_eq!(e.other.get("count"), Some(&Value::from(2)));
        assert_eq!(user(&e), Some("root"));
    }

    #[test]
    fn su_failure_names_the_caller_as_actor() {
        let e = event("Nov 11 22:46:29 localhost su(pam_unix)[23164]: authentication failure; logname= uid=1342 euid=0 tty= ruser=dcid rhost=  user=osaudit");
        assert_eq!((e.activity_id, e.status_id), (LOGON, FAILURE));
        assert_eq!(user(&e), Some("osaudit"));
        assert_eq!(src(&e), None);
        assert_eq!(service(&e), Some("su"));
        assert_eq!(e.logon_type_id, None);
        assert_eq!(
            e.actor,
            Some(json!({"user": {"name": "dcid", "uid": "1342"}}))
        );
    }

    #[test]
    fn sessions_open_and_close() {
        let e = event("Dec 10 09:32:20 LabSZ sshd[24680]: pam_unix(sshd:session): session opened for user fztu by (uid=0)");
        assert_eq!((e.activity_id, e.status_id), (LOGON, SUCCESS));
        assert_eq!(user(&e), Some("fztu"));
        assert_eq!(session(&e), Some("LabSZ/sshd[24680]"));
        assert_eq!(e.actor, None);
        let e = event("Dec 10 09:45:06 LabSZ sshd[24680]: pam_unix(sshd:session): session closed for user fztu");
        assert_eq!((e.activity_id, e.status_id), (LOGOFF, SUCCESS));
        assert_eq!(session(&e), Some("LabSZ/sshd[24680]"));
        let e = event("Mar  1 10:00:00 web1 su[812]: pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=1000)");
        assert_eq!(user(&e), Some("root"));
        assert_eq!(e.user.as_ref().and_then(|u| u.uid.as_deref()), Some("0"));
        assert_eq!(service(&e), Some("su-l"));
        assert_eq!(
            e.actor,
            Some(json!({"user": {"name": "alice", "uid": "1000"}}))
        );
        let e = event(
            "Jun 15 04:06:18 combo su(pam_unix)[21416]: session opened for user cyrus by (uid=0)",
        );
        assert_eq!(e.actor, Some(json!({"user": {"uid": "0"}})));
        let e = event("Jun 15 04:06:19 combo su(pam_unix)[21416]: session closed for user cyrus");
        assert_eq!((e.activity_id, user(&e)), (LOGOFF, Some("cyrus")));
    }

    #[test]
    fn lockouts_and_sss() {
        let e = event("Dec  7 14:53:04 vskub1master01p sudo: pam_tally2(sudo:auth): user zbadguy (4001) tally 6, deny 5");
        assert_eq!((e.activity_id, e.status_id), (LOGON, FAILURE));
        assert_eq!(user(&e), Some("zbadguy"));
        assert_eq!(e.user.as_ref().and_then(|u| u.uid.as_deref()), Some("4001"));
        assert_eq!(
            e.status_detail.as_deref(),
            Some("account locked by pam_tally2: tally 6, deny 5")
        );
        assert_eq!(service(&e), Some("sudo"));
        assert_eq!(session(&e), None);
        let e = event("Jan  2 03:04:05 h sshd[9]: pam_faillock(sshd:auth): Consecutive login failures for user root account temporarily locked");
        assert_eq!((e.status_id, user(&e)), (FAILURE, Some("root")));
        let e = event("Jan  2 03:04:05 h sshd[9]: pam_sss(sshd:auth): received for user bob: 7 (Authentication failure)");
        assert_eq!((e.status_id, user(&e)), (FAILURE, Some("bob")));
        assert_eq!(e.status_detail.as_deref(), Some("Authentication failure"));
        let e = event("Jan  2 03:04:05 h sshd[9]: pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4 user=bob");
        assert_eq!((e.status_id, user(&e)), (FAILURE, Some("bob")));
        assert_ne!(e.status_id, STATUS_UNKNOWN);
    }

    #[test]
    fn unknown_pam_messages_are_unrecognized() {
        for text in [
            "Jan  2 03:04:05 h sshd[9]: pam_unix(sshd:auth): something else",
            "Jan  2 03:04:05 h sshd[9]: pam_systemd(sshd:session): Failed to create session",
            "Jan  2 03:04:05 h cron(pam_unix)[9]: x",
            "Jan  2 03:04:05 h sshd[9]: pam_unix(sshd:auth) no colon",
            "Jan  2 03:04:05 h sshd[9]: pam_tally2(sshd:auth): user x",
        ] {
            assert!(parse_line(text).is_err(), "{text}");
        }
    }
}
