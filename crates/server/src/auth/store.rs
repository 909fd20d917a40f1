//! The token file, `DATA/tokens.json`: one record per token, its secret stored only as a
//! SHA-256 digest.
//!
//! Writers (`authtrail token …`, and `serve` when it makes its first admin token) take an
//! exclusive lock on `DATA/tokens.lock`, read the file, change it and replace it atomically
//! (temporary file, fsync, rename, fsync of the directory), so two writers never lose each
//! other's change and a reader never sees half a file. The server only reads; it notices a new
//! file by its metadata (see [`super::live`]). The file is not in redb because `serve` holds the
//! redb lock while the CLI must still be able to create and revoke tokens.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::scope::Scope;
use super::token::{self, SecretDigest};

/// The token file's name in the data directory.
pub const TOKEN_FILE: &str = "tokens.json";
/// The lock file writers hold while they change the token file.
const LOCK_FILE: &str = "tokens.lock";
/// The token file's format version.
const VERSION: u32 = 1;
/// Longest token name, in bytes.
const MAX_NAME_BYTES: usize = 200;

/// One token as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    /// The id (16 hex digits), the part of the token shown in lists.
    pub id: String,
    /// A note saying whose or what the token is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Sources an `ingest` token may write as; empty means any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// When it was created (RFC 3339).
    pub created: String,
    /// SHA-256 of the secret, hex.
    pub secret_sha256: String,
    /// Whether it was revoked.
    #[serde(default)]
    pub revoked: bool,
    /// When it was revoked (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

impl TokenRecord {
    /// The stored digest, when it is well formed.
    pub fn digest(&self) -> Option<SecretDigest> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(&self.secret_sha256, &mut out).ok()?;
        Some(out)
    }
}

/// The whole file.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    version: u32,
    tokens: Vec<TokenRecord>,
}

/// What a new token may do, and its note.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenSpec {
    /// Its scopes (at least one).
    pub scopes: Vec<Scope>,
    /// Sources it may ingest as (only with `ingest`); empty means any.
    pub sources: Vec<String>,
    /// Its note.
    pub name: Option<String>,
}

/// What `revoke` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// The token was live and is now revoked.
    Now(TokenRecord),
    /// The token had been revoked before.
    Already(TokenRecord),
}

/// Errors of the token file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenStoreError {
    /// A file operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which file.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The file is not a token file this version can read.
    #[error("{} is not a valid token file: {message}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column when JSON is broken.
        message: String,
    },
    /// A new token's settings are not usable.
    #[error("{0}")]
    InvalidSpec(String),
    /// No token has this id.
    #[error("no token with id {0}: `authtrail token list` shows the ids")]
    NotFound(String),
    /// No random bytes.
    #[error(transparent)]
    Random(#[from] token::RandomUnavailable),
}

/// The token file of one data directory.
#[derive(Clone, Debug)]
pub struct TokenStore {
    dir: PathBuf,
}

impl TokenStore {
    /// The token file in data directory `dir` (which need not exist yet).
    pub fn in_data_dir(dir: &Path) -> Self {
        TokenStore {
            dir: dir.to_path_buf(),
        }
    }

    /// Path of the token file.
    pub fn path(&self) -> PathBuf {
        self.dir.join(TOKEN_FILE)
    }

    /// Every token, revoked ones included; none when the file does not exist.
    pub fn list(&self) -> Result<Vec<TokenRecord>, TokenStoreError> {
        Ok(self.read()?.tokens)
    }

    /// Whether any token is live (not revoked).
    pub fn has_live_token(&self) -> Result<bool, TokenStoreError> {
        Ok(self.list()?.iter().any(|t| !t.revoked))
    }

    /// Create a token; returns its record and its text, which is shown once and never stored.
    pub fn create(&self, spec: &TokenSpec) -> Result<(TokenRecord, String), TokenStoreError> {
        let spec = validate(spec)?;
        let secret = token::generate()?;
        let record = TokenRecord {
            id: secret.id,
            name: spec.name,
            scopes: spec.scopes,
            sources: spec.sources,
            created: jiff::Timestamp::now().to_string(),
            secret_sha256: hex::encode(secret.digest),
            revoked: false,
            revoked_at: None,
        };
        let stored = record.clone();
        self.update(move |file| {
            file.tokens.push(stored);
            Ok(())
        })?;
        Ok((record, secret.text))
    }

    /// Revoke the token with id `id` (a whole token's text is accepted too); effective for the
    /// server at its next request.
    pub fn revoke(&self, id: &str) -> Result<Revoked, TokenStoreError> {
        let id = id_of(id);
        let mut outcome = None;
        self.update(|file| {
            let record = file
                .tokens
                .iter_mut()
                .find(|t| t.id == id)
                .ok_or_else(|| TokenStoreError::NotFound(id.to_string()))?;
            if record.revoked {
                outcome = Some(Revoked::Already(record.clone()));
                return Ok(());
            }
            record.revoked = true;
            record.revoked_at = Some(jiff::Timestamp::now().to_string());
            outcome = Some(Revoked::Now(record.clone()));
            Ok(())
        })?;
        outcome.ok_or_else(|| TokenStoreError::NotFound(id.to_string()))
    }

    /// Read the file (empty when absent).
    fn read(&self) -> Result<TokenFile, TokenStoreError> {
        let path = self.path();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Ok(TokenFile {
                    version: VERSION,
                    tokens: Vec::new(),
                })
            }
            Err(source) => {
                return Err(TokenStoreError::Io {
                    action: "reading",
                    path,
                    source,
                })
            }
        };
        let file: TokenFile =
            serde_json::from_slice(&bytes).map_err(|e| TokenStoreError::Corrupt {
                path: path.clone(),
                message: e.to_string(),
            })?;
        if file.version != VERSION {
            return Err(TokenStoreError::Corrupt {
                path,
                message: format!(
                    "version {} (this authtrail reads version {VERSION})",
                    file.version
                ),
            });
        }
        Ok(file)
    }

    /// Under the writers' lock: read the file, let `change` edit it, and replace it atomically.
    fn update(
        &self,
        change: impl FnOnce(&mut TokenFile) -> Result<(), TokenStoreError>,
    ) -> Result<(), TokenStoreError> {
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| TokenStoreError::Io {
                action,
                path,
                source,
            }
        };
        std::fs::create_dir_all(&self.dir).map_err(io("creating directory", &self.dir))?;
        let lock_path = self.dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io("opening", &lock_path))?;
        lock.lock().map_err(io("locking", &lock_path))?;
        let mut file = self.read()?;
        change(&mut file)?;
        let mut bytes = serde_json::to_vec_pretty(&file).map_err(|e| TokenStoreError::Corrupt {
            path: self.path(),
            message: e.to_string(),
        })?;
        bytes.push(b'\n');
        // A temporary file in the same directory, created 0600, then renamed over the old one.
        let mut tmp = tempfile::Builder::new()
            .prefix(".tokens")
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(io("creating a temporary file in", &self.dir))?;
        tmp.write_all(&bytes)
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(io("writing", tmp.path()))?;
        let path = self.path();
        tmp.persist(&path).map_err(|e| TokenStoreError::Io {
            action: "replacing",
            path: path.clone(),
            source: e.error,
        })?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io("syncing directory", &self.dir))?;
        // The lock is released when `lock` is dropped.
        drop(lock);
        Ok(())
    }
}

/// The id in `text`: a token id, or a whole token (`at_<id>_<secret>`) or `at_<id>`.
fn id_of(text: &str) -> &str {
    let rest = text.strip_prefix(token::PREFIX).unwrap_or(text);
    rest.split('_').next().unwrap_or(rest)
}

/// How a token's parts are named where the spec came from, for its errors.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Terms {
    /// The scopes (`--scope`, `scopes`).
    pub scope: &'static str,
    /// A scope's value as it is written (`--scope ingest`, `"ingest" in scopes`).
    pub ingest: &'static str,
    /// The sources (`--source`, `sources`).
    pub source: &'static str,
    /// The name (`--name`, `name`).
    pub name: &'static str,
}

/// The words of `authtrail token create`.
const FLAGS: Terms = Terms {
    scope: "--scope",
    ingest: "--scope ingest",
    source: "--source",
    name: "--name",
};

/// The spec with its sources deduplicated, or why it cannot be a token (in `token create`'s
/// words).
pub(crate) fn validate(spec: &TokenSpec) -> Result<TokenSpec, TokenStoreError> {
    validate_in(spec, FLAGS)
}

/// The spec with its sources deduplicated, or why it cannot be a token, naming its parts by
/// `terms`.
pub(crate) fn validate_in(spec: &TokenSpec, terms: Terms) -> Result<TokenSpec, TokenStoreError> {
    let invalid = |m: String| Err(TokenStoreError::InvalidSpec(m));
    let Terms {
        scope,
        ingest,
        source: source_term,
        name: name_term,
    } = terms;
    let mut scopes = spec.scopes.clone();
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() {
        return invalid(format!(
            "a token needs at least one scope ({scope}): ingest, read or admin"
        ));
    }
    let mut sources = spec.sources.clone();
    sources.sort();
    sources.dedup();
    if !sources.is_empty() {
        if scopes.contains(&Scope::Admin) {
            return invalid(format!(
                "{source_term} limits an ingest token; an admin token may write as any source"
            ));
        }
        if !scopes.contains(&Scope::Ingest) {
            return invalid(format!(
                "{source_term} limits what a token ingests: add {ingest}"
            ));
        }
    }
    for source in &sources {
        authtrail_store::prepare::validate_source_name(source)
            .map_err(|e| TokenStoreError::InvalidSpec(format!("{source_term} {source:?}: {e}")))?;
    }
    if let Some(name) = &spec.name {
        if name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
            return invalid(format!(
                "{name_term} must be at most {MAX_NAME_BYTES} bytes with no control characters"
            ));
        }
    }
    Ok(TokenSpec {
        scopes,
        sources,
        name: spec.name.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(scopes: &[Scope], sources: &[&str]) -> TokenSpec {
        TokenSpec {
            scopes: scopes.to_vec(),
            sources: sources.iter().map(|s| s.to_string()).collect(),
            name: Some("test".into()),
        }
    }

    #[test]
    fn create_list_and_revoke_keep_only_a_digest() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::in_data_dir(&dir.path().join("data"));
        assert!(store.list().unwrap().is_empty());
        assert!(!store.has_live_token().unwrap());
        let (record, text) = store
            .create(&spec(&[Scope::Read, Scope::Ingest, Scope::Read], &["okta"]))
            .unwrap();
        assert_eq!(record.scopes, vec![Scope::Ingest, Scope::Read]);
        let file = std::fs::read_to_string(store.path()).unwrap();
        assert!(!file.contains(&text[20..]), "the secret is not stored");
        assert!(file.contains(&record.secret_sha256));
        let presented = token::parse(&text).unwrap();
        assert!(presented.matches(&record.digest().unwrap()));
        assert!(store.has_live_token().unwrap());

        assert_eq!(store.revoke(&text).unwrap(), {
            let listed = store.list().unwrap();
            Revoked::Now(listed[0].clone())
        });
        let listed = store.list().unwrap();
        assert!(listed[0].revoked && listed[0].revoked_at.is_some());
        assert!(matches!(store.revoke(&record.id), Ok(Revoked::Already(_))));
        assert!(!store.has_live_token().unwrap());
        let err = store.revoke("0123456789abcdef").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no token with id 0123456789abcdef: `authtrail token list` shows the ids"
        );
    }

    #[test]
    fn the_file_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::in_data_dir(dir.path());
        store.create(&spec(&[Scope::Admin], &[])).unwrap();
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }

    #[test]
    fn bad_specs_are_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::in_data_dir(dir.path());
        for (s, needle) in [
            (spec(&[], &[]), "at least one scope"),
            (spec(&[Scope::Read], &["okta"]), "add --scope ingest"),
            (
                spec(&[Scope::Admin], &["okta"]),
                "admin token may write as any",
            ),
            (
                spec(&[Scope::Ingest], &["bad source"]),
                "--source \"bad source\"",
            ),
            (spec(&[Scope::Ingest], &["authtrail-x"]), "reserved"),
        ] {
            let err = store.create(&s).unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
        let mut long = spec(&[Scope::Read], &[]);
        long.name = Some("x".repeat(201));
        assert!(store.create(&long).is_err());
        assert!(store.list().unwrap().is_empty(), "nothing written");
    }

    #[test]
    fn a_broken_file_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::in_data_dir(dir.path());
        std::fs::write(store.path(), "{\"version\": 1, \"tokens\": [").unwrap();
        let err = store.list().unwrap_err().to_string();
        assert!(
            err.contains("tokens.json is not a valid token file"),
            "{err}"
        );
        std::fs::write(store.path(), "{\"version\": 9, \"tokens\": []}").unwrap();
        let err = store.create(&spec(&[Scope::Read], &[])).unwrap_err();
        assert!(err.to_string().contains("version 9"), "{err}");
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::in_data_dir(dir.path());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for _ in 0..5 {
                        store.create(&spec(&[Scope::Read], &[])).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(store.list().unwrap().len(), 40);
    }
}
