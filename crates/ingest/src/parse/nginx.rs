//! nginx logs: the access log in the combined (or common) format, optionally with a leading
//! `$host` and extra quoted fields after the user agent; JSON access logs (`log_format …
//! escape=json`) under the usual variable names; and the error log, of which only HTTP Basic
//! authentication failures are events.

use std::borrow::Cow;
use std::net::IpAddr;

use authtrail_model::{Event, HttpRequest};
use serde_json::{Map, Value};

use crate::parse::auto::container_runtime_payload;
use crate::parse::build::{self, ProductInfo, AUTHENTICATION, FAILURE, INFORMATIONAL, LOGON};
use crate::parse::http_event::{
    self, clf_time_ms, count, digits, epoch_seconds_ms, ip_and_port, nil, split_request,
    status_code, tokens, traceparent, JsonFields, Request, Token, BASIC_AUTH,
};
use crate::parse::json_fields;
use crate::parse::syslog::rfc3339_ms;
use crate::parse::{ParseContext, ParseResult, Unrecognized};

/// nginx, as `metadata.product`.
pub const PRODUCT: ProductInfo = ProductInfo {
    name: "nginx",
    vendor: "F5",
};

/// Map one nginx log line (access, JSON access or error log) to an OCSF event.
pub fn parse(text: &str, ctx: &mut ParseContext) -> ParseResult {
    let line = text.trim_end_matches(['\r', '\n']).trim_start();
    // nginx in a container: the same line behind the runtime's prefix.
    let line = container_runtime_payload(line).unwrap_or(line);
    if line.starts_with('{') {
        json(line, ctx)
    } else if is_error_log(line.as_bytes()) {
        error_log(line, ctx)
    } else {
        access_log(line, ctx)
    }
}

/// `yyyy/mm/dd hh:mm:ss [`: the error log's header.
fn is_error_log(b: &[u8]) -> bool {
    b.len() > 21
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'/'
        && b[7] == b'/'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b' '
        && b[20] == b'['
}

/// Where the `[dd/Mon/yyyy:hh:mm:ss zone]` time starts (the index of `[`).
fn time_bracket(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    line.match_indices('[').map(|(i, _)| i).find(|&i| {
        (i == 0 || b.get(i - 1) == Some(&b' '))
            && b.get(i + 3) == Some(&b'/')
            && b.get(i + 7) == Some(&b'/')
            && b.get(i + 12) == Some(&b':')
    })
}

/// `[$host ]$remote_addr - $remote_user [$time_local] "$request" $status $bytes "$referer" "$ua" …`
fn access_log(line: &str, ctx: &ParseContext) -> ParseResult {
    let open = time_bracket(line).ok_or_else(|| {
        Unrecognized::new("not an access-log line: no [dd/Mon/yyyy:hh:mm:ss zone] time")
    })?;
    let head = line.get(..open).unwrap_or("").trim();
    let after = line.get(open + 1..).unwrap_or("");
    let (time, rest) = after
        .split_once(']')
        .ok_or_else(|| Unrecognized::new("access-log time has no closing ]"))?;
    let time_ms = clf_time_ms(time)
        .ok_or_else(|| Unrecognized::because(format!("bad access-log time {time:?}")))?;

    // Before the time: an optional `$host`, the client address, `-` (ident), the user.
    let (first, more) = head.split_once(' ').unwrap_or((head, ""));
    let (vhost, remote, more) = match ip_and_port(first) {
        Some(_) => (None, first, more),
        None => {
            let (second, more) = more.trim_start().split_once(' ').unwrap_or((more, ""));
            (Some(first), second, more)
        }
    };
    let (remote, remote_port) = ip_and_port(remote).ok_or_else(|| {
        if head.is_empty() {
            Unrecognized::new("no client address before the time")
        } else {
            Unrecognized::because(format!("client address {remote:?} is not an IP address"))
        }
    })?;
    let more = more.trim();
    // `- user`, or (some configs) the user alone.
    let user = match more.split_once(' ') {
        Some((_ident, user)) => nil(user),
        None => nil(more),
    };

    let toks = tokens(rest)?;
    let mut toks = toks.into_iter();
    let request = toks
        .next()
        .and_then(Token::quoted)
        .ok_or_else(|| Unrecognized::new("no quoted request after the time"))?;
    let status = toks
        .next()
        .and_then(Token::bare)
        .ok_or_else(|| Unrecognized::new("no status after the request"))?;
    let status = status_code(status).ok_or_else(|| {
        Unrecognized::because(format!("status {status:?} is not an HTTP status code"))
    })?;
    let bytes = match toks.next() {
        Some(Token::Bare(b)) => {
            if b != "-" && count(b).is_none() {
                return Err(Unrecognized::because(format!(
                    "byte count {b:?} is not a number"
                )));
            }
            count(b)
        }
        None => None,
        Some(Token::Quoted(_)) => return Err(Unrecognized::new("no byte count after the status")),
    };
    let referrer = toks.next().map(Token::text).and_then(nil);
    let user_agent = toks.next().map(Token::text).and_then(nil);

    let mut req = Request {
        time_ms,
        remote: Some(remote),
        remote_port,
        user,
        basic_credentials: user.is_some(),
        status: Some(status),
        bytes_sent: bytes,
        referrer,
        user_agent,
        host: vhost,
        ..Request::default()
    };
    req.set_request_line(request);

    // Fields configs add after the user agent: `$http_x_forwarded_for` first, by convention.
    let mut extra = Vec::new();
    for (i, tok) in toks.enumerate() {
        let Some(value) = nil(tok.text()) else {
            continue;
        };
        if i == 0 && is_forwarded_for(value) {
            req.forwarded_for = Some(value);
        } else if traceparent(value).is_some() && req.traceparent.is_none() {
            req.traceparent = Some(value);
        } else if looks_like_credentials(value) {
            // An Authorization header: only a bearer token's hash is kept (and Basic noted).
            if req.authorization.is_none() {
                req.authorization = Some(value);
            }
        } else if value.contains('=') {
            // A cookie header (or something else with values): only a session cookie's hash.
            if req.cookie.is_none() {
                req.cookie = Some(value);
            }
        } else {
            extra.push(Value::from(value));
        }
    }
    if !extra.is_empty() {
        req.unmapped
            .push(("nginx.extra_fields".into(), Value::Array(extra)));
    }
    Ok(http_event::event(req, PRODUCT, "nginx", ctx))
}

/// Whether a value is an `X-Forwarded-For` list: every hop an address.
fn is_forwarded_for(value: &str) -> bool {
    value.split(',').all(|hop| ip_and_port(hop).is_some())
}

/// Whether a value looks like an `Authorization` header (`Scheme credentials`).
fn looks_like_credentials(value: &str) -> bool {
    let Some((scheme, _)) = value.split_once(' ') else {
        return false;
    };
    ["basic", "bearer", "digest", "negotiate", "ntlm", "token"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s))
}

/// A JSON access log: nginx variable names as keys.
fn json(line: &str, ctx: &ParseContext) -> ParseResult {
    let map = json_fields::object(line, "access-log line")?;
    let mut f = JsonFields::new(&map);
    let status = match f.value(&["status"]) {
        None => return Err(Unrecognized::new("JSON access-log line has no status")),
        Some(v) => match v {
            Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
            Value::String(s) => status_code(s),
            _ => None,
        }
        .filter(|c| (100..=999).contains(c))
        .ok_or_else(|| Unrecognized::because(format!("status {v} is not an HTTP status code")))?,
    };
    let time_ms = if let Some(t) = f.str(&["time_iso8601"]) {
        rfc3339_ms(t, ctx)
            .ok_or_else(|| Unrecognized::because(format!("bad time_iso8601 {t:?}")))?
    } else if let Some(t) = f.str(&["time_local"]) {
        clf_time_ms(t).ok_or_else(|| Unrecognized::because(format!("bad time_local {t:?}")))?
    } else if let Some(t) = f.value(&["msec"]) {
        let s = match t {
            Value::String(s) => Cow::Borrowed(s.as_str()),
            other => Cow::Owned(other.to_string()),
        };
        epoch_seconds_ms(&s).ok_or_else(|| Unrecognized::because(format!("bad msec {s:?}")))?
    } else if let Some(t) = f.str(&["timestamp", "@timestamp", "time"]) {
        rfc3339_ms(t, ctx).ok_or_else(|| Unrecognized::because(format!("bad timestamp {t:?}")))?
    } else {
        // No time logged: the time it was received is the best there is.
        ctx.received_ms
    };
    let remote = match f.str(&["remote_addr", "realip_remote_addr", "client_ip"]) {
        Some(r) => Some(ip_and_port(r).ok_or_else(|| {
            Unrecognized::because(format!("remote_addr {r:?} is not an IP address"))
        })?),
        None => None,
    };
    let remote_port = match f.value(&["remote_port"]) {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    let user = f.str(&["remote_user"]);
    let mut req = Request {
        time_ms,
        remote: remote.map(|(ip, _)| ip),
        remote_port: remote.and_then(|(_, port)| port).or(remote_port),
        user,
        basic_credentials: user.is_some(),
        status: Some(status),
        bytes_sent: f.num(&["body_bytes_sent", "bytes_sent"]),
        referrer: f.str(&["http_referer", "http_referrer", "referer", "referrer"]),
        user_agent: f.str(&["http_user_agent", "user_agent"]),
        forwarded_for: f.str(&["http_x_forwarded_for", "x_forwarded_for"]),
        request_id: f.str(&["request_id", "http_x_request_id", "x_request_id"]),
        host: f.str(&["http_host", "host", "server_name"]),
        cookie: f.str(&["http_cookie", "cookie"]),
        authorization: f.str(&["http_authorization", "authorization"]),
        traceparent: f.str(&["http_traceparent", "traceparent"]),
        ..Request::default()
    };
    if let Some(request) = f.str(&["request"]) {
        req.set_request_line(request);
    }
    if let Some(m) = f.str(&["request_method", "method"]) {
        req.method = Some(m);
    }
    if let Some(uri) = f.str(&["request_uri"]) {
        req.target = Some(Cow::Borrowed(uri));
    } else if req.target.is_none() {
        if let Some(uri) = f.str(&["uri", "path"]) {
            req.target = Some(match f.str(&["args", "query_string"]) {
                Some(q) => Cow::Owned(format!("{uri}?{q}")),
                None => Cow::Borrowed(uri),
            });
        }
    }
    if let Some(p) = f.str(&["server_protocol", "protocol"]) {
        req.protocol = Some(p);
    }
    if req.remote.is_none() && req.forwarded_for.is_none() {
        return Err(Unrecognized::new(
            "JSON access-log line has no client address (remote_addr)",
        ));
    }
    req.unmapped = f.rest("nginx");
    Ok(http_event::event(req, PRODUCT, "nginx", ctx))
}

/// What an error-log message says about HTTP Basic authentication, if anything.
struct BasicFailure<'a> {
    user: Option<&'a str>,
    detail: &'static str,
    user_file: Option<&'a str>,
    /// Where the rest of the message (`, client: …`) starts.
    tail: &'a str,
}

fn basic_failure(msg: &str) -> Option<BasicFailure<'_>> {
    const NOT_FOUND: &str = " was not found in ";
    const MISMATCH: &str = "password mismatch";
    const NO_CREDENTIALS: &str = "no user/password was provided for basic authentication";
    if let Some(at) = msg.find(NO_CREDENTIALS) {
        return Some(BasicFailure {
            user: None,
            detail: "no user/password was provided for basic authentication",
            user_file: None,
            tail: msg.get(at + NO_CREDENTIALS.len()..).unwrap_or(""),
        });
    }
    // `user "NAME": password mismatch` (NAME may itself hold quotes: match the whole suffix).
    if let Some(at) = msg.find(MISMATCH) {
        let before = msg.get(..at).unwrap_or("");
        let user = before
            .strip_suffix("\": ")
            .and_then(|b| b.find("user \"").map(|i| (b, i)))
            .and_then(|(b, i)| b.get(i + 6..));
        return Some(BasicFailure {
            user,
            detail: "password mismatch",
            user_file: None,
            tail: msg.get(at + MISMATCH.len()..).unwrap_or(""),
        });
    }
    // `user "NAME" was not found in "FILE"`.
    if let Some(at) = msg.find(NOT_FOUND) {
        let before = msg.get(..at).unwrap_or("");
        let user = before
            .strip_suffix('"')
            .and_then(|b| b.find("user \"").map(|i| (b, i)))
            .and_then(|(b, i)| b.get(i + 6..));
        let after = msg.get(at + NOT_FOUND.len()..).unwrap_or("");
        let (user_file, tail) = match after.strip_prefix('"').and_then(|a| a.split_once('"')) {
            Some((file, tail)) => (Some(file), tail),
            None => (None, after),
        };
        return Some(BasicFailure {
            user,
            detail: "user not found",
            user_file,
            tail,
        });
    }
    None
}

/// The value of `, name: value` (up to the next `, `) in an error-log message's context.
fn context_field<'a>(tail: &'a str, name: &str) -> Option<&'a str> {
    let at = tail.find(&format!(", {name}: "))?;
    let value = tail.get(at + name.len() + 4..)?;
    if let Some(quoted) = value.strip_prefix('"') {
        return quoted.split_once('"').map(|(v, _)| v);
    }
    Some(value.split(',').next().unwrap_or(value).trim())
}

/// `yyyy/mm/dd hh:mm:ss [level] pid#tid: *cid message, client: …, server: …, request: "…"`.
fn error_log(line: &str, ctx: &ParseContext) -> ParseResult {
    let b = line.as_bytes();
    let num = |r: std::ops::Range<usize>| b.get(r).and_then(digits);
    let fields = (|| {
        Some((
            i16::try_from(num(0..4)?).ok()?,
            i8::try_from(num(5..7)?).ok()?,
            i8::try_from(num(8..10)?).ok()?,
            i8::try_from(num(11..13)?).ok()?,
            i8::try_from(num(14..16)?).ok()?,
            i8::try_from(num(17..19)?).ok()?,
        ))
    })();
    let time_ms = fields
        .and_then(|(y, mo, d, h, mi, s)| ctx.local_to_ms(y, mo, d, (h, mi, s), 0))
        .ok_or_else(|| {
            Unrecognized::because(format!(
                "bad error-log time {:?}",
                line.get(..19).unwrap_or(line)
            ))
        })?;
    let after = line.get(21..).unwrap_or("");
    let (level, msg) = after
        .split_once(']')
        .ok_or_else(|| Unrecognized::new("error-log level has no closing ]"))?;
    let msg = msg.trim_start();
    // `pid#tid: ` and `*connection `.
    let msg = match msg.split_once(": ") {
        Some((ids, rest)) if ids.bytes().all(|c| c.is_ascii_digit() || c == b'#') => rest,
        _ => msg,
    };
    let (connection, msg) = match msg.strip_prefix('*').and_then(|m| m.split_once(' ')) {
        Some((cid, rest)) if cid.bytes().all(|c| c.is_ascii_digit()) => (Some(cid), rest),
        _ => (None, msg),
    };
    let Some(failure) = basic_failure(msg) else {
        return Err(Unrecognized::new(
            "error-log line that is not an authentication failure",
        ));
    };

    let mut e: Event = build::new_event(AUTHENTICATION, LOGON, FAILURE, time_ms, PRODUCT);
    e.auth_protocol_id = Some(BASIC_AUTH);
    e.status_detail = Some(failure.detail.into());
    if failure.user.is_none() && failure.detail.starts_with("no user") {
        // The browser's first request, before it asks for credentials: the challenge, not a
        // guess. Still a failed logon, but not one to raise.
        e.severity_id = INFORMATIONAL;
    }
    e.user = failure.user.and_then(nil).map(build::user);
    if let Some(ip) = context_field(failure.tail, "client").and_then(|c| c.parse::<IpAddr>().ok()) {
        e.src_endpoint = Some(build::endpoint(&ip.to_string(), None));
    }
    let host = context_field(failure.tail, "host");
    if let Some(h) = host {
        let (name, port) = http_event::split_authority(h);
        e.dst_endpoint = Some(build::endpoint(name, port));
    }
    if let Some(request) = context_field(failure.tail, "request") {
        if let Some((method, target, protocol)) = split_request(request) {
            let mut http = HttpRequest::default();
            http.extra.insert("http_method".into(), method.into());
            let (path, query) = http_event::split_target(target);
            let mut url = Map::new();
            url.insert("path".into(), path.into());
            if let Some(q) = query {
                url.insert("query_string".into(), q.into());
            }
            if let Some(h) = host {
                url.insert("hostname".into(), http_event::split_authority(h).0.into());
            }
            http.extra.insert("url".into(), Value::Object(url));
            if let Some(p) = protocol {
                let v = p.strip_prefix("HTTP/").unwrap_or(p);
                http.extra.insert("version".into(), v.into());
            }
            e.http_request = Some(http);
        }
    }
    e.unmapped.insert("nginx.level".into(), level.into());
    if let Some(cid) = connection {
        e.unmapped.insert("nginx.connection".into(), cid.into());
    }
    if let Some(server) = context_field(failure.tail, "server") {
        e.unmapped.insert("nginx.server".into(), server.into());
    }
    if let Some(file) = failure.user_file {
        e.unmapped.insert("nginx.user_file".into(), file.into());
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::parse::build::{HTTP_ACTIVITY, LOW, SUCCESS};
    use crate::parse::gateway::{secret_key as key, GatewayConfig};
    use crate::parse::test_support::{self, http, src, user};
    use crate::parse::ParseConfig;

    fn ctx() -> ParseContext {
        test_support::ctx_at(1_795_737_600_000)
    }

    fn ctx_with(gateway: GatewayConfig) -> ParseContext {
        test_support::gateway_ctx(gateway, 1_795_737_600_000)
    }

    fn parsed(line: &str) -> Event {
        test_support::parsed(parse, line, &mut ctx())
    }

    #[test]
    fn combined_basic_failure_is_an_authentication_failure() {
        let e = parsed(
            r#"127.0.0.1 - test [06/Mar/2022:16:14:13 +0000] "POST /client?a=1 HTTP/1.1" 401 141 "http://127.0.0.1/" "Mozilla/5.0" "-""#,
        );
        assert_eq!(e.class_uid, AUTHENTICATION);
        assert_eq!(e.activity_id, LOGON);
        assert_eq!(e.status_id, FAILURE);
        assert_eq!(e.severity_id, LOW);
        assert_eq!(e.status_detail.as_deref(), Some("HTTP 401"));
        assert_eq!(e.status_code.as_deref(), Some("401"));
        assert_eq!(e.auth_protocol_id, Some(BASIC_AUTH));
        assert_eq!(e.auth_protocol.as_deref(), Some("Basic Authentication"));
        assert_eq!(user(&e), Some("test"));
        assert_eq!(src(&e), Some("127.0.0.1"));
        assert_eq!(e.time, 1_646_583_253_000);
        assert_eq!(
            e.http_request.as_ref().unwrap().user_agent.as_deref(),
            Some("Mozilla/5.0")
        );
        assert_eq!(http(&e, "http_method"), Some("POST".into()));
        assert_eq!(
            http(&e, "url"),
            Some(serde_json::json!({"path": "/client", "query_string": "a=1"}))
        );
        assert_eq!(http(&e, "version"), Some("1.1".into()));
        assert_eq!(http(&e, "referrer"), Some("http://127.0.0.1/".into()));
        assert_eq!(
            e.other["http_response"],
            serde_json::json!({"code": 401, "length": 141})
        );
    }

    #[test]
    fn ordinary_requests_are_http_activity() {
        let e = parsed(
            r#"192.168.1.1 - - [04/Jan/2020:07:25:02 +0000] "GET /.well-known/x HTTP/1.1" 404 522 "-" "Go-http-client/1.1""#,
        );
        assert_eq!(e.class_uid, HTTP_ACTIVITY);
        assert_eq!(e.activity_id, 3);
        assert_eq!(e.activity_name.as_deref(), Some("Get"));
        assert_eq!(e.status_id, FAILURE);
        assert_eq!(e.severity_id, INFORMATIONAL);
        assert_eq!(user(&e), None);
        assert_eq!(http(&e, "referrer"), None);
        // Common format: no referrer or user agent.
        let e = parsed(r#"10.1.2.3 - - [04/Jan/2020:07:25:02 +0100] "DELETE /x HTTP/1.0" 204 -"#);
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (HTTP_ACTIVITY, 2, SUCCESS)
        );
        assert_eq!(e.time, 1_578_119_102_000);
        assert_eq!(e.other["http_response"], serde_json::json!({"code": 204}));
        // Methods OCSF does not list are Other.
        let e = parsed(r#"10.1.2.3 - - [04/Jan/2020:07:25:02 +0000] "FOO /x HTTP/1.1" 405 0"#);
        assert_eq!(e.activity_id, 99);
        // A request line that is not one: Unknown, kept raw.
        let e = parsed(r#"10.1.2.3 - - [04/Jan/2020:07:25:02 +0000] "\x16\x03\x01" 400 0 "-" "-""#);
        assert_eq!((e.class_uid, e.activity_id), (HTTP_ACTIVITY, 0));
        assert_eq!(e.unmapped["nginx.request"], r"\x16\x03\x01");
    }

    #[test]
    fn login_posts_succeed_and_form_fetches_are_not_logons() {
        let e = parsed(
            r#"203.0.113.5 - - [04/Jan/2020:07:25:02 +0000] "POST /login HTTP/1.1" 302 0 "-" "ua""#,
        );
        assert_eq!((e.class_uid, e.status_id), (AUTHENTICATION, SUCCESS));
        assert_eq!(e.auth_protocol_id, None);
        assert_eq!(e.status_detail, None);
        let e = parsed(
            r#"203.0.113.5 - - [04/Jan/2020:07:25:02 +0000] "POST /login HTTP/1.1" 429 0 "-" "ua""#,
        );
        assert_eq!((e.class_uid, e.status_id), (AUTHENTICATION, FAILURE));
        let e = parsed(
            r#"203.0.113.5 - - [04/Jan/2020:07:25:02 +0000] "POST /login HTTP/1.1" 502 0 "-" "ua""#,
        );
        assert_eq!((e.class_uid, e.status_id), (AUTHENTICATION, 0));
        let e = parsed(
            r#"203.0.113.5 - - [04/Jan/2020:07:25:02 +0000] "GET /login HTTP/1.1" 200 10 "-" "ua""#,
        );
        assert_eq!(e.class_uid, HTTP_ACTIVITY);
        // With Basic credentials, a GET of an auth path is a logon.
        let e = parsed(
            r#"192.168.1.1 - user123 [08/Jun/2020:08:04:43 +0000] "GET /api/login HTTP/1.1" 200 150 "-" "curl/7.68.0""#,
        );
        assert_eq!((e.class_uid, e.status_id), (AUTHENTICATION, SUCCESS));
        assert_eq!(e.auth_protocol_id, Some(BASIC_AUTH));
        // 403 anywhere is a failure too.
        let e = parsed(r#"10.1.2.3 - - [04/Jan/2020:07:25:02 +0000] "GET /admin HTTP/1.1" 403 0"#);
        assert_eq!((e.class_uid, e.status_id), (AUTHENTICATION, FAILURE));
        assert_eq!(e.auth_protocol_id, None);
    }

    #[test]
    fn variants_of_the_head() {
        let e = parsed(
            r#"www.crowdsec11.net:80 192.168.1.1 - - [08/Jun/2020:08:04:43 +0000] "GET /x.JPG HTTP/1.1" 301 0 "-" "ua""#,
        );
        assert_eq!(src(&e), Some("192.168.1.1"));
        let dst = e.dst_endpoint.as_ref().unwrap();
        assert_eq!(dst.hostname.as_deref(), Some("www.crowdsec11.net"));
        assert_eq!(dst.port, Some(80));
        // The ident field missing.
        let e = parsed(
            r#"192.168.1.1 - [08/Jun/2020:08:04:43 +0000] "GET /api/test HTTP/1.1" 200 100 "-" "curl""#,
        );
        assert_eq!((src(&e), user(&e)), (Some("192.168.1.1"), None));
        let e = parsed(
            r#"2001:db8::7 - bob smith [08/Jun/2020:08:04:43 +0000] "GET / HTTP/2.0" 200 1"#,
        );
        assert_eq!(
            (src(&e), user(&e)),
            (Some("2001:db8::7"), Some("bob smith"))
        );
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let line = r#"10.0.0.5 - - [08/Jun/2020:08:04:43 +0000] "GET / HTTP/1.1" 200 1 "-" "ua" "198.51.100.7, 10.0.0.9""#;
        let e = parsed(line);
        assert_eq!(src(&e), Some("10.0.0.5"));
        assert_eq!(
            http(&e, "x_forwarded_for"),
            Some(serde_json::json!(["198.51.100.7", "10.0.0.9"]))
        );
        let gw = GatewayConfig {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            ..GatewayConfig::default()
        };
        let e = parse(line, &mut ctx_with(gw.clone())).unwrap();
        assert_eq!(src(&e), Some("198.51.100.7"));
        assert_eq!(e.src_endpoint.as_ref().unwrap().port, None);
        // A forged left-most hop does not win.
        let line = r#"10.0.0.5 - - [08/Jun/2020:08:04:43 +0000] "GET / HTTP/1.1" 200 1 "-" "ua" "1.2.3.4, 198.51.100.7""#;
        let e = parse(line, &mut ctx_with(gw)).unwrap();
        assert_eq!(src(&e), Some("198.51.100.7"));
    }

    #[test]
    fn secrets_become_keys_and_never_reach_the_event() {
        let token = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig";
        let cookie = "theme=dark; sessionid=Zm9vYmFyc2VjcmV0";
        let line = format!(
            r#"{{"remote_addr":"203.0.113.9","remote_user":"","time_iso8601":"2024-05-01T10:00:00+02:00","request":"GET /api/me?x=1 HTTP/1.1","status":"200","body_bytes_sent":"12","http_user_agent":"curl","http_cookie":"{cookie}","http_authorization":"Bearer {token}","request_id":"req-1","http_traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","http_host":"api.example.com","sent_http_set_cookie":"sessionid=other","request_time":"0.005","upstream_addr":"10.0.0.2:8080"}}"#
        );
        let e = parsed(&line);
        let session = e.session.as_ref().unwrap();
        assert_eq!(
            session.uid.as_deref(),
            Some(key("Zm9vYmFyc2VjcmV0").as_str())
        );
        assert_eq!(session.extra["credential_uid"], key(token));
        assert_eq!(
            e.other["trace"],
            serde_json::json!({"uid": "4bf92f3577b34da6a3ce929d0e0e4736", "span": {"uid": "00f067aa0ba902b7"}})
        );
        assert_eq!(http(&e, "uid"), Some("req-1".into()));
        assert_eq!(e.time, 1_714_550_400_000);
        assert_eq!(e.unmapped["nginx.request_time"], "0.005");
        assert_eq!(e.unmapped["nginx.upstream_addr"], "10.0.0.2:8080");
        let bytes = String::from_utf8(e.canonical_bytes()).unwrap();
        for secret in [
            "Zm9vYmFyc2VjcmV0",
            "c2VjcmV0LXRva2Vu",
            "sessionid",
            "dark",
            "other",
        ] {
            assert!(!bytes.contains(secret), "{secret} in {bytes}");
        }
        // Same in a text line that logs the headers after the user agent.
        let line = format!(
            r#"10.0.0.5 - - [08/Jun/2020:08:04:43 +0000] "GET / HTTP/1.1" 200 1 "-" "ua" "-" "{cookie}" "Bearer {token}""#
        );
        let e = parsed(&line);
        assert_eq!(
            e.session.as_ref().unwrap().uid.as_deref(),
            Some(key("Zm9vYmFyc2VjcmV0").as_str())
        );
        let bytes = String::from_utf8(e.canonical_bytes()).unwrap();
        for secret in ["Zm9vYmFyc2VjcmV0", "c2VjcmV0LXRva2Vu", "dark"] {
            assert!(!bytes.contains(secret), "{secret} in {bytes}");
        }
    }

    #[test]
    fn json_access_logs_with_split_request_fields() {
        let e = parsed(
            r#"{"remote_addr":"198.51.100.4","remote_user":"alice","time_local":"06/Mar/2022:16:14:13 +0000","request_method":"POST","uri":"/login","args":"next=/","server_protocol":"HTTP/2.0","status":401,"bytes_sent":5,"http_x_forwarded_for":"1.2.3.4"}"#,
        );
        assert_eq!((e.class_uid, e.status_id), (AUTHENTICATION, FAILURE));
        assert_eq!(user(&e), Some("alice"));
        assert_eq!(src(&e), Some("198.51.100.4"));
        assert_eq!(e.auth_protocol_id, Some(BASIC_AUTH));
        assert_eq!(
            http(&e, "url"),
            Some(serde_json::json!({"path": "/login", "query_string": "next=/"}))
        );
        assert_eq!(http(&e, "version"), Some("2.0".into()));
        assert_eq!(e.time, 1_646_583_253_000);
        let e = parsed(
            r#"{"remote_addr":"198.51.100.4","msec":"1646583253.250","request":"GET / HTTP/1.1","status":"200"}"#,
        );
        assert_eq!(e.time, 1_646_583_253_250);
    }

    #[test]
    fn error_log_basic_auth_failures() {
        let e = parsed(
            r#"2021/09/30 09:23:53 [error] 1925800#1925800: *17 user "foo" was not found in "/tmp/a.htpasswd", client: 127.0.0.1, server: _, request: "GET /private HTTP/1.1", host: "localhost""#,
        );
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (AUTHENTICATION, LOGON, FAILURE)
        );
        assert_eq!(e.auth_protocol_id, Some(BASIC_AUTH));
        assert_eq!(user(&e), Some("foo"));
        assert_eq!(src(&e), Some("127.0.0.1"));
        assert_eq!(e.status_detail.as_deref(), Some("user not found"));
        assert_eq!(e.time, 1_632_993_833_000);
        assert_eq!(e.unmapped["nginx.user_file"], "/tmp/a.htpasswd");
        assert_eq!(e.unmapped["nginx.server"], "_");
        assert_eq!(e.unmapped["nginx.connection"], "17");
        assert_eq!(
            http(&e, "url"),
            Some(serde_json::json!({"path": "/private", "hostname": "localhost"}))
        );
        let e = parsed(
            r#"2021/09/30 09:23:53 [error] 7#7: *3 user "a\"b": password mismatch, client: 2001:db8::2, server: x, request: "POST / HTTP/1.1", host: "h""#,
        );
        assert_eq!(user(&e), Some(r#"a\"b"#));
        assert_eq!(src(&e), Some("2001:db8::2"));
        assert_eq!(e.status_detail.as_deref(), Some("password mismatch"));
        let e = parsed(
            "2021/09/30 09:23:53 [error] 7#7: *3 no user/password was provided for basic authentication, client: 10.0.0.1, server: x, request: \"GET / HTTP/1.1\"",
        );
        assert_eq!((user(&e), src(&e)), (None, Some("10.0.0.1")));
        assert_eq!(e.severity_id, INFORMATIONAL);
        // A user name cannot forge the client.
        let e = parsed(
            r#"2021/09/30 09:23:53 [error] 7#7: *3 user "x, client: 6.6.6.6," was not found in "/f", client: 10.0.0.1, server: s"#,
        );
        assert_eq!(src(&e), Some("10.0.0.1"));
        // Times without a zone are in the configured zone.
        let config = ParseConfig {
            zone: jiff::tz::TimeZone::get("Europe/Paris").unwrap(),
            ..ParseConfig::default()
        };
        let mut paris = ParseContext::new(Arc::new(config), 0);
        let e = parse(
            r#"2021/09/30 11:23:53 [error] 1#1: *1 user "foo" was not found in "/f", client: 127.0.0.1, server: _"#,
            &mut paris,
        )
        .unwrap();
        assert_eq!(e.time, 1_632_993_833_000);
    }

    #[test]
    fn other_lines_are_unrecognized_with_a_reason() {
        let cases = [
            (
                r#"2021/12/01 13:53:33 [error] 31#31: *46 "/usr/share/nginx/html/market/index.html" is not found (2: No such file or directory), client: 172.17.0.1"#,
                "not an authentication failure",
            ),
            ("hello world", "no [dd/Mon/yyyy"),
            (
                r#"x.y - - [08/Jun/2020:08:04:43 +0000] "GET / HTTP/1.1" 200 1"#,
                "\"-\" is not an IP",
            ),
            (
                r#"1.2.3.4 - - [08/Jun/2020:08:04:43 +0000] "GET / HTTP/1.1" 2000 1"#,
                "status \"2000\"",
            ),
            (
                r#"1.2.3.4 - - [08/Jun/2020:08:04:43 +0000] "GET / HTTP/1.1"#,
                "no closing quote",
            ),
            (
                r#"1.2.3.4 - - [08/Jun/2020:08:04:43 +0000] "GET / HTTP/1.1""#,
                "no status",
            ),
            (
                r#"1.2.3.4 - - [31/Jun/2020:08:04:43 +0000] "GET / HTTP/1.1" 200 1"#,
                "bad access-log time",
            ),
            (
                r#"1.2.3.4 - - [08/Jun/2020:08:04:43 +0000] "GET / HTTP/1.1" 200 lots"#,
                "byte count",
            ),
            (r#"{"remote_addr":"1.2.3.4"}"#, "no status"),
            (r#"{"remote_addr":"1.2.3.4","#, "invalid JSON"),
            (r#"{"status":200}"#, "no client address"),
            (
                r#"{"remote_addr":"nope","status":200}"#,
                "not an IP address",
            ),
            ("2021/09/30 09:23:5x [error] 1#1: x", "bad error-log time"),
        ];
        test_support::assert_unrecognized(parse, ctx, cases);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        #[test]
        fn arbitrary_text_never_panics(
            s in "\\PC{0,120}",
            f in crate::parse::http_event::tests::fragments(),
        ) {
            test_support::parse_never_panics(parse, ctx, [s.as_str(), f.as_str()]);
        }

        #[test]
        fn combined_lines_round_trip(
            v4 in proptest::prelude::any::<[u8; 4]>(),
            v6 in proptest::prelude::any::<[u16; 8]>(),
            use_v6 in proptest::prelude::any::<bool>(),
            name in proptest::option::of("[A-Za-z0-9._@]{1,12}"),
            status in 100u16..600,
            method in proptest::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PROPFIND"]),
            path in "/[A-Za-z0-9/._~%-]{0,24}",
            query in proptest::option::of("[A-Za-z0-9=&%]{0,12}"),
            bytes in proptest::option::of(0u64..1_000_000),
        ) {
            let ip: IpAddr = if use_v6 { v6.into() } else { v4.into() };
            let target = match &query {
                Some(q) => format!("{path}?{q}"),
                None => path.clone(),
            };
            let line = format!(
                r#"{ip} - {} [06/Mar/2022:16:14:13 +0000] "{method} {target} HTTP/1.1" {status} {} "-" "agent/1""#,
                name.as_deref().unwrap_or("-"),
                bytes.map_or("-".to_string(), |b| b.to_string()),
            );
            let mut e = parse(&line, &mut ctx()).map_err(|u| proptest::test_runner::TestCaseError::fail(format!("{line}: {u}")))?;
            e.normalize().unwrap();
            let ip_text = ip.to_string();
            proptest::prop_assert_eq!(src(&e), Some(ip_text.as_str()));
            proptest::prop_assert_eq!(user(&e), name.as_deref());
            let status_text = status.to_string();
            proptest::prop_assert_eq!(e.status_code.as_deref(), Some(status_text.as_str()));
            proptest::prop_assert_eq!(http(&e, "http_method"), Some(Value::from(method)));
            let url = http(&e, "url").unwrap();
            proptest::prop_assert_eq!(&url["path"], &Value::from(path.as_str()));
            match &query {
                Some(q) => proptest::prop_assert_eq!(&url["query_string"], &Value::from(q.as_str())),
                None => proptest::prop_assert!(url.get("query_string").is_none()),
            }
            proptest::prop_assert_eq!(&e.other["http_response"]["code"], &Value::from(status));
            if e.class_uid == HTTP_ACTIVITY {
                proptest::prop_assert_eq!(e.activity_id, http_event::method_activity(method));
            }
        }
    }
}
