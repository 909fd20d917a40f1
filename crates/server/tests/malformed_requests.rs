//! Malformed requests against the whole router (`tower::ServiceExt::oneshot`, with token
//! access): random methods, paths, query strings, headers, bodies and broken `Authorization`
//! headers. Whatever a client sends, the server neither panics nor answers 5xx.

use std::sync::{Arc, OnceLock};

use axum::body::{to_bytes, Body};
use axum::http::{HeaderName, HeaderValue, Method, Request};
use axum::Router;
use proptest::prelude::*;
use tower::ServiceExt;

use authtrail_ingest::{Limits, ParseConfig};
use authtrail_server::auth::{Access, Scope, TokenSpec, TokenStore};
use authtrail_server::{router, AppState};
use authtrail_store::{keys, EmbeddedLog, Layout, LogOptions};

/// One router, one log and two tokens (admin, and ingest for `okta`) for every case.
struct World {
    app: Router,
    runtime: tokio::runtime::Runtime,
    admin: String,
    okta: String,
    _dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        keys::init(&Layout::new(dir.path()), "example.com/fuzz").expect("init");
        let log = Arc::new(EmbeddedLog::open(dir.path(), LogOptions::default()).expect("log"));
        let store = TokenStore::in_data_dir(dir.path());
        let make = |scopes: Vec<Scope>, sources: Vec<String>| {
            let spec = TokenSpec {
                scopes,
                sources,
                name: None,
            };
            store.create(&spec).expect("token").1
        };
        let admin = make(vec![Scope::Admin], Vec::new());
        let okta = make(vec![Scope::Ingest], vec!["okta".into()]);
        let limits = Limits {
            max_body_bytes: 64 * 1024,
            max_event_bytes: 4096,
            max_events_per_batch: 50,
            max_line_bytes: 1024,
            ..Limits::default()
        };
        let state = AppState::new(log, limits, Arc::new(ParseConfig::default()))
            .with_access(Access::tokens(store, false).expect("access"));
        World {
            app: router(state),
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime"),
            admin,
            okta,
            _dir: dir,
        }
    })
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        4 => Just(Method::GET),
        4 => Just(Method::POST),
        1 => Just(Method::HEAD),
        1 => Just(Method::PUT),
        1 => Just(Method::DELETE),
        1 => Just(Method::OPTIONS),
        1 => Just(Method::PATCH),
        1 => "[A-Z]{1,8}".prop_map(|m| Method::from_bytes(m.as_bytes()).expect("token chars")),
    ]
}

/// Paths near the real routes, with odd segments and escapes.
fn path() -> impl Strategy<Value = String> {
    let base = prop::sample::select(vec![
        "/v1/events",
        "/v1/raw",
        "/v1/logs",
        "/v1/trace",
        "/v1/alerts",
        "/v1/blocklist",
        "/v1/entries/",
        "/v1/proof/inclusion",
        "/v1/proof/consistency",
        "/checkpoint",
        "/tile/",
        "/tile/entries/",
        "/healthz",
        "/metrics",
        "/",
        "//v1//events",
    ]);
    let tail = prop_oneof![
        12 => Just(String::new()),
        2 => "[0-9]{1,25}",
        2 => "[0-9]{1,3}/[0-9x.p/]{0,20}",
        1 => "[a-zA-Z0-9%._~-]{0,30}",
        1 => Just("%00%ff%2e%2e/".to_string()),
        1 => Just("../../etc/passwd".to_string()),
    ];
    (base, tail).prop_map(|(b, t)| format!("{b}{t}"))
}

/// Query strings: real parameters with random values, junk and bad escapes.
fn query() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "q",
        "limit",
        "cursor",
        "format",
        "source",
        "seq",
        "size",
        "from",
        "to",
        "session",
        "user",
        "ip",
        "since",
        "until",
        "min_severity",
        "x",
    ]);
    let value = prop_oneof![
        "[a-z0-9=|~!. -]{0,20}",
        "-?[0-9]{1,25}",
        Just("%zz".to_string()),
        Just("%C3%28".to_string()),
        Just("okta".to_string()),
        Just("json".to_string()),
        Just("syslog".to_string()),
        Just("otlp".to_string()),
        Just("user%3Dalice%20%7C%20count%20by%20ip".to_string()),
    ];
    prop::collection::vec((key, value), 0..4).prop_map(|pairs| {
        if pairs.is_empty() {
            String::new()
        } else {
            let joined: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("?{}", joined.join("&"))
        }
    })
}

/// Which `Authorization` header to send.
#[derive(Clone, Debug)]
enum Auth {
    None,
    Admin,
    Okta,
    Raw(Vec<u8>),
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        2 => Just(Auth::None),
        4 => Just(Auth::Admin),
        2 => Just(Auth::Okta),
        1 => prop::collection::vec(any::<u8>(), 0..100).prop_map(Auth::Raw),
        1 => "(Bearer|bearer|Basic|BEARER) ?(at_)?[0-9a-f_]{0,90}"
            .prop_map(|s| Auth::Raw(s.into_bytes())),
    ]
}

/// Other headers: content types and codings, lengths that lie, junk.
fn headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let header = prop_oneof![
        prop::sample::select(vec![
            "application/json",
            "application/x-protobuf",
            "application/x-ndjson",
            "text/plain",
            "application/json; charset=utf-8",
            "",
        ])
        .prop_map(|v| ("content-type".to_string(), v.as_bytes().to_vec())),
        prop::sample::select(vec!["gzip", "identity", "br", "x-gzip", ""])
            .prop_map(|v| ("content-encoding".to_string(), v.as_bytes().to_vec())),
        "[0-9]{1,12}".prop_map(|v| ("content-length".to_string(), v.into_bytes())),
        ("x-[a-z]{1,10}", prop::collection::vec(any::<u8>(), 0..40)),
    ];
    prop::collection::vec(header, 0..4)
}

/// Bodies: empty, random bytes, broken JSON, NDJSON, syslog, gzip junk.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        prop::collection::vec(any::<u8>(), 0..2000),
        Just(br#"{"class_uid":3002,"activity_id":1,"time":1,"severity_id":1,"status_id":2,"metadata":{"product":{"name":"x"}}}"#.to_vec()),
        Just(br#"{"class_uid":3002,}"#.to_vec()),
        Just(b"[1,2,[3,{}]]".to_vec()),
        Just(br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"kvlistValue":{}}}]}]}]}"#.to_vec()),
        Just(b"\x1f\x8b\x08\x00garbage".to_vec()),
        "[ -~\n]{0,500}".prop_map(String::into_bytes),
        Just(b"<13>Dec 10 06:55:46 h sshd[1]: Failed password for a from 1.2.3.4 port 1 ssh2\n".to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn no_request_makes_the_server_panic_or_answer_5xx(
        method in method(),
        path in path(),
        query in query(),
        auth in auth(),
        headers in headers(),
        body in body(),
    ) {
        let w = world();
        let uri = format!("{path}{query}");
        let Ok(mut req) = Request::builder().method(method.clone()).uri(&uri).body(Body::from(body)) else {
            // Not a URI a client could send; the HTTP layer refuses it before the router.
            return Ok(());
        };
        let value = match &auth {
            Auth::None => None,
            Auth::Admin => Some(format!("Bearer {}", w.admin).into_bytes()),
            Auth::Okta => Some(format!("Bearer {}", w.okta).into_bytes()),
            Auth::Raw(bytes) => Some(bytes.clone()),
        };
        if let Some(v) = value.and_then(|v| HeaderValue::from_bytes(&v).ok()) {
            req.headers_mut().insert("authorization", v);
        }
        for (name, value) in &headers {
            if let (Ok(n), Ok(v)) = (HeaderName::try_from(name.as_str()), HeaderValue::from_bytes(value)) {
                req.headers_mut().insert(n, v);
            }
        }
        let (status, text) = w.runtime.block_on(async {
            let resp = w.app.clone().oneshot(req).await.expect("infallible");
            let status = resp.status();
            let bytes = to_bytes(resp.into_body(), 1 << 24).await.unwrap_or_default();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        });
        prop_assert!(
            !status.is_server_error(),
            "{} {} with {:?}: {} {}", method, uri, auth, status, text
        );
    }
}
