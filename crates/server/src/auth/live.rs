//! The server's view of the token file, read again whenever the file changes.
//!
//! Every authenticated request stats the file (one system call); when its device, inode, size,
//! modification or change time differ from the last read, the file is read again before the
//! token is checked. Writers replace the file by rename, so each change gives a new inode and
//! change time: a `token revoke` takes effect at the server's next request. Tokens from the
//! configuration ([`ConfiguredToken`]) are fixed at start and checked first, without the stat.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::sync::Mutex;

use super::caller::Caller;
use super::configured::ConfiguredToken;
use super::scope::Scope;
use super::store::{TokenStore, TokenStoreError};
use super::token::{self, SecretDigest};

/// Why a presented token is refused (401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// Not shaped like a token.
    #[error("the bearer token is malformed: {0}")]
    Malformed(token::Malformed),
    /// No live token has this id and secret.
    #[error("the bearer token is not known (wrong id or secret)")]
    Unknown,
    /// The token was revoked.
    #[error("token {id} was revoked{}", at.as_deref().map(|t| format!(" at {t}")).unwrap_or_default())]
    Revoked {
        /// Its id.
        id: String,
        /// When.
        at: Option<String>,
    },
}

/// Why a request's token gives it no access.
#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    /// The token is refused (401).
    #[error(transparent)]
    Rejected(#[from] Rejected),
    /// The token file cannot be read, so no token is accepted until it can be (503).
    #[error("the token file cannot be read: {0}")]
    Unavailable(#[from] TokenStoreError),
}

/// A token as the server keeps it in memory.
#[derive(Debug, Clone)]
struct LiveToken {
    digest: SecretDigest,
    scopes: Vec<Scope>,
    sources: Vec<String>,
    revoked: Option<Option<String>>,
}

/// What identifies one version of the token file: a changed file has a different stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

#[derive(Debug, Default)]
struct Snapshot {
    /// `None`: the file did not exist at the last look.
    stamp: Option<FileStamp>,
    tokens: HashMap<String, LiveToken>,
    /// Whether a snapshot was ever taken.
    loaded: bool,
}

/// The tokens of one data directory, as the server checks them.
#[derive(Debug)]
pub struct LiveTokens {
    store: TokenStore,
    snapshot: Mutex<Snapshot>,
    /// Tokens from the configuration, by id.
    configured: HashMap<String, LiveToken>,
}

impl LiveTokens {
    /// The tokens of `store`, read now (an unreadable file is an error here, at start).
    pub fn open(store: TokenStore) -> Result<Self, TokenStoreError> {
        LiveTokens::open_with(store, Vec::new())
    }

    /// The tokens of `store` and the `configured` ones; an id in both, or twice in
    /// `configured`, is refused (a token must mean one thing).
    pub fn open_with(
        store: TokenStore,
        configured: Vec<ConfiguredToken>,
    ) -> Result<Self, TokenStoreError> {
        let mut by_id = HashMap::new();
        for t in configured {
            let token = LiveToken {
                digest: t.digest,
                scopes: t.spec.scopes,
                sources: t.spec.sources,
                revoked: None,
            };
            if by_id.insert(t.id.clone(), token).is_some() {
                return Err(TokenStoreError::InvalidSpec(format!(
                    "two configured tokens have id {}",
                    t.id
                )));
            }
        }
        let live = LiveTokens {
            store,
            snapshot: Mutex::new(Snapshot::default()),
            configured: by_id,
        };
        let clash = live.with_current(|tokens| {
            live.configured
                .keys()
                .find(|id| tokens.contains_key(*id))
                .cloned()
        })?;
        if let Some(id) = clash {
            return Err(TokenStoreError::InvalidSpec(format!(
                "configured token {id} has the id of a token in {}; give it another",
                live.store.path().display()
            )));
        }
        Ok(live)
    }

    /// How many tokens the configuration gave.
    pub fn configured(&self) -> usize {
        self.configured.len()
    }

    /// The caller `text` (the bearer token) authenticates as.
    pub fn authenticate(&self, text: &str) -> Result<Caller, AuthFailure> {
        let presented = token::parse(text).map_err(Rejected::Malformed)?;
        let found = match self.configured.get(presented.id) {
            Some(token) => Some(token.clone()),
            None => self.with_current(|tokens| tokens.get(presented.id).cloned())?,
        };
        let token = found.ok_or(Rejected::Unknown)?;
        if !presented.matches(&token.digest) {
            return Err(Rejected::Unknown.into());
        }
        if let Some(at) = token.revoked {
            return Err(Rejected::Revoked {
                id: presented.id.to_string(),
                at,
            }
            .into());
        }
        Ok(Caller::token(
            presented.id.to_string(),
            token.scopes,
            token.sources,
        ))
    }

    /// Run `f` over the tokens, reading the file first if it changed since the last read.
    fn with_current<T>(
        &self,
        f: impl FnOnce(&HashMap<String, LiveToken>) -> T,
    ) -> Result<T, TokenStoreError> {
        let path = self.store.path();
        let stamp = match std::fs::metadata(&path) {
            Ok(m) => Some(FileStamp {
                dev: m.dev(),
                ino: m.ino(),
                len: m.len(),
                mtime: (m.mtime(), m.mtime_nsec()),
                ctime: (m.ctime(), m.ctime_nsec()),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(TokenStoreError::Io {
                    action: "reading metadata of",
                    path,
                    source,
                })
            }
        };
        let mut snapshot = self
            .snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !snapshot.loaded || snapshot.stamp != stamp {
            let tokens = self.store.list()?;
            let changed = snapshot.loaded;
            *snapshot = Snapshot {
                stamp,
                tokens: tokens
                    .into_iter()
                    .filter_map(|t| {
                        // A record whose digest is not 64 hex digits can match nothing.
                        let digest = t.digest()?;
                        let revoked = t.revoked.then_some(t.revoked_at);
                        Some((
                            t.id,
                            LiveToken {
                                digest,
                                scopes: t.scopes,
                                sources: t.sources,
                                revoked,
                            },
                        ))
                    })
                    .collect(),
                loaded: true,
            };
            if changed {
                tracing::info!(tokens = snapshot.tokens.len(), "token file read again");
            }
        }
        Ok(f(&snapshot.tokens))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::store::TokenSpec;

    /// A token store in a fresh directory holding one token with `scope`, and its text.
    fn one_token(scope: Scope) -> (tempfile::TempDir, TokenStore, String) {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::in_data_dir(dir.path());
        let spec = TokenSpec {
            scopes: vec![scope],
            ..TokenSpec::default()
        };
        let (_, text) = store.create(&spec).unwrap();
        (dir, store, text)
    }

    #[test]
    fn a_revoke_or_a_new_token_is_seen_at_the_next_check() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::in_data_dir(dir.path());
        let live = LiveTokens::open(store.clone()).unwrap();
        let spec = TokenSpec {
            scopes: vec![Scope::Read],
            ..TokenSpec::default()
        };
        let (record, text) = store.create(&spec).unwrap();
        let caller = live.authenticate(&text).unwrap();
        assert_eq!(caller.token_id(), Some(record.id.as_str()));
        // Many revokes and creates in a row: each is seen, whatever inode numbers are reused.
        for _ in 0..20 {
            let (_, other) = store.create(&spec).unwrap();
            assert!(live.authenticate(&other).is_ok());
            store.revoke(&other).unwrap();
            assert!(matches!(
                live.authenticate(&other),
                Err(AuthFailure::Rejected(Rejected::Revoked { .. }))
            ));
        }
        store.revoke(&record.id).unwrap();
        let err = live.authenticate(&text).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("token {} was revoked at ", record.id)),
            "{err}"
        );
    }

    #[test]
    fn wrong_secrets_unknown_ids_and_malformed_tokens_are_refused() {
        let (_dir, store, text) = one_token(Scope::Admin);
        let live = LiveTokens::open(store).unwrap();
        let mut wrong = text.clone();
        let last = if wrong.ends_with('0') { "1" } else { "0" };
        wrong.replace_range(wrong.len() - 1.., last);
        let rejected = |text: &str| match live.authenticate(text) {
            Err(AuthFailure::Rejected(r)) => r,
            other => panic!("{other:?}"),
        };
        assert_eq!(rejected(&wrong), Rejected::Unknown);
        let unknown = format!("at_0000000000000000{}", &text[19..]);
        assert_eq!(rejected(&unknown), Rejected::Unknown);
        assert!(matches!(rejected("hunter2"), Rejected::Malformed(_)));
    }

    #[test]
    fn configured_tokens_authenticate_beside_the_file_and_ids_never_clash() {
        let (_dir, store, text) = one_token(Scope::Read);
        let new = token::generate().unwrap();
        let spec = TokenSpec {
            scopes: vec![Scope::Ingest],
            sources: vec!["okta".into()],
            name: None,
        };
        let configured = ConfiguredToken::new(&spec, &new.text).unwrap();
        let live = LiveTokens::open_with(store.clone(), vec![configured.clone()]).unwrap();
        assert_eq!(live.configured(), 1);
        let caller = live.authenticate(&new.text).unwrap();
        assert_eq!(caller.token_id(), Some(new.id.as_str()));
        assert!(caller.may_ingest_as("okta").is_ok() && caller.may_ingest_as("sshd").is_err());
        assert!(
            live.authenticate(&text).is_ok(),
            "the file's tokens still work"
        );
        let wrong = format!("{}{}", &new.text[..new.text.len() - 1], "x");
        assert!(live.authenticate(&wrong).is_err());
        // The same id twice, or an id of the file, is refused.
        let twice = LiveTokens::open_with(store.clone(), vec![configured.clone(), configured]);
        assert!(twice
            .unwrap_err()
            .to_string()
            .contains("two configured tokens"));
        let clash = ConfiguredToken::new(&spec, &text).unwrap();
        let err = LiveTokens::open_with(store, vec![clash]).unwrap_err();
        assert!(
            err.to_string().contains("has the id of a token in"),
            "{err}"
        );
    }

    #[test]
    fn a_file_that_turns_unreadable_refuses_every_token() {
        let (_dir, store, text) = one_token(Scope::Read);
        let live = LiveTokens::open(store.clone()).unwrap();
        assert!(live.authenticate(&text).is_ok());
        std::fs::write(store.path(), "not json").unwrap();
        assert!(matches!(
            live.authenticate(&text),
            Err(AuthFailure::Unavailable(_))
        ));
    }
}
