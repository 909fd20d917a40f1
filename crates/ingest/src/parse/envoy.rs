//! Envoy access logs: the default text format (the classic one and the newer, longer one Istio
//! also uses), JSON access logs, and either wrapped in container-runtime (CRI) lines.

use std::borrow::Cow;

use serde_json::Value;

use crate::parse::auto::container_runtime_payload;
use crate::parse::build::ProductInfo;
use crate::parse::http_event::{
    self, count, ip_and_port, nil, status_code, tokens, JsonFields, Request, Token,
};
use crate::parse::json_fields;
use crate::parse::syslog::rfc3339_ms;
use crate::parse::{ParseContext, ParseResult, Unrecognized};

/// Envoy, as `metadata.product`.
pub const PRODUCT: ProductInfo = ProductInfo {
    name: "Envoy",
    vendor: "Envoy Proxy",
};

/// Map one Envoy access-log line (text or JSON, bare or in a CRI line) to an OCSF event.
pub fn parse(text: &str, ctx: &mut ParseContext) -> ParseResult {
    let line = text.trim_end_matches(['\r', '\n']).trim_start();
    let (runtime_time, payload) = match container_runtime_payload(line) {
        Some(payload) => (line.split_once(' ').map(|(t, _)| t), payload),
        None => (None, line),
    };
    let runtime_ms =
        match runtime_time {
            Some(t) => Some(rfc3339_ms(t, ctx).ok_or_else(|| {
                Unrecognized::because(format!("bad container-runtime time {t:?}"))
            })?),
            None => None,
        };
    let payload = payload.trim();
    if payload.starts_with('{') {
        json(payload, runtime_ms, ctx)
    } else if payload.starts_with('[') {
        text_line(payload, ctx)
    } else {
        Err(Unrecognized::new(
            "neither a JSON access log nor the text format ([START_TIME] \"REQUEST\" …)",
        ))
    }
}

/// Names of the bare fields after the quoted headers in the newer default format.
const TRAILING: [&str; 6] = [
    "upstream_cluster",
    "upstream_local_address",
    "downstream_local_address",
    "downstream_remote_address",
    "requested_server_name",
    "route_name",
];

/// `[START_TIME] "METHOD PATH PROTOCOL" CODE FLAGS [DETAILS TERMINATION "FAILURE"] RX TX
/// DURATION UPSTREAM_TIME "XFF" "UA" "REQUEST_ID" "AUTHORITY" "UPSTREAM_HOST" [CLUSTER …]`.
fn text_line(line: &str, ctx: &ParseContext) -> ParseResult {
    let rest = line.strip_prefix('[').unwrap_or(line);
    let (time, rest) = rest
        .split_once(']')
        .ok_or_else(|| Unrecognized::new("START_TIME has no closing ]"))?;
    let time_ms = rfc3339_ms(time, ctx)
        .ok_or_else(|| Unrecognized::because(format!("START_TIME {time:?} is not RFC 3339")))?;
    let toks = tokens(rest)?;
    let request = toks
        .first()
        .and_then(|t| t.quoted())
        .ok_or_else(|| Unrecognized::new("no quoted request after START_TIME"))?;
    let toks = toks.get(1..).unwrap_or(&[]);
    // The quoted headers: the last run of at least four quoted fields.
    let mut group = None;
    let mut i = 0;
    while i < toks.len() {
        if matches!(toks[i], Token::Quoted(_)) {
            let start = i;
            while toks.get(i).is_some_and(|t| matches!(t, Token::Quoted(_))) {
                i += 1;
            }
            if i - start >= 4 {
                group = Some((start, i));
            }
        } else {
            i += 1;
        }
    }
    let (start, end) = group.ok_or_else(|| {
        Unrecognized::new("no quoted X-FORWARDED-FOR, USER-AGENT, X-REQUEST-ID, AUTHORITY fields")
    })?;
    let before = toks.get(..start).unwrap_or(&[]);
    if before.len() < 6 {
        return Err(Unrecognized::because(format!(
            "{} fields between the request and the headers, expected at least 6 \
             (RESPONSE_CODE RESPONSE_FLAGS BYTES_RECEIVED BYTES_SENT DURATION UPSTREAM_TIME)",
            before.len()
        )));
    }
    let bare = |i: usize, name: &str| {
        before
            .get(i)
            .and_then(|t| t.bare())
            .ok_or_else(|| Unrecognized::because(format!("{name} is quoted")))
    };
    let code = bare(0, "RESPONSE_CODE")?;
    let flags = bare(1, "RESPONSE_FLAGS")?;
    let n = before.len();
    let received = bare(n - 4, "BYTES_RECEIVED")?;
    let sent = bare(n - 3, "BYTES_SENT")?;
    let duration = bare(n - 2, "DURATION")?;
    let upstream_time = bare(n - 1, "UPSTREAM_SERVICE_TIME")?;
    let status = match code {
        // No response was sent (the client went away first).
        "0" => None,
        c => Some(status_code(c).ok_or_else(|| {
            Unrecognized::because(format!("RESPONSE_CODE {c:?} is not an HTTP status code"))
        })?),
    };
    for (name, value) in [("BYTES_RECEIVED", received), ("BYTES_SENT", sent)] {
        if value != "-" && count(value).is_none() {
            return Err(Unrecognized::because(format!(
                "{name} {value:?} is not a number"
            )));
        }
    }
    let headers = toks.get(start..end).unwrap_or(&[]);
    let header = |i: usize| headers.get(i).map(|t| t.text()).and_then(nil);

    let mut req = Request {
        time_ms,
        status,
        bytes_sent: count(sent),
        forwarded_for: header(0),
        user_agent: header(1),
        request_id: header(2),
        host: header(3),
        ..Request::default()
    };
    set_request_line(&mut req, request)?;
    let mut unmapped = Vec::new();
    let mut put = |key: &str, value: Value| unmapped.push((format!("envoy.{key}"), value));
    if let Some(f) = nil(flags) {
        put("response_flags", f.into());
    }
    if let Some(n) = count(received) {
        put("bytes_received", n.into());
    }
    if let Some(n) = count(duration) {
        put("duration", n.into());
    }
    if let Some(n) = count(upstream_time) {
        put("upstream_service_time", n.into());
    }
    // The newer format's RESPONSE_CODE_DETAILS CONNECTION_TERMINATION_DETAILS "FAILURE_REASON".
    let middle = before.get(2..n - 4).unwrap_or(&[]);
    let middle_names = [
        "response_code_details",
        "connection_termination_details",
        "upstream_transport_failure_reason",
    ];
    if middle.len() == middle_names.len() {
        for (name, tok) in middle_names.iter().zip(middle) {
            if let Some(v) = nil(tok.text()) {
                put(name, v.into());
            }
        }
    } else {
        let values: Vec<Value> = middle.iter().map(|t| t.text().into()).collect();
        if !values.is_empty() {
            put("extra_fields", Value::Array(values));
        }
    }
    if let Some(h) = header(4) {
        put("upstream_host", h.into());
    }
    let more: Vec<Value> = headers.iter().skip(5).map(|t| t.text().into()).collect();
    if !more.is_empty() {
        put("extra_headers", Value::Array(more));
    }
    let trailing = toks.get(end..).unwrap_or(&[]);
    for (i, tok) in trailing.iter().enumerate() {
        let Some(v) = nil(tok.text()) else {
            continue;
        };
        match TRAILING.get(i) {
            Some(&"downstream_remote_address") if req.remote.is_none() => match ip_and_port(v) {
                Some((ip, port)) => {
                    req.remote = Some(ip);
                    req.remote_port = port;
                }
                None => put("downstream_remote_address", v.into()),
            },
            Some(name) => put(name, v.into()),
            None => put(&format!("trailing_{i}"), v.into()),
        }
    }
    req.unmapped = unmapped;
    Ok(http_event::event(req, PRODUCT, "envoy", ctx))
}

/// Fill method, target and protocol from the request field; a TCP proxy's `- - -` is no request.
fn set_request_line<'a>(req: &mut Request<'a>, request: &'a str) -> Result<(), Unrecognized> {
    if !req.set_request_line(request)
        && req.status.is_none()
        && request.split(' ').all(|p| nil(p).is_none())
    {
        return Err(Unrecognized::new(TCP_CONNECTION));
    }
    Ok(())
}

/// Why a logged TCP proxy connection is not mapped.
const TCP_CONNECTION: &str =
    "a TCP connection, not an HTTP request (no method, path or response code)";

/// A JSON access log; keys compared without case, `-` as `_` and the `:` of pseudo-headers.
fn json(line: &str, runtime_ms: Option<i64>, ctx: &ParseContext) -> ParseResult {
    let map = json_fields::object(line, "access-log line")?;
    let mut f = JsonFields::new(&map);
    let status = match f.value(&["response_code", "status", "status_code"]) {
        None => {
            return Err(Unrecognized::new(
                "JSON access-log line has no response_code",
            ))
        }
        Some(v) => {
            let code = match v {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => count(s),
                _ => None,
            };
            match code {
                Some(0) => None,
                Some(c @ 100..=999) => u16::try_from(c).ok(),
                _ => {
                    return Err(Unrecognized::because(format!(
                        "response_code {v} is not an HTTP status code"
                    )))
                }
            }
        }
    };
    let time_ms = match f.str(&["start_time", "timestamp", "@timestamp", "time"]) {
        Some(t) => rfc3339_ms(t, ctx)
            .ok_or_else(|| Unrecognized::because(format!("bad start_time {t:?}")))?,
        None => runtime_ms.unwrap_or(ctx.received_ms),
    };
    let remote = match f.str(&[
        "downstream_remote_address",
        "downstream_direct_remote_address",
        "remote_address",
        "client_address",
    ]) {
        Some(r) => Some(ip_and_port(r).ok_or_else(|| {
            Unrecognized::because(format!("downstream_remote_address {r:?} is not an address"))
        })?),
        None => None,
    };
    let mut req = Request {
        time_ms,
        remote: remote.map(|(ip, _)| ip),
        remote_port: remote.and_then(|(_, port)| port),
        status,
        bytes_sent: f.num(&["bytes_sent"]),
        user: f.str(&["user", "username", "remote_user"]),
        referrer: f.str(&["referer", "referrer"]),
        user_agent: f.str(&["user_agent"]),
        forwarded_for: f.str(&["x_forwarded_for"]),
        request_id: f.str(&["x_request_id", "request_id"]),
        host: f.str(&["authority", "host"]),
        cookie: f.str(&["cookie"]),
        authorization: f.str(&["authorization"]),
        traceparent: f.str(&["traceparent"]),
        ..Request::default()
    };
    let method = f.str(&["method", "request_method"]);
    let target = f.str(&[
        "x_envoy_original_path",
        "x_envoy_origin_path",
        "path",
        "request_path",
    ]);
    let protocol = f.str(&["protocol", "request_protocol"]);
    if method.is_none() && target.is_none() && status.is_none() {
        return Err(Unrecognized::new(TCP_CONNECTION));
    }
    req.method = method;
    req.target = target.map(Cow::Borrowed);
    req.protocol = protocol;
    if req.remote.is_none() && req.forwarded_for.is_none() {
        return Err(Unrecognized::new(
            "JSON access-log line has no client address (downstream_remote_address, x_forwarded_for)",
        ));
    }
    req.unmapped = f.rest("envoy");
    Ok(http_event::event(req, PRODUCT, "envoy", ctx))
}

#[cfg(test)]
mod tests {
    use authtrail_model::Event;

    use super::*;
    use crate::parse::build::{AUTHENTICATION, FAILURE, HTTP_ACTIVITY, LOGON, SUCCESS};
    use crate::parse::gateway::{secret_key, GatewayConfig};
    use crate::parse::test_support::{self, http, src};

    fn ctx_with(gateway: GatewayConfig) -> ParseContext {
        test_support::gateway_ctx(gateway, 1_795_737_600_000)
    }

    fn parsed(line: &str) -> Event {
        test_support::parsed(parse, line, &mut ctx_with(GatewayConfig::default()))
    }

    const CLASSIC: &str = r#"[2016-04-15T20:17:00.310Z] "POST /api/v1/locations?x=1 HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80""#;

    #[test]
    fn classic_text_format() {
        let e = parsed(CLASSIC);
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (HTTP_ACTIVITY, 6, SUCCESS)
        );
        assert_eq!(e.time, 1_460_751_420_310);
        assert_eq!(src(&e), Some("10.0.35.28"));
        assert_eq!(
            e.dst_endpoint.as_ref().unwrap().hostname.as_deref(),
            Some("locations")
        );
        assert_eq!(
            http(&e, "uid"),
            Some("cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2".into())
        );
        assert_eq!(
            http(&e, "url"),
            Some(
                serde_json::json!({"path": "/api/v1/locations", "query_string": "x=1", "hostname": "locations"})
            )
        );
        assert_eq!(http(&e, "version"), Some("2".into()));
        assert_eq!(
            e.other["http_response"],
            serde_json::json!({"code": 204, "length": 0})
        );
        assert_eq!(e.unmapped["envoy.bytes_received"], 154);
        assert_eq!(e.unmapped["envoy.duration"], 226);
        assert_eq!(e.unmapped["envoy.upstream_service_time"], 100);
        assert_eq!(e.unmapped["envoy.upstream_host"], "tcp://10.0.2.1:80");
        assert!(!e.unmapped.contains_key("envoy.response_flags"));
        // CRI-wrapped: the same event.
        let wrapped = parsed(&format!(
            "2025-12-31T19:00:00.310000000+01:00 stdout F {CLASSIC}"
        ));
        assert_eq!(wrapped, e);
    }

    #[test]
    fn newer_text_format_with_downstream_address() {
        let line = r#"[2024-03-01T10:00:00.000Z] "GET /login HTTP/1.1" 401 UAEX ext_authz_denied - "-" 0 0 3 - "203.0.113.1,10.0.0.3" "curl/8" "rid" "app.example.com:8443" "-" outbound|80||app 10.0.0.4:4000 10.0.0.4:8080 10.0.0.3:5555 - default"#;
        let e = parsed(line);
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (AUTHENTICATION, LOGON, FAILURE)
        );
        assert_eq!(e.status_detail.as_deref(), Some("HTTP 401"));
        assert_eq!(src(&e), Some("10.0.0.3"));
        assert_eq!(e.src_endpoint.as_ref().unwrap().port, Some(5555));
        assert_eq!(e.unmapped["envoy.response_flags"], "UAEX");
        assert_eq!(
            e.unmapped["envoy.response_code_details"],
            "ext_authz_denied"
        );
        assert_eq!(e.unmapped["envoy.upstream_cluster"], "outbound|80||app");
        assert_eq!(e.unmapped["envoy.route_name"], "default");
        let dst = e.dst_endpoint.as_ref().unwrap();
        assert_eq!(
            (dst.hostname.as_deref(), dst.port),
            (Some("app.example.com"), Some(8443))
        );
        // Behind a trusted proxy the forwarded client is believed.
        let gw = GatewayConfig {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            ..GatewayConfig::default()
        };
        let e = parse(line, &mut ctx_with(gw)).unwrap();
        assert_eq!(src(&e), Some("203.0.113.1"));
        assert_eq!(e.src_endpoint.as_ref().unwrap().port, None);
    }

    #[test]
    fn json_format_with_secrets_and_trace() {
        let line = r#"2023-06-06T09:12:53.1Z stdout F {"start_time":"2023-06-06T09:12:53.000Z","method":"POST","path":"/oauth/token","protocol":"HTTP/1.1","response_code":200,"response_flags":"-","bytes_sent":77,"downstream_remote_address":"198.51.100.2:40000","x_forwarded_for":null,"user_agent":"app/1","x_request_id":"r1",":authority":"auth.example.com","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","authorization":"Bearer s3cr3t-t0k3n","cookie":"sid=c00k1e","upstream_host":"10.0.0.9:8080","duration":4}"#;
        let e = parsed(line);
        assert_eq!((e.class_uid, e.status_id), (AUTHENTICATION, SUCCESS));
        assert_eq!(src(&e), Some("198.51.100.2"));
        assert_eq!(e.src_endpoint.as_ref().unwrap().port, Some(40000));
        assert_eq!(e.time, 1_686_042_773_000);
        let session = e.session.as_ref().unwrap();
        assert_eq!(session.uid, Some(secret_key("c00k1e")));
        assert_eq!(session.extra["credential_uid"], secret_key("s3cr3t-t0k3n"));
        assert_eq!(
            e.other["trace"],
            serde_json::json!({"uid": "0af7651916cd43dd8448eb211c80319c", "span": {"uid": "b7ad6b7169203331"}})
        );
        assert_eq!(e.unmapped["envoy.upstream_host"], "10.0.0.9:8080");
        assert_eq!(e.unmapped["envoy.duration"], 4);
        let bytes = String::from_utf8(e.canonical_bytes()).unwrap();
        for secret in ["s3cr3t", "c00k1e"] {
            assert!(!bytes.contains(secret), "{secret} in {bytes}");
        }
        // A malformed traceparent is kept as written, not as a trace.
        let e = parsed(
            r#"{"start_time":"2023-06-06T09:12:53.000Z","method":"GET","path":"/","response_code":200,"downstream_remote_address":"1.2.3.4:1","traceparent":"garbage"}"#,
        );
        assert!(!e.other.contains_key("trace"));
        assert_eq!(e.unmapped["envoy.traceparent"], "garbage");
    }

    #[test]
    fn json_hyphenated_keys_and_forwarded_for() {
        let line = r#"{":authority":"proxy.example.com","bytes_sent":512,"downstream_remote_address":"10.42.0.1:54321","method":"GET","protocol":"HTTP/2","response_code":200,"response_flags":"-","start_time":"2026-01-24T01:35:00.000Z","user-agent":"Mozilla/5.0","x-envoy-origin-path":"/api/data","x-forwarded-for":"192.168.1.100, 10.42.0.1","x-request-id":"id1","upstream_cluster":null}"#;
        let e = parsed(line);
        assert_eq!(src(&e), Some("10.42.0.1"));
        assert_eq!(
            e.http_request.as_ref().unwrap().user_agent.as_deref(),
            Some("Mozilla/5.0")
        );
        assert_eq!(http(&e, "uid"), Some("id1".into()));
        assert_eq!(
            http(&e, "x_forwarded_for"),
            Some(serde_json::json!(["192.168.1.100", "10.42.0.1"]))
        );
        assert!(e.unmapped.is_empty(), "{:?}", e.unmapped);
        let gw = GatewayConfig {
            trusted_proxies: vec!["10.42.0.0/16".parse().unwrap()],
            ..GatewayConfig::default()
        };
        let e = parse(line, &mut ctx_with(gw)).unwrap();
        assert_eq!(src(&e), Some("192.168.1.100"));
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let cases = [
            ("hello", "neither a JSON access log"),
            ("[2016-04-15T20:17:00.310Z \"GET / HTTP/1.1\"", "no closing ]"),
            ("[yesterday] \"GET / HTTP/1.1\" 200", "not RFC 3339"),
            ("[2016-04-15T20:17:00.310Z] GET / 200", "no quoted request"),
            ("[2016-04-15T20:17:00.310Z] \"GET / HTTP/1.1\" 200 - 1 2", "no quoted X-FORWARDED-FOR"),
            ("[2016-04-15T20:17:00.310Z] \"GET / HTTP/1.1\" 200 - 1 \"a\" \"b\" \"c\" \"d\"", "expected at least 6"),
            ("[2016-04-15T20:17:00.310Z] \"GET / HTTP/1.1\" 2xx - 1 2 3 4 \"a\" \"b\" \"c\" \"d\"", "RESPONSE_CODE \"2xx\""),
            ("[2016-04-15T20:17:00.310Z] \"- - -\" 0 - 1 2 3 - \"-\" \"-\" \"-\" \"-\" \"1.2.3.4:5\"", "TCP connection"),
            ("{\"method\":\"GET\"}", "no response_code"),
            ("{\"response_code\":200,\"method\":\"GET\",\"path\":\"/\"}", "no client address"),
            ("{\"response_code\":\"x\"}", "not an HTTP status code"),
            ("{\"response_code\":200,\"downstream_remote_address\":\"pipe\"}", "not an address"),
            ("2023-06-06T09:12:53.1Z stdout F {\"response_code\":2", "invalid JSON"),
            ("2023-06-06T99:12:53.1Z stdout F {}", "bad container-runtime time"),
        ];
        test_support::assert_unrecognized(parse, || ctx_with(GatewayConfig::default()), cases);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        #[test]
        fn arbitrary_text_never_panics(
            s in "\\PC{0,120}",
            f in crate::parse::http_event::tests::fragments(),
        ) {
            let framed = format!("[2016-04-15T20:17:00.310Z] {f}");
            test_support::parse_never_panics(
                parse,
                || ctx_with(GatewayConfig::default()),
                [s.as_str(), f.as_str(), framed.as_str()],
            );
        }
    }
}
