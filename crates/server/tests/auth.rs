//! Callers and scopes: every route called with no token, a bad token and a token of each scope
//! through `router(AppState)` with token access (`tower::ServiceExt::oneshot`, no socket), and
//! the answers compared with the route table; revocation at the next request; ingest tokens
//! held to their sources; the tlog read path closed by configuration.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use serde_json::Value;
use tower::ServiceExt;

use authtrail_ingest::{Limits, ParseConfig};
use authtrail_server::auth::{Access, Scope, TokenSpec, TokenStore};
use authtrail_server::{router, AppState};
use authtrail_store::{keys, EmbeddedLog, Layout, LogOptions};

/// The API over a fresh log, with token access, and the token file it checks.
struct Api {
    app: Router,
    log: Arc<EmbeddedLog>,
    store: TokenStore,
    _dir: tempfile::TempDir,
}

fn api(public_tlog: bool) -> Api {
    let dir = tempfile::tempdir().expect("tempdir");
    keys::init(&Layout::new(dir.path()), "example.com/auth-test").expect("init");
    let log = Arc::new(EmbeddedLog::open(dir.path(), LogOptions::default()).expect("open log"));
    let store = TokenStore::in_data_dir(dir.path());
    let access = Access::tokens(store.clone(), public_tlog).expect("token access");
    let state = AppState::new(
        log.clone(),
        Limits::default(),
        Arc::new(ParseConfig::default()),
    )
    .with_access(access);
    Api {
        app: router(state),
        log,
        store,
        _dir: dir,
    }
}

impl Api {
    fn token(&self, scopes: &[Scope], sources: &[&str]) -> String {
        let spec = TokenSpec {
            scopes: scopes.to_vec(),
            sources: sources.iter().map(|s| s.to_string()).collect(),
            name: None,
        };
        self.store.create(&spec).expect("create token").1
    }

    /// Send a request; the status, the `WWW-Authenticate` header and the body as JSON (or
    /// `Null`).
    async fn send(&self, call: &Call, token: Option<&str>) -> (StatusCode, Option<String>, Value) {
        let mut req = Request::builder().method(call.method.clone()).uri(call.uri);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(ct) = call.content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let req = req.body(Body::from(call.body)).expect("request");
        let resp = self.app.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let challenge = resp
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().expect("ASCII").to_string());
        let bytes = to_bytes(resp.into_body(), 1 << 24).await.expect("body");
        (
            status,
            challenge,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

/// One request to one route, and the scope it needs (`None`: public).
struct Call {
    method: Method,
    uri: &'static str,
    body: &'static str,
    content_type: Option<&'static str>,
    needs: Option<Scope>,
}

const EVENT: &str = r#"{"class_uid":3002,"activity_id":1,"time":1764230400000,"severity_id":1,"status_id":2,"metadata":{"product":{"name":"okta"}},"user":{"name":"alice"}}"#;
const LINE: &str =
    "Dec 10 06:55:46 LabSZ sshd[1]: Failed password for root from 203.0.113.9 port 1 ssh2\n";

fn get(uri: &'static str, needs: Option<Scope>) -> Call {
    Call {
        method: Method::GET,
        uri,
        body: "",
        content_type: None,
        needs,
    }
}

fn post(uri: &'static str, body: &'static str, content_type: Option<&'static str>) -> Call {
    Call {
        method: Method::POST,
        uri,
        body,
        content_type,
        needs: Some(Scope::Ingest),
    }
}

/// An empty OTLP/JSON export to `uri`.
fn post_logs(uri: &'static str) -> Call {
    post(uri, r#"{"resourceLogs":[]}"#, Some("application/json"))
}

/// A call of every route (ingest ones as source `okta`).
fn every_route(public_tlog: bool) -> Vec<Call> {
    let read = Some(Scope::Read);
    let tlog = if public_tlog { None } else { read };
    vec![
        post("/v1/events?source=okta", EVENT, None),
        post("/v1/raw?source=okta", LINE, None),
        post_logs("/v1/logs?source=okta"),
        get("/v1/events?q=user%3Dalice", read),
        get("/v1/trace?user=alice", read),
        get("/v1/alerts", read),
        get("/v1/blocklist", read),
        get("/v1/entries/0", read),
        get("/v1/proof/inclusion?seq=0&size=1", read),
        get("/v1/proof/consistency?from=1&to=1", read),
        get("/checkpoint", tlog),
        get("/tile/0/000", tlog),
        get("/v1/stats?since=1h", read),
        get("/v1/log", read),
        Call {
            needs: read,
            ..post("/v1/verify", "", None)
        },
        get("/v1/evidence/0", read),
        get("/healthz", None),
        get("/", None),
        get("/ui/app.css", None),
        get("/no/such/route", None),
    ]
}

/// A well-formed token that is in no token file.
const UNKNOWN_TOKEN: &str =
    "at_0123456789abcdef_0000000000000000000000000000000000000000000000000000000000000000";

/// Whether a token with `scopes` may make `call`.
fn allowed(call: &Call, scopes: &[Scope]) -> bool {
    call.needs
        .is_none_or(|s| scopes.contains(&s) || scopes.contains(&Scope::Admin))
}

async fn check_matrix(public_tlog: bool) {
    let api = api(public_tlog);
    let holders: Vec<(Vec<Scope>, Vec<&str>)> = vec![
        (vec![Scope::Admin], vec![]),
        (vec![Scope::Read], vec![]),
        (vec![Scope::Ingest], vec![]),
        (vec![Scope::Ingest], vec!["okta"]),
        (vec![Scope::Ingest, Scope::Read], vec!["okta"]),
    ];
    let tokens: Vec<_> = holders
        .iter()
        .map(|(scopes, sources)| (scopes.clone(), api.token(scopes, sources)))
        .collect();
    for call in every_route(public_tlog) {
        let what = format!("{} {}", call.method, call.uri);
        // No token.
        let (status, challenge, v) = api.send(&call, None).await;
        if let Some(scope) = call.needs {
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{what} without a token: {v}"
            );
            assert_eq!(
                challenge.as_deref(),
                Some("Bearer realm=\"authtrail\""),
                "{what}"
            );
            assert_eq!(v["error"]["code"], "unauthenticated", "{what}: {v}");
            let message = v["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(&format!("needs a token with scope {scope}")),
                "{what}: {message}"
            );
            // A token no one made: 401 in the same shape on every route, `/v1/logs` too.
            let (status, challenge, v) = api.send(&call, Some(UNKNOWN_TOKEN)).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{what} unknown token: {v}"
            );
            assert_eq!(v["error"]["code"], "invalid_token", "{what}: {v}");
            assert_eq!(
                challenge.as_deref(),
                Some("Bearer realm=\"authtrail\", error=\"invalid_token\""),
                "{what}"
            );
        } else {
            assert!(
                status != 401 && status != 403,
                "{what} is public: {status} {v}"
            );
        }
        // Each scope.
        for (scopes, token) in &tokens {
            let (status, challenge, v) = api.send(&call, Some(token)).await;
            let who = format!("{what} with {scopes:?}");
            assert!(!status.is_server_error(), "{who}: {status} {v}");
            if allowed(&call, scopes) {
                assert!(status != 401 && status != 403, "{who}: {status} {v}");
            } else {
                let scope = call.needs.unwrap();
                assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {v}");
                assert_eq!(v["error"]["code"], "insufficient_scope", "{who}: {v}");
                assert_eq!(
                    v["error"]["details"]["needed"],
                    scope.as_str(),
                    "{who}: {v}"
                );
                let message = v["error"]["message"].as_str().unwrap();
                assert!(
                    message.contains(&format!("scope {scope}")),
                    "{who}: {message}"
                );
                let want = format!(
                    "Bearer realm=\"authtrail\", error=\"insufficient_scope\", scope=\"{scope}\""
                );
                assert_eq!(challenge.as_deref(), Some(want.as_str()), "{who}");
            }
        }
    }
    // Each ingest token wrote once per ingest route with a body (events, raw): admin, ingest,
    // ingest(okta), ingest+read(okta).
    assert_eq!(api.log.size(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_scope_against_each_route_matches_the_table() {
    check_matrix(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_tlog_false_makes_checkpoint_and_tiles_need_read() {
    check_matrix(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_stops_working_at_the_next_request() {
    let api = api(true);
    let token = api.token(&[Scope::Read], &[]);
    let call = get("/v1/alerts", Some(Scope::Read));
    assert_eq!(api.send(&call, Some(&token)).await.0, StatusCode::OK);
    // Revoked through another handle on the file, as `authtrail token revoke` does.
    let id = token.split('_').nth(1).unwrap();
    TokenStore::in_data_dir(&api.store.path().with_file_name(""))
        .revoke(id)
        .unwrap();
    let (status, challenge, v) = api.send(&call, Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(v["error"]["code"], "invalid_token");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("token {id} was revoked at ")),
        "{message}"
    );
    assert_eq!(
        challenge.as_deref(),
        Some("Bearer realm=\"authtrail\", error=\"invalid_token\"")
    );
    // A token created after the server started works at once.
    let fresh = api.token(&[Scope::Read], &[]);
    assert_eq!(api.send(&call, Some(&fresh)).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_token_for_okta_cannot_write_as_another_source() {
    let api = api(true);
    let okta = api.token(&[Scope::Ingest], &["okta"]);
    for call in [
        post("/v1/events?source=sshd", EVENT, None),
        post("/v1/events", EVENT, None),
        post("/v1/raw?source=sshd", LINE, None),
        post("/v1/raw", LINE, None),
        post_logs("/v1/logs?source=sshd"),
    ] {
        let (status, _, v) = api.send(&call, Some(&okta)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}: {v}", call.uri);
        if call.uri.starts_with("/v1/logs") {
            // OTLP's own error shape: a google.rpc.Status, PERMISSION_DENIED.
            assert_eq!(v["code"], 7, "{v}");
            assert!(v["message"]
                .as_str()
                .unwrap()
                .contains("only as source okta"));
        } else {
            assert_eq!(v["error"]["code"], "source_forbidden", "{v}");
            assert_eq!(v["error"]["details"]["allowed_sources"][0], "okta", "{v}");
            let message = v["error"]["message"].as_str().unwrap();
            assert!(message.contains("only as source okta"), "{message}");
        }
    }
    assert_eq!(api.log.size(), 0, "nothing written");
    let (status, _, v) = api
        .send(&post("/v1/events?source=okta", EVENT, None), Some(&okta))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(api.log.size(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_unknown_and_wrongly_sent_tokens_are_401_saying_why() {
    let api = api(true);
    let token = api.token(&[Scope::Admin], &[]);
    let call = get("/v1/alerts", Some(Scope::Read));
    let mut wrong_secret = token.clone();
    let last = if token.ends_with('a') { "b" } else { "a" };
    wrong_secret.replace_range(token.len() - 1.., last);
    for (header, needle) in [
        (format!("Bearer {wrong_secret}"), "not known"),
        ("Bearer at_0123".to_string(), "malformed"),
        ("Bearer hunter2".to_string(), "starts with \"at_\""),
        (format!("Basic {token}"), "not `Bearer <token>`"),
        ("Bearer".to_string(), "not `Bearer <token>`"),
        ("Bearer    ".to_string(), "not `Bearer <token>`"),
    ] {
        let req = Request::builder()
            .uri(call.uri)
            .header(header::AUTHORIZATION, &header)
            .body(Body::empty())
            .unwrap();
        let resp = api.app.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{header}");
        let v: Value =
            serde_json::from_slice(&to_bytes(resp.into_body(), 1 << 20).await.unwrap()).unwrap();
        assert_eq!(v["error"]["code"], "invalid_token", "{header}: {v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{header}: {message}");
    }
    // The scheme is case-insensitive (RFC 7235).
    let req = Request::builder()
        .uri(call.uri)
        .header(header::AUTHORIZATION, format!("bearer {token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(api.app.clone().oneshot(req).await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_token_file_refuses_every_token_with_503() {
    let api = api(true);
    let token = api.token(&[Scope::Admin], &[]);
    let call = get("/v1/alerts", Some(Scope::Read));
    assert_eq!(api.send(&call, Some(&token)).await.0, StatusCode::OK);
    std::fs::write(api.store.path(), "{ broken").unwrap();
    let (status, _, v) = api.send(&call, Some(&token)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["error"]["code"], "token_store_unavailable", "{v}");
    // Public routes still answer.
    assert_eq!(
        api.send(&get("/healthz", None), None).await.0,
        StatusCode::OK
    );
}
