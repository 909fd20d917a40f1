//! `authtrail token create|list|revoke`: the bearer tokens of the HTTP API (docs/ACCESS.md),
//! kept in `DATA/tokens.json` beside a running server, which sees each change at its next
//! request.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use authtrail_server::auth::store::Revoked;
use authtrail_server::auth::{Scope, TokenRecord, TokenSpec, TokenStore, TokenStoreError};
use serde_json::{json, Value};

use crate::cli::{OutputFormat, TokenCommand};
use crate::exit::{Failed, USAGE};

/// Run one `token` subcommand on the data directory `data`.
pub fn run(data: &Path, command: TokenCommand) -> Result<ExitCode> {
    let store = TokenStore::in_data_dir(data);
    match command {
        TokenCommand::Create {
            scopes,
            sources,
            name,
            format,
        } => create(&store, &scopes, sources, name, format),
        TokenCommand::List { format } => list(&store, format),
        TokenCommand::Revoke { id } => revoke(&store, &id),
    }
}

fn create(
    store: &TokenStore,
    scopes: &[String],
    sources: Vec<String>,
    name: Option<String>,
    format: OutputFormat,
) -> Result<ExitCode> {
    let scopes = match scopes
        .iter()
        .map(|s| s.trim().parse::<Scope>())
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: --scope: {e}");
            return Ok(ExitCode::from(USAGE));
        }
    };
    let spec = TokenSpec {
        scopes,
        sources,
        name,
    };
    let (record, text) = match store.create(&spec) {
        Ok(created) => created,
        Err(TokenStoreError::InvalidSpec(e)) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(USAGE));
        }
        Err(e) => return Err(e).context("creating a token"),
    };
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => {
            let mut v = record_json(&record);
            v["token"] = json!(text);
            writeln!(out, "{v}")?;
        }
        OutputFormat::Table => writeln!(out, "{text}")?,
    }
    out.flush()?;
    eprintln!(
        "created token {} ({}); it is shown once: only its SHA-256 is kept in {}",
        record.id,
        describe(&record),
        store.path().display()
    );
    Ok(ExitCode::SUCCESS)
}

fn list(store: &TokenStore, format: OutputFormat) -> Result<ExitCode> {
    let tokens = store.list().context("listing tokens")?;
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => {
            for t in &tokens {
                writeln!(out, "{}", record_json(t))?;
            }
        }
        OutputFormat::Table => {
            writeln!(
                out,
                "{:<16}  {:<8}  {:<20}  {:<18}  {:<25}  NAME",
                "ID", "STATE", "SCOPES", "SOURCES", "CREATED"
            )?;
            for t in &tokens {
                let scopes: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
                let sources = if t.sources.is_empty() {
                    "-".to_string()
                } else {
                    t.sources.join(",")
                };
                writeln!(
                    out,
                    "{:<16}  {:<8}  {:<20}  {:<18}  {:<25}  {}",
                    t.id,
                    if t.revoked { "revoked" } else { "live" },
                    scopes.join(","),
                    sources,
                    t.created,
                    t.name.as_deref().unwrap_or("-")
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn revoke(store: &TokenStore, id: &str) -> Result<ExitCode> {
    match store.revoke(id) {
        Ok(Revoked::Now(t)) => {
            println!("revoked token {} ({})", t.id, describe(&t));
            Ok(ExitCode::SUCCESS)
        }
        Ok(Revoked::Already(t)) => {
            println!(
                "token {} was already revoked{}",
                t.id,
                t.revoked_at
                    .as_deref()
                    .map(|at| format!(" at {at}"))
                    .unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ TokenStoreError::NotFound(_)) => Err(Failed(e.to_string()).into()),
        Err(e) => Err(e).context("revoking a token"),
    }
}

/// A record as JSON, without its digest.
fn record_json(t: &TokenRecord) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "scopes": t.scopes,
        "sources": t.sources,
        "created": t.created,
        "revoked": t.revoked,
        "revoked_at": t.revoked_at,
    })
}

/// "scopes ingest,read; sources okta" for messages.
fn describe(t: &TokenRecord) -> String {
    let scopes: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
    let mut text = format!("scopes {}", scopes.join(","));
    if !t.sources.is_empty() {
        text.push_str(&format!("; sources {}", t.sources.join(",")));
    }
    text
}
