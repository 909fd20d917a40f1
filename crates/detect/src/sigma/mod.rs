//! Sigma rules (SigmaHQ detection rules and Sigma v2 correlations) compiled to our rules, for
//! the auth log sources (docs/SIGMA.md). Anything the compiler cannot match exactly as Sigma
//! specifies is refused with a [`RuleError`] naming file, line, rule and construct.

mod condition;
mod correlation;
mod detection;
mod error;
mod mapping;
mod matcher;
mod model;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_saphyr::Spanned;

pub use matcher::Matcher;

use crate::rule::{RuleError, Severity};
use crate::Rule;
use error::At;
use model::RawDoc;

/// A rule compiled from a Sigma file, with where it was written (for errors about it later).
#[derive(Debug)]
pub struct Compiled {
    /// The rule (id: the Sigma `id`, else `name`, else `title`).
    pub rule: Rule,
    /// The file it came from, as named to the loader.
    pub file: String,
    /// The line its document starts on.
    pub line: u32,
}

/// One document of a Sigma file, read and located.
struct Doc {
    at: At,
    raw: RawDoc,
}

/// Compiles the Sigma files at `paths` (files, or directories read recursively for `.yml` and
/// `.yaml` files, in name order), all together so correlations may name rules in other files.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Compiled>, RuleError> {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files)?;
    }
    let mut texts = Vec::new();
    for f in &files {
        let name = f.display().to_string();
        let text = std::fs::read_to_string(f).map_err(|e| io_error(&name, &e))?;
        texts.push((name, text));
    }
    let sources: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    compile(&sources)
}

/// Compiles Sigma files given as `(name, text)`.
pub fn compile(sources: &[(&str, &str)]) -> Result<Vec<Compiled>, RuleError> {
    let mut docs = Vec::new();
    for (name, text) in sources {
        let raw: Vec<Spanned<RawDoc>> =
            serde_saphyr::from_multiple(text).map_err(|e| yaml_error(name, &e))?;
        for d in raw {
            let line = d.referenced.line() as u32;
            let at = At {
                file: name.to_string(),
                line,
                title: d.value.title.clone().unwrap_or_default(),
            };
            if d.value.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
                return Err(at.err(Some("title"), "missing (a Sigma rule needs a title)"));
            }
            docs.push(Doc { at, raw: d.value });
        }
    }
    correlation::compile(&docs)
}

/// The rule id of a document: its `id`, else its `name`, else its title.
fn rule_id(doc: &Doc) -> String {
    doc.raw
        .id
        .clone()
        .or_else(|| doc.raw.name.clone())
        .unwrap_or_else(|| doc.at.title.clone())
}

/// The severity of a document's `level` (medium when absent).
fn severity(doc: &Doc) -> Result<Severity, RuleError> {
    match &doc.raw.level {
        None => Ok(Severity::Medium),
        Some(l) => Severity::parse(&l.value).ok_or_else(|| {
            doc.at.err_at(
                l,
                "level",
                format!(
                    "unknown level {:?}; valid levels: informational, low, medium, high, critical",
                    l.value
                ),
            )
        }),
    }
}

/// Adds `path` (a file, or a directory's `.yml`/`.yaml` files, recursively) to `out`.
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), RuleError> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| io_error(&name, &e))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| io_error(&name, &e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let yaml = p.extension().is_some_and(|x| x == "yml" || x == "yaml");
        if p.is_dir() {
            collect(&p, out)?;
        } else if yaml {
            out.push(p);
        }
    }
    Ok(())
}

fn io_error(file: &str, e: &std::io::Error) -> RuleError {
    RuleError {
        file: file.to_string(),
        line: None,
        rule: None,
        field: None,
        message: e.to_string(),
    }
}

fn yaml_error(file: &str, e: &serde_saphyr::Error) -> RuleError {
    let line = e.location().map(|l| l.line()).filter(|l| *l > 0);
    let mut message = e.without_snippet().to_string();
    if let Some(cut) = message.rfind(" at line ") {
        message.truncate(cut);
    }
    RuleError {
        file: file.to_string(),
        line: line.map(|l| l as u32),
        rule: None,
        field: None,
        message,
    }
}

/// A compiled detection, shared between the rules that use it.
type Shared = Arc<Matcher>;
