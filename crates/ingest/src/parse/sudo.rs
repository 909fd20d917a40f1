//! sudo messages from syslog: `USER : [REASON ; ]TTY=… ; PWD=… ; USER=… ; COMMAND=…`.
//!
//! - No reason: the command was run → Authorize Session / Assign Privileges, Success, with the
//!   target user in `privileges` (and `unmapped["sudo.target_user"]`).
//! - `N incorrect password attempt(s)` → Authentication / Logon, Failure, `count` = N;
//!   `a password is required` → Logon, Failure (the password was never checked).
//! - `command not allowed`, `user NOT in sudoers`, `user NOT authorized on host` and any other
//!   reason sudo gives for not running the command → Authorize Session, Failure, the reason as
//!   `status_detail`.
//! - `unable to resolve host …` and `problem with defaults entries` are configuration warnings,
//!   not authentication events: Unrecognized.
//!
//! `user` is the invoking user; the `KEY=value` fields go to `unmapped["sudo.<key>"]` (`COMMAND`
//! is the rest of the line: a command may hold ` ; `). Messages beginning `pam_` are PAM's.

use serde_json::Value;

use crate::parse::build::{
    self, ProductInfo, ASSIGN_PRIVILEGES, AUTHENTICATION, AUTHORIZE_SESSION, FAILURE, LOGON,
    SUCCESS,
};
use crate::parse::syslog::SyslogLine;
use crate::parse::{ParseResult, Unrecognized};

const PRODUCT: ProductInfo = ProductInfo {
    name: "sudo",
    vendor: "sudo project",
};

/// Map one sudo syslog message to an OCSF event.
pub fn parse(line: &SyslogLine<'_>) -> ParseResult {
    let message = line.message.trim();
    if message.starts_with("pam_") {
        return Err(Unrecognized::new("PAM module message (the PAM parser's)"));
    }
    if message.starts_with("unable to resolve host") {
        return Err(Unrecognized::new(
            "host name resolution warning, not an authentication event",
        ));
    }
    let Some((user, rest)) = message.split_once(" : ") else {
        return Err(Unrecognized::new(
            "message is not `USER : …` (no command log entry)",
        ));
    };
    let user = user.trim();
    if user.is_empty() || user.contains(' ') {
        return Err(Unrecognized::new(
            "message is not `USER : …` (no command log entry)",
        ));
    }
    let entry = Entry::parse(rest);
    let (class, activity, status) = match entry.reason {
        None => (AUTHORIZE_SESSION, ASSIGN_PRIVILEGES, SUCCESS),
        Some(r) if r.starts_with("unable to resolve host") => {
            return Err(Unrecognized::new(
                "host name resolution warning, not an authentication event",
            ))
        }
        Some(r) if r.starts_with("problem with defaults entries") => {
            return Err(Unrecognized::new(
                "sudoers configuration warning, not an authentication event",
            ))
        }
        Some(r) if password_attempts(r).is_some() || r == "a password is required" => {
            (AUTHENTICATION, LOGON, FAILURE)
        }
        Some(_) => (AUTHORIZE_SESSION, ASSIGN_PRIVILEGES, FAILURE),
    };
    if entry.reason.is_none() && entry.fields.is_empty() && entry.command.is_none() {
        return Err(Unrecognized::new("`USER :` entry without fields or reason"));
    }
    let mut event = build::new_event(class, activity, status, line.time_ms, PRODUCT);
    event.user = Some(build::user(user));
    event.status_detail = entry.reason.map(str::to_string);
    line.mark_origin(&mut event, "sudo");
    if let Some(n) = entry.reason.and_then(password_attempts) {
        event.other.insert("count".into(), Value::from(n));
    }
    let target = entry.field("USER");
    if let Some(target) = target {
        if class == AUTHORIZE_SESSION {
            event
                .other
                .insert("privileges".into(), Value::Array(vec![Value::from(target)]));
        }
        event
            .unmapped
            .insert("sudo.target_user".into(), Value::from(target));
    }
    for (key, value) in &entry.fields {
        if *key != "USER" {
            event.unmapped.insert(
                format!("sudo.{}", key.to_ascii_lowercase()),
                Value::from(*value),
            );
        }
    }
    if let Some(command) = entry.command {
        event
            .unmapped
            .insert("sudo.command".into(), Value::from(command));
    }
    Ok(event)
}

/// N of `N incorrect password attempt(s)`.
fn password_attempts(reason: &str) -> Option<u64> {
    let (n, rest) = reason.split_once(' ')?;
    matches!(
        rest,
        "incorrect password attempt" | "incorrect password attempts"
    )
    .then(|| n.parse().ok())
    .flatten()
}

/// The part of a sudo log entry after `USER : `.
#[derive(Debug, Default)]
struct Entry<'a> {
    /// Why the command was not run (the text before the first `KEY=` field).
    reason: Option<&'a str>,
    /// `KEY=value` fields but `COMMAND`, in order.
    fields: Vec<(&'a str, &'a str)>,
    /// `COMMAND=`: the rest of the entry.
    command: Option<&'a str>,
}

impl<'a> Entry<'a> {
    fn parse(text: &'a str) -> Entry<'a> {
        let mut entry = Entry::default();
        let mut rest = text.trim();
        let mut reason_parts: Option<&'a str> = None;
        while !rest.is_empty() {
            if let Some(command) = rest.strip_prefix("COMMAND=") {
                entry.command = Some(command.trim_end());
                break;
            }
            let (part, next) = match rest.split_once(" ; ") {
                Some((p, n)) => (p, n),
                None => (rest.strip_suffix(" ;").unwrap_or(rest), ""),
            };
            match field(part) {
                Some(kv) => entry.fields.push(kv),
                None if entry.fields.is_empty() && reason_parts.is_none() => {
                    reason_parts = Some(part.trim());
                }
                // Text after the fields (or a second reason): keep it with the reason.
                None => {}
            }
            rest = next.trim_start();
        }
        entry.reason = reason_parts.filter(|r| !r.is_empty());
        entry
    }

    fn field(&self, key: &str) -> Option<&'a str> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// `KEY=value` with an upper-case key, as sudo writes its fields.
fn field(part: &str) -> Option<(&str, &str)> {
    let (key, value) = part.split_once('=')?;
    (!key.is_empty() && key.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        .then_some((key, value))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use authtrail_model::Event;
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::parse::syslog::{dispatch, parse_header};
    use crate::parse::{ParseConfig, ParseContext, Parser};

    fn ctx() -> ParseContext {
        ParseContext::new(Arc::new(ParseConfig::default()), 1_795_737_600_000)
    }

    fn run(text: &str) -> ParseResult {
        let mut c = ctx();
        let line = parse_header(text, &mut c).unwrap();
        parse(&line).map(|mut e| {
            e.normalize().unwrap();
            e
        })
    }

    fn un<'a>(e: &'a Event, key: &str) -> Option<&'a str> {
        e.unmapped.get(key).and_then(|v| v.as_str())
    }

    #[test]
    fn a_command_run_is_an_assignment_of_privileges() {
        let e = run("Apr 27 15:22:23 niban sudo:     dcid : TTY=pts/4 ; PWD=/home/dcid ; USER=root ; TSID=0000UM ; COMMAND=/usr/bin/tail /var/log/x ; echo").unwrap();
        assert_eq!((e.class_uid, e.activity_id, e.status_id), (3003, 1, 1));
        assert_eq!(e.user.as_ref().unwrap().name.as_deref(), Some("dcid"));
        assert_eq!(e.other.get("privileges"), Some(&json!(["root"])));
        assert_eq!(un(&e, "sudo.target_user"), Some("root"));
        assert_eq!(
            un(&e, "sudo.command"),
            Some("/usr/bin/tail /var/log/x ; echo")
        );
        assert_eq!(un(&e, "sudo.tty"), Some("pts/4"));
        assert_eq!(un(&e, "sudo.pwd"), Some("/home/dcid"));
        assert_eq!(un(&e, "sudo.tsid"), Some("0000UM"));
        assert_eq!(e.status_detail, None);
        // Authorize Session has no `service`: the product names sudo.
        assert_eq!(e.service, None);
        assert_eq!(
            e.dst_endpoint.as_ref().unwrap().hostname.as_deref(),
            Some("niban")
        );
        assert_eq!(e.session, None, "no pid, no process session");
        let product = e.metadata.product.unwrap();
        assert_eq!(
            (product.name.as_deref(), product.vendor_name.as_deref()),
            (Some("sudo"), Some("sudo project"))
        );
        let e =
            run("Apr 27 15:22:23 h sudo[99]: a : TTY=pts/4 ; PWD=/ ; USER=root ; COMMAND=/bin/ls")
                .unwrap();
        assert_eq!(e.session.unwrap().uid.as_deref(), Some("h/sudo[99]"));
    }

    #[test]
    fn denials_are_failed_authorizations() {
        for (text, detail) in [
            ("Apr 13 08:36:31 ix sudo:     ddp2 : user NOT in sudoers ; TTY=ttypZ ; PWD=/home/ddp2 ; USER=root ; COMMAND=/bin/ls", "user NOT in sudoers"),
            ("Apr 13 08:36:31 ix sudo: bob : command not allowed ; TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/sh", "command not allowed"),
            ("Apr 13 08:36:31 ix sudo: bob : user NOT authorized on host ; TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/sh", "user NOT authorized on host"),
        ] {
            let e = run(text).unwrap();
            assert_eq!((e.class_uid, e.activity_id, e.status_id), (3003, 1, 2), "{text}");
            assert_eq!(e.status_detail.as_deref(), Some(detail));
            assert_eq!(un(&e, "sudo.target_user"), Some("root"));
            assert_eq!(e.other.get("privileges"), Some(&json!(["root"])));
        }
    }

    #[test]
    fn password_failures_are_failed_logons() {
        let e = run("Jun 25 16:15:45 precise32 sudo:     mike : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/ls").unwrap();
        assert_eq!((e.class_uid, e.activity_id, e.status_id), (3002, 1, 2));
        assert_eq!(e.other.get("count"), Some(&json!(3)));
        assert_eq!(
            e.other.get("privileges"),
            None,
            "not an attribute of Authentication"
        );
        assert_eq!(un(&e, "sudo.target_user"), Some("root"));
        assert_eq!(un(&e, "sudo.command"), Some("/bin/ls"));
        let e = run("Jun 25 15:51:13 precise32 sudo:     mike : 1 incorrect password attempt ; TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/ls").unwrap();
        assert_eq!(e.other.get("count"), Some(&json!(1)));
        let e = run("Jun 25 15:51:13 h sudo: mike : a password is required ; TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/ls").unwrap();
        assert_eq!((e.class_uid, e.status_id), (3002, 2));
        assert_eq!(e.status_detail.as_deref(), Some("a password is required"));
        assert_eq!(e.other.get("count"), None);
    }

    #[test]
    fn warnings_and_pam_lines_are_not_sudo_events() {
        for text in [
            "Jun 25 15:51:13 h sudo: mike : unable to resolve host h: Name or service not known ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls",
            "Jun 25 15:51:13 h sudo: unable to resolve host h: Name or service not known",
            "Jun 25 15:51:13 h sudo: pam_unix(sudo:auth): authentication failure; logname=a uid=1 euid=0 tty=/dev/pts/1 ruser=a rhost=  user=a",
            "Jun 25 15:51:13 h sudo: just some words",
            "Jun 25 15:51:13 h sudo: mike : ",
        ] {
            assert!(run(text).is_err(), "{text}");
        }
        let (parser, _) = dispatch(
            "Dec  7 14:52:59 h sudo: pam_unix(sudo:auth): authentication failure; user=zbadguy",
            &mut ctx(),
        );
        assert_eq!(parser, Some(Parser::Pam));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn anything_after_a_header_is_safe(message in "\\PC{0,200}") {
            let text = format!("Jun 25 15:51:13 h sudo[1]: {message}");
            let mut c = ctx();
            let line = parse_header(&text, &mut c).unwrap();
            if let Ok(mut e) = parse(&line) {
                prop_assert!(e.normalize().is_ok());
            }
            let text = format!("Jun 25 15:51:13 h sudo: u : {message}");
            let line = parse_header(&text, &mut c).unwrap();
            if let Ok(mut e) = parse(&line) {
                prop_assert!(e.normalize().is_ok());
            }
        }
    }
}
