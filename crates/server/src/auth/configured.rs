//! Tokens given to `serve` at start instead of kept in the token file: for containers, where
//! `authtrail token create` cannot run before the server starts. Each is a whole token
//! (`at_<id>_<secret>`) with its scopes and sources; the binary reads the token from an
//! environment variable (`[[auth.tokens]] token_env`, docs/ACCESS.md). Only its digest is kept.

use super::store::{validate_in, Terms, TokenSpec, TokenStoreError};
use super::token::{self, SecretDigest};

/// The words of `[[auth.tokens]]` in the config file, for its errors.
const CONFIG_TERMS: Terms = Terms {
    scope: "scopes",
    ingest: "\"ingest\" to scopes",
    source: "sources",
    name: "name",
};

/// A token from the configuration: what it may do, and the digest of its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ConfiguredToken {
    /// Its id (the token's `<id>` part).
    pub id: String,
    /// Its scopes, sources and name.
    pub spec: TokenSpec,
    /// SHA-256 of its secret.
    pub digest: SecretDigest,
}

impl std::fmt::Debug for ConfiguredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfiguredToken")
            .field("id", &self.id)
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl ConfiguredToken {
    /// The token `text` with what `spec` allows; refused when the text is not a token or the
    /// spec is not one a token can have (as `authtrail token create` would refuse it).
    pub fn new(spec: &TokenSpec, text: &str) -> Result<Self, TokenStoreError> {
        let presented = token::parse(text.trim()).map_err(|e| {
            TokenStoreError::InvalidSpec(format!(
                "{e}; make one with `authtrail token create` on any data directory, or \
                 `printf 'at_%s_%s' $(openssl rand -hex 8) $(openssl rand -hex 32)`"
            ))
        })?;
        Ok(ConfiguredToken {
            id: presented.id.to_string(),
            spec: validate_in(spec, CONFIG_TERMS)?,
            digest: presented.digest(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Scope;

    #[test]
    fn a_configured_token_keeps_its_digest_never_its_secret() {
        let new = token::generate().unwrap();
        let spec = TokenSpec {
            scopes: vec![Scope::Ingest],
            sources: vec!["okta".into()],
            name: Some("collector".into()),
        };
        let t = ConfiguredToken::new(&spec, &format!("{}\n", new.text)).unwrap();
        assert_eq!((t.id.as_str(), t.digest), (new.id.as_str(), new.digest));
        let shown = format!("{t:?}");
        assert!(!shown.contains(&new.text[20..]), "{shown}");
        let err = ConfiguredToken::new(&spec, "hunter2")
            .unwrap_err()
            .to_string();
        assert!(err.contains("a token starts with \"at_\""), "{err}");
        let admin_with_source = TokenSpec {
            scopes: vec![Scope::Admin],
            ..spec
        };
        assert!(ConfiguredToken::new(&admin_with_source, &new.text).is_err());
    }

    #[test]
    fn a_bad_configured_token_is_told_in_the_config_files_words() {
        let new = token::generate().unwrap();
        let bad = |scopes: &[Scope], sources: &[&str]| {
            let spec = TokenSpec {
                scopes: scopes.to_vec(),
                sources: sources.iter().map(|s| s.to_string()).collect(),
                name: None,
            };
            ConfiguredToken::new(&spec, &new.text)
                .unwrap_err()
                .to_string()
        };
        for (err, want) in [
            (bad(&[], &[]), "scope (scopes)"),
            (bad(&[Scope::Read], &["okta"]), "add \"ingest\" to scopes"),
            (
                bad(&[Scope::Admin], &["okta"]),
                "sources limits an ingest token",
            ),
            (
                bad(&[Scope::Ingest], &["bad source"]),
                "sources \"bad source\"",
            ),
        ] {
            assert!(err.contains(want), "{err}");
            assert!(!err.contains("--"), "{err}");
        }
    }
}
