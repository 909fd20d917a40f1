//! The authorization layer: every request's token checked against the route table before the
//! handler runs.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::caller::Caller;
use super::live::{AuthFailure, Rejected};
use super::policy::{self, Need};
use super::scope::Scope;
use super::Access;
use crate::error::ApiError;
use crate::tls::ClientIdentity;

/// The realm named in `WWW-Authenticate`.
const REALM: &str = "authtrail";

/// Let the request through with its [`Caller`] when its token (or, for ingest, its mapped client
/// certificate) allows the route; else a 401
/// (no token, or one that is malformed, unknown or revoked) or 403 (a valid token without the
/// scope the route needs).
pub async fn authorize(State(access): State<Access>, mut req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let need = policy::need(req.method(), route);
    let certificate = req.extensions().get::<ClientIdentity>();
    let decided = decide(
        &access,
        need,
        req.method(),
        req.uri().path(),
        req.headers(),
        certificate,
    );
    match decided {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// The caller, or the error answering the request. Without a token, a client certificate mapped
/// to sources (docs/TLS.md) is an ingest caller for them.
fn decide(
    access: &Access,
    need: Need,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    certificate: Option<&ClientIdentity>,
) -> Result<Caller, ApiError> {
    let tokens = match access {
        Access::Open => return Ok(Caller::open()),
        Access::Tokens(tokens) => tokens,
    };
    let scope = match need {
        Need::Public => return Ok(Caller::anonymous()),
        Need::Tlog if tokens.public_tlog => return Ok(Caller::anonymous()),
        Need::Tlog => Scope::Read,
        Need::Scope(scope) => scope,
    };
    let what = format!("{method} {path} needs a token with scope {scope}");
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        if let Some(identity) =
            certificate.filter(|c| scope == Scope::Ingest && !c.sources.is_empty())
        {
            return Ok(Caller::certificate(identity.sources.clone()));
        }
        return Err(unauthorized(
            "unauthenticated",
            format!("{what}: send `Authorization: Bearer <token>` (`authtrail token create`)"),
            None,
        ));
    };
    let text = bearer(value).ok_or_else(|| {
        unauthorized(
            "invalid_token",
            format!("{what}: the Authorization header is not `Bearer <token>`"),
            Some("invalid_request"),
        )
    })?;
    let caller = tokens
        .tokens
        .authenticate(text)
        .map_err(|failure| match failure {
            AuthFailure::Rejected(r) => rejected(&what, &r),
            AuthFailure::Unavailable(e) => {
                tracing::error!("refusing every token: {e}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "token_store_unavailable",
                    "the server cannot read its token file; no token is accepted until it can",
                )
            }
        })?;
    if !caller.has(scope) {
        let id = caller.token_id().unwrap_or("?");
        let held: Vec<&str> = caller.scopes().iter().map(|s| s.as_str()).collect();
        let challenge =
            format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{scope}\"");
        return Err(ApiError {
            details: json!({"needed": scope, "scopes": held, "token": id}),
            ..ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("{what} (or admin); token {id} has {}", held.join(", ")),
            )
        }
        .with_header(header::WWW_AUTHENTICATE, header_value(&challenge)));
    }
    Ok(caller)
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case).
fn bearer(value: &HeaderValue) -> Option<&str> {
    let text = value.to_str().ok()?;
    let (scheme, token) = text.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn rejected(what: &str, r: &Rejected) -> ApiError {
    unauthorized(
        "invalid_token",
        format!("{what}: {r}"),
        Some("invalid_token"),
    )
}

/// A 401 with its `WWW-Authenticate` challenge (RFC 6750 §3).
fn unauthorized(code: &'static str, message: String, error: Option<&str>) -> ApiError {
    let challenge = match error {
        Some(e) => format!("Bearer realm=\"{REALM}\", error=\"{e}\""),
        None => format!("Bearer realm=\"{REALM}\""),
    };
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
        .with_header(header::WWW_AUTHENTICATE, header_value(&challenge))
}

/// A header value from text this module builds (ASCII only).
fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}
