//! Who is calling: the token a request authenticated with, and what it may do.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde_json::json;

use super::scope::Scope;
use crate::error::ApiError;

/// The authenticated caller of one request, put in the request's extensions by the
/// authorization layer ([`super::middleware::authorize`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    token_id: Option<String>,
    scopes: Vec<Scope>,
    sources: Vec<String>,
}

impl Caller {
    /// A caller authenticated by token `id`.
    pub fn token(id: String, scopes: Vec<Scope>, sources: Vec<String>) -> Self {
        Caller {
            token_id: Some(id),
            scopes,
            sources,
        }
    }

    /// A caller of an API with open access ([`super::Access::Open`]): it may do everything.
    pub fn open() -> Self {
        Caller {
            token_id: None,
            scopes: vec![Scope::Admin],
            sources: Vec::new(),
        }
    }

    /// A caller with no token whose verified client certificate is mapped to `sources`
    /// (docs/TLS.md): it may ingest as those sources and do nothing else.
    pub fn certificate(sources: Vec<String>) -> Self {
        Caller {
            token_id: None,
            scopes: vec![Scope::Ingest],
            sources,
        }
    }

    /// A caller of a public route that presented no token: it may do nothing else.
    pub fn anonymous() -> Self {
        Caller {
            token_id: None,
            scopes: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// The id of its token (`None` without one).
    pub fn token_id(&self) -> Option<&str> {
        self.token_id.as_deref()
    }

    /// Its scopes.
    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }

    /// Whether it holds `scope` (`admin` holds every scope).
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope) || self.scopes.contains(&Scope::Admin)
    }

    /// Whether it may append entries recorded as coming from `source`; a 403 naming the
    /// sources it may write as when not.
    pub fn may_ingest_as(&self, source: &str) -> Result<(), ApiError> {
        if !self.has(Scope::Ingest) {
            return Err(ApiError {
                details: json!({"needed": "ingest", "scopes": self.scopes}),
                ..ApiError::new(
                    StatusCode::FORBIDDEN,
                    "insufficient_scope",
                    "this token has no ingest scope",
                )
            });
        }
        let limited = !self.scopes.contains(&Scope::Admin) && !self.sources.is_empty();
        if limited && !self.sources.iter().any(|s| s == source) {
            return Err(ApiError {
                details: json!({"source": source, "allowed_sources": self.sources}),
                ..ApiError::new(
                    StatusCode::FORBIDDEN,
                    "source_forbidden",
                    format!(
                        "this token may ingest only as source {}, not as {source:?}; set \
                         ?source= to one of them or use a token for {source:?}",
                        self.sources.join(", ")
                    ),
                )
            });
        }
        Ok(())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "no caller: the authorization layer is not installed on this route",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_implies_every_scope_and_every_source() {
        let admin = Caller::token("a".into(), vec![Scope::Admin], Vec::new());
        for scope in Scope::ALL {
            assert!(admin.has(scope));
        }
        assert!(admin.may_ingest_as("anything").is_ok());
        assert!(Caller::open().may_ingest_as("sshd").is_ok());
        assert!(!Caller::anonymous().has(Scope::Read));
    }

    #[test]
    fn a_mapped_client_certificate_ingests_as_its_sources_only() {
        let cert = Caller::certificate(vec!["okta".into()]);
        assert!(cert.may_ingest_as("okta").is_ok());
        assert_eq!(
            cert.may_ingest_as("sshd").unwrap_err().code,
            "source_forbidden"
        );
        assert!(!cert.has(Scope::Read));
        assert_eq!(cert.token_id(), None);
    }

    #[test]
    fn an_ingest_token_for_okta_cannot_write_as_sshd() {
        let okta = Caller::token("b".into(), vec![Scope::Ingest], vec!["okta".into()]);
        assert!(okta.may_ingest_as("okta").is_ok());
        let err = okta.may_ingest_as("sshd").unwrap_err();
        assert_eq!(err.status, StatusCode::FORBIDDEN);
        assert_eq!(err.code, "source_forbidden");
        assert!(
            err.message.contains("only as source okta"),
            "{}",
            err.message
        );
        assert!(!okta.has(Scope::Read));
        let any = Caller::token("c".into(), vec![Scope::Ingest], Vec::new());
        assert!(any.may_ingest_as("sshd").is_ok());
        let reader = Caller::token("d".into(), vec![Scope::Read], Vec::new());
        assert_eq!(
            reader.may_ingest_as("okta").unwrap_err().code,
            "insufficient_scope"
        );
    }
}
