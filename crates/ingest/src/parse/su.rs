//! su messages from syslog (util-linux, shadow-utils and BSD forms), each an Account Switch.
//!
//! Success: `(to root) alice on pts/0`, `Successful su for root by alice`, `+ pts/0 alice:root`,
//! `'su root' succeeded for alice on /dev/pts/0`. Failure: `FAILED SU (to root) alice on pts/0`,
//! `FAILED su for root by alice`, `- pts/0 alice:root`, `'su root' failed for alice on
//! /dev/pts/0`, `pam_authenticate: Authentication failure` (no user named), `No passwd entry
//! for user 'x'`.
//!
//! `user` is the account switched to, `actor.user` the one who ran su; `session.uid` is the
//! process (`host/su[pid]`), which links su's own line to its PAM session lines.

use serde_json::{json, Value};

use crate::parse::build::{self, ProductInfo, ACCOUNT_SWITCH, AUTHENTICATION, FAILURE, SUCCESS};
use crate::parse::syslog::SyslogLine;
use crate::parse::{ParseResult, Unrecognized};

const PRODUCT: ProductInfo = ProductInfo {
    name: "su",
    vendor: "util-linux",
};

/// What one su message says.
#[derive(Debug, Default, PartialEq, Eq)]
struct Switch<'a> {
    success: bool,
    target: Option<&'a str>,
    actor: Option<&'a str>,
    tty: Option<&'a str>,
    detail: Option<&'a str>,
}

/// Map one su syslog message to an OCSF event.
pub fn parse(line: &SyslogLine<'_>) -> ParseResult {
    let s = read(line.message.trim()).ok_or(Unrecognized::new(
        "message is not a switch of user (to/for/by, +/- tty, FAILED SU)",
    ))?;
    let status = if s.success { SUCCESS } else { FAILURE };
    let mut event = build::new_event(
        AUTHENTICATION,
        ACCOUNT_SWITCH,
        status,
        line.time_ms,
        PRODUCT,
    );
    event.user = s.target.map(build::user);
    event.actor = s.actor.map(|a| json!({ "user": { "name": a } }));
    event.status_detail = s.detail.map(str::to_string);
    line.mark_origin(&mut event, "su");
    if let Some(tty) = s.tty.filter(|t| !matches!(*t, "none" | "???" | "")) {
        event.unmapped.insert("su.tty".into(), Value::from(tty));
    }
    Ok(event)
}

fn read(m: &str) -> Option<Switch<'_>> {
    if let Some(rest) = m.strip_prefix("FAILED SU ") {
        return to_on(rest).map(|s| Switch {
            success: false,
            ..s
        });
    }
    if m.starts_with("(to ") {
        return to_on(m).map(|s| Switch { success: true, ..s });
    }
    if let Some(rest) = m.strip_prefix("Successful su for ") {
        return for_by(rest, true);
    }
    if let Some(rest) = m
        .strip_prefix("FAILED su for ")
        .or_else(|| m.strip_prefix("FAILED SU for "))
    {
        return for_by(rest, false);
    }
    if let Some(rest) = m.strip_prefix("+ ") {
        return sulog(rest, true);
    }
    if let Some(rest) = m.strip_prefix("- ") {
        return sulog(rest, false);
    }
    if let Some(rest) = m.strip_prefix("'su ") {
        return bsd(rest);
    }
    if let Some(reason) = m.strip_prefix("pam_authenticate: ") {
        return Some(Switch {
            success: false,
            detail: Some(reason.trim()),
            ..Switch::default()
        });
    }
    if let Some(rest) = m.strip_prefix("No passwd entry for user '") {
        let target = rest.strip_suffix('\'')?;
        return Some(Switch {
            success: false,
            target: Some(target).filter(|t| !t.is_empty()),
            detail: Some("no passwd entry for the user"),
            ..Switch::default()
        });
    }
    None
}

/// A user name as su writes it: one word.
fn name(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty() && !s.contains(' ')).then_some(s)
}

/// `(to TARGET) ACTOR on TTY`.
fn to_on(m: &str) -> Option<Switch<'_>> {
    let rest = m.strip_prefix("(to ")?;
    let (target, rest) = rest.split_once(") ")?;
    let (actor, tty) = match rest.split_once(" on ") {
        Some((a, t)) => (a, Some(t.trim())),
        None => (rest, None),
    };
    Some(Switch {
        target: Some(name(target)?),
        actor: Some(name(actor)?),
        tty,
        ..Switch::default()
    })
}

/// `TARGET by ACTOR` (after `Successful su for ` / `FAILED su for `).
fn for_by(rest: &str, success: bool) -> Option<Switch<'_>> {
    let (target, actor) = rest.split_once(" by ")?;
    Some(Switch {
        success,
        target: Some(name(target)?),
        actor: Some(name(actor)?),
        ..Switch::default()
    })
}

/// `TTY ACTOR:TARGET` (after `+ ` / `- `).
fn sulog(rest: &str, success: bool) -> Option<Switch<'_>> {
    let (tty, users) = rest.trim().split_once(' ')?;
    let (actor, target) = users.trim().split_once(':')?;
    Some(Switch {
        success,
        target: Some(name(target)?),
        actor: Some(name(actor)?),
        tty: Some(tty),
        ..Switch::default()
    })
}

/// `TARGET' failed|succeeded for ACTOR on TTY` (after `'su `).
fn bsd(rest: &str) -> Option<Switch<'_>> {
    let (target, rest) = rest.split_once("' ")?;
    let (success, rest) = match rest.split_once(" for ")? {
        ("failed", r) => (false, r),
        ("succeeded", r) => (true, r),
        _ => return None,
    };
    let (actor, tty) = match rest.split_once(" on ") {
        Some((a, t)) => (a, Some(t.trim())),
        None => (rest, None),
    };
    Some(Switch {
        success,
        target: Some(name(target)?),
        actor: Some(name(actor)?),
        tty,
        ..Switch::default()
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;
    use crate::parse::syslog::parse_header;
    use crate::parse::{ParseConfig, ParseContext};

    fn ctx() -> ParseContext {
        ParseContext::new(Arc::new(ParseConfig::default()), 1_795_737_600_000)
    }

    fn run(message: &str) -> ParseResult {
        let text = format!("Oct 11 22:14:15 mybox su[4242]: {message}");
        let mut c = ctx();
        let line = parse_header(&text, &mut c).unwrap();
        parse(&line).map(|mut e| {
            e.normalize().unwrap();
            e
        })
    }

    #[test]
    fn each_form_is_an_account_switch() {
        for (message, status, tty) in [
            ("(to root) alice on pts/0", 1, Some("pts/0")),
            ("Successful su for root by alice", 1, None),
            ("+ pts/0 alice:root", 1, Some("pts/0")),
            (
                "'su root' succeeded for alice on /dev/pts/0",
                1,
                Some("/dev/pts/0"),
            ),
            ("FAILED SU (to root) alice on pts/0", 2, Some("pts/0")),
            ("FAILED su for root by alice", 2, None),
            ("- pts/0 alice:root", 2, Some("pts/0")),
            (
                "'su root' failed for alice on /dev/pts/8",
                2,
                Some("/dev/pts/8"),
            ),
        ] {
            let e = run(message).unwrap();
            assert_eq!(
                (e.class_uid, e.activity_id, e.status_id),
                (3002, 7, status),
                "{message}"
            );
            assert_eq!(
                e.user.as_ref().unwrap().name.as_deref(),
                Some("root"),
                "{message}"
            );
            assert_eq!(
                e.actor,
                Some(serde_json::json!({"user": {"name": "alice"}})),
                "{message}"
            );
            assert_eq!(
                e.session.as_ref().unwrap().uid.as_deref(),
                Some("mybox/su[4242]")
            );
            assert_eq!(
                e.unmapped.get("su.tty").and_then(|v| v.as_str()),
                tty,
                "{message}"
            );
            assert_eq!(
                e.dst_endpoint.as_ref().unwrap().hostname.as_deref(),
                Some("mybox")
            );
            let product = e.metadata.product.unwrap();
            assert_eq!(
                (product.name.as_deref(), product.vendor_name.as_deref()),
                (Some("su"), Some("util-linux"))
            );
        }
    }

    #[test]
    fn failures_without_both_users() {
        let e = run("pam_authenticate: Authentication failure").unwrap();
        assert_eq!((e.activity_id, e.status_id), (7, 2));
        assert_eq!(
            (crate::parse::test_support::user(&e), e.actor.as_ref()),
            (None, None)
        );
        assert_eq!(e.status_detail.as_deref(), Some("Authentication failure"));
        let e = run("No passwd entry for user 'ghost'").unwrap();
        assert_eq!(e.user.unwrap().name.as_deref(), Some("ghost"));
        assert_eq!(e.status_id, 2);
        let e = run("(to root) alice on none").unwrap();
        assert_eq!(e.unmapped.get("su.tty"), None);
    }

    #[test]
    fn other_messages_are_unrecognized() {
        for message in [
            "hello",
            "(to root)",
            "+ pts/0",
            "FAILED SU (to root",
            "'su root' maybe for a",
            "(to two words) a on b",
        ] {
            assert!(run(message).is_err(), "{message}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn anything_after_a_header_is_safe(message in "\\PC{0,120}", prefix in prop::sample::select(vec!["", "(to ", "FAILED SU (to ", "+ ", "- ", "'su ", "Successful su for "])) {
            if let Ok(e) = run(&format!("{prefix}{message}")) {
                prop_assert_eq!(e.activity_id, 7);
            }
        }
    }
}
