//! Authelia logs: logrus lines in the text (logfmt) form, `time="…" level=error msg="…"
//! method=POST path=/api/firstfactor remote_ip=192.0.2.1 …`, or the JSON form with the same keys.
//!
//! Only the messages of authentication attempts are events: `Successful <type> authentication
//! attempt made by user '<user>'`, `Unsuccessful <type> authentication attempt by user '<user>'`
//! (with `: <error>`, an `error` field, or `and they are banned until <time>`), and the unknown
//! user report `Error occurred getting details for user with username input '<user>' …`.

use authtrail_model::{Event, HttpRequest};
use serde_json::{Map, Value};

use crate::parse::build::{self, ProductInfo, AUTHENTICATION, FAILURE, LOGON, MEDIUM, SUCCESS};
use crate::parse::json_fields::{self, take_str};
use crate::parse::{ParseContext, ParseResult, Unrecognized};

/// Authelia, as `metadata.product`.
pub const PRODUCT: ProductInfo = ProductInfo {
    name: "Authelia",
    vendor: "Authelia",
};

/// Map one Authelia log line (logfmt or JSON) to an OCSF event.
pub fn parse(text: &str, ctx: &mut ParseContext) -> ParseResult {
    let line = text.trim_end_matches(['\r', '\n']).trim();
    let mut fields = if line.starts_with('{') {
        json_fields::object(line, "Authelia line")?
    } else {
        logfmt(line)?
    };
    let msg = match fields.remove("msg") {
        Some(Value::String(m)) => m,
        Some(_) => return Err(Unrecognized::new("Authelia msg is not a string")),
        None => return Err(Unrecognized::new("not an Authelia line: no msg")),
    };
    let Some(attempt) = classify(&msg) else {
        return Err(Unrecognized::new("not an authentication message"));
    };
    let time_ms = json_fields::rfc3339_time(fields.remove("time").as_ref(), "time", ctx)?;
    let remote_ip = take_str(&mut fields, "remote_ip");
    let method = take_str(&mut fields, "method");
    let path = take_str(&mut fields, "path");
    let error = take_str(&mut fields, "error");

    let status = if attempt.success { SUCCESS } else { FAILURE };
    let mut e = build::new_event(AUTHENTICATION, LOGON, status, time_ms, PRODUCT);
    e.user = Some(build::user(attempt.user));
    e.src_endpoint = remote_ip.as_deref().map(|ip| build::endpoint(ip, None));
    let second_factor = path
        .as_deref()
        .is_some_and(|p| p.starts_with("/api/secondfactor"));
    e.is_mfa = Some(attempt.kind.is_some_and(is_second_factor) || second_factor);
    e.status_detail = match (&attempt.outcome, error) {
        (Outcome::Banned(until), _) => Some(format!("banned until {until}")),
        (Outcome::RegulationError(why), _) => Some(format!("regulation failed: {why}")),
        (_, Some(error)) => Some(error),
        (Outcome::Error(why), None) => Some((*why).to_string()),
        (Outcome::UnknownUser, None) => Some("user not found".into()),
        (Outcome::Plain, None) => None,
    };
    if matches!(attempt.outcome, Outcome::Banned(_)) {
        e.severity_id = MEDIUM;
    }
    e.message = Some(msg.clone());
    set_http_request(&mut e, method, path);
    if let Some(kind) = attempt.kind {
        e.unmapped
            .insert("authelia.auth_type".into(), Value::from(kind));
    }
    for (k, v) in fields {
        e.unmapped.insert(format!("authelia.{k}"), v);
    }
    Ok(e)
}

/// `http_request.http_method` and `http_request.url.path`.
fn set_http_request(e: &mut Event, method: Option<String>, path: Option<String>) {
    let mut http = HttpRequest::default();
    if let Some(m) = method {
        http.extra.insert("http_method".into(), Value::from(m));
    }
    if let Some(p) = path {
        let mut url = Map::new();
        url.insert("path".into(), Value::from(p));
        http.extra.insert("url".into(), Value::Object(url));
    }
    if !http.extra.is_empty() {
        e.http_request = Some(http);
    }
}

/// Whether an Authelia authentication type is a second factor.
fn is_second_factor(kind: &str) -> bool {
    ["2FA", "TOTP", "WebAuthn", "U2F", "Duo", "MFA"]
        .iter()
        .any(|k| kind.eq_ignore_ascii_case(k))
}

/// How an attempt ended, beyond success or failure.
#[derive(Debug, PartialEq, Eq)]
enum Outcome<'a> {
    /// Nothing more said.
    Plain,
    /// `: <error>` after the user.
    Error(&'a str),
    /// `and they are banned until <time>`.
    Banned(&'a str),
    /// The user name given does not exist.
    UnknownUser,
    /// Regulation (the ban check) itself failed, so the attempt was refused.
    RegulationError(&'a str),
}

/// What an authentication message says.
#[derive(Debug, PartialEq, Eq)]
struct Attempt<'a> {
    success: bool,
    /// The authentication type (`1FA`, `TOTP`, `WebAuthn`, `Duo`, …), when the message names it.
    kind: Option<&'a str>,
    user: &'a str,
    outcome: Outcome<'a>,
}

fn classify(msg: &str) -> Option<Attempt<'_>> {
    const ATTEMPT: &str = " authentication attempt ";
    const UNKNOWN_USER: &str = "Error occurred getting details for user with username input '";
    const REGULATION: &str = "Failed to perform ";
    const BANNED: &str = "' and they are banned until ";
    if let Some(rest) = msg.strip_prefix("Successful ") {
        let (kind, rest) = rest.split_once(ATTEMPT)?;
        let user = rest
            .strip_prefix("made by user '")?
            .strip_suffix('\'')
            .filter(|u| !u.is_empty())?;
        return Some(Attempt {
            success: true,
            kind: Some(kind),
            user,
            outcome: Outcome::Plain,
        });
    }
    if let Some(rest) = msg.strip_prefix("Unsuccessful ") {
        let (kind, rest) = rest.split_once(ATTEMPT)?;
        let rest = rest.strip_prefix("by user '")?;
        // The user ends at the first of the known endings; a bare `'` ends the message.
        let (user, outcome) = if let Some(user) = rest
            .strip_suffix('\'')
            .filter(|u| !u.contains(BANNED) && !u.contains("': "))
        {
            (user, Outcome::Plain)
        } else {
            let banned = rest.find(BANNED);
            let error = rest.find("': ");
            match (banned, error) {
                (Some(b), e) if e.is_none_or(|e| b < e) => (
                    rest.get(..b)?,
                    Outcome::Banned(rest.get(b + BANNED.len()..)?.trim()),
                ),
                (_, Some(e)) => (rest.get(..e)?, Outcome::Error(rest.get(e + 3..)?.trim())),
                _ => return None,
            }
        };
        if user.is_empty() {
            return None;
        }
        return Some(Attempt {
            success: false,
            kind: Some(kind),
            user,
            outcome,
        });
    }
    if let Some(rest) = msg.strip_prefix(UNKNOWN_USER) {
        let end = rest.rfind("' which usually indicates")?;
        let user = rest.get(..end).filter(|u| !u.is_empty())?;
        return Some(Attempt {
            success: false,
            kind: None,
            user,
            outcome: Outcome::UnknownUser,
        });
    }
    if let Some(rest) = msg.strip_prefix(REGULATION) {
        // `Failed to perform <type> authentication regulation for user '<user>': <error>`.
        let (kind, rest) = rest.split_once(" authentication regulation for user '")?;
        let (user, why) = rest.split_once("': ")?;
        if user.is_empty() {
            return None;
        }
        return Some(Attempt {
            success: false,
            kind: Some(kind),
            user,
            outcome: Outcome::RegulationError(why.trim()),
        });
    }
    None
}

/// The `key=value` pairs of a logrus text line; values bare or double-quoted with Go escapes.
fn logfmt(line: &str) -> Result<Map<String, Value>, Unrecognized> {
    let mut out = Map::new();
    let mut rest = line;
    loop {
        rest = rest.trim_start_matches([' ', '\t']);
        if rest.is_empty() {
            break;
        }
        let key_end = rest.find(['=', ' ', '\t']).unwrap_or(rest.len());
        let key = &rest[..key_end];
        if key.is_empty() || key.contains('"') {
            return Err(Unrecognized::new("not a logfmt line: expected key=value"));
        }
        rest = &rest[key_end..];
        let value = match rest.strip_prefix('=') {
            None => String::new(),
            Some(after) => {
                if let Some(quoted) = after.strip_prefix('"') {
                    let (value, after) = unquote(quoted)?;
                    rest = after;
                    value
                } else {
                    let end = after.find([' ', '\t']).unwrap_or(after.len());
                    rest = &after[end..];
                    after[..end].to_string()
                }
            }
        };
        out.insert(key.to_string(), Value::from(value));
    }
    Ok(out)
}

/// A Go-quoted string's value (after the opening quote), and what follows its closing quote.
fn unquote(s: &str) -> Result<(String, &str), Unrecognized> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[i + 1..])),
            '\\' => {
                let Some((_, esc)) = chars.next() else {
                    break;
                };
                match esc {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'v' => out.push('\u{b}'),
                    'x' | 'u' | 'U' => {
                        let len = match esc {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let start = i + 2;
                        let digits = s
                            .get(start..start + len)
                            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()));
                        match digits.and_then(|d| u32::from_str_radix(d, 16).ok()) {
                            Some(code) => {
                                out.push(
                                    char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER),
                                );
                                for _ in 0..len {
                                    chars.next();
                                }
                            }
                            None => {
                                out.push('\\');
                                out.push(esc);
                            }
                        }
                    }
                    other => out.push(other),
                }
            }
            other => out.push(other),
        }
    }
    Err(Unrecognized::new("logfmt value has no closing quote"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::build::{INFORMATIONAL, LOW};
    use crate::parse::test_support::{self, ctx, src, user};

    fn parsed(line: &str) -> Event {
        test_support::parsed(parse, line, &mut ctx())
    }

    #[test]
    fn logfmt_first_factor_failures() {
        let e = parsed(
            r#"time="2022-02-14T13:47:54+02:00" level=error msg="Unsuccessful 1FA authentication attempt by user 'fakeuser': user not found" method=POST path=/api/firstfactor remote_ip=192.0.2.1 stack="longstacktrace""#,
        );
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (AUTHENTICATION, LOGON, FAILURE)
        );
        assert_eq!(e.severity_id, LOW);
        assert_eq!(user(&e), Some("fakeuser"));
        assert_eq!(src(&e), Some("192.0.2.1"));
        assert_eq!(e.status_detail.as_deref(), Some("user not found"));
        assert_eq!(e.is_mfa, Some(false));
        assert_eq!(e.time, 1_644_839_274_000);
        assert_eq!(e.unmapped["authelia.level"], "error");
        assert_eq!(e.unmapped["authelia.stack"], "longstacktrace");
        assert_eq!(e.unmapped["authelia.auth_type"], "1FA");
        let http = e.http_request.as_ref().unwrap();
        assert_eq!(http.extra["http_method"], "POST");
        assert_eq!(http.extra["url"]["path"], "/api/firstfactor");
        let product = e.metadata.product.as_ref().unwrap();
        assert_eq!(product.name.as_deref(), Some("Authelia"));
        assert_eq!(product.vendor_name.as_deref(), Some("Authelia"));

        // The unknown-user report, its error in a field of its own.
        let e = parsed(
            r#"time="2025-03-13T14:01:02+02:00" level=error msg="Error occurred getting details for user with username input 'a b' which usually indicates they do not exist" error="user not found" method=POST path=/api/firstfactor remote_ip=2001:DB8::1"#,
        );
        assert_eq!(e.status_id, FAILURE);
        assert_eq!(user(&e), Some("a b"));
        assert_eq!(src(&e), Some("2001:db8::1"));
        assert_eq!(e.status_detail.as_deref(), Some("user not found"));
        assert!(!e.unmapped.contains_key("authelia.error"));

        // A wrong password says nothing more.
        let e = parsed(
            r#"time="2022-02-14T13:49:12+02:00" level=error msg="Unsuccessful 1FA authentication attempt by user 'realuser'" method=POST path=/api/firstfactor remote_ip=192.0.2.1"#,
        );
        assert_eq!(
            (user(&e), e.status_detail.as_deref()),
            (Some("realuser"), None)
        );
    }

    #[test]
    fn second_factor_attempts_are_mfa() {
        for (line, success, name) in [
            (
                r#"time="2022-02-16T11:48:16+02:00" level=error msg="Unsuccessful Duo authentication attempt by user 'realuser': duo auth result: deny, status: deny, message: Login request denied." method=POST path=/api/secondfactor/duo remote_ip=192.0.2.1"#,
                false,
                "realuser",
            ),
            (
                r#"time="2022-02-16T12:24:19+02:00" level=error msg="Unsuccessful TOTP authentication attempt by user 'r@example.com'" method=POST path=/api/secondfactor/totp remote_ip=192.0.2.1"#,
                false,
                "r@example.com",
            ),
            (
                r#"{"level":"error","method":"POST","msg":"Unsuccessful WebAuthn authentication attempt by user 'w'","path":"/api/secondfactor/webauthn","remote_ip":"192.0.2.1","time":"2024-02-16T12:24:19+02:00"}"#,
                false,
                "w",
            ),
            (
                r#"time="2022-03-30T14:28:58+02:00" level=debug msg="Successful Duo authentication attempt made by user 'realuser'" method=POST path=/api/secondfactor/duo remote_ip=127.0.0.1"#,
                true,
                "realuser",
            ),
        ] {
            let e = parsed(line);
            assert_eq!(e.is_mfa, Some(true), "{line}");
            assert_eq!(
                e.status_id,
                if success { SUCCESS } else { FAILURE },
                "{line}"
            );
            assert_eq!(user(&e), Some(name), "{line}");
        }
        let e = parsed(
            r#"time="2022-02-16T11:48:16+02:00" level=error msg="Unsuccessful Duo authentication attempt by user 'realuser': duo auth result: deny, status: deny" remote_ip=192.0.2.1"#,
        );
        assert_eq!(
            e.status_detail.as_deref(),
            Some("duo auth result: deny, status: deny")
        );
    }

    #[test]
    fn json_lines_read_like_logfmt_ones() {
        let e = parsed(
            r#"{"level":"debug","method":"POST","msg":"Successful 1FA authentication attempt made by user 'realuser'","path":"/api/firstfactor","remote_ip":"127.0.0.1","time":"2022-03-30T14:24:18+02:00"}"#,
        );
        assert_eq!((e.status_id, e.severity_id), (SUCCESS, INFORMATIONAL));
        assert_eq!((user(&e), src(&e)), (Some("realuser"), Some("127.0.0.1")));
        assert_eq!(e.is_mfa, Some(false));
        assert_eq!(e.time, 1_648_643_058_000);
        let e = parsed(
            r#"{"error":"duo auth result: deny","level":"error","msg":"Unsuccessful Duo authentication attempt by user 'realuser'","remote_ip":"192.0.2.1","stack":[{"File":"x.go","Line":1}],"time":"2025-03-13T13:46:31+02:00"}"#,
        );
        assert_eq!(e.status_detail.as_deref(), Some("duo auth result: deny"));
        assert_eq!(e.unmapped["authelia.stack"][0]["Line"], 1);
        // No time: the time of receipt.
        let e = parsed(
            r#"{"msg":"Unsuccessful 1FA authentication attempt by user 'x'","remote_ip":"192.0.2.1"}"#,
        );
        assert_eq!(e.time, 1_700_000_000_000);
    }

    #[test]
    fn bans_are_medium_failures() {
        let e = parsed(
            r#"time="2024-01-01T10:00:00Z" level=error msg="Unsuccessful 1FA authentication attempt by user 'bob' and they are banned until 2024-01-01 10:05:00 +0000 UTC" method=POST path=/api/firstfactor remote_ip=198.51.100.7"#,
        );
        assert_eq!(e.status_id, FAILURE);
        assert_eq!(e.severity_id, MEDIUM);
        assert_eq!(user(&e), Some("bob"));
        assert_eq!(
            e.status_detail.as_deref(),
            Some("banned until 2024-01-01 10:05:00 +0000 UTC")
        );
        // Regulation that fails refuses the attempt too (an internal error, not a ban).
        let e = parsed(
            r#"time="2024-01-01T10:00:00Z" level=error msg="Failed to perform 1FA authentication regulation for user 'bob': database is locked" remote_ip=198.51.100.7"#,
        );
        assert_eq!((e.status_id, e.severity_id), (FAILURE, LOW));
        assert_eq!(user(&e), Some("bob"));
        assert_eq!(
            e.status_detail.as_deref(),
            Some("regulation failed: database is locked")
        );
    }

    #[test]
    fn quoted_values_unescape() {
        let e = parsed(
            r#"time="2024-01-01T10:00:00Z" level=error msg="Unsuccessful 1FA authentication attempt by user 'a\"b\\c\u00e9': user not found" remote_ip=192.0.2.1 note="tab\there""#,
        );
        assert_eq!(user(&e), Some("a\"b\\cé"));
        assert_eq!(e.unmapped["authelia.note"], "tab\there");
        // A user name cannot end the message early or forge a ban.
        let e = parsed(
            r#"time="2024-01-01T10:00:00Z" msg="Unsuccessful 1FA authentication attempt by user 'x': y' and they are banned until never" remote_ip=192.0.2.1"#,
        );
        assert_eq!(user(&e), Some("x"));
        assert_eq!(e.severity_id, LOW);
    }

    #[test]
    fn other_lines_are_unrecognized_with_a_reason() {
        let cases = [
            (
                r#"time="2024-01-01T10:00:00Z" level=info msg="Authelia v4.38.0 is starting""#,
                "not an authentication message",
            ),
            (
                r#"time="2024-01-01T10:00:00Z" level=debug msg="Mark 1FA authentication attempt made by user 'x'" remote_ip=192.0.2.1"#,
                "not an authentication message",
            ),
            (
                r#"time="2024-01-01T10:00:00Z" level=error msg="Unsuccessful 1FA authentication attempt by user ''" remote_ip=192.0.2.1"#,
                "not an authentication message",
            ),
            (r#"time="2024-01-01T10:00:00Z msg=x"#, "no closing quote"),
            ("level=error", "no msg"),
            (r#"{"msg":"x""#, "invalid JSON"),
            ("[1,2]", "no msg"),
            ("{\"a\":1} ", "no msg"),
            ("[1]{", "no msg"),
            (r#"{"msg":3}"#, "not a string"),
            (
                r#"time="yesterday" msg="Unsuccessful 1FA authentication attempt by user 'x'""#,
                "bad time",
            ),
            ("hello world", "no msg"),
            (r#"a"b=c"#, "expected key=value"),
        ];
        test_support::assert_unrecognized(parse, ctx, cases);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        #[test]
        fn arbitrary_text_never_panics(
            s in "\\PC{0,160}",
            t in r#"time="[0-9T:+-]{0,25}" msg="(Uns|S)uccessful [A-Za-z0-9]{0,5} authentication attempt (made )?by user '[^"]{0,12}'[^"]{0,20}" (remote_ip=[0-9.:a-f]{0,16})? [a-z]{1,5}="([^"\\]|\\.){0,10}"?"#,
        ) {
            test_support::parse_never_panics(parse, ctx, [s.as_str(), t.as_str()]);
        }
    }
}
