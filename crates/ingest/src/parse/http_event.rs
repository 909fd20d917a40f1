//! What nginx and Envoy access logs share: reading their fields (quoted tokens, times, addresses,
//! JSON keys) and making one logged HTTP request an OCSF event.
//!
//! A request is an Authentication event (3002, Logon) when it is an authentication attempt: any
//! 401/403 answer, or a request to a configured auth path that is not just fetching the form (a
//! GET/HEAD/OPTIONS without credentials). Everything else is HTTP Activity (4002), its activity the
//! method. Secrets (session cookies, bearer tokens) are kept only as [`secret_key`]s.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};

use authtrail_model::{Endpoint, Event, HttpRequest, Session};
use serde_json::{Map, Value};

use crate::parse::build::{
    self, ProductInfo, AUTHENTICATION, FAILURE, HTTP_ACTIVITY, INFORMATIONAL, LOGON, OTHER,
    STATUS_UNKNOWN, SUCCESS,
};
use crate::parse::clock::month_number;
use crate::parse::gateway::{bearer_token, secret_key, GatewayConfig};
use crate::parse::{ParseContext, Unrecognized};

/// OCSF `auth_protocol_id` of HTTP Basic authentication.
pub const BASIC_AUTH: i32 = 11;

/// One HTTP request as an access log recorded it; what the log did not record is `None`.
#[derive(Clone, Debug, Default)]
pub struct Request<'a> {
    /// When the request was received, ms since the epoch.
    pub time_ms: i64,
    /// The peer that sent it (the proxy in front, if any).
    pub remote: Option<IpAddr>,
    /// The peer's port.
    pub remote_port: Option<u16>,
    /// The `X-Forwarded-For` header as logged.
    pub forwarded_for: Option<&'a str>,
    /// The authenticated (or claimed) user.
    pub user: Option<&'a str>,
    /// Whether the log shows HTTP Basic credentials were sent (nginx `$remote_user`).
    pub basic_credentials: bool,
    /// Request method.
    pub method: Option<&'a str>,
    /// Request target: path and query string.
    pub target: Option<Cow<'a, str>>,
    /// Protocol (`HTTP/1.1`).
    pub protocol: Option<&'a str>,
    /// Response status code.
    pub status: Option<u16>,
    /// Response bytes.
    pub bytes_sent: Option<u64>,
    /// `Referer` header.
    pub referrer: Option<&'a str>,
    /// `User-Agent` header.
    pub user_agent: Option<&'a str>,
    /// Request id (`X-Request-Id`, nginx `$request_id`).
    pub request_id: Option<&'a str>,
    /// `Host` header or HTTP/2 authority.
    pub host: Option<&'a str>,
    /// `Cookie` header (hashed, never stored).
    pub cookie: Option<&'a str>,
    /// `Authorization` header (hashed, never stored).
    pub authorization: Option<&'a str>,
    /// W3C `traceparent` header.
    pub traceparent: Option<&'a str>,
    /// The request line as logged when it is not `METHOD target [protocol]`.
    pub raw_request: Option<&'a str>,
    /// Fields with no OCSF slot, by their `unmapped` key.
    pub unmapped: Vec<(String, Value)>,
}

impl<'a> Request<'a> {
    /// Fill method, target and protocol from a logged request line; when it is not
    /// `METHOD target [protocol]`, keep it raw instead and return `false`.
    pub fn set_request_line(&mut self, request: &'a str) -> bool {
        match split_request(request) {
            Some((method, target, protocol)) => {
                self.method = Some(method);
                self.target = Some(Cow::Borrowed(target));
                self.protocol = protocol;
                true
            }
            None => {
                self.raw_request = nil(request);
                false
            }
        }
    }
}

/// The OCSF event for a request: Authentication for attempts, HTTP Activity otherwise.
/// `source` prefixes the `unmapped` keys this adds.
pub fn event(req: Request<'_>, product: ProductInfo, source: &str, ctx: &ParseContext) -> Event {
    let gw = &ctx.config.gateway;
    let (path, query) = match req.target.as_deref() {
        Some(target) => {
            let (p, q) = split_target(target);
            (Some(p), q)
        }
        None => (None, None),
    };
    let basic = req.basic_credentials || req.authorization.is_some_and(is_basic);
    let bearer = req.authorization.and_then(bearer_token);
    let has_credentials = basic || bearer.is_some() || req.user.is_some();
    let on_auth_path = path.is_some_and(|p| gw.is_auth_path(p));
    let fetches_form = matches!(req.method, Some("GET" | "HEAD" | "OPTIONS")) && !has_credentials;
    let denied = matches!(req.status, Some(401 | 403));
    let mut e = if denied || (on_auth_path && !fetches_form) {
        // 4xx: the attempt failed. 5xx says nothing about the credentials: outcome unknown.
        let status_id = match req.status {
            Some(100..=399) => SUCCESS,
            Some(400..=499) => FAILURE,
            _ => STATUS_UNKNOWN,
        };
        let mut e = build::new_event(AUTHENTICATION, LOGON, status_id, req.time_ms, product);
        if status_id != SUCCESS {
            e.status_detail = req.status.map(|c| format!("HTTP {c}"));
        }
        if basic {
            e.auth_protocol_id = Some(BASIC_AUTH);
        }
        e
    } else {
        // The status of HTTP Activity is the request's outcome: the response code says it.
        let status_id = match req.status {
            Some(100..=399) => SUCCESS,
            Some(400..=599) => FAILURE,
            _ => STATUS_UNKNOWN,
        };
        let activity = req.method.map_or(0, method_activity);
        let mut e = build::new_event(HTTP_ACTIVITY, activity, status_id, req.time_ms, product);
        // An error answer is routine traffic, not something to raise.
        e.severity_id = INFORMATIONAL;
        e
    };
    e.status_code = req.status.map(|c| c.to_string());
    e.user = req.user.map(build::user);
    if let Some(ip) = client_address(gw, req.remote, req.forwarded_for) {
        e.src_endpoint = Some(Endpoint {
            ip: Some(ip.to_string()),
            port: req.remote_port.filter(|_| Some(ip) == req.remote),
            ..Endpoint::default()
        });
    }
    let host = req.host.map(split_authority);
    if let Some((name, port)) = host {
        e.dst_endpoint = Some(build::endpoint(name, port));
    }

    let mut http = HttpRequest {
        user_agent: req.user_agent.map(String::from),
        ..HttpRequest::default()
    };
    if let Some(m) = req.method {
        http.extra.insert("http_method".into(), m.into());
    }
    let mut url = Map::new();
    if let Some(p) = path {
        url.insert("path".into(), p.into());
    }
    if let Some(q) = query {
        url.insert("query_string".into(), q.into());
    }
    if let Some((name, port)) = host {
        url.insert("hostname".into(), name.into());
        if let Some(port) = port {
            url.insert("port".into(), port.into());
        }
    }
    if !url.is_empty() {
        http.extra.insert("url".into(), Value::Object(url));
    }
    if let Some(v) = req.protocol {
        let v = v.strip_prefix("HTTP/").unwrap_or(v);
        http.extra.insert("version".into(), v.into());
    }
    if let Some(r) = req.referrer {
        http.extra.insert("referrer".into(), r.into());
    }
    if let Some(id) = req.request_id {
        http.extra.insert("uid".into(), id.into());
    }
    if let Some(xff) = req.forwarded_for {
        // OCSF lists addresses: ports and brackets go; a hop that is not an address (`unknown`,
        // an obfuscated name) keeps the whole header in `unmapped` instead.
        let hops: Option<Vec<Value>> = xff
            .split(',')
            .map(|h| ip_and_port(h).map(|(ip, _)| Value::from(ip.to_string())))
            .collect();
        match hops {
            Some(hops) => {
                http.extra
                    .insert("x_forwarded_for".into(), Value::Array(hops));
            }
            None => {
                e.unmapped
                    .insert("http.x_forwarded_for".into(), Value::from(xff));
            }
        }
    }
    if http.user_agent.is_some() || !http.extra.is_empty() {
        e.http_request = Some(http);
    }

    let mut response = Map::new();
    if let Some(code) = req.status {
        response.insert("code".into(), code.into());
    }
    if let Some(n) = req.bytes_sent {
        response.insert("length".into(), n.into());
    }
    if !response.is_empty() {
        e.other
            .insert("http_response".into(), Value::Object(response));
    }

    let session_uid = req
        .cookie
        .and_then(|c| gw.session_cookie(c))
        .map(secret_key);
    let credential_uid = bearer.map(secret_key);
    if session_uid.is_some() || credential_uid.is_some() {
        let mut session = Session {
            uid: session_uid,
            ..Session::default()
        };
        if let Some(key) = credential_uid {
            session.extra.insert("credential_uid".into(), key.into());
        }
        e.session = Some(session);
    }

    if let Some(tp) = req.traceparent {
        match traceparent(tp) {
            Some((trace, span)) => {
                let trace = serde_json::json!({"uid": trace, "span": {"uid": span}});
                e.other.insert("trace".into(), trace);
            }
            None => {
                e.unmapped
                    .insert(format!("{source}.traceparent"), tp.into());
            }
        }
    }
    if let Some(r) = req.raw_request {
        e.unmapped.insert(format!("{source}.request"), r.into());
    }
    e.unmapped.extend(req.unmapped);
    e
}

/// The client: the peer itself, or the `X-Forwarded-For` hop the trusted proxies vouch for.
/// Without a logged peer (Envoy's default text format), the right-most hop is the peer: the
/// one Envoy appends itself when it is the edge, and the only one not chosen by the client.
pub fn client_address(
    gw: &GatewayConfig,
    remote: Option<IpAddr>,
    forwarded_for: Option<&str>,
) -> Option<IpAddr> {
    // Hops as bare addresses ("[v6]:port" and "v4:port" written as the address alone); what is
    // not an address stays as it is, so the walk still stops there.
    let cleaned = forwarded_for.map(|xff| {
        let hops: Vec<Cow<'_, str>> = xff
            .split(',')
            .map(|h| match ip_and_port(h) {
                Some((ip, _)) => Cow::Owned(ip.to_string()),
                None => Cow::Borrowed(h.trim()),
            })
            .collect();
        hops.join(",")
    });
    match remote {
        Some(ip) => Some(gw.client_ip(ip, cleaned.as_deref())),
        None => {
            let cleaned = cleaned?;
            let (rest, last) = match cleaned.rsplit_once(',') {
                Some((rest, last)) => (Some(rest), last),
                None => (None, cleaned.as_str()),
            };
            let peer = last.trim().parse::<IpAddr>().ok()?;
            Some(gw.client_ip(peer, rest))
        }
    }
}

/// Whether an `Authorization` value carries Basic credentials.
fn is_basic(authorization: &str) -> bool {
    authorization
        .trim()
        .get(..6)
        .is_some_and(|s| s.eq_ignore_ascii_case("basic "))
}

/// HTTP Activity's `activity_id` for a request method (99 Other for methods OCSF does not list).
pub fn method_activity(method: &str) -> i32 {
    match method {
        "CONNECT" => 1,
        "DELETE" => 2,
        "GET" => 3,
        "HEAD" => 4,
        "OPTIONS" => 5,
        "POST" => 6,
        "PUT" => 7,
        "TRACE" => 8,
        "PATCH" => 9,
        "ACL" => 10,
        "BASELINE-CONTROL" => 11,
        "BIND" => 12,
        "CHECKIN" => 13,
        "CHECKOUT" => 14,
        "COPY" => 15,
        "LABEL" => 16,
        "LINK" => 17,
        "LOCK" => 18,
        "MERGE" => 19,
        "MKACTIVITY" => 20,
        "MKCALENDAR" => 21,
        "MKCOL" => 22,
        "MKREDIRECTREF" => 23,
        "MKWORKSPACE" => 24,
        "MOVE" => 25,
        "ORDERPATCH" => 26,
        "PRI" => 27,
        "PROPFIND" => 28,
        "PROPPATCH" => 29,
        "QUERY" => 30,
        "REBIND" => 31,
        "REPORT" => 32,
        "SEARCH" => 33,
        "UNBIND" => 34,
        "UNCHECKOUT" => 35,
        "UNLINK" => 36,
        "UNLOCK" => 37,
        "UPDATE" => 38,
        "UPDATEREDIRECTREF" => 39,
        "VERSION-CONTROL" => 40,
        _ => OTHER,
    }
}

/// The trace id and span id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`).
pub fn traceparent(value: &str) -> Option<(&str, &str)> {
    let mut parts = value.trim().split('-');
    let version = parts.next()?;
    let trace = parts.next()?;
    let span = parts.next()?;
    let flags = parts.next()?;
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let nonzero = |s: &str| s.bytes().any(|b| b != b'0');
    let ok = hex(version, 2)
        && version != "ff"
        // Version 00 has exactly four fields; later versions may add more.
        && (version != "00" || parts.next().is_none())
        && hex(trace, 32)
        && nonzero(trace)
        && hex(span, 16)
        && nonzero(span)
        && hex(flags, 2);
    ok.then_some((trace, span))
}

/// A logged value, or `None` for the "not set" markers (`-`, empty).
pub fn nil(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty() && s != "-").then_some(s)
}

/// An address with an optional port: `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]:80`
/// (also after `tcp://`).
pub fn ip_and_port(s: &str) -> Option<(IpAddr, Option<u16>)> {
    let s = s.trim();
    let s = s.strip_prefix("tcp://").unwrap_or(s);
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some((ip, None));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let ip = ip.parse().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?.parse().ok()?),
        };
        return Some((ip, port));
    }
    let (ip, port) = s.rsplit_once(':')?;
    let ip: Ipv4Addr = ip.parse().ok()?;
    Some((IpAddr::V4(ip), Some(port.parse().ok()?)))
}

/// A `Host` header or authority as host and port (`[v6]:443`, `name:8080`, `name`).
pub fn split_authority(s: &str) -> (&str, Option<u16>) {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((host, after)) = rest.split_once(']') {
            return (host, after.strip_prefix(':').and_then(|p| p.parse().ok()));
        }
    }
    if let Some((host, port)) = s.split_once(':') {
        if !port.contains(':') {
            if let Ok(port) = port.parse() {
                return (host, Some(port));
            }
        }
    }
    (s, None)
}

/// A request target as path and query string.
pub fn split_target(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    }
}

/// A request line `METHOD target [protocol]`, or `None` when it is not one (garbage, `-`).
pub fn split_request(line: &str) -> Option<(&str, &str, Option<&str>)> {
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let method = parts.next()?;
    let target = parts.next()?;
    let protocol = parts.next();
    let is_method = method.len() <= 32
        && method
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_');
    if !is_method || parts.next().is_some() {
        return None;
    }
    if protocol.is_some_and(|p| !p.starts_with("HTTP/")) {
        return None;
    }
    Some((method, target, protocol))
}

/// A response status code (100-999).
pub fn status_code(s: &str) -> Option<u16> {
    let b = s.as_bytes();
    if b.len() != 3 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.parse().ok().filter(|c| *c >= 100)
}

/// The decimal number a field holds, or `None` (also for `-`).
pub fn count(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Digits as a number (no sign, one to nine digits).
pub fn digits(b: &[u8]) -> Option<i32> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + i32::from(d - b'0')))
}

/// Epoch ms of a common-log-format time, `10/Oct/2023:13:55:36 +0000`.
pub fn clf_time_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(at(2, b'/') && at(6, b'/') && at(11, b':') && at(14, b':') && at(17, b':') && at(20, b' '))
        || b.len() != 26
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| b.get(r).and_then(digits);
    let day = i8::try_from(num(0..2)?).ok()?;
    let month = month_number(b.get(3..6)?)?;
    let year = i16::try_from(num(7..11)?).ok()?;
    let hour = i8::try_from(num(12..14)?).ok()?;
    let minute = i8::try_from(num(15..17)?).ok()?;
    let second = i8::try_from(num(18..20)?).ok()?;
    let sign = match b.get(21)? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let offset = sign * (num(22..24)? * 3600 + num(24..26)? * 60);
    let dt = jiff::civil::DateTime::new(year, month, day, hour, minute, second, 0).ok()?;
    let offset = jiff::tz::Offset::from_seconds(offset).ok()?;
    Some(offset.to_timestamp(dt).ok()?.as_millisecond())
}

/// Epoch ms of seconds since the epoch with an optional fraction (nginx `$msec`).
pub fn epoch_seconds_ms(s: &str) -> Option<i64> {
    let (secs, frac) = s.trim().split_once('.').unwrap_or((s.trim(), ""));
    let secs = i64::try_from(count(secs)?).ok()?;
    let mut ms = 0i64;
    for (i, d) in frac.bytes().take(3).enumerate() {
        if !d.is_ascii_digit() {
            return None;
        }
        ms += i64::from(d - b'0') * [100, 10, 1][i];
    }
    secs.checked_mul(1000)?.checked_add(ms)
}

/// A field of a text access-log line: `"quoted"` (escapes kept as written) or bare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// A double-quoted field, without its quotes.
    Quoted(&'a str),
    /// A field up to the next space.
    Bare(&'a str),
}

impl<'a> Token<'a> {
    /// The field's text.
    pub fn text(self) -> &'a str {
        match self {
            Token::Quoted(s) | Token::Bare(s) => s,
        }
    }

    /// The text of a quoted field.
    pub fn quoted(self) -> Option<&'a str> {
        match self {
            Token::Quoted(s) => Some(s),
            Token::Bare(_) => None,
        }
    }

    /// The text of a bare field.
    pub fn bare(self) -> Option<&'a str> {
        match self {
            Token::Bare(s) => Some(s),
            Token::Quoted(_) => None,
        }
    }
}

/// Split the fields of a text access-log line. A backslash escapes the next byte inside quotes.
pub fn tokens(s: &str) -> Result<Vec<Token<'_>>, Unrecognized> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(16);
    let mut i = 0;
    loop {
        while b.get(i).is_some_and(|c| *c == b' ' || *c == b'\t') {
            i += 1;
        }
        if i >= b.len() {
            return Ok(out);
        }
        if b[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            loop {
                match b.get(j) {
                    None => {
                        return Err(Unrecognized::because(format!(
                            "quoted field at byte {i} has no closing quote"
                        )))
                    }
                    Some(b'\\') => j += 2,
                    Some(b'"') => break,
                    Some(_) => j += 1,
                }
            }
            // `start` and `j` sit next to ASCII quotes: both are character boundaries.
            out.push(Token::Quoted(s.get(start..j).unwrap_or("")));
            i = j + 1;
        } else {
            let start = i;
            while b.get(i).is_some_and(|c| *c != b' ' && *c != b'\t') {
                i += 1;
            }
            out.push(Token::Bare(s.get(start..i).unwrap_or("")));
        }
    }
}

/// The keys of a JSON access-log object, looked up by normalized name (lower case, `-` as `_`,
/// HTTP/2 pseudo-header `:` dropped), remembering which were used.
pub struct JsonFields<'v> {
    entries: Vec<(String, &'v Value, bool)>,
}

impl<'v> JsonFields<'v> {
    /// The fields of an object.
    pub fn new(map: &'v Map<String, Value>) -> Self {
        let entries = map
            .iter()
            .map(|(k, v)| {
                let key = k
                    .trim_start_matches(':')
                    .to_ascii_lowercase()
                    .replace('-', "_");
                (key, v, false)
            })
            .collect();
        JsonFields { entries }
    }

    /// The first of `names` present with a non-null value.
    pub fn value(&mut self, names: &[&str]) -> Option<&'v Value> {
        for name in names {
            if let Some(entry) = self.entries.iter_mut().find(|e| e.0 == *name) {
                entry.2 = true;
                if !entry.1.is_null() {
                    return Some(entry.1);
                }
            }
        }
        None
    }

    /// The first of `names` holding a set string (not `-` or empty).
    pub fn str(&mut self, names: &[&str]) -> Option<&'v str> {
        self.value(names).and_then(Value::as_str).and_then(nil)
    }

    /// The first of `names` holding a count, as a number or a string of digits.
    pub fn num(&mut self, names: &[&str]) -> Option<u64> {
        match self.value(names)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => count(s),
            _ => None,
        }
    }

    /// The fields not used, as `unmapped` entries `<source>.<key>`; unset values and keys that
    /// may hold secrets (cookies, credentials, tokens) are left out.
    pub fn rest(self, source: &str) -> Vec<(String, Value)> {
        self.entries
            .into_iter()
            .filter(|(key, value, used)| {
                !used
                    && !is_secret_key(key)
                    && match value {
                        Value::Null => false,
                        Value::String(s) => nil(s).is_some(),
                        _ => true,
                    }
            })
            .map(|(key, value, _)| (format!("{source}.{key}"), value.clone()))
            .collect()
    }
}

/// Whether a (normalized) field name may hold a secret, so that its value is never stored.
pub fn is_secret_key(key: &str) -> bool {
    [
        "cookie",
        "authorization",
        "token",
        "password",
        "passwd",
        "secret",
        "api_key",
        "apikey",
    ]
    .iter()
    .any(|s| key.contains(s))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn traceparent_is_read_strictly() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(
            traceparent(tp),
            Some(("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"))
        );
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        ] {
            assert_eq!(traceparent(bad), None, "{bad}");
        }
        // Future versions may carry more fields.
        assert!(traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x").is_some());
    }

    #[test]
    fn addresses_ports_and_authorities() {
        let v4: IpAddr = "10.0.0.1".parse().unwrap();
        let v6: IpAddr = "fd00::1".parse().unwrap();
        assert_eq!(ip_and_port("10.0.0.1"), Some((v4, None)));
        assert_eq!(ip_and_port(" 10.0.0.1:8080 "), Some((v4, Some(8080))));
        assert_eq!(ip_and_port("fd00::1"), Some((v6, None)));
        assert_eq!(ip_and_port("[fd00::1]"), Some((v6, None)));
        assert_eq!(ip_and_port("[fd00::1]:443"), Some((v6, Some(443))));
        assert_eq!(ip_and_port("tcp://10.0.0.1:80"), Some((v4, Some(80))));
        assert_eq!(ip_and_port("host:80"), None);
        assert_eq!(ip_and_port("[fd00::1]x"), None);
        assert_eq!(
            split_authority("example.com:8443"),
            ("example.com", Some(8443))
        );
        assert_eq!(split_authority("[fd00::1]:80"), ("fd00::1", Some(80)));
        assert_eq!(split_authority("fd00::1"), ("fd00::1", None));
        assert_eq!(split_authority("example.com"), ("example.com", None));
    }

    #[test]
    fn request_lines_and_times() {
        assert_eq!(
            split_request("GET /a?b=1 HTTP/1.1"),
            Some(("GET", "/a?b=1", Some("HTTP/1.1")))
        );
        assert_eq!(split_request("GET /"), Some(("GET", "/", None)));
        assert_eq!(split_request("-"), None);
        assert_eq!(split_request("\\x16\\x03\\x01"), None);
        assert_eq!(split_request("get / HTTP/1.1"), None);
        assert_eq!(split_request("GET / HTTP/1.1 junk"), None);
        assert_eq!(
            clf_time_ms("06/Mar/2022:16:14:13 +0000"),
            Some(1_646_583_253_000)
        );
        assert_eq!(
            clf_time_ms("06/Mar/2022:17:14:13 +0100"),
            Some(1_646_583_253_000)
        );
        assert_eq!(
            clf_time_ms("06/Mar/2022:11:14:13 -0500"),
            Some(1_646_583_253_000)
        );
        assert_eq!(clf_time_ms("31/Feb/2022:16:14:13 +0000"), None);
        assert_eq!(clf_time_ms("06/Mar/2022:16:14:13"), None);
        assert_eq!(clf_time_ms("06/Mar/2022:16:14:13 +00000"), None);
        assert_eq!(epoch_seconds_ms("1646583253.123"), Some(1_646_583_253_123));
        assert_eq!(epoch_seconds_ms("1646583253"), Some(1_646_583_253_000));
        assert_eq!(epoch_seconds_ms("x"), None);
        assert_eq!(status_code("401"), Some(401));
        assert_eq!(status_code("099"), None);
        assert_eq!(status_code("4011"), None);
    }

    #[test]
    fn tokens_split_quoted_and_bare_fields() {
        let t = tokens(r#""GET / HTTP/1.1" 200 - "a \"b\" c"  x"#).unwrap();
        assert_eq!(
            t,
            vec![
                Token::Quoted("GET / HTTP/1.1"),
                Token::Bare("200"),
                Token::Bare("-"),
                Token::Quoted(r#"a \"b\" c"#),
                Token::Bare("x"),
            ]
        );
        assert!(tokens(r#""open"#).is_err());
        assert!(tokens(r#""ends in backslash\"#).is_err());
        assert_eq!(tokens("").unwrap(), vec![]);
    }

    #[test]
    fn client_is_the_peer_or_what_trusted_proxies_say() {
        let mut gw = GatewayConfig::default();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Untrusted peer: its X-Forwarded-For is ignored.
        assert_eq!(
            client_address(&gw, Some(ip("10.0.0.5")), Some("198.51.100.7")),
            Some(ip("10.0.0.5"))
        );
        // No peer logged: the right-most hop is the peer.
        assert_eq!(
            client_address(&gw, None, Some("192.168.1.100, 10.42.0.1")),
            Some(ip("10.42.0.1"))
        );
        assert_eq!(
            client_address(&gw, None, Some("fd00::5a24, [fd00::1]:54321")),
            Some(ip("fd00::1"))
        );
        assert_eq!(client_address(&gw, None, Some("unknown")), None);
        assert_eq!(client_address(&gw, None, None), None);
        gw.trusted_proxies = vec![
            "10.0.0.0/8".parse().unwrap(),
            "fd00::1/128".parse().unwrap(),
        ];
        assert_eq!(
            client_address(
                &gw,
                Some(ip("10.0.0.5")),
                Some("1.2.3.4, 198.51.100.7, 10.0.0.9")
            ),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            client_address(&gw, None, Some("192.168.1.100, 10.42.0.1")),
            Some(ip("192.168.1.100"))
        );
        // Hops with ports and brackets are walked too.
        assert_eq!(
            client_address(&gw, None, Some("fd00::5a24, [fd00::1]:54321")),
            Some(ip("fd00::5a24"))
        );
    }

    #[test]
    fn json_fields_normalize_names_and_hide_secrets() {
        let v: Value = serde_json::from_str(
            r#"{":authority":"h","User-Agent":"ua","x-forwarded-for":null,"duration":3,
                "http_cookie":"sid=s3cr3t","x_auth_token":"t0k3n","flags":"-","status":"401"}"#,
        )
        .unwrap();
        let mut f = JsonFields::new(v.as_object().unwrap());
        assert_eq!(f.str(&["authority"]), Some("h"));
        assert_eq!(f.str(&["user_agent"]), Some("ua"));
        assert_eq!(f.str(&["x_forwarded_for"]), None);
        assert_eq!(f.num(&["status"]), Some(401));
        let rest: BTreeMap<String, Value> = f.rest("envoy").into_iter().collect();
        assert_eq!(rest.len(), 1, "{rest:?}");
        assert_eq!(rest["envoy.duration"], 3);
    }

    /// Pieces of access-log lines, to build inputs that reach deep into the parsers.
    pub(crate) fn fragments() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just("[".to_string()),
            Just("]".to_string()),
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just(" ".to_string()),
            Just("-".to_string()),
            Just(",".to_string()),
            Just(":".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            Just("06/Mar/2022:16:14:13 +0000".to_string()),
            Just("2016-04-15T20:17:00.310Z".to_string()),
            Just("2023-06-06T09:12:53.1Z stdout F ".to_string()),
            Just("2021/09/30 09:23:53 [error] 1#1: *1 ".to_string()),
            Just("user \"".to_string()),
            Just("\" was not found in \"".to_string()),
            Just("\": password mismatch".to_string()),
            Just(", client: ".to_string()),
            Just(", host: \"".to_string()),
            Just("1.2.3.4".to_string()),
            Just("[fd00::1]:80".to_string()),
            Just("GET /login?x HTTP/1.1".to_string()),
            Just("401".to_string()),
            Just("0".to_string()),
            Just("\"response_code\":".to_string()),
            Just("\"remote_addr\":".to_string()),
            Just("\"status\":".to_string()),
            Just("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string()),
            Just("Bearer x".to_string()),
            Just("sid=1".to_string()),
            "\\PC{0,3}",
            "[\u{80}-\u{10ffff}]{1,2}",
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        #[test]
        fn field_readers_never_panic(s in "\\PC{0,40}", f in fragments()) {
            for t in [s.as_str(), f.as_str()] {
                let _ = tokens(t);
                let _ = clf_time_ms(t);
                let _ = epoch_seconds_ms(t);
                let _ = traceparent(t);
                let _ = ip_and_port(t);
                let _ = split_authority(t);
                let _ = split_request(t);
                let _ = client_address(&GatewayConfig::default(), None, Some(t));
            }
        }
    }
}
