//! `--format auto`: which parser a line is for, from its shape alone.

use crate::parse::clock::month_number;
use crate::parse::format::InputFormat;

/// The format a line is in (never [`InputFormat::Auto`]), or `None` when it looks like
/// nothing authtrail reads.
pub fn detect(line: &str) -> Option<InputFormat> {
    let line = line.trim_start();
    if line.starts_with('{') {
        return Some(json_shape(line));
    }
    let b = line.as_bytes();
    if line.starts_with("time=\"") && line.contains(" remote_ip=") {
        return Some(InputFormat::Authelia);
    }
    if crate::parse::keycloak::looks_like(line) {
        return Some(InputFormat::Keycloak);
    }
    if crate::parse::windows::looks_like(line) {
        return Some(InputFormat::Windows);
    }
    if line.starts_with("type=") || line.starts_with("node=") {
        return Some(InputFormat::Auditd);
    }
    if let Some(inner) = container_runtime_payload(line) {
        // Container runtimes wrap access logs; what is inside decides.
        return match detect(inner) {
            found @ Some(InputFormat::Envoy | InputFormat::Nginx) => found,
            _ => None,
        };
    }
    if line.starts_with("[")
        && b.len() > 25
        && b[1..5].iter().all(u8::is_ascii_digit)
        && b[11] == b'T'
    {
        return Some(InputFormat::Envoy);
    }
    if is_nginx_error(b) || is_combined(line) {
        return Some(InputFormat::Nginx);
    }
    let syslog_pri = b.first() == Some(&b'<') && b.get(1).is_some_and(u8::is_ascii_digit);
    let classic = b.len() > 15 && month_number(&b[..3]).is_some() && b[3] == b' ';
    let rfc3339 =
        b.len() > 19 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[10] == b'T';
    if syslog_pri || classic || rfc3339 {
        return Some(InputFormat::Syslog);
    }
    None
}

/// Which JSON access log, if any, an object is.
fn json_shape(line: &str) -> InputFormat {
    if line.starts_with("{\"resourceLogs\"") {
        // An OTLP/JSON request; one of one record maps, larger ones need `--format otlp`.
        InputFormat::Otlp
    } else if line.contains("\"class_uid\"") {
        InputFormat::Json
    } else if crate::parse::okta::looks_like(line) {
        InputFormat::Okta
    } else if crate::parse::auth0::looks_like(line) {
        InputFormat::Auth0
    } else if crate::parse::keycloak::looks_like(line) {
        InputFormat::Keycloak
    } else if crate::parse::cloudtrail::looks_like(line) {
        InputFormat::CloudTrail
    } else if crate::parse::entra::looks_like(line) {
        InputFormat::Entra
    } else if crate::parse::kubernetes::looks_like(line) {
        InputFormat::Kubernetes
    } else if crate::parse::windows::looks_like(line) {
        InputFormat::Windows
    } else if line.contains("\"response_code\"")
        || line.contains("\"upstream_cluster\"")
        || line.contains("\"downstream_remote_address\"")
    {
        InputFormat::Envoy
    } else if line.contains("\"remote_addr\"") || line.contains("\"request_uri\"") {
        InputFormat::Nginx
    } else if line.contains("\"client_ip\"")
        && (line.contains("\"action\"") || line.contains("\"auth_via\""))
    {
        InputFormat::Authentik
    } else if line.contains("\"remote_ip\"")
        && (line.contains("\"msg\"") || line.contains("\"path\""))
    {
        InputFormat::Authelia
    } else {
        InputFormat::Json
    }
}

/// The payload of a CRI container-log line: `<RFC 3339 time> stdout|stderr F|P <payload>`.
pub fn container_runtime_payload(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    if b.len() < 20 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' || b[10] != b'T' {
        return None;
    }
    let (_, rest) = line.split_once(' ')?;
    let rest = rest
        .strip_prefix("stdout ")
        .or_else(|| rest.strip_prefix("stderr "))?;
    rest.strip_prefix("F ").or_else(|| rest.strip_prefix("P "))
}

/// `yyyy/mm/dd hh:mm:ss [level]`: nginx's error log.
fn is_nginx_error(b: &[u8]) -> bool {
    b.len() > 21 && b[4] == b'/' && b[7] == b'/' && b[10] == b' ' && b[13] == b':' && b[20] == b'['
}

/// The combined (and common) log format: `[dd/Mon/yyyy:…` within the first five words
/// (`addr ident user [time]`, with or without a leading `$host` or the ident field).
fn is_combined(line: &str) -> bool {
    line.split(' ').take(5).any(|word| {
        let w = word.as_bytes();
        w.len() >= 13
            && w[0] == b'['
            && w[1..3].iter().all(u8::is_ascii_digit)
            && w[3] == b'/'
            && w[7] == b'/'
            && w[8..12].iter().all(u8::is_ascii_digit)
            && w[12] == b':'
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_told_apart() {
        let cases = [
            (
                "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user",
                Some(InputFormat::Syslog),
            ),
            (
                "<34>Oct 11 22:14:15 mymachine su: failed",
                Some(InputFormat::Syslog),
            ),
            (
                "2024-03-01T10:00:00+01:00 web1 sudo: x",
                Some(InputFormat::Syslog),
            ),
            (
                "type=USER_AUTH msg=audit(1.2:3): pid=1",
                Some(InputFormat::Auditd),
            ),
            (
                r#"127.0.0.1 - test [10/Oct/2023:13:55:36 +0000] "POST /client HTTP/1.1" 401 0 "-" "curl""#,
                Some(InputFormat::Nginx),
            ),
            (
                "2023/10/10 13:55:36 [error] 7#7: *1 user \"foo\" was not found",
                Some(InputFormat::Nginx),
            ),
            (
                r#"[2016-04-15T20:17:00.310Z] "GET / HTTP/2" 200 - 0 17 1 0 "-" "curl" "id" "host" "10.0.0.1:80""#,
                Some(InputFormat::Envoy),
            ),
            (
                r#"2023-06-06T09:12:53.1Z stdout F {"response_code":401,"method":"GET"}"#,
                Some(InputFormat::Envoy),
            ),
            (r#"{"class_uid":3002}"#, Some(InputFormat::Json)),
            (
                r#"{"remote_addr":"1.2.3.4","status":"401"}"#,
                Some(InputFormat::Nginx),
            ),
            (
                r#"example.org 10.0.0.1 - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 5"#,
                Some(InputFormat::Nginx),
            ),
            (
                r#"2023-06-06T09:12:53.1Z stdout F [2016-04-15T20:17:00.310Z] "GET / HTTP/2" 200 - 0 17 1 0 "-" "curl" "id" "host" "10.0.0.1:80""#,
                Some(InputFormat::Envoy),
            ),
            ("2023-06-06T09:12:53.1Z stdout F hello", None),
            (
                r#"time="2022-02-14T13:49:12+02:00" level=error msg="Unsuccessful 1FA authentication attempt by user 'u'" method=POST path=/api/firstfactor remote_ip=192.0.2.1"#,
                Some(InputFormat::Authelia),
            ),
            (
                r#"{"level":"debug","msg":"Successful 1FA authentication attempt made by user 'u'","path":"/api/firstfactor","remote_ip":"127.0.0.1"}"#,
                Some(InputFormat::Authelia),
            ),
            (
                r#"{"action": "login_failed", "client_ip": "1.2.3.4", "context": {}}"#,
                Some(InputFormat::Authentik),
            ),
            (
                r#"{"auth_via": "unauthenticated", "client_ip": "1.2.3.4"}"#,
                Some(InputFormat::Authentik),
            ),
            // A logfmt line without a client address is nothing authtrail reads.
            (
                r#"time="2022-02-14T13:49:12+02:00" level=info msg="x""#,
                None,
            ),
            // An OCSF event naming a client_ip stays OCSF.
            (
                r#"{"class_uid":3002,"action":"x","client_ip":"1.2.3.4"}"#,
                Some(InputFormat::Json),
            ),
            ("\u{0}\u{1}binary", None),
            ("just some words", None),
        ];
        for (line, shape) in cases {
            assert_eq!(detect(line), shape, "{line}");
        }
    }
}
