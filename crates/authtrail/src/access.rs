//! How `serve` guards its HTTP API: callers need tokens from `DATA/tokens.json`
//! (docs/ACCESS.md), or from the configuration (`[[auth.tokens]]`, each read from an environment
//! variable). With no live token in either, a server on loopback creates an admin token and
//! prints it once; on any other address it refuses to start.

use std::net::ToSocketAddrs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use authtrail_server::auth::{Access, ConfiguredToken, Scope, TokenSpec, TokenStore};

use crate::config::{AuthSettings, TokenSettings};

/// The access `serve` enforces, and whether it must make the first admin token.
pub struct ServeAccess {
    /// What the router checks.
    pub access: Access,
    store: TokenStore,
    first_token: bool,
}

/// Check the token file of `data` against the address `listen`, before anything is opened.
pub fn prepare(data: &Path, listen: &str, settings: &AuthSettings) -> Result<ServeAccess> {
    let configured = settings
        .tokens
        .iter()
        .enumerate()
        .map(|(i, t)| configured_token(i, t))
        .collect::<Result<Vec<_>>>()?;
    let store = TokenStore::in_data_dir(data);
    let has_token =
        !configured.is_empty() || store.has_live_token().context("reading the token file")?;
    let first_token = !has_token;
    if first_token && !is_loopback(listen)? {
        bail!(
            "refusing to listen on {listen} with no access token: a generated token is printed \
             only on loopback. Create one first with `authtrail --data {} token create --scope \
             admin` (or give one through [[auth.tokens]] in the configuration, docs/ACCESS.md) \
             and send it as `Authorization: Bearer <token>`",
            data.display()
        );
    }
    let public_tlog = settings.public_tlog.unwrap_or(true);
    let access = Access::tokens_with(store.clone(), configured, public_tlog)
        .context("reading the token file")?;
    Ok(ServeAccess {
        access,
        store,
        first_token,
    })
}

impl ServeAccess {
    /// When no token existed: create an admin token and print it once (`admin token: at_…`).
    pub fn announce_first_token(&self, data: &Path) -> Result<()> {
        if !self.first_token || self.store.has_live_token()? {
            return Ok(());
        }
        let spec = TokenSpec {
            scopes: vec![Scope::Admin],
            sources: Vec::new(),
            name: Some("first admin token (printed by serve)".into()),
        };
        let (record, text) = self
            .store
            .create(&spec)
            .context("creating an admin token")?;
        println!("admin token: {text}");
        eprintln!(
            "no access token existed: created admin token {} and printed it above, once; only \
             its SHA-256 is kept in {}. Manage tokens with `authtrail --data {} token`",
            record.id,
            self.store.path().display(),
            data.display()
        );
        Ok(())
    }
}

/// Entry `index` of `[[auth.tokens]]`, its token read from the environment.
fn configured_token(index: usize, settings: &TokenSettings) -> Result<ConfiguredToken> {
    let what = match &settings.name {
        Some(name) => format!("[[auth.tokens]] {name:?}"),
        None => format!("[[auth.tokens]] #{}", index + 1),
    };
    let var = &settings.token_env;
    let text = match std::env::var(var) {
        Ok(text) if !text.trim().is_empty() => text,
        Ok(_) => bail!("{what}: token_env: environment variable {var} is empty"),
        Err(std::env::VarError::NotPresent) => {
            bail!("{what}: token_env: environment variable {var} is not set")
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            bail!("{what}: token_env: environment variable {var} is not UTF-8")
        }
    };
    let scopes = settings
        .scopes
        .iter()
        .map(|s| s.parse::<Scope>())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{what}: scopes"))?;
    let spec = TokenSpec {
        scopes,
        sources: settings.sources.clone(),
        name: settings.name.clone(),
    };
    ConfiguredToken::new(&spec, &text).with_context(|| format!("{what} (token_env {var})"))
}

/// Whether every address `listen` resolves to is a loopback address.
fn is_loopback(listen: &str) -> Result<bool> {
    let addrs: Vec<_> = listen
        .to_socket_addrs()
        .with_context(|| format!("listen address {listen:?}"))?
        .collect();
    Ok(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_count_as_loopback() {
        for local in ["127.0.0.1:7800", "[::1]:0", "127.0.0.2:1"] {
            assert!(is_loopback(local).unwrap(), "{local}");
        }
        for open in ["0.0.0.0:7800", "[::]:7800", "192.0.2.1:80"] {
            assert!(!is_loopback(open).unwrap(), "{open}");
        }
        let err = is_loopback("nowhere").unwrap_err();
        assert!(
            format!("{err:#}").contains("listen address \"nowhere\""),
            "{err:#}"
        );
    }
}
