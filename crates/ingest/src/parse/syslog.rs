//! Syslog lines: the header (RFC 3164, RFC 5424, and the RFC 3339-stamped file form rsyslog
//! writes), and dispatch of the message to the product that wrote it.
//!
//! Accepted shapes, each with or without a leading `<PRI>`:
//! - `Mmm dd hh:mm:ss[.frac] host tag[pid]: message` (year and zone from [`ParseContext`]);
//! - `YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm) host tag[pid]: message`;
//! - `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MESSAGE` (RFC 5424).
//!
//! The host may be absent in RFC 3164 (`Mmm dd hh:mm:ss tag: message`). A `<PRI>` that is not
//! 0-191 in at most three digits rejects the line with that reason.

use authtrail_model::{Event, Service, Session};
use serde_json::Value;

use crate::parse::build;
use crate::parse::clock::month_number;
use crate::parse::{pam, sshd, su, sudo, ParseContext, ParseResult, Parser, Unrecognized};

/// A syslog line with its header taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyslogLine<'a> {
    /// Facility from the PRI, if there was one.
    pub facility: Option<u8>,
    /// Severity from the PRI, if there was one.
    pub severity: Option<u8>,
    /// The timestamp, ms since the epoch.
    pub time_ms: i64,
    /// The timestamp as written.
    pub original_time: &'a str,
    /// The host that logged the line.
    pub host: Option<&'a str>,
    /// The program tag without the pid (`sshd`, `sudo`, `sshd(pam_unix)`).
    pub app: &'a str,
    /// The process id, if the tag had one.
    pub pid: Option<&'a str>,
    /// The message after the tag.
    pub message: &'a str,
}

impl SyslogLine<'_> {
    /// The program name without an old-style `(pam_module)` suffix, `sshd-session` as `sshd`.
    pub fn program(&self) -> &str {
        let base = self.app.split('(').next().unwrap_or(self.app);
        if base == "sshd-session" {
            "sshd"
        } else {
            base
        }
    }

    /// A session id for the process that logged the line: `host/program[pid]`. sshd logs a
    /// connection's login, PAM session lines and logout from one process, so this links them.
    pub fn process_session(&self) -> Option<String> {
        let pid = self.pid?;
        Some(format!(
            "{}/{}[{pid}]",
            self.host.unwrap_or("-"),
            self.program()
        ))
    }

    /// Mark `event` as logged here by `service`: the host as the destination endpoint, the
    /// service, and the [process session](Self::process_session).
    pub fn mark_origin(&self, event: &mut Event, service: &str) {
        event.dst_endpoint = self.host.map(build::host);
        // Only Authentication has a `service` in OCSF; other classes name the program in
        // `metadata.product` alone.
        if event.class_uid == build::AUTHENTICATION {
            event.service = Some(Service {
                name: Some(service.into()),
                ..Service::default()
            });
        }
        event.session = self.process_session().map(|uid| Session {
            uid: Some(uid),
            ..Session::default()
        });
    }
}

/// Take a syslog line's header apart.
pub fn parse_header<'a>(
    text: &'a str,
    ctx: &mut ParseContext,
) -> Result<SyslogLine<'a>, Unrecognized> {
    let (pri, rest) = split_pri(text)?;
    let (facility, severity) = match pri {
        Some(p) => (Some(p / 8), Some(p % 8)),
        None => (None, None),
    };
    if let Some(rest) = rest.strip_prefix("1 ") {
        if pri.is_some() {
            return parse_5424(rest, facility, severity, ctx);
        }
    }
    let (time_ms, original_time, rest) = split_time(rest, ctx)?;
    let (host, tag_and_message) = split_host(rest);
    let (app, pid, message) =
        split_tag(tag_and_message).ok_or(Unrecognized::new("syslog line without a program tag"))?;
    Ok(SyslogLine {
        facility,
        severity,
        time_ms,
        original_time,
        host,
        app,
        pid,
        message,
    })
}

/// The PRI value, if the line starts with one, and the rest of the line.
fn split_pri(text: &str) -> Result<(Option<u8>, &str), Unrecognized> {
    let Some(rest) = text.strip_prefix('<') else {
        return Ok((None, text));
    };
    let bad = || {
        let shown: String = text.chars().take(8).collect();
        Unrecognized::because(format!(
            "bad syslog PRI at the start of {shown:?}: expected <0> to <191>"
        ))
    };
    let end = rest
        .find('>')
        .filter(|&e| (1..=3).contains(&e))
        .ok_or_else(bad)?;
    let digits = &rest[..end];
    if !digits.bytes().all(|b| b.is_ascii_digit()) || (digits.len() > 1 && digits.starts_with('0'))
    {
        return Err(bad());
    }
    let value: u16 = digits.parse().map_err(|_| bad())?;
    if value > 191 {
        return Err(bad());
    }
    Ok((Some(value as u8), &rest[end + 1..]))
}

/// The timestamp (classic or RFC 3339) at the start of `text`, as ms, as written, and the rest.
fn split_time<'a>(
    text: &'a str,
    ctx: &mut ParseContext,
) -> Result<(i64, &'a str, &'a str), Unrecognized> {
    let b = text.as_bytes();
    if b.len() >= 15 && month_number(&b[..3]).is_some() && b[3] == b' ' {
        return split_classic_time(text, ctx);
    }
    if b.len() >= 19 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' {
        // RFC 3339, or `YYYY-MM-DD hh:mm:ss[.frac][±hhmm]` (macOS `log show`): two words.
        let first_space = text.find(' ').unwrap_or(text.len());
        let end = if first_space == 10 {
            text[11..].find(' ').map_or(text.len(), |i| 11 + i)
        } else {
            first_space
        };
        let ms = rfc3339_ms(&text[..end], ctx).ok_or_else(|| {
            Unrecognized::because(format!("bad syslog timestamp {:?}", &text[..end]))
        })?;
        return Ok((ms, &text[..end], text[end..].trim_start_matches(' ')));
    }
    Err(Unrecognized::new(
        "not a syslog line: no timestamp (Mmm dd hh:mm:ss or RFC 3339) where the header starts",
    ))
}

/// `Mmm dd hh:mm:ss[.frac]` (day space- or zero-padded).
fn split_classic_time<'a>(
    text: &'a str,
    ctx: &mut ParseContext,
) -> Result<(i64, &'a str, &'a str), Unrecognized> {
    let bad = || Unrecognized::new("bad syslog timestamp: expected Mmm dd hh:mm:ss");
    let b = text.as_bytes();
    let month = month_number(&b[..3]).ok_or_else(bad)?;
    let mut i = 4;
    if b[i] == b' ' {
        i += 1;
    }
    let day_start = i;
    while i < b.len() && b[i].is_ascii_digit() && i - day_start < 2 {
        i += 1;
    }
    let day = digits_value(&b[day_start..i]).ok_or_else(bad)?;
    if b.get(i) != Some(&b' ') || b.len() < i + 9 {
        return Err(bad());
    }
    let clock = &b[i + 1..i + 9];
    if clock[2] != b':' || clock[5] != b':' {
        return Err(bad());
    }
    let h = digits_value(&clock[0..2]).ok_or_else(bad)?;
    let m = digits_value(&clock[3..5]).ok_or_else(bad)?;
    let s = digits_value(&clock[6..8]).ok_or_else(bad)?;
    let mut end = i + 9;
    let mut nanos = 0i32;
    if b.get(end) == Some(&b'.') {
        let frac_start = end + 1;
        end = frac_start;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        nanos = fraction_nanos(&b[frac_start..end]).ok_or_else(bad)?;
    }
    let ms = ctx
        .yearless_to_ms(month, day as i8, (h as i8, m as i8, s as i8), nanos)
        .ok_or_else(|| Unrecognized::because(format!("bad syslog timestamp {:?}", &text[..end])))?;
    Ok((ms, &text[..end], text[end..].trim_start_matches(' ')))
}

fn digits_value(d: &[u8]) -> Option<u32> {
    if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(d.iter().fold(0u32, |v, c| v * 10 + u32::from(c - b'0')))
}

/// Nanoseconds of a decimal fraction's digits (beyond nine digits ignored).
fn fraction_nanos(d: &[u8]) -> Option<i32> {
    if d.is_empty() {
        return None;
    }
    let mut n = 0i32;
    for i in 0..9 {
        n = n * 10 + d.get(i).map_or(0, |c| i32::from(c - b'0'));
    }
    Some(n)
}

/// An RFC 3339 timestamp; without an offset, local time in the configured zone.
pub fn rfc3339_ms(text: &str, ctx: &ParseContext) -> Option<i64> {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Some(ts.as_millisecond());
    }
    let dt: jiff::civil::DateTime = text.parse().ok()?;
    ctx.config
        .zone
        .to_ambiguous_timestamp(dt)
        .compatible()
        .ok()
        .map(|t| t.as_millisecond())
}

/// The host, when the first word is one (not the tag itself), and the rest.
fn split_host(text: &str) -> (Option<&str>, &str) {
    let Some((first, rest)) = text.split_once(' ') else {
        return (None, text);
    };
    if first.ends_with(':') || first.contains('[') || first.is_empty() {
        (None, text)
    } else {
        (Some(first), rest)
    }
}

/// `tag[pid]: message`, `tag: message`, or the old `prog(module)[pid]: message`.
fn split_tag(text: &str) -> Option<(&str, Option<&str>, &str)> {
    let end = text.find([':', '[', ' '])?;
    let app = &text[..end];
    if app.is_empty() {
        return None;
    }
    let rest = &text[end..];
    let (pid, rest) = match rest.strip_prefix('[') {
        Some(r) => {
            let close = r.find(']')?;
            (Some(&r[..close]), &r[close + 1..])
        }
        None => (None, rest),
    };
    let message = rest.strip_prefix(':')?;
    Some((app, pid, message.strip_prefix(' ').unwrap_or(message)))
}

/// The RFC 5424 header after `<PRI>1 `.
fn parse_5424<'a>(
    text: &'a str,
    facility: Option<u8>,
    severity: Option<u8>,
    ctx: &ParseContext,
) -> Result<SyslogLine<'a>, Unrecognized> {
    let bad = |what: &str| Unrecognized::because(format!("bad RFC 5424 header: {what}"));
    let mut parts = text.splitn(6, ' ');
    let mut next = |what: &str| parts.next().ok_or_else(|| bad(&format!("no {what}")));
    let time = next("TIMESTAMP")?;
    let host = next("HOSTNAME")?;
    let app = next("APP-NAME")?;
    let procid = next("PROCID")?;
    let _msgid = next("MSGID")?;
    let rest = parts.next().unwrap_or("");
    let time_ms = if time == "-" {
        ctx.received_ms
    } else {
        rfc3339_ms(time, ctx).ok_or_else(|| bad(&format!("timestamp {time:?}")))?
    };
    let message = skip_structured_data(rest).ok_or_else(|| bad("unterminated STRUCTURED-DATA"))?;
    let message = message.strip_prefix('\u{feff}').unwrap_or(message);
    let nil = |v: &'a str| (v != "-").then_some(v);
    Ok(SyslogLine {
        facility,
        severity,
        time_ms,
        original_time: time,
        host: nil(host),
        app: nil(app).unwrap_or(""),
        pid: nil(procid),
        message,
    })
}

/// The message after RFC 5424 STRUCTURED-DATA (`-` or `[…]…`, `\]` escaped inside values).
fn skip_structured_data(text: &str) -> Option<&str> {
    if let Some(rest) = text.strip_prefix('-') {
        return Some(rest.strip_prefix(' ').unwrap_or(rest));
    }
    let b = text.as_bytes();
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        let mut in_quotes = false;
        i += 1;
        loop {
            match b.get(i)? {
                b'\\' if in_quotes => i += 1,
                b'"' => in_quotes = !in_quotes,
                b']' if !in_quotes => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    let rest = &text[i..];
    Some(rest.strip_prefix(' ').unwrap_or(rest))
}

/// Parse a syslog line and hand its message to the product that wrote it.
pub fn dispatch(text: &str, ctx: &mut ParseContext) -> (Option<Parser>, ParseResult) {
    let mut line = match parse_header(text, ctx) {
        Ok(line) => line,
        Err(e) => return (None, Err(e)),
    };
    let repeated = split_repeated(line.message);
    if let Some((_, inner)) = repeated {
        line.message = inner;
    }
    let parser = if is_pam_module_message(line.message) || line.app.contains("(pam_") {
        Parser::Pam
    } else {
        match line.program() {
            "sshd" => Parser::Sshd,
            "sudo" => Parser::Sudo,
            "su" => Parser::Su,
            other => {
                return (
                    None,
                    Err(Unrecognized::because(format!(
                        "no parser for syslog program {:?}",
                        truncate(other, 64)
                    ))),
                )
            }
        }
    };
    let result = match parser {
        Parser::Pam => pam::parse(&line),
        Parser::Sshd => sshd::parse(&line),
        Parser::Sudo => sudo::parse(&line),
        _ => su::parse(&line),
    };
    let result = result.map(|mut event| {
        if let Some((count, _)) = repeated {
            event.other.insert("count".into(), Value::from(count));
        }
        event
            .metadata
            .extra
            .insert("original_time".into(), Value::from(line.original_time));
        event
    });
    (Some(parser), result)
}

/// A PAM module's own message: `pam_module(service:type): …` (not a program's message that
/// merely starts with a PAM function name, like su's `pam_authenticate: …`).
fn is_pam_module_message(message: &str) -> bool {
    message.starts_with("pam_")
        && message
            .split(' ')
            .next()
            .is_some_and(|word| word.contains('(') && word.ends_with("):"))
}

/// rsyslog's `message repeated N times: [ inner ]`: N and the inner message.
fn split_repeated(message: &str) -> Option<(u64, &str)> {
    let rest = message.strip_prefix("message repeated ")?;
    let (n, rest) = rest.split_once(" times: [")?;
    let inner = rest.strip_suffix(']')?;
    Some((n.parse().ok()?, inner.trim()))
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::parse::ParseConfig;

    /// 2026-11-27T00:00:00Z.
    const NOW_MS: i64 = 1_795_737_600_000;

    fn ctx() -> ParseContext {
        ParseContext::new(Arc::new(ParseConfig::default()), NOW_MS)
    }

    #[test]
    fn classic_header_with_host_and_pid() {
        let line = parse_header(
            "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
            &mut ctx(),
        )
        .unwrap();
        assert_eq!(line.host, Some("LabSZ"));
        assert_eq!(line.app, "sshd");
        assert_eq!(line.pid, Some("24200"));
        assert_eq!(line.message, "Invalid user webmaster from 173.234.31.186");
        assert_eq!(line.original_time, "Dec 10 06:55:46");
        // 2025-12-10T06:55:46Z: December is after the ingest month, so last year.
        assert_eq!(line.time_ms, 1_765_349_746_000);
        assert_eq!(line.process_session().as_deref(), Some("LabSZ/sshd[24200]"));
    }

    #[test]
    fn padded_days_priorities_old_tags_and_no_host() {
        let mut c = ctx();
        let line =
            parse_header("<38>Jan  8 01:02:03 combo sshd(pam_unix)[19939]: x", &mut c).unwrap();
        assert_eq!((line.facility, line.severity), (Some(4), Some(6)));
        assert_eq!(line.app, "sshd(pam_unix)");
        assert_eq!(line.program(), "sshd");
        assert_eq!(line.message, "x");
        let line = parse_header("<34>Oct 11 22:14:15 su: 'su root' failed", &mut ctx()).unwrap();
        assert_eq!(line.host, None);
        assert_eq!(line.app, "su");
        assert_eq!(line.pid, None);
        assert_eq!(line.message, "'su root' failed");
    }

    #[test]
    fn rfc3339_and_rfc5424_headers() {
        let line = parse_header(
            "2024-03-01T10:00:00.250+01:00 web1 sshd-session[77]: Accepted publickey for a",
            &mut ctx(),
        )
        .unwrap();
        assert_eq!(line.time_ms, 1_709_283_600_250);
        assert_eq!(line.program(), "sshd");
        let line = parse_header(
            "2020-03-23 06:47:42.801612-0700  localhost sshd[79344]: Failed password",
            &mut ctx(),
        )
        .unwrap();
        assert_eq!(line.time_ms, 1_584_971_262_801);
        assert_eq!((line.host, line.app), (Some("localhost"), "sshd"));
        let line = parse_header(
            "<86>1 2024-03-01T09:00:00Z web1 sudo 4242 - [meta x=\"a\\]b\"][y] hello world",
            &mut ctx(),
        )
        .unwrap();
        assert_eq!(line.time_ms, 1_709_283_600_000);
        assert_eq!(
            (line.app, line.pid, line.message),
            ("sudo", Some("4242"), "hello world")
        );
        let line = parse_header("<86>1 - - - - - - \u{feff}bom", &mut ctx()).unwrap();
        assert_eq!(
            (line.time_ms, line.host, line.message),
            (NOW_MS, None, "bom")
        );
    }

    #[test]
    fn bad_priorities_and_timestamps_are_named() {
        for bad in [
            "<>Dec",
            "<1000>Dec",
            "<192>Dec 10 00:00:00 h a: m",
            "<01>x",
            "<a>x",
            "<12",
        ] {
            let e = parse_header(bad, &mut ctx()).unwrap_err();
            assert!(e.0.contains("bad syslog PRI"), "{bad}: {e}");
        }
        for bad in [
            "Nov 27 24:00:00 h sshd[1]: x",
            "Nov 27 10:80:00 web1 sshd[99]: x",
        ] {
            let e = parse_header(bad, &mut ctx()).unwrap_err();
            assert!(e.0.contains("timestamp"), "{bad}: {e}");
        }
        assert!(parse_header("Jan 1 00:00:60 a: b", &mut ctx()).is_ok());
        let e = parse_header("Dec 32 00:00:00 h a: m", &mut ctx()).unwrap_err();
        assert!(e.0.contains("timestamp"), "{e}");
        let e = parse_header("hello world", &mut ctx()).unwrap_err();
        assert!(e.0.contains("no timestamp"), "{e}");
        let e = parse_header("Dec 10 00:00:00 host just words", &mut ctx()).unwrap_err();
        assert!(e.0.contains("program tag"), "{e}");
    }

    #[test]
    fn pam_module_messages_are_told_from_program_messages() {
        assert!(is_pam_module_message(
            "pam_unix(sshd:auth): authentication failure;"
        ));
        assert!(is_pam_module_message(
            "pam_tally2(sudo:auth): user x (1) tally 4"
        ));
        assert!(!is_pam_module_message(
            "pam_authenticate: Authentication failure"
        ));
        assert!(!is_pam_module_message("PAM 2 more authentication failures"));
    }

    #[test]
    fn repeated_messages_are_unwrapped() {
        assert_eq!(
            split_repeated(
                "message repeated 3 times: [ Failed password for root from 1.2.3.4 port 5 ssh2]"
            ),
            Some((3, "Failed password for root from 1.2.3.4 port 5 ssh2"))
        );
        assert_eq!(split_repeated("Failed password"), None);
    }
}
