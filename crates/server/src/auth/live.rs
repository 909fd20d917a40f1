//! The server's view of the token file, read again whenever the file changes.
//!
//! Every authenticated request stats the file (one system call); when its device, inode, size,
//! modification or change time differ from the last read, the file is read again before the
//! token is checked. Writers replace the file by rename, so each change gives a new inode and
//! change time: a `token revoke` takes effect at the server's next request.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::sync::Mutex;

use super::caller::Caller;
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
}

impl LiveTokens {
    /// The tokens of `store`, read now (an unreadable file is an error here, at start).
    pub fn open(store: TokenStore) -> Result<Self, TokenStoreError> {
        let live = LiveTokens {
            store,
            snapshot: Mutex::new(Snapshot::default()),
        };
        live.with_current(|_| ())?;
        Ok(live)
    }

    /// The caller `text` (the bearer token) authenticates as.
    pub fn authenticate(&self, text: &str) -> Result<Caller, AuthFailure> {
        let presented = token::parse(text).map_err(Rejected::Malformed)?;
        let found = self.with_current(|tokens| tokens.get(presented.id).cloned())?;
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
